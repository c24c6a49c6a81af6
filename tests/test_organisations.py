"""Organisations that co-sign: the apply form (every language), hostile logos refused
politely or stripped, the contact's confirmation and withdrawal by emailed links, the
organisers' review, and what the public page, the logo URLs and the delivery pack show."""

import io
import re
import struct
import zlib

import pytest
from PIL import Image
from support import csrf_token_from, in_a_fresh_minute, logged_in_admin, run_worker
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from campaign_site.extensions import db
from campaign_site.models import Organisation, OutboxMessage

SAME_ORIGIN = {"Sec-Fetch-Site": "same-origin"}
PAYLOAD = b"<script>alert('owned')</script>"
ZIP_PAYLOAD = b"PK\x03\x04\x14\x00\x00\x00\x08\x00secret.txt"


def png(width=600, height=300, colour=(20, 90, 160, 255), mode="RGBA", **save) -> bytes:
    out = io.BytesIO()
    Image.new(mode, (width, height), colour[: len(mode)]).save(out, "PNG", **save)
    return out.getvalue()


def jpeg(width=600, height=300) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 40)).save(out, "JPEG", quality=90)
    return out.getvalue()


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_bomb(side=20000) -> bytes:
    """A 1-bit all-zero PNG of side x side pixels: 50 MB of pixels in a few tens of KB."""
    row = b"\x00" * (1 + side // 8)
    compressor = zlib.compressobj(9)
    body = b"".join(compressor.compress(row) for _ in range(side)) + compressor.flush()
    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", body)
        + _chunk(b"IEND", b"")
    )


def huge_header_png() -> bytes:
    """A small valid PNG whose header (CRC right) claims 60000 x 60000 pixels."""
    small = png(20, 20)
    header = struct.pack(">IIBBBBB", 60000, 60000, 8, 6, 0, 0, 0)
    return small[:8] + _chunk(b"IHDR", header) + small[8 + 25 :]


def apply(client, prefix="", logo=None, filename="logo.png", **fields):
    form = {
        "name": "Memorial Freunde e.V.",
        "website": "https://memorial.example.org",
        "email": "contact@memorial.example.org",
        "country": "DE",
        **fields,
    }
    values = {key: value for key, value in form.items() if value is not None}
    upload = png() if logo is None else logo
    values["logo"] = FileStorage(io.BytesIO(upload), filename=filename)
    # Encoded in memory: the test client's own encoder spools large bodies to a temporary
    # file it never closes.
    boundary, body = encode_multipart(values)
    return client.post(
        f"{prefix}/organisations/apply",
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
        headers=SAME_ORIGIN,
    )


def stored(app) -> list[Organisation]:
    with app.app_context():
        rows = db.session.scalars(db.select(Organisation).order_by(Organisation.id)).all()
        db.session.expunge_all()
        return list(rows)


def test_the_form_is_there_in_every_language(client):
    for prefix, words in [("", "Support the petition as an organisation"), ("/de", "Organisation")]:
        response = client.get(f"{prefix}/organisations/apply")
        assert response.status_code == 200
        page = response.get_data(as_text=True)
        assert words in page and 'enctype="multipart/form-data"' in page
        assert f'action="{prefix}/organisations/apply"' in page
        assert "Set-Cookie" not in response.headers


def test_an_application_is_stored_with_a_reencoded_logo_and_a_sealed_contact(app, client):
    upload = png(1200, 600) + PAYLOAD
    response = apply(client, logo=upload)
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/organisations/thank-you")
    (organisation,) = stored(app)
    assert organisation.name == "Memorial Freunde e.V." and organisation.country == "DE"
    assert organisation.status == "pending" and organisation.confirmed_at is None
    assert b"memorial.example.org" not in organisation.contact  # sealed, never in the clear
    assert organisation.logo != upload and PAYLOAD not in organisation.logo
    assert organisation.logo_type == "image/png"
    assert (organisation.logo_width, organisation.logo_height) == (320, 160)
    with Image.open(io.BytesIO(organisation.logo)) as logo:
        assert logo.format == "PNG" and logo.size == (320, 160)
        assert not logo.info.get("icc_profile")
    kinds = [row.kind for row in _outbox(app)]
    assert kinds == ["organisation-confirm"]


