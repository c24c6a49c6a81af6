"""LOG_FORMAT=json: one JSON object per log line, for log collectors that read fields.

Used by the app's own log and by gunicorn's access and error logs (log_redaction.py's
GunicornLogger). Link tokens are taken out here too, of the message and of a traceback, so
a JSON line never carries more than a text line would. Kept free of Flask, like
log_redaction.py, so gunicorn's master process can load it cheaply.
"""

import json
import logging
import os
import sys
from datetime import UTC, datetime

from campaign_site.web.log_redaction import redact_tokens


def wanted() -> bool:
    """Whether LOG_FORMAT asks for JSON (config.py refuses any value but text and json)."""
    return os.environ.get("LOG_FORMAT", "").strip().lower() == "json"


class JsonFormatter(logging.Formatter):
    """{"time", "level", "logger", "message"[, "exception"]} on one line."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": redact_tokens(record.getMessage()),
        }
        if record.name == "gunicorn.access" and isinstance(record.args, dict):
            line.update(_access_fields(record.args))
        if record.exc_info:
            line["exception"] = redact_tokens(self.formatException(record.exc_info))
        elif record.stack_info:
            line["exception"] = redact_tokens(self.formatStack(record.stack_info))
        return json.dumps(line, ensure_ascii=False)


# gunicorn's access-log atoms worth a field of their own: never the client's address, the
# query string, the referer or the user agent (supporters' privacy), whatever the format.
ACCESS_FIELDS = {"m": "method", "U": "path", "s": "status", "B": "bytes", "M": "ms"}


def _access_fields(atoms: dict) -> dict:
    fields = {name: atoms.get(atom) for atom, name in ACCESS_FIELDS.items()}
    if isinstance(fields["path"], str):
        fields["path"] = redact_tokens(fields["path"])
    return fields


def use_for(logger: logging.Logger) -> None:
    """Every handler of the logger writes JSON."""
    for handler in logger.handlers:
        handler.setFormatter(JsonFormatter())


class StderrHandler(logging.StreamHandler):
    """Writes to whatever sys.stderr is at the moment of the line, so a process that swaps
    it later (a test capturing output, a daemon redirecting it) still gets every line."""

    @property  # type: ignore[override]
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, _value) -> None:
        pass


def install(names: tuple[str, ...]) -> None:
    """The app's loggers (and the development server's) write JSON to stderr: one handler
    each, so making several apps in one process never doubles a line."""
    for name in names:
        logger = logging.getLogger(name)
        for handler in list(logger.handlers):
            logger.removeHandler(handler)  # Flask's default text handler, if it came first
        handler = StderrHandler()
        handler.setFormatter(JsonFormatter())
        logger.addHandler(handler)
