"""The two secret keyrings that guard supporters' data: encryption and blind index.

Each setting holds one or more keys, the current one first and older ones after it, so
rows written under an older key stay readable until `flask rotate-keys` has moved them:

    DATA_ENCRYPTION_KEY="<new key>,<old key>"      or  DATA_ENCRYPTION_KEY_FILE=/path
    BLIND_INDEX_KEY="<key>"                         or  BLIND_INDEX_KEY_FILE=/path

A key is 32 random bytes in URL-safe base64 (`flask generate-key` prints one). Production
refuses to start without both; development creates them once under instance/.
"""

import base64
import binascii
import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from flask import Flask, current_app

KEY_BYTES = 32
KEY_ID_BYTES = 4
DATA_KEY = "DATA_ENCRYPTION_KEY"
BLIND_KEY = "BLIND_INDEX_KEY"
DEV_KEY_FILES = {DATA_KEY: "data-encryption.key", BLIND_KEY: "blind-index.key"}


class KeyConfigError(RuntimeError):
    """A key setting is missing or malformed; the message says how to fix it."""


def new_key() -> str:
    """A fresh key in the form the settings take."""
    return base64.urlsafe_b64encode(secrets.token_bytes(KEY_BYTES)).decode()


def key_id(key: bytes) -> bytes:
    """A short public name for a key, stored beside what it protects (reveals nothing of it)."""
    return hmac.digest(key, b"campaign_site key id", hashlib.sha256)[:KEY_ID_BYTES]


@dataclass(frozen=True)
class Keyring:
    """Keys of one kind, current first; any of them may have written a stored row."""

    setting: str
    keys: tuple[bytes, ...]

    @property
    def current(self) -> bytes:
        return self.keys[0]

    # Cached: the export asks once per row, and each id is an HMAC.
    @cached_property
    def current_id(self) -> bytes:
        return key_id(self.current)

    @cached_property
    def ids(self) -> tuple[bytes, ...]:
        return tuple(key_id(key) for key in self.keys)

    @cached_property
    def by_id(self) -> dict[bytes, bytes]:
        return {key_id(key): key for key in self.keys}

    @cached_property
    def ciphers(self) -> dict[bytes, AESGCM]:
        """A ready AES-GCM cipher per key id: the export opens a million boxes."""
        return {kid: AESGCM(key) for kid, key in self.by_id.items()}


def parse_keys(setting: str, text: str) -> tuple[bytes, ...]:
    """Keys separated by commas or new lines; '#' starts a comment line in a key file."""
    keys = []
    for line in text.splitlines():
        if line.strip().startswith("#"):
            continue
        for item in line.split(","):
            if item.strip():
                keys.append(_decode_key(setting, item.strip()))
    if not keys:
        raise KeyConfigError(f"{setting} holds no key. Generate one with `flask generate-key`.")
    return tuple(keys)


def _decode_key(setting: str, text: str) -> bytes:
    try:
        key = base64.urlsafe_b64decode(text.encode("ascii"))
    except (binascii.Error, UnicodeEncodeError, ValueError):
        key = b""
    if len(key) != KEY_BYTES:
        raise KeyConfigError(
            f"{setting} has a value that is not a key: expected {KEY_BYTES} bytes in URL-safe "
            "base64 (44 characters). Generate one with `flask generate-key`."
        )
    return key


def load_keyrings(app: Flask) -> None:
    """Read both keyrings at start-up, so a missing or bad key stops the app at once."""
    keyrings = {setting: _keyring(app, setting) for setting in (DATA_KEY, BLIND_KEY)}
    if set(keyrings[DATA_KEY].keys) & set(keyrings[BLIND_KEY].keys):
        raise KeyConfigError(f"{DATA_KEY} and {BLIND_KEY} must be different keys.")
    app.extensions["keyrings"] = keyrings


def data_keyring() -> Keyring:
    keyring: Keyring = current_app.extensions["keyrings"][DATA_KEY]
    return keyring


def blind_keyring() -> Keyring:
    keyring: Keyring = current_app.extensions["keyrings"][BLIND_KEY]
    return keyring


def _keyring(app: Flask, setting: str) -> Keyring:
    """From the setting itself, else the file it names, else (development only) instance/."""
    value = app.config.get(setting)
    path = app.config.get(f"{setting}_FILE")
    if value:
        return Keyring(setting, parse_keys(setting, value))
    if path:
        return Keyring(
            setting, parse_keys(f"{setting}_FILE ({path})", _read_key_file(setting, Path(path)))
        )
    if app.config.get("PRODUCTION") or app.config.get("TESTING"):
        raise KeyConfigError(
            f"{setting} (or {setting}_FILE) must be set: supporters' data cannot be stored "
            "without it. See 'Encryption keys' in docs/security.md."
        )
    dev_path = Path(app.instance_path) / DEV_KEY_FILES[setting]
    return Keyring(setting, parse_keys(str(dev_path), _dev_key_file(app, setting, dev_path)))


def _read_key_file(setting: str, path: Path) -> str:
    try:
        return path.read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError) as error:
        raise KeyConfigError(f"{setting}_FILE cannot be read: {error}") from None


def _dev_key_file(app: Flask, setting: str, path: Path) -> str:
    """The development key, created once with owner-only permissions.

    Written to a private temporary file and linked into place, so two processes starting
    together (server and mail worker) end up with the same key, never a half-written one.
    """
    if path.exists():
        return path.read_text(encoding="ascii")
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="ascii") as file:
        file.write(f"# {setting} for development, made {date.today()}.\n")
        file.write("# Back it up, apart from the database.\n")
        file.write(new_key() + "\n")
    try:
        os.link(temporary, path)
        app.logger.warning(
            "Created %s at %s (owner-only). Without it the signatures in this database cannot "
            "be read or matched: back it up, apart from the database.",
            setting,
            path,
        )
    except FileExistsError:
        pass  # another process made it first; use theirs
    finally:
        temporary.unlink()
    return path.read_text(encoding="ascii")
