"""Taylor coefficients at a removable singularity, numerically exact: a Cauchy integral in mpmath.

Why not ``sympy.series``: 27 terms of (1-cos 2x)/(x sin x) at -6*pi take SymPy 10 s (irrational
coefficients swell), and a compile must stay fast. A removable singularity of an analytic formula is an
analytic point, so the coefficients are the discrete Fourier coefficients of f on a small circle around
it::

    c_k = 1/(M rho^k) * sum_j f(c + rho w^j) w^(-jk),   w = exp(2 pi i / M)

which never evaluates f at the point itself. The error has two parts, both controlled: aliasing
(c_{k+M} rho^M, negligible for rho below half the convergence radius with M = 128) and rounding
(10^-dps / rho^k, made negligible by working at ``dps = 40 + K log10(1/rho)`` digits). The convergence
radius is unknown (complex singularities: tan(x)/x has poles at +-pi/2), so the coefficients are computed
on two circles, rho and rho/2, and accepted only when they agree; otherwise rho shrinks. A final check
compares the polynomial with f evaluated (real, high precision) on both sides of the point, which also
rejects non-analytic formulas (abs, max) whose complex evaluation is not their continuation.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import mpmath
import numpy as np
import sympy

EPS = float(np.finfo(float).eps)

M = 128


def _coefficients(fn: Callable, c, rho, count: int) -> list | None:
    """The first ``count`` coefficients from M points on the circle of radius rho (None if f fails)."""
    roots = [mpmath.expjpi(mpmath.mpf(2 * j) / M) for j in range(M)]
    values = []
    for w in roots:
        try:
            v = mpmath.mpmathify(fn(c + rho * w))
        except (ZeroDivisionError, ValueError, OverflowError, TypeError):
            return None
        if not mpmath.isfinite(v):
            return None
        values.append(v)
    out = []
    for k in range(count):
        s = mpmath.fsum(values[j] * roots[(-j * k) % M] for j in range(M))
        out.append((s / M).real / rho**k)
    return out


def _agree(a: list, b: list, rho, tol) -> bool:
    """Both circles give the same function at radius rho/4: sum |a_k - b_k| (rho/4)^k <= tol * size."""
    r = rho / 4
    size = max(abs(u) * r**k for k, u in enumerate(a)) or mpmath.mpf(1)
    diff = mpmath.fsum(abs(u - v) * r**k for k, (u, v) in enumerate(zip(a, b, strict=True)))
    return diff <= tol * size


def _clean(a: list, rho) -> list:
    """Coefficients that are rounding noise on the circle (|c_k| rho^k < 1e-30 of the largest) are 0."""
    size = max(abs(u) * rho**k for k, u in enumerate(a))
    return [u if abs(u) * rho**k >= mpmath.mpf(10) ** -30 * size else mpmath.mpf(0) for k, u in enumerate(a)]


def taylor(fn: Callable, center, count: int, rho0: float) -> tuple[list[mpmath.mpf], float] | None:
    """``count`` Taylor coefficients of ``fn`` (an mpmath function) at ``center`` and the radius of the
    circle they were verified on (a branch must stay inside it), or None.

    ``center`` is a callable ``dps -> mpf`` so irrational points (pi) are exact at every precision.
    """
    rho = mpmath.mpf(rho0)
    for _ in range(6):
        digits = 40 + int(count * float(mpmath.log10(1 / rho))) + 10
        with mpmath.workdps(digits):
            c = center(digits)
            a = _coefficients(fn, c, rho, count)
            b = _coefficients(fn, c, rho / 2, count) if a is not None else None
            if a is not None and b is not None and _agree(a, b, rho, mpmath.mpf(10) ** -25) \
                    and _matches(fn, c, a, rho / 4):
                return [+v for v in _clean(a, rho)], float(rho)
        rho /= 4
    return None


def _matches(fn: Callable, c, coeffs: list, r) -> bool:
    """The polynomial agrees with f on the real line at c - r and c + r (analytic and two-sided)."""
    for x in (c - r, c + r):
        try:
            v = mpmath.mpmathify(fn(x))
        except (ZeroDivisionError, ValueError, OverflowError, TypeError):
            return False
        if isinstance(v, mpmath.mpc):
            if abs(v.imag) > mpmath.mpf(10) ** -30 * max(1, abs(v.real)):
                return False
            v = v.real
        p = mpmath.polyval(coeffs[::-1], x - c)
        if abs(p - v) > mpmath.mpf(10) ** -20 * max(1, abs(v)):
            return False
    return True


def truncation_radius(kept: np.ndarray, tail: np.ndarray) -> float:
    """Largest r with |omitted terms(r)| <= eps/4 * |leading kept term(r)| (inf when nothing is omitted)."""
    if not np.any(tail):
        return math.inf
    nonzero = np.flatnonzero(kept)
    if nonzero.size == 0:
        return 0.0
    m, lead, K = int(nonzero[0]), abs(float(kept[nonzero[0]])), len(kept)
    powers = np.arange(K, K + len(tail)) - m

    def excess(log_r: float) -> float:
        return float(np.sum(np.abs(tail) * np.exp(powers * log_r))) - 0.25 * EPS * lead

    lo, hi = math.log(1e-300), math.log(1e3)
    if excess(hi) <= 0:
        return math.exp(hi)
    if excess(lo) > 0:
        return 0.0
    for _ in range(80):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if excess(mid) <= 0 else (lo, mid)
    return math.exp(lo)


def poly_coefficients(coeffs: tuple, order: int) -> np.ndarray:
    """Coefficients of the order-th derivative of sum c_k h^k, as doubles."""
    out = [float((c * sympy.ff(k + order, order)).evalf(30)) for k, c in enumerate(coeffs[order:])]
    return np.array(out)


def horner(a: np.ndarray):
    def evaluate(h: np.ndarray) -> np.ndarray:
        acc = np.zeros_like(h) + a[-1]
        for coef in a[-2::-1]:
            acc = acc * h + coef
        return acc
    return evaluate
