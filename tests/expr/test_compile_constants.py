"""Constants in compiled code: calls SymPy evaluates into functions NumPy has no kernel for."""

from __future__ import annotations

import mpmath
import pytest

import difflab as dl


def test_constant_calls_numpy_lacks_compile_to_their_value():
    # SymPy turns polygamma(2, 1) into -2*zeta(3); NumPy has no zeta, and the compiled function raised
    # NameError (found by the several-variable property run). Truth: mpmath's polygamma.
    f = dl.Function("polygamma(2, 1)*x + polygamma(4, 1)*x**2")
    want = float(mpmath.polygamma(2, 1) * 1.5 + mpmath.polygamma(4, 1) * 2.25)
    assert f.value([1.5]) == pytest.approx(want, rel=1e-15)
    est = dl.gradient(f, [1.5], method="symbolic")
    slope = float(mpmath.polygamma(2, 1) + 3 * mpmath.polygamma(4, 1))
    assert est.ok and est.value[0] == pytest.approx(slope, rel=1e-15)


def test_symbolic_orders_that_swell_stop_at_the_budget():
    # each derivative of sin(exp(sinh(x*cos(x))))/(1+x**2) multiplies its size: order 10 ran past two
    # minutes with no word; now the budget stops SymPy and the status says so (nan, never a number)
    import numpy as np

    from difflab.expr.budget import limits

    with limits(seconds=0.5):
        f = dl.Function("sin(exp(sinh(x*cos(x))))/(1+x**2)")
        est = dl.derivatives(f, 1.0, 10, method="symbolic")
    assert not est.ok and "budget" in est.status and "Taylor mode" in est.status
    assert np.isnan(est.value).all()
