"""The complex step through the special-function rows (mpmath kernels at complex points): the imaginary
part must be right relative to itself, or Im f(x + ih)/h is garbage (it was 1e+67 for erf)."""

from __future__ import annotations

import mpmath
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
