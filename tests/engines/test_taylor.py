"""Taylor mode against mpmath: derivatives of order up to 10, generic over every row of the table."""

from __future__ import annotations

import mpmath
import numpy as np
import pytest

import difflab as dl
import difflab.numpy as dnp
from difflab.engines import taylor
from difflab.errors import InputError
from difflab.primitives.table import RULES

mp = mpmath.mp

# (expression text, the same function written directly in mpmath, points): smooth at those points and
# free of the cancellation a quotient's series suffers (see test_quotient_cancellation_is_measured)
SMOOTH = [
    ("exp(x)*sin(x)", lambda x: mp.exp(x) * mp.sin(x), (0.7, -1.3, 2.0)),
    ("sin(sin(sin(x)))", lambda x: mp.sin(mp.sin(mp.sin(x))), (0.7, 2.3)),
    ("1/(1 + x**2)", lambda x: 1 / (1 + x**2), (0.7, -2.3)),
    ("tanh(x)", mp.tanh, (0.7, 0.2, 3.0)),
    ("sqrt(1 + x**2)", lambda x: mp.sqrt(1 + x**2), (0.7, 1.9)),
    ("log(1 + x)/(2 + cos(x))", lambda x: mp.log(1 + x) / (2 + mp.cos(x)), (0.7,)),
    ("atan(x)*sigmoid(x)", lambda x: mp.atan(x) / (1 + mp.exp(-x)), (0.7, -0.4)),
    ("softplus(x) - log_sigmoid(-x)", lambda x: mp.log(1 + mp.exp(x)) + mp.log(1 + mp.exp(x)), (0.7, -2.0)),
    ("x**3.5", lambda x: x ** mp.mpf(3.5), (0.7, 2.3)),
    ("x**x", lambda x: x**x, (0.7, 1.9)),
    ("log1p(x**2)*exp(-x)", lambda x: mp.log(1 + x**2) * mp.exp(-x), (0.7, 2.3)),
    ("tan(x)", mp.tan, (0.7,)),
    ("cosh(x)*sinh(2*x) - expm1(x)", lambda x: mp.cosh(x) * mp.sinh(2 * x) - mp.expm1(x), (0.7,)),
]


def reference(fn, x: float, k: int) -> np.ndarray:
    with mp.workdps(60):
        coeffs = mpmath.taylor(fn, mpmath.mpf(x), k)
        return np.array([float(c * mpmath.factorial(j)) for j, c in enumerate(coeffs)])


def rel(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-300)))


@pytest.mark.parametrize("text, fn, points", SMOOTH, ids=[c[0] for c in SMOOTH])
def test_order_10_within_1e12_of_mpmath(text, fn, points):
    f = dl.Function(text)
    for x in points:
        got = taylor.derivatives(f.ops, [x], 10)
        assert rel(got, reference(fn, x, 10)) <= 1e-12, (text, x)


def test_every_smooth_elementwise_row_to_order_8():
    """Every unary row with an mpmath twin, composed with a polynomial so every coefficient matters."""
    names = [r.name for r in RULES.values() if r.arity == 1 and r.jvp is not None and r.mpmath is not None
             and r.name not in ("abs",)]
    assert len(names) >= 12
    for name in names:
        rule = RULES[name]
        x0 = {"log": 1.3, "sqrt": 1.3, "log1p": 0.4, "tan": 0.3}.get(name, {"gt_one": 1.5}.get(rule.domains()[0], 0.6))

        def fn(v, rule=rule):
            return dnp.apply(rule, 0.5 * v[0] + 0.25 * v[0] * v[0])

        def ref(x, rule=rule):
            return rule.mpmath(mpmath.mpf(0.5) * x + mpmath.mpf(0.25) * x * x)

        got = taylor.derivatives(fn, [x0], 8)
        assert rel(got, reference(ref, x0, 8)) <= 1e-12, name


def test_shape_changing_rows_take_the_jvp_series():
    """sum, matmul and getitem are not elementwise: their series come from their own jvp."""
    A = np.array([[1.0, 2.0], [0.5, -1.0]])

    def fn(v):
        u = dnp.stack([dnp.sin(v[0]), dnp.exp(v[0])])
        return dnp.sum(dnp.matmul(A, u) ** 2)

    def ref(x):
        u = [mp.sin(x), mp.exp(x)]
        return sum((A[i, 0] * u[0] + A[i, 1] * u[1]) ** 2 for i in range(2))

    assert rel(taylor.derivatives(fn, [0.3], 7), reference(ref, 0.3, 7)) <= 1e-12


def test_directional_derivatives_of_several_variables():
    """d^k/dt^k f(x + t v) against mpmath along the line."""
    f = dl.Function("exp(x*y)*cos(y)")
    x, v = np.array([0.3, -0.8]), np.array([0.6, 1.1])
    got = taylor.directional(f.ops, x, v, 6)

    def line(t):
        a, b = x[0] + t * v[0], x[1] + t * v[1]
        return mp.exp(a * b) * mp.cos(b)
    assert rel(got, reference(line, 0.0, 6)) <= 1e-12


def test_quotient_cancellation_is_measured():
    """(e^x - 1)/x's series loses digits at high order (Leibniz terms of 1/x grow like k!/x^k); the
    method's error estimate (two scalings of the input series) must cover the loss."""
    f = dl.Function("expm1(x)/x")
    est = dl.derivatives(f, 0.7, 10, method="forward")
    truth = reference(lambda x: mp.expm1(x) / x, 0.7, 10)
    assert np.all(np.abs(est.value - truth) <= est.error_estimate)
    assert est.error_estimate[10] > 1e-12 * abs(truth[10])  # it does say the digits are lost


def test_constant_function_and_bad_orders():
    assert taylor.derivatives(lambda v: 3.0, [1.0], 3).tolist() == [3.0, 0.0, 0.0, 0.0]
    with pytest.raises(InputError, match="the order must be a non-negative integer; got -1"):
        taylor.derivatives(lambda v: v[0], [1.0], -1)
    with pytest.raises(InputError, match="Taylor mode goes up to order 40; got 41"):
        taylor.derivatives(lambda v: v[0], [1.0], 41)
    with pytest.raises(InputError, match="derivatives of order k need one variable"):
        taylor.derivatives(lambda v: v[0], [1.0, 2.0], 3)


def test_kinked_rows_follow_the_branch_at_the_point():
    """|x| and max are elementwise with a piecewise derivative: the series of the branch taken."""
    got = taylor.derivatives(dl.Function("abs(x)*x**3 + max(x, 0.3)").ops, [-0.5], 5)
    # -x**4 + 0.3 near x = -0.5
    assert np.allclose(got, [-(0.5**4) + 0.3, 4 * 0.125, -12 * 0.25, 24 * 0.5, -24, 0], rtol=1e-14, atol=0)
