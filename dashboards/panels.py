"""The overview's panels for a set of global filters: KPI cards, time charts, platform mix and
top posts, each with what the reader needs to check it ("how computed").

Built once here and used by the workspace overview and by the account and platform pages, so
one number reads the same everywhere. Selectors compute; this module only picks, compares and
hands figures to ``dashboards.charts``.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from django.utils.translation import gettext as _

from connectors.metrics import METRICS, metric_get
from connectors.models import PostFormat, SocialAccount
from connectors.registry import connector_class
from dashboards import charts
from dashboards.scope import DashboardFilters
from reporting.analysis.posts import posts_ranked
from reporting.goals.selectors import GoalProgress, goal_list, goal_progress
from reporting.kpis.display import kpi_value_display
from reporting.kpis.engine import KpiResult, kpi_breakdown, kpi_value, kpi_value_with_breakdown
from reporting.kpis.selectors import kpi_get
from reporting.models import KpiAggregation, KpiDirection
from reporting.selectors import metric_totals

HEADLINE_KPIS = (
    "followers",
    "impressions",
    "reach",
    "engagements",
    "engagement_rate_reach",
    "posts_published",
)


@dataclass(frozen=True)
class Explain:
    """What a number is made of, shown in its "How is this computed?" popover."""

    formula: str
    aggregation: str
    accounts: tuple[str, ...]
    left_out: tuple[tuple[str, str], ...]  # (account, reason)
    last_sync: dt.datetime | None
    comparison: tuple[dt.date, dt.date] | None
    sample: str


@dataclass(frozen=True)
class KpiCard:
    key: str
    label: str
    unit: str
    value: float | None
    reference: float | None
    direction: str
    explain: Explain
    sparkline: dict[str, Any] | None = None
    goals: tuple[GoalProgress, ...] = field(default=())

    @property
    def display(self) -> str:
        return kpi_value_display(self.value, self.unit)

    @property
    def reference_display(self) -> str:
        return kpi_value_display(self.reference, self.unit)

    @property
    def change_pct(self) -> float | None:
        if self.value is None or self.reference is None or self.reference == 0:
            return None
        return (self.value - self.reference) / abs(self.reference) * 100

    @property
    def trend(self) -> str:
        change = self.change_pct
        if change is None or abs(change) < 0.05:
            return "flat"
        return "up" if change > 0 else "down"

    @property
    def tone(self) -> str:
        """good, bad or neutral: the change read with the KPI's direction."""
        if self.trend == "flat":
            return "neutral"
        lower = self.direction == KpiDirection.LOWER_IS_BETTER
        better = self.trend == ("down" if lower else "up")
        return "good" if better else "bad"


def _value(result: KpiResult) -> float | None:
    if result.value is None or math.isnan(result.value):
        return None
    return float(result.value)


def _sample_words(result: KpiResult) -> str:
    if result.sample_unit == "posts":
        return _("%(n)s posts") % {"n": result.sample_size}
    if result.sample_unit == "accounts":
        return _("%(n)s accounts") % {"n": result.sample_size}
    return _("%(n)s account-days") % {"n": result.sample_size}


def _explain(result: KpiResult, filters: DashboardFilters) -> Explain:
    by_id = {account.pk: account for account in filters.accounts}
    synced: list[dt.datetime] = [
        stamp
        for ref in result.accounts
        if ref.id in by_id and (stamp := by_id[ref.id].last_synced_at) is not None
    ]
    comparison = filters.comparison
    return Explain(
        formula=result.formula,
        aggregation=str(KpiAggregation(result.aggregation).label)
        if result.aggregation in KpiAggregation.values
        else result.aggregation,
        accounts=tuple(ref.label for ref in result.accounts),
        left_out=tuple((item.account.label, item.reason) for item in result.left_out),
        last_sync=min(synced) if synced else None,
        comparison=(comparison.start, comparison.end) if comparison else None,
        sample=_sample_words(result),
    )


def kpi_cards(filters: DashboardFilters, *, keys: tuple[str, ...] = HEADLINE_KPIS) -> list[KpiCard]:
    """One card per KPI: value, comparison, sparkline by the period's grain, goals on it."""
    workspace, period = filters.workspace, filters.period
    accounts = list(filters.accounts)
    goals_by_kpi: dict[str, list[GoalProgress]] = {}
    # A workspace goal only makes sense against the whole workspace, an account's goal only on
    # that account's page: a part compared with a target for the whole would mislead.
    single = filters.accounts[0].pk if len(filters.accounts) == 1 and filters.is_scoped else None
    shown = not filters.tags and (single is not None or not filters.is_scoped)
    for goal in goal_list(workspace=workspace) if shown else []:
        mine = goal.account_id == single if single else goal.account_id is None
        if mine and goal.start <= period.end and goal.end >= period.start:
            progress = goal_progress(goal=goal, today=filters.today)
            goals_by_kpi.setdefault(goal.kpi.key, []).append(progress)
    cards = []
    for key in keys:
        result, spark = kpi_value_with_breakdown(
            workspace=workspace,
            kpi=key,
            start=period.start,
            end=period.end,
            by=period.grain.value,
            accounts=accounts,
        )
        reference = None
        if filters.comparison:
            before = kpi_value(
                workspace=workspace,
                kpi=key,
                start=filters.comparison.start,
                end=filters.comparison.end,
                accounts=accounts,
            )
            reference = _value(before)
        cards.append(
            KpiCard(
                key=key,
                label=result.name,
                unit=result.unit,
                value=_value(result),
                reference=reference,
                direction=result.direction,
                explain=_explain(result, filters),
                sparkline=charts.figure_json(charts.sparkline_chart(spark, unit=result.unit))
                if spark["value"].notna().sum() > 1
                else None,
                goals=tuple(goals_by_kpi.get(key, ())),
            )
        )
    return cards


