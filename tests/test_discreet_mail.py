"""Safe to sign from Russia: a supporter with an address at a provider under Russian or
Belarusian law is warned before anything is stored, and every email to a discreet address
carries no campaign word, to the last header."""

import email
import email.policy
import quopri
import re
import socket
from datetime import timedelta

import pytest
from dnsserver import DnsServer
from sqlalchemy import func, select
from support import VALID_SIGNATURE, confirm_pending, form_fields, sign, stored_signatures

from campaign_site.extensions import db
from campaign_site.mail import mx_lookup
from campaign_site.models import OutboxMessage, Signature, utcnow
from campaign_site.petition import link_tokens, updates

DISCREET_HOST = "http://notes.example.net"

# What would tell a reader of the mailbox that its owner signed: the campaign's words in
# English, German, Russian and Ukrainian, their Latin transliterations, and the names
# around the case. Searched case-insensitively; stems catch the inflected forms.
TELLTALE = (
    "petition", "petiti", "петици", "петиці", "petits", "sign", "signatur", "unterschr",
    "unterzeich", "подпис", "підпис", "podpis", "pidpys", "magnitsk", "magnitski", "магнитск",
    "магнітськ", "sergei", "sergey", "serhii", "сергей", "сергея", "сергій", "justice",
    "gerechtigkeit", "справедлив", "spravedliv", "cinema for peace", "campaign", "kampagne",
    "кампани", "кампані", "kampani", "browder", "браудер", "hermitage", "эрмитаж", "ермітаж",
    "kremlin", "kreml", "кремл", "putin", "путин", "путін", "magnitsky act",
)  # fmt: skip
# Links carry random tokens: a token may spell "sign" by chance, so they are masked first.
TOKEN = re.compile(r"(/(?:confirm|withdraw|unsubscribe)/)[A-Za-z0-9_.\-]+")


def telltale_words(raw: bytes) -> set[str]:
    """The telltale words in a message: in its raw bytes (soft line breaks undone), in every
    header as decoded, and in every part as decoded."""
    message = email.message_from_bytes(raw, policy=email.policy.default)
    texts = [raw.replace(b"=\r\n", b"").replace(b"=\n", b"").decode("utf-8", "replace")]
    texts += [f"{name}: {value}" for name, value in message.items()]
    texts += [
        part.get_content() for part in message.walk() if part.get_content_maintype() == "text"
    ]
    texts += [quopri.decodestring(raw).decode("utf-8", "replace")]
    found = set()
    for text in texts:
        text = TOKEN.sub(r"\1TOKEN", text).casefold()
        found |= {word for word in TELLTALE if word.casefold() in text}
    return found


def run_worker(app):
    """`flask mail-worker --once`, as cron would run it."""
    result = app.test_cli_runner().invoke(args=["mail-worker", "--once"])
    assert result.exit_code == 0, result.output


def sent_to(mail_server, address: str) -> list[bytes]:
    """The raw messages the SMTP server received for an address."""
    inbox = mail_server.inbox
    return [raw for raw, to in zip(inbox.raw, inbox.recipients, strict=True) if address in to]


def nothing_stored(app) -> bool:
    with app.app_context():
        messages = db.session.scalar(select(func.count()).select_from(OutboxMessage))
        db.session.rollback()
    return stored_signatures(app) == [] and messages == 0


def discreet_flag(app, email_address: str) -> bool:
    [signature] = [s for s in stored_signatures(app) if s.email == email_address]
    return signature.discreet_mail


# --- the warning on the signing form -------------------------------------------------


def test_a_listed_domain_is_warned_about_first_and_stored_once_the_signer_keeps_it(app, client):
    typed = {"given_name": "Olga", "family_name": "Ivanova", "email": "olga@yandex.ru"}
    warned = sign(client, **typed)
    page = warned.get_data(as_text=True)

    assert warned.status_code == 422
    assert "yandex.ru is run by a company in Russia" in page
    assert "An email from us would show them that you signed this petition." in page
    assert "provider outside Russia and Belarus" in page
    assert 'name="mail_risk_accepted"' in page
    assert 'value="Olga"' in page and 'value="Ivanova"' in page and 'value="olga@yandex.ru"' in page
    assert nothing_stored(app)

    kept = sign(client, **typed, mail_risk_accepted="y")
    assert kept.status_code == 303
    assert discreet_flag(app, "olga@yandex.ru") is True


