"""Small distribution helpers for the cohort intervals (no SciPy dependency for one quantile).

``t_quantile`` inverts the Student t distribution function for an integer number of degrees of freedom, using the
closed forms of Abramowitz & Stegun (1964) 26.7.3 (odd ν) and 26.7.4 (even ν) for ``A(t|ν) = P(|T| ≤ t)`` and
bisection. ``expanded_level`` is Hesterberg's expanded percentile interval (Hesterberg 2015, "What teachers should
know about the bootstrap", The American Statistician 69(4), §4.2): the percentile interval of a sample of ``n``
independent units is too narrow by the factors ``√((n−1)/n)`` (the bootstrap variance is the plug-in variance) and
``z/t_{n−1}`` (it ignores that the variance is estimated); the expanded interval takes the bootstrap quantiles at
``α'/2`` and ``1 − α'/2`` with ``Φ⁻¹(α'/2) = −√(n/(n−1)) · t_{α/2, n−1}``.
"""

from __future__ import annotations

import math
from statistics import NormalDist

__all__ = ["expanded_level", "t_abs_cdf", "t_quantile"]


def t_abs_cdf(t: float, df: int) -> float:
    """``P(|T| ≤ t)`` for Student's t with ``df ≥ 1`` (integer) degrees of freedom (A&S 26.7.3–26.7.4)."""
    if df < 1 or int(df) != df:
        raise ValueError(f"df must be a positive integer, got {df!r}")
    if t <= 0:
        return 0.0
    if math.isinf(t):
        return 1.0
    theta = math.atan(t / math.sqrt(df))
    s, c = math.sin(theta), math.cos(theta)
    c2 = c * c
    if df % 2 == 1:
        if df == 1:
            return 2.0 * theta / math.pi
        term, total = c, c  # cos θ, then (2·4···(2k))/(3·5···(2k+1)) cos^(2k+1) θ
        for k in range(1, (df - 1) // 2):
            term *= c2 * (2 * k) / (2 * k + 1)
            total += term
        return min(1.0, 2.0 / math.pi * (theta + s * total))
    term, total = 1.0, 1.0  # 1, then (1·3···(2k−1))/(2·4···(2k)) cos^(2k) θ
    for k in range(1, df // 2):
        term *= c2 * (2 * k - 1) / (2 * k)
        total += term
    return min(1.0, s * total)


def t_quantile(p: float, df: int) -> float:
    """The ``p`` quantile of Student's t with integer ``df`` (to about 1e-12 relative), by bisection on
    ``t_abs_cdf``. ``t_quantile(0.95, 10) = 1.8125``, ``t_quantile(0.975, 1) = 12.706``."""
    if not 0.0 < p < 1.0:
        raise ValueError(f"p must be in (0, 1), got {p!r}")
    if p == 0.5:
        return 0.0
    target = abs(2.0 * p - 1.0)  # P(|T| ≤ q) for q = the quantile of max(p, 1 − p)
    hi = 1.0
    while t_abs_cdf(hi, df) < target:
        hi *= 2.0
    lo = 0.0
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if t_abs_cdf(mid, df) < target:
            lo = mid
        else:
            hi = mid
        if hi - lo <= 1e-13 * max(1.0, hi):
            break
    q = 0.5 * (lo + hi)
    return q if p > 0.5 else -q


def expanded_level(ci: float, n: int) -> float:
    """Coverage level ``1 − α'`` whose bootstrap percentiles give Hesterberg's expanded ``ci`` interval for ``n``
    independent resampling units (clusters): ``Φ⁻¹(α'/2) = −√(n/(n−1)) · t_{α/2, n−1}``. Needs ``n ≥ 2``."""
    if n < 2:
        raise ValueError(f"the expanded percentile interval needs at least 2 resampling units, got {n}")
    if not 0.0 < ci < 1.0:
        raise ValueError(f"ci must be in (0, 1), got {ci!r}")
    alpha = 1.0 - ci
    z = math.sqrt(n / (n - 1)) * t_quantile(1.0 - alpha / 2.0, n - 1)
    return 1.0 - 2.0 * NormalDist().cdf(-z)
