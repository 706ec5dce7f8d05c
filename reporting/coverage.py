"""Data coverage: which daily account facts exist, and why the others are missing.

A missing fact row means "not available", never zero (``connectors.models.AccountMetric``), so
a reader needs to know why a day is empty. Each account x metric x day is given one state:

- ``present``: a value is stored; ``imported`` when an imported export file covered that day;
- ``not_provided``: the platform does not report that metric for this kind of account;
- ``before_start``: the day is before the account's first data (it was not added yet);
- ``sync_failed``: the latest sync that asked for that day failed;
- ``not_collected``: after the account's latest data, and no sync failed on it: not fetched yet;
- ``gap``: the platform answered for that day but reported nothing (an outage on its side).

``coverage_matrix`` counts in Postgres, one index probe per account x metric, so it stays fast on
hundreds of accounts over years; ``coverage_days`` reads one account's days for its own page.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any, cast

import numpy as np
import pandas as pd
from django.db import connection, models
from django.utils.translation import gettext_lazy as _

from connectors.demo.profiles import PROFILES_BY_EXTERNAL_ID
from connectors.metrics import METRICS
from connectors.models import (
    AccountMetric,
    FileImport,
    ImportStatus,
    SocialAccount,
    SyncRun,
    SyncStatus,
    Workspace,
)
from connectors.registry import CONNECTORS, connector_class
from connectors.views.accounts import Source, account_source

# The sync service derives this one from the posts it stores, for every connector.
DERIVED_METRICS = frozenset({"posts_published"})
_FINISHED = (SyncStatus.SUCCEEDED, SyncStatus.PARTIAL, SyncStatus.FAILED)


class CellState(models.TextChoices):
    PRESENT = "present", _("Value stored")
    IMPORTED = "imported", _("Imported from a file")
    NOT_PROVIDED = "not_provided", _("Not provided by this platform")
    BEFORE_START = "before_start", _("Before the account's first data")
    SYNC_FAILED = "sync_failed", _("Sync failed")
    NOT_COLLECTED = "not_collected", _("Not collected yet")
    GAP = "gap", _("Not reported by the platform")


MISSING_STATES = (
    CellState.BEFORE_START,
    CellState.SYNC_FAILED,
    CellState.NOT_COLLECTED,
    CellState.GAP,
)


def metrics_provided(
    *, account: SocialAccount, workspace: Workspace, observed: Iterable[str] = ()
) -> frozenset[str]:
    """The metrics ``account`` is expected to have every day.

    What its connector declares (``Connector.metrics``, plus the metrics the sync derives), or
    the demo profile's metrics for a demo account; only what was ever stored for an account
    filled by file imports, since a file carries whatever its export had. Anything ever stored
    counts too: a value on screen is never called "not provided".
    """
    source = account_source(account, workspace)
    declared: frozenset[str] = frozenset()
    if source == Source.DEMO:
        declared = PROFILES_BY_EXTERNAL_ID[account.external_id].account_metrics
    elif source == Source.API and account.platform in CONNECTORS:
        declared = connector_class(account.platform).metrics | DERIVED_METRICS
    return frozenset(declared | set(observed)) & frozenset(METRICS)


def _as_date(value: Any) -> dt.date | None:
    # Postgres returns dates; SQLite (the embedded default) returns ISO strings.
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def _metric_counts(
    *, account_ids: Sequence[int], start: dt.date, end: dt.date
) -> dict[int, dict[str, tuple[int, dt.date | None, dt.date | None]]]:
    """Per account and metric: days with a value in ``start``..``end``, first and last day ever.

    One query. Each of the three figures is a correlated subquery on one (account, metric)
    slice of the unique index (account, metric, day): MIN and MAX read one entry, COUNT only
    the period's, so the cost grows with accounts x metrics x period days, never with the years
    stored. Plain SQL that Postgres and SQLite both run: the ORM spent longer building 45
    subqueries than the database spent answering them.
    """
    if not account_ids:
        return {}
    facts = AccountMetric._meta.db_table
    accounts = SocialAccount._meta.db_table
    keys = list(METRICS)
    metrics = " UNION ALL ".join(["SELECT %s AS metric"] * len(keys))
    slice_ = f"FROM {facts} f WHERE f.account_id = a.id AND f.metric = m.metric"
    # Only table names and placeholders are interpolated; every value is a parameter.
    sql = (
        f"SELECT a.id, m.metric, "  # noqa: S608
        f"(SELECT COUNT(*) {slice_} AND f.day >= %s AND f.day <= %s), "
        f"(SELECT MIN(f.day) {slice_}), (SELECT MAX(f.day) {slice_}) "
        f"FROM {accounts} a CROSS JOIN ({metrics}) m "
        f"WHERE a.id IN ({', '.join(['%s'] * len(account_ids))})"
    )
    adapt = connection.ops.adapt_datefield_value
    params = [adapt(start), adapt(end), *keys, *account_ids]
    counts: dict[int, dict[str, tuple[int, dt.date | None, dt.date | None]]] = {
        int(pk): {} for pk in account_ids
    }
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for pk, metric, count, first, last in cursor.fetchall():
            counts[int(pk)][str(metric)] = (int(count or 0), _as_date(first), _as_date(last))
    return counts


MATRIX_COLUMNS = [
    "account_id",
    "metric",
    "provided",
    "days_in_period",
    "days_expected",
    "days_with_value",
    "coverage",
    "first_day",
    "last_day",
    "account_first_day",
    "account_last_day",
]


def coverage_matrix(
    *, workspace: Workspace, start: dt.date, end: dt.date, accounts: Sequence[SocialAccount]
) -> pd.DataFrame:
    """How many days of ``start``..``end`` (inclusive) have a value, per account and metric.

    One row per account of ``accounts`` (all of the workspace's when the caller passes them)
    and per metric of ``connectors.metrics.METRICS``, in that order. Columns:

    - ``account_id`` (int), ``metric`` (str): the key;
    - ``provided`` (bool): see ``metrics_provided``;
    - ``days_in_period`` (int): days from ``start`` to ``end``;
    - ``days_expected`` (int): those days on or after the account's first data (all of them
      for an account with no data yet): days before it existed are not missing;
    - ``days_with_value`` (int): days of the period with a stored value;
    - ``coverage`` (float 0..1, NaN when not provided or nothing is expected):
      ``days_with_value / days_expected``;
    - ``first_day``, ``last_day`` (date or None): the metric's first and last stored day, ever;
    - ``account_first_day``, ``account_last_day`` (date or None): the same over every metric.

    One query, whatever the number of accounts (see ``_metric_counts``).
    """
    by_id = {account.pk: account for account in accounts if account.workspace_id == workspace.pk}
    if not by_id:
        return pd.DataFrame(columns=MATRIX_COLUMNS)
    keys = list(METRICS)
    days_in_period = (end - start).days + 1
    records: list[dict[str, Any]] = []
    counts = _metric_counts(account_ids=list(by_id), start=start, end=end)
    for pk, account in by_id.items():
        per_metric = counts.get(pk, {})
        firsts = [first for _, first, _ in per_metric.values() if first is not None]
        lasts = [last for _, _, last in per_metric.values() if last is not None]
        account_first = min(firsts) if firsts else None
        account_last = max(lasts) if lasts else None
        observed = {key for key, (_, first, _) in per_metric.items() if first is not None}
        provided = metrics_provided(account=account, workspace=workspace, observed=observed)
        expected_from = max(start, account_first) if account_first else start
        days_expected = max(0, (end - expected_from).days + 1)
        for key in keys:
            count, first, last = per_metric.get(key, (0, None, None))
            is_provided = key in provided
            records.append(
                {
                    "account_id": pk,
                    "metric": key,
                    "provided": is_provided,
                    "days_in_period": days_in_period,
                    "days_expected": days_expected,
                    "days_with_value": count,
                    "coverage": count / days_expected
                    if is_provided and days_expected
                    else float("nan"),
                    "first_day": first,
                    "last_day": last,
                    "account_first_day": account_first,
                    "account_last_day": account_last,
                }
            )
    return pd.DataFrame.from_records(records, columns=MATRIX_COLUMNS)


DAYS_COLUMNS = ["day", "metric", "state", "note"]


def _runs_painted(
    *, account: SocialAccount, start: dt.date, days: int
) -> tuple[np.ndarray, list[str]]:
    """Per day of the period, whether the latest finished sync that asked for it failed, and
    that run's error (empty where it did not fail)."""
    end = start + dt.timedelta(days=days - 1)
    failed = np.zeros(days, dtype=bool)
    errors = [""] * days
    runs = (
        SyncRun.objects.filter(
            account=account,
            status__in=_FINISHED,
            window_start__isnull=False,
            window_end__isnull=False,
            window_start__lte=end,
            window_end__gte=start,
        )
        .order_by("queued_at", "pk")
        .values_list("window_start", "window_end", "status", "error")
    )
    # Oldest first: a later run that asked for the same days overrides an earlier one, so a
    # failure healed by the next sync no longer explains anything.
    for first, last, status, error in runs:
        if first is None or last is None:  # excluded by the filter; for the type checker
            continue
        lo = max(0, (first - start).days)
        hi = min(days, (last - start).days + 1)
        is_failure = status == SyncStatus.FAILED
        failed[lo:hi] = is_failure
        message = str(error).strip().splitlines()[0] if is_failure and error else ""
        errors[lo:hi] = [message] * (hi - lo)
    return failed, errors


