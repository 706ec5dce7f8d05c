"""The arithmetic of a goal's projection: pure functions over daily values, no database.

Three ways to project a KPI to the end of its period, chosen by how the KPI aggregates:

* ``sum`` KPIs (impressions, engagements…) follow a weekly rhythm, so each remaining day is
  forecast as the mean of the same weekday over the last 8 weeks, scaled by how the last
  14 days compare with that weekday pattern (a quiet weekend is not mistaken for a slump, and a
  recent rise or fall still counts);
* ``last`` KPIs (followers) are stocks: the latest value plus the average daily change of the
  last 28 days (a least-squares slope, so one odd day weighs little);
* ratios: the value so far for the days elapsed and the value of the last 28 days for the days
  remaining, weighted by days.

Missing days stay missing (never zero): they are left out of every mean.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np
import pandas as pd

HISTORY_DAYS = 56  # 8 weeks: each weekday seen 8 times
LEVEL_DAYS = 14  # the "recent level" the weekday pattern is scaled to
TREND_DAYS = 28  # daily change of stocks, recent value of ratios
MIN_HISTORY_DAYS = 14  # fewer days with data: no projection rather than a guess
MIN_TREND_DAYS = 7


class ProjectionMethod(StrEnum):
    WEEKDAY_PATTERN = "weekday_pattern"
    DAILY_CHANGE = "daily_change"
    RECENT_RATIO = "recent_ratio"
    FINAL = "final"  # the period is over: the projection is the final value
    NONE = "none"  # not enough recent data


@dataclass(frozen=True)
class Projection:
    value: float | None
    method: ProjectionMethod
    # The projected KPI on each remaining day, in the chart's terms: the running total for
    # sums, the level for stocks, the blended value for ratios. Indexed by day (Timestamp).
    path: pd.Series = field(default_factory=lambda: pd.Series(dtype="float64"))
    days_used: int = 0  # days with data behind the projection
    scale: float | None = None  # weekday pattern: recent level ÷ pattern
    daily_change: float | None = None  # stocks: change per day
    recent_value: float | None = None  # ratios: the last 28 days' value


def _days(first: dt.date, last: dt.date) -> pd.DatetimeIndex:
    return pd.date_range(first, last, freq="D")


def project_sum(*, actual: float, history: pd.Series, first: dt.date, last: dt.date) -> Projection:
    """``actual`` plus a forecast of each day from ``first`` to ``last`` (inclusive).

    ``history`` holds the daily values of the last ``HISTORY_DAYS`` days (indexed by day, NaN
    or absent when not reported). Each weekday's forecast is the mean of that weekday in
    ``history`` (the mean of all days for a weekday never seen), times ``scale``: the sum of
    the last ``LEVEL_DAYS`` days of history divided by what the weekday means predict for them.
    """
    valid = history.dropna()
    valid.index = pd.DatetimeIndex(valid.index)
    if len(valid) < MIN_HISTORY_DAYS:
        return Projection(value=None, method=ProjectionMethod.NONE, days_used=len(valid))
    by_weekday = valid.groupby(valid.index.day_of_week).mean()
    overall = float(valid.mean())

    def expected(days: pd.DatetimeIndex) -> np.ndarray:
        return np.array([float(by_weekday.get(d, overall)) for d in days.day_of_week])

    level_start = valid.index.max() - pd.Timedelta(days=LEVEL_DAYS - 1)
    recent = valid[valid.index >= level_start]
    predicted = float(expected(pd.DatetimeIndex(recent.index)).sum())
    scale = float(recent.sum()) / predicted if predicted > 0 else 1.0
    days = _days(first, last)
    forecast = expected(days) * scale
    path = pd.Series(actual + np.cumsum(forecast), index=days, dtype="float64")
    return Projection(
        value=actual + float(forecast.sum()),
        method=ProjectionMethod.WEEKDAY_PATTERN,
        path=path,
        days_used=len(valid),
        scale=scale,
    )


def project_last(*, levels: pd.Series, last: dt.date) -> Projection:
    """The latest level in ``levels`` (daily values of the last ``TREND_DAYS`` days) plus the
    least-squares daily change of those days, carried on to ``last``."""
    valid = levels.dropna()
    valid.index = pd.DatetimeIndex(valid.index)
    if len(valid) < MIN_TREND_DAYS:
        return Projection(value=None, method=ProjectionMethod.NONE, days_used=len(valid))
    ordinals = np.array([d.toordinal() for d in valid.index], dtype="float64")
    slope = float(np.polyfit(ordinals, valid.to_numpy(dtype="float64"), 1)[0])
    latest_day = valid.index.max()
    latest = float(valid[latest_day])
    days = _days((latest_day + pd.Timedelta(days=1)).date(), last)
    steps = np.arange(1, len(days) + 1, dtype="float64")
    path = pd.Series(latest + slope * steps, index=days, dtype="float64")
    value = latest + slope * (last - latest_day.date()).days
    return Projection(
        value=value,
        method=ProjectionMethod.DAILY_CHANGE,
        path=path,
        days_used=len(valid),
        daily_change=slope,
    )


def project_ratio(
    *,
    actual: float | None,
    recent: float | None,
    elapsed_days: int,
    first: dt.date,
    last: dt.date,
) -> Projection:
    """The value so far (over ``elapsed_days``) and ``recent`` (the last ``TREND_DAYS`` days)
    for the days from ``first`` to ``last``, weighted by days."""
    if recent is None:
        return Projection(value=None, method=ProjectionMethod.NONE)
    days = _days(first, last)
    if actual is None or elapsed_days == 0:
        value = recent
    else:
        value = (actual * elapsed_days + recent * len(days)) / (elapsed_days + len(days))
    return Projection(
        value=value,
        method=ProjectionMethod.RECENT_RATIO,
        path=pd.Series(value, index=days, dtype="float64"),
        recent_value=recent,
    )


def shortfall(*, value: float, target: float, lower_is_better: bool) -> float:
    """How far ``value`` falls short of ``target`` (≤ 0: the target is met)."""
    return value - target if lower_is_better else target - value
