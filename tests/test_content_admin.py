"""Organisers run the campaign's words from /admin/content: edit, preview, publish, restore;
the site waits ("launching soon") until the required content is published; /admin/launch
says what is missing and sends a test email."""

import re
import time

import pytest
from sqlalchemy import select

from campaign_site.content import DEFAULT_CONTENT_FILE
from campaign_site.extensions import db
from campaign_site.models import AdminAudit, ContentVersion
from tests.support import csrf_token_from, log_in, sign, stored_signatures

EMAIL, PASSWORD = "owner@example.org", "correct horse battery staple"
DEMAND = "We call for an independent court."


def owner(app):
    result = app.test_cli_runner().invoke(args=["create-admin", EMAIL], input=PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    client = app.test_client()
    assert log_in(client, EMAIL, PASSWORD).status_code == 303
    return client


def english_form(client, **changes) -> dict[str, str]:
    """The /admin/content form as shown, with some fields changed."""
    html = client.get("/admin/content").get_data(as_text=True)
    fields = {"csrf_token": csrf_token_from(html)}
    for name, value in re.findall(r'<input[^>]*name="(\w+)"[^>]*value="([^"]*)"', html):
        fields.setdefault(name, value)
    for name, value in re.findall(r'<textarea[^>]*name="(\w+)"[^>]*>\n?([^<]*)</textarea>', html):
        fields[name] = value.replace("&#39;", "'").replace("&#34;", '"').replace("&amp;", "&")
    return {**fields, **changes}


def save(client, **changes):
    return client.post("/admin/content", data=english_form(client, **changes))


def publish(client):
    token = csrf_token_from(client.get("/admin/content").get_data(as_text=True))
    return client.post("/admin/content/publish", data={"csrf_token": token})


def page(client, path="/") -> str:
    return client.get(path).get_data(as_text=True)


def versions(app) -> list[ContentVersion]:
    with app.app_context():
        rows = db.session.scalars(select(ContentVersion).order_by(ContentVersion.id)).all()
        db.session.expunge_all()
        db.session.rollback()
        return list(rows)


def audited(app) -> list[tuple[str, str]]:
    with app.app_context():
        rows = db.session.execute(
            select(AdminAudit.action, AdminAudit.detail).where(AdminAudit.action.like("content%"))
        ).all()
        db.session.rollback()
        return [tuple(row) for row in rows]


def test_a_draft_is_previewed_then_published_and_every_worker_shows_it(app_factory):
    worker_a, worker_b = app_factory(), app_factory()  # two processes on one database
    admin = owner(worker_a)
    visitor = worker_b.test_client()
    assert save(admin, addressee="The Parliament (new)").status_code == 303
    assert "The Parliament (new)" not in page(visitor)  # a draft is shown to no one

    html = page(admin, "/admin/content")
    preview = re.search(r'href="(/de/content-preview/[^"]+)"', html).group(1)
    shown = admin.get(preview)
    assert shown.status_code == 200 and "noindex" in shown.headers["X-Robots-Tag"]
    assert "The Parliament (new)" in shown.get_data(as_text=True)
    assert "Preview:" in shown.get_data(as_text=True)

    assert publish(admin).status_code == 303
    assert "The Parliament (new)" in page(visitor)  # the other worker, cache off in tests
    assert [action for action, _ in audited(worker_a)] == [
        "content draft saved",
        "content published",
    ]


def test_a_worker_with_a_cache_shows_a_publish_once_its_cache_period_ends(app_factory, monkeypatch):
    worker_a, worker_b = app_factory(), app_factory(PUBLIC_CACHE_SECONDS=60)
    admin, visitor = owner(worker_a), worker_b.test_client()
    assert "The Test Assembly" in page(visitor)
    save(admin, addressee="The Parliament (new)")
    publish(admin)
    assert "The Parliament (new)" not in page(visitor)  # worker B's cache still holds it
    later = time.monotonic() + 61
    monkeypatch.setattr(time, "monotonic", lambda: later)  # the cache period has passed
    assert "The Parliament (new)" in page(visitor)


def test_each_language_shows_its_own_words_else_the_catalog_else_english(app):
    admin = owner(app)
    save(admin, addressee="The Test Assembly (a test value)", demands=DEMAND)
    html = page(admin, "/admin/content/de")
    # The form posts back to its own language (it once posted to /admin/content/, a 404).
    assert '<form method="post" action="/admin/content/de"' in html
    assert "Campaign content in German</h1>" in html
    fields = dict(re.findall(r'<label[^>]*for="(text_\d+)"[^>]*>([^<]*)</label>', html))
    addressee_field = next(name for name, label in fields.items() if "Test Assembly" in label)
    german = {"csrf_token": csrf_token_from(html), addressee_field: "Die Testversammlung"}
    assert admin.post("/admin/content/de", data=german).status_code == 303
    publish(admin)
    visitor = app.test_client()
    assert "Die Testversammlung" in page(visitor, "/de/")
    assert "Die Testversammlung" not in page(visitor, "/ru/")
    assert DEMAND in page(visitor, "/de/")  # new English text: no translation anywhere yet
    assert "Sergei Magnitsky" in page(visitor, "/fr/")


def test_an_earlier_version_can_be_published_again(app):
    admin = owner(app)
    save(admin, addressee="First addressee")
    publish(admin)
    save(admin, addressee="Second addressee")
    publish(admin)
    first = versions(app)[0].id
    assert "Second addressee" in page(app.test_client())
    token = csrf_token_from(page(admin, "/admin/content"))
    answer = admin.post(f"/admin/content/versions/{first}/restore", data={"csrf_token": token})
    assert answer.status_code == 303
    assert "First addressee" in page(app.test_client())
    assert len(versions(app)) == 3  # history kept whole
    assert ("content restored", f"version {first} published again as version 3") in [
        (a, d.replace(str(versions(app)[-1].id), "3")) for a, d in audited(app)
    ]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"addressee": "  "}, "Please write whom the petition is addressed to"),
        ({"demands": "x" * 1001}, "at most 1000 characters"),
        ({"justice_trailer_url": "http://video.example.org/embed/1"}, "must start with https://"),
        ({"justice_where_to_watch": "Cinema | ftp://x.example"}, "must start with https://"),
        ({"timeline": "2009 without a bar"}, "write it as when | what happened"),
        ({"email": "not an address"}, "Please enter an email address"),
        ({"milestones": "many | At many we celebrate."}, "start with the number of signatures"),
        ({"milestones": "10 | Ten.\n10 | Ten again."}, "another milestone is at 10"),
        ({"next_step_url": "https://example.org/act", "next_step": ""}, "what the link leads to"),
        ({"next_step": "Act", "next_step_url": "http://example.org"}, "must start with https://"),
    ],
)
def test_bad_content_is_refused_with_a_clear_message_and_nothing_stored(app, changes, message):
    admin = owner(app)
    answer = save(admin, **changes)
    assert answer.status_code == 422
    assert message in answer.get_data(as_text=True)
    assert versions(app) == []


