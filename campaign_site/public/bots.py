"""Quiet bot traps on the petition form: a honeypot field and a minimum filling time.

A person never sees the honeypot and needs more than a few seconds to fill in the form.
A submission caught by either gets the same thank-you as a person and stores nothing.
"""

import time

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer

_SALT = "petition-form-started"


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=_SALT)


def form_started_stamp() -> str:
    """A signed 'form served at' time for the hidden field (tamper-proof, so it can't be backdated)."""
    return _serializer().dumps(int(time.time()))


def looks_automated(form) -> bool:
    """True if the honeypot is filled, or the form came back too fast or without a valid stamp."""
    if form.website.data:
        return True
    # raw_data, not data: a missing field would otherwise take a fresh default stamp.
    submitted = form.started.raw_data[0] if form.started.raw_data else ""
    try:
        started = _serializer().loads(submitted)
    except BadSignature:
        return True
    if not isinstance(started, int):
        return True
    return time.time() - started < current_app.config["SIGNING_MIN_SECONDS"]
