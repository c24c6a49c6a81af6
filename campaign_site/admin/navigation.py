"""The admin menu: the same on every admin page, showing only what the admin's permissions
let them use. A new admin page is one MenuItem here (label, endpoint, permission)."""

from typing import NamedTuple

from flask import request, url_for

from campaign_site.accounts.permissions import Permission, may
from campaign_site.admin import bp
from campaign_site.admin.auth import current_admin
from campaign_site.petition import signing_state


class MenuItem(NamedTuple):
    label: str
    endpoint: str
    permission: Permission


MENU = (
    MenuItem("Dashboard", "admin.dashboard", Permission.VIEW_DASHBOARD),
    MenuItem("Signatures", "admin.signatures", Permission.VIEW_DASHBOARD),
    MenuItem("Export", "admin.export", Permission.VIEW_DASHBOARD),
    MenuItem("Content", "admin.content", Permission.EDIT_CONTENT),
    MenuItem("Launch", "admin.launch", Permission.VIEW_DASHBOARD),
    MenuItem("Events", "admin.event_list", Permission.MANAGE_EVENTS),
    MenuItem("Partners", "admin.partners", Permission.MANAGE_PARTNERS),
    MenuItem("Organisations", "admin.organisations", Permission.MANAGE_ORGANISATIONS),
    MenuItem("Updates", "admin.update_list", Permission.VIEW_DASHBOARD),
    MenuItem("The answer", "admin.petition_response", Permission.EDIT_CONTENT),
    MenuItem("Fraud and review", "admin.fraud", Permission.FIGHT_FRAUD),
    MenuItem("Delivery", "admin.delivery_pack", Permission.VIEW_DASHBOARD),
    MenuItem("Export approvals", "admin.export_requests", Permission.APPROVE_EXPORTS),
    MenuItem("Accounts", "admin.accounts", Permission.MANAGE_ACCOUNTS),
    MenuItem("Audit log", "admin.audit_log", Permission.READ_AUDIT),
    MenuItem("Settings", "admin.settings", Permission.VIEW_SETTINGS),
    MenuItem("Help", "admin.help_page", Permission.VIEW_DASHBOARD),
)


class ShownItem(NamedTuple):
    label: str
    url: str
    current: bool


def menu_for_this_request() -> list[ShownItem]:
    """The menu items the logged-in admin may use (none before login)."""
    admin = current_admin()
    return [
        ShownItem(item.label, url_for(item.endpoint), request.endpoint == item.endpoint)
        for item in MENU
        if may(admin, item.permission)
    ]


@bp.context_processor
def admin_menu() -> dict[str, list[ShownItem]]:
    """Every admin page's layout shows the menu (admin/_layout.html)."""
    return {"admin_menu": menu_for_this_request() if request.endpoint else []}


@bp.context_processor
def signing_pause() -> dict[str, signing_state.Pause | None]:
    """Every admin page after login says, at the top, that signing is paused: since when,
    by whom and why (admin/_layout.html). Read fresh: another worker may have paused."""
    shown = request.endpoint and current_admin() is not None
    return {"signing_pause": signing_state.current_pause() if shown else None}
