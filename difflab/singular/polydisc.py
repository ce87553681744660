"""Taylor coefficients of several variables at a removable singularity: a Cauchy integral on a polydisc.

Riemann's extension theorem: a function holomorphic off the zero set of an analytic denominator and
bounded near it extends holomorphically across it. The extension's Taylor coefficients at a point ``c``
are the Fourier coefficients of f on a torus around c::

    c_alpha = 1/M^n * sum_k f(c + r e^{i theta_k}) e^{-i alpha . theta_k} / r^alpha,
    theta_{k,j} = 2 pi (k_j + phase_j) / M

which never evaluates f on the singular set itself -- unless the torus meets it. In C^n the zero set of
the denominator is a complex hypersurface, which a torus of equal radii can meet in whole circles (x - y
vanishes wherever theta_1 = theta_2 when both radii are equal), so every coordinate gets its own radius
and its own phase (irrational multiples), which keeps the torus off such sets.

Acceptance (what makes the numbers trustworthy):

* two tori, radii r and r/2, give the same coefficients up to the requested degree (aliasing and
  nearby singularities both show as a disagreement);
* the Laurent coefficients with a negative index vanish: a pole (1/(x*y)) or a direction-dependent
  quotient (x*y/(x^2 + y^2)) is holomorphic on the torus too, but has them -- it is not removable.

Work is sized before it starts: M points per coordinate with M^n bounded (n <= MAX_VARIABLES).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import mpmath

MAX_VARIABLES = 4
POINTS = {1: 64, 2: 24, 3: 10, 4: 6}      # M per coordinate (M^n evaluations per torus)
PHASES = (0.1234567, 0.3819660, 0.6180340, 0.8765432)
SHAPES = (1.0, 0.7548777, 0.5698403, 0.4301597)   # per-coordinate radius factors (irrational ratios)
DPS = 32


@dataclass(frozen=True)
class Extension:
    """Coefficients ``{alpha: c_alpha}`` (alpha a tuple of n exponents, total degree <= degree) of the
    analytic extension at the center, the radius they were confirmed on, and the agreement reached."""

    coefficients: dict[tuple[int, ...], mpmath.mpf]
    radius: float
    agreement: float
    points: int


class NotRemovable(Exception):
    """The Laurent coefficients with a negative index do not vanish (a pole, or no limit)."""


def _torus(fn: Callable, center: Sequence, radius, m: int, degree: int, flip: bool = False) -> dict | None:
    """Laurent coefficients c_alpha, each alpha_j in [-2, degree], with sum of positive parts <= degree.

    ``flip`` reverses the radii's shape: a function singular inside the polydisc (x^2 y^2/(x^2 + y^2))
    has different Laurent series where |x| > |y| and where |x| < |y|, so tori of both shapes disagree."""
    n = len(center)
    shape = SHAPES[:n][::-1] if flip else SHAPES[:n]
    radii = [radius * shape[j] for j in range(n)]
    # k + phase in mpf: in floats k + 0.1234567 rounds differently for each k (a 1e-16 skew)
    angles = [[2 * mpmath.pi * (k + mpmath.mpf(PHASES[j])) / m for k in range(m)] for j in range(n)]
    units = [[mpmath.expj(a) for a in row] for row in angles]
    values = {}
    for ks in itertools.product(range(m), repeat=n):
        z = [center[j] + radii[j] * units[j][ks[j]] for j in range(n)]
        try:
            v = mpmath.mpmathify(fn(*z))
        except (ZeroDivisionError, ValueError, OverflowError, TypeError):
            return None
        if not mpmath.isfinite(v):
            return None
        values[ks] = v
    orders = list(range(-2, degree + 1))
    # separable kernel: one axis at a time, the last first ({(k_1..k_j, a_{j+1}..a_n): partial sum})
    table = values
    for j in reversed(range(n)):
        kernel = {a: [mpmath.expj(-a * t) for t in angles[j]] for a in orders}
        nxt: dict = {}
        for key, v in table.items():
            head, k, tail = key[:j], key[j], key[j + 1:]
            for a in orders:
                slot = (*head, a, *tail)
                nxt[slot] = nxt.get(slot, 0) + v * kernel[a][k]
        table = nxt
    out = {}
    for alpha, total in table.items():
        if sum(a for a in alpha if a > 0) > degree:
            continue
        scale = mpmath.fprod(radii[j] ** alpha[j] for j in range(n))
        out[alpha] = total / (m ** n) / scale
    return out


def _size(coeffs: dict, radius, n: int):
    """The largest |c_alpha| r^|alpha| among the Taylor (non-negative) coefficients: the function's scale."""
    return max([abs(c) * radius ** sum(a) for a, c in coeffs.items() if min(a) >= 0] + [mpmath.mpf(0)])


def extension(fn: Callable, center: Sequence, degree: int, radius: float = 0.5,
              tries: int = 4) -> Extension | None:
    """The Taylor coefficients (total degree <= ``degree``) of the analytic extension of ``fn`` (an mpmath
    function of n variables) at ``center``, or None when no pair of radii agreed.

    Raises ``NotRemovable`` when both tori agree that a negative Laurent coefficient is not zero."""
    n = len(center)
    if n > MAX_VARIABLES:
        return None
    m = POINTS[n]
    with mpmath.workdps(DPS):
        c = [mpmath.mpf(v) for v in center]
        r = mpmath.mpf(radius)
        for _ in range(tries):
            a = _torus(fn, c, r, m, degree)
            b = _torus(fn, c, r / 2, m, degree, flip=True) if a is not None else None
            if a is None or b is None:
                r /= 4
                continue
            half = r / 2
            total = max(abs(v) * half ** sum(k) for k, v in b.items())
            negative = [k for k in b if min(k) < 0
                        and abs(b[k]) * half ** sum(k) > mpmath.mpf(10) ** -12 * total]
            if negative and all(abs(a[k] - b[k]) <= mpmath.mpf(10) ** -6 * abs(b[k]) for k in negative):
                k = max(negative, key=lambda k: abs(b[k]) * half ** sum(k))
                raise NotRemovable(f"the Laurent coefficient of index {k} is {mpmath.nstr(b[k].real, 6)} on "
                                   f"tori of radii {mpmath.nstr(r, 3)} and {mpmath.nstr(half, 3)}")
            size = max(_size(a, r, n), mpmath.mpf(10) ** -30)
            small = r / 4   # compare both at a common radius, where the aliasing of both is small
            gap = max(abs(a[k] - b[k]) * small ** sum(k) for k in a if min(k) >= 0) / size
            if negative or gap > mpmath.mpf(10) ** -16:
                r /= 4
                continue
            # rounding noise on the torus (|c| r^|alpha| below 1e-25 of the scale) is an exact 0
            floor = mpmath.mpf(10) ** -25 * size
            taylor = {k: (v.real if abs(v) * half ** sum(k) >= floor else mpmath.mpf(0))
                      for k, v in b.items() if min(k) >= 0}
            return Extension(taylor, float(r / 2), float(gap), 2 * m ** n)
    return None
