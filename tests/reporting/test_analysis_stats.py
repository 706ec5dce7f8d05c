from __future__ import annotations

import numpy as np
import pytest

from reporting.analysis.stats import bootstrap_median_ci, mann_kendall, mann_whitney, welch_t


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


def test_welch_t_detects_difference() -> None:
    assert welch_t([1, 2, 3, 4, 5] * 4, [11, 12, 13, 14, 15] * 4).p_value < 0.001


def test_mann_kendall_linear_is_significant_and_noise_is_not() -> None:
    rng = np.random.default_rng(7)
    x = np.arange(60, dtype=float)
    assert mann_kendall(10 + 0.5 * x + rng.normal(0, 2, 60)).p_value < 0.001
    assert mann_kendall(rng.normal(10, 2, 60)).p_value > 0.05


def test_bootstrap_interval_is_reproducible_and_contains_median() -> None:
    values = list(range(1, 41))
    low, high = bootstrap_median_ci(values)
    assert (low, high) == bootstrap_median_ci(values)
    assert low < np.median(values) < high
