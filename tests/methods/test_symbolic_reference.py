"""Symbolic derivatives and the mpmath reference, against closed forms and the seed's numbers."""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest
import sympy

import difflab as dl
from difflab.methods import symbolic
from difflab.methods.reference import (
    ReferenceUnavailable,
    reference_gradient,
    reference_hessian,
    reference_value,
)


@pytest.fixture(autouse=True)
def _high_precision():
    """Comparisons with the reference happen at 60 digits, not mpmath's default 15."""
    with mpmath.workdps(60):
        yield


SEED_F = "x**4 + 0.8*y**4 + 4*x**2 + 2*y**2 - x*y - 0.2*x**2*y"


def test_seed_gradient_and_hessian_at_4_4():
    """Seed 000, Newton's method in 2-D: grad f(4,4) = (277.6, 213.6), H = [[198.4, -2.6], [-2.6, 157.6]]."""
    f = dl.Function(SEED_F)
    assert np.allclose(dl.gradient(f, [4, 4]).value, [277.6, 213.6], rtol=1e-15, atol=0)
    assert np.allclose(dl.hessian(f, [4, 4]).value, [[198.4, -2.6], [-2.6, 157.6]], rtol=1e-14, atol=0)
    ref = reference_gradient(f, [4, 4])
    assert abs(ref[0] - mpmath.mpf("277.6")) < mpmath.mpf("1e-45")
    assert abs(ref[1] - mpmath.mpf("213.6")) < mpmath.mpf("1e-45")
    H = reference_hessian(f, [4, 4])
    assert abs(H[0][1] - mpmath.mpf("-2.6")) < mpmath.mpf("1e-45") and H[0][1] == H[1][0]


def test_derivative_expressions_match_sympy_diff():
    f = dl.Function("exp(x)*sin(y) + x**3*y")
    x, y = f.symbols
    expected = [sympy.exp(x) * sympy.sin(y) + 3 * x**2 * y, sympy.exp(x) * sympy.cos(y) + x**3]
    for got, want in zip(symbolic.gradient_exprs(f), expected, strict=True):
        assert sympy.simplify(got - want) == 0
    H = symbolic.hessian_exprs(f)
    assert sympy.simplify(H[0][1] - H[1][0]) == 0
    assert sympy.simplify(H[1][1] + sympy.exp(x) * sympy.sin(y)) == 0


def test_generated_source_uses_cse():
    """The compiled gradient is lambdify's source with common subexpressions pulled out (shown by --verbose)."""
    source = symbolic.generated_source(dl.Function("exp(x*y)*sin(x*y) + exp(x*y)"), order=1)
    assert "def " in source and "x0" in source
    assert "simplify" not in source


def test_compiled_gradient_broadcasts_over_arrays():
    f = dl.Function("x**2*y")
    g = symbolic.compile_gradient(f)
    xs, ys = np.array([1.0, 2.0, 3.0]), np.array([4.0, 5.0, 6.0])
    dx, dy = g(xs, ys)
    assert np.array_equal(dx, 2 * xs * ys) and np.array_equal(dy, xs**2)


def test_saturated_log_loss_reference_is_800():
    """SymPy's default evalf gives 317 here; a fixed 50 digits gives inf; the adaptive reference gives 800."""
    f = dl.Function("-log(1 - 1/(1 + exp(-z)))")
    value = reference_value(f, [800.0])
    assert abs(value - (800 + mpmath.log1p(mpmath.exp(-800)))) < mpmath.mpf("1e-40")
    grad = reference_gradient(f, [800.0])[0]          # d/dz = sigmoid(z) = 1 - e^-800 + ...
    assert abs(grad - 1 / (1 + mpmath.exp(-800))) < mpmath.mpf("1e-45")
    # SymPy's own default evalf really is wrong here (what the reference protects against):
    z = sympy.Symbol("z")
    naive = (-sympy.log(1 - 1 / (1 + sympy.exp(-z)))).subs(z, 800).evalf()
    assert abs(float(naive) - 800) > 1


def test_reference_at_the_exact_binary_point():
    """0.1 is not 1/10 in binary: the reference differentiates at the double that the user's 0.1 became."""
    f = dl.Function("x**2")
    got = reference_gradient(f, [0.1])[0]
    assert got == 2 * mpmath.mpf(0.1)                  # exact: 2 * (the double nearest 0.1)
    assert got != mpmath.mpf("0.2")


def test_reference_hessian_closed_form():
    f = dl.Function("sin(x)*cosh(y)")
    H = reference_hessian(f, [0.3, -1.1])
    x, y = mpmath.mpf(0.3), mpmath.mpf(-1.1)
    assert abs(H[0][0] + mpmath.sin(x) * mpmath.cosh(y)) < mpmath.mpf("1e-45")
    assert abs(H[0][1] - mpmath.cos(x) * mpmath.sinh(y)) < mpmath.mpf("1e-45")
    assert abs(H[1][1] - mpmath.sin(x) * mpmath.cosh(y)) < mpmath.mpf("1e-45")


def test_reference_refuses_outside_the_domain_and_at_poles():
    with pytest.raises(ReferenceUnavailable, match=r"x=-1.0 is outside the domain of the function"):
        reference_gradient(dl.Function("log(x)"), [-1.0])
    with pytest.raises(ReferenceUnavailable, match=r"the reference has no value at x=0.0: x=0 is a pole "
                       r"\(f -> -inf from the left, \+inf from the right\)"):
        reference_gradient(dl.Function("1/x"), [0.0])


def test_methods_say_outside_the_domain_in_words():
    for method in ("symbolic", "forward", "reverse", "complex-step", "mpmath", "fd-central"):
        est = dl.gradient(dl.Function("log(x)"), [-1.0], method=method)
        assert est.status != "ok", method
        assert any(word in est.status for word in ("domain", "nan", "not finite")), est.status


def test_integer_point_symbolic_is_float():
    """Integer inputs are cast to float: x**-1 at the integer 2 is 0.5's derivative -0.25, not a ZeroDivision."""
    est = dl.gradient(dl.Function("x**(-1) + 1/y"), [2, 4])
    assert est.value.dtype == np.float64
    assert np.array_equal(est.value, [-0.25, -1 / 16])


def test_hessian_of_callable_traced_through_sympy():
    import difflab.numpy as dnp

    f = dl.Function(lambda a, b: dnp.exp(a * b))
    H = dl.hessian(f, [0.5, 2.0]).value
    e = math.exp(1.0)
    assert np.allclose(H, [[4 * e, e + 1.0 * e], [2 * e, 0.25 * e]], rtol=1e-14, atol=0)
