"""Who is logged in to the admin area, kept in the signed session cookie.

Accounts lock for a while after repeated wrong passwords, and a session that has been
idle too long ends. Every failure gets the same answer, so nobody learns which admin
addresses exist or which are locked.
"""

import time

from flask import Response, current_app, g, request, session, url_for
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import select, update

from campaign_site.accounts.audit import act_as
from campaign_site.crypto.passwords import password_matches
from campaign_site.database import write_transaction
from campaign_site.extensions import db
from campaign_site.models import AdminUser
from campaign_site.text import normalize_admin_email
from campaign_site.web.rate_limits import login_lockout

SESSION_KEY = "admin_id"
SEEN_KEY = "admin_seen"
EPOCH_KEY = "admin_epoch"  # the admin's session_epoch at login: raising it ends the session
AUTH_KEY = "admin_auth_at"  # when the password (and code) were last given: re-authentication
PENDING_KEY = "admin_pending"  # the password was right; the second factor is still asked
PENDING_AT_KEY = "admin_pending_at"
PENDING_SECONDS = 300  # to type the code after the password


def authenticate(email: str, password: str) -> AdminUser | None:
    """The admin with these credentials, or None; the same work is done either way.

    Wrong passwords lock the account for the address they came from, and, past a higher
    count from everywhere, for every browser but the admin's known devices (web/rate_limits.py).
    """
    lockout, source = login_lockout(), request.remote_addr or "unknown"
    admin = db.session.scalar(
        select(AdminUser).where(AdminUser.email == normalize_admin_email(email))
    )
    locked = lockout.locked(email, source, known_device=is_known_device(admin))
    if admin is None or locked:
        password_matches(None, password)
    elif password_matches(admin.password_hash, password):
        lockout.clear(email, source)
        return admin
    if not locked:
        lockout.record_failure(email, source)
        current_app.logger.warning(
            "admin login failed for %s", f"account {admin.id}" if admin else "an unknown address"
        )
    return None


NO_SUCH_ACCOUNT = "(no such account)"


def audit_name(typed: str) -> str:
    """Who a failed login names in the audit log: the account's own address when the typed
    text names one, else a fixed word; never the typed text itself (anyone can type a
    sentence there, and an admin may type a password into the wrong field)."""
    account = db.session.scalar(
        select(AdminUser.email).where(AdminUser.email == normalize_admin_email(typed))
    )
    return account or NO_SUCH_ACCOUNT


DEVICE_COOKIE = "admin_device"
_DEVICE_SALT = "admin-known-device"


def _device_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_DEVICE_SALT)


def is_known_device(admin: AdminUser | None) -> bool:
    """Whether this browser logged in to this account before (a cookie we signed then)."""
    token = request.cookies.get(DEVICE_COOKIE)
    if admin is None or not token:
        return False
    try:
        admin_ids = _device_serializer().loads(
            token, max_age=current_app.config["ADMIN_DEVICE_DAYS"] * 86400
        )
    except BadSignature:
        return False
    return isinstance(admin_ids, list) and admin.id in admin_ids


def remember_device(response: Response, admin: AdminUser) -> Response:
    """Mark this browser as the admin's known device (it keeps access while guessers are locked out)."""
    response.set_cookie(
        DEVICE_COOKIE,
        _device_serializer().dumps([admin.id]),
        max_age=current_app.config["ADMIN_DEVICE_DAYS"] * 86400,
        path="/admin",
        secure=current_app.config.get("SESSION_COOKIE_SECURE", False),
        httponly=True,
        samesite="Strict",
    )
    return response


def log_in(admin: AdminUser) -> None:
    """Start a fresh session for the admin, dropping anything set before login."""
    session.clear()
    session[SESSION_KEY] = admin.id
    session[SEEN_KEY] = int(time.time())
    session[EPOCH_KEY] = admin.session_epoch
    session[AUTH_KEY] = int(time.time())


def begin_second_step(admin: AdminUser) -> None:
    """The password was right: remember whom the code is asked of, and nothing opens yet."""
    session.clear()
    session[PENDING_KEY] = admin.id
    session[PENDING_AT_KEY] = int(time.time())
    session[EPOCH_KEY] = admin.session_epoch


def pending_admin() -> AdminUser | None:
    """The admin whose password was just given, while the code is asked (five minutes)."""
    admin_id = session.get(PENDING_KEY)
    if admin_id is None or time.time() - session.get(PENDING_AT_KEY, 0) > PENDING_SECONDS:
        return None
    admin = db.session.get(AdminUser, admin_id)
    return admin if admin is not None and session.get(EPOCH_KEY) == admin.session_epoch else None


def authenticated_recently() -> bool:
    """Whether the password (and code) were given within ADMIN_REAUTH_MINUTES."""
    minutes = current_app.config["ADMIN_REAUTH_MINUTES"]
    return time.time() - session.get(AUTH_KEY, 0) <= minutes * 60


def mark_reauthenticated() -> None:
    session[AUTH_KEY] = int(time.time())


def log_out() -> None:
    """Forget the admin entirely."""
    session.clear()


def current_admin() -> AdminUser | None:
    """The logged-in admin for this request, looked up once; idle sessions end here."""
    if "admin" not in g:
        g.admin = _admin_from_session()
        if g.admin is not None:
            act_as(g.admin.email)
    return g.admin


def _admin_from_session() -> AdminUser | None:
    admin_id = session.get(SESSION_KEY)
    if admin_id is None:
        return None
    idle_limit = current_app.config["ADMIN_IDLE_MINUTES"] * 60
    if time.time() - session.get(SEEN_KEY, 0) > idle_limit:
        log_out()
        return None
    admin = db.session.get(AdminUser, admin_id)
    if admin is None or session.get(EPOCH_KEY) != admin.session_epoch:
        log_out()  # logged out elsewhere, or the password or roles changed: ended for good
        return None
    session[SEEN_KEY] = int(time.time())
    return admin


def end_sessions(admin: AdminUser) -> None:
    """End every session of this admin, this one and copies of its cookie included: the
    signed cookie alone no longer opens anything (called at logout)."""
    with write_transaction(db.session):
        db.session.execute(
            update(AdminUser)
            .where(AdminUser.id == admin.id)
            .values(session_epoch=AdminUser.session_epoch + 1)
        )


def safe_next(target: str | None) -> str:
    """Only return to admin pages of this site after login, never to another host."""
    if target and target.startswith("/admin") and target.isprintable() and "\\" not in target:
        return target
    return url_for("admin.dashboard")
