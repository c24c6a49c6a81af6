"""Admin passwords: scrypt hashes (werkzeug's), checked with the same work for unknown accounts."""

from functools import cache

from flask import current_app
from werkzeug.security import check_password_hash, generate_password_hash


def hash_password(password: str) -> str:
    """A salted hash with PASSWORD_HASH_METHOD (scrypt; only the test settings choose cheaper)."""
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


def password_matches(stored_hash: str | None, password: str) -> bool:
    """Whether password is the one hashed; with no hash (unknown account) the same work is
    done against a dummy, so a wrong email costs as long as a wrong password."""
    if stored_hash is None:
        check_password_hash(_dummy_hash(current_app.config["PASSWORD_HASH_METHOD"]), password)
        return False
    return check_password_hash(stored_hash, password)


def prepare(method: str) -> None:
    """Make the dummy hash when the app starts, so the first unknown-account login of a
    worker costs no more than the next (a one-off extra hash would tell)."""
    _dummy_hash(method)


@cache
def _dummy_hash(method: str) -> str:
    return generate_password_hash("not-a-real-password", method=method)
