"""Routes behind email links. Each one checks the token, calls the signing rules, answers."""

from flask import render_template, request
from flask_babel import gettext as _

from .. import signing, tokens
from ..extensions import csrf, db
from . import bp


def _result(title: str, message: str, status: int = 200):
    """A short page saying what happened."""
    return render_template("message.html", title=title, message=message), status


def _invalid_link():
    return _result(
        _("This link does not work"),
        _("It may have been mistyped or cut short, or the signature it belonged to has been "
          "erased. If you copied it from an email, please make sure you copied all of it."),
        404,
    )


@bp.get("/confirm/<token>")
def confirm(token: str):
    """Confirm a signature; opening the link again just says it is confirmed."""
    try:
        outcome = signing.confirm_signature(token)
    except tokens.TokenExpired:
        return _result(
            _("This confirmation link has expired"),
            _("Links work for a limited time to protect your data. Please sign the petition "
              "again with the same address, and we will send you a new link."),
            410,
        )
    except tokens.TokenInvalid:
        return _invalid_link()
    if outcome == signing.JUST_CONFIRMED:
        return _result(_("Thank you: your signature is confirmed"), _("It now counts toward our goal."))
    return _result(_("Your signature is already confirmed"), _("There is nothing more to do. Thank you."))


@bp.get("/withdraw/<token>")
def withdraw(token: str):
    """Ask before erasing: the change happens only when the button is pressed."""
    return _ask(token, tokens.WITHDRAW, "links/withdraw.html")


@bp.post("/withdraw/<token>")
def withdraw_confirmed(token: str):
    """Erase the signature and the signer's data."""
    try:
        signing.withdraw_signature(token)
    except tokens.TokenInvalid:
        return _invalid_link()
    return _result(
        _("Your signature has been withdrawn"),
        _("We have erased your name, email address and everything else you gave us."),
    )


@bp.get("/unsubscribe/<token>")
def unsubscribe(token: str):
    """Ask before unsubscribing from campaign updates."""
    return _ask(token, tokens.UNSUBSCRIBE, "links/unsubscribe.html")


# RFC 8058 one-click unsubscribe: mail clients POST here with no page and no CSRF token.
# The signed token in the URL is what authorizes the change, so CSRF adds nothing; and
# many users' providers post from a few addresses, so no per-IP limit either.
@bp.post("/unsubscribe/<token>")
@csrf.exempt
def unsubscribe_confirmed(token: str):
    """Stop campaign updates; the signature stays."""
    try:
        signing.unsubscribe(token)
    except tokens.TokenInvalid:
        return _invalid_link()
    if request.form.get("List-Unsubscribe") == "One-Click":
        return "Unsubscribed.", 200, {"Content-Type": "text/plain; charset=utf-8"}
    return _result(
        _("You will not receive campaign updates"),
        _("Your signature still counts. You can withdraw it at any time from the link in our emails."),
    )


def _ask(token: str, purpose: str, template: str):
    """The page with the button, if the token is good."""
    try:
        tokens.signature_for(token, purpose)
    except (tokens.TokenInvalid, tokens.TokenExpired):
        return _invalid_link()
    finally:
        db.session.rollback()  # only a read: end it before rendering
    return render_template(template, token=token)
