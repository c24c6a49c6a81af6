"""Admin routes: log in and out, see the totals, pause signing, export the signatures."""

from dataclasses import fields
from datetime import UTC, datetime

from flask import (
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)

from campaign_site.accounts import second_factor
from campaign_site.accounts.audit import Action, record
from campaign_site.accounts.permissions import Permission
from campaign_site.admin import bp, dashboard_panels, glossary, launch
from campaign_site.admin import dashboard as dashboard_facts
from campaign_site.admin.access import requires
from campaign_site.admin.accounts import export_gate, recorded_when_finished
from campaign_site.admin.auth import (
    audit_name,
    authenticate,
    begin_second_step,
    current_admin,
    end_sessions,
    is_known_device,
    log_in,
    log_out,
    mark_reauthenticated,
    pending_admin,
    remember_device,
    safe_next,
)
from campaign_site.admin.forms import (
    CodeForm,
    FindSignatureForm,
    LoginForm,
    PauseForm,
    ReauthForm,
    SiteNoticeForm,
)
from campaign_site.crypto.sealed_box import open_box
from campaign_site.export import STATUS_FILTERS, audited_signatures_csv, export_problem
from campaign_site.languages import DEFAULT_LANGUAGE
from campaign_site.petition import erasure_ledger, signing, signing_state
from campaign_site.petition import site_notice as site_notice_store
from campaign_site.web import rate_limits

LOGIN_FAILED = (
    "That email and password do not match an admin account, or the account is locked "
    "for a while after too many attempts."
)


NOT_ENROLLED = (
    "This account has no second factor yet, and logging in with a password alone is not "
    "possible. Ask whoever runs the server to run `flask --app campaign_site create-admin "
    "YOUR-EMAIL` there: it prints your authenticator secret and recovery codes once."
)
CODE_FAILED = (
    "That code did not work. Use the newest six-digit code from your authenticator app (each "
    "works once), or one of your recovery codes. Too many wrong codes lock the account for a while."
)
REAUTH_FAILED = "The password or the code did not match. Nothing was exported or searched."
LOGIN_STORE_DOWN = (
    "Logging in is switched off for now: the store that counts login attempts (Redis) does "
    "not answer, and without it password guesses could not be limited. Signing goes on as "
    "usual. Please try again in a few minutes, or ask whoever runs the servers to check Redis."
)


@bp.after_request
def never_cache(response: Response) -> Response:
    """Admin pages hold personal data: no browser or proxy may keep a copy."""
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/login", methods=["GET", "POST"])
def login():
    """The login form; one message for every kind of failure."""
    form = LoginForm()
    if request.method == "POST" and not rate_limits.store_reachable():
        # Fail closed: guesses could no longer be counted across workers and machines.
        current_app.logger.error("admin login refused: the rate-limit store does not answer")
        form.form_errors.append(LOGIN_STORE_DOWN)
        return render_template("admin/login.html", form=form), 503
    if form.validate_on_submit():
        admin = authenticate(form.email.data, form.password.data)
        if admin is not None and not current_app.config["ADMIN_TOTP_REQUIRED"]:
            return _logged_in(admin)
        if admin is not None and not second_factor.enrolled(admin):
            record(Action.LOGIN_FAILED, "no second factor", admin.email)
            form.form_errors.append(NOT_ENROLLED)
        elif admin is not None:
            begin_second_step(admin)  # nothing opens until the code is given
            return redirect(url_for("admin.login_code", next=request.args.get("next")), code=303)
        else:
            record(Action.LOGIN_FAILED, "password", audit_name(form.email.data))
            form.form_errors.append(LOGIN_FAILED)
    status = 422 if form.errors or form.form_errors else 200
    return render_template("admin/login.html", form=form), status


@bp.route("/login/code", methods=["GET", "POST"])
def login_code():
    """The second step: a code from the authenticator app, or a recovery code."""
    admin = pending_admin()
    if admin is None:
        return redirect(url_for("admin.login"), code=303)
    form = CodeForm()
    if form.validate_on_submit():
        if _second_factor_accepted(admin, form.code.data):
            return _logged_in(admin)
        record(Action.LOGIN_FAILED, "second factor", admin.email)
        form.code.errors = [CODE_FAILED]
    status = 422 if form.errors else 200
    return render_template("admin/login_code.html", form=form), status


def _logged_in(admin):
    log_in(admin)
    record(Action.LOGIN, "", admin.email)
    return remember_device(redirect(safe_next(request.args.get("next")), code=303), admin)


