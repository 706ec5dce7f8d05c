"""The Data health page: is every account collecting, what is missing, why, and how to fix it.

Every member reads it (``Action.VIEW``); the fix buttons post to the Accounts pages' own actions
(sync now, resume, reconnect, import), shown only to members who may manage accounts.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any, cast

import pandas as pd
from django.conf import settings
from django.db.models import Max, OuterRef, Subquery
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from connectors.access import WorkspaceRequest, workspace_required
from connectors.metrics import METRICS
from connectors.models import (
    AccountMetric,
    AccountStatus,
    FileImport,
    SocialAccount,
    SyncRun,
    SyncStatus,
    Workspace,
)
from connectors.oauth import platform_app
from connectors.permissions import Action
from connectors.scoping import workspace_object_or_404
from connectors.sync.dispatch import sync_interval
from connectors.versioning import cache_key
from connectors.views.accounts import STALE_QUEUED, Source, account_source, run_duration
from dashboards import charts
from dashboards.cache import panel_cached
from dashboards.charts_health import STATE_STYLES, coverage_heatmap
from dashboards.scope import DashboardFilters, filters_from_query
from dashboards.templatetags.rapport import percent
from reporting.coverage import (
    CellState,
    coverage_by_metric,
    coverage_days,
    coverage_gaps,
    coverage_matrix,
)

HISTORY_RUNS = 20
HISTORY_IMPORTS = 10
GAPS_SHOWN = 25
# An account filled by file imports whose latest day is older than this is out of date.
FILE_STALE_DAYS = 7


class Fix:
    """What the reader should do about an account, in the order the checks run."""

    RECONNECT = "reconnect"  # the platform refused the saved authorisation
    RESUME = "resume"  # paused on purpose: nothing is collected until resumed
    RETRY = "retry"  # the last sync failed
    STALE = "stale"  # no successful sync for too long, without a recorded failure
    SYNCING = "syncing"  # a sync is running: wait for it
    FIRST_SYNC = "first_sync"  # connected, never synced yet
    IMPORT = "import"  # a file account without recent data
    WAIT = "wait"  # all fine: the next scheduled sync brings new days
    FILE_OK = "file_ok"  # a file account with recent data
    DEMO = "demo"  # generated data, nothing to do


ATTENTION = frozenset({Fix.RECONNECT, Fix.RETRY, Fix.STALE, Fix.IMPORT})


@dataclass(frozen=True)
class HealthRow:
    """One account's state; the attribute names match ``connectors.views.accounts.AccountRow``
    so the Accounts page's status badge include renders it as is."""

    account: SocialAccount
    source: str
    latest_run: SyncRun | None
    in_progress: bool
    connectable: bool
    problem: str
    fix: str
    next_sync_at: dt.datetime | None
    last_day: dt.date | None
    cells: list[GridCell] = field(default_factory=list)

    @property
    def level(self) -> str:
        if self.fix in ATTENTION:
            return "attention"
        return "paused" if self.fix == Fix.RESUME else "ok"


def _connectable(platform: str) -> bool:
    try:
        return platform_app(platform).configured
    except KeyError:
        return False


def _in_progress(run: SyncRun | None, now: dt.datetime) -> bool:
    if run is None or run.status not in (SyncStatus.QUEUED, SyncStatus.RUNNING):
        return False
    return run.status == SyncStatus.RUNNING or now - run.queued_at < STALE_QUEUED


def _stale_after() -> dt.timedelta:
    # Two missed schedules (and never less than a day) before a quiet account is a problem.
    return max(dt.timedelta(hours=2 * settings.SYNC_EVERY_HOURS), dt.timedelta(hours=24))


def _fix(
    account: SocialAccount, source: str, run: SyncRun | None, *, busy: bool, now: dt.datetime
) -> str:
    if source == Source.DEMO:
        return Fix.DEMO
    if source == Source.FILE:
        return Fix.FILE_OK
    if account.status == AccountStatus.NEEDS_REAUTH:
        return Fix.RECONNECT
    if account.status == AccountStatus.PAUSED:
        return Fix.RESUME
    if busy:
        return Fix.SYNCING
    if account.status == AccountStatus.ERROR or (run and run.status == SyncStatus.FAILED):
        return Fix.RETRY
    if account.last_synced_at is None:
        return Fix.FIRST_SYNC if run is None else Fix.STALE
    return Fix.STALE if now - account.last_synced_at > _stale_after() else Fix.WAIT


def _problem(account: SocialAccount, run: SyncRun | None, fix: str) -> str:
    if fix not in (Fix.RECONNECT, Fix.RETRY):
        return ""
    if run is not None and run.status == SyncStatus.FAILED and run.error:
        return run.error
    cursor = getattr(account, "sync_cursor", None)
    if cursor is not None and cursor.last_error:
        return str(cursor.last_error)
    # A failed sync without a message: the heading ("The last sync failed.") says it all.
    return (
        _("The platform no longer accepts the saved authorisation.") if fix == Fix.RECONNECT else ""
    )