def _outbox(app) -> list[OutboxMessage]:
    with app.app_context():
        rows = db.session.scalars(db.select(OutboxMessage)).all()
        db.session.expunge_all()
        return list(rows)


def test_metadata_is_stripped_from_a_jpeg(app, client):
    out = io.BytesIO()
    exif = Image.Exif()
    exif[0x010E] = "secret description"  # ImageDescription
    exif[0x8298] = "Copyright someone"
    Image.new("RGB", (400, 400), (1, 2, 3)).save(out, "JPEG", exif=exif.tobytes())
    upload = out.getvalue()
    assert b"secret description" in upload
    assert apply(client, logo=upload, filename="logo.jpg").status_code == 303
    (organisation,) = stored(app)
    assert organisation.logo_type == "image/jpeg"
    assert b"secret description" not in organisation.logo and b"Exif" not in organisation.logo


HOSTILE = {
    "png bomb": (png_bomb(), "logo.png", 422, "too large: at most 5000 by 5000 pixels"),
    "huge dimension header": (huge_header_png(), "logo.png", 422, "at most 5000 by 5000"),
    "svg": (
        b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        "logo.svg",
        422,
        "SVG and other formats are not accepted",
    ),
    "text file renamed": (b"just some text, not a picture\n" * 20, "logo.png", 422, "PNG or JPEG"),
    "gif": (b"GIF89a" + b"\x00" * 100, "logo.gif", 422, "SVG and other formats"),
    "truncated png": (
        png(800, 400, mode="RGB", colour=(9, 9, 9))[:300],
        "logo.png",
        422,
        "damaged",
    ),
    "truncated jpeg": (jpeg()[:400], "logo.jpg", 422, "damaged"),
    "just over 2 MB": (
        b"\x89PNG\r\n\x1a\n" + b"\x00" * (2 * 1024 * 1024),
        "logo.png",
        422,
        "larger than 2 MB",
    ),
    "far over 2 MB": (
        b"\x89PNG\r\n\x1a\n" + b"\x00" * (3 * 1024 * 1024),
        "logo.png",
        413,
        "larger than 2 MB",
    ),
    "too small": (png(8, 8), "logo.png", 422, "too small"),
    "empty": (b"", "logo.png", 422, "Please choose your organisation"),
}


@pytest.mark.parametrize("case", HOSTILE)
def test_hostile_logos_are_refused_politely_and_nothing_is_stored(app, client, case):
    upload, filename, status, message = HOSTILE[case]
    response = apply(client, logo=upload, filename=filename)
    assert response.status_code == status
    page = response.get_data(as_text=True)
    assert message in page
    assert "There is a problem" in page
    if status == 422:  # what was typed is kept (a file input cannot be refilled)
        assert 'value="Memorial Freunde e.V."' in page
    assert stored(app) == [] and _outbox(app) == []


def test_a_refused_logo_is_explained_in_the_visitors_language(client):
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"/>'
    german = apply(client, "/de", logo=svg, filename="logo.svg").get_data(as_text=True)
    assert "SVG" in german and "SVG and other formats" not in german
    russian = apply(client, "/ru", logo=png_bomb(), filename="l.png").get_data(as_text=True)
    assert "5000" in russian and "too large" not in russian


def test_a_polyglot_is_accepted_but_only_its_pixels_are_kept(app, client):
    for upload in (png() + PAYLOAD + ZIP_PAYLOAD, jpeg() + ZIP_PAYLOAD + PAYLOAD):
        assert apply(client, logo=upload).status_code == 303
    for organisation in stored(app):
        assert PAYLOAD not in organisation.logo and b"PK\x03\x04" not in organisation.logo