def test_the_warning_is_linked_to_the_email_field_and_takes_the_focus(client):
    page = sign(client, email="olga@mail.ru").get_data(as_text=True)
    email_input = re.search(r'<input[^>]*id="email"[^>]*>', page).group(0)
    assert "email-risk" in re.search(r'aria-describedby="([^"]*)"', email_input).group(1)
    warning = re.search(r'<div class="mail-risk" id="email-risk"[^>]*>', page).group(0)
    assert 'tabindex="-1"' in warning and "autofocus" in warning
    assert 'aria-labelledby="email-risk-title"' in warning


def test_the_warning_is_the_same_for_an_address_that_signed_and_one_that_did_not(app, client):
    assert sign(client, email="anna@mail.ru", mail_risk_accepted="y").status_code == 303
    stamp = form_fields(client)
    answers = []
    for address in ("anna@mail.ru", "boris@mail.ru"):
        form = {**VALID_SIGNATURE, **stamp, "email": address}
        response = client.post("/sign", data=form)
        answers.append((response.status_code, response.get_data(as_text=True).replace(address, "")))
    assert answers[0] == answers[1]
    assert answers[0][0] == 422


@pytest.mark.parametrize(
    ("address", "warned"),
    [
        ("olga@corp.mail.ru", True),  # a subdomain of a listed domain
        ("olga@YANDEX.BY", True),
        ("olga@tut.by", True),
        ("olga@notmail.ru", False),  # ends like one, is not one
        ("olga@mail.ru.example.org", False),
    ],
)
def test_subdomains_count_and_look_alikes_do_not(client, address, warned):
    response = sign(client, email=address)
    assert (response.status_code == 422) is warned
    assert ('id="email-risk"' in response.get_data(as_text=True)) is warned


def test_a_belarusian_provider_is_named_as_such(client):
    page = sign(client, email="olga@tut.by").get_data(as_text=True)
    assert "tut.by is run by a company in Belarus" in page


def test_mail_risky_domains_adds_domains_and_their_subdomains(app_factory):
    client = app_factory(MAIL_RISKY_DOMAINS=["pochta-region.org"]).test_client()
    for address in ("olga@pochta-region.org", "olga@mx.pochta-region.org"):
        page = sign(client, email=address).get_data(as_text=True)
        assert "is run by a company in Russia or Belarus" in page, address
    assert sign(client, email="olga@example.org").status_code == 303


@pytest.mark.parametrize(
    ("prefix", "words"),
    [
        ("/de", "Behörden können E-Mails an diese Adresse lesen"),
        ("/ru", "Письма на этот адрес могут читать власти"),
        ("/uk", "Листи на цю адресу можуть читати органи влади"),
    ],
)
def test_the_warning_is_in_the_visitors_language(client, prefix, words):
    form = {**VALID_SIGNATURE, **form_fields(client, prefix), "email": "olga@rambler.ru"}
    response = client.post(f"{prefix}/sign", data=form)
    assert response.status_code == 422
    assert words in response.get_data(as_text=True)


def test_the_embed_warns_the_same_way_and_signs_once_the_address_is_kept(app, client):
    form = {**VALID_SIGNATURE, **form_fields(client), "email": "olga@bk.ru"}
    warned = client.post("/embed/sign", data=form)
    assert warned.status_code == 422
    assert 'id="email-risk"' in warned.get_data(as_text=True)
    assert nothing_stored(app)

    kept = client.post("/embed/sign", data={**form, "mail_risk_accepted": "y"})
    assert kept.status_code == 303 and kept.headers["Location"].endswith("/embed/thank-you")
    assert discreet_flag(app, "olga@bk.ru") is True


@pytest.mark.parametrize("path", ["/", "/embed"])
def test_every_form_offers_discreet_mail(client, path):
    page = client.get(path).get_data(as_text=True)
    assert 'name="discreet_mail"' in page
    assert "Send me only discreet emails" in page and "neutral sender" in page


def test_discreet_mail_can_be_asked_for_at_any_address(app, client):
    assert sign(client, email="ada@example.org", discreet_mail="y").status_code == 303
    assert sign(client, email="bob@example.org").status_code == 303
    assert discreet_flag(app, "ada@example.org") is True
    assert discreet_flag(app, "bob@example.org") is False


def test_signing_again_can_make_mail_discreet_but_never_ordinary_again(app, client):
    assert sign(client, email="ada@example.org").status_code == 303
    assert discreet_flag(app, "ada@example.org") is False
    assert sign(client, email="ada@example.org", discreet_mail="y").status_code == 303
    assert discreet_flag(app, "ada@example.org") is True
    assert sign(client, email="ada@example.org").status_code == 303
    assert discreet_flag(app, "ada@example.org") is True


