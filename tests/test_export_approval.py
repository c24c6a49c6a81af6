"""Nobody exports in silence: every export of personal data is emailed to every owner and
shown on the dashboard; with EXPORT_APPROVAL_REQUIRED a second owner approves each run."""

import email
import email.policy
from pathlib import Path

import pytest
from support import confirm_pending, csrf_token_from, log_in, sign

from campaign_site.extensions import db
from campaign_site.models import ExportRequest

PASSWORD = "correct horse battery staple"


def create_admin(app, address: str, *roles: str) -> None:
    args = ["create-admin", address, *[f"--role={role}" for role in roles]]
    result = app.test_cli_runner().invoke(args=args, input=PASSWORD + "\n")
    assert result.exit_code == 0, result.output


def logged_in(app, address: str):
    client = app.test_client()
    assert log_in(client, address, PASSWORD).status_code == 303
    return client


def token(client) -> str:
    return csrf_token_from(client.get("/admin/").get_data(as_text=True))


def mails(folder: Path) -> list[email.message.EmailMessage]:
    return [
        email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        for path in sorted(folder.glob("*.eml"))
    ]


def campaign(app_factory, tmp_path, approval: bool):
    """Two owners, an exporter and one confirmed supporter; alerts in tmp_path/mail."""
    app = app_factory(MAIL_OUTBOX_DIR=str(tmp_path / "mail"), EXPORT_APPROVAL_REQUIRED=approval)
    create_admin(app, "owner1@example.org")
    create_admin(app, "owner2@example.org")
    create_admin(app, "exporter@example.org", "exporter")
    supporter = app.test_client()
    sign(supporter, given_name="Ada", family_name="Lovelace", email="ada@example.org")
    confirm_pending(app, supporter)
    return app


def test_every_export_is_emailed_to_every_owner_and_shown_on_the_dashboard(app_factory, tmp_path):
    app = campaign(app_factory, tmp_path, approval=False)
    exporter = logged_in(app, "exporter@example.org")
    response = exporter.get("/admin/signatures.csv?status=confirmed")
    assert response.status_code == 200 and b"ada@example.org" in response.get_data()
    sent = mails(tmp_path / "mail")
    assert sorted(message["To"] for message in sent) == [
        "exporter@example.org",
        "owner1@example.org",
        "owner2@example.org",
    ]
    body = sent[0].get_content()
    assert "Export of personal data by exporter@example.org" in sent[0]["Subject"]
    assert "exporter@example.org is exporting" in body
    assert "the CSV of confirmed signatures" in body and "Rows: 1 at the start" in body
    assert "UTC" in body and "/admin/audit" in body
    for personal in ("ada@example.org", "Ada", "Lovelace"):
        assert personal not in body
    export_page = logged_in(app, "owner1@example.org").get("/admin/export").text
    section = export_page.split("Recent exports of personal data", 1)[1]
    assert "exporter@example.org" in section and "csv:confirmed" in section


def test_the_delivery_pack_with_names_is_emailed_to_the_owners(app_factory, tmp_path):
    app = campaign(app_factory, tmp_path, approval=False)
    assert (
        logged_in(app, "exporter@example.org").get("/admin/delivery?names=yes").status_code == 200
    )
    body = mails(tmp_path / "mail")[0].get_content()
    assert "the delivery pack with supporters' names" in body and "Rows: 0 at the start" in body


def test_an_unreachable_mail_server_never_stops_the_export(app_factory, tmp_path):
    app = app_factory(MAIL_SMTP_HOST="127.0.0.1", MAIL_SMTP_PORT=9, MAIL_SMTP_TIMEOUT=1)
    create_admin(app, "owner@example.org")
    response = logged_in(app, "owner@example.org").get("/admin/signatures.csv")
    assert response.status_code == 200 and response.get_data().startswith(b"\xef\xbb\xbf")


