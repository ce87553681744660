"""Step sweeps against independent calculations: mpmath on the same float probes, closed-form truncation
terms, the textbook optimal steps, and the exactness of stencils on low-degree polynomials."""

from __future__ import annotations

import json

import mpmath
import numpy as np
import pytest

from difflab.cli.entry import main
from difflab.errors import InputError
from difflab.measure.step_sweep import default_steps, sweep

EPS = float(np.finfo(float).eps)
SEED_F = "x**4 + 0.8*y**4 + 4*x**2 + 2*y**2 - x*y - 0.2*x**2*y"


@pytest.fixture(scope="module")
def expsin():
    return sweep("exp(x)*sin(x)", 1.0)


def _exact_derivative(k: int) -> mpmath.mpf:
    """d^k/dx^k exp(x) sin(x) at 1 from mpmath's own differentiation (not difflab's)."""
    with mpmath.workdps(60):
        return mpmath.diff(lambda t: mpmath.exp(t) * mpmath.sin(t), mpmath.mpf(1), k)


def _index(steps: np.ndarray, h: float) -> int:
    k = int(np.argmin(np.abs(np.log10(steps) - np.log10(h))))
    assert abs(steps[k] / h - 1) < 1e-9
    return k


def test_central_error_at_1e5_is_the_float_probes_error(expsin):
    """At h = 1e-5 the central-difference error of exp(x)*sin(x) at 1 is about 2.9e-11 (issue 7).

    Independent: the two probes are evaluated in double precision by NumPy (as any code would), their
    difference taken in mpmath exactly, and compared with mpmath's derivative.
    """
    s = expsin.scheme("central")
    k = _index(s.steps, 1e-5)
    h = (1.0 + float(s.steps[k])) - 1.0  # the representable step finite differences use
    plus = float(np.exp(1.0 + h) * np.sin(1.0 + h))
    minus = float(np.exp(1.0 - h) * np.sin(1.0 - h))
    with mpmath.workdps(60):
        d = (mpmath.mpf(plus) - mpmath.mpf(minus)) / (2 * mpmath.mpf(h))
        expected = float(abs(d - _exact_derivative(1)))
        truncation = float(abs(h**2 / 6 * _exact_derivative(3)))
    assert s.abs_error[k] == pytest.approx(expected, rel=1e-3)
    assert 2.5e-11 < s.abs_error[k] < 3.5e-11  # "about 2.9e-11"
    assert truncation == pytest.approx(2.73e-11, rel=1e-2)  # the rest is rounding of the probes
    assert s.rel_error[k] == pytest.approx(expected / float(_exact_derivative(1)), rel=1e-3)


@pytest.mark.parametrize(("scheme", "h", "power", "coef"), [
    ("forward", 1e-3, 1, 1 / 2),        # f'' h / 2
    ("central", 1e-3, 2, 1 / 6),        # f''' h^2 / 6
    ("complex-step", 1e-3, 2, 1 / 6),   # -f''' h^2 / 6
    ("five-point", 1e-2, 4, 1 / 30),    # -f^(5) h^4 / 30
])
def test_truncation_regime_matches_the_leading_term(expsin, scheme, h, power, coef):
    s = expsin.scheme(scheme)
    k = _index(s.steps, h)
    leading = coef * h**power * abs(float(_exact_derivative(power + 1))) / float(_exact_derivative(1))
    assert s.rel_error[k] == pytest.approx(leading, rel=0.03)
    assert s.truncation_power == power


def test_theoretical_steps_are_the_textbook_ones(expsin):
    """At x = 1 (scale 1): 2 sqrt(eps), (3 eps)^(1/3), (45 eps / 4)^(1/5) from the stencil constants."""
    assert expsin.scheme("forward").theory_step == pytest.approx(2 * EPS**0.5, rel=1e-9)
    assert expsin.scheme("central").theory_step == pytest.approx((3 * EPS) ** (1 / 3), rel=1e-9)
    assert expsin.scheme("five-point").theory_step == pytest.approx((45 * EPS / 4) ** 0.2, rel=1e-9)


