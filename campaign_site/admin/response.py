"""/admin/response: organisers enter the addressee's answer (or the outcome), which the
public page shows under the petition; "Tell supporters" opens a campaign update draft
filled with it. The rules live in petition/response.py; every change is in the audit log."""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import force_locale, format_date, gettext

from campaign_site.accounts.audit import Action, record
from campaign_site.accounts.permissions import Permission
from campaign_site.admin import bp
from campaign_site.admin.access import requires
from campaign_site.admin.auth import current_admin
from campaign_site.admin.response_forms import ResponseForm
from campaign_site.admin.update_forms import PlainPostForm
from campaign_site.petition import response, updates
from campaign_site.petition.response import Answer


@bp.route("/response", methods=["GET", "POST"])
@requires(Permission.EDIT_CONTENT)
def petition_response():
    """The answer: the day, a text per language (English required), a link."""
    stored = response.fresh()
    form = ResponseForm()
    if request.method == "GET" and stored is not None:
        form.responded_on.data, form.link.data = stored.responded_on, stored.link
        form.fill(stored.texts)
    if form.validate_on_submit():
        texts = form.texts()
        response.save(form.responded_on.data, texts, form.link.data, current_admin().email)
        languages = ", ".join(sorted(texts))
        record(Action.RESPONSE_SAVED, f"answer of {form.responded_on.data} ({languages})")
        flash("The answer is saved: the campaign page shows it under the petition.")
        return redirect(url_for("admin.petition_response"), code=303)
    status = 422 if form.is_submitted() else 200
    return render_template(
        "admin/response.html",
        admin=current_admin(),
        form=form,
        stored=stored,
        plain_form=PlainPostForm(),
    ), status


@bp.post("/response/remove")
@requires(Permission.EDIT_CONTENT)
def remove_petition_response():
    """Take the answer off the site (entered by mistake)."""
    if PlainPostForm().validate_on_submit() and response.remove():
        record(Action.RESPONSE_REMOVED)
        flash("The answer is removed from the site.")
    return redirect(url_for("admin.petition_response"), code=303)


@bp.post("/response/tell-supporters")
@requires(Permission.WRITE_UPDATES)
def tell_supporters_of_response():
    """A campaign update draft filled with the answer, opened for editing: nothing is sent."""
    stored = response.fresh()
    if not PlainPostForm().validate_on_submit() or stored is None:
        flash("There is no answer to tell supporters about yet.")
        return redirect(url_for("admin.petition_response"), code=303)
    update_id = updates.create_draft(
        current_admin().email, update_texts(stored), updates.Audience()
    )
    record(Action.UPDATE_WRITTEN, f"update {update_id}: draft from the answer")
    flash("A draft with the answer is ready: read it, change what you like, then save it.")
    return redirect(url_for("admin.edit_update", update_id=update_id), code=303)


def update_texts(answer: Answer) -> dict[str, updates.Text]:
    """The update's subject and message per language the answer is written in."""
    texts = {}
    for code, text in answer.texts.items():
        with force_locale(code):
            subject = gettext("The answer to our petition")
            day = gettext(
                "On %(date)s the petition received this answer:",
                date=format_date(answer.responded_on, "long"),
            )
        body = "\n\n".join(part for part in (day, text, answer.link) if part)
        texts[code] = updates.Text(subject, body)
    return texts
