"""The admins' second factor: TOTP (RFC 6238, pyotp) and single-use recovery codes.

Enrolment happens only on the server (`create-admin`), never on the web with a password
alone. A code is accepted for the current 30-second step or one step either side (clock
drift), and each step's code works once (totp_last_step). Recovery codes are random (80
bits), stored as SHA-256 hashes (their entropy makes a slow hash unnecessary), and each
works once.
"""

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass

import pyotp
from sqlalchemy import update

from campaign_site.crypto.admin_secrets import open_secret, seal_secret
from campaign_site.database import affected_rows, write_transaction
from campaign_site.extensions import db
from campaign_site.models import AdminUser

ISSUER = "Justice for Sergei Magnitsky"
RECOVERY_CODES = 10
STEP_SECONDS = 30


@dataclass(frozen=True)
class Enrolment:
    uri: str  # otpauth://totp/...: shown once, for an authenticator app (and as a QR code)
    recovery_codes: list[str]  # shown once


def enrol(admin: AdminUser) -> Enrolment:
    """A new secret and new recovery codes for the admin (the caller commits)."""
    secret = pyotp.random_base32()
    codes = [_new_recovery_code() for _ in range(RECOVERY_CODES)]
    admin.totp_secret = seal_secret(secret.encode())
    admin.totp_last_step = None
    admin.recovery_codes = " ".join(_hash(code) for code in codes)
    uri = pyotp.TOTP(secret).provisioning_uri(name=admin.email, issuer_name=ISSUER)
    return Enrolment(uri, codes)


def enrolled(admin: AdminUser) -> bool:
    return admin.totp_secret is not None


def accept_code(admin: AdminUser, code: str) -> bool:
    """Whether the code is the admin's current TOTP code (used now) or an unused recovery
    code (used up now). One conditional UPDATE each, so a code raced twice works once."""
    code = "".join(code.split()).lower()
    if not code or admin.totp_secret is None:
        return False
    if code.isdigit() and len(code) == 6:
        return _accept_totp(admin, code)
    return _accept_recovery_code(admin, code)


def _accept_totp(admin: AdminUser, code: str) -> bool:
    assert admin.totp_secret is not None
    totp = pyotp.TOTP(open_secret(admin.totp_secret).decode())
    now_step = int(time.time()) // STEP_SECONDS
    for step in (now_step - 1, now_step, now_step + 1):
        if hmac.compare_digest(totp.at(step * STEP_SECONDS), code):
            return _claim(
                admin,
                (AdminUser.totp_last_step.is_(None)) | (AdminUser.totp_last_step < step),
                totp_last_step=step,
            )
    return False


def _accept_recovery_code(admin: AdminUser, code: str) -> bool:
    hashes = admin.recovery_codes.split()
    digest = _hash(code)
    if not any(hmac.compare_digest(digest, stored) for stored in hashes):
        return False
    remaining = " ".join(stored for stored in hashes if stored != digest)
    return _claim(admin, AdminUser.recovery_codes == admin.recovery_codes, recovery_codes=remaining)


def _claim(admin: AdminUser, still_unused, **values) -> bool:
    with write_transaction(db.session):
        claimed = affected_rows(
            db.session.execute(
                update(AdminUser).where(AdminUser.id == admin.id, still_unused).values(**values)
            )
        )
    db.session.expire(admin)
    return bool(claimed)


def _new_recovery_code() -> str:
    raw = secrets.token_hex(10)  # 80 bits
    return "-".join(raw[i : i + 5] for i in range(0, 20, 5))


def _hash(code: str) -> str:
    return hashlib.sha256(code.replace("-", "").lower().encode()).hexdigest()
