"""The complex step through the special-function rows (mpmath kernels at complex points): the imaginary
part must be right relative to itself, or Im f(x + ih)/h is garbage (it was 1e+67 for erf)."""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
from rulecheck import rel

import difflab as dl

CASES = [("erf(x)", mpmath.erf), ("erfc(x)", mpmath.erfc), ("gamma(x)", mpmath.gamma),
         ("lgamma(x)", mpmath.loggamma), ("digamma(x)", mpmath.digamma),
         ("polygamma(2, x)", lambda v: mpmath.polygamma(2, v))]


@pytest.mark.parametrize(("text", "mp_fn"), CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize("x", [0.3, 1.0, 2.7])
def test_complex_step_gradient_matches_mpmath(text, mp_fn, x):
    with mpmath.workdps(40):
        truth = float(mpmath.diff(mp_fn, mpmath.mpf(x)))
    est = dl.gradient(dl.Function(text), [x], method="complex-step")
    assert est.status == "ok" and rel(est.value[0], truth) <= 1e-14, (est.value, truth)


def test_complex_step_through_hypot_and_its_compiled_form():
    """sqrt(a**2 + b**2) compiles to hypot; the complex step must get through it (it raised TypeError)."""
    x = 1.0
    a, b = x, np.log(x * x + 1)
    truth = (a + b * 2 * x / (x * x + 1)) / np.hypot(a, b)
    for text in ("sqrt(x**2 + log(x**2 + 1)**2)", "hypot(x, log(x**2 + 1))"):
        est = dl.gradient(dl.Function(text), [x], method="complex-step")
        assert est.status == "ok" and rel(est.value[0], truth) <= 1e-15, (text, est.value)


def test_cbrt_of_an_argument_sympy_cannot_prove_real():
    """cbrt(asin(u)**2 + 1): x*|x|**(-2/3) as its SymPy twin left Derivative(sign(.), x) in the Hessian
    (the reference crashed); the class real_cbrt differentiates to 1/(3 cbrt**2). At x = 0 the Hessian
    is 2 (9/10)**2 / 3 = 0.54 (u = 9x/10 + O(x**3), cbrt(1 + t) = 1 + t/3 + ...)."""
    f = dl.Function("cbrt(asin(9*x/(10*(x**2 + 1)))**2 + 1)")
    for method in ("symbolic", "forward", "reverse", "complex-step", "mpmath"):
        est = dl.hessian(f, [0.0], method=method)
        tolerance = 1e-9 if method == "complex-step" else 1e-14  # its Hessian differences the step
        assert est.status == "ok" and rel(est.value[0, 0], 0.54) <= tolerance, (method, est.value)
