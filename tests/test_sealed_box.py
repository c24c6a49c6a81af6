"""The sealed box grows without breaking: today's boxes name their fields, boxes sealed
in the older positional layout still open, and a box's header cannot be swapped."""

import os

import pytest
from support import sign, stored_signatures

from campaign_site.crypto.keyrings import Keyring, data_keyring, new_key, parse_keys
from campaign_site.crypto.sealed_box import Person, UnreadableData, open_box, seal
from campaign_site.extensions import db
from campaign_site.models import Signature

V1_AAD = b"campaign_site signature personal data v1"


def keyring() -> Keyring:
    return Keyring("DATA_ENCRYPTION_KEY", parse_keys("DATA_ENCRYPTION_KEY", new_key()))


def version_1_box(ring, *fields: str) -> bytes:
    """A box as the site sealed it before boxes named their fields (fields by position)."""
    plaintext = "\x1f".join(fields).encode()
    plaintext += b"\x00" * (-len(plaintext) % 32)
    nonce = os.urandom(12)
    sealed = ring.ciphers[ring.current_id].encrypt(nonce, plaintext, V1_AAD)
    return b"\x01" + ring.current_id + nonce + sealed


@pytest.mark.parametrize(
    "fields, person",
    [
        (
            ("Ada", "Lovelace", "ada@example.org", "London"),
            Person("Ada", "Lovelace", "ada@example.org", "London"),
        ),
        (
            ("Ada", "Lovelace", "ada@example.org", ""),
            Person("Ada", "Lovelace", "ada@example.org", None),
        ),
        (
            ("Ada Lovelace", "ada@example.org", "London"),
            Person("", "Ada Lovelace", "ada@example.org", "London"),
        ),
    ],
)
def test_boxes_in_the_older_positional_layout_still_open(fields, person):
    ring = keyring()
    assert open_box(version_1_box(ring, *fields), ring) == person


def test_a_box_names_its_fields_and_opens_to_the_same_person():
    ring = keyring()
    person = Person("Олена", "Шевченко", "olena@example.org", "Київ 01001")
    box = seal(person, ring)
    assert box[:1] == b"\x02" and open_box(box, ring) == person
    short = seal(Person("A", "B", "c@example.org"), ring)
    assert len(box) == len(short) + 32 * ((len(box) - len(short)) // 32)  # padded to 32 bytes


def test_a_swapped_header_does_not_open():
    ring = keyring()
    box = bytearray(seal(Person("Ada", "Lovelace", "ada@example.org"), ring))
    box[5] ^= 1  # a bit of the nonce in the authenticated header
    with pytest.raises(UnreadableData):
        open_box(bytes(box), ring)


def test_a_signature_sealed_in_the_older_layout_reads_like_any_other(app, client):
    """A row from before this layout, next to a new one, through the app's own reading."""
    sign(client, given_name="Grace", family_name="Hopper", email="grace@example.org")
    with app.app_context():
        ring = data_keyring()
        row = db.session.scalars(db.select(Signature)).one()
        row.identity = version_1_box(ring, "Grace", "Hopper", "grace@example.org", "")
        db.session.commit()
    (stored,) = stored_signatures(app)
    assert (stored.given_name, stored.family_name, stored.email) == (
        "Grace",
        "Hopper",
        "grace@example.org",
    )
