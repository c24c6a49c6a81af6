"""Who is logged in to the admin area, kept in the signed session cookie."""

from functools import wraps

from flask import g, redirect, request, session, url_for
from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from ..extensions import db
from ..models import AdminUser

SESSION_KEY = "admin_id"
# Checked against when the email is unknown, so a wrong email costs as long as a wrong password.
_DUMMY_HASH = generate_password_hash("not-a-real-password")


def normalize_admin_email(email: str) -> str:
    """Admin logins ignore letter case and surrounding spaces."""
    return email.strip().casefold()


def authenticate(email: str, password: str) -> AdminUser | None:
    """The admin with these credentials, or None; the same work is done either way."""
    admin = db.session.scalar(
        select(AdminUser).where(AdminUser.email == normalize_admin_email(email))
    )
    if admin is None:
        check_password_hash(_DUMMY_HASH, password)
        return None
    return admin if check_password_hash(admin.password_hash, password) else None


def log_in(admin: AdminUser) -> None:
    """Start a fresh session for the admin, dropping anything set before login."""
    session.clear()
    session[SESSION_KEY] = admin.id


def log_out() -> None:
    """Forget the admin entirely."""
    session.clear()


def current_admin() -> AdminUser | None:
    """The logged-in admin for this request, looked up once."""
    if "admin" not in g:
        admin_id = session.get(SESSION_KEY)
        g.admin = db.session.get(AdminUser, admin_id) if admin_id is not None else None
    return g.admin


def login_required(view):
    """Send anyone who is not a logged-in admin to the login page."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if current_admin() is None:
            return redirect(url_for("admin.login", next=request.path))
        return view(*args, **kwargs)

    return wrapped


def safe_next(target: str | None) -> str:
    """Only return to admin pages of this site after login, never to another host."""
    if target and target.startswith("/admin") and not target.startswith("//"):
        return target
    return url_for("admin.dashboard")
