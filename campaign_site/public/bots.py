"""Quiet bot traps on the petition form: a honeypot field and the form's filling time.

A person never sees the honeypot: a submission that fills it gets the same thank-you as a
person and stores nothing (its name and autocomplete hints keep browsers' autofill and
password managers away from it). The filling time only marks a signature for review:
phone autofill fills the form in a second, and a real supporter must never be dropped.
The stamp is not in the page (which is the same for everyone, so caches may keep it):
site.js fetches it from /api/form-stamp at the visitor's first scroll, tap or key
(docs/security.md, "The bot timing trap", for the designs measured).
"""

import time

from flask import current_app
from itsdangerous import BadSignature, TimestampSigner

from campaign_site.petition.signing import NO_FORM_STAMP, TOO_FAST

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


def honeypot_filled(form) -> bool:
    """True if the field no person sees was filled in."""
    return bool(form.leave_this_empty.data)


def timing_marks(form) -> list[str]:
    """Review marks from the form's stamp: sent back too fast, or without a valid stamp."""
    # raw_data, not data: a missing field would otherwise take a fresh default stamp.
    submitted = form.started.raw_data[0] if form.started.raw_data else ""
    try:
        payload, started = _signer().unsign(submitted, return_timestamp=True)
    except BadSignature:
        return [NO_FORM_STAMP]
    if payload != _PAYLOAD:
        return [NO_FORM_STAMP]
    if time.time() - started.timestamp() < current_app.config["SIGNING_MIN_SECONDS"]:
        return [TOO_FAST]
    return []
