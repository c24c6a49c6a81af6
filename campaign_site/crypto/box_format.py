"""The byte layout of a sealed box; only crypto/ reads it (an import contract says so).

A box is  version (1 byte) | key id (4) | nonce (12) | AES-256-GCM ciphertext and tag.

Version 2 (written today) is self-describing: the plaintext is a JSON object of a Person's
fields by name, so a new personal field is a new Person field and nothing else; boxes that
lack it open with its default. The header is authenticated with the ciphertext.

Version 1 (read only) holds the fields by position, joined by a unit separator: given name,
family name, email, postcode/city; or, sealed before names were asked for in two fields,
three (one name, the email, the place).

Either way the plaintext is padded with NULs to a multiple of 32 bytes, so its length says
little about the name inside.
"""

from campaign_site.crypto.keyrings import KEY_ID_BYTES

VERSION = b"\x02"
VERSION_1 = b"\x01"
NONCE_BYTES = 12
KEY_ID_AT = slice(len(VERSION), len(VERSION) + KEY_ID_BYTES)
NONCE_AT = slice(KEY_ID_AT.stop, KEY_ID_AT.stop + NONCE_BYTES)
HEADER_BYTES = NONCE_AT.stop
PAD_TO = 32
# Binds every box to this use: a box cannot be passed off as some other encrypted value.
# Version 2 appends the box's header (version, key id, nonce) to it.
ASSOCIATED_DATA = b"campaign_site signature personal data v1"
ASSOCIATED_DATA_2 = b"campaign_site signature personal data v2"
# Version 1 only.
SEPARATOR = "\x1f"
LEGACY_FIELDS = 3  # name, email, postcode/city: boxes sealed before given and family names
