"""dl.derivatives: f, f', ..., f^(k) by every method, against mpmath; methods that cannot say so."""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest

import difflab as dl
from difflab.errors import InputError
from difflab.methods import registry

mp = mpmath.mp


def truth(fn, x: float, k: int) -> np.ndarray:
    with mp.workdps(60):
        return np.array([float(c * mpmath.factorial(j)) for j, c in enumerate(mpmath.taylor(fn, mpmath.mpf(x), k))])


SMOOTH = [("exp(x)*sin(x)", lambda x: mp.exp(x) * mp.sin(x), 1.0),
          ("atan(x)/(2 + cos(x))", lambda x: mp.atan(x) / (2 + mp.cos(x)), 0.4),
          ("sqrt(1 + x**2)*tanh(x)", lambda x: mp.sqrt(1 + x**2) * mp.tanh(x), -0.8)]


@pytest.mark.parametrize("method", ["symbolic", "forward", "mpmath"])
@pytest.mark.parametrize("text, fn, x", SMOOTH, ids=[s[0] for s in SMOOTH])
def test_exact_routes_to_order_10_within_1e12(method, text, fn, x):
    est = dl.derivatives(dl.Function(text), x, 10, method=method)
    ref = truth(fn, x, 10)
    assert est.ok and est.value.shape == (11,)
    assert np.max(np.abs(est.value - ref) / np.abs(ref)) <= 1e-12


@pytest.mark.parametrize("method", ["fd-central", "fd-five-point", "richardson", "fd-forward"])
def test_finite_difference_routes_are_honest(method):
    est = dl.derivatives(dl.Function("exp(x)*sin(x)"), 1.0, 5, method=method)
    assert np.all(np.abs(est.value - truth(SMOOTH[0][1], 1.0, 5)) <= est.error_estimate)


def test_methods_that_cannot_give_an_order_say_so():
    f = dl.Function("exp(x)*sin(x)")
    cs = dl.derivatives(f, 1.0, 4, method="complex-step")
    assert cs.status == "complex step: first derivatives only"
    assert np.all(np.isnan(cs.value[2:])) and abs(cs.value[1] - (math.e * (math.sin(1) + math.cos(1)))) < 1e-14
    rev = dl.derivatives(f, 1.0, 4, method="reverse")
    assert rev.status.startswith("reverse mode: derivatives up to order 2 only")
    assert np.all(np.isnan(rev.value[3:])) and np.isfinite(rev.value[2])
    assert dl.derivatives(f, 1.0, 1, method="complex-step").ok  # order 1 it can give


def test_removable_point_from_the_series():
    """sin(x)/x at 0: 1, 0, -1/3, 0, 1/5, 0, -1/7 from the series the singular analysis computed."""
    for method in ("symbolic", "mpmath"):
        est = dl.derivatives(dl.Function("sin(x)/x"), 0.0, 6, method=method)
        assert np.allclose(est.value, [1, 0, -1 / 3, 0, 1 / 5, 0, -1 / 7], rtol=1e-14, atol=1e-15)
    est = dl.derivatives(dl.Function("(x**2 - 4)/(x - 2)"), 2.0, 3, method="symbolic")
    assert est.value.tolist() == [4.0, 1.0, 0.0, 0.0] and est.notes
    # Taylor mode traces the branch's Taylor polynomial there (not the 0/0 formula): 1, 0, -1/3, 0, 1/5
    taylor_at_hole = dl.derivatives(dl.Function("sin(x)/x"), 0.0, 4, method="forward")
    assert taylor_at_hole.ok and np.allclose(taylor_at_hole.value, [1, 0, -1 / 3, 0, 1 / 5], rtol=1e-13,
                                             atol=1e-15)


def test_bad_requests():
    with pytest.raises(InputError, match="derivatives of order k need a function of one variable; this one "
                                         "has 2"):
        dl.derivatives("x*y", [1, 2], 3)
    with pytest.raises(InputError, match="the order must be an integer from 0 to 10; got 11"):
        dl.derivatives("exp(x)", 1.0, 11)
    with pytest.raises(InputError, match="need a scalar function of one variable; this one has 2 components"):
        dl.derivatives("[x, x**2]", 1.0, 3)


def test_third_derivative_tensor_by_nested_duals():
    """T[i,j,k] of exp(x*y)*sin(z) against the closed forms."""
    from difflab.engines.jacobians import third

    f = dl.Function("exp(x*y)*sin(z)", variables=["x", "y", "z"])
    x, y, z = 0.3, -0.7, 1.1
    T = third(f.ops, [x, y, z])
    e = math.exp(x * y)
    assert np.allclose(T[0, 0, 0], y**3 * e * math.sin(z), rtol=1e-14)
    assert np.allclose(T[0, 1, 2], (1 + x * y) * e * math.cos(z), rtol=1e-14)
    assert np.allclose(T[2, 2, 2], -e * math.cos(z), rtol=1e-14)
    assert np.allclose(T, np.transpose(T, (1, 0, 2))) and np.allclose(T, np.transpose(T, (2, 1, 0)))


