"""Staff test signatures: made through the admin's link (or marked afterwards), they never
count anywhere, never reach the review queue, get only the confirmation mail, and go with
one audited click."""

import re

from support import (
    VALID_SIGNATURE,
    confirm_pending,
    csrf_token_from,
    form_stamp,
    hidden_fields,
    sign,
    stored_signatures,
)

from campaign_site.extensions import db
from campaign_site.models import OutboxMessage, SignatureTally

TESTER = {"email": "tester@campaign.example", "given_name": "Tess", "show_name": "y"}


def open_test_page(admin, prefix: str = ""):
    """Follow the admin's link to the campaign page for a test."""
    hop = admin.get(f"/admin/test-signature?language={prefix.strip('/') or 'en'}")
    assert hop.status_code == 303
    page = admin.get(hop.headers["Location"])
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    return hop.headers["Location"], page.get_data(as_text=True)


def sign_a_test(admin, **fields):
    """Sign on the test page as a staffer would."""
    _, html = open_test_page(admin)
    hidden = {**hidden_fields(html), "started": form_stamp(admin)}
    assert hidden["test_token"]
    return admin.post("/sign", data={**VALID_SIGNATURE, **hidden, **TESTER, **fields})


def public_count(client) -> int:
    return client.get("/api/count").get_json()["count"]


def test_a_test_signature_is_stored_flagged_and_never_counted(app, admin_client):
    sign(admin_client, email="real@example.org")
    confirm_pending(app, admin_client)
    assert public_count(admin_client) == 1
    with app.app_context():
        tally_before = db.session.execute(db.select(SignatureTally)).scalars().all()
        tally_before = sorted((row.signed, row.confirmed) for row in tally_before)

    assert sign_a_test(admin_client).status_code == 303
    test = [row for row in stored_signatures(app) if row.email == TESTER["email"]]
    assert len(test) == 1 and test[0].is_test
    assert not test[0].show_name and not test[0].keep_informed
    assert confirm_pending(app, admin_client) == 1  # the tester can try the link

    assert public_count(admin_client) == 1
    with app.app_context():
        tally_after = db.session.execute(db.select(SignatureTally)).scalars().all()
        assert sorted((row.signed, row.confirmed) for row in tally_after) == tally_before
        kinds = db.session.scalars(
            db.select(OutboxMessage.kind).where(OutboxMessage.signature_id == test[0].id)
        ).all()
    assert kinds == ["confirm"]  # the confirmation only: no updates, nothing else
    dashboard = admin_client.get("/admin/").get_data(as_text=True)
    assert "Tess" not in admin_client.get("/").get_data(as_text=True)
    assert "tester@" not in dashboard
    pack = admin_client.get("/admin/delivery?names=yes").get_data(as_text=True)
    assert re.search(r"Confirmed online signatures</dt><dd>1<", pack) and "Tess" not in pack


def test_the_test_page_says_it_is_a_test_in_its_language(admin_client):
    _, html = open_test_page(admin_client)
    assert "This is a test signature for the campaign's staff" in html
    location, german = open_test_page(admin_client, "/de")
    assert location.startswith("/de/test-signature/")
    assert "Dies ist eine Testunterschrift" in german
    assert 'name="test_token"' not in admin_client.get("/").get_data(as_text=True)


def test_a_test_never_enters_the_review_queue(app, admin_client):
    app.config["SIGNING_MIN_SECONDS"] = 60  # every form is "too fast": marked for review
    sign_a_test(admin_client)
    sign(admin_client, email="fast@example.org")
    review = admin_client.get("/admin/review").get_data(as_text=True)
    assert review.count("too_fast") >= 1
    assert len(re.findall(r'name="ids" value="(\d+)"', review)) == 1


