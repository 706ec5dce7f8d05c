"""A KPI over time, by day, week or month, against the previous period or the year before."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from enum import StrEnum

import numpy as np
import pandas as pd

from connectors.models import Platform, SocialAccount, Workspace
from reporting.kpis.engine import kpi_breakdown
from reporting.models import KpiDefinition
from reporting.selectors import period_previous

TIMESERIES_COLUMNS = [
    "period_start",
    "period_end",
    "group",
    "label",
    "value",
    "sample_size",
    "compare_start",
    "compare_end",
    "compare_value",
    "compare_sample_size",
    "change",
    "change_pct",
]


class Compare(StrEnum):
    PREVIOUS = "previous"
    YEAR = "year"
    NONE = "none"


def _year_before(day: dt.date) -> dt.date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def compare_period(*, start: dt.date, end: dt.date, compare: Compare) -> tuple[dt.date, dt.date]:
    """The period a series is compared with: the one of equal length just before, or the
    same dates a year earlier."""
    if compare is Compare.YEAR:
        return _year_before(start), _year_before(end)
    return period_previous(start=start, end=end)


def _one_series(
    *,
    workspace: Workspace,
    kpi: KpiDefinition | str,
    start: dt.date,
    end: dt.date,
    grain: str,
    compare: Compare,
    accounts: Sequence[SocialAccount] | None,
    group: object,
    label: str,
) -> pd.DataFrame:
    now = kpi_breakdown(
        workspace=workspace, kpi=kpi, start=start, end=end, by=grain, accounts=accounts
    )
    frame = pd.DataFrame(
        {
            "period_start": now["period_start"],
            "period_end": now["period_end"],
            "group": pd.Series([group] * len(now), dtype=object),
            "label": label if group is not None else now["label"],
            "value": now["value"],
            "sample_size": now["sample_size"],
        }
    )
    nat = pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ns]")
    nan = pd.Series(np.nan, index=frame.index, dtype="float64")
    if compare is Compare.NONE:
        return frame.assign(
            compare_start=nat,
            compare_end=nat,
            compare_value=nan,
            compare_sample_size=pd.Series(0, index=frame.index, dtype="int64"),
        )
    first, last = compare_period(start=start, end=end, compare=compare)
    before = kpi_breakdown(
        workspace=workspace, kpi=kpi, start=first, end=last, by=grain, accounts=accounts
    )
    # Buckets are matched by position: both periods have the same length, so the n-th
    # week of one faces the n-th week of the other (months may differ by a day or two).
    before = before.reindex(range(len(frame)))
    return frame.assign(
        compare_start=before["period_start"].to_numpy(),
        compare_end=before["period_end"].to_numpy(),
        compare_value=before["value"].to_numpy(dtype="float64"),
        compare_sample_size=before["sample_size"].fillna(0).to_numpy(dtype="int64"),
    )


def kpi_timeseries_compare(
    *,
    workspace: Workspace,
    kpi: KpiDefinition | str,
    start: dt.date,
    end: dt.date,
    grain: str = "day",
    by: str | None = None,
    compare: Compare | str = Compare.PREVIOUS,
) -> pd.DataFrame:
    """The KPI per bucket of ``grain`` (day, week: seven-day blocks ending on ``end``, month),
    for the whole workspace or per platform or account (``by``), with the matching bucket
    of the comparison period (``compare``: previous, year or none).

    Built on ``kpi_breakdown``, so every value follows the KPI's own aggregation.

    Columns:
        period_start, period_end (datetime64): the bucket, clipped to the period.
        group (object): None for the workspace, the platform key, or the account id.
        label (str): the bucket's label (workspace) or the group's name.
        value (float64), sample_size (int64): as in ``kpi_breakdown``.
        compare_start, compare_end (datetime64), compare_value (float64),
        compare_sample_size (int64): the facing bucket of the comparison period (NaT/NaN
            with ``compare="none"``).
        change (float64): value - compare_value; change_pct (float64): change /
            |compare_value| x 100, NaN when the comparison is 0 or missing.

    Sorted by group (in the workspace's account order), then period_start.
    """
    chosen = Compare(compare)
    if grain not in ("day", "week", "month"):
        raise ValueError(f"grain must be day, week or month, not {grain!r}")
    accounts = list(SocialAccount.objects.filter(workspace=workspace).order_by("platform", "pk"))
    if by is None:
        series: list[tuple[list[SocialAccount] | None, object, str]] = [(None, None, "")]
    elif by == "platform":
        platforms = sorted({a.platform for a in accounts})
        series = [
            (
                [a for a in accounts if a.platform == p],
                p,
                str(Platform(p).label) if p in Platform.values else p,
            )
            for p in platforms
        ]
    elif by == "account":
        series = [([a], a.pk, str(a)) for a in accounts]
    else:
        raise ValueError(f"by must be None, platform or account, not {by!r}")
    parts = [
        _one_series(
            workspace=workspace,
            kpi=kpi,
            start=start,
            end=end,
            grain=grain,
            compare=chosen,
            accounts=chosen_accounts,
            group=group,
            label=label,
        )
        for chosen_accounts, group, label in series
    ]
    frame = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    frame = frame.reindex(columns=TIMESERIES_COLUMNS)
    frame["change"] = frame["value"] - frame["compare_value"]
    reference = frame["compare_value"].abs()
    frame["change_pct"] = frame["change"] / reference.where(reference != 0) * 100.0
    return frame.astype({"value": "float64", "sample_size": "int64", "compare_value": "float64"})
