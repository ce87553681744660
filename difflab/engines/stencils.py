"""Stencils, their truncation constants and theoretical steps.

The arithmetic under ``finite_diff``: exact weights (``stencil`` solves the Vandermonde moment system in
``Fraction`` arithmetic, so a centre weight of -5/2 is exactly that), the leading truncation term of a
stencil, the step that balances it against rounding at a given scale, and Neville's table for
Richardson (the probe plans are in ``fd_plan``). Split from ``finite_diff`` so each module stays small;
the reasoning behind the choices is in ``finite_diff``'s docstring.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from functools import cache
from math import factorial

import numpy as np

from difflab.errors import InputError

SCHEMES = ("forward", "backward", "central", "five-point", "complex-step", "richardson")
EPS = float(np.finfo(float).eps)
ROUND_ULPS = 1.0  # evaluation error of one real probe, in units of eps * (|f| + sum |x_j g_j|)
COMPLEX_ULPS = 2.0  # the same for Im f / t, in units of eps * (|Im f / t| + |Re f| / typ)
NOISE_FACTOR = 2.0  # measured noise level (``_noise``) -> bound on the error of one probe value
NOISE_CAP = 30.0  # measured noise is trusted up to 30 times the ulp model (beyond: smooth part)
UNDERFLOW_ULPS = 8.0  # intermediate imaginary parts that may each lose up to the smallest normal number
TINY = float(np.finfo(float).tiny)
COND_ULPS = 4.0  # complex step: rounding of f's real intermediates, in units of eps * |sum_j x_j dD/dx_j|
COND_REL = 2.0**-27  # relative shift of x that measures that sensitivity (linear regime, above the noise)
COMPLEX_STEP = 1e-100  # relative imaginary step: h**2 f'''/6 vanishes unless |f'''/f'| > 1e180
RICHARDSON_STEPS = (5, 4, 3, 2, 1)  # central differences at k*h: value (order 8) from 1..4, check 2..5
RICHARDSON_KAPPA = Fraction(1, 24)  # |C_value| / |C_value - C_check| = 1 / (5**2 - 1)

FIRST = {"forward": (0, 1), "backward": (0, -1), "central": (-1, 1), "five-point": (-2, -1, 0, 1, 2),
          "richardson": (-1, 1), "complex-step": (-2, -1, 0, 1, 2)}
SECOND = {"forward": (0, 1, 2), "backward": (0, -1, -2), "central": (-1, 0, 1),
           "five-point": (-2, -1, 0, 1, 2), "richardson": (-1, 0, 1)}


def check_scheme(scheme: str) -> None:
    if scheme not in SCHEMES:
        raise InputError(f"unknown finite-difference scheme {scheme!r}; choose one of: {', '.join(SCHEMES)}")


@cache
def _solve_weights(d: int, offsets: tuple[Fraction, ...]) -> tuple[Fraction, ...]:
    m = len(offsets)
    rows = [[o**k for o in offsets] + [Fraction(factorial(d) if k == d else 0)] for k in range(m)]
    for col in range(m):  # Gauss-Jordan in exact arithmetic; Vandermonde with distinct nodes is regular
        piv = next(r for r in range(col, m) if rows[r][col] != 0)
        rows[col], rows[piv] = rows[piv], rows[col]
        rows[col] = [v / rows[col][col] for v in rows[col]]
        for r in range(m):
            if r != col and rows[r][col] != 0:
                rows[r] = [a - rows[r][col] * b for a, b in zip(rows[r], rows[col], strict=True)]
    return tuple(rows[j][m] for j in range(m))


def stencil(derivative_order: int, offsets: Sequence[int | float | Fraction]) -> tuple[Fraction, ...]:
    """Exact weights w with f^(d)(x) ~ h**-d * sum_j w_j f(x + o_j h) of the highest possible order.

    Solves ``sum_j w_j o_j**k = k! [k == d]`` for k = 0..m-1 in rational arithmetic (floats convert
    exactly), e.g. ``stencil(2, (-1, 0, 1)) == (1, -2, 1)``.
    """
    if isinstance(derivative_order, bool) or not isinstance(derivative_order, int) or derivative_order < 0:
        raise InputError(f"derivative order must be a non-negative integer; got {derivative_order!r}")
    try:
        offs = tuple(Fraction(o) for o in offsets)
    except (TypeError, ValueError) as exc:
        raise InputError(f"stencil offsets must be finite rational numbers; got {offsets!r}") from exc
    if len(set(offs)) != len(offs):
        raise InputError(f"stencil offsets must be distinct; got {[str(o) for o in offs]}")
    if len(offs) <= derivative_order:
        raise InputError(f"a derivative of order {derivative_order} needs at least {derivative_order + 1} "
                         f"offsets; got {len(offs)}")
    return _solve_weights(derivative_order, offs)


@cache
def float_weights(derivative_order: int, offsets: tuple[int, ...]) -> tuple[float, ...]:
    """``stencil`` rounded to doubles once per (order, offsets): the per-call loops read these, not the
    exact weights (rebuilding Fractions per line was 90% of a central-difference gradient at n=100)."""
    return tuple(float(w) for w in stencil(derivative_order, offsets))


@cache
def truncation(d: int, offsets: tuple[int, ...]) -> tuple[int, Fraction, Fraction]:
    """(order p, leading coefficient C, S = sum|w|): D(h) - f^(d) ~ C h**p f^(d+p)."""
    w = stencil(d, offsets)
    for m in range(d + 1, len(offsets) + 4):
        c = sum((wj * Fraction(o) ** m for wj, o in zip(w, offsets, strict=True)), Fraction(0)) / factorial(m)
        if c != 0:
            return m - d, c, sum((abs(v) for v in w), Fraction(0))
    raise AssertionError("a stencil with finitely many points has a nonzero truncation moment")


def optimal_step(x: np.ndarray, scheme: str, order: int = 1, scale: np.ndarray | None = None) -> np.ndarray:
    """The theoretical step per variable at the length ``scale`` over which f varies (default
    ``max(|x_i|, 1)``; ``finite_diff`` also tries the variable's own scale ``|x_i|``).

    ``order`` is 1 for gradients and 2 for Hessians. The model's derivative sizes are a guess, which is
    why the error estimate is measured rather than taken from it. Richardson: its smallest step h (the
    model on its effective 9-point stencil, Cauchy-scaled); complex step: the tiny imaginary step for
    gradients, the real five-point step for Hessians.
    """
    check_scheme(scheme)
    if order not in (1, 2):
        raise InputError(f"derivative order must be 1 (gradient) or 2 (Hessian); got {order!r}")
    typ = np.maximum(np.abs(np.asarray(x, dtype=float)), 1.0) if scale is None else np.asarray(scale, float)
    if scheme == "complex-step" and order == 1:
        return COMPLEX_STEP * typ
    k = 1 if scheme == "complex-step" else order
    offsets = FIRST[scheme] if k == 1 else SECOND[scheme]
    if scheme == "richardson":  # the effective stencil of its value: offsets -4..4
        offsets = tuple(o for o in range(-RICHARDSON_STEPS[1], RICHARDSON_STEPS[1] + 1) if o or k == 2)
    p, c, s = truncation(k, offsets)
    growth = factorial(p + k) if scheme == "richardson" else 1
    return float(k * EPS * s / (p * abs(c) * growth)) ** (1.0 / (p + k)) * typ


def neville(rows: list, exact: bool = False) -> tuple:
    """Richardson extrapolation in h**2 to 0 of rows at steps ``RICHARDSON_STEPS`` (Neville's table).

    Returns the order-8 value from the four smallest steps and the same from the four largest. With
    ``exact`` (rows = exact unit vectors) these are the effective weights of the rows.
    """
    col, steps = list(rows), RICHARDSON_STEPS
    for m in range(1, len(rows) - 1):
        dens = [Fraction(steps[j], steps[j + m]) ** 2 - 1 for j in range(len(col) - 1)]
        col = [col[j + 1] + (col[j + 1] - col[j]) / (d if exact else float(d)) for j, d in enumerate(dens)]
    return col[-1], col[-2]
