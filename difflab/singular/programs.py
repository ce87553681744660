"""What the AD engines differentiate near a removable singularity: the same stable program the symbolic
route compiles, written over ``difflab.numpy`` -- never the raw formula, which cancels there.

(x - sin 2x)/(x + sin 3x) at x = 1e-6: forward mode on the formula gave f' off by 6e-4 relative with
status ok, because the formula itself loses ten digits there; its Taylor polynomial does not. So at a
point inside a branch of ``singular.analysis`` (one variable) or ``singular.several`` (several), the
engines get:

* one variable: the cancelled form (``factor``) as a program, or the branch's Taylor polynomial in
  h = x - c (Horner, over traced values) when the point is inside the radius where it holds for every
  derivative order asked -- so AD of it gives the same polynomials the symbolic branches evaluate;
* several variables: the cancelled form, or phi(g(x)) with phi's own one-variable program at
  u = g(x) (the substitution);
* otherwise None: the engines differentiate the formula, and the route says so when the point is near a
  set where it cancels (``several.formula_cancels``).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from difflab.expr.compile import to_ops
from difflab.expr.function import Function
from difflab.singular.analysis import N_TERMS, analyze, point_at
from difflab.singular.series import poly_coefficients
from difflab.singular.several import raised_u, singular_sets

Program = Callable[[object], object]


def _cached(f: Function, key: str, build: Callable[[], Program]) -> Program:
    cache = f.caches.compiled
    if (-1, key) not in cache:
        cache[-1, key] = build()
    return cache[-1, key]


def _polynomial(a: np.ndarray, c: float, lo: float) -> Program:
    coefficients = [float(v) for v in a]

    def run(v):
        h = (v[0] - c) - lo
        acc = coefficients[-1] + 0.0 * h
        for coef in coefficients[-2::-1]:
            acc = acc * h + coef
        return acc
    return run


def _one_variable(f: Function, x: float, order: int) -> Program | None:
    if not analyze(f).points:
        return None
    p, exact = point_at(f, x)
    if p is None or p.kind != "removable":
        return None
    if p.factored is not None:
        ops = _cached(f, f"factored at {p.center}", lambda: to_ops(p.factored, f.symbols))
        return lambda v: ops(v[0])
    c = p.value
    lo = float((p.center - p.value).evalf(30))
    if not exact and abs(x - c) >= min(p.radius.get(k, 0.0) for k in range(order + 1)):
        return None
    return _cached(f, f"taylor at {p.center}", lambda: _polynomial(
        poly_coefficients(p.coeffs, 0)[:N_TERMS], c, lo))


def program_at(f: Function, point: np.ndarray, order: int) -> Program | None:
    """A program over ``difflab.numpy`` (taking the vector of variables) equal to f near ``point`` and
    stable there, for derivatives up to ``order``; None where the formula itself is fine to trace."""
    if f.expr is None:
        return None
    if f.n == 1:
        return _one_variable(f, float(point[0]), order)
    sev = singular_sets(f)
    if not sev.factors or not sev.near([np.array([v]) for v in point])[0]:
        return None
    if sev.substitution is not None:
        sub = sev.substitution
        g = _cached(f, "substitution", lambda: to_ops(sub.g, f.symbols))
        x0 = [float(v) for v in point]
        g0 = float(np.real(g(*x0)))
        # where g cancels in doubles, u = (g(v) - g(x0)) + u0 with u0 at raised precision: the primal is
        # u0 exactly (the bracket is 0 at x0), the derivatives are those of g
        u0 = g0 if sub.accurate else raised_u(f, sub, x0)
        inner = _one_variable(sub.phi, u0, order)
        outer = inner if inner is not None else sub.phi.ops
        return lambda v: outer([(g(*[v[i] for i in range(f.n)]) - g0) + u0])
    if sev.cancelled is not None and all(fa.expr in sev.removed for fa in sev.factors if not fa.pole):
        ops = _cached(f, "cancelled", lambda: to_ops(sev.cancelled, f.symbols))
        return lambda v: ops(*[v[i] for i in range(f.n)])
    return None
