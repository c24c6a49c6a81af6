"""Pages reached from the links in supporters' emails: confirm, withdraw, unsubscribe.

Mail scanners open links before people do, so opening a link never changes anything
that cannot safely happen twice: confirming is idempotent, and withdrawing or
unsubscribing needs the button on the page (a POST). Each route checks the token, calls
the petition's rules and answers.
"""

from flask import Blueprint, render_template, request
from flask_babel import format_date
from flask_babel import gettext as _

from campaign_site.database import read_transaction
from campaign_site.extensions import db
from campaign_site.models import utcnow
from campaign_site.petition import closing, erasure_ledger, link_tokens, public_figures, signing
from campaign_site.public import sharing
from campaign_site.web.fetch_metadata import protect

# Its own blueprint (endpoint names links.*) beside the campaign page's.
bp = protect(Blueprint("links", __name__))


def _result(title: str, message: str, status: int = 200):
    """A short page saying what happened."""
    return render_template("message.html", title=title, message=message), status


def _invalid_link():
    return _result(
        _("This link does not work"),
        _(
            "It may have been mistyped or cut short, or the signature it belonged to has been "
            "erased. If you copied it from an email, please make sure you copied all of it."
        ),
        404,
    )


@bp.get("/confirm/<token>")
def confirm(token: str):
    """Confirm a signature; opening the link again just says it is confirmed. After the
    petition's close, links work CLOSING_GRACE_DAYS longer, then say it has closed."""
    if not closing.confirming_open():
        return _closed_for_confirming()
    try:
        outcome = signing.confirm_signature(token)
    except link_tokens.TokenExpired:
        return _result(
            _("This confirmation link has expired"),
            _(
                "Links work for a limited time to protect your data. Please sign the petition "
                "again with the same address, and we will send you a new link."
            ),
            410,
        )
    except link_tokens.TokenInvalid:
        return _invalid_link()
    return _confirmed_page(token, just_confirmed=outcome == signing.ConfirmOutcome.JUST_CONFIRMED)


def _closed_for_confirming():
    """A link opened after the grace days: polite, and the same whoever opens it."""
    last_day = closing.confirming_ends_at() or utcnow()
    return _result(
        _("This petition has closed"),
        _(
            "Signatures could be confirmed until %(date)s. Thank you for wanting to add your "
            "name: the petition goes on with the support of everyone who signed.",
            date=format_date(last_day.date(), "long"),
        ),
        410,
    )


def _confirmed_page(token: str, just_confirmed: bool):
    """The best moment to ask for more: the count with them in it, sharing, next steps."""
    with read_transaction(db.session):
        count = public_figures.online_signatures()  # fresh, not cached: it must include them
    return render_template(
        "links/confirmed.html",
        name=signing.name_to_thank(token),
        count=count,
        just_confirmed=just_confirmed,
        share_links=sharing.share_links(),
        share_url=sharing.campaign_url("link"),
        device_sharing=sharing.device_sharing(),
        tell_a_friend=sharing.tell_a_friend_link(),
    )


@bp.get("/withdraw/<token>")
def withdraw(token: str):
    """Ask before erasing: the change happens only when the button is pressed."""
    return _ask(token, link_tokens.WITHDRAW, "links/withdraw.html")


@bp.post("/withdraw/<token>")
def withdraw_confirmed(token: str):
    """Erase the signature and the signer's data."""
    try:
        signing.withdraw_signature(token)
    except link_tokens.TokenExpired:
        return _expired_withdraw_link(token)
    except link_tokens.TokenInvalid:
        return _invalid_link()
    except erasure_ledger.LedgerUnavailable:
        return _result(
            _("We could not withdraw your signature just now"),
            _("Nothing has been erased. Please try again in a few minutes with the same link."),
            503,
        )
    return _result(
        _("Your signature has been withdrawn"),
        _("We have erased your name, email address and everything else you gave us."),
    )


@bp.post("/withdraw/<token>/renew")
def renew_withdraw_link(token: str):
    """Mail a fresh withdraw link; the answer is the same whether or not one was sent."""
    signing.send_fresh_withdraw_link(token)
    return _result(
        _("Please look for our email"),
        _(
            "If we still hold the signature this link belonged to, we are sending a new link to "
            "the address it was signed with. It can take a few minutes: please also look in your "
            "spam folder. We do not write to the same address again within a short time, so if "
            "you asked a moment ago, the earlier email is the one to use."
        ),
    )


def _expired_withdraw_link(token: str):
    """An old withdraw link: offer a fresh one by email, saying nothing about the signature."""
    return render_template("links/withdraw_expired.html", token=token), 410


@bp.get("/unsubscribe/<token>")
def unsubscribe(token: str):
    """Ask before unsubscribing from campaign updates."""
    return _ask(token, link_tokens.UNSUBSCRIBE, "links/unsubscribe.html")


# RFC 8058 one-click unsubscribe: mail providers POST here from their servers, with no
# page and no Sec-Fetch-Site or Origin (so web/fetch_metadata.py lets them through); the
# signed token in the URL authorizes the change. Many users' providers post from a few
# addresses, so no per-IP limit either.
@bp.post("/unsubscribe/<token>")
def unsubscribe_confirmed(token: str):
    """Stop campaign updates; the signature stays."""
    try:
        signing.unsubscribe(token)
    except link_tokens.TokenInvalid:
        return _invalid_link()
    if request.form.get("List-Unsubscribe") == "One-Click":
        return "Unsubscribed.", 200, {"Content-Type": "text/plain; charset=utf-8"}
    return _result(
        _("You will not receive campaign updates"),
        _(
            "Your signature still counts. You can withdraw it at any time from the link in our emails."
        ),
    )


def _ask(token: str, purpose: str, template: str):
    """The page with the button, if the token is good."""
    try:
        with read_transaction(db.session):  # ended before rendering
            link_tokens.signature_for(token, purpose)
    except link_tokens.TokenExpired:
        if purpose == link_tokens.WITHDRAW:
            return _expired_withdraw_link(token)
        return _invalid_link()
    except link_tokens.TokenInvalid:
        return _invalid_link()
    return render_template(template, token=token)


@bp.after_request
def no_referrer(response):
    """These URLs carry tokens: never send them on as a Referer, even to our own assets."""
    response.headers["Referrer-Policy"] = "no-referrer"
    return response
