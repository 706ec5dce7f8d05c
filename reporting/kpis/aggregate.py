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
