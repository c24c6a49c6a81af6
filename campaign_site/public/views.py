"""Public routes: the campaign page, /sign, thank-you, privacy, safety, /api/count, /healthz. Each
parses the request, calls the petition's rules and picks a response.

No route here reads or writes a cookie: the pages are the same for everyone (so shared
caches may keep them) and signing works where a browser blocks every cookie. Cross-site
form posts are refused by web/fetch_metadata.py instead of a per-visitor token.
"""

from flask import abort, current_app, g, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext, ngettext
from flask_limiter import RateLimitExceeded
from sqlalchemy import text

from campaign_site.backup import status as backup_status
from campaign_site.crypto import signal_hashes
from campaign_site.database import read_transaction
from campaign_site.extensions import db
from campaign_site.mail.update_messages import body_html
from campaign_site.metrics.instruments import signing_attempt
from campaign_site.petition import (
    campaign_content,
    closing,
    counting,
    events,
    public_figures,
    signing,
    signing_state,
    test_signatures,
    updates,
)
from campaign_site.petition import organisations as petition_organisations
from campaign_site.public import bots, bp, organisations, seo, sharing
from campaign_site.public.forms import SignatureForm
from campaign_site.web import errors, i18n, rate_limits, template_filters
from campaign_site.web.public_cache import public_page


@bp.get("/")
@public_page
def index():
    """The campaign page with an empty form: the same bytes for everyone in a language, so
    browsers, nginx and a CDN may keep it (web/public_cache.py). Its count is at most the
    cache period old; site.js fetches the live one from /api/count. A link's ?source= (or
    utm_source, utm_campaign) goes into the form's hidden fields; the page is cached per
    valid source like any other URL (web/public_cache.py keys it)."""
    return render_campaign_page(SignatureForm.for_link(request.environ.get("QUERY_STRING", "")))


@bp.post("/sign")
def sign():
    """Store a signature; a repeat of an address gets exactly the same answer as a first."""
    return answer_signature(render_campaign_page, "public.thanks")


def answer_signature(render_form, thanks_endpoint: str):
    """The signing flow wherever the form is shown (this page, the partners' embed):
    render_form draws the page around the form, thanks_endpoint is where success goes."""
    form = SignatureForm()
    if not signing_state.signing_open():
        signing_attempt("closed")
        return render_form(form), 410
    if not campaign_content.launch_ready():  # "launching soon": nothing is stored
        signing_attempt("paused")
        return render_form(form), 503
    if signing_state.signing_paused():
        signing_attempt("paused")
        return render_form(form), 503
    if bots.honeypot_filled(form):
        # Answer exactly as for a person, so the bot learns nothing; store nothing.
        signing_attempt("bot")
        return redirect(url_for(thanks_endpoint), code=303)
    if not form.validate():
        if request.content_length and not request.form:  # Werkzeug drops undecodable bodies whole
            form.form_errors.append(
                gettext("Some characters could not be read. Please type this again.")
            )
        retry_after = rate_limits.invalid_form_allowed()
        if retry_after is not None:  # a flood of junk: slowed, and never stored anyway
            signing_attempt("limited")
            return render_rate_limited_form(retry_after, render_form)
        signing_attempt("invalid")
        return render_form(form), 422
    retry_after, busy = rate_limits.count_signature(event=events.is_active_code(form.source.data))
    if retry_after is not None:  # above the ceiling for this address: a scripted flood
        signing_attempt("limited")
        return render_rate_limited_form(retry_after, render_form)
    marks = bots.timing_marks(form) + ([signing.BUSY_ADDRESS] if busy else [])
    # The client's /24 or /48, hashed: a fraud signal, never the address itself.
    network = signal_hashes.network_hash(request.remote_addr)
    new = form.to_signature(marks, network_hash=network)
    if form.test_token.data:  # a staff test: never stored as a real signature by mistake
        if not test_signatures.token_is_valid(form.test_token.data):
            form.form_errors.append(test_link_expired())
            signing_attempt("invalid")
            return render_form(form), 422
        new = test_signatures.as_test(new)
    signing.record_signature(new)
    signing_attempt("test" if form.test_token.data else "stored")
    return redirect(url_for(thanks_endpoint), code=303)


