"""Organisations that co-sign: the apply form (every language), hostile logos refused
politely or stripped, the contact's confirmation and withdrawal by emailed links, the
organisers' review, and what the public page, the logo URLs and the delivery pack show."""

import io
import struct
import zlib

import pytest
from PIL import Image
from support import in_a_fresh_minute
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