@pytest.mark.parametrize(
    ("website", "message"),
    [
        ("http://memorial.example.org", "starts with https://"),
        ("ftp://memorial.example.org", "starts with https://"),
        ("javascript:alert(1)//x.org", "should look like https://example.org"),
        ("https://user:pw@memorial.example.org", "should look like https://example.org"),
        ("https://localhost", "should look like https://example.org"),
    ],
)
def test_the_website_must_be_https(app, client, website, message):
    response = apply(client, website=website)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert stored(app) == []


def test_a_bare_host_name_becomes_https(app, client):
    assert apply(client, website="memorial.example.org/de").status_code == 303
    assert stored(app)[0].website == "https://memorial.example.org/de"


def test_the_bot_trap_stores_nothing(app, client):
    response = apply(client, leave_this_empty="https://spam.example")
    assert response.status_code == 303
    assert stored(app) == [] and _outbox(app) == []


def test_a_cross_site_post_is_refused(app, client):
    data = {"name": "X", "website": "https://x.org", "email": "a@x.org", "country": "DE"}
    data["logo"] = (io.BytesIO(png()), "logo.png")
    response = client.post(
        "/organisations/apply",
        data=data,
        content_type="multipart/form-data",
        headers={"Sec-Fetch-Site": "cross-site"},
    )
    assert response.status_code == 403
    assert stored(app) == []


def test_applications_are_rate_limited(app_factory):
    app = app_factory(RATELIMIT_ENABLED=True, ORGANISATION_APPLY_RATE_LIMIT="2 per minute")
    client = app.test_client()
    in_a_fresh_minute()
    assert apply(client).status_code == 303
    assert apply(client, logo=b"junk").status_code == 422  # refused ones count too
    response = apply(client)
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) > 0
    assert "Very many applications" in response.get_data(as_text=True)
    assert len(stored(app)) == 1


ORGANISATION_LINK = re.compile(r"http://localhost(/\S*/organisations/(confirm|withdraw)/\S+)")


def emailed_link(app, mail_server, purpose: str):
    """Send what is queued, then the newest email to the contact and its link of a purpose."""
    run_worker(app)
    message = mail_server.inbox.to("Contact@memorial.example.org")[-1]
    text = message.get_body(preferencelist=("plain",)).get_content()
    links = {kind: path for path, kind in ORGANISATION_LINK.findall(text)}
    return message, links[purpose]


def _approve_directly(app) -> None:
    """An organiser's approval (the admin page is tested below, through its form)."""
    from campaign_site.petition import organisations

    with app.app_context():
        for organisation in stored(app):
            organisations.review(organisation.id, True, "organiser@example.org")


def test_the_contact_confirms_by_email_and_can_withdraw(mail_app, mail_server):
    client = mail_app.test_client()
    assert apply(client, "/fr", email="Contact@Memorial.example.org").status_code == 303
    message, confirm = emailed_link(mail_app, mail_server, "confirm")
    assert message["To"] == "Contact@memorial.example.org"
    assert "List-Unsubscribe" not in message  # no mailing list
    assert message["Subject"] != "Please confirm your organisation's support"  # French
    assert confirm.startswith("/fr/organisations/confirm/")
    assert stored(mail_app)[0].confirmed_at is None

    page = client.get(confirm)
    assert page.status_code == 200 and page.headers["Referrer-Policy"] == "no-referrer"
    assert stored(mail_app)[0].confirmed_at is not None
    assert client.get(confirm).status_code == 200  # again: harmless, no second email
    _, withdraw = emailed_link(mail_app, mail_server, "withdraw")
    assert withdraw.startswith("/fr/organisations/withdraw/")
    assert len(mail_server.inbox.to("Contact@memorial.example.org")) == 2

    _approve_directly(mail_app)
    assert "Memorial Freunde e.V." in client.get("/").get_data(as_text=True)
    asked = client.get(withdraw)
    assert asked.status_code == 200 and "Memorial Freunde e.V." in asked.get_data(as_text=True)
    assert len(stored(mail_app)) == 1  # opening the link changes nothing
    done = client.post(withdraw, headers=SAME_ORIGIN)
    assert done.status_code == 200
    assert stored(mail_app) == [] and _outbox(mail_app) == []
    mail_app.extensions["campaign_site.short_cache"] = {}
    assert client.post(withdraw, headers=SAME_ORIGIN).status_code == 404  # gone already