def health_rows(
    *,
    workspace: Workspace,
    accounts: list[SocialAccount],
    last_days: dict[int, dt.date | None],
    today: dt.date,
) -> list[HealthRow]:
    """The state of each of ``accounts`` and what to do about it; two queries."""
    now = timezone.now()
    latest = SyncRun.objects.filter(account=OuterRef("pk")).order_by("-queued_at", "-pk")
    loaded = {
        item.pk: item
        for item in SocialAccount.objects.filter(pk__in=[a.pk for a in accounts])
        .select_related("sync_cursor")
        .annotate(latest_run_id=Subquery(latest.values("pk")[:1]))
    }
    runs = SyncRun.objects.in_bulk([a.latest_run_id for a in loaded.values() if a.latest_run_id])
    rows = []
    for account in accounts:
        item = loaded[account.pk]
        run = runs.get(item.latest_run_id) if item.latest_run_id else None
        source = account_source(item, workspace)
        busy = source == Source.API and _in_progress(run, now)
        fix = _fix(item, source, run, busy=busy, now=now)
        last_day = last_days.get(item.pk)
        if fix == Fix.FILE_OK and (last_day is None or (today - last_day).days > FILE_STALE_DAYS):
            fix = Fix.IMPORT
        cursor = getattr(item, "sync_cursor", None)
        next_sync = None
        if source == Source.API and cursor is not None and cursor.last_attempt_at:
            failures = cursor.consecutive_failures
            next_sync = cursor.last_attempt_at + sync_interval(consecutive_failures=failures)
        rows.append(
            HealthRow(
                account=item,
                source=source,
                latest_run=run,
                in_progress=busy,
                connectable=_connectable(item.platform),
                problem=_problem(item, run, fix),
                fix=fix,
                next_sync_at=next_sync,
                last_day=last_day,
            )
        )
    return rows


def _level(days_with_value: int, days_expected: int, provided: bool) -> str:
    if not provided:
        return "na"
    if not days_expected:
        return "empty"
    if days_with_value >= days_expected:
        return "full"
    if not days_with_value:
        return "none"
    return "high" if days_with_value / days_expected >= 0.9 else "low"


@dataclass(frozen=True)
class GridCell:
    """One account x metric cell of the coverage grid, with its words ready: the grid has a
    hundred rows on a large workspace, too many for a filter call per cell in the template."""

    level: str
    text: str
    title: str


def _grid_cell(
    *, days_with_value: int, days_expected: int, provided: bool, coverage: float
) -> GridCell:
    level = _level(days_with_value, days_expected, provided)
    if level in ("na", "empty"):
        return GridCell(level=level, text="", title="")
    title = ngettext(
        "%(days)s of %(counter)s day with a value",
        "%(days)s of %(counter)s days with a value",
        days_expected,
    ) % {"days": days_with_value, "counter": days_expected}
    return GridCell(level=level, text=percent(_shown(coverage), 0), title=title)


def _shown(coverage: float) -> float | None:
    # Rounded down, so that 99.6% never reads as a complete 100%.
    return None if math.isnan(coverage) else math.floor(coverage * 100) / 100


def _summary(rows: list[HealthRow]) -> dict[str, Any]:
    days = [row.last_day for row in rows if row.last_day]
    return {
        "ok": sum(row.level == "ok" for row in rows),
        "attention": sum(row.level == "attention" for row in rows),
        "paused": sum(row.level == "paused" for row in rows),
        "latest_day": max(days) if days else None,
    }


def _base(request: WorkspaceRequest) -> tuple[Workspace, DashboardFilters, dict[str, Any]]:
    workspace = request.membership.workspace
    filters = filters_from_query(request.GET, workspace=workspace)
    context = {
        "filters": filters,
        "period": filters.period,
        "sync_every_hours": settings.SYNC_EVERY_HOURS,
        "file_stale_days": FILE_STALE_DAYS,
        "now": timezone.now(),
    }
    return workspace, filters, context


def _grid(matrix: pd.DataFrame) -> tuple[list[str], dict[tuple[int, str], GridCell]]:
    """The metrics any account provides, and each account and metric's grid cell."""
    shown = sorted(set(matrix.loc[matrix["provided"].astype(bool), "metric"]))
    metrics = [key for key in METRICS if key in shown]
    wanted = set(metrics)
    cells: dict[tuple[int, str], GridCell] = {}
    for record in cast(list[dict[str, Any]], matrix.to_dict("records")):
        if record["metric"] in wanted:
            cells[(int(record["account_id"]), str(record["metric"]))] = _grid_cell(
                days_with_value=int(record["days_with_value"]),
                days_expected=int(record["days_expected"]),
                provided=bool(record["provided"]),
                coverage=float(record["coverage"]),
            )
    return metrics, cells


