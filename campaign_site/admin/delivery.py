"""The delivery pack (a printable document for handing over the petition) and the entry of
paper signatures collected at events."""

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from campaign_site.accounts.audit import Action, record
from campaign_site.accounts.permissions import Permission
from campaign_site.admin import bp, delivery_text
from campaign_site.admin.access import admin_can, ask_again, requires
from campaign_site.admin.accounts import export_gate
from campaign_site.admin.auth import authenticated_recently, current_admin
from campaign_site.admin.delivery_forms import DeliveryPackForm
from campaign_site.admin.paper_forms import PaperCountForm
from campaign_site.database import read_transaction
from campaign_site.extensions import db
from campaign_site.languages import DEFAULT_LANGUAGE
from campaign_site.models import Event
from campaign_site.petition import counting, organisations, paper, public_figures


@bp.get("/delivery")
@requires(Permission.VIEW_DASHBOARD)
def delivery_pack():
    """Petition text, addressee, totals by country and period, paper signatures as their
    own line, the date and place of handing over, in a language of the site; names only if
    the admin asks, and only of those who agreed."""
    form = DeliveryPackForm(request.args)
    with_names = request.args.get("names") == "yes"
    if with_names and not admin_can(Permission.EXPORT_PERSONAL_DATA):
        abort(403)  # names are personal data: exporters only
    if with_names and not authenticated_recently():
        return ask_again()
    valid = form.validate()  # a bad choice is shown beside the form; the pack stays printable
    language = form.language.data if not form.language.errors else DEFAULT_LANGUAGE
    with read_transaction(db.session):
        facts = delivery_text.Facts(
            figures=public_figures.public_figures(),
            period=counting.signing_period(),
            paper_lines=paper.by_event_and_country(),
            names=list(counting.shown_signers()) if with_names else [],
            handed_on=form.handed_on.data if not form.handed_on.errors else None,
            place=form.place.data if not form.place.errors else None,
            organisations=organisations.supporting(),
        )
    if with_names:  # audited, every owner emailed; may wait for a second owner's approval
        waiting = export_gate("delivery:names", len(facts.names))
        if waiting is not None:
            return waiting
        current_app.logger.warning(
            "delivery pack with %d shown names printed by admin %s",
            len(facts.names),
            current_admin().id,
        )
    return render_template(
        "admin/delivery.html",
        admin=current_admin(),
        form=form,
        with_names=with_names,
        pack=delivery_text.pack_in(language, facts),
    ), (200 if valid else 422)


@bp.route("/paper", methods=["GET", "POST"])
@requires(Permission.ENTER_PAPER_COUNTS)
def paper_counts():
    """Enter signatures collected on paper; every entry is kept with who made it."""
    form = PaperCountForm()
    with read_transaction(db.session):
        events = db.session.scalars(
            select(Event).where(Event.deleted_at.is_(None)).order_by(Event.starts_on)
        ).all()
    form.event.choices = [("", "No event (collected elsewhere)")] + [
        (str(event.id), f"{event.title}, {event.city}, {event.starts_on.isoformat()}")
        for event in events
    ]
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                paper.record(
                    int(form.event.data) if form.event.data else None,
                    form.country.data,
                    form.signatures.data,
                    (form.note.data or "").strip(),
                    current_admin().email,
                )
            except paper.PaperCountRefused as refused:
                form.signatures.errors = [str(refused)]
                status = 422
            else:
                record(Action.PAPER_COUNT, f"{form.signatures.data:+d} for {form.country.data}")
                current_app.logger.warning(
                    "paper count %+d (%s) entered by admin %s",
                    form.signatures.data,
                    form.country.data,
                    current_admin().id,
                )
                flash(
                    f"Entered {form.signatures.data:+,} paper signatures for {form.country.data}."
                )
                return redirect(url_for("admin.paper_counts"), code=303)
        else:
            status = 422
    with read_transaction(db.session):
        listed = paper.entries()
        totals = paper.by_event_and_country()
    return render_template(
        "admin/paper.html", admin=current_admin(), form=form, entries=listed, totals=totals
    ), status
