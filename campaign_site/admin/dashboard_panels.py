"""What the overview and its section pages show beyond the counts (charts, events, paper,
updates being sent, fraud flags, exports), each read from the module that owns it and handed
to the template by the view: no template calls a query, and a section the admin may not use
is not read at all."""

from dataclasses import dataclass, fields
from typing import Any

from campaign_site.accounts.permissions import Permission, may
from campaign_site.admin.accounts import export_approval_required, personal_data_exports
from campaign_site.admin.charts import Charts, dashboard_charts
from campaign_site.admin.events import event_summaries
from campaign_site.admin.fraud import trending_flags
from campaign_site.admin.updates import recent_updates
from campaign_site.models import AdminUser
from campaign_site.petition import public_figures


def _as_variables(found: Any) -> dict[str, Any]:
    return {field.name: getattr(found, field.name) for field in fields(found)}


@dataclass(frozen=True)
class OverviewPanels:
    """The overview's live signals; flags is None where the admin may not fight fraud."""

    flags: list | None
    sending_updates: list  # (update, progress) pairs still sending


def overview_panels(admin: AdminUser) -> dict[str, Any]:
    """The signals the overview lists under "Needs attention"."""
    return _as_variables(
        OverviewPanels(
            flags=trending_flags() if may(admin, Permission.FIGHT_FRAUD) else None,
            sending_updates=[pair for pair in recent_updates() if pair[0].status == "sending"],
        )
    )


@dataclass(frozen=True)
class SignaturePanels:
    """The signatures page's sections; listed_events is None without MANAGE_EVENTS."""

    charts: Charts
    listed_events: list | None
    paper_total: int


def signature_panels(admin: AdminUser) -> dict[str, Any]:
    """Everything /admin/signatures shows beyond the totals."""
    return _as_variables(
        SignaturePanels(
            charts=dashboard_charts(),
            listed_events=event_summaries() if may(admin, Permission.MANAGE_EVENTS) else None,
            paper_total=public_figures.paper_signatures(),
        )
    )


@dataclass(frozen=True)
class ExportPanels:
    personal_exports: list
    export_approval_required: bool


def export_panels() -> dict[str, Any]:
    """The export page's log of personal data leaving the site, and whether exports wait."""
    return _as_variables(
        ExportPanels(
            personal_exports=personal_data_exports(),
            export_approval_required=export_approval_required(),
        )
    )