def trend_figure(
    filters: DashboardFilters, *, kpi: str, notes: list[tuple[dt.date, str]]
) -> dict[str, Any] | None:
    """A KPI per bucket of the period, with the comparison period's buckets dashed."""
    period = filters.period
    accounts = list(filters.accounts)
    current = kpi_breakdown(
        workspace=filters.workspace,
        kpi=kpi,
        start=period.start,
        end=period.end,
        by=period.grain.value,
        accounts=accounts,
    )
    if current["value"].notna().sum() == 0:
        return None
    before = None
    if filters.comparison:
        before = kpi_breakdown(
            workspace=filters.workspace,
            kpi=kpi,
            start=filters.comparison.start,
            end=filters.comparison.end,
            by=period.grain.value,
            accounts=accounts,
        )
    definition = kpi_get(workspace=filters.workspace, key=kpi)
    figure = charts.kpi_trend_chart(
        current,
        before,
        grain=period.grain,
        name=definition.name,
        unit=definition.current_version.unit if definition.current_version else "count",
    )
    return charts.figure_json(charts.annotations_add(figure, notes))


def platform_mix(filters: DashboardFilters) -> pd.DataFrame:
    """The headline KPIs per platform of the scope.

    Columns: platform (str), label (str), followers, impressions, reach, engagements,
    engagement_rate_reach (float64: NaN when not available), posts_published (float64),
    share (float64: the platform's part of the scope's engagements, 0..1).
    """
    keys = ("followers", "impressions", "reach", "engagements", "engagement_rate_reach")
    period = filters.period
    frames = []
    for key in (*keys, "posts_published"):
        frame = kpi_breakdown(
            workspace=filters.workspace,
            kpi=key,
            start=period.start,
            end=period.end,
            by="platform",
            accounts=list(filters.accounts),
        )
        frames.append(frame.set_index("group")["value"].rename(key))
    mix = pd.concat(frames, axis=1)
    mix.index.name = "platform"
    mix = mix.reset_index()
    mix["label"] = [charts.platform_label(str(p)) for p in mix["platform"]]
    total = mix["engagements"].sum(min_count=1)
    mix["share"] = mix["engagements"] / total if total and not math.isnan(total) else math.nan
    return mix.sort_values("engagements", ascending=False, na_position="last", ignore_index=True)


def top_posts(filters: DashboardFilters, *, top: int = 5, bottom: int = 3) -> pd.DataFrame:
    """The best and worst posts of the period by engagements per 1,000 followers, narrowed to
    the scope's tags: ``reporting.analysis.posts.posts_ranked`` columns, plus format_label and
    platform_label."""
    ranked = posts_ranked(
        workspace=filters.workspace,
        kpi_or_metric="engagements_per_post",
        start=filters.period.start,
        end=filters.period.end,
        top=top,
        bottom=bottom,
        accounts=list(filters.accounts),
        tags=filters.tags or None,
    )
    labels = dict(PostFormat.choices)
    return ranked.assign(
        format_label=[str(labels.get(f, f)) for f in ranked["format"]],
        platform_label=[charts.platform_label(str(p)) for p in ranked["platform"]],
    )


def platform_metrics(
    filters: DashboardFilters, *, accounts: list[SocialAccount]
) -> list[dict[str, Any]]:
    """Every metric the accounts' platforms provide, with the period's value and change.

    Rows: key, label, description, value, reference, change_pct (None when not available).
    """
    provided: set[str] = set()
    for platform in {account.platform for account in accounts}:
        provided |= connector_class(platform).metrics
    keys = [key for key in METRICS if key in provided]
    ids = [account.pk for account in accounts]
    period = filters.period
    now = metric_totals(
        workspace=filters.workspace,
        metrics=keys,
        start=period.start,
        end=period.end,
        account_ids=ids,
    )
    before = None
    if filters.comparison:
        before = metric_totals(
            workspace=filters.workspace,
            metrics=keys,
            start=filters.comparison.start,
            end=filters.comparison.end,
            account_ids=ids,
        )
    rows = []
    for index, key in enumerate(keys):
        value = float(now["value"].iloc[index])
        reference = float(before["value"].iloc[index]) if before is not None else math.nan
        definition = metric_get(key)
        rows.append(
            {
                "key": key,
                "label": str(definition.label),
                "description": str(definition.description),
                "value": None if math.isnan(value) else value,
                "reference": None if math.isnan(reference) else reference,
                "change_pct": (value - reference) / abs(reference) * 100
                if not math.isnan(value) and not math.isnan(reference) and reference
                else None,
            }
        )
    return rows
