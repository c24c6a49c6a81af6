"""Admin routes: log in and out, see the totals, export the signatures."""

from datetime import datetime, timezone

from flask import Response, redirect, render_template, request, stream_with_context, url_for

from .. import signing
from .. import outbox
from ..export import STATUS_FILTERS, signatures_csv
from . import bp
from .auth import authenticate, current_admin, log_in, log_out, login_required, safe_next
from .forms import LoginForm

LOGIN_FAILED = "That email and password do not match an admin account."


@bp.after_request
def never_cache(response: Response) -> Response:
    """Admin pages hold personal data: no browser or proxy may keep a copy."""
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/login", methods=["GET", "POST"])
def login():
    """The login form; one message for every kind of failure."""
    form = LoginForm()
    if form.validate_on_submit():
        admin = authenticate(form.email.data, form.password.data)
        if admin is not None:
            log_in(admin)
            return redirect(safe_next(request.args.get("next")), code=303)
        form.form_errors.append(LOGIN_FAILED)
    status = 422 if form.errors or form.form_errors else 200
    return render_template("admin/login.html", form=form), status


@bp.post("/logout")
@login_required
def logout():
    """End the admin session (CSRFProtect has already checked the token)."""
    log_out()
    return redirect(url_for("admin.login"), code=303)


@bp.get("/")
@login_required
def dashboard():
    """Totals: all signatures, those who want updates, and per country."""
    return render_template(
        "admin/dashboard.html",
        admin=current_admin(),
        totals=signing.totals(),
        by_country=signing.totals_by_country(),
        unsent_mail=outbox.pending_messages(),
    )


@bp.get("/signatures.csv")
@login_required
def export_signatures():
    """Signatures as CSV (?status=confirmed|pending|all), streamed, never all in memory."""
    status_filter = request.args.get("status", "confirmed")
    if status_filter not in STATUS_FILTERS:
        return render_template(
            "error.html",
            title="Unknown export filter",
            message="Choose confirmed, pending or all signatures from the dashboard.",
        ), 400
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
    return Response(
        stream_with_context(signatures_csv(status_filter)),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="signatures-{status_filter}-{stamp}.csv"',
        },
    )
