"""The grouped KPI aggregation gives exactly what one ``aggregate`` call per group gives."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from reporting.formula import parse
from reporting.kpis.aggregate import aggregate, aggregate_groups
from reporting.models import KpiAggregation


def frame(seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    size = 400
    rows = pd.DataFrame(
        {
            "account_id": rng.integers(1, 6, size),
            "day": pd.to_datetime("2026-01-01") + pd.to_timedelta(rng.integers(0, 60, size), "D"),
            "group": rng.integers(0, 9, size),
            "followers": rng.integers(0, 5000, size).astype("float64"),
            "likes": rng.integers(0, 300, size).astype("float64"),
            "reach": rng.integers(0, 900, size).astype("float64"),
        }
    )
    # Holes, as platforms leave them, and a group with no usable value at all.
    for column in ("followers", "likes", "reach"):
        rows.loc[rng.random(size) < 0.15, column] = np.nan
    rows.loc[rows["group"] == 8, ["likes", "followers"]] = np.nan
    return rows.drop_duplicates(["account_id", "day"]).reset_index(drop=True)


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize(
    ("formula", "aggregation"),
    [
        ("likes", KpiAggregation.SUM),
        ("followers", KpiAggregation.LAST),
        ("likes / reach", KpiAggregation.RATIO_OF_SUMS),
        ("likes / followers", KpiAggregation.RATIO_OF_SUMS),
        ("likes / reach", KpiAggregation.MEAN_OF_POST_RATIOS),
    ],
)
def test_grouped_equals_one_call_per_group(
    seed: int, formula: str, aggregation: KpiAggregation
) -> None:
    rows = frame(seed)
    parsed = parse(formula)
    expected = {
        group: aggregate(part, formula=parsed, aggregation=aggregation)
        for group, part in rows.groupby("group")
    }
    found = aggregate_groups(rows, by="group", formula=parsed, aggregation=aggregation)
    assert set(found) == set(expected)
    for group, result in expected.items():
        got = found[group]
        assert (got.sample_size, got.accounts) == (result.sample_size, result.accounts), group
        if result.value is None:
            assert got.value is None, group
        else:
            assert got.value == pytest.approx(result.value), group


def test_no_rows_no_groups() -> None:
    empty = frame(1).iloc[0:0]
    assert (
        aggregate_groups(empty, by="group", formula=parse("likes"), aggregation=KpiAggregation.SUM)
        == {}
    )
