"""assert_methods_agree: tolerances from each method's own error estimate, plus rtol of the rounding scale."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings

import difflab as dl
from difflab.methods import registry
from difflab.testing.agreement import assert_methods_agree, derivative_scale
from difflab.testing.strategies import functions

EPS = np.finfo(float).eps


@pytest.fixture
def planted():
    """A registered method that is 1e-9 off (relative) and claims error ``claimed * |value|``."""
    added = []

    def make(claimed: float, name: str = "planted"):
        def grad(f, x):
            value = np.array(registry.get("symbolic").gradient(f, x).value) * (1 + 1e-9)
            return value, claimed * np.abs(value), 1
        added.append(registry.register(registry.Method(name, False, "planted 1e-9 error", grad, grad)))
        return name

    yield make
    for m in added:
        registry._REGISTRY.pop(m.name)


def test_agreeing_methods_return_their_estimates():
    est = assert_methods_agree(dl.Function("exp(x)*sin(y)"), [1.0, 2.0])
    assert sorted(est) == ["complex-step", "forward", "reverse", "richardson", "symbolic"]
    truth = [np.exp(1.0) * np.sin(2.0), np.exp(1.0) * np.cos(2.0)]
    assert est["reverse"].value == pytest.approx(truth, rel=1e-15)


def test_hessians_agree():
    est = assert_methods_agree(dl.Function("x**4 + x*y**3"), {"x": 1.5, "y": -0.5},
                               methods=("symbolic", "forward", "reverse", "fd-central"), order=2)
    x, y = 1.5, -0.5
    truth = np.array([[12 * x**2, 3 * y**2], [3 * y**2, 6 * x * y]])
    assert est["forward"].value == pytest.approx(truth, rel=1e-14)


def test_a_wrong_method_with_a_small_estimate_is_caught_with_numbers(planted):
    name = planted(0.0)
    with pytest.raises(AssertionError) as info:
        assert_methods_agree(dl.Function("x**2"), [3.0], methods=("symbolic", name))
    # symbolic: 6 with estimate eps/2 * 6 (2*x is exact in doubles; half an ulp for the rounded reference);
    # planted: 6 (1 + 1e-9) with estimate 0; scale of 2*x is 6
    a, b = 6.0, 6.0 * (1 + 1e-9)
    tol = 0.5 * EPS * 6.0 + 1e-12 * max(a, b)
    assert str(info.value) == (f"x**2 at x=3.0: symbolic and {name} disagree at entry [0]: {a!r} vs {b!r} "
                               f"(difference {abs(b - a):.3g} > tolerance {tol:.3g})")


def test_an_honest_estimate_widens_the_tolerance(planted):
    name = planted(2e-9)  # claims twice its actual error
    est = assert_methods_agree(dl.Function("x**2"), [3.0], methods=("symbolic", name))
    assert est[name].value[0] == pytest.approx(6.0, rel=2e-9)
    # and rtol alone (without the estimate) would not have been enough
    too_tight = planted(0.0, "planted-silent")
    with pytest.raises(AssertionError, match="disagree"):
        assert_methods_agree(dl.Function("x**2"), [3.0], methods=("symbolic", too_tight), rtol=1e-10)


def test_trouble_is_reported_in_the_methods_own_words():
    with pytest.raises(AssertionError, match=r"^symbolic: f is not finite at x=-1 \(f = nan\): outside the "
                                             r"domain or at a pole"):
        assert_methods_agree(dl.Function("log(x)"), [-1.0])
    with pytest.raises(dl.InputError, match="order must be 1 or 2, not 3"):
        assert_methods_agree(dl.Function("x"), [1.0], order=3)


def test_cancellation_is_measured_against_the_rounding_scale():
    """d/dx (sin x - x) = cos x - 1 ~ -x**2/2: its terms are O(1), so the scale is ~3, not 5e-7."""
    f = dl.Function("sin(x) - x")
    scale = derivative_scale(f, np.array([1e-3]), 1)
    assert scale[0] == pytest.approx(2 * np.cos(1e-3) + 1 + (1 - np.cos(1e-3)), rel=1e-12)
    assert_methods_agree(f, [1e-3], methods=("symbolic", "forward", "reverse", "complex-step"))


@settings(max_examples=25)
@given(functions(variables=("x", "y"), max_depth=2))
def test_exact_methods_agree_on_drawn_functions(case):
    assert_methods_agree(case.function, case.point, methods=("symbolic", "forward", "reverse"))