# --- what a discreet email looks like ------------------------------------------------


@pytest.fixture
def mail_site(app_factory, mail_server):
    """The worker on the loopback SMTP server, a neutral link host, repeats mailed at once."""
    return app_factory(
        **mail_server.settings(), DISCREET_LINK_URL=DISCREET_HOST, RESEND_INTERVAL_MINUTES=0
    )


def assert_discreet(raw: bytes) -> None:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert telltale_words(raw) == set()
    assert message["From"] == "Notifications <noreply@localhost>"
    assert message["Message-ID"].endswith("@localhost>")
    text = message.get_body(preferencelist=("plain",)).get_content()
    links = [*re.findall(r"https?://\S+", text), message["List-Unsubscribe"].strip("<>")]
    assert links and all(link.startswith(DISCREET_HOST + "/") for link in links), links
    body = raw.split(b"\r\n\r\n", 1)[1]
    assert max(len(line) for line in body.splitlines()) <= 76  # RFC 2045's quoted-printable


def test_the_confirmation_to_a_discreet_address_has_no_campaign_word(mail_site, mail_server):
    client = mail_site.test_client()
    assert sign(client, email="olga@yandex.ru", mail_risk_accepted="y").status_code == 303
    assert sign(client, email="ada@example.org").status_code == 303
    run_worker(mail_site)

    [discreet] = sent_to(mail_server, "olga@yandex.ru")
    assert_discreet(discreet)
    parsed = email.message_from_bytes(discreet, policy=email.policy.default)
    assert parsed["Subject"] == "Please confirm your address"
    [ordinary] = sent_to(mail_server, "ada@example.org")
    assert {"justice", "petition", "magnitsk"} <= telltale_words(ordinary)


def test_the_discreet_confirmation_link_works_on_the_neutral_host(mail_site, mail_server):
    client = mail_site.test_client()
    assert sign(client, email="olga@inbox.ru", mail_risk_accepted="y").status_code == 303
    run_worker(mail_site)
    [raw] = sent_to(mail_server, "olga@inbox.ru")
    text = email.message_from_bytes(raw, policy=email.policy.default).get_body(("plain",))
    [link] = re.findall(DISCREET_HOST + r"(/confirm/\S+)", text.get_content())
    assert client.get(link, base_url=DISCREET_HOST).status_code == 200
    [signature] = stored_signatures(mail_site)
    assert signature.status == "confirmed"


@pytest.mark.parametrize("language", ["de", "ru", "uk"])
def test_a_discreet_confirmation_in_the_signers_language_has_no_campaign_word(
    mail_site, mail_server, language
):
    client = mail_site.test_client()
    form = {**VALID_SIGNATURE, **form_fields(client, f"/{language}")}
    form.update(email="olga@example.org", discreet_mail="y", given_name="Sergei")
    assert client.post(f"/{language}/sign", data=form).status_code == 303
    run_worker(mail_site)
    [raw] = sent_to(mail_server, "olga@example.org")
    assert_discreet(raw)
    subject = email.message_from_bytes(raw, policy=email.policy.default)["Subject"]
    assert subject != "Please confirm your address"  # translated


def test_the_repeat_notice_to_a_discreet_address_has_no_campaign_word(mail_site, mail_server):
    client = mail_site.test_client()
    assert sign(client, email="olga@list.ru", mail_risk_accepted="y").status_code == 303
    assert sign(client, email="ada@example.org").status_code == 303
    confirm_pending(mail_site, client)
    run_worker(mail_site)
    assert sign(client, email="olga@list.ru", mail_risk_accepted="y").status_code == 303
    assert sign(client, email="ada@example.org").status_code == 303
    run_worker(mail_site)

    confirmation, repeat = sent_to(mail_server, "olga@list.ru")
    assert_discreet(confirmation)
    assert_discreet(repeat)
    assert email.message_from_bytes(repeat, policy=email.policy.default)["Subject"] == "Your link"
    ordinary_repeat = sent_to(mail_server, "ada@example.org")[-1]
    assert "already signed" in email.message_from_bytes(ordinary_repeat)["Subject"]
    assert telltale_words(ordinary_repeat)


