"""Campaign updates to the supporters who asked for news: write one per language, preview
it as each language's recipients will get it, send a test to any address, see the exact
count, then on a page of its own confirm that count and send, follow the sending, cancel
what is still queued.

The rules (who receives it, sending once, cancelling) are in petition/updates.py; the
messages are written by mail/update_messages.py and sent by the mail worker.
"""

from flask import abort, current_app, flash, redirect, render_template, request, url_for

from campaign_site.accounts.audit import Action, record
from campaign_site.accounts.permissions import Permission
from campaign_site.admin import bp, glossary
from campaign_site.admin.access import requires
from campaign_site.admin.auth import current_admin
from campaign_site.admin.update_forms import (
    NAMES,
    PlainPostForm,
    SendForm,
    TestSendForm,
    UpdateForm,
)
from campaign_site.database import read_transaction
from campaign_site.extensions import db
from campaign_site.mail.transports import transport_from_config
from campaign_site.mail.update_messages import build_test_message
from campaign_site.models import CampaignUpdate, UpdateStatus, utcnow
from campaign_site.petition import updates
from campaign_site.web.countries import country_name
from campaign_site.web.i18n import LANGUAGES
from campaign_site.web.template_filters import quantity

# Four languages of up to BODY_MAX characters, percent-encoded, pass the site's 16 KB limit
# for forms; only these two pages take more. Set before any part reads the form (CSRF's
# check runs in before_request, after URL value preprocessors).
COMPOSE_ENDPOINTS = ("admin.new_update", "admin.edit_update")
COMPOSE_MAX_BYTES = 1024 * 1024


@bp.url_value_preprocessor
def _room_for_an_update(endpoint: str | None, values: dict | None) -> None:
    if endpoint in COMPOSE_ENDPOINTS:
        request.max_content_length = COMPOSE_MAX_BYTES


@bp.get("/updates")
@requires(Permission.VIEW_DASHBOARD)
def update_list():
    """Every update with its figures."""
    with read_transaction(db.session):
        listed = updates.recent(limit=200)
    return render_template(
        "admin/updates.html",
        admin=current_admin(),
        updates=listed,
        mail_rate=glossary.explain("MAIL_RATE_PER_MINUTE", current_app.config),
    )


@bp.route("/updates/new", methods=["GET", "POST"])
@requires(Permission.WRITE_UPDATES)
def new_update():
    """Write a new update (saved as a draft; nothing is sent yet)."""
    form = UpdateForm()
    if form.validate_on_submit():
        update_id = updates.create_draft(current_admin().email, form.texts(), form.audience())
        record(Action.UPDATE_WRITTEN, f"update {update_id}: draft saved")
        flash("The draft is saved. Nothing has been sent: check the previews and the count below.")
        return redirect(url_for("admin.show_update", update_id=update_id), code=303)
    status = 422 if form.is_submitted() else 200
    return render_template(
        "admin/update_form.html", admin=current_admin(), form=form, update=None
    ), status


@bp.route("/updates/<int(max=2147483647):update_id>/edit", methods=["GET", "POST"])
@requires(Permission.WRITE_UPDATES)
def edit_update(update_id: int):
    """Change a draft's texts or audience."""
    draft = _update_or_404(update_id)
    form = UpdateForm()
    if not form.is_submitted():
        with read_transaction(db.session):
            form.fill(updates.texts_of(update_id), updates.audience_of(draft))
        return render_template(
            "admin/update_form.html", admin=current_admin(), form=form, update=draft
        )
    if not form.validate_on_submit():
        return render_template(
            "admin/update_form.html", admin=current_admin(), form=form, update=draft
        ), 422
    try:
        updates.edit_draft(update_id, form.texts(), form.audience())
    except updates.UpdateRefused as refused:
        flash(str(refused))
    else:
        record(Action.UPDATE_WRITTEN, f"update {update_id}: draft changed")
        flash("The draft is saved. Nothing has been sent.")
    return redirect(url_for("admin.show_update", update_id=update_id), code=303)


