"""Property: removable constructions of several variables built from random analytic pieces are
evaluated right near their singular set -- value, gradient and Hessian against the mpmath reference
(the formula at raised precision with a running error bound, an independent oracle off the set).

Constructions (h, g drawn by ``difflab.strategies.expressions``, smooth rows only, so analytic):

* the divided difference (h(x, y) - h(a, y))/(x - a), singular on the line x = a;
* sin(g - g0)/(g - g0) with g0 = g(a, b), singular on the level set of g through (a, b).
"""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
import sympy
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import difflab as dl
from difflab.methods.reference import (
    ReferenceUnavailable,
    reference_gradient,
    reference_hessian,
    reference_value,
)
from difflab.testing.strategies import expressions

X, Y = sympy.Symbol("x", real=True), sympy.Symbol("y", real=True)
DISTANCES = (1e-2, 1e-5, 1e-9, 1e-12)
PIECES = expressions(variables=("x", "y"), max_depth=2, allow_constants=True)


def _within(got, truth, tol: float = 1e-10) -> bool:
    """Entrywise relative error <= tol, an entry's floor being 1e-12 of the largest (exact zeros)."""
    got = np.ravel(np.asarray(got, dtype=float))
    truth = [mpmath.mpf(t) for t in truth]
    scale = max([abs(t) for t in truth] + [mpmath.mpf(10) ** -300])
    for g, t in zip(got, truth, strict=True):
        if not np.isfinite(g):
            return False
        if abs(mpmath.mpf(g) - t) > tol * max(abs(t), mpmath.mpf(10) ** -12 * scale):
            return False
    return True


def _check(expr: sympy.Expr, point: list[float]) -> None:
    f = dl.Function(expr, variables=["x", "y"])
    try:
        truth = (reference_value(f, point), reference_gradient(f, point),
                 [v for row in reference_hessian(f, point) for v in row])
    except ReferenceUnavailable:
        assume(False)  # outside the domain of a drawn piece, or beyond the reference's magnitude cap
    assume(all(abs(v) < mpmath.mpf(10) ** 200 for v in [truth[0], *truth[1], *truth[2]]))
    assert _within([f.value(point)], [truth[0]]), (expr, point)
    for method in ("symbolic", "forward", "reverse"):
        for est, want in ((dl.gradient(f, point, method=method), truth[1]),
                          (dl.hessian(f, point, method=method), truth[2])):
            if est.ok:
                assert _within(est.value, want), (expr, point, method, est.value)
            else:  # the engines traced the formula: they must say so and estimate the error they made
                assert "0/0" in est.status, (expr, point, method, est.status)
                if np.all(np.isnan(est.value)):  # exactly on the set in doubles: withheld, said in words
                    continue
                actual = np.abs(np.ravel(est.value) - np.array([float(t) for t in want]))
                assert np.all(np.ravel(est.error_estimate) >= 0.5 * actual), (expr, point, method)


def _divided_difference(h: sympy.Expr, a: sympy.Rational) -> sympy.Expr:
    return (h - h.subs(X, a)) / (X - a)


def _sinc_of(g: sympy.Expr, a, b) -> sympy.Expr:
    u = g - g.subs({X: a, Y: b})
    return sympy.sin(u) / u


CONSTRUCTIONS = st.one_of(
    st.tuples(st.just("divided"), PIECES, st.sampled_from([0, 1, sympy.Rational(-1, 2)]), st.just(0)),
    st.tuples(st.just("sinc"), PIECES, st.sampled_from([0, sympy.Rational(1, 2)]),
              st.sampled_from([1, sympy.Rational(-3, 4)])),
)


def _property(case, distance, sign):
    kind, piece, a, b = case
    expr = _divided_difference(piece, a) if kind == "divided" else _sinc_of(piece, a, b)
    assume(expr.has(X) and expr.has(Y) and expr.is_finite is not True and expr.free_symbols <= {X, Y})
    y0 = 0.75 if kind == "divided" else float(b)
    _check(expr, [float(a) + sign * distance, y0])


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                HealthCheck.filter_too_much])
@given(CONSTRUCTIONS, st.sampled_from(DISTANCES), st.sampled_from([1.0, -1.0]))
def test_generated_removable_constructions_near_the_set(case, distance, sign):
    _property(case, distance, sign)


@pytest.mark.slow
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.filter_too_much])
@given(CONSTRUCTIONS, st.sampled_from(DISTANCES), st.sampled_from([1.0, -1.0]))
def test_generated_removable_constructions_near_the_set_many(case, distance, sign):
    _property(case, distance, sign)
