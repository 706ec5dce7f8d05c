"""What each kind of rule watches: the occurrences of its condition that hold right now.

Every function reads only the rule's own workspace. An occurrence's ``start`` is the day the
condition began when the facts say so (the day after an account's last data, an anomaly's
day); when they do not (a KPI over a sliding window, an account's status), it is None and the
evaluation keeps the event that is already open for the same subject.
"""

from __future__ import annotations

import datetime as dt
import importlib
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
from django.db.models import Max
from django.utils import timezone

from connectors.models import AccountMetric, AccountStatus, Platform, SocialAccount
from reporting.alert_models import AlertComparison, AlertKind, AlertRule
from reporting.kpis.engine import kpi_value

# Anomaly rows of these kinds are worth an alert; "normal" rows are the baseline.
ANOMALY_KINDS_SKIPPED = frozenset({"normal", "none", ""})


@dataclass(frozen=True)
class Occurrence:
    subject: str
    start: dt.date | None
    facts: dict[str, Any] = field(default_factory=dict)


def _optional(modules: tuple[str, ...], name: str) -> Callable[..., Any] | None:
    # Goals and anomaly detection are built by other parts of Rapport; a kind that needs one
    # is offered only once it exists (in the package or the module that defines it).
    for module in modules:
        try:
            found: Callable[..., Any] | None = getattr(importlib.import_module(module), name, None)
        except ImportError:
            continue
        if found is not None:
            return found
    return None


def goal_progress_function() -> Callable[..., Any] | None:
    return _optional(("reporting.goals", "reporting.goals.selectors"), "goal_list_progress")


def anomaly_function() -> Callable[..., Any] | None:
    return _optional(("reporting.analysis", "reporting.analysis.trends"), "anomalies_detect")


def alert_kinds_available() -> list[AlertKind]:
    """The kinds this installation can evaluate, in the order the UI offers them."""
    kinds = [AlertKind.KPI_THRESHOLD]
    if goal_progress_function() is not None:
        kinds.append(AlertKind.GOAL_OFF_TRACK)
    if anomaly_function() is not None:
        kinds.append(AlertKind.ANOMALY)
    kinds += [AlertKind.DATA_STOPPED, AlertKind.NEEDS_REAUTH]
    return kinds


def workspace_today(rule: AlertRule) -> dt.date:
    return timezone.localdate(timezone=ZoneInfo(rule.workspace.timezone))


def _accounts(rule: AlertRule) -> list[SocialAccount]:
    accounts = SocialAccount.objects.filter(workspace_id=rule.workspace_id)
    if rule.account_id is not None:
        accounts = accounts.filter(pk=rule.account_id)
    return list(accounts.order_by("pk"))


def _account_facts(account: SocialAccount) -> dict[str, Any]:
    return {
        "account_id": account.pk,
        "account": account.display_name,
        "platform": account.get_platform_display(),
    }


def kpi_threshold(rule: AlertRule, *, today: dt.date) -> list[Occurrence]:
    """The KPI over the last ``window_days`` complete days, compared with the threshold."""
    if rule.kpi is None or rule.threshold is None:
        return []
    end = today - dt.timedelta(days=1)
    start = end - dt.timedelta(days=max(rule.window_days, 1) - 1)
    account = rule.account if rule.account_id is not None else None
    result = kpi_value(
        workspace=rule.workspace,
        kpi=rule.kpi,
        start=start,
        end=end,
        accounts=[account] if account is not None else None,
    )
    # No value (no facts in the window) is not a breach: "data stops arriving" says that.
    if result.value is None or math.isnan(result.value):
        return []
    above = rule.comparison == AlertComparison.ABOVE
    if (result.value > rule.threshold) if above else (result.value < rule.threshold):
        subject = f"kpi:{rule.kpi_id}:" + (f"account:{account.pk}" if account else "workspace")
        facts: dict[str, Any] = {
            "kpi_key": rule.kpi.key,
            "kpi_name_en": rule.kpi.name_en,
            "kpi_name_fr": rule.kpi.name_fr,
            "unit": result.unit,
            "value": result.value,
            "threshold": rule.threshold,
            "comparison": rule.comparison,
            "start": start.isoformat(),
            "end": end.isoformat(),
            "sample_size": result.sample_size,
            "sample_unit": result.sample_unit,
        }
        if account is not None:
            facts |= _account_facts(account)
        return [Occurrence(subject=subject, start=None, facts=facts)]
    return []