def test_links_of_one_kind_never_work_as_another(app, client):
    from campaign_site.petition import link_tokens

    assert apply(client).status_code == 303
    with app.app_context():
        organisation = db.session.scalars(db.select(Organisation)).one()
        confirm = link_tokens.make_token(organisation, link_tokens.ORGANISATION_CONFIRM)
        withdraw = link_tokens.make_token(organisation, link_tokens.ORGANISATION_WITHDRAW)
        as_signer = link_tokens.make_token(organisation, link_tokens.CONFIRM)
        db.session.rollback()
    assert client.get(f"/organisations/withdraw/{confirm}").status_code == 404
    assert client.get(f"/organisations/confirm/{withdraw}").status_code == 404
    assert client.get(f"/organisations/confirm/{as_signer}").status_code == 404
    assert client.get(f"/confirm/{confirm}").status_code == 404  # never a signature's link
    assert client.post(f"/organisations/withdraw/{confirm}", headers=SAME_ORIGIN).status_code == 404
    assert stored(app)[0].confirmed_at is None and len(stored(app)) == 1


def test_an_old_confirmation_link_has_expired(app, client):
    from datetime import timedelta

    from campaign_site.models import utcnow
    from campaign_site.petition import link_tokens

    assert apply(client).status_code == 303
    with app.app_context():
        organisation = db.session.scalars(db.select(Organisation)).one()
        days = app.config["CONFIRMATION_EXPIRY_DAYS"] + 1
        token = link_tokens.make_token(
            organisation,
            link_tokens.ORGANISATION_CONFIRM,
            issued_at=utcnow() - timedelta(days=days),
        )
        db.session.rollback()
    response = client.get(f"/organisations/confirm/{token}")
    assert response.status_code == 410
    assert stored(app)[0].confirmed_at is None


def _confirm_all(app) -> None:
    from campaign_site.petition import link_tokens, organisations

    with app.app_context():
        tokens = [
            link_tokens.make_token(organisation, link_tokens.ORGANISATION_CONFIRM)
            for organisation in stored(app)
        ]
    with app.app_context():
        for token in tokens:
            organisations.confirm(token)


def _review(admin, organisation_id: int, decision: str):
    page = admin.get("/admin/organisations").get_data(as_text=True)
    return admin.post(
        f"/admin/organisations/{organisation_id}/{decision}",
        data={"csrf_token": csrf_token_from(page)},
    )


def test_organisers_approve_or_reject_and_it_is_audited(app, client):
    from campaign_site.models import AdminAudit

    assert apply(client, name="Open Russia Forum").status_code == 303
    assert apply(client, name="Spam Incorporated").status_code == 303
    good, spam = (organisation.id for organisation in stored(app))
    admin = logged_in_admin(app)
    page = admin.get("/admin/organisations")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Waiting for a decision (2)" in html and "not confirmed yet" in html
    assert "contact@memorial.example.org" not in html  # the contact stays sealed
    assert 'href="/admin/organisations"' in html  # in the menu
    logo = admin.get(f"/admin/organisations/{good}/logo")
    assert logo.status_code == 200 and logo.headers["Content-Type"] == "image/png"

    assert admin.post(f"/admin/organisations/{good}/approve").status_code == 400  # no token
    assert stored(app)[0].status == "pending"
    assert _review(admin, good, "approve").status_code == 303
    assert _review(admin, spam, "reject").status_code == 303
    statuses = {organisation.name: organisation.status for organisation in stored(app)}
    assert statuses == {"Open Russia Forum": "approved", "Spam Incorporated": "rejected"}
    with app.app_context():
        audit = db.session.scalars(
            db.select(AdminAudit.action).where(AdminAudit.action.like("organisation%"))
        ).all()
    assert sorted(audit) == ["organisation approved", "organisation rejected"]
    assert "Open Russia Forum" not in client.get("/").get_data(as_text=True)  # not confirmed


