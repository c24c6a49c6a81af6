"""The pure functions under everything else: the mailbox key, text cleaning, one CSV line."""

import csv
import io

import pytest

from campaign_site.config import TEST_DATA_ENCRYPTION_KEY
from campaign_site.crypto.keyrings import Keyring, parse_keys
from campaign_site.crypto.mailbox_index import mailbox_key
from campaign_site.crypto.sealed_box import Person, seal
from campaign_site.export import HEADER, csv_lines
from campaign_site.text import clean_text, normalize_admin_email, public_name, without_addresses


@pytest.mark.parametrize(
    ("typed", "key"),
    [
        ("Ada@Example.org", "ada@example.org"),
        ("ada+petition@example.org", "ada@example.org"),
        ("a.d.a@gmail.com", "ada@gmail.com"),
        ("A.D.A+x@googlemail.com", "ada@gmail.com"),
        ("a.d.a@example.org", "a.d.a@example.org"),  # dots matter outside Gmail
        ("+tag@example.org", "+tag@example.org"),  # nothing before the tag: kept whole
        ("Олена@приклад.укр", "олена@приклад.укр"),
    ],
)
def test_one_mailbox_key_however_the_address_is_spelled(typed, key):
    assert mailbox_key(typed) == key


@pytest.mark.parametrize(
    ("typed", "cleaned"),
    [
        ("  Ada   Lovelace ", "Ada Lovelace"),
        ("Ada\x00\x1fLovelace", "Ada Lovelace"),  # control characters become spaces
        ("\u202eecalevoL", "ecalevoL"),  # a bidi override is dropped
        ("Cafe\u0301", "Café"),  # NFC: one code point for é
        ("\t\n", ""),
        (None, None),
    ],
)
def test_clean_text(typed, cleaned):
    assert clean_text(typed) == cleaned


def test_admin_emails_ignore_case_and_stray_spaces():
    assert normalize_admin_email("  Boss@Example.ORG\n") == "boss@example.org"


def test_addresses_are_taken_out_of_mail_server_errors():
    assert (
        without_addresses("550 <ada@example.org>: no such user") == "550 <<address>>: no such user"
    )


@pytest.mark.parametrize(
    ("given", "shown"),
    [
        ("Olena Petrenko", "Olena"),
        ("J.", "J."),
        ("O'Brien", "O'Brien"),
        ("Анна-Марія", "Анна-Марія"),
        ("http://x.test", None),
        ("ada@example.org", None),
        ("R2D2", None),
        ("", None),
        ("-Ada", None),
        ("A" * 31, None),
    ],
)
def test_public_name_shows_one_name_like_word_or_nothing(given, shown):
    assert public_name(given) == shown


KEYRING = Keyring(
    "DATA_ENCRYPTION_KEY", parse_keys("DATA_ENCRYPTION_KEY", TEST_DATA_ENCRYPTION_KEY)
)


def _line(person: Person, **columns) -> dict[str, str]:
    row = {
        "id": 7,
        "status": "confirmed",
        "signed_at": "2026-11-30 23:59:58.123456",
        "confirmed_at": None,
        "country": "UA",
        "keep_informed": True,
        "show_name": False,
        "language": "uk",
        "review_marks": "too_fast",
        "source": "share:whatsapp",
        "source_campaign": None,
        "discreet_mail": True,
        "mail_status": "bounced",
        **columns,
    }
    values = (*row.values(), seal(person, KEYRING))
    text = csv_lines([values], KEYRING)
    assert text.endswith("\r\n") and text.count("\r\n") == 1
    [parsed] = csv.DictReader(io.StringIO(",".join(HEADER) + "\r\n" + text, newline=""))
    return parsed


def test_a_csv_line_holds_every_column_as_a_spreadsheet_reads_it():
    parsed = _line(Person("Олена", 'Petrenko, "Lena"', "olena@example.org", None))
    assert parsed == {
        "id": "7",
        "status": "confirmed",
        "signed_at_utc": "2026-11-30T23:59:58Z",
        "confirmed_at_utc": "",
        "given_name": "Олена",
        "family_name": 'Petrenko, "Lena"',
        "email": "olena@example.org",
        "country": "UA",
        "postcode_city": "",
        "keep_informed": "yes",
        "show_name": "no",
        "language": "uk",
        "review_marks": "too_fast",
        "source": "share:whatsapp",
        "source_campaign": "",
        "discreet_mail": "yes",
        "mail_status": "bounced",
    }


def test_a_source_code_that_starts_like_a_formula_is_defused():
    parsed = _line(Person("Ada", "L", "ada@example.org", None), source="-cmd", source_campaign="-x")
    assert parsed["source"] == "'-cmd" and parsed["source_campaign"] == "'-x"


@pytest.mark.parametrize("dangerous", ["=1+1", "+49 30", "-2", "@SUM(A1)", "\tx"])
def test_a_csv_line_defuses_what_a_spreadsheet_would_run(dangerous):
    parsed = _line(
        Person("Ada", dangerous, "ada@example.org", dangerous), confirmed_at="2026-01-02 03:04:05"
    )
    assert parsed["family_name"] == "'" + dangerous and parsed["postcode_city"] == "'" + dangerous
    assert parsed["confirmed_at_utc"] == "2026-01-02T03:04:05Z"