@pytest.mark.parametrize("scheme", ["forward", "backward", "central", "five-point", "richardson"])
@pytest.mark.parametrize(("expr", "at"), [("exp(x)*sin(x)", 1.0), ("sin(x)*y + exp(x*y)", [0.3, -2.0]),
                                          ("log(1 + x**2)*cos(y)", [2.5, 0.7])])
def test_found_optimum_within_a_factor_10_of_theory(scheme, expr, at):
    s = sweep(expr, at, schemes=[scheme]).scheme(scheme)
    assert 0.1 <= s.best_step / s.theory_step <= 10, s.verdict
    assert s.model_step is not None and 0.1 <= s.model_step / s.theory_step <= 10
    # the optimum really is better than both ends of the sweep
    assert s.best_error < s.rel_error[0] and s.best_error < s.rel_error[-1]


def test_roundoff_regime_grows_like_eps_over_h(expsin):
    s = expsin.scheme("central")
    small = s.steps <= 1e-10
    # eps |f| / h relative to |f'|: the measured errors scatter around it, within a factor of 30
    model = EPS * float(abs(mpmath.exp(1) * mpmath.sin(1))) / s.steps[small] / float(_exact_derivative(1))
    ratio = s.rel_error[small] / model
    assert np.all(ratio < 30) and np.median(ratio) > 0.03
    assert s.roundoff_power == 1


def test_complex_step_reaches_the_floor_and_stays(expsin):
    s = expsin.scheme("complex-step")
    tiny = s.steps <= 1e-9
    assert np.all(s.rel_error[tiny] <= 4 * EPS)
    assert s.roundoff is None and s.roundoff_power is None
    assert s.theory_step == 1e-100
    assert "below the sweep" in s.verdict


def test_polynomial_five_point_and_richardson_show_no_truncation():
    """Five-point (order 4) and Richardson (order 8) are exact on a quartic: the largest step wins."""
    r = sweep(SEED_F, [4.0, 4.0], schemes=["central", "five-point", "richardson"])
    for name in ("five-point", "richardson"):
        s = r.scheme(name)
        assert s.good_range[1] == pytest.approx(0.1)  # the basin reaches the largest step
        assert s.best_error < 1e-14
        assert "no truncation error visible" in s.verdict
    assert 0.1 <= r.scheme("central").best_step / r.scheme("central").theory_step <= 10
    assert r.reference.tolist() == pytest.approx([277.6, 213.6], rel=1e-15)  # seed 000's gradient


def test_hessian_sweep_central_matches_the_exact_stencil():
    r = sweep("exp(x)*sin(x)", 1.0, schemes=["central"], order=2)
    s = r.scheme("central")
    k = _index(s.steps, 1e-3)
    h = (1.0 + float(s.steps[k])) - 1.0
    with mpmath.workdps(60):
        g = lambda t: mpmath.exp(t) * mpmath.sin(t)  # noqa: E731
        hm = mpmath.mpf(h)
        stencil = (g(1 + hm) - 2 * g(mpmath.mpf(1)) + g(1 - hm)) / hm**2
        expected = float(abs(stencil - _exact_derivative(2)) / abs(_exact_derivative(2)))
    assert s.rel_error[k] == pytest.approx(expected, rel=1e-2)
    assert s.roundoff_power == 2


def test_default_steps_span_1e1_to_1e16():
    steps = default_steps()
    assert steps[0] == pytest.approx(1e-1) and steps[-1] == pytest.approx(1e-16)
    assert len(steps) == 61
    assert len(default_steps(2)) == 31


def test_pole_is_a_result_with_words():
    r = sweep("1/x", 0.0)
    assert r.status.startswith("no sweep: ") and "x=0.0" in r.status
    assert r.schemes == ()


def test_bad_input_messages():
    with pytest.raises(InputError, match="^unknown finite-difference scheme 'fd-central'; choose from: "):
        sweep("x**2", 1.0, schemes=["fd-central"])
    with pytest.raises(InputError, match=r"^order must be 1 \(gradient\), 2 \(Hessian\) or 3..10 \(derivatives "
                                         r"of one variable\); got 11$"):
        sweep("x**2", 1.0, order=11)
    with pytest.raises(InputError, match="^steps per decade must be an integer from 1 to 50; got 0$"):
        default_steps(0)
    with pytest.raises(InputError, match="^steps must be a non-empty list of positive finite numbers$"):
        sweep("x**2", 1.0, steps=[1e-3, -1.0])


