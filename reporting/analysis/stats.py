"""The few statistical tests the analysis needs, in numpy (scipy is not a dependency).

Each test uses a normal approximation, which is accurate for the sample sizes the analysis
accepts (it refuses groups smaller than a handful of posts before testing anything). The
bootstrap uses a fixed seed so that the same facts always give the same interval, and so the
same report twice never shows two different confidence intervals.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

ALPHA = 0.05
BOOTSTRAP_SEED = 20260101
BOOTSTRAP_SAMPLES = 2000

Values = np.ndarray | Sequence[float]


@dataclass(frozen=True)
class TestResult:
    statistic: float
    p_value: float
    test: str  # the test's name, shown in the evidence of an insight


def normal_two_sided_p(z: float) -> float:
    """Two-sided p-value of a standard normal statistic."""
    return math.erfc(abs(z) / math.sqrt(2.0))


def _clean(values: Values) -> np.ndarray:
    array = np.asarray(values, dtype="float64")
    return array[~np.isnan(array)]


def _ranks(values: np.ndarray) -> np.ndarray:
    """Ranks starting at 1, ties sharing their mean rank."""
    order = np.argsort(values, kind="mergesort")
    sorted_values = values[order]
    ranks = np.empty(len(values), dtype="float64")
    i = 0
    while i < len(values):
        j = i
        while j + 1 < len(values) and sorted_values[j + 1] == sorted_values[i]:
            j += 1
        ranks[order[i : j + 1]] = (i + j) / 2.0 + 1.0
        i = j + 1
    return ranks


def mann_whitney(a: Values, b: Values) -> TestResult:
    """Mann-Whitney U test (two-sided), normal approximation with tie correction.

    Chosen over a t-test for posts: reach and likes are heavily skewed, and one viral post
    must not decide whether a format works.
    """
    x, y = _clean(a), _clean(b)
    n1, n2 = len(x), len(y)
    if n1 == 0 or n2 == 0:
        return TestResult(float("nan"), 1.0, "Mann-Whitney U")
    both = np.concatenate([x, y])
    ranks = _ranks(both)
    u1 = float(ranks[:n1].sum() - n1 * (n1 + 1) / 2.0)
    mean = n1 * n2 / 2.0
    _, counts = np.unique(both, return_counts=True)
    n = n1 + n2
    ties = float((counts**3 - counts).sum())
    variance = n1 * n2 / 12.0 * ((n + 1) - ties / (n * (n - 1))) if n > 1 else 0.0
    if variance <= 0:
        return TestResult(u1, 1.0, "Mann-Whitney U")
    # Continuity correction: U moves in steps of one.
    z = (abs(u1 - mean) - 0.5) / math.sqrt(variance)
    return TestResult(u1, normal_two_sided_p(max(z, 0.0)), "Mann-Whitney U")


def welch_t(a: Values, b: Values) -> TestResult:
    """Welch's t-test (two-sided) with a normal approximation of the t distribution."""
    x, y = _clean(a), _clean(b)
    if len(x) < 2 or len(y) < 2:
        return TestResult(float("nan"), 1.0, "Welch t")
    se = math.sqrt(x.var(ddof=1) / len(x) + y.var(ddof=1) / len(y))
    if se == 0:
        return TestResult(float("nan"), 1.0 if x.mean() == y.mean() else 0.0, "Welch t")
    t = float((x.mean() - y.mean()) / se)
    return TestResult(t, normal_two_sided_p(t), "Welch t")


def bootstrap_median_ci(values: Values, *, level: float = 0.95) -> tuple[float, float]:
    """Percentile bootstrap interval of the median (fixed seed: reproducible)."""
    x = _clean(values)
    if len(x) == 0:
        return float("nan"), float("nan")
    if len(x) == 1:
        return float(x[0]), float(x[0])
    rng = np.random.default_rng(BOOTSTRAP_SEED)
    samples = rng.choice(x, size=(BOOTSTRAP_SAMPLES, len(x)), replace=True)
    medians = np.median(samples, axis=1)
    tail = (1.0 - level) / 2.0
    low, high = np.quantile(medians, [tail, 1.0 - tail])
    return float(low), float(high)


def mann_kendall(values: Values) -> TestResult:
    """Mann-Kendall trend test (two-sided), normal approximation with tie correction.

    Statistic S is returned; a positive S is an upward trend.
    """
    x = _clean(values)
    n = len(x)
    if n < 4:
        return TestResult(float("nan"), 1.0, "Mann-Kendall")
    diffs = np.sign(x[None, :] - x[:, None])
    s = float(np.triu(diffs, k=1).sum())
    _, counts = np.unique(x, return_counts=True)
    variance = n * (n - 1) * (2 * n + 5) - float((counts * (counts - 1) * (2 * counts + 5)).sum())
    variance /= 18.0
    if variance <= 0:
        return TestResult(s, 1.0, "Mann-Kendall")
    z = (s - math.copysign(1.0, s)) / math.sqrt(variance) if s != 0 else 0.0
    return TestResult(s, normal_two_sided_p(z), "Mann-Kendall")


def ols_slope(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Least-squares slope and intercept of ``y`` on ``x`` (NaNs in ``y`` ignored)."""
    keep = ~np.isnan(y)
    xs, ys = np.asarray(x, dtype="float64")[keep], np.asarray(y, dtype="float64")[keep]
    if len(xs) < 2 or np.all(xs == xs[0]):
        return float("nan"), float("nan")
    slope, intercept = np.polyfit(xs, ys, 1)
    return float(slope), float(intercept)


def mad(values: np.ndarray) -> float:
    """Median absolute deviation scaled to estimate a standard deviation (x 1.4826)."""
    x = _clean(values)
    if len(x) == 0:
        return float("nan")
    return float(1.4826 * np.median(np.abs(x - np.median(x))))