def test_without_the_required_content_the_page_waits_and_takes_no_signature(app_factory):
    app = app_factory(CONTENT_FILE=str(DEFAULT_CONTENT_FILE))
    visitor = app.test_client()
    html = page(visitor)
    assert "launching soon" in html and 'class="sign__form"' not in html
    assert "Die Petition startet bald" in page(visitor, "/de/")
    refused = sign(visitor)
    assert refused.status_code == 503 and "launching soon" in refused.get_data(as_text=True)
    assert stored_signatures(app) == []

    admin = owner(app)
    assert "Not ready to launch" in page(admin, "/admin/")
    save(
        admin,
        addressee="The Assembly",
        organisation="Campaign Office",
        address="1 Example Street\nBerlin",
        email="office@example.org",
    )
    publish(admin)
    assert sign(app.test_client()).status_code == 303
    assert len(stored_signatures(app)) == 1


def test_the_launch_checklist_says_what_is_missing_and_where_to_do_it(app_factory):
    app = app_factory(CONTENT_FILE=str(DEFAULT_CONTENT_FILE), PETITION_CLOSES_AT=None)
    html = page(owner(app), "/admin/launch")
    assert "Ready to launch?" in html
    assert "To do:</span> The campaign&#39;s required content is published" in html
    assert "petition.addressee" in html and 'href="/admin/content"' in html
    assert "To do:</span> A recent backup exists" in html
    assert "To do:</span> Email is configured" in html
    assert "To do:</span> The closing date is set" in html
    assert 'href="/admin/content/de"' in html