def _imports_painted(
    *, account: SocialAccount, start: dt.date, days: int, keys: list[str]
) -> tuple[np.ndarray, list[list[str]]]:
    """Per metric and day, whether an imported file covered it, and that file's name."""
    covered = np.zeros((len(keys), days), dtype=bool)
    names = [[""] * days for _ in keys]
    imports = (
        FileImport.objects.filter(account=account, status=ImportStatus.IMPORTED)
        .order_by("imported_at", "pk")
        .values_list("summary", "original_name")
    )
    for summary, name in imports:
        period = (summary or {}).get("period")
        if not period:
            continue
        first, last = (dt.date.fromisoformat(str(value)) for value in period)
        lo, hi = max(0, (first - start).days), min(days, (last - start).days + 1)
        if lo >= hi:
            continue
        wanted = set((summary or {}).get("metrics") or keys)
        for row, key in enumerate(keys):
            if key in wanted:
                covered[row, lo:hi] = True
                names[row][lo:hi] = [str(name)] * (hi - lo)
    return covered, names


def coverage_days(
    *, workspace: Workspace, account: SocialAccount, start: dt.date, end: dt.date
) -> pd.DataFrame:
    """Every day x metric of one account from ``start`` to ``end`` (inclusive) with its state.

    Columns: ``day`` (date), ``metric`` (str, every key of ``METRICS`` in that order),
    ``state`` (a ``CellState`` value, see the module docstring), ``note`` (str: the failed
    sync's error for ``sync_failed``, the file's name for ``imported``, else empty).
    A missing day is classified in this order: not provided, before the first data, sync
    failed, not collected yet, and otherwise a gap the platform left. Five queries.
    """
    if end < start or account.workspace_id != workspace.pk:
        return pd.DataFrame(columns=DAYS_COLUMNS)
    keys = list(METRICS)
    days = (end - start).days + 1
    bounds = _metric_counts(account_ids=[account.pk], start=start, end=end)[account.pk]
    observed = {key for key, (_, first, _) in bounds.items() if first is not None}
    provided = metrics_provided(account=account, workspace=workspace, observed=observed)
    firsts = [first for _, first, _ in bounds.values() if first is not None]
    lasts = [last for _, _, last in bounds.values() if last is not None]
    first_index = (min(firsts) - start).days if firsts else None
    last_index = (max(lasts) - start).days if lasts else None

    present = np.zeros((len(keys), days), dtype=bool)
    row_of = {key: row for row, key in enumerate(keys)}
    stored = AccountMetric.objects.filter(account=account, day__gte=start, day__lte=end)
    for metric, day in stored.values_list("metric", "day"):
        present[row_of[metric], (day - start).days] = True
    failed, errors = _runs_painted(account=account, start=start, days=days)
    imported, files = _imports_painted(account=account, start=start, days=days, keys=keys)

    positions = np.arange(days)
    missing = np.full(days, CellState.GAP.value, dtype=object)
    if last_index is not None:
        missing[positions > last_index] = CellState.NOT_COLLECTED.value
    else:
        missing[:] = CellState.NOT_COLLECTED.value
    missing[failed] = CellState.SYNC_FAILED.value
    if first_index is not None:
        missing[positions < first_index] = CellState.BEFORE_START.value

    states = np.empty((len(keys), days), dtype=object)
    notes = np.full((len(keys), days), "", dtype=object)
    for row, key in enumerate(keys):
        if key not in provided:
            states[row, :] = CellState.NOT_PROVIDED.value
            continue
        states[row, :] = missing
        notes[row, failed & ~present[row]] = np.array(errors, dtype=object)[failed & ~present[row]]
        from_file = present[row] & imported[row]
        states[row, present[row]] = CellState.PRESENT.value
        states[row, from_file] = CellState.IMPORTED.value
        notes[row, from_file] = np.array(files[row], dtype=object)[from_file]
    all_days = [start + dt.timedelta(days=offset) for offset in range(days)]
    return pd.DataFrame(
        {
            "day": np.tile(np.array(all_days, dtype=object), len(keys)),
            "metric": np.repeat(np.array(keys, dtype=object), days),
            "state": states.ravel(),
            "note": notes.ravel(),
        },
        columns=DAYS_COLUMNS,
    )


