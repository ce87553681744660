"""The SymEngine accelerator (extra ``difflab[fast]``) gives exactly the derivatives SymPy's route gives.

Both routes run in one process (``fast.use(False)`` turns SymEngine off); skipped without symengine.
"""

import numpy as np
import pytest
import sympy

import difflab as dl
from difflab.expr import fast
from difflab.expr.derivatives import Differentiator

pytest.importorskip("symengine")

CORPUS = ["exp(x)*sin(y) + x**3*y", "log(x**2 + y**2) * atan(y/x)", "sqrt(x*y + 1) / (1 + x**2)",
          "tanh(x*y)**3 + cosh(x - y)*sinh(x)", "(x + y)**(3/2) * exp(-x**2/2)",
          "asin(x/2)*acos(y/3) + tan(x*y)", "1/(x - y)**2 + 4*x*y**-3", "log(x, 2)*x**(-1/3)"]


def rosenbrock(n: int) -> str:
    return "+".join(f"100*(x{i + 1}-x{i}**2)**2+(1-x{i})**2" for i in range(1, n))


@pytest.mark.parametrize("text", CORPUS)
def test_term_partials_are_sympys_expressions(text):
    """First and second partials of every term, SymEngine against SymPy's rules (sympy.diff's forms)."""
    f = dl.Function(text)
    d, te = Differentiator(f.symbols), fast.TermDifferentiator(f.symbols)
    for term in (f.expr.args if f.expr.is_Add else (f.expr,)):
        assert fast.supported(term)
        first = te.partials(term, d._variables(term))
        assert first == d.partials(term)
        assert first == {s: sympy.diff(term, s) for s in first}
        for g in first.values():
            for t in (g.args if g.is_Add else (g,)):
                assert te.partials(t, d._variables(t)) == d.partials(t)


@pytest.mark.parametrize("text", ["abs(x)*y", "max(x, y)**2", "x**y", "sigmoid(x)*y", "pi*x", "E**x"])
def test_heads_that_differ_or_are_difflabs_own_stay_with_sympy(text):
    f = dl.Function(text)
    assert not fast.supported(f.expr)


def test_both_routes_give_identical_gradients_hessians_and_values():
    """A Rosenbrock sum large enough for the accelerator: identical expressions, identical floats."""
    text, n = rosenbrock(120), 120
    names = [f"x{i}" for i in range(1, n + 1)]
    x = np.linspace(-1.2, 1.2, n)
    out = {}
    for on in (False, True):
        with fast.use(on):
            f = dl.Function(text, variables=names)
            assert fast.large(f.expr) and fast.available() == on
            g = dl.gradient(f, x, method="symbolic").value
            H = dl.hessian(f, x, method="symbolic").value
            out[on] = (dl.expr.derivatives.gradient_exprs(f), g, H)
    assert out[True][0] == out[False][0]
    assert np.array_equal(out[True][1], out[False][1]) and np.array_equal(out[True][2], out[False][2])
    # and both are the analytic gradient (scipy's rosen_der formula)
    der = np.zeros(n)
    der[1:-1] = 200 * (x[1:-1] - x[:-2] ** 2) - 400 * (x[2:] - x[1:-1] ** 2) * x[1:-1] - 2 * (1 - x[1:-1])
    der[0], der[-1] = -400 * x[0] * (x[1] - x[0] ** 2) - 2 * (1 - x[0]), 200 * (x[-1] - x[-2] ** 2)
    assert np.max(np.abs(out[True][1] - der)) <= 1e-12 * np.max(np.abs(der))
