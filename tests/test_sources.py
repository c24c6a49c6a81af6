"""Where signatures come from: a link's ?source= (or utm_source, utm_campaign) travels in
the page's form, without a cookie, into the signature, the CSV and the tallies."""

import csv
import io

import pytest
from support import VALID_SIGNATURE, form_stamp, hidden_fields, stored_signatures

from campaign_site.extensions import db
from campaign_site.models import Signature, SignatureTally


def sign_from(client, link: str, **fields):
    """Open a link to the page, then submit its form as a browser would."""
    page = client.get(link)
    assert page.status_code == 200 and "Set-Cookie" not in page.headers
    prefix = link.split("?")[0].rstrip("/")
    hidden = {**hidden_fields(page.get_data(as_text=True)), "started": form_stamp(client, prefix)}
    return client.post(f"{prefix}/sign", data={**VALID_SIGNATURE, **hidden, **fields})


def stored(app) -> list[tuple[str | None, str | None]]:
    with app.app_context():
        rows = db.session.execute(
            db.select(Signature.source, Signature.source_campaign).order_by(Signature.id)
        )
        return [tuple(row) for row in rows]


@pytest.mark.parametrize(
    ("link", "expected"),
    [
        ("/?source=cinema-for-peace", ("cinema-for-peace", None)),
        ("/de/?source=ev:berlin_2026", ("ev:berlin_2026", None)),
        ("/?utm_source=newsletter&utm_campaign=dec-2026", ("newsletter", "dec-2026")),
        ("/?source=partner:x&utm_source=ignored", ("partner:x", None)),
        ("/", (None, None)),
    ],
)
def test_a_links_source_is_stored_with_the_signature(app, client, link, expected):
    assert sign_from(client, link).status_code == 303
    assert stored(app) == [expected]


@pytest.mark.parametrize(
    "junk",
    ["<script>alert(1)</script>", "a b", "x" * 65, "ünïcode", "a%0d%0ab", "'; DROP TABLE x;--"],
)
def test_an_invalid_code_is_dropped_never_reflected(app, client, junk):
    page = client.get("/", query_string={"source": junk, "utm_campaign": junk})
    html = page.get_data(as_text=True)
    assert junk not in html and "alert(1)" not in html
    assert 'name="source" type="hidden" value=""' in html
    sign_from(client, "/?" + page.request.query_string.decode())
    assert stored(app) == [(None, None)]


def test_a_forged_source_posted_directly_is_validated_again(app, client):
    hidden = {
        **hidden_fields(client.get("/").get_data(as_text=True)),
        "started": form_stamp(client),
    }
    client.post("/sign", data={**VALID_SIGNATURE, **hidden, "source": "<b>x</b>", "campaign": "ok"})
    assert stored(app) == [(None, "ok")]


def test_the_csv_has_the_source_columns(app, admin_client):
    sign_from(admin_client, "/?utm_source=newsletter&utm_campaign=dec")
    body = admin_client.get("/admin/signatures.csv?status=all").get_data().decode("utf-8-sig")
    [row] = list(csv.DictReader(io.StringIO(body)))
    assert row["source"] == "newsletter" and row["source_campaign"] == "dec"
    assert stored_signatures(app)[0].email == VALID_SIGNATURE["email"]


def test_the_tally_counts_signed_confirmed_repeats_and_erasure_per_source(app, client):
    from support import confirm_pending

    sign_from(client, "/?source=share:whatsapp", email="a@example.org")
    sign_from(client, "/?source=share:whatsapp", email="b@example.org", country="DE")
    sign_from(client, "/?source=share:telegram", email="c@example.org")
    sign_from(client, "/?source=share:telegram", email="c@example.org")  # a repeat
    confirm_pending(app, client)

    def totals() -> dict[str, tuple[int, int, int]]:
        with app.app_context():
            rows = db.session.execute(
                db.select(
                    SignatureTally.source,
                    db.func.sum(SignatureTally.signed),
                    db.func.sum(SignatureTally.confirmed),
                    db.func.sum(SignatureTally.repeats),
                ).group_by(SignatureTally.source)
            )
            return {source: (int(s), int(c), int(r)) for source, s, c, r in rows}

    assert totals() == {"share:whatsapp": (2, 2, 0), "share:telegram": (1, 1, 1)}
    from campaign_site.petition import signing

    with app.app_context():
        [erased] = db.session.scalars(
            db.select(Signature.id).where(Signature.source == "share:telegram")
        ).all()
    with app.app_context():
        assert signing.erase_signature(erased)
    assert totals()["share:telegram"] == (0, 0, 1)


def test_a_shared_link_brings_its_network_into_the_signature(app, client):
    """The share links on the confirmation page carry share:<network>."""
    from urllib.parse import unquote

    from support import confirm_pending

    sign_from(client, "/uk/", email="first@example.org")
    with app.app_context():
        from campaign_site.petition import link_tokens

        signature = db.session.scalars(db.select(Signature)).one()
        link = f"/uk/confirm/{link_tokens.make_token(signature, link_tokens.CONFIRM)}"
    html = unquote(client.get(link).get_data(as_text=True))
    assert "http://localhost/uk/?source=share:telegram" in html
    sign_from(client, "/uk/?source=share:telegram", email="friend@example.org")
    confirm_pending(app, client)
    assert stored(app)[-1] == ("share:telegram", None)
