"""The byte layout of a sealed box; only crypto/ reads it (an import contract says so).

A box is  version (1 byte) | key id (4) | nonce (12) | AES-256-GCM ciphertext and tag.
The plaintext is the given name, the family name, the email as typed and the
postcode/city joined by a unit separator (form input can hold no control character:
text.clean_text turns them into spaces), padded with NULs to a multiple of 32 bytes so its
length says little about the name inside. Boxes sealed before names were asked for in two
fields hold three fields: one name, the email, the place.
"""

from campaign_site.crypto.keyrings import KEY_ID_BYTES

VERSION = b"\x01"
NONCE_BYTES = 12
KEY_ID_AT = slice(len(VERSION), len(VERSION) + KEY_ID_BYTES)
NONCE_AT = slice(KEY_ID_AT.stop, KEY_ID_AT.stop + NONCE_BYTES)
HEADER_BYTES = NONCE_AT.stop
SEPARATOR = "\x1f"
PAD_TO = 32
LEGACY_FIELDS = 3  # name, email, postcode/city: boxes sealed before given and family names
# Binds every box to this use: a box cannot be passed off as some other encrypted value.
ASSOCIATED_DATA = b"campaign_site signature personal data v1"
