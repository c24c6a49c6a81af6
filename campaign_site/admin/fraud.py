"""Fraud handling for organisers: what is trending (networks, email domains, sources),
bulk invalidation and revalidation with a dry run first, and the review queue.

Nothing changes before the organiser has seen how many signatures match, split by status,
and given a reason; a check with no criteria (it matches everything) goes ahead only if
the organiser types the number shown. The rules are in petition/invalidation.py.
"""

from flask import current_app, flash, redirect, render_template, request, url_for
from sqlalchemy import func, select

from campaign_site.accounts.audit import Action, record
from campaign_site.accounts.permissions import Permission
from campaign_site.admin import bp, glossary
from campaign_site.admin.access import requires
from campaign_site.admin.auth import current_admin
from campaign_site.admin.forms import PauseForm
from campaign_site.admin.fraud_forms import ACTIONS, MARKS, ApplyForm, CriteriaForm, ReviewForm
from campaign_site.database import read_transaction
from campaign_site.extensions import db
from campaign_site.models import Signature
from campaign_site.petition import (
    invalidation,
    public_figures,
    signing_state,
    test_signatures,
    trending,
)
from campaign_site.web.template_filters import quantity

REVIEW_PAGE = 200
# Under gunicorn's 30 s timeout: about 60,000 signatures a request on this machine's
# figures (benchmarks/RESULTS.md); a larger run takes a second press.
REQUEST_SECONDS = 20


@bp.get("/fraud")
@requires(Permission.FIGHT_FRAUD)
def fraud():
    """Trending in the last hour and day, and the form to match signatures (prefilled from
    a trending row's link)."""
    form = CriteriaForm(formdata=request.args if request.args else None)
    return _fraud_page(form)


def _fraud_page(form: CriteriaForm, status: int = 200, **extra):
    with read_transaction(db.session):
        windows = {name: trending.trending(name) for name in trending.WINDOWS}
        tests_held = test_signatures.held()
    return render_template(
        "admin/fraud.html",
        admin=current_admin(),
        form=form,
        windows=windows,
        tests_held=tests_held,
        test_link_minutes=test_signatures.LINK_MINUTES,
        actions=ACTIONS,
        paused=signing_state.signing_paused(fresh=True),
        pause_form=PauseForm(formdata=None),
        plain=_plain_words(),
        flags_explained=glossary.TRENDING_FLAGS,
        **extra,
    ), status


@bp.post("/fraud/check")
@requires(Permission.FIGHT_FRAUD)
def fraud_check():
    """The dry run: how many match, by status; nothing changes."""
    form = CriteriaForm()
    if not form.validate_on_submit():
        return _fraud_page(form, 422)
    criteria = form.criteria()
    up_to_id = invalidation.highest_id()  # first: what arrives while counting is not counted
    counts = invalidation.dry_run(criteria, up_to_id)
    affected = _affected(form.action.data, counts)
    confirm = ApplyForm(
        formdata=None,
        data={
            **{field.name: field.data for field in form if field.name != "csrf_token"},
            "up_to_id": up_to_id,
            "matched": affected,
        },
    )
    return _fraud_page(form, counts=counts, affected=affected, confirm=confirm, criteria=criteria)


def _plain_words() -> list[str]:
    """The fraud page's settings and codes as sentences (admin/glossary.py)."""
    config = current_app.config
    return [
        glossary.explain("TRENDING_NETWORK_PER_HOUR", config),
        glossary.explain("TRENDING_DOMAIN_PER_HOUR", config),
        glossary.explain("NETWORK_HASH_RETENTION_DAYS", config),
        glossary.REFERENCES["Network code"],
        glossary.REFERENCES["Domain code"],
    ]


def _affected(action: str, counts: dict[str, int]) -> int:
    if action == "revalidate":
        return counts["invalidated"]
    return counts["pending"] + counts["confirmed"]


