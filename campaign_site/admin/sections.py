"""The overview's sections with pages of their own: the signatures in figures and charts,
the export (CSV, finding a supporter, the export log), the settings in plain words, and the
help page (the glossary and what to do in an incident)."""

from flask import current_app, render_template

from campaign_site.accounts.permissions import Permission
from campaign_site.admin import bp, dashboard_panels, glossary
from campaign_site.admin import dashboard as dashboard_facts
from campaign_site.admin.access import requires
from campaign_site.admin.auth import current_admin
from campaign_site.admin.forms import FindSignatureForm
from campaign_site.export import recent_exports


@bp.get("/signatures")
@requires(Permission.VIEW_DASHBOARD)
def signatures():
    """Every total, the charts, and the counts by source, event, country and language."""
    counts = dashboard_facts.counts()
    return render_template(
        "admin/signatures.html",
        **dashboard_panels.signature_panels(current_admin()),
        admin=current_admin(),
        totals=counts.totals,
        by_country=counts.by_country,
        by_language_named=counts.by_language,
        unsent_mail=dashboard_facts.health().unsent_mail,
    )


@bp.get("/export")
@requires(Permission.VIEW_DASHBOARD)
def export():
    """The CSV export and the search by email (for those who may), and the export log."""
    return render_template(
        "admin/export.html",
        **dashboard_panels.export_panels(),
        admin=current_admin(),
        find_form=FindSignatureForm(),
        exports=recent_exports(),
    )


@bp.get("/settings")
@requires(Permission.VIEW_SETTINGS)
def settings():
    """The limits, dates and mail set-up, each in a sentence (never a password or key)."""
    return render_template(
        "admin/settings.html",
        admin=current_admin(),
        groups=glossary.shown_settings(current_app.config),
    )


@bp.get("/help")
@requires(Permission.VIEW_DASHBOARD)
def help_page():
    """The glossary and the incident playbook."""
    return render_template(
        "admin/help.html",
        admin=current_admin(),
        glossary=glossary.glossary(),
        cache_seconds=current_app.config["PUBLIC_CACHE_SECONDS"],
    )
