"""The pages behind the links mailed to an organisation's contact: confirm the application,
and withdraw the organisation's support (a button: mail scanners open links, and only a
POST removes anything). On the links blueprint: no Referer leaves these token URLs."""

from flask import render_template
from flask_babel import gettext as _

from campaign_site.petition import link_tokens, organisations
from campaign_site.public.email_links import _invalid_link, _result, bp


@bp.get("/organisations/confirm/<token>")
def organisation_confirm(token: str):
    """Confirm an application; opening the link again says the same."""
    try:
        organisations.confirm(token)
    except link_tokens.TokenExpired:
        return _result(
            _("This confirmation link has expired"),
            _(
                "Links work for a limited time. Please send the form for your organisation "
                "again, and we will send you a new link."
            ),
            410,
        )
    except link_tokens.TokenInvalid:
        return _invalid_link()
    return _result(
        _("Thank you: your organisation's support is confirmed"),
        _(
            "Its name and logo will be shown on the campaign page once our organisers have "
            "approved them. We have emailed you a link to withdraw your support at any time."
        ),
    )


@bp.get("/organisations/withdraw/<token>")
def organisation_withdraw(token: str):
    """Ask before removing: the change happens only when the button is pressed."""
    try:
        name = organisations.check_withdraw_link(token)
    except (link_tokens.TokenExpired, link_tokens.TokenInvalid):
        return _invalid_link()
    return render_template("links/organisation_withdraw.html", token=token, name=name)


@bp.post("/organisations/withdraw/<token>")
def organisation_withdraw_confirmed(token: str):
    """Remove the organisation, its logo and its contact's address."""
    try:
        name = organisations.withdraw(token)
    except (link_tokens.TokenExpired, link_tokens.TokenInvalid):
        return _invalid_link()
    return _result(
        _("Your organisation's support has been withdrawn"),
        _(
            "%(name)s is no longer shown among the organisations that support the petition, "
            "and we have erased its logo and your contact address.",
            name=name,
        ),
    )