def test_the_checklist_counts_untranslated_catalog_entries_and_sees_an_edit(
    app_factory, tmp_path, monkeypatch
):
    """The catalogs are read once per version of each file, not on every dashboard view,
    yet a catalog edited on the server is counted afresh."""
    import os
    import shutil

    from campaign_site.web import catalogs

    folder = tmp_path / "translations"
    shutil.copytree(catalogs.FOLDER, folder, ignore=shutil.ignore_patterns("*.mo"))
    monkeypatch.setattr(catalogs, "FOLDER", folder)
    po = folder / "de" / "LC_MESSAGES" / "messages.po"
    po.write_text(po.read_text() + '\nmsgid "A sentence nobody translated"\nmsgstr ""\n')
    admin = owner(app_factory())
    assert "1 untranslated entries (campaign_site/translations/de" in page(admin, "/admin/launch")

    entry = 'msgid "A sentence nobody translated"\nmsgstr '
    po.write_text(po.read_text().replace(entry + '""', entry + '"Ein Satz, übersetzt"'))
    os.utime(po, ns=(time.time_ns(), time.time_ns() + 1_000_000_000))
    assert "untranslated entries (campaign_site/translations/de" not in page(admin, "/admin/launch")


def test_a_test_email_goes_out_and_the_page_says_so(app_factory, mail_server):
    app = app_factory(**mail_server.settings())
    admin = owner(app)
    token = csrf_token_from(page(admin, "/admin/launch"))
    answer = admin.post(
        "/admin/launch/test-email", data={"csrf_token": token, "address": "me@example.net"}
    )
    assert answer.status_code == 303
    assert "took the test email" in page(admin, "/admin/launch")
    assert len(mail_server.inbox.to("me@example.net")) == 1


def test_a_test_email_to_a_bad_address_or_a_dead_server_says_what_went_wrong(app_factory):
    app = app_factory(MAIL_SMTP_HOST="127.0.0.1", MAIL_SMTP_PORT=9)  # nobody listens
    admin = owner(app)
    token = csrf_token_from(page(admin, "/admin/launch"))
    bad = admin.post("/admin/launch/test-email", data={"csrf_token": token, "address": "x"})
    assert bad.status_code == 422 and "Please enter an email address" in bad.get_data(as_text=True)
    dead = admin.post(
        "/admin/launch/test-email", data={"csrf_token": token, "address": "me@example.net"}
    )
    assert dead.status_code == 422
    assert "could not be sent" in dead.get_data(as_text=True)


def test_a_developers_copy_shows_the_form_before_the_content_is_filled_in(app_factory):
    """`make run` (development) serves the form with the content file as it is; the live
    site and the tests wait for the content."""
    app = app_factory(CONTENT_FILE=str(DEFAULT_CONTENT_FILE), WAIT_FOR_CONTENT=False)
    assert 'class="sign__form"' in page(app.test_client())
    assert sign(app.test_client()).status_code == 303


def test_milestones_and_the_next_step_after_the_close_are_edited_as_lines(app):
    admin = owner(app)
    answer = save(
        admin,
        milestones="1,000 | At 1,000 we hand it over.\n50 | At 50 we write to the Assembly.",
        next_step="Write to the Assembly",
        next_step_url="https://example.org/write",
    )
    assert answer.status_code == 303
    publish(admin)
    html = page(app.test_client())
    assert "Next milestone:</strong> At 50 we write to the Assembly." in html
    form = admin.get("/admin/content").get_data(as_text=True)
    assert "50 | At 50 we write to the Assembly.\n1000 | At 1,000 we hand it over." in form
    assert 'value="https://example.org/write"' in form
    translation = admin.get("/admin/content/de").get_data(as_text=True)
    assert (
        "At 50 we write to the Assembly." in translation and "Write to the Assembly" in translation
    )
