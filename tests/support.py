"""Helpers for tests that act as a supporter or an admin would, through the HTTP surface."""

import re
import time
import weakref

from flask import Flask
from flask.testing import FlaskClient

from campaign_site.crypto.sealed_box import open_box
from campaign_site.extensions import db
from campaign_site.models import Signature

CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_token_from(html: str) -> str:
    """The CSRF token a page's form carries."""
    match = CSRF_INPUT.search(html)
    assert match, "page has no CSRF token"
    return match.group(1)


VALID_SIGNATURE = {
    "given_name": "Ada",
    "family_name": "Lovelace",
    "email": "ada@example.org",
    "country": "GB",
    "postcode_city": "London",
}


HIDDEN_INPUT = re.compile(r'<input[^>]*type="hidden"[^>]*>')
NAME_VALUE = re.compile(r'name="([^"]+)"[^>]*value="([^"]*)"|value="([^"]*)"[^>]*name="([^"]+)"')


def hidden_fields(html: str) -> dict[str, str]:
    """The hidden inputs of a page's forms (CSRF token, form-started stamp)."""
    fields = {}
    for tag in HIDDEN_INPUT.findall(html):
        match = NAME_VALUE.search(tag)
        if match:
            name, value = (
                (match.group(1), match.group(2))
                if match.group(1)
                else (match.group(4), match.group(3))
            )
            fields[name] = value
    return fields


def form_stamp(client: FlaskClient, prefix: str = "") -> str:
    """The "form served at" stamp site.js fetches once a visitor starts on the form."""
    response = client.get(f"{prefix}/api/form-stamp")
    assert response.status_code == 200 and "Set-Cookie" not in response.headers
    return response.get_json()["stamp"]


def form_fields(client: FlaskClient, prefix: str = "") -> dict[str, str]:
    """The form's hidden fields as a browser running site.js sends them: the page's own,
    and the stamp fetched when the visitor starts on the form."""
    hidden = hidden_fields(client.get(f"{prefix}/").get_data(as_text=True))
    return {**hidden, "started": form_stamp(client, prefix)}


# The page's hidden fields as each test client last read them: a supporter who signs again
# in the same tab has the page already. Rendering the whole campaign page for every
# signature was a sixth of the test run's time; the stamp is still fetched every time.
_PAGE_HIDDEN_FIELDS: "weakref.WeakKeyDictionary[FlaskClient, dict[str, str]]" = (
    weakref.WeakKeyDictionary()
)


def sign(client: FlaskClient, **fields):
    """Open the page (once per test client) and submit the petition form as a supporter
    would.

    name="Given Family ..." is shorthand for the two name fields (first word, the rest).
    """
    if "name" in fields:
        given, _, family = (fields.pop("name") or "").partition(" ")
        fields = {"given_name": given, "family_name": family, **fields}
    hidden = _PAGE_HIDDEN_FIELDS.get(client)
    if not hidden:
        hidden = _PAGE_HIDDEN_FIELDS[client] = hidden_fields(client.get("/").get_data(as_text=True))
    form = {**VALID_SIGNATURE, **hidden, "started": form_stamp(client), **fields}
    form = {key: value for key, value in form.items() if value is not None}
    return client.post("/sign", data=form)


class StoredSignature:
    """A stored row with its personal data decrypted, as the admin export shows it."""

    def __init__(self, row: Signature) -> None:
        for column in Signature.__table__.columns:
            setattr(self, column.key, getattr(row, column.key))
        person = open_box(row.identity)
        self.given_name, self.family_name = person.given_name, person.family_name
        self.name, self.email, self.postcode_city = (
            " ".join(part for part in (person.given_name, person.family_name) if part),
            person.email,
            person.postcode_city,
        )


def stored_signatures(app: Flask) -> list[StoredSignature]:
    """Every signature in the database, oldest first, decrypted."""
    with app.app_context():
        rows = db.session.scalars(db.select(Signature).order_by(Signature.id)).all()
        stored = [StoredSignature(row) for row in rows]
        db.session.rollback()
        return stored


def confirm_pending(app: Flask, client: FlaskClient) -> int:
    """Open the confirmation link of every pending signature, as their owners would."""
    from campaign_site.petition import link_tokens

    with app.app_context():
        links = [
            f"/confirm/{link_tokens.make_token(signature, link_tokens.CONFIRM)}"
            for signature in db.session.scalars(db.select(Signature).where(Signature.is_pending))
        ]
    for link in links:
        assert client.get(link).status_code == 200
    return len(links)


def sign_and_confirm(app: Flask, client: FlaskClient, **fields):
    """Sign, then confirm through the emailed link."""
    response = sign(client, **fields)
    confirm_pending(app, client)
    return response


def blind_index_of(app: Flask, email: str) -> bytes:
    """The blind index the site stores for an address, under the current key."""
    from campaign_site.crypto.mailbox_index import blind_indexes

    with app.app_context():
        return blind_indexes(email)[0]


