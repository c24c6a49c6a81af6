"""Least privilege: every admin route states the permission it needs, and every admin URL is
walked with every role, expecting what accounts/permissions.py's map grants; create-admin's
--role; sessions that end on the server."""

import re
from datetime import date

import pytest
from support import csrf_token_from, log_in, sign

from campaign_site.accounts.permissions import (
    EXPORTER,
    ORGANISER,
    OWNER,
    ROLE_PERMISSIONS,
    ROLES,
    VIEWER,
    Permission,
)
from campaign_site.extensions import db
from campaign_site.models import AdminUser, CampaignUpdate, CampaignUpdateText, Event, Signature

PASSWORD = "correct horse battery staple"
PUBLIC_STEPS = {"admin.login", "admin.login_code"}  # before anyone is logged in


def create_admin(app, email: str, *roles: str, password: str = PASSWORD):
    args = ["create-admin", email, *[f"--role={role}" for role in roles]]
    return app.test_cli_runner().invoke(args=args, input=password + "\n")


def logged_in(app, email: str):
    client = app.test_client()
    assert log_in(client, email, PASSWORD).status_code == 303
    return client


def admin_urls(app) -> list[tuple[str, str, str]]:
    """(method, URL, endpoint) for every admin route, URL variables filled with real rows."""
    with app.app_context():
        event = Event(code="ev-roles1", title="T", city="C", starts_on=date.today())
        draft = CampaignUpdate(written_by="owner@example.org")
        db.session.add_all([event, draft])
        db.session.flush()
        db.session.add(CampaignUpdateText(update_id=draft.id, language="en", subject="S", body="B"))
        db.session.commit()
        signature_id = db.session.scalars(db.select(Signature.id)).first()
        values = {
            "event_id": event.id,
            "signature_id": signature_id,
            "update_id": draft.id,
            "language": "de",
            "version_id": 1,
            "organisation_id": 1,  # none: a 404 for those allowed, a 403 for the others
        }
    urls = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("admin.") or rule.endpoint in PUBLIC_STEPS:
            continue
        url = rule.build({name: values[name] for name in rule.arguments})[1]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            urls.append((method, url, rule.endpoint))
    return urls


