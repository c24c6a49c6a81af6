"""The Organisations page: organisations that applied to co-sign, their logos as re-encoded,
and a button to approve or reject each (audited). One appears publicly only once its
contact has confirmed by email and it is approved (petition/organisations.py)."""

from flask import abort, flash, redirect, render_template, url_for
from flask_wtf import FlaskForm

from campaign_site.accounts.audit import Action, record
from campaign_site.accounts.permissions import Permission
from campaign_site.admin import bp
from campaign_site.admin.access import requires
from campaign_site.admin.auth import current_admin
from campaign_site.models import OrganisationStatus
from campaign_site.petition import organisations as rules


class ReviewForm(FlaskForm):
    """Approve or reject: the button is the form (its token is all it carries)."""


@bp.get("/organisations")
@requires(Permission.MANAGE_ORGANISATIONS)
def organisations():
    """Waiting for a decision first, then approved, then rejected."""
    listed = rules.applications()
    return render_template(
        "admin/organisations.html",
        admin=current_admin(),
        form=ReviewForm(),
        groups=[
            (
                "Waiting for a decision",
                [o for o in listed if o.status == OrganisationStatus.PENDING],
            ),
            ("Approved", [o for o in listed if o.status == OrganisationStatus.APPROVED]),
            ("Rejected", [o for o in listed if o.status == OrganisationStatus.REJECTED]),
        ],
    )


@bp.post("/organisations/<int:organisation_id>/approve")
@requires(Permission.MANAGE_ORGANISATIONS)
def approve_organisation(organisation_id: int):
    return _review(organisation_id, approve=True)


@bp.post("/organisations/<int:organisation_id>/reject")
@requires(Permission.MANAGE_ORGANISATIONS)
def reject_organisation(organisation_id: int):
    return _review(organisation_id, approve=False)


def _review(organisation_id: int, approve: bool):
    if not ReviewForm().validate_on_submit():
        flash("The form had expired; nothing was changed. Please press the button again.")
        return redirect(url_for("admin.organisations"), code=303)
    organisation = rules.review(organisation_id, approve, current_admin().email)
    if organisation is None:
        flash("That organisation has withdrawn meanwhile; nothing was changed.")
        return redirect(url_for("admin.organisations"), code=303)
    action = Action.ORGANISATION_APPROVED if approve else Action.ORGANISATION_REJECTED
    record(action, f"organisation {organisation_id}: {organisation.name}")
    if not approve:
        flash(f"{organisation.name} is rejected and not shown publicly.")
    elif organisation.confirmed_at is None:
        flash(f"{organisation.name} is approved; it is shown once its contact confirms by email.")
    else:
        flash(f"{organisation.name} is approved and shown on the campaign page.")
    return redirect(url_for("admin.organisations"), code=303)


@bp.get("/organisations/<int:organisation_id>/logo")
@requires(Permission.MANAGE_ORGANISATIONS)
def organisation_logo_for_review(organisation_id: int):
    """Any organisation's logo (the public URL serves only shown ones)."""
    found = rules.any_logo(organisation_id)
    if found is None:
        abort(404)
    data, content_type = found
    return data, {
        "Content-Type": content_type,
        "Cache-Control": "private, no-store",
        "X-Content-Type-Options": "nosniff",
    }
