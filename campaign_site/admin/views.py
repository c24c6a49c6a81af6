"""Admin routes: log in and out, see the totals, export the signatures."""

from datetime import datetime, timezone

from flask import Response, redirect, render_template, request, stream_with_context, url_for

from .. import signing
from ..export import signatures_csv
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
    )


@bp.get("/signatures.csv")
@login_required
def export_signatures():
    """Every signature as CSV, streamed so a million rows never sit in memory."""
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
    return Response(
        stream_with_context(signatures_csv()),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="signatures-{stamp}.csv"',
        },
    )