def test_a_fresh_withdraw_link_to_a_discreet_address_has_no_campaign_word(mail_site, mail_server):
    client = mail_site.test_client()
    for address in ("olga@rambler.ru", "ada@example.org"):
        extra = {"mail_risk_accepted": "y"} if address.endswith(".ru") else {}
        assert sign(client, email=address, **extra).status_code == 303
    confirm_pending(mail_site, client)
    with mail_site.app_context():
        tokens = [
            link_tokens.make_token(s, link_tokens.WITHDRAW, issued_at=utcnow() - timedelta(days=90))
            for s in db.session.scalars(select(Signature).order_by(Signature.id))
        ]
    for token in tokens:
        assert client.post(f"/withdraw/{token}/renew").status_code == 200
    run_worker(mail_site)

    raw = sent_to(mail_server, "olga@rambler.ru")[-1]
    assert_discreet(raw)
    assert email.message_from_bytes(raw, policy=email.policy.default)["Subject"] == "Your new link"
    assert telltale_words(sent_to(mail_server, "ada@example.org")[-1])


def sign_for_news(client, address: str, **extra) -> None:
    form = {**VALID_SIGNATURE, **form_fields(client), "email": address, "keep_informed": "y"}
    assert client.post("/sign", data={**form, **extra}).status_code == 303


def send_update(app, subject: str, body: str) -> int:
    with app.app_context():
        update_id = updates.create_draft(
            "organiser@example.org", {"en": updates.Text(subject, body)}, updates.Audience()
        )
        updates.send(update_id, "organiser@example.org", utcnow(), expected=10)
    return update_id


def test_an_update_reaches_a_discreet_address_as_a_neutral_note_linking_to_it(
    mail_site, mail_server
):
    client = mail_site.test_client()
    sign_for_news(client, "olga@yandex.com", mail_risk_accepted="y")
    sign_for_news(client, "ada@example.org")
    confirm_pending(mail_site, client)
    run_worker(mail_site)
    update_id = send_update(
        mail_site, "The Magnitsky Act, ten years on", "Sergei Magnitsky's case goes on."
    )
    run_worker(mail_site)

    note = sent_to(mail_server, "olga@yandex.com")[-1]
    assert_discreet(note)
    parsed = email.message_from_bytes(note, policy=email.policy.default)
    assert parsed["Subject"] == "News on a page you follow"
    text = parsed.get_body(preferencelist=("plain",)).get_content()
    assert "There is news on the page you asked to follow." in text
    assert f"{DISCREET_HOST}/news/{update_id}" in text
    ordinary = sent_to(mail_server, "ada@example.org")[-1]
    assert "magnitsk" in telltale_words(ordinary)

    page = client.get(f"/news/{update_id}", base_url=DISCREET_HOST)
    assert page.status_code == 200
    assert "The Magnitsky Act, ten years on" in page.get_data(as_text=True)


def test_the_news_page_shows_only_sent_updates_in_each_language(app, client):
    with app.app_context():
        draft = updates.create_draft(
            "organiser@example.org",
            {
                "en": updates.Text("Draft news", "Not yet."),
                "de": updates.Text("Entwurf", "Noch nicht."),
            },
            updates.Audience(),
        )
    assert client.get(f"/news/{draft}").status_code == 404
    assert client.get("/news/999999").status_code == 404
    assert client.get("/de/news/abc").status_code == 404

    sign_for_news(client, "ada@example.org")
    confirm_pending(app, client)
    with app.app_context():
        updates.send(draft, "organiser@example.org", utcnow(), expected=1)
    german = client.get(f"/de/news/{draft}").get_data(as_text=True)
    assert "Entwurf" in german and "Noch nicht." in german and '<html lang="de">' in german
    assert "Draft news" in client.get(f"/ru/news/{draft}").get_data(as_text=True)  # English


# --- MX lookups by the mail worker ---------------------------------------------------


@pytest.fixture
def dns_server():
    server = DnsServer(
        {"zavod-chaika.org": ["mx.yandex.net."], "plain-mail.org": ["mx1.example.net."]}
    )
    server.start()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def empty_mx_cache():
    mx_lookup.CACHE.clear()
    yield
    mx_lookup.CACHE.clear()