# -- every method of the registry, at every order 3..10 and on a Jacobian: a number within its own
#    estimate of the truth (mpmath), or no number (nan) and words -- never a wrong number --------------

AUDIT = ("exp(x)*sin(x)/(2 + cos(x))", lambda x: mp.exp(x) * mp.sin(x) / (2 + mp.cos(x)), 0.7)


@pytest.mark.parametrize("method", registry.names())
def test_every_method_at_every_order_gives_an_honest_number_or_words(method):
    text, fn, x = AUDIT
    truth_10 = truth(fn, x, 10)
    for k in range(3, 11):
        est = dl.derivatives(dl.Function(text), x, k, method=method)
        given = np.isfinite(est.value)
        assert given[0], (method, k)
        if not given.all():  # declined: the status says so in words, and the entries it gave are right
            assert est.status != "ok" and len(est.status.split()) >= 4, (method, k, est.status)
            assert not given[given.argmin():].any(), (method, k)  # it stops at an order, no holes
        err = np.abs(est.value - truth_10[:k + 1])[given]
        assert np.all(err <= np.asarray(est.error_estimate)[given]), (method, k, err, est.error_estimate)


def test_the_methods_that_decline_orders_are_the_ones_that_cannot_reach_them():
    """Complex step stops at 1, reverse at 2 (as their statuses say); every other method reaches 10."""
    from difflab.methods import registry

    text, _, x = AUDIT
    reach = {}
    for name in registry.names():
        est = dl.derivatives(dl.Function(text), x, 10, method=name)
        reach[name] = int(np.sum(np.isfinite(est.value))) - 1
    assert reach.pop("complex-step") == 1 and reach.pop("reverse") == 2
    assert all(v == 10 for v in reach.values()), reach


@pytest.mark.parametrize("method", ["symbolic", "forward", "reverse", "fd-forward", "fd-backward", "fd-central",
                                    "fd-five-point", "complex-step", "richardson", "mpmath"])
def test_every_method_gives_an_honest_jacobian(method):
    F = dl.Function("[x*y, sin(x) + y**2, exp(x*y)/(1 + y)]")
    x, y = 0.3, 0.8
    e = math.exp(x * y)
    J = np.array([[y, x], [math.cos(x), 2 * y], [y * e / (1 + y), x * e / (1 + y) - e / (1 + y) ** 2]])
    est = dl.jacobian(F, [x, y], method=method)
    assert est.ok and est.value.shape == (3, 2)
    assert np.all(np.abs(est.value - J) <= est.error_estimate + 4e-16 * np.abs(J))


def test_symbolic_orders_too_deep_to_compile_say_so(monkeypatch):
    """polygamma(0, sigmoid(cosh(x)) + 1/2)/(softplus(2 - x) + 1/2) at order 10 (a drawn case) generated
    code deeper than Python's compiler recursion limit; the compile step is made to fail the same way here
    (the real case takes minutes): words, not a traceback."""
    from difflab.methods import higher_routes

    def too_deep(*args, **kwargs):
        raise RecursionError("maximum recursion depth exceeded during compilation")

    monkeypatch.setattr(higher_routes, "to_numpy", too_deep)
    est = dl.derivatives(dl.Function("exp(x)*cos(x)"), 0.5, 4, method="symbolic")
    assert np.all(np.isnan(est.value)) and est.status == (
        "the symbolic derivatives up to order 4 are nested too deeply to compile (over Python's recursion "
        "limit); Taylor mode ('forward') gives them")


@pytest.mark.parametrize("method", ["fd-forward", "fd-backward", "fd-central", "fd-five-point", "richardson"])
def test_order_k_steps_follow_the_scale_f_varies_on(method):
    """sin(exp(sinh(x))) at 3 turns 2.2e5 radians per unit of x: steps from max(|x|, 1) averaged over its
    oscillations, and fd-forward's f'' came out 5.4e8 +- 7.3e8 against 4.18e10. The steps now shrink with
    the refined first-order step; every entry is within its estimate (truth: mpmath at 60 digits)."""
    fn = lambda x: mpmath.sin(mpmath.exp(mpmath.sinh(x)))  # noqa: E731
    with mpmath.workdps(60):
        truth = np.array([float(mpmath.diff(fn, mpmath.mpf(3), k)) for k in range(4)])
    est = dl.derivatives(dl.Function("sin(exp(sinh(x)))"), [3.0], 3, method)
    ok = np.isfinite(est.value)
    assert ok[:3].all()
    assert np.all(np.abs(est.value - truth)[ok] <= est.error_estimate[ok])
    if method != "richardson":  # its table reaches 5h: f'' 22% off, and its estimate says so
        assert abs(est.value[2] - truth[2]) < 0.01 * abs(truth[2])  # f'' resolved, not averaged away


