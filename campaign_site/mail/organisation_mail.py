"""The emails to an organisation's contact: the link to confirm the application, then the
link to withdraw the organisation's support, in the language the form was sent in.

No unsubscribe header (this is no mailing list) and no discreet variant: organisations
co-sign in public. The contact's address is opened only here, while the message is built.
"""

from email.message import EmailMessage

from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from campaign_site.extensions import db
from campaign_site.mail.messages import envelope, external_url
from campaign_site.models import Organisation, OutboxMessage
from campaign_site.petition import link_tokens, organisations
from campaign_site.petition.mail_queue import MailKind

SUBJECTS = {
    MailKind.ORGANISATION_CONFIRM: _l("Please confirm your organisation's support"),
    MailKind.ORGANISATION_CONFIRMED: _l("Your organisation's support is confirmed"),
}
LINKS = {
    MailKind.ORGANISATION_CONFIRM: ("links.organisation_confirm", link_tokens.ORGANISATION_CONFIRM),
    MailKind.ORGANISATION_CONFIRMED: (
        "links.organisation_withdraw",
        link_tokens.ORGANISATION_WITHDRAW,
    ),
}


def build(message: OutboxMessage) -> EmailMessage | None:
    """The email a queued message stands for; None if its organisation was withdrawn."""
    organisation = db.session.get(Organisation, message.organisation_id)
    if organisation is None:
        return None
    kind = MailKind(message.kind)
    endpoint, purpose = LINKS[kind]
    with force_locale(organisation.language):
        subject = str(SUBJECTS[kind])
        context = {
            "subject": subject,
            "name": organisation.name,
            "link": external_url(
                endpoint,
                organisation.language,
                token=link_tokens.make_token(organisation, purpose),
            ),
            "campaign_url": external_url("public.index", organisation.language),
            "expiry_days": current_app.config["CONFIRMATION_EXPIRY_DAYS"],
        }
        email = envelope(subject, organisations.contact_of(organisation), None)
        email.set_content(render_template(f"email/{kind.value}.txt", **context))
        email.add_alternative(
            render_template(f"email/{kind.value}.html", **context), subtype="html"
        )
    return email