def test_with_approval_required_an_export_waits_for_a_second_owner_and_runs_once(
    app_factory, tmp_path
):
    app = campaign(app_factory, tmp_path, approval=True)
    exporter = logged_in(app, "exporter@example.org")
    assert (
        "download"
        not in exporter.get("/admin/export").text.split("Export (CSV)")[1].split("</ul>")[0]
    )

    waiting = exporter.get("/admin/signatures.csv?status=all")
    assert waiting.status_code == 403 and waiting.mimetype == "text/html"
    assert "This export waits for a second owner" in waiting.text
    assert "ada@example.org" not in waiting.text
    assert mails(tmp_path / "mail") == []  # nothing ran, nothing asked yet

    asked = exporter.post(
        "/admin/exports/request", data={"what": "csv:all", "csrf_token": token(exporter)}
    )
    assert asked.status_code == 303
    assert "no owner has approved it yet" in exporter.get(asked.headers["Location"]).text
    assert "no owner has approved it yet" in exporter.get("/admin/signatures.csv?status=all").text
    requested = mails(tmp_path / "mail")
    assert {message["To"] for message in requested} == {
        "owner1@example.org",
        "owner2@example.org",
        "exporter@example.org",
    }
    assert "/admin/exports" in requested[0].get_content()

    owner = logged_in(app, "owner1@example.org")
    with app.app_context():
        request_id = db.session.scalar(db.select(ExportRequest.id))
    assert f'name="request_id" value="{request_id}"' in owner.get("/admin/exports").text
    approved = owner.post(
        "/admin/exports/approve", data={"request_id": request_id, "csrf_token": token(owner)}
    )
    assert approved.status_code == 303
    assert exporter.get("/admin/signatures.csv?status=confirmed").status_code == 403  # not that one

    response = exporter.get("/admin/signatures.csv?status=all")
    assert response.status_code == 200 and b"ada@example.org" in response.get_data()
    ran = mails(tmp_path / "mail")[-1].get_content()
    assert "Approved by: owner1@example.org" in ran
    assert exporter.get("/admin/signatures.csv?status=all").status_code == 403  # once only
    with app.app_context():
        stored = db.session.scalars(db.select(ExportRequest)).one()
        assert stored.approved_by == "owner1@example.org" and stored.used_at is not None


def test_an_owner_cannot_approve_their_own_export(app_factory, tmp_path):
    app = campaign(app_factory, tmp_path, approval=True)
    owner = logged_in(app, "owner1@example.org")
    owner.post("/admin/exports/request", data={"what": "csv:all", "csrf_token": token(owner)})
    with app.app_context():
        request_id = db.session.scalar(db.select(ExportRequest.id))
    assert "Waiting for another owner" in owner.get("/admin/exports").text
    response = owner.post(
        "/admin/exports/approve", data={"request_id": request_id, "csrf_token": token(owner)}
    )
    assert response.status_code == 409 and "it is your own" in response.text
    assert owner.get("/admin/signatures.csv?status=all").status_code == 403
    # and approving twice does nothing the second time
    other = logged_in(app, "owner2@example.org")
    data = {"request_id": request_id, "csrf_token": token(other)}
    assert other.post("/admin/exports/approve", data=data).status_code == 303
    assert other.post("/admin/exports/approve", data=data).status_code == 409


def test_the_delivery_pack_with_names_waits_for_approval_too(app_factory, tmp_path):
    app = campaign(app_factory, tmp_path, approval=True)
    exporter = logged_in(app, "exporter@example.org")
    waiting = exporter.get("/admin/delivery?names=yes")
    assert waiting.status_code == 403 and "delivery pack with supporters" in waiting.text
    assert exporter.get("/admin/delivery").status_code == 200  # without names: no approval


@pytest.mark.parametrize(
    ("path", "data", "status"),
    [
        ("/admin/exports/request", {"what": "everything"}, 422),
        ("/admin/exports/approve", {"request_id": "abc"}, 422),
        ("/admin/exports/approve", {"request_id": "424242"}, 409),
    ],
)
def test_bad_export_requests_are_refused_clearly(app_factory, tmp_path, path, data, status):
    app = campaign(app_factory, tmp_path, approval=True)
    owner = logged_in(app, "owner1@example.org")
    assert owner.post(path, data={**data, "csrf_token": token(owner)}).status_code == status
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(ExportRequest)) == 0


def test_only_owners_approve_and_nobody_switches_approval_off_from_the_web(app_factory, tmp_path):
    app = campaign(app_factory, tmp_path, approval=True)
    exporter = logged_in(app, "exporter@example.org")
    assert exporter.get("/admin/exports").status_code == 403
    assert (
        exporter.post("/admin/exports/approve", data={"csrf_token": token(exporter)}).status_code
        == 403
    )
    owner = logged_in(app, "owner1@example.org")
    switch_off = {
        "EXPORT_APPROVAL_REQUIRED": "false",
        "export_approval_required": "false",
        "csrf_token": token(owner),
    }
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("admin.") and "POST" in rule.methods and not rule.arguments:
            if rule.endpoint not in ("admin.logout", "admin.login"):
                owner.post(rule.rule, data=switch_off)
    assert app.config["EXPORT_APPROVAL_REQUIRED"] is True
    assert exporter.get("/admin/signatures.csv?status=all").status_code == 403
