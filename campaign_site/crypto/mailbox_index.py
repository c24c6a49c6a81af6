"""One signature per mailbox: what counts as the same mailbox, and the keyed hash that stands
for it (the blind index), so the database can enforce uniqueness without holding an address.

A blind index is  key id (4) | HMAC-SHA256 of the mailbox key, under a key of its own.
"""

import hashlib
import hmac

from campaign_site.crypto.keyrings import KEY_ID_BYTES, Keyring, blind_keyring, key_id

# Gmail ignores dots in the local part, and googlemail.com is the same service.
GMAIL_DOMAINS = {"gmail.com": "gmail.com", "googlemail.com": "gmail.com"}


def mailbox_key(email: str) -> str:
    """The uniqueness key of an address: one key per mailbox, however it is spelled.

    Letter case, a "+tag" after the local part (most providers deliver those to the
    same mailbox) and, at Gmail, dots are ignored; the address as typed is kept for mail.
    """
    local, _, domain = email.casefold().rpartition("@")
    local = local.split("+", 1)[0] or local
    if domain in GMAIL_DOMAINS:
        domain = GMAIL_DOMAINS[domain]
        local = local.replace(".", "") or local
    return f"{local}@{domain}"


def blind_index(email: str, key: bytes, kid: bytes | None = None) -> bytes:
    """The keyed hash that stands for a mailbox; the key id in front says which key made it."""
    digest = hmac.digest(key, mailbox_key(email).encode(), hashlib.sha256)
    return (kid or key_id(key)) + digest


def blind_indexes(email: str, keyring: Keyring | None = None) -> list[bytes]:
    """The mailbox's index under every configured key, current first (old rows may use any)."""
    keyring = keyring or blind_keyring()
    return [blind_index(email, key, kid) for kid, key in keyring.by_id.items()]


TEST_INDEX_LABEL = b"campaign_site staff test signature\x00"


def index_for_a_test(index: bytes) -> bytes:
    """A staff test signature's stand-in for a blind index: the same key id and length, but
    never equal to a real one, so a test never turns a supporter's later signing into a
    repeat (petition/test_signatures.py)."""
    kid, digest = index[:KEY_ID_BYTES], index[KEY_ID_BYTES:]
    return kid + hashlib.sha256(TEST_INDEX_LABEL + digest).digest()[: len(digest)]
