"""gradcheck / assert_gradient on user code: a correct 2-2-1 network gradient and three subtly wrong ones.

The three bugs are the seed notes' kind: sigmoid' written s*(1 + s); the seed 002 mistake of using w2
where the chain rule for w21 gives w1; and a mean loss whose output-bias gradient forgets the 1/m.
Which entries must be flagged is known by construction (the bug touches exactly those entries).
"""

from __future__ import annotations

import numpy as np
import pytest

import difflab as dl
import difflab.numpy as dnp
from difflab.errors import InputError
from difflab.testing import assert_gradient, gradcheck

X = np.array([[3.0, 0.0], [0.0, 2.0], [1.0, 3.0], [2.0, 1.0]])   # seed 002's "Aack/Beep" counts
Y = np.array([1.0, 0.0, 0.0, 1.0])
PARAMS = {"W1": np.array([[0.4, -0.7], [-0.3, 0.5]]), "b1": np.array([0.1, -0.2]),
          "w": np.array([0.8, -0.6]), "b": 0.05}


def loss(p, X, y):
    """Mean log-loss of the 2-2-1 network; W1[i, j] is w_{i+1, j+1}, so z1 = x1*w11 + x2*w21 + b1."""
    a = dnp.sigmoid(dnp.matmul(X, p["W1"]) + p["b1"])
    yh = dnp.sigmoid(dnp.matmul(a, p["w"]) + p["b"])
    return dnp.mean(-y * dnp.log(yh) - (1 - y) * dnp.log(1 - yh))


def _sig(z):
    return 1 / (1 + np.exp(-z))


def make_grad(bug: str | None = None):
    def grad(p, X, y):
        a = _sig(X @ p["W1"] + p["b1"])
        yh = _sig(a @ p["w"] + p["b"])
        m = len(y)
        dz = (yh - y) / m
        gw, gb = a.T @ dz, dz.sum()
        slope = a * (1 + a) if bug == "sigmoid" else a * (1 - a)
        dZ1 = np.outer(dz, p["w"]) * slope
        gW1, gb1 = X.T @ dZ1, dZ1.sum(axis=0)
        if bug == "w21":       # seed 002: dL/dw21 = x2 * w2 * a1(1 - a1) * (yh - y)
            gW1[1, 0] = np.sum(X[:, 1] * dz * p["w"][1] * a[:, 0] * (1 - a[:, 0]))
        if bug == "mean":
            gb = (yh - y).sum()
        return {"W1": gW1, "b1": gb1, "w": gw, "b": gb}
    return grad


def test_correct_network_gradient_passes():
    report = assert_gradient(loss, make_grad(), PARAMS, args=(X, Y))
    assert report.ok and report.entries == 9 * len(report.points)
    assert set(report.references) == {"reverse mode"}
    assert [label for label, _ in report.points] == ["given", "near 1", "near 2", "saturated -"]
    assert report.max_rel_error < 1e-12
    # at the saturated + probe, -log(1 - yh) with yh = 1 - 1e-13 carries a 1e-3 rounding error in any
    # double code: that point is skipped and said, not blamed on the (correct) gradient
    (skip,) = report.skipped
    assert skip.startswith("saturated +") and "fn loses digits to rounding" in skip


@pytest.mark.parametrize("bug, entries", [
    ("sigmoid", {"W1[0, 0]", "W1[0, 1]", "W1[1, 0]", "W1[1, 1]", "b1[0]", "b1[1]"}),
    ("w21", {"W1[1, 0]"}),
    ("mean", {"b"}),
])
def test_subtly_wrong_network_gradients_fail(bug, entries):
    report = gradcheck(loss, make_grad(bug), PARAMS, args=(X, Y))
    assert not report.ok
    assert {m.index for m in report.mismatches} == entries
    rel = [m.rel_error for m in report.mismatches]
    assert rel == sorted(rel, reverse=True)
    with pytest.raises(AssertionError, match="gradcheck failed"):
        assert_gradient(loss, make_grad(bug), PARAMS, args=(X, Y))


def test_mismatch_numbers_are_the_entries_relative_errors():
    report = gradcheck(loss, make_grad("mean"), PARAMS, args=(X, Y), probe=False)
    (m,) = report.mismatches
    # by hand: the wrong gradient is m = 4 times the right one, so the relative error is 3/4
    assert m.claimed == pytest.approx(4 * m.reference, rel=1e-12)
    assert m.rel_error == pytest.approx(0.75, rel=1e-12)