def test_a_viewer_may_not_review(app, client):
    from campaign_site.accounts.permissions import ROLE_PERMISSIONS, VIEWER, Permission

    assert Permission.MANAGE_ORGANISATIONS not in ROLE_PERMISSIONS[VIEWER]
    assert apply(client).status_code == 303
    result = app.test_cli_runner().invoke(
        args=["create-admin", "viewer@example.org", "--role=viewer"], input="a long passphrase x\n"
    )
    assert result.exit_code == 0
    viewer = app.test_client()
    from support import log_in

    assert log_in(viewer, "viewer@example.org", "a long passphrase x").status_code == 303
    assert viewer.get("/admin/organisations").status_code == 403
    token = csrf_token_from(viewer.get("/admin/").get_data(as_text=True))
    response = viewer.post("/admin/organisations/1/approve", data={"csrf_token": token})
    assert response.status_code == 403
    assert stored(app)[0].status == "pending"


def test_only_confirmed_and_approved_organisations_are_public(app, client):
    assert apply(client, name="Zeta Watch", website="https://zeta.example").status_code == 303
    assert apply(client, name="alpha Rights", logo=jpeg(), filename="a.jpg").status_code == 303
    unconfirmed_logo, rejected_logo = png(colour=(1, 1, 1, 255)), png(colour=(2, 2, 2, 255))
    assert apply(client, name="Unconfirmed Org", logo=unconfirmed_logo).status_code == 303
    assert apply(client, name="Rejected Org", logo=rejected_logo).status_code == 303
    zeta, alpha, unconfirmed, rejected = stored(app)
    admin = logged_in_admin(app)
    for organisation in (zeta, alpha, unconfirmed):
        _review(admin, organisation.id, "approve")
    _review(admin, rejected.id, "reject")
    from campaign_site.petition import link_tokens, organisations

    with app.app_context():
        for organisation in (zeta, alpha, rejected):
            organisations.confirm(
                link_tokens.make_token(organisation, link_tokens.ORGANISATION_CONFIRM)
            )
    page = client.get("/").get_data(as_text=True)
    assert "Supported by 2 organisations" in page
    assert page.index("alpha Rights") < page.index("Zeta Watch")  # by name
    assert "Unconfirmed Org" not in page and "Rejected Org" not in page
    assert '<a href="https://zeta.example" rel="nofollow noopener">' in page
    logo_urls = re.findall(r'src="(/organisations/logos/[0-9a-f]{64}\.(?:png|jpg))"', page)
    assert len(logo_urls) == 2
    for url in logo_urls:
        response = client.get(url)
        assert response.status_code == 200
        assert response.headers["Content-Type"] in ("image/png", "image/jpeg")
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert "max-age=31536000" in response.headers["Cache-Control"]
        assert "Set-Cookie" not in response.headers
    png_url = next(url for url in logo_urls if url.endswith(".png"))
    assert client.get(png_url.replace(".png", ".jpg")).status_code == 404  # not its type
    for hidden in (unconfirmed, rejected):  # their logos are not public either
        assert client.get(f"/organisations/logos/{hidden.logo_digest}.png").status_code == 404
    assert client.get("/organisations/logos/../../etc/passwd.png").status_code == 404
    german = client.get("/de/").get_data(as_text=True)
    assert "Zeta Watch" in german and "Supported by 2 organisations" not in german


def test_the_delivery_pack_lists_the_supporting_organisations(app, client):
    assert apply(client, name="Shown Org").status_code == 303
    assert apply(client, name="Pending Org").status_code == 303
    shown, _ = stored(app)
    admin = logged_in_admin(app)
    _review(admin, shown.id, "approve")
    _confirm_all(app)
    pack = admin.get("/admin/delivery?language=de").get_data(as_text=True)
    assert "Shown Org" in pack and "Pending Org" not in pack
    assert "Deutschland" in pack
