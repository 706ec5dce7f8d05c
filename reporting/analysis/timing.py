"""When to post, and the weekly and yearly rhythm of an audience."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

import numpy as np
import pandas as pd
from django.utils.dates import MONTHS, WEEKDAYS
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from connectors.models import SocialAccount, Workspace
from reporting.analysis.facts import post_values, workspace_daily_totals
from reporting.analysis.stats import ALPHA, mann_whitney, median_ci

BEST_TIMES_COLUMNS = [
    "weekday",
    "slot",
    "label",
    "n",
    "median",
    "ci_low",
    "ci_high",
    "lift",
    "p_value",
    "enough_data",
    "significant",
]
WEEKLY_COLUMNS = ["weekday", "label", "n", "mean", "index"]
YEARLY_COLUMNS = ["month", "label", "n", "mean", "index"]


class Slot(StrEnum):
    HOUR = "hour"
    DAYPART = "daypart"


# (first hour, name) in the order of the day; a daypart runs until the next one starts.
DAYPARTS = [
    (0, "night"),
    (5, "morning"),
    (11, "midday"),
    (14, "afternoon"),
    (18, "evening"),
    (22, "night"),
]
DAYPART_LABELS = {
    "morning": gettext_lazy("morning (5:00-11:00)"),
    "midday": gettext_lazy("midday (11:00-14:00)"),
    "afternoon": gettext_lazy("afternoon (14:00-18:00)"),
    "evening": gettext_lazy("evening (18:00-22:00)"),
    "night": gettext_lazy("night (22:00-5:00)"),
}
DAYPART_ORDER = ["morning", "midday", "afternoon", "evening", "night"]


def daypart(hour: int) -> str:
    name = DAYPARTS[0][1]
    for first, part in DAYPARTS:
        if hour >= first:
            name = part
    return name


# The daypart of each hour of the day, so a year of posts maps through a lookup.
_DAYPART_OF_HOUR = {hour: daypart(hour) for hour in range(24)}


def slot_label(weekday: int, slot: int | str) -> str:
    """ "Saturday, evening (18:00-22:00)" or "Saturday, 18:00", in the active language."""
    if isinstance(slot, str):
        return _("%(weekday)s, %(part)s") % {
            "weekday": WEEKDAYS[weekday],
            "part": DAYPART_LABELS[slot],
        }
    return _("%(weekday)s, %(hour)02d:00") % {"weekday": WEEKDAYS[weekday], "hour": slot}


def best_times(
    *,
    workspace: Workspace,
    account: SocialAccount,
    start: dt.date,
    end: dt.date,
    metric: str,
    min_posts: int = 5,
    slot: Slot | str = Slot.HOUR,
    values: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The account's posts of the period grouped by weekday and hour (or daypart) of
    publication, in the workspace's timezone.

    ``values``: the posts' values of ``metric`` in the period as ``post_values`` returns them,
    when the caller has read them already (only the account's rows are used); None reads them.

    Columns:
        weekday (int64, 0 is Monday), slot (object: hour int 0-23, or daypart name),
        label (str: "Saturday, 18:00"), n (int64: posts in the cell),
        median (float64), ci_low/ci_high (float64: 95% distribution-free interval of the
            median, see ``stats.median_ci``),
        lift (float64): median / the median of all the account's posts in the period,
        p_value (float64): Mann-Whitney U of the cell's posts against the account's others,
        enough_data (bool): n >= ``min_posts``; only such cells may be recommended,
        significant (bool): enough_data and p_value < 0.05.

    Only cells with at least one post; sorted by weekday then slot.
    """
    chosen = Slot(slot)
    if values is None:
        frame = post_values(
            workspace=workspace, kpi_or_metric=metric, start=start, end=end, accounts=[account]
        )
    else:
        frame = values[values["account_id"] == account.pk]
    if frame.empty:
        return pd.DataFrame(columns=BEST_TIMES_COLUMNS)
    hours = frame["published"].dt.hour
    frame = frame.assign(
        weekday=frame["published"].dt.day_of_week,
        slot=hours if chosen is Slot.HOUR else hours.map(_DAYPART_OF_HOUR),
    )
    overall = float(frame["value"].median())
    every = frame["value"].to_numpy(dtype="float64")
    records = []
    # Positions rather than sub-frames: a year of posts makes ~35 cells per account, and each
    # cell is tested against all the account's other posts.
    cells: dict[tuple[int, int | str], np.ndarray] = frame.groupby(
        ["weekday", "slot"], sort=False
    ).indices  # type: ignore[assignment]  # keyed by (weekday, slot) tuples: two keys
    for (weekday, raw), rows in cells.items():
        cell: int | str = raw if isinstance(raw, str) else int(str(raw))
        sample = every[rows]
        others = np.delete(every, rows)
        low, high = median_ci(sample)
        median = float(np.median(sample))
        p_value = mann_whitney(sample, others).p_value
        enough = len(sample) >= min_posts
        records.append(
            {
                "weekday": int(str(weekday)),
                "slot": cell,
                "label": slot_label(int(str(weekday)), cell),
                "n": len(sample),
                "median": median,
                "ci_low": low,
                "ci_high": high,
                "lift": median / overall if overall else float("nan"),
                "p_value": p_value,
                "enough_data": enough,
                "significant": bool(enough and p_value < ALPHA),
            }
        )
    result = pd.DataFrame.from_records(records, columns=BEST_TIMES_COLUMNS)
    order = result["slot"].map(lambda s: DAYPART_ORDER.index(s) if isinstance(s, str) else int(s))
    result = result.assign(_order=order).sort_values(["weekday", "_order"], ignore_index=True)
    return result.drop(columns="_order").astype({"weekday": "int64", "n": "int64"})


