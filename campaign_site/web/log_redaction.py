"""Link tokens never reach a log.

Confirm, withdraw and unsubscribe links carry a token in their path, and whoever reads a
token from a log can use it. Every place that logs a request path (gunicorn's access log,
the development server, our own error log) writes it through `redact_tokens`.
Kept free of Flask so gunicorn's master process can load it cheaply.
"""

import logging
import re
from urllib.parse import unquote

from gunicorn.glogging import Logger

# A run of path segments (a path, or the path inside a request line or a Referer).
PATH_RUN = re.compile(r"(?:/[^/?#\s\"']*)+")
# The link words, however spelt around (/WITHDRAW/, /withdraw;/, /%63onfirm/): the next
# segment is the token.
LINK_WORD = re.compile(r"confirm|withdraw|unsubscribe", re.IGNORECASE)
# A token's own shape (itsdangerous: payload.timestamp.signature, base64url), wherever it
# stands, so a token under a path we never made still never reaches a log.
TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{20,}")
TOKEN = "[token]"


def redact_tokens(text: str) -> str:
    """The text with every link token in a path replaced by [token]: the segment after a link
    word, and any segment shaped like a token. Paths are read percent-decoded (as the app
    routes them), so an escaped slash or letter hides nothing."""
    return PATH_RUN.sub(lambda run: _redact_path(unquote(run.group(0))), text)


def _redact_path(path: str) -> str:
    segments = path.split("/")
    for index, segment in enumerate(segments):
        after_link_word = index > 0 and LINK_WORD.search(segments[index - 1])
        if segment and (after_link_word or TOKEN_SHAPE.search(segment)):
            segments[index] = TOKEN
    return "/".join(segments)


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
        from campaign_site.web import json_logs  # it imports this module

        if json_logs.wanted():  # LOG_FORMAT=json: every line of both logs a JSON object
            json_logs.use_for(self.error_log)
            json_logs.use_for(self.access_log)

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        return {
            key: redact_tokens(value) if isinstance(value, str) else value
            for key, value in atoms.items()
        }
