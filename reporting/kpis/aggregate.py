"""The four ways a KPI combines the rows of a period (or of one group), in pandas.

Each function takes the usable rows only (every input the formula needs is there) and returns
an ``Aggregate``. Rows are account-day facts for the account-level aggregations and posts
for ``mean_of_post_ratios``; either way they carry an ``account_id`` column.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from connectors.metrics import Aggregation, metric_get
from reporting.formula import Formula
from reporting.models import KpiAggregation


@dataclass(frozen=True)
class Aggregate:
    value: float | None  # None: not available
    sample_size: int  # account-days, accounts or posts, depending on the aggregation
    accounts: int  # accounts that contributed


def _number(value: float) -> float | None:
    return None if math.isnan(value) or math.isinf(value) else float(value)


def _sum(rows: pd.DataFrame, formula: Formula) -> Aggregate:
    """Σ over account-days of the formula on each day; sample: account-days."""
    values = formula.evaluate_frame(rows)
    used = values.notna()
    return Aggregate(
        value=_number(values[used].sum()) if used.any() else None,
        sample_size=int(used.sum()),
        accounts=int(rows.loc[used, "account_id"].nunique()),
    )


def _last(rows: pd.DataFrame, formula: Formula) -> Aggregate:
    """Σ over accounts of the formula on each account's last day with a value; sample: accounts."""
    values = formula.evaluate_frame(rows)
    valued = rows.assign(_value=values).dropna(subset=["_value"]).sort_values("day")
    last = valued.groupby("account_id")["_value"].last()
    return Aggregate(
        value=_number(last.sum()) if len(last) else None,
        sample_size=len(last),
        accounts=len(last),
    )


def period_totals(rows: pd.DataFrame, metrics: tuple[str, ...]) -> dict[str, float]:
    """Each metric over the rows, combined the way the metric says: flows are summed, stocks
    (followers) take each account's last value, added up across accounts. NaN when absent."""
    ordered = rows.sort_values("day")
    totals: dict[str, float] = {}
    for metric in metrics:
        if metric_get(metric).aggregation is Aggregation.LAST:
            per_account = ordered.groupby("account_id")[metric].last()
            totals[metric] = float(per_account.sum(min_count=1))
        else:
            totals[metric] = float(ordered[metric].sum(min_count=1))
    return totals


def _ratio_of_sums(rows: pd.DataFrame, formula: Formula) -> Aggregate:
    """The formula on the period's totals (see ``period_totals``); sample: account-days."""
    if rows.empty:
        return Aggregate(value=None, sample_size=0, accounts=0)
    return Aggregate(
        value=formula.evaluate(period_totals(rows, formula.metrics)),
        sample_size=len(rows),
        accounts=int(rows["account_id"].nunique()),
    )


def _mean_of_post_ratios(rows: pd.DataFrame, formula: Formula) -> Aggregate:
    """The mean over posts of the formula on each post; sample: posts with a value."""
    values = formula.evaluate_frame(rows)
    used = values.notna()
    return Aggregate(
        value=_number(values[used].mean()) if used.any() else None,
        sample_size=int(used.sum()),
        accounts=int(rows.loc[used, "account_id"].nunique()),
    )


AGGREGATORS: dict[KpiAggregation, Callable[[pd.DataFrame, Formula], Aggregate]] = {
    KpiAggregation.SUM: _sum,
    KpiAggregation.LAST: _last,
    KpiAggregation.RATIO_OF_SUMS: _ratio_of_sums,
    KpiAggregation.MEAN_OF_POST_RATIOS: _mean_of_post_ratios,
}

SAMPLE_UNITS: dict[KpiAggregation, str] = {
    KpiAggregation.SUM: "account_days",
    KpiAggregation.LAST: "accounts",
    KpiAggregation.RATIO_OF_SUMS: "account_days",
    KpiAggregation.MEAN_OF_POST_RATIOS: "posts",
}


def aggregate(rows: pd.DataFrame, *, formula: Formula, aggregation: KpiAggregation) -> Aggregate:
    """Combine usable ``rows`` the way ``aggregation`` says."""
    return AGGREGATORS[aggregation](rows, formula)


def aggregate_groups(
    rows: pd.DataFrame, *, by: str, formula: Formula, aggregation: KpiAggregation
) -> dict[object, Aggregate]:
    """``aggregate`` of each group of ``rows`` (by the ``by`` column), computed for all groups
    at once: the same results as one ``aggregate`` call per group, without a Python loop over
    days (a year by day would otherwise take a few hundred pandas calls)."""
    if rows.empty:
        return {}
    if aggregation is KpiAggregation.RATIO_OF_SUMS:
        ordered = rows.sort_values("day")
        groups = ordered.groupby(by, sort=False)
        totals = pd.DataFrame(index=pd.Index(groups.size().index))
        for metric in formula.metrics:
            if metric_get(metric).aggregation is Aggregation.LAST:
                last = ordered.groupby([by, "account_id"], sort=False)[metric].last()
                totals[metric] = last.groupby(level=0, sort=False).sum(min_count=1)
            else:
                totals[metric] = groups[metric].sum(min_count=1)
        values = formula.evaluate_frame(totals)
        sizes = groups.size()
        accounts = groups["account_id"].nunique()
        return {
            group: Aggregate(
                value=_number(values[group]),
                sample_size=int(sizes[group]),
                accounts=int(accounts[group]),
            )
            for group in totals.index
        }
    values = formula.evaluate_frame(rows)
    valued = rows.assign(_value=values)
    if aggregation is KpiAggregation.LAST:
        valued = valued.dropna(subset=["_value"]).sort_values("day")
        last = valued.groupby([by, "account_id"], sort=False)["_value"].last()
        per_group = last.groupby(level=0, sort=False)
        sums, counts = per_group.sum(), per_group.size()
        found = {
            group: Aggregate(
                value=_number(sums[group]),
                sample_size=int(counts[group]),
                accounts=int(counts[group]),
            )
            for group in sums.index
        }
        # Groups whose rows all lack a value still exist, as "not available".
        for group in rows[by].dropna().unique():
            found.setdefault(group, Aggregate(value=None, sample_size=0, accounts=0))
        return found
    used = valued[valued["_value"].notna()]
    grouped = used.groupby(by, sort=False)
    combined = (
        grouped["_value"].mean()
        if aggregation is KpiAggregation.MEAN_OF_POST_RATIOS
        else (grouped["_value"].sum())
    )
    counts = grouped.size()
    accounts = grouped["account_id"].nunique()
    found = {
        group: Aggregate(
            value=_number(combined[group]),
            sample_size=int(counts[group]),
            accounts=int(accounts[group]),
        )
        for group in combined.index
    }
    for group in rows[by].dropna().unique():
        found.setdefault(group, Aggregate(value=None, sample_size=0, accounts=0))
    return found
