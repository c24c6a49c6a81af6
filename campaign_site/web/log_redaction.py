"""Link tokens never reach a log.

Confirm, withdraw and unsubscribe links carry a token in their path, and whoever reads a
token from a log can use it. Every place that logs a request path (gunicorn's access log,
the development server, our own error log) writes it through `redact_tokens`.
Kept free of Flask so gunicorn's master process can load it cheaply.
"""

import logging
import re

from gunicorn.glogging import Logger

TOKEN_PATH = re.compile(r"(/(?:confirm|withdraw|unsubscribe)/)[^/?#\s\"']+")
REDACTED = r"\1[token]"


def redact_tokens(text: str) -> str:
    """The text with every link token in a path replaced by [token]."""
    return TOKEN_PATH.sub(REDACTED, text)


class RedactTokens(logging.Filter):
    """A logging filter that takes tokens out of a record's finished message."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact_tokens(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


def install_filter() -> None:
    """Redact the development server's request lines and the app's own log."""
    for name in ("werkzeug", "campaign_site"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactTokens) for f in logger.filters):
            logger.addFilter(RedactTokens())


class GunicornLogger(Logger):
    """gunicorn's logger with tokens taken out of every access-log field (path, request line,
    referer, query), whatever access_log_format an operator chooses."""

    def setup(self, cfg):
        super().setup(cfg)
        self.error_log.addFilter(RedactTokens())  # "Error handling request /confirm/..."

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        return {
            key: redact_tokens(value) if isinstance(value, str) else value
            for key, value in atoms.items()
        }
