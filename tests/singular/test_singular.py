"""Removable singularities: exact limits at the point, full accuracy near it, arrays mixing both.

The expected limits are hand-derived from textbook Taylor series (written next to each row), not taken
from difflab; values near the point are checked against the mpmath reference at raised precision.
"""

from __future__ import annotations

import math
import warnings

import mpmath
import numpy as np
import pytest

import difflab as dl
from difflab.methods import symbolic
from difflab.methods.reference import reference_gradient, reference_hessian, reference_value

PI = math.pi

# (expression, point, f, f', f'') -- limits from the series named in the comment
TABLE = [
    ("tan(x)/x", 0.0, 1, 0, 2 / 3),                          # 1 + x^2/3
    ("log(1 + x)/x", 0.0, 1, -1 / 2, 2 / 3),                 # 1 - x/2 + x^2/3
    ("(sqrt(1 + x) - 1)/x", 0.0, 1 / 2, -1 / 8, 1 / 8),      # 1/2 - x/8 + x^2/16
    ("x/sin(x)", 0.0, 1, 0, 1 / 3),                          # 1 + x^2/6
    ("(exp(x) - 1 - x)/x**2", 0.0, 1 / 2, 1 / 6, 1 / 12),    # 1/2 + x/6 + x^2/24
    ("sinh(x)/x", 0.0, 1, 0, 1 / 3),                         # 1 + x^2/6
    ("(x - sin(x))/x**3", 0.0, 1 / 6, 0, -1 / 60),           # 1/6 - x^2/120
    ("atan(x)/x", 0.0, 1, 0, -2 / 3),                        # 1 - x^2/3
    ("(cosh(x) - 1)/x**2", 0.0, 1 / 2, 0, 1 / 12),           # 1/2 + x^2/24
    ("log(cos(x))/x**2", 0.0, -1 / 2, 0, -1 / 6),            # -1/2 - x^2/12
    ("(x**3 - 8)/(x - 2)", 2.0, 12, 6, 2),                   # x^2 + 2x + 4
    ("sin(pi*x)/(x - 1)", 1.0, -PI, 0, PI**3 / 3),           # -pi + pi^3 h^2/6
    ("sin(x)/(x - pi)", PI, -1, 0, 1 / 3),                   # -sin(h)/h, irrational point
    ("x/(exp(x) - 1)", 0.0, 1, -1 / 2, 1 / 6),               # 1 - x/2 + x^2/12 (Bernoulli)
    ("tanh(x)/x", 0.0, 1, 0, -2 / 3),                        # 1 - x^2/3
    ("(sin(x) - x*cos(x))/x**3", 0.0, 1 / 3, 0, -1 / 15),    # 1/3 - x^2/30
    ("(x**2 - 4)/(x**2 - 5*x + 6)", 2.0, -4, -5, -10),       # (x+2)/(x-3)
    ("log(x)/(x - 1)", 1.0, 1, -1 / 2, 2 / 3),               # log(1+h)/h
    ("(exp(x) - exp(-x))/x", 0.0, 2, 0, 2 / 3),              # 2 sinh(x)/x
    ("(1 - cos(2*x))/(x*sin(x))", 0.0, 2, 0, -2 / 3),        # 2 sin(x)/x
]
ISSUE = [
    ("(t**2 - 4)/(t - 2)", 2.0, 4, 1, 0),                    # the seed's h(t) = t + 2
    ("sin(x)/x", 0.0, 1, 0, -1 / 3),
    ("(exp(x) - 1)/x", 0.0, 1, 1 / 2, 1 / 3),
    ("(1 - cos(x))/x**2", 0.0, 1 / 2, 0, -1 / 12),
]
DISTANCES = [1e-1, 1e-3, 1e-6, 1e-9, 1e-12]

_FUNCTIONS: dict[str, dl.Function] = {}


def function(text: str) -> dl.Function:
    """One Function per expression for the whole module (the analysis is cached per Function)."""
    if text not in _FUNCTIONS:
        _FUNCTIONS[text] = dl.Function(text)
    return _FUNCTIONS[text]


def rel(a: float, b: float) -> float:
    if a == b:
        return 0.0
    return abs(a - b) / max(abs(a), abs(b))


def three(f: dl.Function, x: float) -> tuple[float, float, float]:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return (float(f.numpy(x)), float(symbolic.compile_gradient(f)(x)[0]),
                float(symbolic.compile_hessian(f)(x)[0]))


@pytest.mark.parametrize("text, c, f0, f1, f2", TABLE + ISSUE, ids=[t[0] for t in TABLE + ISSUE])
def test_exact_limits_at_the_point(text, c, f0, f1, f2):
    f = function(text)
    got = three(f, c)
    # A zero limit is exact at a representable point; at pi (not a double) f' really is h/3 ~ 4e-17.
    zero_tol = 0.0 if c in (0.0, 1.0, 2.0) else 1e-16
    for g, want in zip(got, (f0, f1, f2), strict=True):
        assert (abs(g) <= zero_tol if want == 0 else rel(g, want) <= 1e-12), (got, (f0, f1, f2))


@pytest.mark.parametrize("text, c, f0, f1, f2", TABLE + ISSUE, ids=[t[0] for t in TABLE + ISSUE])
def test_full_accuracy_near_the_point(text, c, f0, f1, f2):
    f = function(text)
    worst = 0.0
    for d in DISTANCES:
        for x in (c + d, c - d):
            if text.startswith("log(x)") and x <= 0:
                continue
            got = three(f, x)
            truth = (reference_value(f, [x]), reference_gradient(f, [x])[0], reference_hessian(f, [x])[0][0])
            for g, t in zip(got, truth, strict=True):
                if abs(t) < 1e-60:  # an exactly zero derivative (h''); the reference leaves 1e-115 noise
                    assert abs(g) <= 1e-12, (x, got)
                    continue
                err = float(abs(mpmath.mpf(g) - t) / max(abs(g), abs(t)))
                worst = max(worst, err)
                assert err <= 1e-10, (x, got, [float(v) for v in truth])
    assert worst <= 1e-10


