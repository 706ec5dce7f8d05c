"""The few statistical tests the analysis needs, in numpy (scipy is not a dependency).

Each test uses a normal approximation, which is accurate for the sample sizes the analysis
accepts (it refuses groups smaller than a handful of posts before testing anything). The
interval of a median is read off the sorted values (order statistics), so it needs no random
draws: the same facts always give the same interval, and it costs one partial sort.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

ALPHA = 0.05

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
    n = len(values)
    # Runs of equal values: the first and last sorted position of each run.
    starts = np.flatnonzero(np.r_[True, sorted_values[1:] != sorted_values[:-1]])
    ends = np.r_[starts[1:] - 1, n - 1]
    ranks = np.empty(n, dtype="float64")
    ranks[order] = np.repeat((starts + ends) / 2.0 + 1.0, ends - starts + 1)
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


@lru_cache(maxsize=4096)
def median_ci_ranks(n: int, level: float = 0.95) -> tuple[int, int]:
    """The ranks (1-based, of the sorted sample) bounding the distribution-free interval of
    the median of ``n`` values, from the exact binomial distribution.

    The number of values below the true median is Binomial(n, 1/2) whatever the distribution,
    so [x_(l), x_(n+1-l)] covers the median with probability 1 - 2 P(B <= l - 1). ``l`` is the
    largest rank keeping that at or above ``level``: for large n it is close to
    n/2 - z sqrt(n)/2. With too few values for any pair of ranks to reach ``level`` (n <= 5 at
    95%), the interval is the whole sample (rank 1 to n), the widest the data can give.
    """
    if n < 1:
        raise ValueError("n must be at least 1")
    tail = (1.0 - level) / 2.0
    # P(B <= k) for k = 0 .. n // 2, summed in log space: 2**-n underflows past n = 1074.
    k = np.arange(1, n // 2 + 1, dtype="float64")
    log_pmf = np.concatenate([[0.0], np.cumsum(np.log((n - k + 1) / k))]) - n * math.log(2.0)
    cdf = np.cumsum(np.exp(log_pmf))
    # Rank l is valid when P(B <= l - 1) <= tail; a small slack absorbs rounding in the sum.
    low = int(np.searchsorted(cdf, tail * (1.0 + 1e-9), side="right"))
    low = max(low, 1)
    return low, n + 1 - low


def median_ci(values: Values, *, level: float = 0.95) -> tuple[float, float]:
    """Distribution-free confidence interval of the median: the order statistics at the
    ranks of ``median_ci_ranks`` (exact binomial, no resampling; NaNs ignored).

    It assumes nothing about the shape of the values, which suits skewed post metrics, and
    gives the same interval for the same values every time. Empty input gives NaNs.
    """
    x = _clean(values)
    if len(x) == 0:
        return float("nan"), float("nan")
    low, high = median_ci_ranks(len(x), level)
    ordered = np.partition(x, [low - 1, high - 1])
    return float(ordered[low - 1]), float(ordered[high - 1])


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
