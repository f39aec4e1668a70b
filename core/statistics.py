"""Beta and Student t: distribution functions, posteriors to draw from, and probability to be best.

Implemented here because the stdlib has no Beta or Student t quantiles and core takes no numeric deps.
core.experiments builds its models from these; nothing here knows what a post or a variant is.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol


class Posterior(Protocol):
    def summary(self, level: float) -> tuple[float, float, float]:
        """Mean and equal-tailed `level` interval."""
        ...

    def draws(self, rng: random.Random, n: int) -> list[float]:
        """n samples of the quantity being compared (any monotone scale of it will do)."""
        ...


@dataclass(frozen=True)
class BetaPosterior:
    a: float
    b: float

    def summary(self, level: float) -> tuple[float, float, float]:
        tail = (1 - level) / 2
        mean = self.a / (self.a + self.b)
        return mean, beta_quantile(tail, self.a, self.b), beta_quantile(1 - tail, self.a, self.b)

    def draws(self, rng: random.Random, n: int) -> list[float]:
        betavariate, a, b = rng.betavariate, self.a, self.b
        return [betavariate(a, b) for _ in range(n)]


@dataclass(frozen=True)
class StudentTPosterior:
    """A mean known up to center + scale × t(df): a normal sample's mean under the flat prior."""

    center: float
    scale: float
    df: int

    def summary(self, level: float) -> tuple[float, float, float]:
        half_width = student_t_quantile(1 - (1 - level) / 2, self.df) * self.scale
        return self.center, self.center - half_width, self.center + half_width

    def draws(self, rng: random.Random, n: int) -> list[float]:
        # Student t as normal / sqrt(chi-squared / df); chi-squared(df) is 2 × Gamma(df / 2, 1).
        gauss, gamma = rng.gauss, rng.gammavariate
        center, se, half_df = self.center, self.scale, self.df / 2
        return [center + se * gauss(0.0, 1.0) / math.sqrt(gamma(half_df, 1.0) / half_df) for _ in range(n)]


@dataclass(frozen=True)
class Log1pPosterior:
    """A posterior fitted to log1p of the values (heavy tails tamed), summarised back on their scale."""

    fitted: Posterior

    def summary(self, level: float) -> tuple[float, float, float]:
        mean, low, high = self.fitted.summary(level)
        return math.expm1(mean), math.expm1(low), math.expm1(high)

    def draws(self, rng: random.Random, n: int) -> list[float]:
        return self.fitted.draws(rng, n)


def p_best(posteriors: Mapping[str, Posterior], rng: random.Random, draws: int) -> dict[str, float]:
    """Share of joint posterior draws in which each one is highest."""
    names = list(posteriors)
    samples = [posterior.draws(rng, draws) for posterior in posteriors.values()]
    wins = [0.0] * len(names)
    for values in zip(*samples, strict=True):
        top = max(values)
        ties = values.count(top)
        if ties == 1:
            wins[values.index(top)] += 1
        else:  # only degenerate posteriors (e.g. identical view counts) tie; share the credit fairly
            for i, value in enumerate(values):
                if value == top:
                    wins[i] += 1 / ties
    return {name: won / draws for name, won in zip(names, wins, strict=True)}


# --- Distribution functions ---------------------------------------------------------------------------


_CF_EPSILON = 1e-15
_CF_MAX_TERMS = 100_000
_TINY = 1e-300
_QUANTILE_REL_TOLERANCE = 1e-13
_QUANTILE_MAX_STEPS = 300


def beta_cdf(x: float, a: float, b: float) -> float:
    """The regularized incomplete beta function I_x(a, b): P(X <= x) for X ~ Beta(a, b)."""
    if a <= 0 or b <= 0:
        raise ValueError("Beta parameters must be positive")
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    log_front = math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    # The continued fraction converges fast only left of the mean; use the symmetry
    # I_x(a, b) = 1 - I_(1-x)(b, a) on the other side.
    if x < (a + 1) / (a + b + 2):
        return math.exp(log_front) * _beta_continued_fraction(x, a, b) / a
    return 1.0 - math.exp(log_front) * _beta_continued_fraction(1.0 - x, b, a) / b


def beta_quantile(p: float, a: float, b: float) -> float:
    """The x with beta_cdf(x, a, b) == p, by Newton's method kept inside a shrinking bracket."""
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"p must be in [0, 1], got {p}")
    if p in (0.0, 1.0):
        return p
    log_norm = math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b)
    low, high = 0.0, 1.0
    x = a / (a + b)
    for _ in range(_QUANTILE_MAX_STEPS):
        error = beta_cdf(x, a, b) - p
        if error == 0.0:
            return x
        if error > 0:
            high = x
        else:
            low = x
        density = math.exp(log_norm + (a - 1) * math.log(x) + (b - 1) * math.log1p(-x))
        candidate = x - error / density if density > 0 else low
        if not low < candidate < high:  # Newton overshot the bracket: bisect instead
            candidate = (low + high) / 2
        if abs(candidate - x) <= _QUANTILE_REL_TOLERANCE * x:
            return candidate
        x = candidate
    return x


def student_t_quantile(p: float, df: float) -> float:
    """The p-quantile of Student's t with df degrees of freedom, via the Beta quantile.

    For t > 0, P(T > t) = I_(df / (df + t²))(df / 2, 1 / 2) / 2.
    """
    if not 0.0 < p < 1.0:
        raise ValueError(f"p must be in (0, 1), got {p}")
    if p == 0.5:
        return 0.0
    if p < 0.5:
        return -student_t_quantile(1.0 - p, df)
    x = beta_quantile(2.0 * (1.0 - p), df / 2.0, 0.5)
    return math.sqrt(df * (1.0 - x) / x)


def _beta_continued_fraction(x: float, a: float, b: float) -> float:
    """Continued fraction for I_x(a, b), by the modified Lentz method (Numerical Recipes' betacf)."""
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c = 1.0
    d = 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > _TINY else _TINY)
    h = d
    for m in range(1, _CF_MAX_TERMS):
        m2 = 2 * m
        # Even step of the recurrence, then odd step.
        for numerator in (
            m * (b - m) * x / ((qam + m2) * (a + m2)),
            -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2)),
        ):
            d = 1.0 + numerator * d
            d = 1.0 / (d if abs(d) > _TINY else _TINY)
            c = 1.0 + numerator / c
            c = c if abs(c) > _TINY else _TINY
            delta = d * c
            h *= delta
        if abs(delta - 1.0) < _CF_EPSILON:
            return h
    raise ArithmeticError(f"incomplete beta did not converge for x={x}, a={a}, b={b}")