GAP_COLUMNS = ["state", "start", "end", "days", "metrics", "note"]


def coverage_gaps(*, days: pd.DataFrame) -> pd.DataFrame:
    """The missing stretches of a ``coverage_days`` frame, for explaining them in words.

    One row per run of consecutive days in one missing state (``MISSING_STATES``) shared by the
    same metrics: ``state``, ``start``, ``end`` (dates), ``days`` (int), ``metrics`` (tuple of
    metric keys, in ``METRICS`` order), ``note`` (the first failed sync's error, if any).
    Ordered by ``start``, then state.
    """
    missing = days[days["state"].isin([state.value for state in MISSING_STATES])]
    if missing.empty:
        return pd.DataFrame(columns=GAP_COLUMNS)
    # Consecutive days of one metric in one state form a stretch: a new stretch starts where the
    # day does not follow the previous one, or the state changes.
    frame = missing.sort_values(["metric", "day"], kind="stable").copy()
    ordinal = frame["day"].map(dt.date.toordinal)
    new = (
        (frame["metric"] != frame["metric"].shift())
        | (frame["state"] != frame["state"].shift())
        | (ordinal - ordinal.shift() != 1)
    )
    frame["stretch"] = new.cumsum()
    stretches = frame.groupby("stretch").agg(
        metric=("metric", "first"),
        state=("state", "first"),
        start=("day", "min"),
        end=("day", "max"),
        note=("note", "first"),
    )
    order = {key: position for position, key in enumerate(METRICS)}
    records = []
    for (state, first_day, last_day), group in stretches.groupby(
        ["state", "start", "end"], sort=False
    ):
        first, last = cast(dt.date, first_day), cast(dt.date, last_day)
        metrics = tuple(sorted(group["metric"], key=lambda key: order.get(key, len(order))))
        records.append(
            {
                "state": state,
                "start": first,
                "end": last,
                "days": (last - first).days + 1,
                "metrics": metrics,
                "note": next((str(n) for n in group["note"] if n), ""),
            }
        )
    gaps = pd.DataFrame.from_records(records, columns=GAP_COLUMNS)
    return gaps.sort_values(["start", "state"], kind="stable").reset_index(drop=True)