@bp.post("/fraud/apply")
@requires(Permission.FIGHT_FRAUD, fresh=True)
def fraud_apply():
    """Invalidate or revalidate what the dry run counted, in batches; audited."""
    form = ApplyForm()
    if not form.validate_on_submit():
        return _fraud_page(form, 422)
    criteria = form.criteria()
    if criteria.is_empty() and form.typed_count.data != form.matched.data:
        form.typed_count.errors = [
            f"No criteria were given, so this matches every signature: type {form.matched.data} "
            "to go ahead. Nothing was changed."
        ]
        return _fraud_page(form, 422)
    run = invalidation.revalidate if form.action.data == "revalidate" else invalidation.invalidate
    verb = "revalidated" if form.action.data == "revalidate" else "invalidated"
    # Logged before the first batch too: a run cut short still leaves its trace.
    record(
        Action.INVALIDATION_STARTED,
        f"{form.matched.data} to be {verb}; criteria: {criteria.describe()}",
    )
    changed = run(criteria, form.up_to_id.data, seconds=REQUEST_SECONDS)
    record(
        Action.INVALIDATION if verb == "invalidated" else Action.REVALIDATION,
        f"{changed} {verb}; criteria: {criteria.describe()}; reason: {form.reason.data}",
    )
    current_app.logger.warning("%s %s signatures by admin %s", verb, changed, current_admin().id)
    with read_transaction(db.session):
        count = public_figures.online_signatures()
    left = form.matched.data - changed
    if left > 0:
        flash(
            f"{changed:,} signatures {verb} so far; about {left:,} remain (a page may take "
            f"only {REQUEST_SECONDS} seconds). Check again and apply to go on. "
            f"The public count is now {count:,}."
        )
        return redirect(url_for("admin.fraud"), code=303)
    flash(f"{changed:,} signatures {verb}. The public count is now {count:,}.")
    return redirect(url_for("admin.fraud"), code=303)


@bp.route("/review", methods=["GET", "POST"])
@requires(Permission.FIGHT_FRAUD, fresh=True)
def review():
    """Signatures marked for a second look: accept or invalidate them in batches."""
    form = ReviewForm()
    if request.method == "POST":
        if form.validate_on_submit() and form.ids.data:
            return _decide(form)
        if not form.ids.data:
            form.ids.errors = ["Tick at least one signature."]
    with read_transaction(db.session):
        marked = db.session.execute(
            select(
                Signature.id,
                Signature.signed_at,
                Signature.country,
                Signature.source,
                Signature.review_marks,
                Signature.status,
            )
            .where(*invalidation.IN_REVIEW)
            .order_by(Signature.id.desc())
            .limit(REVIEW_PAGE)
        ).all()
        total = db.session.scalar(select(func.count()).where(*invalidation.IN_REVIEW))
    status = 422 if request.method == "POST" else 200
    return render_template(
        "admin/review.html",
        admin=current_admin(),
        form=form,
        marked=marked,
        total=total,
        marks=MARKS,
        explained=glossary.REVIEW_MARKS,
    ), status


def _decide(form: ReviewForm):
    ids = [n for n in dict.fromkeys(form.ids.data) if 0 < n < 2**31][:REVIEW_PAGE]
    if form.decision.data == "accept":
        changed = invalidation.accept(ids)
        action, verb = Action.REVIEW_ACCEPTED, "accepted"
    else:
        changed = invalidation.invalidate_ids(ids)
        action, verb = Action.INVALIDATION, "invalidated"
    record(action, f"{changed} {verb} from the review queue; reason: {form.reason.data}")
    flash(f"{quantity(changed, 'signature')} {verb}.")
    return redirect(url_for("admin.review"), code=303)


def trending_flags() -> list[trending.Busy]:
    """For the dashboard: what is flagged in the last hour."""
    with read_transaction(db.session):
        kinds = trending.trending("hour", over_only=True)
    return [row for rows in kinds.values() for row in rows if row.flagged]
