"""What owners keep an eye on: the audit log (/admin/audit), the admin accounts and their
sessions (/admin/accounts), and exports of personal data (/admin/exports).

Nobody exports in silence: every export of personal data is audited and emailed to every
owner (and to the exporter, so a stolen account cannot export unseen). With
EXPORT_APPROVAL_REQUIRED (environment only, never from the web) an export runs only once a
second owner has approved it, and each approval opens one run.
"""

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

from flask import (
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from sqlalchemy import select, update
from wtforms import Form, IntegerField, SelectField, StringField
from wtforms.validators import NumberRange, Optional, ValidationError

from campaign_site.accounts.audit import (
    ACTION_MAX,
    Action,
    AuditFilter,
    actions_seen,
    entries,
    last_logins,
    recent_exports,
    record,
)
from campaign_site.accounts.permissions import Permission, may
from campaign_site.admin import bp
from campaign_site.admin.access import requires
from campaign_site.admin.auth import current_admin, end_sessions, log_out
from campaign_site.admin.glossary import REFERENCES
from campaign_site.database import affected_rows, read_transaction, write_transaction
from campaign_site.extensions import db
from campaign_site.mail.admin_alerts import send_alert
from campaign_site.models import AdminUser, ExportRequest, utcnow
from campaign_site.text import normalize_admin_email

# What an export request names; the views ask for these exact keys.
EXPORTS = {
    "csv:confirmed": "the CSV of confirmed signatures",
    "csv:pending": "the CSV of signatures waiting for confirmation",
    "csv:invalidated": "the CSV of signatures invalidated as fraud",
    "csv:all": "the CSV of all signatures",
    "csv:test": "the CSV of staff test signatures",
    "delivery:names": "the delivery pack with supporters' names",
}
# A request not approved within this time, or an approval not used within it, lapses.
APPROVAL_HOURS = 24

AUDIT_CODE = REFERENCES["Code in the audit log"]


# ---- Exports of personal data: audited, announced, approved ---------------------------


def export_approval_required() -> bool:
    """Whether exports wait for a second owner (EXPORT_APPROVAL_REQUIRED, environment only)."""
    return bool(current_app.config["EXPORT_APPROVAL_REQUIRED"])


def personal_data_exports() -> list:
    """For the export page: the latest exports of personal data, from the audit log."""
    return recent_exports()


def export_gate(what: str, rows: int | None = None) -> Response | tuple[str, int] | None:
    """None when the export named `what` may run now (it is then audited and every owner
    is emailed); otherwise the page that says it waits for a second owner's approval.
    rows: how many rows it will hold, when known before it runs."""
    approved_by = None
    if export_approval_required():
        approved_by = _use_approval(current_admin().email, what)
        if approved_by is None:
            return _waiting_page(what)
    _announce(what, rows, approved_by)
    return None


def recorded_when_finished(chunks: Iterator[str], what: str, admin_email: str) -> Iterator[str]:
    """The export's chunks; its end is audited (a download cut off has no such entry)."""
    yield from chunks
    record(Action.EXPORT_CSV_FINISHED, what, admin_email=admin_email)


def _announce(what: str, rows: int | None, approved_by: str | None) -> None:
    admin = current_admin()
    action = Action.EXPORT_DELIVERY_NAMES if what == "delivery:names" else Action.EXPORT_CSV
    detail = what + (f", about {rows:,} rows" if rows is not None else "")
    detail += f", approved by {approved_by}" if approved_by else ""
    record(action, detail, admin_email=admin.email)
    lines = [
        f"{admin.email} is exporting supporters' personal data from the petition site.",
        "",
        f"What: {EXPORTS[what]}",
        f"When: {utcnow():%Y-%m-%d %H:%M:%S} UTC",
        f"Rows: {rows:,} at the start" if rows is not None else "Rows: not known yet",
    ]
    if approved_by:
        lines.append(f"Approved by: {approved_by}")
    _alert_owners(f"Export of personal data by {admin.email}", lines, also=admin.email)


def _alert_owners(subject: str, lines: list[str], also: str | None = None) -> None:
    """Email every owner (and `also`); the audit log's address closes each message."""
    lines += [
        "",
        "If you did not expect this, end that admin's sessions at "
        f"{url_for('admin.accounts', _external=True)} and change their password on the "
        "server (create-admin).",
        f"The audit log: {url_for('admin.audit_log', _external=True)}",
    ]
    recipients = _owner_emails()
    if also and also not in recipients:
        recipients.append(also)
    send_alert(recipients, subject, "\n".join(lines) + "\n")


def _owner_emails() -> list[str]:
    with read_transaction(db.session):
        admins = db.session.scalars(select(AdminUser).order_by(AdminUser.email)).all()
        return [admin.email for admin in admins if may(admin, Permission.APPROVE_EXPORTS)]


def _lapse_before() -> datetime:
    return utcnow() - timedelta(hours=APPROVAL_HOURS)


def _use_approval(requester: str, what: str) -> str | None:
    """Mark one approved, unused request of this admin for this export as used; who
    approved it, or None when there is none. The used_at condition makes it work once."""
    with write_transaction(db.session):
        approved = db.session.execute(
            select(ExportRequest.id, ExportRequest.approved_by)
            .where(
                ExportRequest.requested_by == requester,
                ExportRequest.what == what,
                ExportRequest.approved_at >= _lapse_before(),
                ExportRequest.used_at.is_(None),
            )
            .order_by(ExportRequest.id)
            .limit(1)
        ).first()
        if approved is None:
            return None
        used = db.session.execute(
            update(ExportRequest)
            .where(ExportRequest.id == approved.id, ExportRequest.used_at.is_(None))
            .values(used_at=utcnow())
        )
        return approved.approved_by if affected_rows(used) == 1 else None


def _waiting_request(requester: str, what: str) -> ExportRequest | None:
    """This admin's request for this export that still waits for approval, if any."""
    return db.session.scalar(
        select(ExportRequest)
        .where(
            ExportRequest.requested_by == requester,
            ExportRequest.what == what,
            ExportRequest.approved_at.is_(None),
            ExportRequest.requested_at >= _lapse_before(),
        )
        .order_by(ExportRequest.id.desc())
        .limit(1)
    )


def _waiting_page(what: str) -> tuple[str, int]:
    admin = current_admin()
    waiting = _waiting_request(admin.email, what)
    page = render_template(
        "admin/export_waiting.html",
        admin=admin,
        what=what,
        description=EXPORTS[what],
        waiting=waiting,
        export_url=_export_url(what),
        approval_hours=APPROVAL_HOURS,
    )
    return page, 403


def _export_url(what: str) -> str:
    kind, _, part = what.partition(":")
    if kind == "csv":
        return url_for("admin.export_signatures", status=part)
    return url_for("admin.delivery_pack", names="yes")


@bp.post("/exports/request")
@requires(Permission.EXPORT_PERSONAL_DATA)
def request_export():
    """Ask the owners to approve one export (only while EXPORT_APPROVAL_REQUIRED is set)."""
    what = request.form.get("what", "")
    if what not in EXPORTS:
        return _message("Unknown export", "Choose an export on the export page."), 422
    if not export_approval_required():
        return _message("No approval needed", "Exports run without approval just now."), 409
    admin = current_admin()
    if _waiting_request(admin.email, what) is None:
        with write_transaction(db.session):
            db.session.add(ExportRequest(requested_by=admin.email, what=what))
        record(Action.EXPORT_REQUESTED, what, admin_email=admin.email)
        _alert_owners(
            f"Export waiting for approval: {admin.email}",
            [
                f"{admin.email} asks to export {EXPORTS[what]}.",
                f"Asked: {utcnow():%Y-%m-%d %H:%M:%S} UTC",
                "",
                "Another owner can approve it (once, within "
                f"{APPROVAL_HOURS} hours) at {url_for('admin.export_requests', _external=True)}",
            ],
            also=admin.email,
        )
    flash("Your request is sent to the owners. The export runs once another owner approves it.")
    return redirect(url_for("admin.export_requests_waiting", what=what), code=303)


@bp.get("/exports/waiting")
@requires(Permission.EXPORT_PERSONAL_DATA)
def export_requests_waiting():
    """Where a requester sees whether their export was approved yet."""
    what = request.args.get("what", "")
    if what not in EXPORTS:
        return _message("Unknown export", "Choose an export on the export page."), 422
    if not export_approval_required():
        return redirect(url_for("admin.dashboard"), code=303)
    page, _ = _waiting_page(what)
    return page, 200


@bp.get("/exports")
@requires(Permission.APPROVE_EXPORTS)
def export_requests():
    """Export requests of the last APPROVAL_HOURS, for a second owner to approve."""
    return _export_requests_page(), 200


def _export_requests_page(problem: str | None = None) -> str:
    with read_transaction(db.session):
        requests = db.session.execute(
            select(
                ExportRequest.id,
                ExportRequest.requested_by,
                ExportRequest.requested_at,
                ExportRequest.what,
                ExportRequest.approved_by,
                ExportRequest.approved_at,
                ExportRequest.used_at,
            )
            .where(ExportRequest.requested_at >= _lapse_before())
            .order_by(ExportRequest.id.desc())
        ).all()
    return render_template(
        "admin/exports.html",
        admin=current_admin(),
        requests=requests,
        exports=EXPORTS,
        problem=problem,
        approval_hours=APPROVAL_HOURS,
        export_approval_required=export_approval_required(),
    )


@bp.post("/exports/approve")
@requires(Permission.APPROVE_EXPORTS)
def approve_export():
    """A second owner approves one waiting request (never their own)."""
    admin = current_admin()
    try:
        request_id = int(request.form.get("request_id", ""))
    except ValueError:
        return _export_requests_page("Choose a request to approve."), 422
    with write_transaction(db.session):
        approved = db.session.execute(
            update(ExportRequest)
            .where(
                ExportRequest.id == request_id,
                ExportRequest.approved_at.is_(None),
                ExportRequest.requested_by != admin.email,
                ExportRequest.requested_at >= _lapse_before(),
            )
            .values(approved_by=admin.email, approved_at=utcnow())
        )
        done = affected_rows(approved) == 1
        asked = db.session.scalar(select(ExportRequest).where(ExportRequest.id == request_id))
        requester, what = (asked.requested_by, asked.what) if asked else ("", "")
    if not done:
        problem = (
            "That request cannot be approved: it is your own (another owner must approve it), "
            f"it was approved already, or it is older than {APPROVAL_HOURS} hours."
        )
        return _export_requests_page(problem), 409
    record(Action.EXPORT_APPROVED, f"{what} for {requester}", admin_email=admin.email)
    _alert_owners(
        f"Export approved: {requester}",
        [
            f"{admin.email} approved {requester}'s export of {EXPORTS.get(what, what)}.",
            f"It may run once within {APPROVAL_HOURS} hours.",
        ],
        also=requester,
    )
    flash(f"Approved: {requester} may now export {EXPORTS.get(what, what)} once.")
    return redirect(url_for("admin.export_requests"), code=303)


def _message(title: str, message: str) -> str:
    return render_template("message.html", title=title, message=message)


# ---- Accounts and sessions --------------------------------------------------------------


@bp.get("/accounts")
@requires(Permission.MANAGE_ACCOUNTS)
def accounts():
    """Every admin with their roles and last login; owners can end their sessions."""
    with read_transaction(db.session):
        admins = db.session.execute(
            select(AdminUser.id, AdminUser.email, AdminUser.roles, AdminUser.created_at).order_by(
                AdminUser.email
            )
        ).all()
    return render_template(
        "admin/accounts.html", admin=current_admin(), admins=admins, last_logins=last_logins()
    )


@bp.post("/accounts/end-sessions")
@requires(Permission.MANAGE_ACCOUNTS)
def end_admin_sessions():
    """End every session of one admin (a lost laptop, a departure); CSRF checked already."""
    try:
        target = db.session.get(AdminUser, int(request.form.get("admin_id", "")))
    except ValueError:
        target = None
    if target is None:
        return _message("No such admin", "Choose an admin from the accounts page."), 422
    actor, email, own = current_admin().email, target.email, target.id == current_admin().id
    end_sessions(target)
    record(Action.SESSIONS_ENDED, email, admin_email=actor)
    if own:
        log_out()
        return redirect(url_for("admin.login"), code=303)
    flash(f"Every session of {email} has ended: they must log in again.")
    return redirect(url_for("admin.accounts"), code=303)


# ---- The audit log ----------------------------------------------------------------------


DATE_HINT = "Enter a date as YYYY-MM-DD, e.g. 2025-03-01."


class AuditFilterForm(Form):
    """The audit page's filters, from the query string (GET: nothing changes)."""

    action = SelectField("Action", validate_choice=False)
    admin = StringField("Admin's email address")
    since = StringField("From (UTC date)")
    until = StringField("To (UTC date)")
    page = IntegerField(
        "Page",
        validators=[Optional(), NumberRange(min=1, message="The page is a number from 1 on.")],
    )

    def validate_action(self, field: SelectField) -> None:
        if field.data and field.data not in dict(field.choices or []):
            raise ValidationError("There is no such action; choose one from the list.")

    def validate_admin(self, field: StringField) -> None:
        if field.data and (len(field.data) > 254 or not field.data.isprintable()):
            raise ValidationError("Enter an admin's email address (254 characters at most).")

    def validate_since(self, field: StringField) -> None:
        _parsed_date(field.data)

    def validate_until(self, field: StringField) -> None:
        until, since = _parsed_date(field.data), _parsed_date(self.since.data, quiet=True)
        if until and since and until < since:
            raise ValidationError("The end date is before the start date.")

    def wanted(self) -> AuditFilter:
        return AuditFilter(
            action=self.action.data or None,
            admin_email=normalize_admin_email(self.admin.data) if self.admin.data else None,
            since=_parsed_date(self.since.data),
            until=_parsed_date(self.until.data),
        )


def _parsed_date(text: str | None, quiet: bool = False) -> date | None:
    if not text:
        return None
    try:
        return datetime.strptime(text.strip(), "%Y-%m-%d").replace(tzinfo=UTC).date()
    except ValueError:
        if quiet:
            return None
        raise ValidationError(DATE_HINT) from None


def _audit_refused(form: AuditFilterForm) -> tuple[str, int]:
    """The audit page with the filter's errors and no entries."""
    page = render_template(
        "admin/audit.html",
        admin=current_admin(),
        code_explained=AUDIT_CODE,
        form=form,
        page=None,
        query={},
    )
    return page, 422


@bp.get("/audit")
@requires(Permission.READ_AUDIT)
def audit_log():
    """The audit log, newest first, 100 a page, filtered by action, admin and dates."""
    form = AuditFilterForm(request.args)
    form.action.choices = [("", "Any action")] + [
        (action, action) for action in actions_seen() if len(action) <= ACTION_MAX
    ]
    if not form.validate():
        return _audit_refused(form)
    page = entries(form.wanted(), form.page.data or 1)
    if page.page > page.pages:
        form.page.errors = [
            f"There {'is' if page.pages == 1 else 'are'} only {page.pages} page(s)."
        ]
        return _audit_refused(form)
    query = {key: value for key, value in request.args.items() if key != "page" and value}
    return render_template(
        "admin/audit.html",
        admin=current_admin(),
        code_explained=AUDIT_CODE,
        form=form,
        page=page,
        query=query,
    )