@bp.get("/updates/<int(max=2147483647):update_id>")
@requires(Permission.VIEW_DASHBOARD)
def show_update(update_id: int):
    """An update: previews per language, and for a draft the exact count and the send
    button; for one being sent its progress and the cancel button."""
    return _update_page(update_id)


def _update_page(update_id: int, send_form: SendForm | None = None, status: int = 200):
    campaign_update = _update_or_404(update_id)
    as_of = utcnow()
    with read_transaction(db.session):
        texts = updates.texts_of(update_id)
        audience = updates.audience_of(campaign_update)
        counts = updates.recipient_counts(audience, as_of)
        progress = updates.progress(campaign_update)
    previews = [_preview(texts, code) for code in LANGUAGES]
    if send_form is None:
        send_form = SendForm(
            formdata=None, data={"expected": sum(counts.values()), "as_of": as_of.isoformat()}
        )
    return render_template(
        "admin/update.html",
        admin=current_admin(),
        update=campaign_update,
        audience=audience,
        country_name=country_name,
        names=NAMES,
        previews=previews,
        counts=counts,
        total=sum(counts.values()),
        progress=progress,
        send_form=send_form,
        test_form=TestSendForm(formdata=None, data={"test_address": current_admin().email}),
        plain_form=PlainPostForm(),
        statuses=UpdateStatus,
    ), status


def _preview(texts: dict[str, updates.Text], language: str) -> dict:
    """The message supporters who signed in language get, with test links."""
    own = language in texts
    text = texts[language] if own else texts[updates.FALLBACK]
    shown_in = language if own else updates.FALLBACK
    message = build_test_message(text, shown_in, current_admin().email, signed_in=language)
    plain = message.get_body(preferencelist=("plain",)).get_content()
    return {"language": language, "own": own, "subject": text.subject, "text": plain}


@bp.post("/updates/<int(max=2147483647):update_id>/test")
@requires(Permission.WRITE_UPDATES)
def test_update(update_id: int):
    """Send the update to the address the organiser typed, as one language's supporters
    get it (the personal links in a test open nothing)."""
    _update_or_404(update_id)
    form = TestSendForm()
    if not form.validate_on_submit():
        flash(next(iter(form.errors.values()))[0])
        return redirect(url_for("admin.show_update", update_id=update_id), code=303)
    language, address = form.test_language.data, form.test_address.data
    with read_transaction(db.session):
        found = updates.text_for(update_id, language)
    if found is None:
        abort(404)
    shown_in, text = found
    message = build_test_message(text, shown_in, address, signed_in=language)
    try:
        with transport_from_config() as transport:
            transport.send(message)
    except Exception as error:  # noqa: BLE001 - the organiser needs to hear, not a 500
        current_app.logger.warning("test update %s not sent: %s", update_id, type(error).__name__)
        flash("The test could not be sent: the mail server did not take it. Try again in a minute.")
    else:
        # The address stays out of the audit: it may be anyone's.
        own = address.casefold() == current_admin().email.casefold()
        whom = "own address" if own else "another address"
        record(Action.UPDATE_TEST, f"update {update_id}: test in {language} to {whom}")
        flash(f"A test in {NAMES[shown_in]} went to {address}.")
    return redirect(url_for("admin.show_update", update_id=update_id), code=303)