@workspace_required(Action.VIEW)
def page(request: WorkspaceRequest) -> HttpResponse:
    workspace, filters, context = _base(request)
    period = filters.period
    accounts = list(filters.accounts)
    # Facts change only through services that bump the workspace's data version: the counts
    # are kept until then. Sync states below are read fresh on every request.
    matrix = panel_cached(
        filters,
        "health:coverage",
        lambda: coverage_matrix(
            workspace=workspace, start=period.start, end=period.end, accounts=accounts
        ),
    )
    last_days = {
        int(pk): (None if last is None or last != last else last)
        for pk, last in zip(matrix["account_id"], matrix["account_last_day"], strict=True)
    }
    rows = health_rows(
        workspace=workspace, accounts=accounts, last_days=last_days, today=filters.today
    )
    metrics, cells = panel_cached(filters, "health:cells", lambda: _grid(matrix))
    for row in rows:
        row.cells.extend(cells[(row.account.pk, key)] for key in metrics)
    context.update(
        {
            "rows": rows,
            "metrics": [(key, METRICS[key].label) for key in metrics],
            "summary": _summary(rows),
            "has_accounts": bool(filters.all_accounts),
            "not_provided_label": CellState.NOT_PROVIDED.label,
            # The grid is 1,800 cells on a large workspace: its HTML is kept as long as the
            # counts behind it (and the accounts' names) are the same.
            "grid_key": cache_key(
                workspace,
                "health:grid",
                filters.params(),
                [(a.pk, a.display_name, a.platform) for a in accounts],
                filters.today.isoformat(),
            ),
        }
    )
    return render(request, "health/page.html", context)


@workspace_required(Action.VIEW)
def account(request: WorkspaceRequest, account_id: int) -> HttpResponse:
    workspace, filters, context = _base(request)
    item = workspace_object_or_404(SocialAccount, pk=account_id, workspace=workspace)
    period = filters.period
    last_day = AccountMetric.objects.filter(account=item).aggregate(last=Max("day"))["last"]
    row = health_rows(
        workspace=workspace, accounts=[item], last_days={item.pk: last_day}, today=filters.today
    )[0]
    run = row.latest_run
    # A failed sync writes no facts, so it does not bump the data version: the latest run is
    # part of the key instead.
    days = panel_cached(
        filters,
        "health:days",
        lambda: coverage_days(
            workspace=workspace, account=item, start=period.start, end=period.end
        ),
        item.pk,
        run.pk if run else None,
        run.status if run else None,
    )
    by_metric = coverage_by_metric(days=days)
    present = days[days["state"].isin([CellState.PRESENT, CellState.IMPORTED])]
    labels = {key: metric.label for key, metric in METRICS.items()}
    gaps = coverage_gaps(days=days)
    provided = by_metric[by_metric[CellState.NOT_PROVIDED.value] == 0]
    figure = coverage_heatmap(days)
    runs = list(item.sync_runs.order_by("-queued_at", "-pk")[:HISTORY_RUNS])
    context.update(
        {
            "account": item,
            "row": row,
            "figure": charts.figure_json(figure) if figure is not None else None,
            "legend": STATE_STYLES,
            "metric_rows": [
                {
                    "label": labels[str(record["metric"])],
                    "coverage": _shown(float(record["coverage"])),
                    **{state.value: int(record[state.value]) for state in CellState},
                }
                for record in provided.to_dict("records")
            ],
            "not_provided": [
                labels[str(key)]
                for key in by_metric.loc[by_metric[CellState.NOT_PROVIDED.value] > 0, "metric"]
            ],
            "gaps": [
                {
                    "state": str(gap["state"]),
                    "label": CellState(gap["state"]).label,
                    "start": gap["start"],
                    "end": gap["end"],
                    "days": int(gap["days"]),
                    "metrics": [labels[key] for key in gap["metrics"]],
                    "every_metric": len(gap["metrics"]) == len(provided),
                    "note": gap["note"],
                }
                # Newest first: the stretch a reader can still do something about.
                for gap in reversed(gaps.to_dict("records")[-GAPS_SHOWN:])
            ],
            "gaps_hidden": max(0, len(gaps) - GAPS_SHOWN),
            "has_values": not present.empty,
            "runs": [(run, run_duration(run)) for run in runs],
            "imports": FileImport.objects.filter(account=item)
            .select_related("uploaded_by", "account")
            .order_by("-created_at")[:HISTORY_IMPORTS],
        }
    )
    return render(request, "health/account.html", context)
