"""Plain words for organisers: what each review mark, trending flag, reference and setting
shown in the admin means, what usually causes it and what to do. The one home of these
explanations: the dashboard, the fraud and review pages, /admin/settings and /admin/help all
read them from here, so a word is explained the same way everywhere."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from campaign_site.config import embed_origins
from campaign_site.petition.signing import BUSY_ADDRESS, NO_FORM_STAMP, TOO_FAST

REVIEW_MARKS: dict[str, str] = {
    TOO_FAST: (
        "The form came back faster than a person can fill it in. Phone autofill and password "
        "managers cause most of these, scripts the rest: accept them unless many arrive at "
        "once from one network or source."
    ),
    NO_FORM_STAMP: (
        "The form arrived without the stamp our page adds when it is shown, so it was not "
        "sent from our page. Scripts that post straight to the site cause this: invalidate "
        "them when many arrive together, accept a handful."
    ),
    BUSY_ADDRESS: (
        "One of many signatures from the same internet address in a short time. A full hall "
        "on one Wi-Fi causes this at screenings, a bot elsewhere: accept them if they match "
        "an event of that day, otherwise invalidate them."
    ),
}

TRENDING_FLAGS: dict[str, str] = {
    "Trending": (
        "Many more signatures than usual from one network, email domain or source in the "
        "last hour. A newsletter, a post or a screening causes most; a bot the rest: press "
        "Match these to see how many there are, and pause signing if it keeps growing."
    ),
    "Catch-all pattern": (
        "Many different mailboxes at one private email domain (not a webmail service). "
        "Whoever owns a domain can invent endless addresses on it: check whether it is a "
        "real organisation that supports the campaign, otherwise invalidate them."
    ),
}

REFERENCES: dict[str, str] = {
    "Network code": (
        'A code such as "network bd94de53996f" stands for the first part of an internet '
        "address (a street, not a house). The site keeps only this keyed code, never the "
        "address: it says nothing about who signed, only that signatures came from one place."
    ),
    "Domain code": (
        'A code such as "domain #3f1a09c2" stands for an email domain the site has not named '
        "yet: the domain is sealed with the address. Match these opens one sealed address to "
        "name it, and the match is made on the code."
    ),
    "Code in the audit log": (
        'In the audit log, a code such as "#bd94de53996f" in the criteria of an invalidation '
        "stands for the network or email domain that was matched: the log never holds an "
        "address, and the same network or domain always gets the same code."
    ),
}

STATES: dict[str, str] = {
    "Confirmed": "The supporter clicked the link in the confirmation email: the signature counts.",
    "Waiting for confirmation": (
        "Signed, but the confirmation link was not clicked yet. Unconfirmed signatures are "
        "erased when the link expires."
    ),
    "Invalidated": (
        "Taken out of the count by an organiser (for example a bot flood). It can be "
        "revalidated on the fraud page."
    ),
    "Discreet mail": (
        "The supporter's mail provider may be read by the Russian or Belarusian state, so "
        "their emails come from a neutral sender with no campaign name in them."
    ),
    "Given up email": (
        "An email that failed again and again and will not be tried any more. The mail "
        "server or the address is usually the cause; the last error says which."
    ),
    "Site notice": "A short message shown at the top of every public page, for incidents.",
    "Paused signing": (
        "The public page shows a notice instead of the form. Nothing stored is lost; "
        "resume when the cause is dealt with."
    ),
    "Rate-limit store (Redis)": (
        "Counts signatures and logins per address across all servers. When it is down, "
        "signing goes on with looser limits and admin login is refused."
    ),
    "Blind index key": (
        "The key that finds a mailbox without storing it. If it does not match the stored "
        "signatures, signing stops until whoever runs the server puts the right key back."
    ),
}

# The entries of the content file (content.py's missing_for_launch) in words.
CONTENT_ENTRIES: dict[str, str] = {
    "petition.addressee": "who the petition is addressed to",
    "petition.demands": "what the petition asks for",
    "contact.organisation": "the organisation's name",
    "contact.address": "its postal address",
    "contact.email": "its contact email",
}


@dataclass(frozen=True)
class Setting:
    """One setting as organisers read it: what it is and a sentence with its value."""

    name: str  # as the server's environment spells it, for whoever runs the server
    label: str
    sentence: str  # with {value} where the setting's value goes
    unset: str = ""  # the sentence when the setting is empty, where {value} would read badly


# Only these are shown: an allow-list, so no password, key or secret can ever appear.
SETTINGS: dict[str, tuple[Setting, ...]] = {
    "Signing limits": (
        Setting(
            "SIGN_RATE_LIMIT",
            "Signatures per internet address",
            "One internet address may sign at most {value}; beyond it the visitor is asked "
            "to try again later and what they typed is kept.",
        ),
        Setting(
            "EVENT_SIGN_RATE_LIMIT",
            "Signatures per address at an event",
            "Through an event's link, on the day of the event, one address may sign {value}: "
            "a full hall shares one Wi-Fi address.",
        ),
        Setting(
            "SIGN_INVALID_RATE_LIMIT",
            "Forms with mistakes per address",
            "One address may send {value} forms with mistakes; typos never use up anyone's "
            "signing allowance.",
        ),
        Setting(
            "SIGN_REVIEW_THRESHOLD",
            "Second look after",
            "Beyond {value} from one address, signatures still count but are marked "
            "busy_address for a second look.",
        ),
        Setting(
            "SIGNING_MIN_SECONDS",
            "Fastest human form",
            "A form sent back within {value} seconds of being shown still counts but is "
            "marked too_fast for a second look.",
        ),
    ),
    "Fraud signals": (
        Setting(
            "TRENDING_NETWORK_PER_HOUR",
            "Busy network",
            "A network is flagged as trending above {value} signatures an hour.",
        ),
        Setting(
            "TRENDING_DOMAIN_PER_HOUR",
            "Busy private email domain",
            "A private email domain is flagged as a catch-all pattern above {value} different "
            "mailboxes an hour.",
        ),
    ),
    "How long things are kept": (
        Setting(
            "NETWORK_HASH_RETENTION_DAYS",
            "Network codes",
            "Network codes are erased after {value} days; older signatures can then no "
            "longer be matched by network.",
        ),
        Setting(
            "CONFIRMATION_EXPIRY_DAYS",
            "Confirmation links",
            "A confirmation link works for {value} days; unconfirmed signatures are erased "
            "after that.",
        ),
        Setting(
            "WITHDRAW_LINK_DAYS",
            "Withdraw links",
            "A link to withdraw a signature works for {value} days; a supporter can ask for "
            "a fresh one.",
        ),
        Setting(
            "RETENTION_DAYS_AFTER_CLOSE",
            "Personal data after closing",
            "Names and addresses may be erased {value} days after the campaign closes; the "
            "count stays.",
        ),
    ),
    "The campaign": (
        Setting(
            "PETITION_CLOSES_AT",
            "Closing date",
            "Signing ends at {value}; from then on every public page says the petition has "
            "closed, with the count, the answer and the next step from the content file.",
            "No closing date is set: signing stays open until someone pauses it.",
        ),
        Setting(
            "CLOSING_GRACE_DAYS",
            "Confirming after the close",
            "Confirmation links mailed before the close still count a signature for {value} "
            "days after it.",
        ),
        Setting(
            "CONFIRMATION_REQUIRED",
            "Confirmation by email",
            "Confirmation by email required: {value}. When yes, a signature counts only "
            "after its link is clicked.",
        ),
        Setting(
            "SIGNING_PAUSED",
            "Paused on the server",
            "Signing paused by the server's setting: {value}. When yes, only whoever runs the "
            "server can resume it.",
        ),
        Setting(
            "PUBLIC_COUNTRY_MIN",
            "Smallest country shown",
            "Public pages count countries with fewer than {value} signatures together, so no "
            "signer in a small country stands out.",
        ),
        Setting(
            "EXPORT_APPROVAL_REQUIRED",
            "Second owner for exports",
            "Every export of personal data waits for a second owner's approval: {value}.",
        ),
        Setting(
            "EMBED_ORIGINS",
            "Partner sites",
            "These partner sites may show the signing form in their pages: {value}.",
            "No partner site may show the signing form in its pages yet.",
        ),
    ),
    "Mail": (
        Setting(
            "MAIL_SMTP_HOST",
            "Mail server",
            "Emails leave through the mail server {value}.",
            "No mail server is set: emails are only written to files on the server. Fine for "
            "trying the site, never for a live campaign.",
        ),
        Setting(
            "MAIL_SMTP_PORT", "Mail server port", "The mail server is reached on port {value}."
        ),
        Setting("MAIL_SENDER", "Sender", "Emails come from {value}."),
        Setting(
            "DISCREET_MAIL_SENDER",
            "Discreet sender",
            "Discreet mail comes from {value}, with no campaign name in it.",
            "No discreet sender is set: the live site will not start without one.",
        ),
        Setting(
            "MAIL_RATE_PER_MINUTE",
            "Updates per minute",
            "Updates to supporters go out at {value} a minute at most; confirmation emails "
            "are never held back by it.",
        ),
    ),
}
NOT_SET = "not set"
NEVER_SHOWN = ("PASSWORD", "KEY", "SECRET", "USER", "TOKEN")


@dataclass(frozen=True)
class ShownSetting:
    label: str
    value: str
    explanation: str
    name: str


def plain_value(name: str, config: Mapping[str, Any]) -> str:
    """A setting's value as an organiser reads it."""
    if name == "EMBED_ORIGINS":
        return ", ".join(embed_origins(config)) or NOT_SET
    value = config.get(name)
    if value is None or value == "":
        return NOT_SET
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M UTC")
    if isinstance(value, str) and " per " in value:  # a rate limit: "60 per minute;600 per hour"
        return ", ".join(part.strip() for part in value.split(";") if part.strip())
    return str(value)


def explain(name: str, config: Mapping[str, Any]) -> str:
    """The sentence about one setting, its value in it."""
    setting = next(s for group in SETTINGS.values() for s in group if s.name == name)
    value = plain_value(name, config)
    if value == NOT_SET and setting.unset:
        return setting.unset
    return setting.sentence.format(value=value)


def shown_settings(config: Mapping[str, Any]) -> dict[str, list[ShownSetting]]:
    """Every setting organisers may read, by group (a secret-looking name is never shown)."""
    return {
        group: [
            ShownSetting(s.label, plain_value(s.name, config), explain(s.name, config), s.name)
            for s in settings
            if not any(word in s.name for word in NEVER_SHOWN)
        ]
        for group, settings in SETTINGS.items()
    }


def glossary() -> dict[str, dict[str, str]]:
    """Every term explained, by kind, for the help page."""
    return {
        "Review marks": REVIEW_MARKS,
        "Trending flags": TRENDING_FLAGS,
        "Codes instead of addresses": REFERENCES,
        "Words on the dashboard": STATES,
    }
