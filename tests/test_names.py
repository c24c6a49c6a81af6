"""Only a name the supporter chose to show is ever published: the given name, asked for in
its own field, whatever order names come in where they live."""

import csv
import io
import os

from sqlalchemy import update
from support import confirm_pending, sign, stored_signatures

from campaign_site.crypto.box_format import (
    ASSOCIATED_DATA,
    NONCE_BYTES,
    PAD_TO,
    SEPARATOR,
    VERSION_1,
)
from campaign_site.crypto.keyrings import data_keyring
from campaign_site.extensions import db
from campaign_site.models import Signature


def recent_names(client) -> str:
    html = client.get("/").get_data(as_text=True)
    start = html.find('class="recent')
    return html[start:] if start >= 0 else ""  # no list at all when nobody may be shown


def test_family_name_first_is_never_published(app, client):
    """Иванов Иван Иванович: the family name comes first in Russian; only Иван is shown."""
    sign(
        client,
        given_name="Иван Иванович",
        family_name="Иванов",
        email="ivan@example.org",
        show_name="y",
    )
    confirm_pending(app, client)
    shown = recent_names(client)
    assert ">Иван<" in shown and "Иванов" not in shown and "Иванович" not in shown


def test_both_names_are_kept_for_the_petition(app, admin_client):
    sign(app.test_client(), given_name="Olena", family_name="Kovalenko", email="olena@example.org")
    [signature] = stored_signatures(app)
    assert (signature.given_name, signature.family_name) == ("Olena", "Kovalenko")
    body = admin_client.get("/admin/signatures.csv?status=all").get_data().decode("utf-8-sig")
    [row] = list(csv.DictReader(io.StringIO(body, newline="")))
    assert (row["given_name"], row["family_name"]) == ("Olena", "Kovalenko")


def test_a_single_name_is_welcome(app, client):
    """Many people have one name only: the family name is optional."""
    assert sign(client, given_name="Suharto", family_name="").status_code == 303
    [signature] = stored_signatures(app)
    assert (signature.given_name, signature.family_name) == ("Suharto", "")


def legacy_box(name: str, email: str, place: str) -> bytes:
    """A box as sealed before names came in two fields: name, email, place."""
    keyring = data_keyring()
    plaintext = SEPARATOR.join((name, email, place)).encode()
    plaintext += b"\x00" * (-len(plaintext) % PAD_TO)
    nonce = os.urandom(NONCE_BYTES)
    sealed = keyring.ciphers[keyring.current_id].encrypt(nonce, plaintext, ASSOCIATED_DATA)
    return VERSION_1 + keyring.current_id + nonce + sealed


def test_an_older_signature_with_one_name_field_publishes_nothing_new(app, client, admin_client):
    sign(client, name="Placeholder Person", email="old@example.org", show_name="y")
    confirm_pending(app, client)
    assert "Placeholder" in recent_names(client)
    with app.app_context():  # as stored before given names were asked for
        db.session.execute(
            update(Signature).values(identity=legacy_box("Иванов Иван", "old@example.org", ""))
        )
        db.session.commit()
        from campaign_site.petition import short_cache

        short_cache.forget_all()
    assert "Иван" not in recent_names(client)  # which word is the given name cannot be known
    body = admin_client.get("/admin/signatures.csv").get_data().decode("utf-8-sig")
    [row] = list(csv.DictReader(io.StringIO(body, newline="")))
    assert (row["given_name"], row["family_name"], row["email"]) == (
        "",
        "Иванов Иван",
        "old@example.org",
    )


def test_a_slogan_or_link_typed_as_a_given_name_is_never_listed(app, client):
    sign(client, given_name="www.evil.test", email="a@example.org", show_name="y")
    sign(client, given_name="Free", family_name="X", email="b@example.org", show_name="y")
    sign(client, given_name="Visit our site now", email="c@example.org", show_name="y")
    confirm_pending(app, client)
    shown = recent_names(client)
    assert "evil" not in shown and "our site" not in shown
    assert ">Free<" in shown and ">Visit<" in shown  # one word, and only a name-like one