def test_the_csv_leaves_tests_out_unless_asked(app, admin_client):
    sign(admin_client, email="real@example.org")
    sign_a_test(admin_client)
    everyone = admin_client.get("/admin/signatures.csv?status=all").get_data(as_text=True)
    assert "real@example.org" in everyone and "tester@" not in everyone
    tests = admin_client.get("/admin/signatures.csv?status=test").get_data(as_text=True)
    assert "tester@campaign.example" in tests and "real@example.org" not in tests


def test_a_test_address_does_not_make_a_later_real_signature_a_repeat(app, admin_client):
    sign_a_test(admin_client)
    sign(admin_client, email=TESTER["email"])
    confirm_pending(app, admin_client)
    rows = [row for row in stored_signatures(app) if row.email == TESTER["email"]]
    assert sorted(row.is_test for row in rows) == [False, True]
    assert public_count(admin_client) == 1


def test_a_signature_marked_as_a_test_stops_counting(app, admin_client):
    sign(admin_client, email="staff@campaign.example", keep_informed="y")
    confirm_pending(app, admin_client)
    assert public_count(admin_client) == 1
    page = admin_client.get("/admin/").get_data(as_text=True)
    found = admin_client.post(
        "/admin/find", data={"csrf_token": csrf_token_from(page), "email": "staff@campaign.example"}
    ).get_data(as_text=True)
    action = re.search(r'action="(/admin/signatures/\d+/mark-test)"', found).group(1)
    marked = admin_client.post(action, data={"csrf_token": csrf_token_from(found)})
    assert marked.status_code == 200 and "now a test signature" in marked.get_data(as_text=True)
    assert public_count(admin_client) == 0
    with app.app_context():
        totals = db.session.execute(
            db.select(db.func.sum(SignatureTally.signed), db.func.sum(SignatureTally.confirmed))
        ).one()
    assert tuple(int(n or 0) for n in totals) == (0, 0)
    again = admin_client.post(action, data={"csrf_token": csrf_token_from(found)})
    assert "Nothing changed" in again.get_data(as_text=True)
    assert public_count(admin_client) == 0
    audit = admin_client.get("/admin/audit").get_data(as_text=True)
    assert "signature marked as a test" in audit and "staff@" not in audit


def test_one_click_erases_every_test_signature_and_is_audited(app, admin_client):
    sign(admin_client, email="real@example.org")
    confirm_pending(app, admin_client)
    sign_a_test(admin_client)
    sign_a_test(admin_client, email="second-tester@campaign.example")
    confirm_pending(app, admin_client)
    fraud = admin_client.get("/admin/fraud").get_data(as_text=True)
    assert "Test signatures held: <strong>2</strong>" in fraud
    erased = admin_client.post(
        "/admin/test-signatures/erase", data={"csrf_token": csrf_token_from(fraud)}
    )
    assert erased.status_code == 303
    fraud = admin_client.get("/admin/fraud").get_data(as_text=True)
    assert "Erased 2 test signatures. The counts did not change." in fraud
    assert "Test signatures held: <strong>0</strong>" in fraud
    assert [row.email for row in stored_signatures(app)] == ["real@example.org"]
    assert public_count(admin_client) == 1
    assert "2 test signatures erased" in admin_client.get("/admin/audit").get_data(as_text=True)


def test_erasing_needs_the_form_token(admin_client):
    sign_a_test(admin_client)
    assert admin_client.post("/admin/test-signatures/erase").status_code == 400
    assert "held: <strong>1</strong>" in admin_client.get("/admin/fraud").get_data(as_text=True)


def test_a_forged_or_expired_test_link_is_refused_politely(app, client):
    gone = client.get("/de/test-signature/not-a-real-token")
    assert gone.status_code == 404
    assert "Dieser Testlink ist abgelaufen" in gone.get_data(as_text=True)
    hidden = {
        **hidden_fields(client.get("/").get_data(as_text=True)),
        "started": form_stamp(client),
    }
    refused = client.post("/sign", data={**VALID_SIGNATURE, **hidden, "test_token": "forged"})
    assert refused.status_code == 422
    assert "This test link has expired" in refused.get_data(as_text=True)
    assert stored_signatures(app) == []
