"""Demo goals and alert rules, added when ``seed_demo`` writes the demo workspace.

Targets are derived from the demo's own history (the previous period's value, raised a little),
so the Goals page shows a mix of statuses on any day the demo is seeded. Idempotent: goals and
rules are found by name, and a goal for a period that already has one is left as it is.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.dispatch import receiver

from connectors.models import Workspace
from connectors.signals import demo_workspace_seeded
from reporting.alert_models import AlertComparison, AlertKind, AlertRule
from reporting.goals.periods import goal_period_bounds
from reporting.goals.services import goal_create
from reporting.kpis.engine import kpi_value
from reporting.kpis.selectors import kpi_get
from reporting.models import Goal, GoalPeriod, KpiAggregation

# (KPI key, period kind, target as a multiple of the reference: the previous period, or for a
# stock the level so far)
DEMO_GOALS = (
    ("impressions", GoalPeriod.MONTH, 1.10),
    ("followers", GoalPeriod.QUARTER, 1.06),
    ("engagement_rate_reach", GoalPeriod.QUARTER, 0.98),
)


@receiver(demo_workspace_seeded)
def demo_goals_and_alerts_seed(
    sender: type[Workspace], *, workspace: Workspace, end: dt.date, **kwargs: Any
) -> None:
    today = end + dt.timedelta(days=1)
    for key, kind, uplift in DEMO_GOALS:
        kpi = kpi_get(workspace=workspace, key=key)
        start, last = goal_period_bounds(kind, today)
        if Goal.objects.filter(workspace=workspace, kpi=kpi, start=start, end=last).exists():
            continue
        if kpi.aggregation == KpiAggregation.LAST:
            # A stock: aim above today's level, since last period's end is already behind it.
            reference = kpi_value(workspace=workspace, kpi=kpi, start=start, end=end)
        else:
            previous_end = start - dt.timedelta(days=1)
            previous_start, _ = goal_period_bounds(kind, previous_end)
            reference = kpi_value(
                workspace=workspace, kpi=kpi, start=previous_start, end=previous_end
            )
        if reference.value is None:
            continue
        target = reference.value * uplift
        goal_create(
            workspace=workspace,
            kpi=kpi,
            name=f"{kpi.name_en} ({start:%B %Y})" if kind == GoalPeriod.MONTH else kpi.name_en,
            period_kind=kind,
            start=start,
            end=last,
            target=round(target, 4) if kpi.unit == "percent" else round(target),
        )
    AlertRule.objects.get_or_create(
        workspace=workspace,
        name="Data stops arriving",
        defaults={"kind": AlertKind.DATA_STOPPED, "stale_days": 3},
    )
    AlertRule.objects.get_or_create(
        workspace=workspace,
        name="Engagement rate (reach) below 5% over 7 days",
        defaults={
            "kind": AlertKind.KPI_THRESHOLD,
            "kpi": kpi_get(workspace=workspace, key="engagement_rate_reach"),
            "comparison": AlertComparison.BELOW,
            "threshold": 0.05,
            "window_days": 7,
        },
    )
