"""Who a supporter is, stored only as ciphertext: one AES-GCM box per signature.

A box is  version (1 byte) | key id (4) | nonce (12) | AES-256-GCM ciphertext and tag,
and holds the given name, the family name, the email as typed and the postcode/city
(boxes sealed before names were asked for in two fields hold one name: see Person.from_fields),
joined by a unit separator
(form input can hold no control character: text.clean_text turns them into spaces) and
padded to a multiple of 32 bytes so its length says little about the name inside.

The mailbox is found again through a blind index: key id (4) | HMAC-SHA256 of the
normalized mailbox key, under a key of its own. The database can enforce one signature
per mailbox on it without ever holding an address.
"""

import hashlib
import hmac
import os
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag

from campaign_site.crypto.keyrings import KEY_ID_BYTES, Keyring, blind_keyring, data_keyring, key_id
from campaign_site.crypto.mailbox_index import mailbox_key

VERSION = b"\x01"
NONCE_BYTES = 12
KEY_ID_AT = slice(len(VERSION), len(VERSION) + KEY_ID_BYTES)
NONCE_AT = slice(KEY_ID_AT.stop, KEY_ID_AT.stop + NONCE_BYTES)
HEADER_BYTES = NONCE_AT.stop
SEPARATOR = "\x1f"
PAD_TO = 32
# Binds every box to this use: a box cannot be passed off as some other encrypted value.
ASSOCIATED_DATA = b"campaign_site signature personal data v1"
BLIND_INDEX_BYTES = KEY_ID_BYTES + hashlib.sha256().digest_size


class UnreadableData(Exception):
    """A box that the configured keys cannot open: the message says which key is missing."""


@dataclass(frozen=True)
class Person:
    """The identifying part of a signature, decrypted.

    given_name is the only part ever shown publicly or used in a greeting; it is empty for
    signatures from before it was asked for (their one name field is kept as family_name),
    so nothing the supporter did not choose to show is ever published.
    """

    given_name: str
    family_name: str
    email: str
    postcode_city: str | None

    @property
    def full_name(self) -> str:
        return " ".join(part for part in (self.given_name, self.family_name) if part)

    @classmethod
    def from_fields(cls, fields: list[str]) -> "Person":
        """A person from a box's fields: [given, family, email, place], or the older
        [name, email, place], whose given name cannot be known."""
        if len(fields) == LEGACY_FIELDS:
            fields = ["", *fields]
        given_name, family_name, email, postcode_city = fields
        return cls(given_name, family_name, email, postcode_city or None)


LEGACY_FIELDS = 3  # name, email, place: boxes sealed before given and family names

def seal(person: Person, keyring: Keyring | None = None) -> bytes:
    """Encrypt a person under the current data key."""
    keyring = keyring or data_keyring()
    fields = (person.given_name, person.family_name, person.email, person.postcode_city or "")
    if any(SEPARATOR in field or "\x00" in field for field in fields):
        raise ValueError("personal data must be cleaned (no control characters) before sealing")
    plaintext = SEPARATOR.join(fields).encode()
    plaintext += b"\x00" * (-len(plaintext) % PAD_TO)
    nonce = os.urandom(NONCE_BYTES)
    ciphertext = keyring.ciphers[keyring.current_id].encrypt(nonce, plaintext, ASSOCIATED_DATA)
    return VERSION + keyring.current_id + nonce + ciphertext


def open_box(box: bytes, keyring: Keyring | None = None) -> Person:
    """Decrypt a box sealed under any key of the keyring."""
    return Person.from_fields(open_fields(box, keyring or data_keyring()))


def open_fields(box: bytes, keyring: Keyring) -> list[str]:
    """The box's fields: [given name, family name, email, postcode/city or ''] (or the older
    [name, email, postcode/city or ''])."""
    return open_joined(box, keyring).split(SEPARATOR)


def open_joined(box: bytes, keyring: Keyring) -> str:
    """The box's fields as one string, joined by SEPARATOR (the export splits them itself)."""
    cipher = keyring.ciphers.get(box[KEY_ID_AT])
    if cipher is None or box[:1] != VERSION:
        raise UnreadableData(_unreadable_reason(box, keyring))
    try:
        plaintext = cipher.decrypt(box[NONCE_AT], box[HEADER_BYTES:], ASSOCIATED_DATA)
    except InvalidTag:
        raise UnreadableData(
            f"A signature under key {box_key_id(box).hex()} failed authentication: the "
            f"{keyring.setting} with that id is not the one it was written with, or the data was altered."
        ) from None
    return plaintext.rstrip(b"\x00").decode()


def box_key_id(box: bytes) -> bytes:
    """The id of the key a box was sealed under (public; used to find rows to rotate)."""
    return bytes(box[KEY_ID_AT])


def _unreadable_reason(box: bytes, keyring: Keyring) -> str:
    if box[:1] != VERSION:
        return "A signature's personal data is in an unknown format."
    return missing_key_message(keyring, {box_key_id(box)})


def missing_key_message(keyring: Keyring, missing: set[bytes]) -> str:
    """What an operator needs to know when stored rows name keys that are not configured."""
    names = ", ".join(sorted(kid.hex() for kid in missing))
    have = ", ".join(kid.hex() for kid in keyring.ids)
    return (
        f"Some signatures were written with {keyring.setting} id {names}, which is not configured "
        f"(configured: {have}). Put that key back into {keyring.setting}, after the current one; "
        "see 'Encryption keys' in the README."
    )


def blind_index(email: str, key: bytes, kid: bytes | None = None) -> bytes:
    """The keyed hash that stands for a mailbox; the key id in front says which key made it."""
    digest = hmac.digest(key, mailbox_key(email).encode(), hashlib.sha256)
    return (kid or key_id(key)) + digest


def blind_indexes(email: str, keyring: Keyring | None = None) -> list[bytes]:
    """The mailbox's index under every configured key, current first (old rows may use any)."""
    keyring = keyring or blind_keyring()
    return [blind_index(email, key, kid) for kid, key in keyring.by_id.items()]
