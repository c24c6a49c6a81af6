"""/admin/launch, "Ready to launch?": what is still missing before the campaign opens, each
item saying what to do and linking to where; and a test email to any address."""

from functools import lru_cache, partial
from pathlib import Path
from typing import NamedTuple

from babel.messages.pofile import read_po
from flask import current_app, flash, redirect, render_template, url_for
from flask_wtf import FlaskForm
from wtforms import EmailField
from wtforms.validators import DataRequired, Email, Length

from campaign_site.accounts.audit import Action, record
from campaign_site.accounts.permissions import Permission
from campaign_site.admin import bp
from campaign_site.admin.access import requires
from campaign_site.admin.auth import current_admin
from campaign_site.backup import status as backup_status
from campaign_site.database import read_transaction
from campaign_site.extensions import db
from campaign_site.languages import BY_CODE, TRANSLATED
from campaign_site.mail.admin_alerts import send_test_email
from campaign_site.petition import campaign_content
from campaign_site.web import catalogs
from campaign_site.web.i18n import catalog_translation
from campaign_site.web.images import EXTENSION as IMAGES

IMAGES_ON_THE_PAGE = ("portrait", "poster-justice", "poster-files")


class Item(NamedTuple):
    """One line of the checklist: done or not, what it is, what to do, where."""

    done: bool
    title: str
    todo: str
    link: str = ""
    link_text: str = ""


class TestEmailForm(FlaskForm):
    address = EmailField(
        "Send a test email to",
        validators=[
            DataRequired("Please enter the address to send the test email to."),
            Length(max=254, message="At most 254 characters, please."),
            Email("Please enter an email address like name@example.org."),
        ],
    )


def checklist() -> list[Item]:
    """Every item, in the order an organiser would do them."""
    return [
        _content_item(),
        *_language_items(),
        _images_item(),
        _backup_item(),
        _mail_item(),
        _partners_item(),
        _closing_item(),
    ]


def missing_items() -> list[Item]:
    """What is not done yet (the dashboard links here while there is any)."""
    return [item for item in checklist() if not item.done]


def _content_item() -> Item:
    missing = campaign_content.current_content().missing_for_launch()
    return Item(
        not missing,
        "The campaign's required content is published",
        f"Fill in and publish: {', '.join(missing)}. Until then the page says “launching soon” "
        "and takes no signature."
        if missing
        else "Done.",
        url_for("admin.content"),
        "Edit the campaign content",
    )


def _language_items() -> list[Item]:
    content = campaign_content.current_content()
    items = []
    for code in TRANSLATED:
        name = BY_CODE[code].english_name
        untranslated = content.untranslated(code, partial(_in_catalog, language=code))
        catalog_gaps = _catalog_gaps(code)
        todo = []
        if untranslated:
            todo.append(f"{len(untranslated)} of the campaign's texts are shown in English")
        if catalog_gaps:
            todo.append(
                f"the site's catalog has {catalog_gaps} untranslated entries "
                f"(campaign_site/translations/{code}, docs/languages.md)"
            )
        items.append(
            Item(
                not todo,
                f"Everything is translated into {name}",
                _sentence("; ".join(todo)) if todo else "Done.",
                url_for("admin.content_translation", language=code),
                f"Write the {name} texts",
            )
        )
    return items


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] + "."


def _in_catalog(text: str, language: str) -> bool:
    return bool(catalog_translation(text, language))


def _catalog_gaps(code: str) -> int:
    path = catalogs.FOLDER / code / "LC_MESSAGES" / "messages.po"
    return _gaps_in(path, code, path.stat().st_mtime_ns)


@lru_cache(maxsize=2 * len(TRANSLATED))
def _gaps_in(path: Path, code: str, _modified: int) -> int:
    """Untranslated entries of a catalog, read once per version of the file: parsing the
    four catalogs took about 40 ms of every dashboard view."""
    with path.open("rb") as source:
        catalog = read_po(source, locale=code)
    return sum(1 for message in catalog if message.id and (not message.string or message.fuzzy))


def _images_item() -> Item:
    built = current_app.extensions.get(IMAGES, {})
    missing = [name for name in IMAGES_ON_THE_PAGE if name not in built]
    return Item(
        not missing,
        "The portrait and the posters are on the page",
        f"Put {', '.join(missing)} into content/images and run `python -m scripts.build_images` "
        "(content/images/README.md)."
        if missing
        else "Done.",
    )


def _backup_item() -> Item:
    with read_transaction(db.session):
        last = backup_status.last_backup_at()
    return Item(
        last is not None and not backup_status.backup_overdue(last),
        "A recent backup exists",
        "Done."
        if last and not backup_status.backup_overdue(last)
        else "Run `flask --app campaign_site backup create --dir DIR --keep N` on the server, and "
        "schedule it (docs/backups.md).",
    )


def _mail_item() -> Item:
    configured = bool(current_app.config.get("MAIL_SMTP_HOST"))
    return Item(
        configured,
        "Email is configured",
        "Done. Send a test email below to be sure it arrives."
        if configured
        else "Set MAIL_SMTP_HOST (and the other MAIL_ settings) on the server: without it no "
        "confirmation email goes out (docs/configuration.md). Then send a test email below.",
        "#test-email",
        "Send a test email",
    )


def _partners_item() -> Item:
    origins = current_app.config.get("EMBED_ORIGINS")
    return Item(
        True,  # optional: a campaign without partners is ready too
        "Partner sites may show the form (optional)",
        "Done."
        if origins
        else "Optional: set EMBED_ORIGINS to the partner sites that embed "
        "the form (docs/configuration.md); leave it empty if there are none.",
        url_for("admin.partners") if origins else "",
        "Partners" if origins else "",
    )


def _closing_item() -> Item:
    closes_at = current_app.config.get("PETITION_CLOSES_AT")
    return Item(
        closes_at is not None,
        "The closing date is set",
        f"Signing closes {closes_at:%Y-%m-%d %H:%M} UTC."
        if closes_at
        else "Set PETITION_CLOSES_AT on the server (docs/configuration.md), or leave it empty to "
        "keep the petition open.",
    )


@bp.get("/launch")
@requires(Permission.VIEW_DASHBOARD)
def launch():
    """Ready to launch? Every item with what to do and where."""
    return _page(TestEmailForm())


@bp.post("/launch/test-email")
@requires(Permission.EDIT_CONTENT)
def send_test():
    """Send a test email to any address and say what happened."""
    form = TestEmailForm()
    if not form.validate_on_submit():
        return _page(form), 422
    problem = send_test_email(form.address.data.strip())
    record(Action.TEST_EMAIL, "failed" if problem else "accepted by the mail server")
    if problem:
        form.address.errors = [f"The test email could not be sent: {problem}"]
        return _page(form), 422
    flash("The mail server took the test email. Check that it arrived (and not as spam).")
    return redirect(url_for("admin.launch"), code=303)


def _page(form: TestEmailForm) -> str:
    items = checklist()
    return render_template(
        "admin/launch.html",
        admin=current_admin(),
        items=items,
        form=form,
        remaining=sum(1 for item in items if not item.done),
    )