@bp.get("/updates/<int(max=2147483647):update_id>/confirm")
@requires(Permission.SEND_UPDATES, fresh=True)
def confirm_update(update_id: int):
    """The confirming step: the count seen on the update's page, repeated, and the one
    button that sends. Nothing is sent by opening it."""
    campaign_update = _update_or_404(update_id)
    if campaign_update.status != UpdateStatus.DRAFT:
        flash(
            "This update is not a draft any more: it was sent or cancelled. Nothing more was sent."
        )
        return redirect(url_for("admin.show_update", update_id=update_id), code=303)
    form = SendForm(request.args, meta={"csrf": False})
    if not form.validate() or form.counted_at() is None:
        flash("The count did not come through: nothing was sent. Check the count below.")
        return redirect(url_for("admin.show_update", update_id=update_id), code=303)
    with read_transaction(db.session):
        audience = updates.audience_of(campaign_update)
    return render_template(
        "admin/update_confirm.html",
        admin=current_admin(),
        update=campaign_update,
        audience=audience,
        country_name=country_name,
        names=NAMES,
        send_form=form,
        counted_at=form.counted_at(),
    )


@bp.post("/updates/<int(max=2147483647):update_id>/send")
@requires(Permission.SEND_UPDATES, fresh=True)
def send_update(update_id: int):
    """Queue the update for the count the organiser confirmed; once, whatever is clicked."""
    _update_or_404(update_id)
    form = SendForm()
    counted_at = form.counted_at() if form.validate_on_submit() else None
    if counted_at is None:
        flash(
            "The count you confirmed did not come through: nothing was sent. Check the count below and confirm it again."
        )
        return redirect(url_for("admin.show_update", update_id=update_id), code=303)
    try:
        queued = updates.send(update_id, current_admin().email, counted_at, form.expected.data)
    except updates.UpdateRefused as refused:
        flash(str(refused))
        return redirect(url_for("admin.show_update", update_id=update_id), code=303)
    record(Action.UPDATE_SENT, f"update {update_id}: queued for {queued} supporters")
    current_app.logger.warning(
        "update %s queued for %s by admin %s", update_id, queued, current_admin().id
    )
    fewer = form.expected.data - queued
    note = (
        f" ({fewer} fewer than counted: they unsubscribed, withdrew or were invalidated meanwhile)"
        if fewer
        else ""
    )
    flash(
        f"Sending to {quantity(queued, 'supporter')}{note}."
        " The progress is below and in the list of updates."
    )
    return redirect(url_for("admin.show_update", update_id=update_id), code=303)


@bp.post("/updates/<int(max=2147483647):update_id>/cancel")
@requires(Permission.WRITE_UPDATES)
def cancel_update(update_id: int):
    """Stop an update being sent: what is still queued is dropped."""
    _update_or_404(update_id)
    if not PlainPostForm().validate_on_submit():
        abort(400)
    try:
        dropped = updates.cancel(update_id, current_admin().email)
    except updates.UpdateRefused as refused:
        flash(str(refused))
    else:
        record(Action.UPDATE_CANCELLED, f"update {update_id}: {dropped} queued messages dropped")
        flash(f"Cancelled: {quantity(dropped, 'message')} still queued will not be sent.")
    return redirect(url_for("admin.show_update", update_id=update_id), code=303)


@bp.post("/updates/<int(max=2147483647):update_id>/copy")
@requires(Permission.WRITE_UPDATES)
def copy_update(update_id: int):
    """A new draft with this update's texts (to send what was cancelled, corrected)."""
    _update_or_404(update_id)
    if not PlainPostForm().validate_on_submit():
        abort(400)
    copy_id = updates.copy_of(update_id, current_admin().email)
    record(Action.UPDATE_WRITTEN, f"update {copy_id}: draft copied from update {update_id}")
    flash(
        f"A new draft with the texts of update {update_id}. It goes to everyone it matches when sent, including those who got the first."
    )
    return redirect(url_for("admin.show_update", update_id=copy_id), code=303)


def recent_updates() -> list:
    """For the overview: the latest few with their figures (it links those being sent)."""
    with read_transaction(db.session):
        return updates.recent(limit=3)


def _update_or_404(update_id: int) -> CampaignUpdate:
    with read_transaction(db.session):
        found = db.session.get(CampaignUpdate, update_id)
        if found is None:
            abort(404)
        db.session.expunge(found)
    return found
