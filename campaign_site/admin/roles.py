"""What each admin may do (least privilege). Every admin route states its role with
@requires(ROLE); tests/test_roles.py walks every admin URL with every role.

- viewer: the dashboard, counts and charts, the delivery pack without names
- organiser: pausing signing, the site notice, events and posters, partners, paper counts
- exporter: the CSV, the delivery pack with names, search by email, erasure
- owner: accounts and roles (the CLI today), and everything the other roles may do

Every admin is at least a viewer.
"""

from functools import wraps

from flask import abort, redirect, request, url_for

from campaign_site.admin import bp
from campaign_site.admin.auth import authenticated_recently, current_admin
from campaign_site.models import AdminUser

VIEWER, ORGANISER, EXPORTER, OWNER = "viewer", "organiser", "exporter", "owner"
ROLES = (VIEWER, ORGANISER, EXPORTER, OWNER)


def roles_of(admin: AdminUser) -> set[str]:
    return {role for role in admin.roles.split(",") if role in ROLES} | {VIEWER}


def may(admin: AdminUser | None, role: str) -> bool:
    """Whether the admin holds the role (owners hold every role)."""
    if admin is None:
        return False
    held = roles_of(admin)
    return role in held or OWNER in held


def requires(role: str, fresh: bool = False):
    """Log in first (to the login page), then the role (403 without it); with fresh, the
    password (and code) given within ADMIN_REAUTH_MINUTES, else asked again first."""

    def decorate(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            admin = current_admin()
            if admin is None:
                return redirect(url_for("admin.login", next=request.path))
            if not may(admin, role):
                abort(403)
            if fresh and not authenticated_recently():
                return ask_again()
            return view(*args, **kwargs)

        wrapped.required_role = role  # type: ignore[attr-defined]
        return wrapped

    return decorate


def ask_again():
    """To the password (and code) page; a GET comes back to where it was, a POST to the
    dashboard (its form is sent again from there)."""
    target = (
        request.full_path.rstrip("?") if request.method == "GET" else url_for("admin.dashboard")
    )
    return redirect(url_for("admin.reauthenticate", next=target), code=303)


def parse_roles(values: list[str]) -> str:
    """The column's text for roles given by name; unknown names raise ValueError."""
    unknown = [value for value in values if value not in ROLES]
    if unknown:
        raise ValueError(f"no such role: {', '.join(unknown)} (roles: {', '.join(ROLES)})")
    return ",".join(role for role in ROLES if role in values)


@bp.app_template_global()
def admin_may(role: str) -> bool:
    """For templates: show only the controls the logged-in admin may use."""
    return may(current_admin(), role)
