"""The reference follows the cancellation that happens (issue 13), checked against truths computed here
from cancellation-free formulas (series, rewritten closed forms) at high precision."""

from __future__ import annotations

import math

import mpmath
import pytest
import sympy
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import difflab as dl
from difflab.expr import budget, certified
from difflab.expr.compile import to_mpmath
from difflab.methods.reference import (
    ReferenceUnavailable,
    reference_gradient,
    reference_hessian,
    reference_value,
)
from difflab.testing.strategies import expressions


def _one_minus_cos_over_x2_derivative(x: float) -> mpmath.mpf:
    """d/dx (1-cos x)/x**2 from its series sum_k (-1)^k 2k x^(2k-1)/(2k+2)!: no cancellation for small x."""
    with mpmath.workdps(60):
        t = mpmath.mpf(x)
        return mpmath.fsum((-1) ** k * 2 * k * t ** (2 * k - 1) / mpmath.factorial(2 * k + 2) for k in range(1, 30))


@pytest.mark.parametrize("x", [1e-100, 1e-9, 3e-5, 0.7])
def test_one_minus_cos_over_x_squared_beyond_two_agreeing_precisions(x):
    """At 1e-100 the old loop returned 1e+100 (60 and 120 digits agreed on it); the truth is -8.3e-102."""
    got = reference_gradient(dl.Function("(1-cos(x))/x**2"), [x])[0]
    truth = _one_minus_cos_over_x2_derivative(x)
    with mpmath.workdps(60):
        assert abs(got - truth) <= abs(truth) * mpmath.mpf(10) ** -45


def test_saturated_softplus_form_from_its_rewritten_closed_form():
    """-log(1 - 1/(1+e^-z)) = z + log1p(e^-z): value and derivative 1/(1+e^-z), without cancellation."""
    f = dl.Function("-log(1-1/(1+exp(-z)))")
    with mpmath.workdps(60):
        z = mpmath.mpf(800)
        value, slope = z + mpmath.log1p(mpmath.exp(-z)), 1 / (1 + mpmath.exp(-z))
        assert abs(reference_value(f, [800.0]) - value) <= value * mpmath.mpf(10) ** -45
        assert abs(reference_gradient(f, [800.0])[0] - slope) <= mpmath.mpf(10) ** -45


def test_exact_zeros_are_zero():
    assert reference_gradient(dl.Function("exp(x) - x"), [0.0]) == [0]
    assert reference_hessian(dl.Function("(t**2 - 4)/(t - 2)"), [2.001]) == [[0]]   # f = t + 2


def test_an_exponent_tower_is_refused_in_words_quickly():
    """exp(exp(exp(exp(5)))) never returned: the argument reduction needs ~10**64 digits."""
    with pytest.raises(ReferenceUnavailable) as info:
        reference_gradient(dl.Function("exp(exp(exp(exp(x))))"), [5.0])
    log10 = math.exp(math.exp(5)) / math.log(10)             # log10 of exp(exp(exp(5)))
    assert str(info.value) == ("the reference cannot evaluate at x=5.0: exp(exp(exp(x))) is about "
                               f"10**{log10:.3g}, beyond the 10**±10000 the reference evaluates")


def test_a_reference_stopped_at_the_budget_says_so():
    f = dl.Function("sin(x)*exp(x)")
    with budget.limits(seconds=0.0), pytest.raises(ReferenceUnavailable) as info:
        reference_gradient(f, [1.0])
    assert str(info.value).startswith("the reference was stopped at the budget at x=1.0 (")
    assert str(info.value).endswith("); nothing is scored against it")


def test_unresolved_cancellation_is_said_not_guessed(monkeypatch):
    monkeypatch.setattr(certified, "MAX_BITS", 200)
    monkeypatch.setattr(certified, "ZERO_BITS", 10**6)
    with pytest.raises(certified.Unresolved, match=r"^after 2\d\d bits, entry 0 is .* with an error bound of "):
        certified.evaluate([dl.Function("(1-cos(x))/x**2").expr], [dl.Function("x").symbols[0]], [1e-100], 50)


