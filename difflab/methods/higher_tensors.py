"""Third derivatives of a function of n variables: the (n, n, n) tensor T[i, j, k] = d3f / dxi dxj dxk.

Routes ``(f, point) -> Routed`` (the registry pairs them with names):

* **symbolic**: the stable form's Hessian (upper triangle, as ``symbolic`` compiles it) differentiated
  once more for the entries i <= j <= k only -- T is symmetric, so n(n+1)(n+2)/6 of the n**3 entries
  are derived -- and compiled in one lambdify with common-subexpression elimination across entries.
* **forward**: three nested duals (``engines.jacobians.third``: forward over forward over forward, one
  pass with n**3 tangents), run again along the directions scaled by 3/4 and 5/4 (T scales by s**3
  exactly, the rounding of the tangents does not): four times the largest disagreement bounds the
  rounding, as Taylor mode's estimate does for one variable.
* **mpmath**: the exact third derivatives of the expression as written, evaluated with a running error
  bound to 50 digits (``expr.certified``, inside the hard budget) -- the reference.
* **finite differences**: f''' by ``fd_orders`` for one variable; for several, ``engines.fd_tensor``
  (tensor products of the same stencils, with the same kind of estimate).  Reverse mode (derivatives
  to order 2) and complex step (first derivatives) decline in words: a method that cannot give the
  tensor says so, never a wrong number.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable

import mpmath
import numpy as np
import sympy

from difflab.engines import fd_tensor, jacobians
from difflab.expr import budget, certified
from difflab.expr.compile import to_numpy
from difflab.expr.derivatives import compile_exprs, hessian_exprs, require_expression
from difflab.expr.function import Function
from difflab.methods.higher_routes import fd_derivatives, symbolic_derivatives
from difflab.methods.reference import ReferenceUnavailable
from difflab.methods.routes import Routed

EPS = float(np.finfo(float).eps)
REFERENCE_DPS = 50
SCALES = (0.75, 1.25)  # direction scales of the forward route's rounding check (s**3 exact in binary)


def unique_indices(n: int) -> list[tuple[int, int, int]]:
    """(i, j, k) with i <= j <= k: the entries a symmetric third-order tensor is made of."""
    return list(itertools.combinations_with_replacement(range(n), 3))


def _fill(n: int, values) -> np.ndarray:
    """The full symmetric tensor from its unique entries (every permutation of (i, j, k) gets the value)."""
    T = np.empty((n, n, n))
    for (i, j, k), v in zip(unique_indices(n), values, strict=True):
        for p in set(itertools.permutations((i, j, k))):
            T[p] = v
    return T


def third_exprs(f: Function, hessian_upper: list[sympy.Expr]) -> list[sympy.Expr]:
    """d/dx_k of H[i][j] for i <= j <= k, from the upper triangle of a Hessian (row by row)."""
    n = f.n
    upper = dict(zip(zip(*np.triu_indices(n), strict=True), hessian_upper, strict=True))
    return [sympy.diff(upper[int(i), int(j)], f.symbols[k]) for i, j, k in unique_indices(n)]


def symbolic_third(f: Function, x: np.ndarray) -> Routed:
    require_expression(f)
    if f.n == 1:  # one variable: f''' with removable points handled (the series of the singular analysis)
        return _as_tensor(symbolic_derivatives(f, x, 3))
    third_source(f)  # compiles (once) the entries i <= j <= k
    T = _fill(f.n, np.asarray(f.caches.compiled[3, "numpy"](*x), dtype=float).reshape(-1))
    return Routed(T, 8.0 * EPS * _scale(T), 1)


def third_source(f: Function) -> str:
    """The source lambdify generated for the entries i <= j <= k (reports show it)."""
    require_expression(f)
    cache = f.caches.compiled
    if (3, "numpy") not in cache:
        cache[3, "numpy"] = to_numpy(third_exprs(f, compile_exprs(f, 2)), f.symbols)
    return cache[3, "numpy"].source


def forward_third(f: Function, x: np.ndarray) -> Routed:
    """Nested duals give the six orders of differentiation of each entry separately; their mean is the
    symmetric tensor, and their spread joins the scaled runs' in the rounding estimate."""
    fn = f.ops
    raw = jacobians.third(fn, x)
    T = _symmetric(raw)
    spread = _spread(raw, T)
    for s in SCALES:
        def along(v, s=s):
            return fn(x + s * (v - x))  # tangents scaled by s exactly; the value part stays x
        spread = np.maximum(spread, np.abs(T - _symmetric(jacobians.third(along, x)) / s**3))
    return Routed(T, 4.0 * spread + 16.0 * EPS * _scale(T), 3)


