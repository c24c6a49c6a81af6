"""The dashboard's sections beyond the counts (charts, events, partners, delivery, updates,
fraud, exports), each read from the module that owns it and handed to the template by the
view: no template calls a query, and a section the admin may not use is not read at all."""

from dataclasses import dataclass, fields
from typing import Any

from campaign_site.accounts.permissions import Permission, may
from campaign_site.admin.accounts import export_approval_required, personal_data_exports
from campaign_site.admin.charts import Charts, dashboard_charts
from campaign_site.admin.events import event_summaries
from campaign_site.admin.fraud import trending_flags
from campaign_site.admin.updates import recent_updates
from campaign_site.models import AdminUser
from campaign_site.petition import partner_sites, public_figures


@dataclass(frozen=True)
class Panels:
    """The dashboard's sections, each read from the module that owns it; None where the
    admin may not use that section (its template is then not included at all)."""

    charts: Charts
    listed_events: list | None
    embed_origins: list[str] | None
    paper_total: int
    listed_updates: list
    flags: list | None
    personal_exports: list
    export_approval_required: bool


def panels(admin: AdminUser) -> dict[str, Any]:
    """Everything the dashboard's sections show, as template variables."""
    found = Panels(
        charts=dashboard_charts(),
        listed_events=event_summaries() if may(admin, Permission.MANAGE_EVENTS) else None,
        embed_origins=(
            partner_sites.allowed_origins() if may(admin, Permission.MANAGE_PARTNERS) else None
        ),
        paper_total=public_figures.public_figures().paper,
        listed_updates=recent_updates(),
        flags=trending_flags() if may(admin, Permission.FIGHT_FRAUD) else None,
        personal_exports=personal_data_exports(),
        export_approval_required=export_approval_required(),
    )
    return {field.name: getattr(found, field.name) for field in fields(found)}