@pytest.mark.parametrize("method", registry.names())
def test_estimates_see_the_sums_sympy_cancelled(method):
    """atan2(u, u/5) is atan(5) for u > 0: SymPy's derivatives of exp(atan2(u, u/5)) are 0, and so was
    the bound built from them; the reverse engine's f' is -1.1e-16 (two terms added in doubles), whose
    estimate was 1e-32 (honest: NO). Truth: exp(atan(5)), 0, 0, 0."""
    est = dl.derivatives(dl.Function("exp(atan2(u, u/5))"), [1.0], 3, method)
    with mpmath.workdps(40):
        truth = np.array([float(mpmath.exp(mpmath.atan(5))), 0.0, 0.0, 0.0])
    ok = np.isfinite(est.value)
    assert ok[0]
    assert np.all(np.abs(est.value - truth)[ok] <= np.asarray(est.error_estimate)[ok]), (est.value, est)


@pytest.mark.parametrize("method", ["symbolic", "forward", "reverse"])
def test_a_kink_s_delta_of_order_k_does_not_crash_the_bound(method):
    """The order-k formulas of max(x, sqrt(10)*abs(x)/3) hold DiracDelta(u, k); building their rounding
    bound made DiracDelta(u, a1) with a symbol for k (ValueError). Off the kinks f = -sqrt(10)/3 * x at
    x < 0: truth [-c x, -c, 0, 0, 0], c = sqrt(10)/3."""
    x = -1.0297499530254322
    with mpmath.workdps(40):
        c = mpmath.sqrt(10) / 3
        truth = np.array([float(-c * x), float(-c), 0.0, 0.0, 0.0])
    est = dl.derivatives(dl.Function("max(x, sqrt(10)*abs(x)/3)"), [x], 4, method)
    ok = np.isfinite(est.value)
    assert ok[:2].all()
    assert np.all(np.abs(est.value - truth)[ok] <= np.asarray(est.error_estimate)[ok]), est


@pytest.mark.parametrize("method", ["fd-forward", "fd-central", "fd-five-point", "richardson"])
def test_order_k_at_a_tiny_x_keeps_the_model_steps_where_they_resolve_f(method):
    """At x = 2.4e-119 the refined first-order step is on x's own scale, 1e-100 times the model's: every
    order's step shrank with it, h**4 underflowed (ZeroDivisionError), and f'' came out 1.3e88 +- 1.7e122.
    f is smooth on the scale 1 there (min(x, ...) = x): truth by mpmath.diff of the formula written here."""
    x = 2.4243112899322286e-119
    text = "atanh(9*min(x, log(exp(x) + 3/2))/(10*sqrt(log(min(3, x)**2 + 2)**2 + min(x, log(exp(x) + 3/2))**2)))"

    def fn(t):
        return mpmath.atanh(9 * t / (10 * mpmath.sqrt(mpmath.log(t ** 2 + 2) ** 2 + t ** 2)))
    with mpmath.workdps(60):
        truth = np.array([float(mpmath.diff(fn, mpmath.mpf(x), k)) for k in range(5)])
    est = dl.derivatives(dl.Function(text), [x], 4, method)
    assert est.ok and np.all(np.isfinite(est.value)), est
    assert np.all(np.abs(est.value - truth) <= est.error_estimate), (est.value, truth, est.error_estimate)
    assert est.error_estimate[2] < 1e-3  # resolved, not +- 1e122


@pytest.mark.parametrize("method", ["fd-forward", "fd-backward", "fd-central", "fd-five-point", "richardson"])
def test_order_k_finite_differences_know_the_rounding_of_an_expression(method):
    """Near x = 0 every value of this f rounds intermediates of its own size (polygamma(1, 2) ~ 0.64 under
    two log-cosh layers), which the orders' model eps * (|f| + |x f'|) cannot see: fd-forward's f' was
    4.3e-10 off with an estimate of 2.5e-10 (benchmarks/estimates_honesty.py --orders, seed 4). Truth:
    mpmath.diff of the formula written here, 60 digits."""
    x = -5.960464477539063e-08
    text = "log(cosh(log(cosh(polygamma(1, exp(x) + 1)))/log(10)))/log(10)"

    def fn(t):
        return mpmath.log10(mpmath.cosh(mpmath.log10(mpmath.cosh(mpmath.psi(1, mpmath.exp(t) + 1)))))
    with mpmath.workdps(60):
        truth = np.array([float(mpmath.diff(fn, mpmath.mpf(x), k)) for k in range(3)])
    est = dl.derivatives(dl.Function(text), [x], 2, method)
    assert est.ok and np.all(np.abs(est.value - truth) <= est.error_estimate), (est.value - truth, est)
