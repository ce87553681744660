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


# Cases whose estimates were below the true error before the cross-check stencil (found by
# benchmarks/fd_orders_honesty.py): at high k the one-sided stencils agreed with themselves at h, 2h
# and 4h while all of them missed f^(k) (1/cosh(sin(x/cosh x)) at order 10: 13x under).
PINNED = [
    (lambda x: 1 / np.cosh(np.sin(x / np.cosh(x))), lambda x: 1 / mp.cosh(mp.sin(x / mp.cosh(x))),
     -1.0579353422222117, "backward"),
    (lambda x: np.cos(x / (np.logaddexp(0, x) + 0.5)) * np.sqrt(np.cosh(x)),
     lambda x: mp.cos(x / (mp.log(1 + mp.exp(x)) + 0.5)) * mp.sqrt(mp.cosh(x)), 0.0, "forward"),
    (lambda x: 1 / (np.exp(x) + 2), lambda x: 1 / (mp.exp(x) + 2), -1.981772493797819, "backward"),
]


@pytest.mark.parametrize("fn, ref, x, scheme", PINNED)
def test_high_orders_cross_checked_by_a_wider_stencil(fn, ref, x, scheme):
    r = fd_orders.derivatives(lambda X: fn(X[:, 0]), x, 10, scheme)
    err = np.abs(r.value - truth(ref, x, 10))
    assert np.all(err[6:] <= r.error[6:]), (err[6:], r.error[6:])


def test_a_cross_check_probe_outside_the_domain_costs_only_the_cross_check():
    """exp(x) on a domain that ends at x = 1 (nan to its left), at x = 1 by the forward scheme: its probes
    stay right of x, the symmetric cross-check reaches left (nan); the derivatives are still given,
    with their step-halving estimates, which cover the true error."""
    def fun(X):
        return np.where(X[:, 0] >= 1.0, np.exp(X[:, 0]), np.nan)

    r = fd_orders.derivatives(fun, 1.0, 4, "forward")
    assert r.status == "ok" and np.all(np.isfinite(r.value))
    assert np.all(np.abs(r.value - np.e) <= r.error)


@pytest.mark.slow
def test_orders_6_to_10_never_below_the_true_error_on_drawn_functions():
    """The property run of benchmarks/fd_orders_honesty.py: 90 drawn functions x 5 schemes x orders
    6..10 (2250 cases), truth from mpmath's Taylor coefficients at 60 digits."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
    import fd_orders_honesty as honesty

    bad, judged, _, lines, _ = honesty.measure(honesty.draw_cases(90, 15))
    assert judged >= 2000
    assert bad == 0, "\n".join(lines)
