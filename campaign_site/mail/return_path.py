"""VERP return paths: every message to a supporter leaves with the envelope sender
`bounces+TOKEN@example.org` (MAIL_BOUNCE_ADDRESS with a token after a "+"), so a bounce or
complaint that comes back names the message, and through it the signature, without an
address in it. The token is random (hex: no word can hide in it), given to the outbox row
when it is first claimed and kept across retries.

Discreet mail's return path must not carry campaign words either: it is the token after a
"+" on DISCREET_MAIL_SENDER's neutral address, whose mailbox the operator routes to the
same bounce mailbox (docs/deploying.md).
"""

import re
import secrets
from email.utils import parseaddr

from flask import current_app

TOKEN_BYTES = 12
# The token in a return path: after the "+", up to the "@".
_IN_ADDRESS = re.compile(r"\+([0-9a-f]{24})@", re.IGNORECASE)  # 2 * TOKEN_BYTES digits


def new_token() -> str:
    """A fresh random token (24 hex digits)."""
    return secrets.token_hex(TOKEN_BYTES)


def for_token(token: str | None, discreet: bool = False) -> str | None:
    """The return path carrying a token, or None without MAIL_BOUNCE_ADDRESS (or a token)."""
    config = current_app.config
    bounce = parseaddr(config["MAIL_BOUNCE_ADDRESS"] or "")[1]
    if not bounce or not token:
        return None
    base = parseaddr(config["DISCREET_MAIL_SENDER"] or "")[1] if discreet else bounce
    local, _, domain = (base or bounce).rpartition("@")
    return f"{local}+{token}@{domain}"


def token_in(text: str) -> str | None:
    """The token of a return path found in an address or header, lowercased; or None."""
    found = _IN_ADDRESS.search(text or "")
    return found.group(1).lower() if found else None
