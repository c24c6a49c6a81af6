"""Who may do what: the one place to read it.

Routes, view checks and templates ask for a Permission, never for a role; roles are names for
sets of permissions (ROLE_PERMISSIONS), as warehouse keeps them. Every admin is at least a
viewer; an owner holds every permission. tests/test_roles.py walks every admin URL with every
role from this map.
"""

from enum import StrEnum

from campaign_site.models import AdminUser


class Permission(StrEnum):
    """Something an admin may do; the value is what templates name."""

    VIEW_DASHBOARD = "view_dashboard"  # counts, charts, updates, the pack without names
    PAUSE_SIGNING = "pause_signing"
    EDIT_NOTICE = "edit_notice"
    EDIT_CONTENT = "edit_content"  # the campaign's words: drafts, previews, publish, restore
    MANAGE_EVENTS = "manage_events"  # events, posters, QR codes
    MANAGE_PARTNERS = "manage_partners"
    ENTER_PAPER_COUNTS = "enter_paper_counts"
    FIGHT_FRAUD = "fight_fraud"  # trending, invalidation, the review queue
    WRITE_UPDATES = "write_updates"  # drafts, tests, cancel, copy
    SEND_UPDATES = "send_updates"
    EXPORT_PERSONAL_DATA = "export_personal_data"  # the CSV, the pack with names
    FIND_AND_ERASE = "find_and_erase"  # search by email, erasure
    APPROVE_EXPORTS = "approve_exports"
    MANAGE_ACCOUNTS = "manage_accounts"  # accounts, sessions
    READ_AUDIT = "read_audit"
    VIEW_SETTINGS = "view_settings"  # limits, thresholds, mail set-up: a bot's map, so not viewers
    MANAGE_ORGANISATIONS = "manage_organisations"  # approve or reject co-signing organisations


VIEWER, ORGANISER, EXPORTER, OWNER = "viewer", "organiser", "exporter", "owner"
ROLES = (VIEWER, ORGANISER, EXPORTER, OWNER)

_VIEW = frozenset({Permission.VIEW_DASHBOARD})
ROLE_PERMISSIONS: dict[str, frozenset[Permission]] = {
    VIEWER: _VIEW,
    ORGANISER: _VIEW
    | {
        Permission.PAUSE_SIGNING,
        Permission.EDIT_NOTICE,
        Permission.EDIT_CONTENT,
        Permission.MANAGE_EVENTS,
        Permission.MANAGE_PARTNERS,
        Permission.ENTER_PAPER_COUNTS,
        Permission.FIGHT_FRAUD,
        Permission.WRITE_UPDATES,
        Permission.SEND_UPDATES,
        Permission.VIEW_SETTINGS,
        Permission.MANAGE_ORGANISATIONS,
    },
    EXPORTER: _VIEW | {Permission.EXPORT_PERSONAL_DATA, Permission.FIND_AND_ERASE},
    OWNER: frozenset(Permission),
}


def roles_of(admin: AdminUser) -> set[str]:
    """The roles an admin holds; every admin is at least a viewer."""
    return {role for role in admin.roles.split(",") if role in ROLES} | {VIEWER}


def permissions_of(admin: AdminUser | None) -> frozenset[Permission]:
    """Everything the admin's roles allow (nothing for no admin)."""
    if admin is None:
        return frozenset()
    return frozenset().union(*(ROLE_PERMISSIONS[role] for role in roles_of(admin)))


def may(admin: AdminUser | None, permission: Permission) -> bool:
    """Whether the admin may do this."""
    return Permission(permission) in permissions_of(admin)


def parse_roles(values: list[str]) -> str:
    """The column's text for roles given by name; unknown names raise ValueError."""
    unknown = [value for value in values if value not in ROLES]
    if unknown:
        raise ValueError(f"no such role: {', '.join(unknown)} (roles: {', '.join(ROLES)})")
    return ",".join(role for role in ROLES if role in values)
