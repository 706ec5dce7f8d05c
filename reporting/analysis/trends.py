"""Is it going up, and is today unusual? Trend tests and anomalies against a seasonal baseline."""

from __future__ import annotations

import datetime as dt
import warnings
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import pandas as pd

from connectors.metrics import METRICS
from connectors.models import SocialAccount, Workspace
from reporting.analysis.facts import account_daily, workspace_daily_totals
from reporting.analysis.stats import ALPHA, mann_kendall, ols_slope
from reporting.kpis.engine import kpi_breakdown

ANOMALY_COLUMNS = [
    "day",
    "account_id",
    "account",
    "platform",
    "value",
    "expected",
    "low",
    "high",
    "kind",
    "score",
]
BASELINE_WEEKS = 8
# How far from the baseline a day must be, in robust standard deviations (MAD x 1.4826).
# 3.5 rather than 3: five accounts over a year are ~1,800 account-days, and at 3 ordinary
# noise alone would raise a few "anomalies" a year.
THRESHOLD = 3.5
# The band never gets narrower than this share of the expected value, so a very regular
# series does not flag a 3% wobble.
MIN_RELATIVE_SCALE = 0.1


class AnomalyKind(StrEnum):
    SPIKE = "spike"
    DROP = "drop"
    OUTAGE = "outage"  # zero or no row where the platform normally reports plenty


@dataclass(frozen=True)
class TrendResult:
    """A trend over the period's daily series.

    ``slope_per_day`` is the least-squares slope (units of the series per day) and
    ``change_pct`` the fitted line's change from the first to the last day, in %;
    ``p_value`` comes from the Mann-Kendall test (robust to skew and to outliers), and
    ``significant`` is p < 0.05 with at least 14 days.
    """

    key: str
    start: dt.date
    end: dt.date
    n: int  # days with a value
    slope_per_day: float
    first_fitted: float
    last_fitted: float
    change_pct: float
    p_value: float
    test: str
    significant: bool


def _series(
    workspace: Workspace,
    kpi_or_metric: str,
    start: dt.date,
    end: dt.date,
    account: SocialAccount | None,
) -> pd.Series:
    accounts = None if account is None else [account]
    if kpi_or_metric in METRICS:
        daily = workspace_daily_totals(
            workspace=workspace, metric=kpi_or_metric, start=start, end=end, accounts=accounts
        )
        values = daily.set_index("day")["value"]
    else:
        daily = kpi_breakdown(
            workspace=workspace,
            kpi=kpi_or_metric,
            start=start,
            end=end,
            by="day",
            accounts=accounts,
        )
        values = daily.set_index("period_start")["value"]
    days = pd.date_range(start, end, freq="D")
    return values.reindex(days).astype("float64")


def trend_test(
    *,
    workspace: Workspace,
    kpi_or_metric: str,
    start: dt.date,
    end: dt.date,
    account: SocialAccount | None = None,
) -> TrendResult:
    """Whether a metric (summed over the accounts per day) or a KPI (computed per day)
    trends up or down over the period. Days without a value are skipped, never read as 0."""
    series = _series(workspace, kpi_or_metric, start, end, account)
    x = np.arange(len(series), dtype="float64")
    y = series.to_numpy(dtype="float64")
    slope, intercept = ols_slope(x, y)
    first = intercept if not np.isnan(intercept) else float("nan")
    last = intercept + slope * (len(series) - 1) if not np.isnan(slope) else float("nan")
    change = (last - first) / abs(first) * 100.0 if first else float("nan")
    test = mann_kendall(y)
    n = int((~np.isnan(y)).sum())
    return TrendResult(
        key=kpi_or_metric,
        start=start,
        end=end,
        n=n,
        slope_per_day=slope,
        first_fitted=float(first),
        last_fitted=float(last),
        change_pct=float(change),
        p_value=test.p_value,
        test=test.test,
        significant=bool(n >= 14 and test.p_value < ALPHA),
    )


