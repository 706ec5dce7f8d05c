"""The overview of a workspace, and the same panels for one platform or one account."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import render
from django.utils.translation import gettext as _

from connectors.access import WorkspaceRequest, workspace_required
from connectors.models import Platform, SocialAccount
from connectors.permissions import Action
from dashboards import charts, panels
from dashboards.cache import panel_cached
from dashboards.scope import DashboardFilters, filters_from_query
from dashboards.views_insights import _language, anchor_for
from reporting.annotations import annotation_list
from reporting.insights.generate import insights_generate
from reporting.selectors import account_metric_daily, platform_metric_buckets

TOP_INSIGHTS = 3


def _panels(filters: DashboardFilters) -> dict[str, Any]:
    """Every panel of the overview for ``filters``; the template decides what to show."""
    workspace, period = filters.workspace, filters.period
    ids = [account.pk for account in filters.accounts]
    annotations = list(annotation_list(workspace=workspace, start=period.start, end=period.end))
    notes = panels.annotation_notes(filters, annotations)
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


def _render(
    request: WorkspaceRequest, filters: DashboardFilters, *, extra: dict[str, Any]
) -> HttpResponse:
    context: dict[str, Any] = {
        "filters": filters,
        "accounts": filters.all_accounts,
        "show_compare": True,
        **extra,
    }
    if filters.accounts:
        context.update(panel_cached(filters, "overview", lambda: _panels(filters)))
    return render(request, "dashboards/overview.html", context)


@workspace_required(Action.VIEW)
def overview(request: WorkspaceRequest) -> HttpResponse:
    workspace = request.membership.workspace
    filters = filters_from_query(request.GET, workspace=workspace)
    extra: dict[str, Any] = {"page": "overview", "insights": []}
    if filters.all_accounts and not filters.is_scoped:
        # Findings are computed on the whole workspace; a scoped overview does not show them
        # rather than show findings about accounts the reader filtered out.
        found = panel_cached(
            filters,
            "top-insights",
            lambda: insights_generate(
                workspace=workspace,
                start=filters.period.start,
                end=filters.period.end,
                language=_language(),
            )[:TOP_INSIGHTS],
        )
        extra["insights"] = [
            {"insight": insight, "anchor": anchor_for(insight.key)} for insight in found
        ]
    return _render(request, filters, extra=extra)


def _scoped(request: WorkspaceRequest, **scope: list[str]) -> DashboardFilters:
    query = request.GET.copy()
    for key, values in scope.items():
        query.setlist(key, values)
    return filters_from_query(QueryDict(query.urlencode()), workspace=request.membership.workspace)


@workspace_required(Action.VIEW)
def platform_dashboard(request: WorkspaceRequest, platform: str) -> HttpResponse:
    workspace = request.membership.workspace
    if (
        platform not in Platform.values
        or not SocialAccount.objects.filter(workspace=workspace, platform=platform).exists()
    ):
        raise Http404(_("This workspace has no account on that platform."))
    filters = _scoped(request, platform=[platform], account=[])
    return _render(
        request,
        filters,
        extra={
            "page": "platform",
            "scope_title": str(Platform(platform).label),
            "platform_metrics": panel_cached(
                filters,
                "platform-metrics",
                lambda: panels.platform_metrics(filters, accounts=list(filters.accounts)),
            ),
            "hide_scope": True,
        },
    )


@workspace_required(Action.VIEW)
def account_dashboard(request: WorkspaceRequest, account_id: int) -> HttpResponse:
    workspace = request.membership.workspace
    account = SocialAccount.objects.filter(workspace=workspace, pk=account_id).first()
    if account is None:
        raise Http404(_("No such account in this workspace."))
    filters = _scoped(request, account=[str(account.pk)], platform=[])
    return _render(
        request,
        filters,
        extra={
            "page": "account",
            "scope_account": account,
            "scope_title": account.display_name,
            "platform_metrics": panel_cached(
                filters,
                "platform-metrics",
                lambda: panels.platform_metrics(filters, accounts=[account]),
            ),
            "hide_scope": True,
        },
    )