PERMUTATIONS = tuple(itertools.permutations(range(3)))


def _symmetric(T: np.ndarray) -> np.ndarray:
    """The mean over the six index orders, filled from the entries i <= j <= k (exactly symmetric)."""
    mean = sum(np.transpose(T, p) for p in PERMUTATIONS) / len(PERMUTATIONS)
    return _fill(T.shape[0], [mean[i, j, k] for i, j, k in unique_indices(T.shape[0])])


def _spread(T: np.ndarray, mean: np.ndarray) -> np.ndarray:
    return np.max([np.abs(np.transpose(T, p) - mean) for p in PERMUTATIONS], axis=0)


def mpmath_third(f: Function, x: np.ndarray, dps: int = REFERENCE_DPS) -> Routed:
    require_expression(f)
    if "third_written" not in f.caches.derivatives:
        H = hessian_exprs(f)
        f.caches.derivatives["third_written"] = third_exprs(f, [H[i][j] for i, j in zip(*np.triu_indices(f.n),
                                                                                       strict=True)])
    exprs = [f.expr, *f.caches.derivatives["third_written"]]
    where = ", ".join(f"{n}={float(v)!r}" for n, v in zip(f.variables, x, strict=True))
    try:
        values = budget.within(budget.settings()["total"], certified.evaluate, exprs, list(f.symbols),
                               [float(v) for v in x], dps, 1)
    except (certified.TooLarge, certified.Unresolved, budget.OverBudget) as err:
        raise ReferenceUnavailable(f"the exact third derivatives could not be made sure at {where}: {err}") \
            from None
    if not all(isinstance(v, mpmath.mpf) and mpmath.isfinite(v) for v in values):
        raise ReferenceUnavailable(f"the exact third derivatives have no finite value at {where} (a pole, a "
                                   "point outside the domain, or an unresolved 0/0)")
    T = _fill(f.n, [float(v) for v in values[1:]])
    return Routed(T, 0.5 * EPS * np.abs(T), 0)


def fd_third(scheme: str) -> Callable:
    """One variable: f''' by ``fd_orders``; several: ``fd_tensor`` (tensor products of its stencils)."""
    one = fd_derivatives(scheme)

    def route(f: Function, x: np.ndarray) -> Routed:
        if f.n == 1:
            return _as_tensor(one(f, x, 3))
        r = fd_tensor.third_tensor(f.batch, x, scheme)
        return Routed(r.value, r.error, r.nfev, r.status)
    return route


def declined(words: str) -> Callable:
    def route(f: Function, x: np.ndarray) -> Routed:
        shape = (f.n, f.n, f.n)
        return Routed(np.full(shape, np.nan), np.full(shape, np.nan), 0, words)
    return route


def _as_tensor(r: Routed) -> Routed:
    value = np.asarray(r.value, dtype=float)[3].reshape(1, 1, 1)
    error = None if r.error is None else np.asarray(r.error, dtype=float)[3].reshape(1, 1, 1)
    return Routed(value, error, r.nfev, r.status)


def _scale(T: np.ndarray) -> float:
    """The tensor's largest entry: rounding in a sum of terms of this size reaches every entry."""
    return float(np.max(np.abs(T))) if T.size and np.all(np.isfinite(T)) else 0.0