def log_in(
    client: FlaskClient,
    email: str,
    password: str,
    next_path: str | None = None,
    ip: str | None = None,
):
    """Open the admin login page and submit it as an admin would; returns the response.

    ip: the client address the proxy reports (X-Forwarded-For), for lockout tests."""
    url = "/admin/login" + (f"?next={next_path}" if next_path else "")
    token = csrf_token_from(client.get(url).get_data(as_text=True))
    headers = {"X-Forwarded-For": ip} if ip else {}
    return client.post(
        url, data={"email": email, "password": password, "csrf_token": token}, headers=headers
    )


SECRET_IN_URI = re.compile(r"otpauth://totp/\S*secret=([A-Z2-7]+)")


def totp_secret_from(cli_output: str) -> str:
    """The authenticator secret create-admin printed."""
    match = SECRET_IN_URI.search(cli_output)
    assert match, "create-admin printed no otpauth:// URI"
    return match.group(1)


def current_code(secret: str, offset_steps: int = 0) -> str:
    import time

    import pyotp

    return pyotp.TOTP(secret).at(int(time.time()) + 30 * offset_steps)


def give_code(client: FlaskClient, code: str, next_path: str | None = None):
    """The login's second step, as an admin types the code from their app."""
    url = "/admin/login/code" + (f"?next={next_path}" if next_path else "")
    token = csrf_token_from(client.get(url).get_data(as_text=True))
    return client.post(url, data={"code": code, "csrf_token": token})


def run_cli(app: Flask, *args: str):
    """A `flask` command as an operator types it; exceptions surface as failures."""
    return app.test_cli_runner().invoke(args=list(args), catch_exceptions=False)


def withdraw_link(app: Flask, email: str) -> str:
    """The withdraw link the site emails to an address's signer."""
    from campaign_site.petition import link_tokens, signing

    with app.app_context():
        signature = signing.find_by_email(email)
        assert signature is not None, f"no signature for {email}"
        link = f"/withdraw/{link_tokens.make_token(signature, link_tokens.WITHDRAW)}"
        db.session.rollback()
        return link


def withdraw(client: FlaskClient, link: str, prefix: str = ""):
    """Open a withdraw link and press its button, as the supporter would."""
    assert client.get(prefix + link).status_code == 200
    return client.post(prefix + link, headers={"Sec-Fetch-Site": "same-origin"})


SITE_LINK = re.compile(r"http://localhost(/\S+)")


def run_worker(app: Flask):
    """`flask mail-worker --once`, as cron would run it."""
    result = app.test_cli_runner().invoke(args=["mail-worker", "--once"])
    assert result.exit_code == 0, result.output
    return result


def links_in(message) -> dict[str, str]:
    """The site's links in an email's plain-text part, by what they do."""
    text = message.get_body(preferencelist=("plain",)).get_content()
    return {path.split("/")[1]: path for path in SITE_LINK.findall(text)}


def outbox_rows(app: Flask) -> list:
    """Every message in the outbox, oldest first, detached from the session."""
    from campaign_site.models import OutboxMessage

    with app.app_context():
        rows = db.session.scalars(db.select(OutboxMessage).order_by(OutboxMessage.id)).all()
        db.session.expunge_all()
        return list(rows)


def old_token(app: Flask, purpose: str, age):
    """A genuine link token for the only signature, as if it had been made `age` ago."""
    from campaign_site.models import utcnow
    from campaign_site.petition import link_tokens

    with app.app_context():
        signature = db.session.scalars(db.select(Signature)).one()
        return link_tokens.make_token(signature, purpose, issued_at=utcnow() - age)


def emailed_links(app: Flask, mail_server, address: str) -> dict[str, str]:
    """Send what is queued (`flask mail-worker --once`), then the site's links in the newest
    email to address, by what they do: confirm, withdraw, unsubscribe, ..."""
    sent = app.test_cli_runner().invoke(args=["mail-worker", "--once"])
    assert sent.exit_code == 0, sent.output
    message = mail_server.inbox.to(address)[-1]
    text = message.get_body(preferencelist=("plain",)).get_content()
    return {path.split("/")[1]: path for path in SITE_LINK.findall(text)}


def onion_address(seed: int = 1) -> str:
    """A well-formed v3 onion host name (checksum and version right) for a made-up key."""
    import base64
    import hashlib

    key = hashlib.sha256(seed.to_bytes(8, "big")).digest()
    checksum = hashlib.sha3_256(b".onion checksum" + key + b"\x03").digest()[:2]
    return base64.b32encode(key + checksum + b"\x03").decode().lower() + ".onion"


def logged_in_admin(app: Flask, email: str = "organiser@example.org") -> FlaskClient:
    """A browser logged in as a fresh owner of this app (create-admin's default role)."""
    password = "a long organiser passphrase"
    result = app.test_cli_runner().invoke(args=["create-admin", email], input=password + "\n")
    assert result.exit_code == 0, result.output
    client = app.test_client()
    assert log_in(client, email, password).status_code == 303
    return client


def in_a_fresh_minute(seconds_needed: float = 8) -> None:
    """Wait for the next minute if this one ends too soon: the limits count fixed windows."""
    left = 60 - time.time() % 60
    if left < seconds_needed:
        time.sleep(left + 0.1)
