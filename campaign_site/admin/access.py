"""Every admin route states the permission it needs with @requires(Permission.X); templates
ask `admin_can("...")`. Who holds which permission is accounts/permissions.py's map."""

from functools import wraps

from flask import abort, redirect, request, url_for

from campaign_site.accounts.permissions import Permission, may
from campaign_site.admin import bp
from campaign_site.admin.auth import authenticated_recently, current_admin


def requires(permission: Permission, fresh: bool = False):
    """Log in first (to the login page), then the permission (403 without it); with fresh,
    the password (and code) given within ADMIN_REAUTH_MINUTES, else asked again first."""

    def decorate(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            admin = current_admin()
            if admin is None:
                return redirect(url_for("admin.login", next=request.path))
            if not may(admin, permission):
                abort(403)
            if fresh and not authenticated_recently():
                return ask_again()
            return view(*args, **kwargs)

        wrapped.required_permission = permission  # type: ignore[attr-defined]
        return wrapped

    return decorate


def ask_again():
    """To the password (and code) page; a GET comes back to where it was, a POST to the
    dashboard (its form is sent again from there)."""
    target = (
        request.full_path.rstrip("?") if request.method == "GET" else url_for("admin.dashboard")
    )
    return redirect(url_for("admin.reauthenticate", next=target), code=303)


def admin_can(permission: str) -> bool:
    """Whether the logged-in admin may do this (an unknown name raises: a typo fails loudly)."""
    return may(current_admin(), Permission(permission))


@bp.app_template_global("admin_can")
def _admin_can_in_templates(permission: str) -> bool:
    """For templates: show only the controls the logged-in admin may use."""
    return admin_can(permission)
