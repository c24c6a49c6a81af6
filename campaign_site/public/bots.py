"""Quiet bot traps on the petition form: a honeypot field and a minimum filling time.

A person never sees the honeypot and needs more than a few seconds to fill in the form.
A submission caught by either gets the same thank-you as a person and stores nothing.
"""

import time

from flask import current_app
from itsdangerous import BadSignature, TimestampSigner

_SALT = "petition-form-started"
_PAYLOAD = b"petition-form"


def _signer() -> TimestampSigner:
    """One signer per app: deriving its key per page view showed in the page profile."""
    signer = current_app.extensions.get("campaign_site.form_stamp")
    if signer is None:
        signer = TimestampSigner(current_app.config["SECRET_KEY"], salt=_SALT)
        current_app.extensions["campaign_site.form_stamp"] = signer
    return signer


def form_started_stamp() -> str:
    """A signed 'form served at' time for the hidden field (tamper-proof: it can't be backdated)."""
    return _signer().sign(_PAYLOAD).decode()


def looks_automated(form) -> bool:
    """True if the honeypot is filled, or the form came back too fast or without a valid stamp."""
    if form.website.data:
        return True
    # raw_data, not data: a missing field would otherwise take a fresh default stamp.
    submitted = form.started.raw_data[0] if form.started.raw_data else ""
    try:
        payload, started = _signer().unsign(submitted, return_timestamp=True)
    except BadSignature:
        return True
    if payload != _PAYLOAD:
        return True
    return time.time() - started.timestamp() < current_app.config["SIGNING_MIN_SECONDS"]