def _daily(
    workspace: Workspace,
    metric: str,
    start: dt.date,
    end: dt.date,
    account: SocialAccount | None,
) -> pd.DataFrame:
    return workspace_daily_totals(
        workspace=workspace,
        metric=metric,
        start=start,
        end=end,
        accounts=None if account is None else [account],
    )


def seasonality_weekly(
    *,
    workspace: Workspace,
    metric: str,
    start: dt.date,
    end: dt.date,
    account: SocialAccount | None = None,
) -> pd.DataFrame:
    """The metric's weekly rhythm: each weekday's mean daily value against the mean of all
    days (summed over the accounts, or one account's).

    Columns: weekday (int64, 0 is Monday), label (str), n (int64: days behind the mean),
    mean (float64), index (float64: mean / the mean of the seven weekday means; 1.1 is 10%
    above a typical day). Seven rows; a weekday without data has n 0 and NaN.
    """
    daily = _daily(workspace, metric, start, end, account)
    grouped = daily.groupby(daily["day"].dt.day_of_week)["value"].agg(["size", "mean"])
    grouped = grouped.reindex(range(7))
    base = float(grouped["mean"].mean()) if grouped["mean"].notna().any() else float("nan")
    return pd.DataFrame(
        {
            "weekday": np.arange(7, dtype="int64"),
            "label": [str(WEEKDAYS[i]) for i in range(7)],
            "n": grouped["size"].fillna(0).astype("int64").to_numpy(),
            "mean": grouped["mean"].astype("float64").to_numpy(),
            "index": (grouped["mean"] / base).astype("float64").to_numpy(),
        },
        columns=WEEKLY_COLUMNS,
    )


def seasonality_yearly(
    *,
    workspace: Workspace,
    metric: str,
    start: dt.date,
    end: dt.date,
    account: SocialAccount | None = None,
) -> pd.DataFrame:
    """The metric's yearly rhythm: each month's mean daily value against the mean of the
    months that have data (several years of one month are pooled).

    Columns: month (int64, 1-12), label (str), n (int64: days), mean (float64),
    index (float64). Twelve rows; months without data have n 0 and NaN.
    """
    daily = _daily(workspace, metric, start, end, account)
    grouped = daily.groupby(daily["day"].dt.month)["value"].agg(["size", "mean"])
    grouped = grouped.reindex(range(1, 13))
    base = float(grouped["mean"].mean()) if grouped["mean"].notna().any() else float("nan")
    return pd.DataFrame(
        {
            "month": np.arange(1, 13, dtype="int64"),
            "label": [str(MONTHS[i]) for i in range(1, 13)],
            "n": grouped["size"].fillna(0).astype("int64").to_numpy(),
            "mean": grouped["mean"].astype("float64").to_numpy(),
            "index": (grouped["mean"] / base).astype("float64").to_numpy(),
        },
        columns=YEARLY_COLUMNS,
    )
