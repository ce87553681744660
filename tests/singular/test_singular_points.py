"""Poles, jumps, kinks and domain edges: reported in words with both sides, never a silent wrong number.

Expected one-sided values are hand-derived (abs' = -1 | +1, relu' = 0 | 1, leaky relu' = 0.01 | 1,
d/dx x log x -> -inf from the right); the convention table is the one documented in singular_notes.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import sympy

import difflab as dl
from difflab.methods import registry as methods
from difflab.methods import symbolic
from difflab.singular import analysis as singular
from difflab.singular.notes import notes_at

KINKS = [("abs(x)", -1.0, 1.0), ("max(x, 0)", 0.0, 1.0), ("max(x, 0.01*x)", 0.01, 1.0)]
# The documented convention: which side each method returns when asked anyway at a kink
AVERAGE = ("symbolic", "forward", "reverse", "fd-central", "fd-five-point", "richardson")
RIGHT = ("fd-forward", "complex-step")
LEFT = ("fd-backward",)


@pytest.mark.parametrize("text, left, right", KINKS)
def test_kink_is_reported_with_both_one_sided_derivatives(text, left, right):
    f = dl.Function(text)
    notes = notes_at(f, [0.0])
    assert len(notes) == 1 and notes[0].startswith("not differentiable at x=0 (a kink)")
    sides = sympy.nsimplify(left), sympy.nsimplify(right)
    assert f"the one-sided derivatives are {sides[0]} from the left and {sides[1]} from the right" in notes[0]
    for name in methods.names():
        est = dl.gradient(f, [0.0], method=name)
        assert est.status.startswith("not differentiable at x=0"), (name, est.status)
        assert notes[0] in est.notes


@pytest.mark.parametrize("text, left, right", KINKS)
def test_each_methods_convention_at_a_kink_is_as_documented(text, left, right):
    f = dl.Function(text)
    for group, want in ((AVERAGE, (left + right) / 2), (RIGHT, right), (LEFT, left)):
        for name in group:
            assert dl.gradient(f, [0.0], method=name).value[0] == pytest.approx(want, abs=1e-9), name


def test_kink_away_from_the_point_is_silent():
    f = dl.Function("abs(x)")
    est = dl.gradient(f, [0.5])
    assert est.ok and est.notes == () and est.value[0] == 1.0


def test_kink_of_the_first_derivative_only_blocks_the_hessian():
    f = dl.Function("x*abs(x)")          # f' = 2|x| (fine at 0), f'' = -2 | +2
    g, H = dl.gradient(f, [0.0]), dl.hessian(f, [0.0])
    assert g.ok and g.value[0] == 0.0
    assert not H.ok and "f'' is -2 from the left and 2 from the right" in H.status


@pytest.mark.parametrize("text, left, right", [("1/x", "-inf", "+inf"), ("1/x**2", "+inf", "+inf"),
                                               ("sin(x)/x**2", "-inf", "+inf"), ("-1/x**4", "-inf", "-inf")])
def test_pole_reported_with_the_sign_from_each_side(text, left, right):
    f = dl.Function(text)
    expected = f"pole at x=0: f -> {left} from the left and {right} from the right"
    assert notes_at(f, 0.0)[0].startswith(expected)
    for name in ("symbolic", "forward", "fd-central", "mpmath"):
        est = dl.gradient(f, [0.0], method=name)
        assert est.status.startswith(expected), name     # never "ok" with a finite wrong number
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        v = float(f.numpy(0.0))
    assert not np.isfinite(v) and (left != right or v == float(left.replace("+", "")))


def test_removable_point_and_pole_of_one_function():
    """(x+1)/(x^2-1) = 1/(x-1): removable at -1 (f = -1/2, f' = -1/4, f'' = -1/4), pole at 1."""
    f = dl.Function("(x + 1)/(x**2 - 1)")
    xs = np.array([-1.0, -1.0 + 1e-9, 0.0, 3.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert f.numpy(xs).tolist() == pytest.approx([-0.5, 1 / (xs[1] - 1), -1.0, 0.5], rel=1e-15)
        assert symbolic.compile_gradient(f)(-1.0)[0] == -0.25
        assert symbolic.compile_hessian(f)(-1.0)[0] == -0.25
    assert "removable singularity" in notes_at(f, -1.0)[0]
    assert notes_at(f, 1.0)[0].startswith("pole at x=1: f -> -inf from the left and +inf")


def test_jump_is_not_a_removable_point():
    """abs(x)/x: the one-sided limits differ (-1, 1); a two-sided limit is required (dir='+-')."""
    f = dl.Function("abs(x)/x")
    note = notes_at(f, 0.0)[0]
    assert note.startswith("jump (f is not continuous) at x=0: f -> -1 from the left and 1 from the right")
    assert np.isnan(f.numpy(0.0))  # no value pretended
    assert f.numpy(np.array([-2.0, 2.0])).tolist() == [-1.0, 1.0]


def test_one_sided_behaviour_at_a_domain_edge():
    """x log x at 0: limit 0 from the right, derivative -> -inf; the left is outside the domain."""
    f = dl.Function("x*log(x)")
    note = notes_at(f, 0.0)[0]
    assert "to the left f is not real (outside the domain)" in note
    assert "from the right: f -> 0 (a one-sided limit), f' -> -inf" in note
    for name in ("symbolic", "forward", "fd-central"):
        assert dl.gradient(f, [0.0], method=name).status == note


def test_square_root_edge():
    note = notes_at(dl.Function("sqrt(x)"), 0.0)[0]
    assert note.endswith("from the right: f -> 0 (a one-sided limit), f' -> +inf")


def test_two_variables_say_where_the_value_comes_from():
    f = dl.Function("sin(x*y)/(x*y)")
    note = notes_at(f, [0.0, 1.0])[0]
    assert "is on the singular set x = 0 (0/0 in the formula): removable" in note
    assert "the substitution u = x*y: f = sin(u)/u" in note
    assert notes_at(f, [1.0, 1.0]) == []


def test_ordinary_functions_pay_no_analysis(monkeypatch):
    """No denominators (or several variables): no SymPy limit/series/solveset call at all."""
    def refuse(*args, **kwargs):
        raise AssertionError("singularity analysis ran for an ordinary function")

    for name in ("solveset", "limit", "factor", "series"):
        monkeypatch.setattr(sympy, name, refuse)
    for text in ("x**3 + sin(x)*exp(x)", "log(x) + sqrt(x)", "x**2/(1 + y**2)", "sigmoid(w*x + b)"):
        f = dl.Function(text)
        symbolic.compile_value(f), symbolic.compile_gradient(f), symbolic.compile_hessian(f)
        assert singular.analyze(f).points == ()
        assert symbolic.compile_value(f).branches == ()


def test_analysis_is_cached_per_function():
    f = dl.Function("sin(x)/x")
    assert singular.analyze(f) is singular.analyze(f)
    assert symbolic.compile_gradient(f) is symbolic.compile_gradient(f)


def test_unclassified_point_is_said_not_hidden(monkeypatch):
    """When SymPy runs out of time, the point is 'could not be classified', never a silent guess."""
    import difflab.expr.budget as budget

    f = dl.Function("(exp(x) - 1 - x)/x**2")
    monkeypatch.setattr(budget.Budget.__init__, "__defaults__", (6.0, 0.0))
    an = singular.analyze(f)
    assert an.points == () and an.skipped and "time budget" in an.skipped[0]
    assert np.isnan(f.numpy(0.0))


def test_pole_at_a_root_with_radicals_is_found_fast():
    """x^5 + x + 1 has one real root (radicals); SymPy's limit there takes seconds, the probe does not."""
    f = dl.Function("(x + 1)/(x**5 + x + 1)")
    an = singular.analyze(f)
    assert [p.kind for p in an.points] == ["pole"] and not an.skipped
    root = an.points[0].value
    assert abs(root**5 + root + 1) < 1e-14
    note = notes_at(f, root)[0]
    # x + 1 > 0 at the root (about -0.755) and x^5 + x + 1 increases through 0 there
    center = an.points[0].center
    assert note.startswith(f"pole at x={center}: f -> -inf from the left and +inf from the right")


def test_denominator_without_real_zeros_is_ordinary():
    f = dl.Function("1/(1 + x**2)")
    an = singular.analyze(f)
    assert an.points == () and an.skipped == []
    assert dl.gradient(f, [0.0]).notes == ()


def test_kinks_elsewhere_do_not_block_a_removable_point():
    """|x - 3| sin(x)/x = (3 - x)(1 - x^2/6 + ...) near 0: f = 3, f' = -1, f'' = -1; the kink at 3 stays."""
    f = dl.Function("abs(x - 3)*sin(x)/x")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert f.numpy(0.0) == 3.0
        assert symbolic.compile_gradient(f)(0.0)[0] == -1.0
        assert symbolic.compile_hessian(f)(0.0)[0] == pytest.approx(-1.0, rel=1e-14)
        assert f.numpy(3.5) == pytest.approx(0.5 * np.sin(3.5) / 3.5, rel=1e-15)
    (p,) = singular.analyze(f).points
    assert p.kind == "removable" and max(p.radius.values()) <= 1.5   # never across the kink at 3
    assert notes_at(f, 3.0)[0].startswith("not differentiable at x=3 (a kink)")
