"""Who a supporter is, stored only as ciphertext: one AES-GCM box per signature.

seal() and open_box() are the only ways in and out; the byte layout is in box_format.py,
which nothing outside crypto/ reads. Everyone else handles a Person.
"""

import json
import os
from typing import NamedTuple

from cryptography.exceptions import InvalidTag

from campaign_site.crypto import box_format as layout
from campaign_site.crypto.keyrings import Keyring, data_keyring

# Private names, so that nothing can import the layout from here (an import contract bans
# box_format outside crypto/; tests/test_architecture.py checks this module re-exports none).
_VERSION, _VERSION_1, _KEY_ID_AT, _NONCE_AT, _HEADER = (
    layout.VERSION,
    layout.VERSION_1,
    layout.KEY_ID_AT,
    layout.NONCE_AT,
    layout.HEADER_BYTES,
)
_NONCE_BYTES, _PAD_TO, _AAD, _AAD_1 = (
    layout.NONCE_BYTES,
    layout.PAD_TO,
    layout.ASSOCIATED_DATA_2,
    layout.ASSOCIATED_DATA,
)
_SEPARATOR_1, _LEGACY_FIELDS_1 = layout.SEPARATOR, layout.LEGACY_FIELDS


class UnreadableData(Exception):
    """A box that the configured keys cannot open: the message says which key is missing."""


class Person(NamedTuple):
    """The identifying part of a signature, decrypted (a NamedTuple: the export makes one per
    row, and a frozen dataclass took three times as long to build).

    A new personal field is a new field here, with a default for boxes sealed before it.

    given_name is the only part ever shown publicly or used in a greeting; it is empty for
    signatures from before it was asked for (their one name field is kept as family_name),
    so nothing the supporter did not choose to show is ever published. postcode_city is
    None when none was given.
    """

    given_name: str
    family_name: str
    email: str
    postcode_city: str | None = None


_FIELDS = Person._fields


def seal(person: Person, keyring: Keyring | None = None) -> bytes:
    """Encrypt a person under the current data key (a version 2 box: fields by name)."""
    keyring = keyring or data_keyring()
    if any("\x00" in field for field in person if isinstance(field, str)):
        raise ValueError("personal data must be cleaned (no control characters) before sealing")
    plaintext = json.dumps(person._asdict(), ensure_ascii=False, separators=(",", ":")).encode()
    plaintext += b"\x00" * (-len(plaintext) % _PAD_TO)
    header = _VERSION + keyring.current_id + os.urandom(_NONCE_BYTES)
    ciphertext = keyring.ciphers[keyring.current_id].encrypt(
        header[_NONCE_AT], plaintext, _AAD + header
    )
    return header + ciphertext


def open_box(box: bytes, keyring: Keyring | None = None) -> Person:
    """Decrypt a box sealed under any key of the keyring (UnreadableData says which key is
    missing)."""
    given_name, family_name, email, postcode_city = person_fields(box, keyring or data_keyring())
    return Person(given_name, family_name, email, postcode_city or None)


def person_fields(box: bytes, keyring: Keyring) -> list[str]:
    """A Person's fields in order, as plain strings ('' for none): for the export, which
    opens a million boxes and would spend a sixth of its Python time building Persons."""
    cipher = keyring.ciphers.get(box[_KEY_ID_AT])
    version = box[:1]
    if cipher is None or version not in (_VERSION, _VERSION_1):
        raise UnreadableData(_unreadable_reason(box, keyring))
    aad = _AAD + bytes(box[:_HEADER]) if version == _VERSION else _AAD_1
    try:
        plaintext = cipher.decrypt(box[_NONCE_AT], box[_HEADER:], aad).rstrip(b"\x00")
    except InvalidTag:
        raise UnreadableData(
            f"A signature under key {box_key_id(box).hex()} failed authentication: the "
            f"{keyring.setting} with that id is not the one it was written with, or the data was altered."
        ) from None
    if version == _VERSION_1:
        return _fields_of_version_1(plaintext)
    named = json.loads(plaintext)
    return [named.get(name) or "" for name in _FIELDS]


def _fields_of_version_1(plaintext: bytes) -> list[str]:
    fields = plaintext.decode().split(_SEPARATOR_1)
    if len(fields) == _LEGACY_FIELDS_1:  # [name, email, place]: the given name cannot be known
        fields.insert(0, "")
    return fields


def box_key_id(box: bytes) -> bytes:
    """The id of the key a box was sealed under (public; used to find rows to rotate)."""
    return bytes(box[_KEY_ID_AT])


def _unreadable_reason(box: bytes, keyring: Keyring) -> str:
    if box[:1] not in (_VERSION, _VERSION_1):
        return "A signature's personal data is in an unknown format."
    return missing_key_message(keyring, {box_key_id(box)})


def missing_key_message(keyring: Keyring, missing: set[bytes]) -> str:
    """What an operator needs to know when stored rows name keys that are not configured."""
    names = ", ".join(sorted(kid.hex() for kid in missing))
    have = ", ".join(kid.hex() for kid in keyring.ids)
    return (
        f"Some signatures were written with {keyring.setting} id {names}, which is not configured "
        f"(configured: {have}). Put that key back into {keyring.setting}, after the current one; "
        "see 'Encryption keys' in docs/security.md."
    )
