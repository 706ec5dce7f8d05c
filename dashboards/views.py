from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, cast
from zoneinfo import ZoneInfo

import pandas as pd
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST
from django.views.i18n import set_language

from connectors.access import WorkspaceRequest, workspace_required
from connectors.metrics import metric_get
from connectors.models import LANGUAGE_CHOICES, User
from connectors.permissions import Action
from connectors.selectors import account_list
from dashboards import charts
from dashboards.filters import PRESET_DAYS, RANGE_CHOICES, Period, period_from_query
from reporting.selectors import (
    account_metric_daily,
    account_stock_edges,
    membership_list_with_counts,
    overview_kpis,
    platform_metric_buckets,
    workspace_fact_bounds,
)


@login_required
def home(request: HttpRequest) -> HttpResponse:
    rows = list(membership_list_with_counts(user=cast(User, request.user)))
    if len(rows) == 1:
        return redirect("overview", workspace_slug=rows[0].workspace.slug)
    return render(request, "dashboards/home.html", {"workspace_rows": rows})


@dataclass(frozen=True)
class KpiCard:
    key: str
    label: str
    value: float | None
    reference: float | None
    change: float | None
    change_pct: float | None
    reference_kind: str

    @property
    def trend(self) -> str:
        if self.change is None or self.change == 0:
            return "flat"
        return "up" if self.change > 0 else "down"


def _number(value: Any) -> float | None:
    number = float(value)
    return None if math.isnan(number) else number


def _kpi_cards(kpis: pd.DataFrame) -> list[KpiCard]:
    return [
        KpiCard(
            key=str(row.kpi),
            label=str(metric_get(str(row.kpi)).label),
            value=_number(row.value),
            reference=_number(row.reference),
            change=_number(row.change),
            change_pct=_number(row.change_pct),
            reference_kind=str(row.reference_kind),
        )
        for row in kpis.itertuples(index=False)
    ]


def _range_links(period: Period) -> list[dict[str, Any]]:
    return [
        {"key": key, "label": label, "current": key == period.preset}
        for key, label in RANGE_CHOICES
        if key in PRESET_DAYS or key == "all"
    ]


@workspace_required(Action.VIEW)
def overview(request: WorkspaceRequest) -> HttpResponse:
    workspace = request.membership.workspace
    today = timezone.localdate(timezone=ZoneInfo(workspace.timezone))
    bounds = workspace_fact_bounds(workspace=workspace)
    period, form = period_from_query(
        request.GET, today=today, first_day=bounds[0] if bounds else None
    )
    accounts = list(account_list(workspace=workspace))
    context: dict[str, Any] = {
        "period": period,
        "today": today,
        "previous": period.previous,
        "range_links": _range_links(period),
        "filter_errors": form.error_messages() if request.GET and not form.is_valid() else [],
        "fact_bounds": bounds,
        "accounts": accounts,
        "has_data": False,
    }
    if not accounts:
        return render(request, "dashboards/overview.html", context)

    daily = account_metric_daily(
        workspace=workspace, metrics=["followers"], start=period.start, end=period.end
    )
    buckets = platform_metric_buckets(
        workspace=workspace,
        metric="engagements",
        start=period.start,
        end=period.end,
        grain=period.grain,
    )
    kpis = overview_kpis(workspace=workspace, start=period.start, end=period.end)
    edges = account_stock_edges(
        workspace=workspace, metric="followers", start=period.start, end=period.end
    )
    followers_by_account = {
        int(pk): float(value)
        for pk, value in zip(edges["account_id"], edges["last_value"], strict=True)
    }
    cards = _kpi_cards(kpis)
    context.update(
        {
            "has_data": any(card.value is not None for card in cards)
            or not daily.empty
            or not buckets.empty,
            "kpis": cards,
            "account_rows": [
                {"account": account, "followers": followers_by_account.get(account.pk)}
                for account in accounts
            ],
            "followers_figure": (
                charts.figure_json(charts.followers_chart(daily)) if not daily.empty else None
            ),
            "engagements_figure": (
                charts.figure_json(charts.platform_bars_chart(buckets, grain=period.grain))
                if not buckets.empty
                else None
            ),
            "grain": period.grain.value,
        }
    )
    return render(request, "dashboards/overview.html", context)


def _safe_next(request: HttpRequest) -> str:
    candidate = request.POST.get("next") or request.headers.get("referer") or ""
    if url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return reverse("home")


@require_POST
def language_set(request: HttpRequest) -> HttpResponse:
    """Save the chosen language on the signed-in user; anonymous visitors get a cookie."""
    if not request.user.is_authenticated:
        return set_language(request)
    language = request.POST.get("language", "")
    response = redirect(_safe_next(request))
    if language in dict(LANGUAGE_CHOICES):
        user = request.user
        user.language = language
        user.save(update_fields=["language"])
        # The cookie keeps the choice on the sign-in page after logging out.
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            language,
            max_age=settings.LANGUAGE_COOKIE_AGE,
            path=settings.LANGUAGE_COOKIE_PATH,
            domain=settings.LANGUAGE_COOKIE_DOMAIN,
            secure=settings.LANGUAGE_COOKIE_SECURE,
            httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
            samesite=settings.LANGUAGE_COOKIE_SAMESITE,
        )
    return response
