"""Mailboxes under Russian or Belarusian law: the mail domains and mail servers whose
operators must hand their users' mail to those states' authorities when asked, and the
rule that mail to them is discreet (no campaign words: mail/messages.py writes it).

The shipped lists are the one home of these names; MAIL_RISKY_DOMAINS and MAIL_RISKY_MX
add to them. A listed domain covers its subdomains (corp.mail.ru is mail.ru's).
"""

from enum import StrEnum

from flask import current_app
from sqlalchemy import func, select, update

from campaign_site.extensions import db
from campaign_site.models import Signature


class Jurisdiction(StrEnum):
    """Whose authorities can read the mail: what the signing form's warning names."""

    RUSSIA = "ru"
    BELARUS = "by"
    RUSSIA_OR_BELARUS = "ru-by"  # added by MAIL_RISKY_DOMAINS: the operator knows which


RISKY_DOMAINS: dict[str, Jurisdiction] = {
    # VK (formerly Mail.ru Group), Moscow: the free addresses its Mail.ru service offers.
    "mail.ru": Jurisdiction.RUSSIA,
    "bk.ru": Jurisdiction.RUSSIA,
    "list.ru": Jurisdiction.RUSSIA,
    "inbox.ru": Jurisdiction.RUSSIA,
    "internet.ru": Jurisdiction.RUSSIA,
    # Yandex, Moscow: Yandex Mail's addresses in every country it offered them, and Narod.
    "yandex.ru": Jurisdiction.RUSSIA,
    "yandex.com": Jurisdiction.RUSSIA,
    "yandex.by": Jurisdiction.RUSSIA,
    "yandex.kz": Jurisdiction.RUSSIA,
    "yandex.ua": Jurisdiction.RUSSIA,
    "yandex.com.tr": Jurisdiction.RUSSIA,
    "ya.ru": Jurisdiction.RUSSIA,
    "narod.ru": Jurisdiction.RUSSIA,
    # Rambler & Co (Sber), Moscow: Rambler Mail's addresses.
    "rambler.ru": Jurisdiction.RUSSIA,
    "lenta.ru": Jurisdiction.RUSSIA,
    "autorambler.ru": Jurisdiction.RUSSIA,
    "myrambler.ru": Jurisdiction.RUSSIA,
    "ro.ru": Jurisdiction.RUSSIA,
    "rambler.ua": Jurisdiction.RUSSIA,
    # Smaller Russian portals with mail of their own: QIP (qip.ru, pochta.ru), KM.RU.
    "qip.ru": Jurisdiction.RUSSIA,
    "pochta.ru": Jurisdiction.RUSSIA,
    "km.ru": Jurisdiction.RUSSIA,
    # Belarus: TUT.BY's mail (the portal was taken over by the state in 2021) and
    # Beltelecom's (state-owned) belpak.by addresses.
    "tut.by": Jurisdiction.BELARUS,
    "belpak.by": Jurisdiction.BELARUS,
}

RISKY_MX_SUFFIXES: tuple[str, ...] = (
    # Yandex 360 for a custom domain (mx.yandex.net), Yandex's own servers.
    "yandex.net",
    "yandex.ru",
    # VK WorkSpace / Mail.ru for business (emx.mail.ru), Rambler's mail servers.
    "mail.ru",
    "rambler.ru",
    # Russian web hosts whose mail servers hold their customers' mailboxes.
    "beget.com",
    "timeweb.ru",
    "hosting.reg.ru",
)


def email_domain(email: str) -> str:
    """The domain of an address, lower case, without a trailing dot."""
    return email.rpartition("@")[2].strip().rstrip(".").lower()


def _under(name: str, suffix: str) -> bool:
    return name == suffix or name.endswith("." + suffix)


def _suffixes(domain: str) -> list[str]:
    """corp.mail.ru, mail.ru, ru: each domain the given one is under, itself first."""
    labels = domain.split(".")
    return [".".join(labels[i:]) for i in range(len(labels))]


def jurisdiction_of(email: str) -> Jurisdiction | None:
    """Whose law the address's mail provider is under, by its domain (None: not listed).

    Depends on the domain alone, never on whether the address has signed. Looks each
    suffix up rather than trying every listed domain: it runs on every signature.
    """
    suffixes = _suffixes(email_domain(email))
    for suffix in suffixes:
        if suffix in RISKY_DOMAINS:
            return RISKY_DOMAINS[suffix]
    added = current_app.config["MAIL_RISKY_DOMAINS"]
    if added and not {name.lower().rstrip(".") for name in added}.isdisjoint(suffixes):
        return Jurisdiction.RUSSIA_OR_BELARUS
    return None


def risky_mx_suffixes() -> tuple[str, ...]:
    """The shipped mail server suffixes and MAIL_RISKY_MX's."""
    added = (suffix.lower().strip(".") for suffix in current_app.config["MAIL_RISKY_MX"])
    return RISKY_MX_SUFFIXES + tuple(suffix for suffix in added if suffix)


def risky_mail_servers(hosts: list[str]) -> bool:
    """Whether any of a domain's mail servers (MX host names) is run by a listed provider."""
    suffixes = risky_mx_suffixes()
    names = (host.lower().rstrip(".") for host in hosts)
    return any(_under(name, suffix) for name in names for suffix in suffixes)


def asks_for_discretion(email: str, asked: bool) -> bool:
    """A new signature's mail is discreet when its signer asked, or its domain is listed
    (the signer was warned and chose to keep the address)."""
    return asked or jurisdiction_of(email) is not None


def mark_discreet(signature_id: int) -> None:
    """From now on every email to this signature is discreet (never undone), inside the
    caller's transaction: the mail worker found its mail servers are a listed provider's."""
    db.session.execute(
        update(Signature)
        .where(Signature.id == signature_id, Signature.discreet_mail.is_(False))
        .values(discreet_mail=True)
        .execution_options(synchronize_session=False)
    )


def discreet_signatures() -> int:
    """How many signatures held get only discreet mail (the dashboard's figure; read
    through the partial index ix_signature_discreet_mail, so no scan of the signatures)."""
    count = db.session.scalar(
        select(func.count()).select_from(Signature).where(Signature.discreet_mail)
    )
    return int(count or 0)
