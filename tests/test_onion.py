"""The onion service (ONION_URL): clearnet public pages name it in Onion-Location, the onion
Host is served without HSTS and still names PUBLIC_URL, each gets its own cached copy, and a
malformed address stops the start."""

import re

import pytest
from support import form_fields, onion_address

from campaign_site import create_app

ONION = onion_address()
ONION_URL = f"http://{ONION}"


@pytest.fixture
def onion_app(app_factory):
    return app_factory(ONION_URL=ONION_URL, TRUSTED_PROXIES=1)


@pytest.mark.parametrize(
    ("path", "location"),
    [
        ("/", "/"),
        ("/ru/", "/ru/"),
        ("/safety", "/safety"),
        ("/uk/safety", "/uk/safety"),
        ("/de/privacy", "/de/privacy"),
        ("/thank-you", "/thank-you"),
        # The arguments the page reads, validated; nothing else a visitor put in the link.
        ("/?source=ev-kino&fbclid=IwAR0abc", "/?source=ev-kino"),
        (
            "/de/?utm_source=news&utm_campaign=dec&email=a%40b.org",
            "/de/?source=news&utm_campaign=dec",
        ),
        ("/?source=%3Cscript%3E", "/"),
        ("/?source=&source=partnerA&utm_source=x:y", "/?source=x%3Ay"),  # as the page reads it
    ],
)
def test_a_clearnet_public_page_names_its_onion_twin(onion_app, path, location):
    response = onion_app.test_client().get(path)
    assert response.status_code == 200
    assert response.headers["Onion-Location"] == ONION_URL + location


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/admin/login"),
        ("GET", "/confirm/not-a-token"),
        ("GET", "/no-such-page"),
        ("GET", "/api/form-stamp"),
        ("GET", "/healthz"),
        ("POST", "/sign"),
    ],
)
def test_no_onion_location_beyond_the_public_pages(onion_app, method, path):
    client = onion_app.test_client()
    data = {**form_fields(client), "email": "x"} if method == "POST" else None
    response = client.open(path, method=method, data=data)
    assert "Onion-Location" not in response.headers, response.status_code


def test_no_onion_location_without_an_onion_url(client):
    for path in ("/", "/ru/safety"):
        response = client.get(path)
        assert response.status_code == 200 and "Onion-Location" not in response.headers


def test_the_onion_host_is_served_without_hsts_and_names_the_public_url(onion_app):
    client = onion_app.test_client()
    public = onion_app.config["PUBLIC_URL"]
    # Even if something in between says https: over the onion HSTS means nothing.
    onion = client.get("/de/", headers={"Host": ONION, "X-Forwarded-Proto": "https"})
    assert onion.status_code == 200
    assert "Strict-Transport-Security" not in onion.headers
    assert "Onion-Location" not in onion.headers
    html = onion.get_data(as_text=True)
    assert f'<link rel="canonical" href="{public}/de/">' in html
    assert f'<meta property="og:url" content="{public}/de/">' in html
    assert f'<link rel="alternate" hreflang="ru" href="{public}/ru/">' in html
    assert ONION not in html  # every link on the page is relative or PUBLIC_URL's
    assert 'action="/de/sign"' in html
    clearnet = client.get("/de/", headers={"X-Forwarded-Proto": "https"})
    assert "Strict-Transport-Security" in clearnet.headers


def test_a_supporter_signs_over_the_onion(onion_app):
    client = onion_app.test_client()
    headers = {"Host": ONION, "Origin": ONION_URL}
    hidden = form_fields(client)
    signed = client.post(
        "/ru/sign",
        data={**hidden, "given_name": "Анна", "email": "anna@example.org", "country": "RU"},
        headers=headers,
    )
    assert signed.status_code == 303 and signed.headers["Location"] == "/ru/thank-you"
    thanks = client.get("/ru/thank-you", headers=headers)
    assert thanks.status_code == 200 and "Strict-Transport-Security" not in thanks.headers


def test_the_memory_cache_keeps_onion_and_clearnet_copies_apart(app_factory):
    app = app_factory(ONION_URL=ONION_URL, PUBLIC_CACHE_SECONDS=60)
    client = app.test_client()
    assert "Onion-Location" in client.get("/safety").headers
    assert "Onion-Location" not in client.get("/safety", headers={"Host": ONION}).headers
    assert "Onion-Location" in client.get("/safety").headers
    assert (
        "Onion-Location"
        not in client.get("/safety", headers={"Host": ONION.upper() + ":80"}).headers
    )
    for n in range(20):  # hosts nobody trusts are refused and never keyed
        assert client.get("/safety", headers={"Host": f"x{n}.onion"}).status_code == 400
    store = app.extensions["campaign_site.short_cache"]
    assert len([key for key in store if isinstance(key, tuple)]) == 2


@pytest.mark.parametrize("path", ["/", "/safety", "/healthz", "/admin/login"])
def test_a_host_nobody_trusts_still_gets_a_plain_400(onion_app, path):
    """The headers of the refusal ask whether the Host is the onion's: without tripping
    over the untrusted Host themselves."""
    headers = {"Host": "evil.example", "X-Forwarded-Proto": "https"}
    response = onion_app.test_client().get(path, headers=headers)
    assert response.status_code == 400 and "Onion-Location" not in response.headers


VALID = f"http://{ONION}"
WRONG_CHARACTER = ONION[:10] + ("a" if ONION[10] != "a" else "b") + ONION[11:]


@pytest.mark.parametrize(
    "bad",
    [
        f"https://{ONION}",  # an onion is reached over http: Tor encrypts the circuit
        ONION,  # no scheme
        f"http://{ONION}:8080",
        f"http://{ONION}/petition",
        f"http://{ONION}/?x=1",
        "http://expyuzz4wqqyqhjn.onion",  # a retired v2 address
        "http://www.example.org",
        f"http://www.{ONION}",
        f"http://{WRONG_CHARACTER}",  # the checksum catches a mistyped character
        f"http://user@{ONION}",
    ],
)
def test_a_malformed_onion_url_stops_the_start(bad):
    with pytest.raises(RuntimeError, match=r"ONION_URL: .* onion"):
        create_app({"ONION_URL": bad})


def test_a_malformed_onion_url_in_the_environment_stops_the_start(monkeypatch):
    monkeypatch.setenv("APP_ENV", "testing")
    monkeypatch.setenv("ONION_URL", f"https://{ONION}")
    with pytest.raises(RuntimeError, match=re.escape("http, not https")):
        create_app()


@pytest.mark.parametrize("written", [VALID, VALID + "/", VALID.upper().replace("HTTP", "http")])
def test_an_onion_url_is_taken_in_one_form_and_its_host_trusted(written):
    app = create_app({"ONION_URL": written})
    assert app.config["ONION_URL"] == VALID
    assert ONION in app.config["TRUSTED_HOSTS"]
