"""Finite differences of order k: accuracy and estimates that are never below the true error (mpmath)."""

from __future__ import annotations

import mpmath
import numpy as np
import pytest

from difflab.engines import fd_orders
from difflab.errors import InputError

mp = mpmath.mp

CASES = [
    (lambda x: np.exp(x) * np.sin(x), lambda x: mp.exp(x) * mp.sin(x)),
    (lambda x: np.sin(np.sin(np.sin(x))), lambda x: mp.sin(mp.sin(mp.sin(x)))),
    (lambda x: 1 / (1 + x**2), lambda x: 1 / (1 + x**2)),
    (np.tanh, mp.tanh),
    (lambda x: np.sqrt(1 + x**2), lambda x: mp.sqrt(1 + x**2)),
    (lambda x: np.log1p(x**2) * np.exp(-x), lambda x: mp.log(1 + x**2) * mp.exp(-x)),
    (lambda x: np.cos(x) ** 2, lambda x: mp.cos(x) ** 2),
    (lambda x: 1e6 * x**2, lambda x: 1e6 * x**2),
]
POINTS = (0.7, 2.3, -0.4, 1.9)
# orders up to which each scheme's estimate is tested (measured beyond: see the module docstring)
TESTED = {"central": 10, "five-point": 9, "richardson": 7, "forward": 5, "backward": 5}


def truth(fn, x: float, k: int) -> np.ndarray:
    with mp.workdps(60):
        return np.array([float(c * mpmath.factorial(j)) for j, c in enumerate(mpmath.taylor(fn, mpmath.mpf(x), k))])


@pytest.mark.parametrize("scheme", list(TESTED))
def test_error_estimates_cover_the_true_error(scheme):
    top = TESTED[scheme]
    for fn, ref in CASES:
        for x in POINTS:
            r = fd_orders.derivatives(lambda X, fn=fn: fn(X[:, 0]), x, top, scheme)
            err = np.abs(r.value - truth(ref, x, top))
            assert np.all(err <= r.error), (scheme, x, np.flatnonzero(err > r.error), err, r.error)


def test_accuracy_orders_of_magnitude():
    """Richardson keeps ~10 digits at order 3 on exp(x) sin(x); central ~6; forward ~3."""
    fn, ref = CASES[0]
    exact = truth(ref, 0.7, 3)
    rel = {s: abs(fd_orders.derivatives(lambda X: fn(X[:, 0]), 0.7, 3, s).value[3] - exact[3]) / abs(exact[3])
           for s in ("forward", "central", "richardson")}
    assert rel["richardson"] < 1e-9 and rel["central"] < 1e-5 and rel["forward"] < 1e-2
    assert rel["richardson"] < rel["central"] < rel["forward"]


def test_stencils_are_exact_for_polynomials():
    """A stencil for order d with truncation order p is exact for degree < d + p: x**4 - 2x has its 4th
    derivative (24) right from every scheme, and all four from the order-4 and order-8 ones."""
    for scheme in fd_orders.ORDER_SCHEMES:
        r = fd_orders.derivatives(lambda X: X[:, 0] ** 4 - 2 * X[:, 0], 1.5, 4, scheme)
        assert abs(r.value[4] - 24) <= max(r.error[4], 1e-6), scheme
        if scheme in ("five-point", "richardson"):
            assert np.allclose(r.value[1:], [4 * 1.5**3 - 2, 12 * 1.5**2, 24 * 1.5, 24], rtol=1e-8), scheme


def test_a_fast_oscillation_is_not_in_the_asymptotic_range():
    """sin(1000 x): steps near 0.1 sample many periods; no difference of them bounds the error, so the
    status says it and the estimate is infinite rather than small."""
    r = fd_orders.derivatives(lambda X: np.sin(1000 * X[:, 0]), 0.7, 4, "central")
    assert "not in the asymptotic range" in r.status
    assert np.isinf(r.error[-1])


def test_nan_probe_and_bad_input():
    r = fd_orders.derivatives(lambda X: np.log(X[:, 0]), 1e-3, 3, "central")
    assert r.status.startswith("the probe at x = ") and "nan" in r.status and np.all(np.isnan(r.value))
    with pytest.raises(InputError, match="finite differences go up to order 10; got 11"):
        fd_orders.derivatives(lambda X: X[:, 0], 1.0, 11)
    with pytest.raises(InputError, match="unknown finite-difference scheme 'complex-step' for order k"):
        fd_orders.derivatives(lambda X: X[:, 0], 1.0, 2, "complex-step")
