"""The three report templates every workspace starts with, and the function that makes them.

They are ordinary templates a manager can edit; ``report_templates_ensure`` only creates those
whose key is missing, so it is safe on every deploy and never overwrites an edit.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from django.utils.translation import override

from connectors.models import Workspace
from reporting.report_models import ReportCompare, ReportTemplate, RollingPeriod

MONTHLY, WEEKLY, CLIENT = "monthly", "weekly", "client"

_READY: tuple[dict[str, Any], ...] = (
    {
        "key": MONTHLY,
        "name": _("Monthly management report"),
        "description": _(
            "Last month against the month before: KPIs, goals, what worked, next steps."
        ),
        "period": RollingPeriod.LAST_MONTH,
        "sections": [
            {"type": "cover"},
            {"type": "summary"},
            {"type": "commentary", "title": _("Highlights of the month"), "text": ""},
            {"type": "goals"},
            {"type": "kpi_chart", "kpi": "reach", "by": "platform"},
            {"type": "kpi_chart", "kpi": "engagements", "by": "platform"},
            {"type": "kpi_chart", "kpi": "engagements_per_post", "by": "format"},
            {"type": "kpi_chart", "kpi": "followers", "by": "account"},
            {"type": "posts", "metric": "engagements", "top": 5, "bottom": 3},
            {"type": "content"},
            {"type": "insights", "limit": 6},
            {"type": "recommendations", "limit": 5},
            {"type": "data_notes"},
        ],
    },
    {
        "key": WEEKLY,
        "name": _("Weekly team report"),
        "description": _("Last week for the marketing team: numbers, best posts, what changed."),
        "period": RollingPeriod.LAST_WEEK,
        "sections": [
            {"type": "summary"},
            {"type": "kpi_chart", "kpi": "engagements", "by": "platform"},
            {"type": "posts", "metric": "engagements", "top": 10, "bottom": 5},
            {"type": "insights", "limit": 5},
            {"type": "data_notes"},
        ],
    },
    {
        "key": CLIENT,
        "name": _("Client report"),
        "description": _("A branded monthly report for a client: results, goals and advice."),
        "period": RollingPeriod.LAST_MONTH,
        "sections": [
            {"type": "cover"},
            {"type": "summary"},
            {"type": "kpi_chart", "kpi": "reach", "by": "platform"},
            {"type": "kpi_chart", "kpi": "engagements", "by": "platform"},
            {"type": "goals"},
            {"type": "posts", "metric": "engagements", "top": 5, "bottom": 0},
            {"type": "recommendations", "limit": 4},
            {"type": "commentary", "title": _("Our comments"), "text": ""},
            {"type": "data_notes"},
        ],
    },
)

READY_KEYS = tuple(spec["key"] for spec in _READY)


def _text(value: Any) -> Any:
    return str(value) if hasattr(value, "_proxy____cast") else value


def report_templates_ensure(
    *, workspace: Workspace, model: type[ReportTemplate] = ReportTemplate
) -> list[ReportTemplate]:
    """Create the ready templates ``workspace`` lacks, named in its report language.

    ``model`` is the historical model when a migration calls this."""
    existing = set(model.objects.filter(workspace=workspace).values_list("key", flat=True))
    created = []
    with override(workspace.language or "en"):
        for spec in _READY:
            if spec["key"] in existing:
                continue
            sections = [
                {name: _text(value) for name, value in section.items()}
                for section in spec["sections"]
            ]
            created.append(
                model.objects.create(
                    workspace=workspace,
                    key=spec["key"],
                    name=str(spec["name"]),
                    description=str(spec["description"]),
                    period=spec["period"],
                    compare=ReportCompare.PREVIOUS,
                    sections=sections,
                    is_builtin=True,
                )
            )
    return created