def _account_anomalies(days: pd.DatetimeIndex, values: pd.Series, start: dt.date) -> pd.DataFrame:
    series = values.reindex(days)
    # Same weekday over the trailing weeks: a baseline that already knows weekends differ.
    history = np.column_stack(
        [series.shift(7 * k).to_numpy(dtype="float64") for k in range(1, BASELINE_WEEKS + 1)]
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN rows: no baseline yet
        expected = np.nanmedian(history, axis=1)
        spread = 1.4826 * np.nanmedian(np.abs(history - expected[:, None]), axis=1)
    reported = (~np.isnan(history)).sum(axis=1)
    scale = np.maximum(spread, MIN_RELATIVE_SCALE * np.abs(expected))
    scale = np.where(scale > 0, scale, 1.0)
    value = series.to_numpy(dtype="float64")
    low = expected - THRESHOLD * scale
    high = expected + THRESHOLD * scale
    usable = reported >= 3
    never_zero = ~(history == 0).any(axis=1)
    # An outage: no row where the platform reported on at least half of the same weekdays
    # before, or a zero where it never reported zero before.
    missing = np.isnan(value) & (reported >= BASELINE_WEEKS // 2)
    zero = (value == 0) & never_zero
    outage = usable & (expected > 0) & (missing | zero)
    with np.errstate(invalid="ignore"):
        spike = usable & ~np.isnan(value) & (value > high)
        drop = usable & ~np.isnan(value) & ~outage & (value < low)
    kind = np.select([outage, spike, drop], ["outage", "spike", "drop"], default="")
    score = np.abs(np.nan_to_num(value, nan=0.0) - expected) / scale
    frame = pd.DataFrame(
        {
            "day": days,
            "value": value,
            "expected": expected,
            "low": low,
            "high": high,
            "kind": kind,
            "score": score,
        }
    )
    return frame[(frame["kind"] != "") & (frame["day"] >= pd.Timestamp(start))]


def anomalies_detect(
    *,
    workspace: Workspace,
    metric: str,
    start: dt.date,
    end: dt.date,
    account: SocialAccount | None = None,
) -> pd.DataFrame:
    """Days of the period where an account's metric left its seasonal baseline.

    The baseline of a day is the median of the same weekday over the eight weeks before it,
    and its band the median ± 3.5 robust standard deviations (MAD x 1.4826, at least 10% of
    the median). Each account is checked on its own (all of the workspace's when ``account``
    is None): an outage is a platform's, and summing accounts would hide it.

    Columns:
        day (datetime64), account_id (int64), account, platform (str),
        value (float64: NaN when the platform sent nothing that day),
        expected, low, high (float64): the baseline and its band,
        kind (str): "spike", "drop" or "outage" (zero or no row where the platform normally
            reports plenty),
        score (float64): distance from the baseline in robust standard deviations.

    Only anomalous days; sorted by day, account_id. Days need three weeks of history
    before being judged.
    """
    since = start - dt.timedelta(days=7 * BASELINE_WEEKS)
    accounts = None if account is None else [account]
    daily = account_daily(
        workspace=workspace, metric=metric, start=since, end=end, accounts=accounts
    )
    days = pd.date_range(since, end, freq="D")
    parts = []
    for (account_id, name, platform), rows in daily.groupby(
        ["account_id", "account", "platform"], sort=True
    ):
        found = _account_anomalies(days, rows.set_index("day")["value"], start)
        parts.append(
            found.assign(account_id=int(str(account_id)), account=str(name), platform=str(platform))
        )
    if not parts:
        return pd.DataFrame(columns=ANOMALY_COLUMNS)
    result = pd.concat(parts, ignore_index=True).reindex(columns=ANOMALY_COLUMNS)
    result = result.astype({"account_id": "int64", "score": "float64"})
    return result.sort_values(["day", "account_id"], ignore_index=True)