def _second_factor_accepted(admin, code: str) -> bool:
    """Wrong codes count toward the lockout as wrong passwords do (web/rate_limits.py)."""
    lockout, source = rate_limits.login_lockout(), request.remote_addr or "unknown"
    if lockout.locked(admin.email, source, known_device=is_known_device(admin)):
        return False
    if second_factor.accept_code(admin, code):
        return True
    lockout.record_failure(admin.email, source)
    current_app.logger.warning("admin second factor failed for account %s", admin.id)
    return False


@bp.route("/reauth", methods=["GET", "POST"])
@requires(Permission.VIEW_DASHBOARD)
def reauthenticate():
    """Password (and code) again before personal data leaves the site."""
    admin = current_admin()
    form = ReauthForm()
    totp = current_app.config["ADMIN_TOTP_REQUIRED"]
    if form.validate_on_submit():
        confirmed = authenticate(admin.email, form.password.data) is not None and (
            not totp or _second_factor_accepted(admin, form.code.data or "")
        )
        if confirmed:
            mark_reauthenticated()
            return redirect(safe_next(request.args.get("next")), code=303)
        form.form_errors.append(REAUTH_FAILED)
    status = 422 if form.errors or form.form_errors else 200
    return render_template("admin/reauth.html", form=form, admin=admin, totp=totp), status


@bp.post("/logout")
@requires(Permission.VIEW_DASHBOARD)
def logout():
    """End the admin's sessions on the server, so a copied cookie opens nothing after it
    (CSRFProtect has already checked the token)."""
    end_sessions(current_admin())
    log_out()
    return redirect(url_for("admin.login"), code=303)


@bp.get("/")
@requires(Permission.VIEW_DASHBOARD)
def dashboard():
    """The overview: key figures, what needs attention, the switch, the notice, the sections."""
    counts, health = dashboard_facts.counts(), dashboard_facts.health()
    panels = dashboard_panels.overview_panels(current_admin())
    return render_template(
        "admin/dashboard.html",
        **panels,
        **_health_variables(health),
        admin=current_admin(),
        totals=counts.totals,
        signed_today=dashboard_facts.signed_today(),
        attention=dashboard_facts.needs_attention(health, panels["flags"]),
        explained=glossary.TRENDING_FLAGS,
        network_code=glossary.REFERENCES["Network code"],
        content_entries=glossary.CONTENT_ENTRIES,
        pause_form=PauseForm(formdata=None),
        backup_max_age_hours=current_app.config["BACKUP_MAX_AGE_HOURS"],
        late_mail_minutes=dashboard_facts.LATE_MAIL_MINUTES,
        site_notice_text=site_notice_store.notices(fresh=True).get(DEFAULT_LANGUAGE, ""),
        launch_missing=len(launch.missing_items()),  # a link to /admin/launch while any
    )


@bp.get("/signing")
@requires(Permission.PAUSE_SIGNING)
def signing_switch():
    """The pause switch on a page of its own: pause with a reason, or resume."""
    return render_signing(PauseForm(formdata=None))


def _health_variables(health: dashboard_facts.Health) -> dict:
    return {field.name: getattr(health, field.name) for field in fields(health)}


@bp.post("/signing")
@requires(Permission.PAUSE_SIGNING)
def set_signing():
    """Pause (with an optional short reason) or resume signing (the emergency switch)."""
    pause = request.form.get("action") == "pause"
    form = PauseForm()
    if pause and not form.validate_on_submit():
        return render_signing(form), 422
    reason = (form.pause_reason.data or "") if pause else ""
    signing_state.set_signing_paused(pause, by=current_admin().email, reason=reason)
    record(Action.SIGNING_PAUSED if pause else Action.SIGNING_RESUMED, reason)
    current_app.logger.warning(
        "signing %s by admin %s", "paused" if pause else "resumed", current_admin().id
    )
    seconds = current_app.config["PUBLIC_CACHE_SECONDS"]
    delay = f"within {seconds} seconds" if seconds > 0 else "at once"
    if pause:
        flash(f"Signing is paused. Every server shows the notice {delay}.")
    else:
        flash(f"Signing is open again. Every server shows the form {delay}.")
    return redirect(url_for("admin.dashboard"), code=303)


