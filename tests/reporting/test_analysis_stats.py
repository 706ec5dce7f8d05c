from __future__ import annotations

import math

import numpy as np
import pytest

from reporting.analysis.stats import (
    _ranks,
    mann_kendall,
    mann_whitney,
    median_ci,
    median_ci_ranks,
    welch_t,
)


def test_mann_whitney_separates_shifted_samples_and_not_equal_ones() -> None:
    rng = np.random.default_rng(1)
    low, high = rng.normal(100, 10, 20), rng.normal(300, 30, 20)
    assert mann_whitney(high, low).p_value < 0.001
    assert mann_whitney(low, low.copy()).p_value > 0.9


def test_mann_whitney_matches_known_value() -> None:
    # As scipy.stats.mannwhitneyu(a, b, method="asymptotic"): U = 1, z = 2.64, p = 0.00824.
    a = [1.1, 2.3, 3.8, 4.2, 5.0, 6.1]
    b = [5.5, 6.7, 7.2, 8.9, 9.4, 10.1]
    assert mann_whitney(a, b).p_value == pytest.approx(0.00824, abs=0.0002)


def test_ties_share_their_mean_rank() -> None:
    ranks = _ranks(np.array([10.0, 20.0, 10.0, 30.0, 20.0, 20.0]))
    assert ranks.tolist() == [1.5, 4.0, 1.5, 6.0, 4.0, 4.0]


def test_welch_t_detects_difference() -> None:
    assert welch_t([1, 2, 3, 4, 5] * 4, [11, 12, 13, 14, 15] * 4).p_value < 0.001


def test_mann_kendall_linear_is_significant_and_noise_is_not() -> None:
    rng = np.random.default_rng(7)
    x = np.arange(60, dtype=float)
    assert mann_kendall(10 + 0.5 * x + rng.normal(0, 2, 60)).p_value < 0.001
    assert mann_kendall(rng.normal(10, 2, 60)).p_value > 0.05


@pytest.mark.parametrize(
    ("n", "ranks"),
    # By hand from Binomial(n, 1/2): for n = 10, P(B <= 1) = 11/1024 <= 2.5% < P(B <= 2) =
    # 56/1024, so rank 2 and rank 9. Below n = 6 even (1, n) covers less than 95%.
    [
        (1, (1, 1)),
        (5, (1, 5)),
        (6, (1, 6)),
        (9, (2, 8)),
        (10, (2, 9)),
        (20, (6, 15)),
        (25, (8, 18)),
        (100, (40, 61)),
    ],
)
def test_median_interval_ranks_match_the_binomial_tables(n: int, ranks: tuple[int, int]) -> None:
    assert median_ci_ranks(n) == ranks


def _binomial_coverage(n: int, low: int) -> float:
    """1 - 2 P(B <= low - 1) for B ~ Binomial(n, 1/2), computed exactly."""
    below = sum(math.comb(n, k) for k in range(low)) / 2**n
    return 1.0 - 2.0 * below


@pytest.mark.parametrize("n", [6, 7, 12, 31, 64, 250, 999])
def test_median_interval_is_the_narrowest_reaching_the_level(n: int) -> None:
    low, high = median_ci_ranks(n)
    assert high == n + 1 - low
    assert _binomial_coverage(n, low) >= 0.95
    assert _binomial_coverage(n, low + 1) < 0.95


def test_median_interval_of_large_samples_is_near_the_normal_ranks() -> None:
    n = 10_000
    low, _high = median_ci_ranks(n)
    assert abs(low - (n / 2 - 1.959964 * math.sqrt(n) / 2)) <= 1.5


def test_median_interval_reads_the_sorted_values_at_those_ranks() -> None:
    values = [float(v) for v in range(20, 0, -1)]  # 20 values, unsorted
    assert median_ci(values) == (6.0, 15.0)
    assert median_ci([*values, float("nan")]) == (6.0, 15.0)
    assert median_ci([3.0]) == (3.0, 3.0)
    assert all(math.isnan(v) for v in median_ci([]))


def test_median_interval_covers_a_skewed_median_at_least_95_percent_of_the_time() -> None:
    # Lognormal(0, 1) has median 1: a skewed shape, like reach.
    rng = np.random.default_rng(3)
    hits = 0
    for _ in range(2000):
        low, high = median_ci(rng.lognormal(0.0, 1.0, 30))
        hits += low <= 1.0 <= high
    assert hits / 2000 >= 0.94