def test_an_address_whose_mail_servers_are_yandexs_gets_discreet_mail(
    app_factory, mail_server, dns_server
):
    app = app_factory(**mail_server.settings(), DNS_NAMESERVERS=[dns_server.address])
    client = app.test_client()
    assert sign(client, email="olga@zavod-chaika.org").status_code == 303  # no warning
    assert sign(client, email="ada@plain-mail.org").status_code == 303
    assert dns_server.queries == []  # never while the supporter waits
    run_worker(app)

    [discreet] = sent_to(mail_server, "olga@zavod-chaika.org")
    assert telltale_words(discreet) == set()
    assert discreet_flag(app, "olga@zavod-chaika.org") is True  # from now on, for good
    [ordinary] = sent_to(mail_server, "ada@plain-mail.org")
    assert telltale_words(ordinary)
    assert discreet_flag(app, "ada@plain-mail.org") is False
    assert sorted(dns_server.queries) == ["plain-mail.org", "zavod-chaika.org"]


def test_mail_risky_mx_adds_mail_server_suffixes(app_factory, mail_server, dns_server):
    app = app_factory(
        **mail_server.settings(),
        DNS_NAMESERVERS=[dns_server.address],
        MAIL_RISKY_MX=["example.net"],
    )
    assert sign(app.test_client(), email="ada@plain-mail.org").status_code == 303
    run_worker(app)
    [raw] = sent_to(mail_server, "ada@plain-mail.org")
    assert telltale_words(raw) == set()


def test_an_update_to_an_address_on_yandexs_servers_is_a_note(app_factory, mail_server, dns_server):
    app = app_factory(**mail_server.settings(), DNS_NAMESERVERS=[dns_server.address])
    client = app.test_client()
    sign_for_news(client, "olga@zavod-chaika.org")
    confirm_pending(app, client)
    run_worker(app)  # the confirmation: discreet, found by its MX
    with app.app_context():  # as if it had gone out before the domain moved its mail
        db.session.execute(db.update(Signature).values(discreet_mail=False))
        db.session.commit()
    send_update(app, "Justice for Sergei", "News from the campaign.")
    run_worker(app)
    note = sent_to(mail_server, "olga@zavod-chaika.org")[-1]
    assert telltale_words(note) == set()
    assert (
        "There is news"
        in email.message_from_bytes(note, policy=email.policy.default)
        .get_body(("plain",))
        .get_content()
    )


def unused_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize("dns", ["down", "silent"])
def test_a_dns_server_down_or_silent_never_stops_mail(app_factory, mail_server, dns):
    silent = DnsServer({"zavod-chaika.org": ["mx.yandex.net."]}, silent=True)
    silent.start()
    address = silent.address if dns == "silent" else f"127.0.0.1:{unused_udp_port()}"
    try:
        app = app_factory(
            **mail_server.settings(), DNS_NAMESERVERS=[address], DNS_TIMEOUT_SECONDS=0.3
        )
        assert sign(app.test_client(), email="olga@zavod-chaika.org").status_code == 303
        run_worker(app)
    finally:
        silent.stop()
    [raw] = sent_to(mail_server, "olga@zavod-chaika.org")
    assert "petition" in telltale_words(raw)  # ordinary: as it would have gone
    assert discreet_flag(app, "olga@zavod-chaika.org") is False


def test_the_mx_cache_stays_bounded_and_spares_repeat_lookups(
    app_factory_without_database, dns_server
):
    app = app_factory_without_database(DNS_NAMESERVERS=[dns_server.address])
    with app.app_context():
        assert mx_lookup.risky_mail_servers("zavod-chaika.org") is True
        assert mx_lookup.risky_mail_servers("zavod-chaika.org") is True
        assert dns_server.queries == ["zavod-chaika.org"]
        for n in range(mx_lookup.CACHE_SIZE + 50):
            assert mx_lookup.risky_mail_servers(f"d{n}.example.org") is False
    assert len(mx_lookup.CACHE) == mx_lookup.CACHE_SIZE


# --- what organisers see -------------------------------------------------------------


def test_the_dashboard_counts_discreet_signers_and_the_export_marks_them(app, admin_client):
    for n, extra in enumerate(({"mail_risk_accepted": "y"}, {"discreet_mail": "y"}, {})):
        address = f"p{n}@{'mail.ru' if n == 0 else 'example.org'}"
        assert sign(admin_client, email=address, **extra).status_code == 303
    confirm_pending(app, admin_client)
    page = admin_client.get("/admin/signatures").get_data(as_text=True)
    assert re.search(r"<dt>Get only discreet mail</dt><dd>2</dd>", page)

    body = admin_client.get("/admin/signatures.csv?status=all").get_data(as_text=True)
    header, *rows = body.lstrip("\ufeff").splitlines()
    column = header.split(",").index("discreet_mail")
    assert sorted(row.split(",")[column] for row in rows) == ["no", "yes", "yes"]