def data_stopped(rule: AlertRule, *, today: dt.date) -> list[Occurrence]:
    """Accounts whose latest daily row is ``stale_days`` or more days old.

    An account with no row at all is left out: it is new, or fed by files, and there is no
    "since" to report. Paused accounts are left out too: an admin stopped them on purpose.
    """
    accounts = [a for a in _accounts(rule) if a.status != AccountStatus.PAUSED]
    latest = dict(
        AccountMetric.objects.filter(account__in=accounts)
        .values("account_id")
        .annotate(last_day=Max("day"))
        .values_list("account_id", "last_day")
    )
    occurrences = []
    for account in accounts:
        last_day = latest.get(account.pk)
        if last_day is None:
            continue
        # Yesterday is the latest complete day, so data up to it is fresh.
        days_missing = (today - dt.timedelta(days=1) - last_day).days
        if days_missing < max(rule.stale_days, 1):
            continue
        cursor = getattr(account, "sync_cursor", None)
        facts = _account_facts(account) | {
            "last_day": last_day.isoformat(),
            "days_missing": days_missing,
            "last_synced_at": account.last_synced_at.isoformat()
            if account.last_synced_at
            else None,
            "last_error": cursor.last_error if cursor is not None else "",
        }
        occurrences.append(
            Occurrence(
                subject=f"account:{account.pk}:data",
                start=last_day + dt.timedelta(days=1),
                facts=facts,
            )
        )
    return occurrences


def needs_reauth(rule: AlertRule, *, today: dt.date) -> list[Occurrence]:
    return [
        Occurrence(
            subject=f"account:{account.pk}:reauth", start=None, facts=_account_facts(account)
        )
        for account in _accounts(rule)
        if account.status == AccountStatus.NEEDS_REAUTH
    ]


def goal_off_track(rule: AlertRule, *, today: dt.date) -> list[Occurrence]:
    progress = goal_progress_function()
    if progress is None:
        return []
    occurrences = []
    for item in progress(workspace=rule.workspace, today=today):
        status = str(getattr(item, "status", ""))
        if status != "off_track":
            continue
        goal = item.goal
        # Goals are read within the rule's workspace; the check keeps it so if that changes.
        if goal.workspace_id != rule.workspace_id:
            continue
        occurrences.append(
            Occurrence(
                subject=f"goal:{goal.pk}:{status}",
                start=None,
                facts={
                    "goal_id": goal.pk,
                    "goal": str(goal),
                    "status": status,
                    "actual": _float(getattr(item, "actual", None)),
                    "target": _float(getattr(item, "target", None)),
                    "unit": str(getattr(item, "unit", "count")),
                    "end": goal.end.isoformat(),
                },
            )
        )
    return occurrences


def anomaly(rule: AlertRule, *, today: dt.date) -> list[Occurrence]:
    """Unusual days of the metric among the last ``window_days`` complete days."""
    detect = anomaly_function()
    if detect is None or not rule.metric:
        return []
    end = today - dt.timedelta(days=1)
    start = end - dt.timedelta(days=max(rule.window_days, 1) - 1)
    account = rule.account if rule.account_id is not None else None
    frame = detect(
        workspace=rule.workspace, metric=rule.metric, start=start, end=end, account=account
    )
    occurrences = []
    for row in frame.itertuples(index=False):
        kind = str(row.kind or "")
        if kind in ANOMALY_KINDS_SKIPPED:
            continue
        day = pd.Timestamp(row.day).date()
        facts: dict[str, Any] = {
            "metric": rule.metric,
            "day": day.isoformat(),
            "kind": kind,
            "value": _float(row.value),
            "expected": _float(row.expected),
            "low": _float(row.low),
            "high": _float(row.high),
            # Anomalies are found per account: an outage is one platform's.
            "account_id": int(row.account_id),
            "account": str(row.account),
            "platform": _platform_label(str(row.platform)),
        }
        occurrences.append(
            Occurrence(
                subject=f"anomaly:{rule.metric}:account:{int(row.account_id)}:{day}",
                start=day,
                facts=facts,
            )
        )
    return occurrences


def _platform_label(key: str) -> str:
    try:
        return str(Platform(key).label)
    except ValueError:
        return key


def _float(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number


CONDITIONS: dict[str, Callable[..., list[Occurrence]]] = {
    AlertKind.KPI_THRESHOLD: kpi_threshold,
    AlertKind.DATA_STOPPED: data_stopped,
    AlertKind.NEEDS_REAUTH: needs_reauth,
    AlertKind.GOAL_OFF_TRACK: goal_off_track,
    AlertKind.ANOMALY: anomaly,
}


def alert_rule_occurrences(*, rule: AlertRule, today: dt.date) -> list[Occurrence]:
    """The occurrences of ``rule``'s condition that hold on ``today`` (the workspace's date)."""
    return CONDITIONS[rule.kind](rule, today=today)
