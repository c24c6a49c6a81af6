"""Admins' second-factor secrets, sealed under the data key like supporters' data (a
database copy alone cannot mint codes). Same box layout as sealed_box.py, its own
associated data, so a supporter's box can never be passed off as an admin secret. Its plaintext is
the raw secret, so it keeps the header of version 1."""

import os

from cryptography.exceptions import InvalidTag

from campaign_site.crypto import box_format as layout
from campaign_site.crypto.keyrings import Keyring, data_keyring

_PURPOSE = b"campaign_site admin totp secret v1"


class UnreadableSecret(Exception):
    """The configured keys cannot open this secret (its key left the ring)."""


def seal_secret(secret: bytes, keyring: Keyring | None = None) -> bytes:
    keyring = keyring or data_keyring()
    nonce = os.urandom(layout.NONCE_BYTES)
    sealed = keyring.ciphers[keyring.current_id].encrypt(nonce, secret, _PURPOSE)
    return layout.VERSION_1 + keyring.current_id + nonce + sealed


def open_secret(box: bytes, keyring: Keyring | None = None) -> bytes:
    keyring = keyring or data_keyring()
    cipher = keyring.ciphers.get(box[layout.KEY_ID_AT])
    if cipher is None or box[:1] != layout.VERSION_1:
        raise UnreadableSecret("sealed under a data key that is not configured")
    try:
        return cipher.decrypt(box[layout.NONCE_AT], box[layout.HEADER_BYTES :], _PURPOSE)
    except InvalidTag:
        raise UnreadableSecret("does not open under its key") from None