def test_cli_json_is_quiet_and_complete(capsys):
    assert main(["sweep", "exp(x)*sin(x)", "--at", "x=1", "--schemes", "central,complex-step", "--json"]) == 0
    out = capsys.readouterr()
    assert out.err == ""
    data = json.loads(out.out)
    assert set(data["schemes"]) == {"central", "complex-step"}
    central = data["schemes"]["central"]
    k = _index(np.array(central["steps"]), 1e-5)
    assert 2.5e-11 < central["abs_error"][k] < 3.5e-11
    assert 0.1 <= central["best_step"] / central["theory_step"] <= 10


def test_cli_several_points_table_and_progress(capsys):
    code = main(["sweep", "x**2*y", "--at", "x=1,y=2", "--at", "x=-1.5,y=0.5", "--schemes", "central",
                 "--per-decade", "2"])
    out = capsys.readouterr()
    assert code == 0
    assert out.out.count("f = x**2*y   at") == 2
    assert "x=-1.5, y=0.5" in out.out
    assert "point 2 of 2" in out.err  # progress on stderr for long work


def test_cli_pole_exits_1_and_bad_scheme_exits_2(capsys):
    assert main(["sweep", "1/x", "--at", "x=0"]) == 1
    assert "no sweep:" in capsys.readouterr().out
    assert main(["sweep", "x", "--at", "x=1", "--schemes", "nope"]) == 2
    assert "unknown finite-difference scheme 'nope'" in capsys.readouterr().err


def test_optimum_follows_the_function_not_the_default_scale():
    """log(x) at x = 0.05 varies on the scale x, not max(|x|, 1) = 1: the textbook optima computed
    from the exact derivatives (2 sqrt(eps |f| / |f''|) forward, (3 eps |f| / |f'''|)^(1/3) central)
    are 10-50 times below the library's scale-free steps, and the measured optimum finds them --
    undisturbed by the many steps whose error happens to be exactly 0 there."""
    x = 0.05
    f, f2, f3 = abs(np.log(x)), 1 / x**2, 2 / x**3
    truth = {"forward": 2 * np.sqrt(EPS * f / f2), "central": (3 * EPS * f / f3) ** (1 / 3)}
    r = sweep("log(x)", x, schemes=list(truth))
    for name, h in truth.items():
        s = r.scheme(name)
        assert s.theory_step / h > 10  # the default step is off here ...
        assert 0.1 <= s.best_step / h <= 10, s.verdict  # ... and the sweep shows where to go
        assert s.best_error > 0 and np.count_nonzero(s.rel_error == 0) >= 1


# -- Jacobians and order K -------------------------------------------------------------------------

def test_jacobian_sweep_is_the_envelope_of_its_entries_against_closed_forms():
    """F = [x*y, sin(x) + y**2] at (1, 2): the reference is the closed-form Jacobian; at each step the
    curve is the worst entry of the forward differences computed here by hand on the same probes."""
    steps = [1e-2, 1e-4, 1e-6]
    result = sweep("[x*y, sin(x) + y**2]", [1.0, 2.0], schemes=["forward"], steps=steps)
    J = np.array([[2.0, 1.0], [np.cos(1.0), 4.0]])
    assert result.kind == "jacobian" and result.what == "Jacobian"
    assert np.allclose(result.reference, J, rtol=1e-15)
    fs = [lambda x, y: x * y, lambda x, y: np.sin(x) + y**2]
    s = result.scheme("forward")
    for k, h in enumerate(steps):
        hx, hy = (1.0 + h) - 1.0, (2.0 + 2 * h) - 2.0  # steps relative to max(|x_i|, 1), exact probes
        est = np.array([[(f(1.0 + hx, 2.0) - f(1.0, 2.0)) / hx, (f(1.0, 2.0 + hy) - f(1.0, 2.0)) / hy]
                        for f in fs])
        rel = np.abs(est - J) / np.maximum(np.abs(est), np.abs(J))
        assert s.rel_error[k] == pytest.approx(rel.max(), rel=1e-6)
    # the largest relative truncation: sin's curvature against cos(1) (tan(1)/2 * h) beats y**2's (h/4)
    assert s.worst_entry == (1, 0)
    assert "worst entry there: df1/dx" in str(result)


