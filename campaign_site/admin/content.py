"""/admin/content: organisers edit the campaign's words (English, then each language's own
translations), preview the page in any language, publish, and restore an earlier version.
The rules live in petition/campaign_content.py; every change is in the audit log."""

from flask import abort, current_app, flash, redirect, render_template, request, url_for

from campaign_site.accounts.audit import Action, record
from campaign_site.accounts.permissions import Permission
from campaign_site.admin import bp
from campaign_site.admin.access import requires
from campaign_site.admin.auth import current_admin
from campaign_site.admin.content_forms import ContentForm, form_data, own_texts, translation_form
from campaign_site.content import ContentError, from_document
from campaign_site.languages import BY_CODE, CODES, TRANSLATED
from campaign_site.petition import campaign_content
from campaign_site.web.i18n import catalog_translation, url_in


@bp.route("/content", methods=["GET", "POST"])
@requires(Permission.EDIT_CONTENT)
def content():
    """The English texts and the facts: saved as a draft, shown to no visitor yet."""
    document = campaign_content.document_being_edited()
    form = ContentForm(data=form_data(document["tables"]) if request.method == "GET" else None)
    if request.method == "POST":
        if form.validate_on_submit() and _saved({**document, "tables": form.tables()}, form):
            record(Action.CONTENT_SAVED, "English")
            flash("Saved as a draft. Preview it, then publish it when it reads well.")
            return redirect(url_for("admin.content"), code=303)
        return _content_page(form), 422
    return _content_page(form)


@bp.route("/content/<language>", methods=["GET", "POST"])
@requires(Permission.EDIT_CONTENT)
def content_translation(language: str):
    """One language's own words for the English texts; an empty box keeps the site's
    translation (or the English) that is shown now."""
    if language not in TRANSLATED:
        abort(404)
    document = campaign_content.document_being_edited()
    texts = list(dict.fromkeys(t for t in from_document(document).translatable() if t))
    shown = [catalog_translation(text, language) for text in texts]
    form = translation_form(texts, shown, language)
    if request.method == "GET":
        own = document.get("translations", {}).get(language, {})
        for number, text in enumerate(texts):
            form[f"text_{number}"].data = own.get(text, "")
    elif form.validate_on_submit():
        translations = {**document.get("translations", {}), language: own_texts(form, texts)}
        if _saved({**document, "translations": translations}, form):
            record(Action.CONTENT_SAVED, BY_CODE[language].english_name)
            flash(f"The {BY_CODE[language].english_name} texts are saved as a draft.")
            return redirect(url_for("admin.content"), code=303)
    status = 422 if request.method == "POST" else 200
    return render_template(
        "admin/content_translation.html",
        admin=current_admin(),
        form=form,
        translating=BY_CODE[language],  # not "language": base.html sets that to the page's code
    ), status


@bp.post("/content/publish")
@requires(Permission.EDIT_CONTENT)
def publish_content():
    """The draft (or, the first time, the content file) becomes what visitors see."""
    version_id = campaign_content.publish(current_admin().email)
    if version_id is None:
        flash("There is no draft to publish: the page already shows the newest version.")
    else:
        record(Action.CONTENT_PUBLISHED, f"version {version_id}")
        flash(f"Version {version_id} is published. {_when_shown()}")
    return redirect(url_for("admin.content"), code=303)


@bp.post("/content/versions/<int:version_id>/restore")
@requires(Permission.EDIT_CONTENT)
def restore_content(version_id: int):
    """Publish an earlier version's words again (as a new version)."""
    new_id = campaign_content.restore(version_id, current_admin().email)
    if new_id is None:
        abort(404)
    record(Action.CONTENT_RESTORED, f"version {version_id} published again as version {new_id}")
    flash(f"Version {version_id} is published again, as version {new_id}. {_when_shown()}")
    return redirect(url_for("admin.content"), code=303)


def _saved(document: dict, form) -> bool:
    """Store the draft; a problem the form could not see becomes the form's error."""
    try:
        campaign_content.save_draft(
            document, current_admin().email, (request.form.get("note") or "")
        )
    except ContentError as error:
        form.form_errors.append(f"This cannot be saved: {error}.")
        return False
    return True


def _content_page(form: ContentForm) -> str:
    draft = campaign_content.draft()
    published = campaign_content.latest_published()
    shown = draft or published
    token = campaign_content.preview_link_token(shown.id if shown else 0)
    return render_template(
        "admin/content.html",
        admin=current_admin(),
        form=form,
        draft=draft,
        published=published,
        versions=campaign_content.published_versions(),
        previews=[(BY_CODE[code], url_in(code, f"/content-preview/{token}")) for code in CODES],
        languages=[BY_CODE[code] for code in TRANSLATED],
        missing=(
            draft.content if draft else campaign_content.current_content()
        ).missing_for_launch(),
    )


def _when_shown() -> str:
    seconds = (
        current_app.config["PUBLIC_CACHE_SECONDS"] + current_app.config["PUBLIC_CACHE_S_MAXAGE"]
    )
    return f"Every server shows it within {seconds} seconds."