def coverage_by_metric(*, days: pd.DataFrame) -> pd.DataFrame:
    """Per metric of a ``coverage_days`` frame, how many days are in each state.

    Columns: ``metric``, one int column per ``CellState`` value, ``days_expected`` (the days not
    before the first data) and ``coverage`` (float 0..1: present and imported days over
    ``days_expected``; NaN for a metric not provided or when nothing is expected).
    """
    states = [state.value for state in CellState]
    if days.empty:
        return pd.DataFrame(columns=["metric", *states, "days_expected", "coverage"])
    counts = pd.crosstab(days["metric"], days["state"]).reindex(
        index=list(dict.fromkeys(days["metric"])), columns=states, fill_value=0
    )
    total = counts.sum(axis=1)
    expected = total - counts[CellState.BEFORE_START.value] - counts[CellState.NOT_PROVIDED.value]
    with_value = counts[CellState.PRESENT.value] + counts[CellState.IMPORTED.value]
    coverage = (with_value / expected.where(expected > 0)).where(
        counts[CellState.NOT_PROVIDED.value] == 0
    )
    result = counts.astype("int64")
    result["days_expected"] = expected.where(counts[CellState.NOT_PROVIDED.value] == 0, 0)
    result["coverage"] = coverage.astype("float64")
    return result.rename_axis(index="metric", columns=None).reset_index()