def test_link_expired() -> str:
    """Said where a staff test link no longer works, in the page's language."""
    return gettext("This test link has expired. Please open a new one from the admin.")


@bp.get("/test-signature/<token>")
def test_signature(token: str):
    """The campaign page for a staff test (a link from /admin/test-signature): signing here
    makes a test signature, which never counts. Not cached: the token is in the URL."""
    if not test_signatures.token_is_valid(token):
        response = render_template(
            "message.html", title=gettext("Test link expired"), message=test_link_expired()
        )
        return response, 404, {"Cache-Control": "no-store"}
    form = SignatureForm(formdata=None)
    form.test_token.data = token
    return render_campaign_page(form), 200, {"Cache-Control": "no-store"}


@bp.get("/thank-you")
@public_page
def thanks():
    """Thanks and share links; says nothing about who signed."""
    confirmation_required = signing_state.confirmation_required()
    return render_template(
        "thanks.html",
        # "I signed" only once it is true: with double opt-in, sharing waits for the link.
        share_links=[] if confirmation_required else sharing.share_links(),
        share_url=sharing.campaign_url("link"),
        device_sharing=sharing.device_sharing(),
        confirmation_required=confirmation_required,
    )


@bp.get("/privacy")
@public_page
def privacy():
    """What we store, why, for how long, and how to erase it."""
    return render_template("privacy.html", config=current_app.config)


@bp.get("/safety")
@public_page
def safety():
    """How to sign safely from Russia or Belarus: risks, what is stored, mail, Tor, erasing."""
    return render_template(
        "safety.html",
        config=current_app.config,
        onion_url=current_app.config["ONION_URL"],
        signing_open=_signing_state() == "open",
    )


@bp.get("/contact")
@public_page
def contact():
    """Who runs the site and how to reach them (the imprint), from the content file."""
    return render_template("contact.html")


@bp.get("/accessibility")
@public_page
def accessibility():
    """The accessibility statement: what we aim for, what is known not to work, whom to tell."""
    return render_template("accessibility.html")


@bp.get("/news/<int:update_id>")
@public_page
def news(update_id: int):
    """A campaign update that was sent, in the page's language (English where it has no
    text of its own): discreet notes link here instead of carrying the text."""
    with read_transaction(db.session):
        found = updates.published_text(update_id, i18n.current_language())
    if found is None:
        abort(404)
    language, text = found
    return render_template(
        "news.html", subject=text.subject, body_html=body_html(text.body), text_language=language
    )


@bp.get("/api/count")
@public_page
def api_count():
    """The count, for scripts and embeds; a CDN may keep it as long as the pages."""
    figures = public_figures.recent_public_figures()
    answer = {"count": figures.online, "goal": figures.goal, "closed": closing.is_closed()}
    # Countries below PUBLIC_COUNTRY_MIN are folded into "other" (public_figures.py says why).
    answer["countries"] = {**dict(figures.countries.shown), "other": figures.countries.other}
    if figures.paper_shown:
        answer["paper"] = figures.paper
    return jsonify(answer)


@bp.get("/api/form-stamp")
def form_stamp():
    """A signed "started at" time, fetched by site.js at the visitor's first scroll, tap or
    key: the page is the same for everyone, so it cannot carry one (public/bots.py)."""
    response = jsonify(stamp=bots.form_started_stamp())
    response.cache_control.no_store = True
    return response