def test_every_admin_route_states_its_permission(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("admin.") and rule.endpoint not in PUBLIC_STEPS:
            view = app.view_functions[rule.endpoint]
            assert isinstance(getattr(view, "required_permission", None), Permission), rule.endpoint


def test_every_permission_is_needed_somewhere_and_owners_hold_them_all(app):
    needed = {
        getattr(app.view_functions[rule.endpoint], "required_permission", None)
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("admin.")
    }
    assert set(Permission) <= needed
    assert ROLE_PERMISSIONS[OWNER] == set(Permission)
    assert all(Permission.VIEW_DASHBOARD in ROLE_PERMISSIONS[role] for role in ROLES)


@pytest.mark.parametrize("role", ROLES)
def test_every_admin_url_with_every_role(app, role):
    sign(app.test_client())
    assert create_admin(app, f"{role}@example.org", role).exit_code == 0
    client = logged_in(app, f"{role}@example.org")
    token = csrf_token_from(client.get("/admin/").get_data(as_text=True))
    held = ROLE_PERMISSIONS[role]
    checked = 0
    for method, url, endpoint in admin_urls(app):
        if endpoint == "admin.logout":
            continue  # it would end this walk; tested below
        required = app.view_functions[endpoint].required_permission
        response = client.open(url, method=method, data={"csrf_token": token})
        if required in held:
            assert response.status_code not in (302, 403), (role, method, url)
        else:
            assert response.status_code == 403, (role, method, url, response.status_code)
        checked += 1
    assert checked >= 15


def test_names_in_the_delivery_pack_need_the_exporter_role(app):
    create_admin(app, "viewer@example.org", VIEWER)
    viewer = logged_in(app, "viewer@example.org")
    assert viewer.get("/admin/delivery").status_code == 200
    assert "Include the given names" not in viewer.get("/admin/delivery").get_data(as_text=True)
    assert viewer.get("/admin/delivery?names=yes").status_code == 403


def test_a_viewer_sees_no_control_they_may_not_use(app):
    create_admin(app, "viewer@example.org", VIEWER)
    viewer = logged_in(app, "viewer@example.org")
    html = viewer.get("/admin/").get_data(as_text=True) + viewer.get("/admin/export").text
    for control in ("Pause signing now", "/admin/signatures.csv", "/admin/find", "/admin/notice"):
        assert control not in html
    create_admin(app, "both@example.org", ORGANISER, EXPORTER)
    both = logged_in(app, "both@example.org")
    assert "Pause signing now" in both.get("/admin/").get_data(as_text=True)
    assert "/admin/signatures.csv" in both.get("/admin/export").get_data(as_text=True)


def roles_of(app, email: str) -> str:
    with app.app_context():
        return db.session.scalar(db.select(AdminUser.roles).where(AdminUser.email == email))


def test_create_admin_makes_owners_by_default_and_changes_roles_only_when_asked(app):
    result = create_admin(app, "first@example.org")
    assert result.exit_code == 0 and "roles: owner" in result.output
    create_admin(app, "second@example.org", EXPORTER, ORGANISER)
    assert roles_of(app, "second@example.org") == "organiser,exporter"
    create_admin(app, "second@example.org", password="a brand new passphrase")  # no --role
    assert roles_of(app, "second@example.org") == "organiser,exporter"


def test_a_role_that_does_not_exist_is_refused_and_nothing_changes(app):
    create_admin(app, "first@example.org")
    result = create_admin(app, "first@example.org", "superuser")
    assert result.exit_code != 0 and "no such role: superuser" in result.output
    assert roles_of(app, "first@example.org") == "owner"


def test_the_last_owner_cannot_be_demoted(app):
    create_admin(app, "owner@example.org")
    result = create_admin(app, "owner@example.org", VIEWER)
    assert result.exit_code != 0 and "last owner" in result.output
    assert roles_of(app, "owner@example.org") == "owner"
    create_admin(app, "other@example.org", OWNER)
    assert create_admin(app, "owner@example.org", VIEWER).exit_code == 0
    assert roles_of(app, "owner@example.org") == "viewer"


def test_a_copied_cookie_opens_nothing_after_logout(app):
    create_admin(app, "owner@example.org")
    client = logged_in(app, "owner@example.org")
    copy = app.test_client()
    cookie = client.get_cookie("session")
    copy.set_cookie(cookie.key, cookie.value, domain=cookie.domain, path=cookie.path)
    assert copy.get("/admin/").status_code == 200  # the copy works while the session lives
    token = csrf_token_from(client.get("/admin/").get_data(as_text=True))
    assert client.post("/admin/logout", data={"csrf_token": token}).status_code == 303
    assert copy.get("/admin/").status_code == 302
    assert copy.get("/admin/signatures.csv").status_code == 302


def test_a_new_password_or_new_roles_end_every_session(app):
    create_admin(app, "owner@example.org")
    create_admin(app, "editor@example.org", ORGANISER)
    session = logged_in(app, "editor@example.org")
    assert session.get("/admin/").status_code == 200
    create_admin(app, "editor@example.org", ORGANISER, EXPORTER)  # on the server
    assert session.get("/admin/").status_code == 302
    assert re.search(r"/admin/login", session.get("/admin/").headers["Location"])


def menu_labels(html: str) -> list[str]:
    menu = re.search(r'<nav class="admin-menu".*?</nav>', html, re.S)
    return re.findall(r"<a [^>]*>([^<]+)</a>", menu.group(0)) if menu else []


@pytest.mark.parametrize("role", ROLES)
def test_every_admin_page_has_the_menu_of_what_the_role_may_use(app, role):
    from campaign_site.admin.navigation import MENU

    assert create_admin(app, f"{role}@example.org", role).exit_code == 0
    client = logged_in(app, f"{role}@example.org")
    expected = [item.label for item in MENU if item.permission in ROLE_PERMISSIONS[role]]
    for item in MENU:
        if item.permission in ROLE_PERMISSIONS[role]:
            page = client.get(
                app.test_request_context().app.url_map.bind("localhost").build(item.endpoint)
            )
            assert page.status_code == 200, item
            assert menu_labels(page.text) == expected, item
    assert "Dashboard" in expected and ("Accounts" in expected) == (role == OWNER)
