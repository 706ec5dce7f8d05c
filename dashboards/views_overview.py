"""The overview of a workspace, and the same panels for one platform or one account."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import render
from django.utils.translation import gettext as _

from connectors.access import WorkspaceRequest, workspace_required
from connectors.models import Platform, SocialAccount
from connectors.permissions import Action
from dashboards import panels
from dashboards.cache import panel_cached
from dashboards.overview import overview_panels_cached, top_insights_cached
from dashboards.scope import DashboardFilters, filters_from_query
from dashboards.views_insights import active_language, anchor_for


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
        context.update(overview_panels_cached(filters))
    return render(request, "dashboards/overview.html", context)


@workspace_required(Action.VIEW)
def overview(request: WorkspaceRequest) -> HttpResponse:
    workspace = request.membership.workspace
    filters = filters_from_query(request.GET, workspace=workspace)
    extra: dict[str, Any] = {"page": "overview", "insights": []}
    if filters.all_accounts and not filters.is_scoped:
        # Findings are computed on the whole workspace; a scoped overview does not show them
        # rather than show findings about accounts the reader filtered out.
        found = top_insights_cached(filters, language=active_language())
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