def test_a_value_that_is_exactly_zero_does_not_hold_up_its_derivatives():
    """exp(x*psi(x**2 + 1)) - 1 is exactly 0 at x = 0; f is evaluated only to check the domain, so its
    digits are not chased to ZERO_BITS (where one polygamma took seconds and the fuzz's reference ran out
    of budget). Truth: f = exp(g) - 1 with g = x psi(1 + x**2), g'(0) = psi(1) = -euler, g''(0) = 0, so
    f'(0) = -euler and f''(0) = euler**2."""
    f = dl.Function("exp(x*polygamma(0, x**2 + 1)) - 1")
    with budget.limits(seconds=1.0), mpmath.workdps(40):
        assert abs(reference_gradient(f, [0.0])[0] + mpmath.euler) <= mpmath.mpf(10) ** -30
        assert abs(reference_hessian(f, [0.0])[0][0] - mpmath.euler ** 2) <= mpmath.mpf(10) ** -30


def test_the_derivative_of_a_sign_sympy_leaves_unevaluated():
    """The Hessian of x*abs(acos(x/2)) holds Derivative(sign(acos(x/2)), x), which SymPy does not
    evaluate: the reference crashed (TypeError: cannot create mpf from a tuple). acos > 0 here, so
    abs is the identity and the truth is mpmath.diff of x*acos(x/2)."""
    f = dl.Function("x*abs(acos(x/2))")
    with mpmath.workdps(40):
        truth = mpmath.diff(lambda t: t * mpmath.acos(t / 2), mpmath.mpf(0.3), 2)
        assert abs(reference_hessian(f, [0.3])[0][0] - truth) <= abs(truth) * mpmath.mpf(10) ** -30


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(expressions(variables=("x", "y"), max_depth=3),
       st.tuples(*[st.sampled_from([0.0, 1.0, -1.0, 0.5, 2.0, 0.3, -1.7, 1e-300]) for _ in range(2)]))
def test_certified_values_at_exact_points_match_plain_mpmath(expr, point):
    """At points where intermediates are exact (0, 1, 1/2, ... : exp(0) = 1, log(1) = 0 are taken as
    exact, and exact sums and products formed exactly), the certified evaluation agrees with SymPy's
    whole expression compiled to mpmath (``compile.to_mpmath``) at 60 digits, no exactness taken."""
    symbols = sorted(expr.free_symbols, key=lambda s: s.name) or [sympy.Symbol("x", real=True)]
    at = list(point[:len(symbols)])
    with mpmath.workdps(60):
        try:
            plain = mpmath.mpmathify(to_mpmath(expr, symbols)(*[mpmath.mpf(v) for v in at]))
        except (ZeroDivisionError, ValueError, OverflowError, TypeError):
            assume(False)
        assume(isinstance(plain, mpmath.mpf) and mpmath.isfinite(plain) and abs(plain) < mpmath.mpf(10) ** 100)
    try:
        (got,) = certified.evaluate([expr], symbols, at, 30)
    except (certified.TooLarge, certified.Unresolved):
        assume(False)
    assert isinstance(got, mpmath.mpf)
    with mpmath.workdps(60):
        assert abs(got - plain) <= mpmath.mpf(10) ** -25 * max(abs(plain), mpmath.mpf(10) ** -280), (expr, at)


def test_an_exact_zero_derivative_is_known_at_once():
    """d/dx psi((x - exp(x))**2 + 1) = psi'(u) * 2 (x - exp(x)) (1 - exp(x)) is exactly 0 at x = 0; with
    exp(0) rounded, the loop chased the zero to ZERO_BITS and the budget stopped it (the fuzz, seed 11).
    f''(0) = 2 psi'(2) = 2 (pi**2/6 - 1) (u'' = 2 there, u' = 0)."""
    f = dl.Function("polygamma(0, (x - exp(x))**2 + 1)")
    with budget.limits(seconds=1.0), mpmath.workdps(40):
        assert reference_gradient(f, [0.0]) == [0]
        assert abs(reference_hessian(f, [0.0])[0][0] - 2 * (mpmath.pi ** 2 / 6 - 1)) <= mpmath.mpf(10) ** -30
