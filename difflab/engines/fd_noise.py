"""The noise level of f measured where a finite difference probes it (More and Wild's ECnoise).

Why: the rounding model of ``fd_combine`` bounds the error of a probe value by ``eps * (|f| + sum |x_j
g_j|)`` -- it sees f's *result*. Cancellation inside f is invisible to it: ``x - sin(x)`` at x + h = 1e-5
has intermediates of size 1e-5 that round at ``eps * 1e-5`` while the result is 1.7e-16, so the model says
2e-32 where the values carry 1e-21 of noise. A step refined on that model walks into the noise (the
forward Hessian at 0 was 2.3e-8 with an estimate of 2.5e-23). Nothing about the values at the stencil's
own probes can tell such noise from the smooth part of f at the stencil's spacing; a difference table at
a much finer spacing can.

**ECnoise** (J. J. More and S. M. Wild, *Estimating computational noise*, SIAM J. Sci. Comput. 33(3),
2011): on equally spaced values, the k-th differences of a smooth function shrink like ``spacing**k
f^(k)`` while those of independent noise of standard deviation s keep a mean square of ``s**2
(2k)!/(k!)**2``; normalised, each order whose smooth part is below the noise gives s, and noise is
declared where three consecutive orders agree within a factor 4. Here the same test runs on the
residuals of least-squares polynomials of degree 0..6 on ``NOISE_POINTS`` *irregular* nodes (on equal
spacing the residual of degree k-1 is the k-th difference up to normalisation): rounding along an
arithmetic progression lines up whenever the smooth increment is close to a whole number of ulps, and
then equally spaced differences vanish (``NODES``). No agreement: the spacing does not resolve noise
above the smooth part and nothing is claimed (0). More and Wild's refusal of tables whose values vary by
more than 10% is dropped: the tables sit next to zeros of f on purpose (x - sin(x) near 0).

**Where**: along the pass's step vector h (every variable moved at once, so the cross probes of a
Hessian are represented: x*y - sin(x*y) at (0, 0) is exactly 0 on the axes), centred at the stencil's
outermost probe ``x + c*h`` on the side the scheme probes (noise often grows with the distance from x, as
in x - sin(x) at 0), spacing ``h / NOISE_DIVISOR``: fine enough that the smooth part of the residuals
of degree 1 and up is far below the rounding of f at any step the refinement takes, coarse enough that
the points are thousands of ulps apart. For the complex-step Hessian the table is of ``Im f(x + i t) /
t``, the values its real stencil differences. The values' ``granularity`` is a second, cheap witness of
rounding inside f; the level used is the larger of the two. (That t is a power of two, so the division
keeps the granularity: by t = 1e-100 every bit was used, y*(1 - cos(x*y)) at (1e-3, 2e-3) -- multiples
of 4e-19 -- read as noiseless, and the refined Hessian was 3e-22 +- 7e-21 for 8e-12.)
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

import numpy as np

from difflab.errors import InputError

# Nodes of a table, in units of its spacing: irregular on purpose (fixed, so results are reproducible).
# Rounding along an arithmetic progression drifts linearly whenever the smooth increment is close to a
# whole number of ulps, and then every difference of order 2 and up is exactly 0: equally spaced
# tables missed the noise of 1 - cos(x) near 1e-3 in a third of the steps tried, these in none of 400.
NODES = np.array([-4.16, -3.11, -1.82, -0.89, 0.0, 0.9, 2.06, 2.81, 4.1])
NOISE_POINTS = NODES.size
NOISE_DIVISOR = 1000.0  # table spacing = step / this
SHORT_BITS = 8  # one repeated value with fewer significant bits is an exact short number: f constant
AGREE = 4.0  # three consecutive levels within this factor of each other: noise (More and Wild's test)


@lru_cache(maxsize=64)
def _residuals(nodes: tuple[float, ...]) -> np.ndarray:
    """Projectors (stacked) onto the residuals of least-squares polynomials of degree 0 .. m - 3."""
    t = np.array(nodes, dtype=float)
    t = (t - t.mean()) / np.ptp(t)  # well conditioned whatever the scale of the offsets
    return np.array([np.eye(t.size) - (v := np.vander(t, d + 1)) @ np.linalg.pinv(v)
                     for d in range(t.size - 2)])


def ecnoise_rows(values: np.ndarray, nodes: tuple[float, ...]) -> tuple[np.ndarray, np.ndarray]:
    """``ecnoise`` of every row of ``values`` (rows of f at ``nodes``), vectorised: (levels, flat)."""
    v = np.asarray(values, dtype=float)
    v = v - v[:, v.shape[1] // 2:v.shape[1] // 2 + 1]  # exact for close values: the fits' rounding is small
    dof = np.sqrt(v.shape[1] - 1 - np.arange(v.shape[1] - 2))
    levels = np.linalg.norm(np.einsum("dij,rj->rdi", _residuals(nodes), v), axis=2) / dof  # (rows, degree)
    windows = np.lib.stride_tricks.sliding_window_view(levels[:, 1:], 3, axis=1)  # from degree 1
    lo, hi = windows.min(axis=2), windows.max(axis=2)
    ok = (lo > 0) & (hi <= AGREE * lo)
    first = np.argmax(ok, axis=1)
    found = ok.any(axis=1) & np.all(np.isfinite(v), axis=1)
    level = np.where(found, hi[np.arange(len(v)), first], 0.0)
    return level, found & (levels[:, 0] <= AGREE * level)


def ecnoise(values: np.ndarray, nodes: tuple[float, ...] = tuple(NODES)) -> tuple[float, bool]:
    """The standard deviation of the noise in values of f at ``nodes`` along a line (0.0 when none is
    detected), and whether they are *flat*: their spread about the mean is no larger than that noise.

    Level d is the root mean square residual of the least-squares polynomial of degree d (per degree of
    freedom left): on equally spaced nodes that is ECnoise's normalised difference of order d + 1, and
    like it, it is the noise's standard deviation once the smooth part is below it. Three consecutive
    levels (from degree 1) within a factor AGREE: the largest of them.
    """
    v = np.asarray(values, dtype=float)
    if v.size != len(nodes) or v.size < 6 or not np.all(np.isfinite(v)):
        return 0.0, False
    level, flat = ecnoise_rows(v[None, :], nodes)
    return float(level[0]), bool(flat[0])


def table_points(x: np.ndarray, h: np.ndarray, centre: float, t: np.ndarray | None,
                 divisor: float = NOISE_DIVISOR) -> np.ndarray:
    """The points ``x + (centre + NODES/divisor) * h`` (plus i*t in every direction for complex step)."""
    X = x + np.outer(centre + NODES / divisor, h)
    return X + 1j * t if t is not None else X


def table_values(F: np.ndarray, t: np.ndarray | None) -> np.ndarray:
    """The tables' values as the stencils see them, one row per table: f, or Im f / t_min for complex
    step (the imaginary part sums t_i * df/dx_i, so per unit of the smallest t it is at least each
    term's noise)."""
    if t is not None:
        v = F.imag / float(np.min(t)) if np.iscomplexobj(F) else np.full(F.shape, np.nan)
    elif np.iscomplexobj(F):  # a complex value at a real point is outside the real domain
        v = np.where(F.imag != 0, np.nan, F.real)
    else:
        v = np.asarray(F, dtype=float)
    return v.reshape(-1, NOISE_POINTS)


def _call(fun: Callable, X: np.ndarray) -> np.ndarray:
    with np.errstate(all="ignore"):
        F = np.asarray(fun(X))
    if F.shape != (len(X),):
        raise InputError(f"fun must map an (m, n) array to m values; got shape {F.shape} "
                         f"for X of shape {X.shape}")
    return F


def settle(fun: Callable, x: np.ndarray, steps: list[np.ndarray], centre: float, t: np.ndarray | None,
           tables: np.ndarray, previous: list[float]) -> tuple[list[float], int]:
    """The noise per value of f at each step from its table's values (``noise_level``), and the
    evaluations spent on second looks.

    A *flat* table (no trend above its noise) may be noise, or a function that turns many times between
    nodes (sin(exp(sinh(x))) at 3 turns 4 radians per node at the first Hessian step): the two look
    alike at one spacing. Only those steps get a second table, 1000 times finer (a second call): an
    aliased function is smooth there, noise is not.
    """
    found = [noise_level(values, prev) for values, prev in zip(tables, previous, strict=True)]
    levels, flat = [level for level, _ in found], [k for k, (_, is_flat) in enumerate(found) if is_flat]
    if not flat:
        return levels, 0
    X = np.concatenate([table_points(x, steps[k], centre, t, NOISE_DIVISOR * 1000) for k in flat])
    for k, values in zip(flat, table_values(_call(fun, X), t), strict=True):
        levels[k] = noise_level(values, previous[k])[0]
    return levels, len(X)


def measure(fun: Callable, x: np.ndarray, steps: list[np.ndarray], centre: float, t: np.ndarray | None,
            previous: list[float]) -> tuple[list[float], int]:
    """``settle`` on tables at every step evaluated in one call: (levels, evaluations)."""
    X = np.concatenate([table_points(x, h, centre, t) for h in steps])
    levels, more = settle(fun, x, steps, centre, t, table_values(_call(fun, X), t), previous)
    return levels, len(X) + more


def granularity(values: np.ndarray) -> float:
    """The finest binary digit the values use: the smallest lowest set bit over their mantissas.

    Values computed as a difference of rounded intermediates are multiples of the intermediates' ulp,
    not of their own: 1 - cos(x) near 1e-3 is a multiple of 2**-53 (cos(x) just below 1) although its own
    ulp is 1e-22. That is rounding ECnoise can miss: along a table whose smooth increments are close to
    a whole number of such steps, the rounding errors drift linearly and the differences of order 2 and
    higher come out exactly 0 (a third of the tables of 1 - cos(x) near 1e-3). For values rounded once
    at their own size this is about their ulp, which the rounding model already counts. Values that are
    all one and the same number with fewer than SHORT_BITS significant bits (f = max(2, x) near 0 is
    2.0 throughout) say nothing: 0.0, as for no nonzero value at all. (Values that differ may each be
    a few quanta of pure noise: (x*y - sin(x*y))*1.37 near (0, 0).)"""
    v = np.abs(np.asarray(values, dtype=float))
    v = v[np.isfinite(v) & (v > 0)]
    mant, expo = np.frexp(v)
    ints = (mant * 2.0**53).astype(np.int64)
    low = np.ldexp((ints & -ints).astype(float), expo - 53)
    if v.size and np.all(v == v[0]):
        low = low[low <= v * 2.0**-SHORT_BITS]
    return float(low.min()) if low.size else 0.0


def noise_level(values: np.ndarray, previous: float) -> tuple[float, bool]:
    """The noise per value to use at this table's step: ECnoise's level, or half the values' granularity
    if larger (rounding that lines up along the table). Values all equal: f does not resolve the table's
    spacing (x - sin(x) at x = 2e-8 is one ulp of x throughout; x*y - sin(x*y) at (1e-3, 2e-3) moves by
    less than the ulp of x*y), which is no evidence that the noise went away: the larger of
    ``previous`` (the level at an earlier step) and half the granularity of that one value (its
    quantum: x*y - sin(x*y) is a multiple of the ulp of x*y). Also whether the table is flat."""
    values = np.asarray(values, dtype=float)
    if not np.all(np.isfinite(values)):
        return previous, False
    if np.all(values == values[0]):
        return max(previous, 0.5 * granularity(values)), False
    level, flat = ecnoise(values)
    return max(level, 0.5 * granularity(values)), flat
