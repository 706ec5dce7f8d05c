"""The overview's panels for a set of filters, computed or read from the cache.

Used by the overview, platform and account pages and by the task that computes them ahead of the
first visit after new data (``dashboards.tasks.panels_warm``).
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from dashboards import charts, panels
from dashboards.cache import panel_cached
from dashboards.scope import DashboardFilters
from reporting.annotations import annotation_list
from reporting.insights.generate import insights_generate
from reporting.insights.types import Insight
from reporting.selectors import account_metric_daily, platform_metric_buckets

TOP_INSIGHTS = 3


def overview_panels(filters: DashboardFilters) -> dict[str, Any]:
    """Every panel of the overview for ``filters``; the template decides what to show."""
    workspace, period = filters.workspace, filters.period
    ids = [account.pk for account in filters.accounts]
    annotations = list(annotation_list(workspace=workspace, start=period.start, end=period.end))
    notes = [(note.day, note.text) for note in annotations]
    cards = panels.kpi_cards(filters)
    daily = account_metric_daily(
        workspace=workspace,
        metrics=["followers"],
        start=period.start,
        end=period.end,
        account_ids=ids,
    )
    buckets = platform_metric_buckets(
        workspace=workspace,
        metric="engagements",
        start=period.start,
        end=period.end,
        grain=period.grain,
        account_ids=ids,
    )
    followers = None
    if not daily.empty:
        followers = charts.figure_json(charts.annotations_add(charts.followers_chart(daily), notes))
    engagements = None
    if not buckets.empty:
        engagements = charts.figure_json(
            charts.annotations_add(charts.platform_bars_chart(buckets, grain=period.grain), notes)
        )
    mix = panels.platform_mix(filters)
    ranked = panels.top_posts(filters)
    return {
        "has_data": any(card.value is not None for card in cards) or followers or engagements,
        "kpis": cards,
        "followers_figure": followers,
        "followers_by_platform": daily["account_id"].nunique() > charts.MAX_ACCOUNT_LINES,
        "engagements_figure": engagements,
        "reach_figure": panels.trend_figure(filters, kpi="reach", notes=notes),
        "engagement_trend_figure": panels.trend_figure(filters, kpi="engagements", notes=notes),
        "mix_rows": mix.to_dict("records"),
        "mix_figure": charts.figure_json(
            charts.platform_share_chart(mix, metric="engagements", label=_("Engagements"))
        )
        if mix["engagements"].notna().any() and len(mix) > 1
        else None,
        "top_posts": ranked[ranked["position"] == "top"].to_dict("records"),
        "bottom_posts": ranked[ranked["position"] == "bottom"].to_dict("records"),
        "annotations": annotations,
        "grain": period.grain.value,
    }


def overview_panels_cached(filters: DashboardFilters) -> dict[str, Any]:
    return panel_cached(filters, "overview", lambda: overview_panels(filters))


def top_insights_cached(filters: DashboardFilters, *, language: str) -> list[Insight]:
    """The strongest findings of the period for the whole workspace."""
    return panel_cached(
        filters,
        "top-insights",
        lambda: insights_generate(
            workspace=filters.workspace,
            start=filters.period.start,
            end=filters.period.end,
            language=language,
        )[:TOP_INSIGHTS],
    )