@bp.get("/healthz")
def healthz():
    """200 while the database answers; load balancers take a 503 as 'send traffic elsewhere'.

    The rate-limit store is reported but never fails the check: a Redis outage must not
    take every instance out of the load balancer, as signing works on without it.
    """
    details: dict[str, str | bool] = {
        "rate_limit_store": "ok" if rate_limits.store_reachable() else "unreachable"
    }
    try:
        with read_transaction(db.session):
            db.session.execute(text("SELECT 1"))
            last_backup = backup_status.last_backup_at()
    except Exception:
        current_app.logger.exception("health check: database did not answer")
        return jsonify(status="unavailable", details={**details, "database": "unavailable"}), 503
    if details["rate_limit_store"] != "ok":
        current_app.logger.warning("health check: the rate-limit store does not answer")
    details["last_backup"] = last_backup.isoformat() if last_backup else "never"
    details["backup_overdue"] = backup_status.backup_overdue(last_backup)  # reported, never a 503
    return jsonify(status="ok", details={**details, "database": "ok"})


@bp.get("/content-preview/<token>")
def content_preview(token: str):
    """A version of the campaign's content before it is published, as visitors will see it,
    from a link /admin/content makes (signed, for an hour; in any language's prefix)."""
    preview = campaign_content.version_for_preview(token)
    if preview is None:
        return render_template(
            "message.html",
            title=gettext("This preview link has expired"),
            message=gettext("Please open the preview again from the admin."),
        ), 404
    setattr(g, template_filters.PREVIEW_KEY, preview)
    return render_campaign_page(SignatureForm(), preview=True), {"X-Robots-Tag": "noindex"}


# The admin is written in English; so is the note on its previews.
PREVIEW_NOTE = "Preview: visitors do not see this version until it is published in the admin."


def render_campaign_page(form: SignatureForm, preview: bool = False) -> str:
    """The one public page, with the form as submitted (errors and typed values kept)."""
    figures = public_figures.public_figures()
    return render_template(
        "index.html",
        preview_note=PREVIEW_NOTE if preview else "",
        form=form,
        count=figures.online,
        goal=figures.goal,
        first_signers_threshold=current_app.config["FIRST_SIGNERS_THRESHOLD"],
        countries=figures.countries,
        paper_signatures=figures.public_paper,
        recent_signers=counting.recent_signers(),
        organisations=petition_organisations.supporting(),
        signing_state=_signing_state(),
        meta=seo.share_meta(),
        structured_data=seo.structured_data(),
        count_phrases=i18n.plural_phrases("person has signed", "people have signed"),
        safety_note=i18n.safety_note_wanted(),
    )


def _signing_state() -> str:
    """'open', 'launching' (the content is not ready), 'paused' (for a while) or 'closed'
    (for good). A preview shows the state its own content would give."""
    if not signing_state.signing_open():
        return "closed"
    if current_app.config["WAIT_FOR_CONTENT"] and template_filters.campaign().missing_for_launch():
        return "launching"
    return "paused" if signing_state.signing_paused() else "open"


@bp.errorhandler(RateLimitExceeded)
def rate_limited(error: RateLimitExceeded):
    """Over a limit: on the petition, the form again with what was typed; on the
    organisations' form, the form again saying when to try again."""
    if request.endpoint == "public.organisation_apply":
        return organisations.render_rate_limited(error.limit.limit.get_expiry())
    if request.endpoint != "public.sign":
        return errors.handle_rate_limited(error)
    return render_rate_limited_form(error.limit.limit.get_expiry())


def render_rate_limited_form(retry_after: int, render_form=render_campaign_page):
    """Over the signing ceiling: the form again with what was typed, and when to try again."""
    form = SignatureForm()
    minutes = max(1, -(-retry_after // 60))
    form.form_errors.append(
        ngettext(
            "Very many signatures have come from your network in a short time. Nothing you typed "
            "is lost: please wait %(num)s minute, then press Sign the petition again.",
            "Very many signatures have come from your network in a short time. Nothing you typed "
            "is lost: please wait %(num)s minutes, then press Sign the petition again.",
            minutes,
        )
    )
    return render_form(form), 429, {"Retry-After": str(retry_after)}
