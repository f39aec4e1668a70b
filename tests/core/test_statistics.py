"""Beta and Student t: distribution functions against closed forms and tables."""

from __future__ import annotations

import math
from statistics import NormalDist

import pytest

from core.statistics import beta_cdf, beta_quantile, student_t_quantile

XS = [0.001, 0.05, 0.3, 0.5, 0.77, 0.999]
PS = [0.001, 0.025, 0.3, 0.5, 0.8, 0.975, 0.999]
TOLERANCE = 1e-6

# --- Beta and Student t against closed forms -----------------------------------------------------------


@pytest.mark.parametrize("x", XS)
def test_beta_cdf_closed_forms(x: float) -> None:
    assert beta_cdf(x, 1, 1) == pytest.approx(x, abs=TOLERANCE)
    for a in (0.5, 2, 7.5):
        assert beta_cdf(x, a, 1) == pytest.approx(x**a, abs=TOLERANCE)
        assert beta_cdf(x, 1, a) == pytest.approx(1 - (1 - x) ** a, abs=TOLERANCE)
    assert beta_cdf(x, 2, 2) == pytest.approx(3 * x**2 - 2 * x**3, abs=TOLERANCE)
    assert beta_cdf(x, 0.5, 0.5) == pytest.approx(2 / math.pi * math.asin(math.sqrt(x)), abs=TOLERANCE)


def _binomial_tail(n: int, k: int, x: float) -> float:
    """P(Binomial(n, x) >= k), summed in log space so large n does not overflow."""
    log_terms = [
        math.lgamma(n + 1)
        - math.lgamma(j + 1)
        - math.lgamma(n - j + 1)
        + j * math.log(x)
        + (n - j) * math.log1p(-x)
        for j in range(k, n + 1)
    ]
    return math.fsum(math.exp(t) for t in log_terms)


@pytest.mark.parametrize(("a", "b", "x"), [(3, 5, 0.4), (30, 70, 0.25), (30, 70, 0.35), (400, 9600, 0.041)])
def test_beta_cdf_matches_binomial_tail_for_integer_parameters(a: int, b: int, x: float) -> None:
    # For integers, I_x(a, b) = P(Binomial(a + b - 1, x) >= a): this checks the sizes A/B tests produce.
    assert beta_cdf(x, a, b) == pytest.approx(_binomial_tail(a + b - 1, a, x), abs=TOLERANCE)


def test_beta_cdf_edges() -> None:
    assert beta_cdf(0.0, 2, 3) == 0.0
    assert beta_cdf(1.0, 2, 3) == 1.0
    with pytest.raises(ValueError):
        beta_cdf(0.5, 0, 1)


@pytest.mark.parametrize("p", PS)
def test_beta_quantile_closed_forms(p: float) -> None:
    assert beta_quantile(p, 1, 1) == pytest.approx(p, abs=TOLERANCE)
    for a in (0.5, 3, 40):
        assert beta_quantile(p, a, 1) == pytest.approx(p ** (1 / a), abs=TOLERANCE)
    assert beta_quantile(p, 0.5, 0.5) == pytest.approx(math.sin(math.pi * p / 2) ** 2, abs=TOLERANCE)


def test_beta_2_2_median_is_one_half() -> None:
    assert beta_quantile(0.5, 2, 2) == pytest.approx(0.5, abs=TOLERANCE)


@pytest.mark.parametrize(("a", "b"), [(2, 2), (1 + 300, 1 + 5700), (1 + 250_000, 1 + 4_750_000), (1, 1e7)])
@pytest.mark.parametrize("p", [0.025, 0.5, 0.975])
def test_beta_quantile_inverts_the_cdf(a: float, b: float, p: float) -> None:
    assert beta_cdf(beta_quantile(p, a, b), a, b) == pytest.approx(p, abs=1e-9)


@pytest.mark.parametrize("p", PS)
def test_student_t_quantile_closed_forms(p: float) -> None:
    assert student_t_quantile(p, 1) == pytest.approx(math.tan(math.pi * (p - 0.5)), rel=TOLERANCE)
    assert student_t_quantile(p, 2) == pytest.approx((2 * p - 1) / math.sqrt(2 * p * (1 - p)), abs=TOLERANCE)
    # t tends to the standard normal; with 10 million degrees of freedom they agree to ~1e-7.
    assert student_t_quantile(p, 1e7) == pytest.approx(NormalDist().inv_cdf(p), abs=TOLERANCE)


def test_student_t_table_value() -> None:
    assert student_t_quantile(0.975, 10) == pytest.approx(2.228138852, abs=TOLERANCE)
