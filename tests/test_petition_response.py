"""/admin/response: the addressee's answer, entered by an organiser, audited, shown under
the petition and after confirming, in the visitor's language (English where none), and
"Tell supporters" opening an update draft filled with it."""

from support import csrf_token_from, log_in, logged_in_admin, sign

from campaign_site.accounts.audit import AuditFilter, entries
from campaign_site.extensions import db
from campaign_site.languages import CODES
from campaign_site.models import Signature
from campaign_site.petition import link_tokens

ANSWER = {
    "responded_on": "2026-03-31",
    "text_en": "The Assembly will hold a hearing on the case.\nA date follows.",
    "text_de": "Die Versammlung wird eine Anhörung zu dem Fall abhalten.",
    "link": "https://example.org/answer",
}


def post_answer(admin, **changes):
    page = admin.get("/admin/response").get_data(as_text=True)
    data = {**ANSWER, **changes, "csrf_token": csrf_token_from(page)}
    return admin.post("/admin/response", data={k: v for k, v in data.items() if v is not None})


def test_the_form_has_a_text_field_for_every_language_of_the_registry(app):
    page = logged_in_admin(app).get("/admin/response").get_data(as_text=True)
    for code in CODES:
        assert f'name="text_{code}"' in page
    assert 'href="/admin/response"' in logged_in_admin(app, "b@example.org").get(
        "/admin/"
    ).get_data(as_text=True)


def test_an_answer_is_saved_audited_and_shown_under_the_petition(app):
    admin = logged_in_admin(app)
    assert post_answer(admin).status_code == 303
    with app.app_context():
        audited = entries(AuditFilter(action="answer saved")).entries
    assert [row.detail for row in audited] == ["answer of 2026-03-31 (de, en)"]

    visitor = app.test_client()
    english = visitor.get("/").get_data(as_text=True)
    assert "The answer, March 31, 2026" in english
    assert "<p>The Assembly will hold a hearing on the case.</p>" in english
    assert 'href="https://example.org/answer"' in english
    german = visitor.get("/de/").get_data(as_text=True)
    assert "Die Versammlung wird eine Anhörung" in german and "31. März 2026" in german
    french = visitor.get("/fr/").get_data(as_text=True)  # no French text: the English
    assert '<div class="answer__text" lang="en">' in french


def test_the_page_after_confirming_shows_the_answer(app):
    post_answer(logged_in_admin(app))
    client = app.test_client()
    sign(client)
    with app.app_context():
        signature = db.session.scalars(db.select(Signature)).one()
        link = f"/confirm/{link_tokens.make_token(signature, link_tokens.CONFIRM)}"
        db.session.rollback()
    page = client.get(link).get_data(as_text=True)
    assert "The Assembly will hold a hearing on the case." in page


def test_bad_answers_are_refused_politely_and_nothing_is_stored(app):
    admin = logged_in_admin(app)
    for changes, problem in [
        ({"text_en": ""}, "Please write the answer in English."),
        ({"link": "javascript:alert(1)"}, "must start with https://"),
        ({"responded_on": "next week"}, "Not a valid date value."),
        ({"text_de": "x" * 2001}, "At most 2,000 characters."),
    ]:
        response = post_answer(admin, **changes)
        assert response.status_code == 422
        assert problem in response.get_data(as_text=True)
    assert "The answer," not in app.test_client().get("/").get_data(as_text=True)


def test_tell_supporters_opens_an_update_draft_filled_with_the_answer(app):
    admin = logged_in_admin(app)
    post_answer(admin)
    page = admin.get("/admin/response").get_data(as_text=True)
    response = admin.post(
        "/admin/response/tell-supporters", data={"csrf_token": csrf_token_from(page)}
    )
    assert response.status_code == 303 and "/admin/updates/" in response.location
    draft = admin.get(response.location).get_data(as_text=True)
    assert "The answer to our petition" in draft
    assert "On March 31, 2026 the petition received this answer:" in draft
    assert "Die Antwort auf unsere Petition" in draft
    assert "https://example.org/answer" in draft


def test_removing_takes_it_off_the_site(app):
    admin = logged_in_admin(app)
    post_answer(admin)
    page = admin.get("/admin/response").get_data(as_text=True)
    admin.post("/admin/response/remove", data={"csrf_token": csrf_token_from(page)})
    assert "The answer," not in app.test_client().get("/").get_data(as_text=True)


def test_a_viewer_may_not_enter_an_answer(app, client):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["create-admin", "viewer@example.org", "--role", "viewer"],
        input="a long viewer passphrase\n",
    )
    assert result.exit_code == 0, result.output
    log_in(client, "viewer@example.org", "a long viewer passphrase")
    assert client.get("/admin/response").status_code == 403