def test_order_k_sweep_follows_the_truncation_and_rounding_laws():
    """The 6th derivative of exp(x) sin(x) at 1 against its closed form 2**3 e sin(1 + 6 pi/4):
    each scheme's fitted truncation slope is its order, its basin sits within 4x of the library's step,
    and the best errors rank by order (Richardson < five-point < central < forward)."""
    result = sweep("exp(x)*sin(x)", 1.0, order=6)
    exact = 2**3 * np.e * np.sin(1 + 6 * np.pi / 4)
    assert result.kind == "derivatives" and result.what == "f^(6)"
    assert result.reference[0] == pytest.approx(exact, rel=1e-15)
    assert [s.scheme for s in result.schemes] == ["forward", "backward", "central", "five-point", "richardson"]
    assert any("complex step gives first derivatives only" in n for n in result.notes)
    best = {s.scheme: s.best_error for s in result.schemes}
    assert best["richardson"] < best["five-point"] < best["central"] < best["forward"]
    for s in result.schemes:
        assert s.truncation_power == {"forward": 1, "backward": 1, "central": 2, "five-point": 4,
                                      "richardson": 8}[s.scheme] and s.roundoff_power == 6
        assert 0.25 <= s.best_step / s.theory_step <= 4, (s.scheme, s.best_step, s.theory_step)
    c = result.scheme("central")
    big = (c.steps > 3 * c.best_step) & (c.steps < 0.3)  # truncation side: error ~ h**2
    slope = np.polyfit(np.log(c.steps[big]), np.log(c.rel_error[big]), 1)[0]
    assert 1.6 <= slope <= 2.4
    small = (c.steps < c.best_step / 1.3) & (c.rel_error < 0.6)  # rounding side: error ~ h**-6 (noisy),
    slope = np.polyfit(np.log(c.steps[small]), np.log(c.rel_error[small]), 1)[0]  # until it saturates
    assert slope <= -3.5


def test_order_k_and_jacobian_sweep_refusals():
    with pytest.raises(InputError, match="^complex step gives first derivatives only: no sweep of order 4; "
                                         "choose from: forward, backward, central, five-point, richardson$"):
        sweep("exp(x)", 1.0, order=4, schemes=["complex-step"])
    with pytest.raises(InputError, match=r"^a sweep of order 4 needs a function of one variable; this one has 2 "
                                         r"\(x, y\): sweep its gradient \(--order 1\) or Hessian \(--order 2\)$"):
        sweep("exp(x)*y", [1.0, 1.0], order=4)
    with pytest.raises(InputError, match=r"^order must be 1 \(gradient or Jacobian\), 2 \(Hessian\) or 3..10 "
                                         r"\(derivatives of one variable\); a Jacobian sweep has order 1; got 2$"):
        sweep("[x, x*y]", [1.0, 1.0], order=2)


def test_cli_sweep_jacobian_and_order_json(capsys):
    assert main(["sweep", "[x*y, sin(x) + y**2]", "--at", "x=1,y=2", "--schemes", "central", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["derivative"] == "Jacobian" and data["schemes"]["central"]["worst_entry"] == [1, 0]
    assert np.allclose(data["reference"], [[2.0, 1.0], [np.cos(1.0), 4.0]], rtol=1e-15)
    assert main(["sweep", "exp(x)*sin(x)", "--at", "x=1", "--order", "5", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["derivative"] == "f^(5)" and data["order"] == 5 and "complex-step" not in data["schemes"]
    steps = data["schemes"]["central"]["steps"]  # order K: from 1 down to the decade below eps**(1/K)
    assert max(steps) == 1.0 and min(steps) == pytest.approx(1e-4) and len(steps) == 33
    assert main(["sweep", "exp(x)", "--at", "x=1", "--order", "11"]) == 2