def test_naive_formula_really_cancels_there():
    """Why the branches exist: the plain formula of (1-cos x)/x^2 is 0 at 1e-9 (true 0.5)."""
    with np.errstate(all="ignore"):
        assert (1 - np.cos(1e-9)) / 1e-9**2 == 0.0
    assert rel(float(function("(1 - cos(x))/x**2").numpy(1e-9)), 0.5) < 1e-15


def test_arrays_mix_the_point_and_ordinary_points_in_one_call():
    f = function("sin(x)/x")
    xs = np.array([-3.0, -1e-10, 0.0, 1e-7, 0.5, 2.0, 0.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        v = f.numpy(xs)
        g = symbolic.compile_gradient(f)(xs)[0]
        H = symbolic.compile_hessian(f)(xs)[0]
        b = f.batch(xs[:, None])
    for i, x in enumerate(xs):
        if x == 0:
            assert (v[i], g[i], H[i]) == (1.0, 0.0, pytest.approx(-1 / 3, rel=1e-15))
        else:
            assert rel(v[i], math.sin(x) / x) < 1e-14
            want_g = (x * math.cos(x) - math.sin(x)) / x**2 if abs(x) > 1e-3 else -x / 3
            assert rel(g[i], want_g) < 1e-9
    assert np.array_equal(b, v)
    assert v.shape == xs.shape and H.shape == xs.shape


def test_two_dimensional_array_and_integer_input():
    f = function("(t**2 - 4)/(t - 2)")
    X = np.array([[2, 3], [1, 2]])
    assert np.array_equal(f.numpy(X), np.array([[4.0, 5.0], [3.0, 4.0]]))


def test_symbolic_method_at_the_seed_point():
    """Seed 001: h(t) = (t^2-4)/(t-2); h(2) = 4, h'(2) = 1, h''(2) = 0 (ML libraries give nan/inf)."""
    f = dl.Function("(t**2-4)/(t-2)")
    g, H = dl.gradient(f, [2.0]), dl.hessian(f, [2.0])
    assert f.value([2.0]) == 4.0 and g.value.tolist() == [1.0] and H.value.tolist() == [[0.0]]
    assert g.ok and H.ok
    assert any("limit" in n for n in g.notes)


def test_complex_step_through_the_branch():
    """The branches accept complex input, so the complex step works at the point: h'(2) = 1, sinc'(0) = 0."""
    assert dl.gradient(function("(t**2 - 4)/(t - 2)"), [2.0], method="complex-step").value[0] == \
        pytest.approx(1.0, rel=1e-12)
    est = dl.gradient(function("(exp(x) - 1)/x"), [0.0], method="complex-step")
    assert est.value[0] == pytest.approx(0.5, rel=1e-12)


def test_generated_source_names_the_branch():
    src = symbolic.generated_source(function("sin(x)/x"), order=2)
    assert "Taylor polynomial" in src and "removable singularity at x=0" in src


def test_reference_at_a_removable_point_is_the_exact_limit():
    """The mpmath reference's formula is 0/0 there too; it answers with the limits (50 digits)."""
    with mpmath.workdps(60):
        h = dl.Function("(t**2 - 4)/(t - 2)")
        assert reference_value(h, [2.0]) == 4 and reference_gradient(h, [2.0]) == [1]
        s = dl.Function("sin(x)/x")
        assert abs(reference_hessian(s, [0.0])[0][0] + mpmath.mpf(1) / 3) < mpmath.mpf(10) ** -50
        e = dl.Function("(exp(x) - 1)/x")
        assert abs(reference_gradient(e, [0.0])[0] - mpmath.mpf(1) / 2) < mpmath.mpf(10) ** -50
    table = dl.compare(h, at=[2.0], order=2)
    assert table.row("symbolic").max_rel_error == 0.0


def test_diff_command_json_carries_the_notes(capsys):
    import json

    from difflab.cli.entry import main

    assert main(["diff", "(t**2-4)/(t-2)", "--at", "t=2", "--order", "2", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert (data["value"], data["gradient"], data["hessian"]) == (4.0, [1.0], [[0.0]])
    assert len(data["notes"]) == 1 and data["notes"][0].startswith("t=2 is a removable singularity")
    assert main(["diff", "sin(x)/x", "--at", "x=1e-9"]) == 0
    out = capsys.readouterr().out
    assert "note: x=1e-09 is within 1 of the removable singularity at x=0" in out
    assert main(["diff", "1/x", "--at", "x=0", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["notes"] == [
        "pole at x=0: f -> -inf from the left and +inf from the right; no finite derivative there"]


def test_tour_section_shows_nan_beside_the_limits(tmp_path):
    from difflab.cli.tour import singular as section

    said: list[str] = []
    section.run(tmp_path, said.append)
    text = "\n".join(said)
    assert "h(2)    nan              4" in text and "h'(2)   nan              1" in text
    assert "h''(2)  nan              0" in text
    assert "sin(x*y)/(x*y) at (0.0, 1.0)         f         nan                       1" in text
    assert "[[nan, nan], [nan, nan]]  [[-0.333333, 0], [0, 0]]" in text
    assert "along y = k*x it tends to k/(k**2 + 1)" in text
    rows = (tmp_path / "singular_near_point.csv").read_text().splitlines()
    assert len(rows) == 6 and rows[4].startswith("1e-09,0.0,0.5,")