def render_signing(form: PauseForm) -> str:
    """The pause page: the state now, and the form that changes it."""
    health = dashboard_facts.health()
    return render_template(
        "admin/signing.html",
        admin=current_admin(),
        form=form,
        paused=health.paused,
        paused_by_config=health.paused_by_config,
        key_problem=health.key_problem,
    )


@bp.route("/notice", methods=["GET", "POST"])
@requires(Permission.EDIT_NOTICE)
def site_notice():
    """Set or clear the notice shown at the top of every public page (for incidents)."""
    form = SiteNoticeForm(
        data=site_notice_store.notices(fresh=True) if request.method == "GET" else None
    )
    if request.method == "GET":
        return render_template("admin/notice.html", admin=current_admin(), form=form)
    if not form.validate_on_submit():
        return render_template("admin/notice.html", admin=current_admin(), form=form), 422
    site_notice_store.set_notices(form.texts())
    current_app.logger.warning("site notice changed by admin %s", current_admin().id)
    # Each process re-renders within PUBLIC_CACHE_SECONDS; nginx or a CDN keeps a page s-maxage.
    seconds = (
        current_app.config["PUBLIC_CACHE_SECONDS"] + current_app.config["PUBLIC_CACHE_S_MAXAGE"]
    )
    shown = "cleared" if not form.texts()[DEFAULT_LANGUAGE] else "set"
    record(Action.SITE_NOTICE, shown)
    flash(f"The site notice is {shown}. Every page shows the change within {seconds} seconds.")
    return redirect(url_for("admin.dashboard"), code=303)


@bp.get("/signatures.csv")
@requires(Permission.EXPORT_PERSONAL_DATA, fresh=True)
def export_signatures():
    """Signatures as CSV (?status=confirmed|pending|all), streamed and recorded in the audit log."""
    status_filter = request.args.get("status", "confirmed")
    if status_filter not in STATUS_FILTERS:
        return render_template(
            "message.html",
            title="Unknown export filter",
            message="Choose confirmed, pending or all signatures on the export page.",
        ), 400
    problem = export_problem()
    if problem:  # say so now, rather than break off a half-written file
        current_app.logger.error("export refused: %s", problem)
        title = "The signatures cannot be decrypted"
        return render_template("message.html", title=title, message=problem), 503
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    what = f"csv:{status_filter}"  # audited, every owner emailed; may wait for approval
    waiting = export_gate(what, dashboard_facts.counts().totals.get(status_filter))
    if waiting is not None:
        return waiting
    chunks = recorded_when_finished(
        audited_signatures_csv(current_admin().email, status_filter), what, current_admin().email
    )
    return Response(
        stream_with_context(chunks),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="signatures-{status_filter}-{stamp}.csv"',
        },
    )


@bp.post("/find")
@requires(Permission.FIND_AND_ERASE, fresh=True)
def find_signature():
    """Look a supporter up by email, through the blind index (POST: no address in any URL or log)."""
    form = FindSignatureForm()
    if not form.validate_on_submit():
        return render_template(
            "admin/find.html", admin=current_admin(), form=form, searched=False
        ), 422
    signature = signing.find_by_email(form.email.data.strip())
    record(Action.SEARCH_BY_EMAIL, "found" if signature else "not found")  # never the address
    person = open_box(signature.identity) if signature else None
    return render_template(
        "admin/find.html",
        admin=current_admin(),
        form=form,
        searched=True,
        signature=signature,
        person=person,
    )


@bp.post("/signatures/<int:signature_id>/erase")
@requires(Permission.FIND_AND_ERASE, fresh=True)
def erase_signature(signature_id: int):
    """Erase one signature at its owner's request (the admin found it by email first)."""
    if request.form.get("confirm") != "yes":
        return render_template(
            "message.html",
            title="Nothing was erased",
            message="Tick the box that confirms the erasure, then press the button again.",
        ), 422
    try:
        erased = signing.erase_signature(signature_id)
    except erasure_ledger.LedgerUnavailable:
        return render_template(
            "message.html",
            title="Nothing was erased",
            message="The erasure ledger (ERASURE_LEDGER_DIR) cannot be written, and no erasure "
            "happens without its record. Ask whoever runs the server to fix it, then try again.",
        ), 503
    record(Action.ERASURE, f"signature {signature_id}" + ("" if erased else ", already erased"))
    current_app.logger.warning("signature %s erased by admin %s", signature_id, current_admin().id)
    if erased:
        message = "The signature and its personal data are erased."
    else:
        message = "That signature was already erased."
    return render_template("message.html", title="Signature erased", message=message)