def test_saturated_sigmoid_bug_that_fixed_tolerances_miss():
    def f(x):
        return dnp.sum(dnp.sigmoid(x))

    def wrong(x):
        s = _sig(x)
        return s * (1 + s)

    x = np.array([-10.0, -11.0, -12.5, -15.0])
    s = _sig(x)
    assert np.allclose(wrong(x), s * (1 - s))            # what a fixed rtol=1e-5/atol=1e-8 check concludes
    report = gradcheck(f, wrong, x, probe=False)
    assert not report.ok and len(report.mismatches) == 4
    for m, si in zip(sorted(report.mismatches, key=lambda m: m.index), s, strict=True):
        assert m.rel_error == pytest.approx(2 * si / (1 + si), rel=1e-6)   # |s(1+s) - s(1-s)| / s(1+s)


def test_correct_formula_that_loses_digits_is_not_flagged():
    # s*(1 - s) at x = 11 loses ~1e-11 relative to rounding in 1 - s: rounding, not a wrong derivative
    def f(x):
        return dnp.sum(dnp.sigmoid(x))

    report = assert_gradient(f, lambda x: _sig(x) * (1 - _sig(x)), np.array([11.0, 12.5, -3.0]))
    assert report.ok


def test_plain_numpy_code_is_traced_through_numpys_protocols():
    """np.sin, np.exp, np.sum on traced values run difflab.numpy's rows: the exact reverse mode applies."""
    report = gradcheck(lambda x: np.sum(np.sin(x) * np.exp(x)),
                       lambda x: np.cos(x) * np.exp(x) + np.sin(x) * np.exp(x), np.array([0.3, -1.2, 2.0]))
    assert report.ok and set(report.references) == {"reverse mode"}


def test_numpy_abs_is_differentiated_as_written():
    report = gradcheck(lambda x: np.sum(np.abs(x) * x), lambda x: 2 * np.abs(x), np.array([1.0, -2.0]))
    assert report.ok
    assert set(report.references) == {"reverse mode"}
    bad = gradcheck(lambda x: np.sum(np.abs(x) * x), lambda x: 2 * x, np.array([1.0, -2.0]), probe=False)
    assert [m.index for m in bad.mismatches] == ["[1]"]


def test_compact_summary_and_points_tried():
    def f(x):
        return dnp.sum(x ** 3)

    def g(x):
        out = 3 * x ** 2
        out[::3] *= 1.001
        return out

    x = np.linspace(0.5, 2.0, 40)
    report = gradcheck(f, g, x, probe=False, max_show=3)
    text = str(report)
    assert text.startswith("gradcheck failed: 14 mismatches of 40 entries at 1 point, showing 3 "
                           "(worst first;")
    assert "points tried: given (40 values, |x| <= 2)" in text
    assert len([line for line in text.splitlines() if line.startswith("  given")]) == 3


def test_points_outside_the_domain_are_skipped_and_said():
    report = gradcheck(lambda x: dnp.sum(dnp.log(x)), lambda x: 1 / x, np.array([0.5, 2.0]))
    assert report.ok
    assert any(s.startswith("saturated -") and "not finite" in s for s in report.skipped)


def test_extra_points_and_scalars():
    report = gradcheck(lambda t: dnp.tanh(t), lambda t: 1 - np.tanh(t) ** 2, 0.3, points=[-4.0, 7.0])
    assert report.ok and [label for label, _ in report.points][-2:] == ["point 1", "point 2"]
    assert dl.gradcheck is gradcheck


def test_bad_input():
    with pytest.raises(InputError) as err:
        gradcheck(lambda x: dnp.sum(x), lambda x: np.ones(2), np.ones(3))
    assert str(err.value) == "grad_fn returned 2 values; x has 3"
    with pytest.raises(InputError) as err:
        gradcheck(lambda x: x, lambda x: x, np.ones(3))
    assert str(err.value) == "fn must return a scalar; it returned shape (3,)"
    with pytest.raises(InputError, match="x must be finite"):
        gradcheck(lambda x: dnp.sum(x), lambda x: x, np.array([1.0, np.nan]))


def test_probes_the_code_refuses_are_skipped_and_said():
    def f(x):
        if np.any(np.asarray(getattr(x, "value", x)) < -5):
            raise ValueError("inputs below -5 are not supported")
        return dnp.sum(x ** 2)

    report = gradcheck(f, lambda x: 2 * x, np.array([1.0, 2.0]))
    assert report.ok
    assert any(s.startswith("saturated -") and "fn raised ValueError: inputs below -5" in s
               for s in report.skipped)
