"""Student t quantiles and Hesterberg's expanded percentile level (junkan.cohort._stats), checked by hand."""

from __future__ import annotations

import math
from statistics import NormalDist

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from junkan.cohort._stats import expanded_level, t_abs_cdf, t_quantile

# printed tables (e.g. NIST/SEMATECH e-Handbook 1.3.6.7.2), six significant digits
TABLE = [(0.95, 1, 6.31375), (0.975, 1, 12.7062), (0.95, 2, 2.91999), (0.95, 5, 2.01505), (0.95, 10, 1.81246),
         (0.975, 10, 2.22814), (0.95, 29, 1.69913), (0.95, 39, 1.68488), (0.995, 3, 5.84091), (0.95, 100, 1.66023)]


@pytest.mark.parametrize(("p", "df", "q"), TABLE)
def test_t_quantile_matches_the_printed_table(p: float, df: int, q: float) -> None:
    assert t_quantile(p, df) == pytest.approx(q, rel=2e-5)
    assert t_quantile(1 - p, df) == pytest.approx(-q, rel=2e-5)


def test_t_closed_forms_by_hand() -> None:
    # df = 1 is Cauchy: P(|T| ≤ t) = 2 atan(t) / π; df = 2: P(|T| ≤ t) = t / sqrt(2 + t²)
    assert t_abs_cdf(1.0, 1) == pytest.approx(0.5, rel=1e-15)
    assert t_abs_cdf(3.0, 2) == pytest.approx(3 / math.sqrt(11), rel=1e-15)
    # df = 3: 2/π (θ + sinθ cosθ), θ = atan(t/√3); t = √3 gives θ = π/4
    assert t_abs_cdf(math.sqrt(3), 3) == pytest.approx(2 / math.pi * (math.pi / 4 + 0.5), rel=1e-14)
    assert t_quantile(0.5, 7) == 0.0 and t_abs_cdf(0.0, 4) == 0.0 and t_abs_cdf(math.inf, 4) == 1.0
    # a large df approaches the normal quantile
    assert t_quantile(0.95, 20000) == pytest.approx(NormalDist().inv_cdf(0.95), rel=1e-4)


def test_expanded_level_by_hand() -> None:
    # n = 40: sqrt(40/39) · t_{0.95, 39} = 1.0127394 · 1.6848751 = 1.7063389; 1 − 2 Φ(−1.7063389) = 0.912055
    assert expanded_level(0.9, 40) == pytest.approx(1 - 2 * NormalDist().cdf(-math.sqrt(40 / 39) * 1.6848751), rel=1e-7)
    assert expanded_level(0.9, 40) == pytest.approx(0.912055, abs=2e-6)
    assert expanded_level(0.9, 10**6) == pytest.approx(0.9, abs=1e-5)
    with pytest.raises(ValueError, match="at least 2"):
        expanded_level(0.9, 1)
    with pytest.raises(ValueError):
        t_quantile(1.0, 3)
    with pytest.raises(ValueError):
        t_abs_cdf(1.0, 0)


@settings(max_examples=200, deadline=None)
@given(st.floats(0.001, 0.999), st.integers(1, 400))
def test_t_quantile_inverts_the_distribution_function(p: float, df: int) -> None:
    q = t_quantile(p, df)
    assert t_abs_cdf(abs(q), df) == pytest.approx(abs(2 * p - 1), abs=1e-10)
    assert (q > 0) == (p > 0.5) or p == 0.5
    # heavier tails than the normal: |t quantile| ≥ |z quantile|
    assert abs(q) >= abs(NormalDist().inv_cdf(p)) - 1e-9


@settings(max_examples=100, deadline=None)
@given(st.floats(0.5, 0.99), st.integers(2, 5000))
def test_expanded_level_is_wider_and_shrinks_with_n(ci: float, n: int) -> None:
    assert ci < expanded_level(ci, n) < 1.0 or expanded_level(ci, n) == pytest.approx(1.0)
    assert expanded_level(ci, n + 1) <= expanded_level(ci, n) + 1e-12
