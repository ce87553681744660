"""Issue 19: result objects are truthy exactly when the claim holds / the check passes / the solver
converged, print as the command line does, and show a styled table in a notebook."""

from __future__ import annotations

import numpy as np
import pytest

import difflab as dl
import difflab.numpy as dnp
from difflab.claims.derivation import check_derivation, examples_dir


def test_a_wrong_claim_is_falsy_and_a_right_one_truthy():
    wrong = dl.check("x**3", "x", "3*x**3")
    right = dl.check("x**3", "x", "3*x**2")
    assert not wrong and right
    with pytest.raises(AssertionError):
        assert dl.check("x**3", "x", "3*x**3")
    assert repr(wrong).startswith("CheckResult(holds=False, proof=None")
    text = str(wrong)
    assert "DOES NOT HOLD" in text and "d/dx of x**3" in text and "claimed value  1.536" in text  # 3*0.8**3
    assert "DOES NOT HOLD" in wrong._repr_html_() and "<table" in wrong._repr_html_()


def test_a_derivation_with_a_wrong_step_is_falsy_and_names_the_step():
    result = check_derivation(examples_dir() / "seed002_logloss_wrong_middle_step.toml")
    assert not result and result.first_wrong_step == 2
    assert "first_wrong_step=2" in repr(result)
    assert "WRONG" in str(result) and "first wrong step  2" in str(result)


def _sigmoid_sum(x):
    return dnp.sum(dnp.sigmoid(x))


def _seed_wrong_grad(x):  # the s*(1+s) instead of s*(1-s)
    s = 1 / (1 + np.exp(-x))
    return s * (1 + s)


def _right_grad(x):
    s = 1 / (1 + np.exp(-x))
    return s * (1 - s)


def test_gradcheck_is_truthy_exactly_when_it_passes_and_can_raise():
    x = np.array([0.5, -1.0, 2.0])
    bad = dl.gradcheck(_sigmoid_sum, _seed_wrong_grad, x)
    assert not bad and dl.gradcheck(_sigmoid_sum, _right_grad, x)
    with pytest.raises(AssertionError, match=r"^gradcheck failed: \d+ mismatch"):
        dl.gradcheck(_sigmoid_sum, _seed_wrong_grad, x, raise_on_failure=True)
    assert repr(bad).startswith("GradcheckReport(ok=False, entries=")
    html = bad._repr_html_()
    assert "<table" in html and "gradcheck failed" in html


def test_a_solver_that_does_not_converge_is_falsy():
    runaway = dl.newton("x**2 + 1", 0.5, mode="root")     # no real root: |f| never below 1
    found = dl.newton("exp(x) - log(x)", 0.05)             # seed 000: the minimum at W(1)
    assert not runaway and found
    assert abs(float(found.x[0]) - 0.5671432904097838) < 1e-12  # omega constant W(1)
    assert "NOT converged" in str(runaway) and "converged" in found._repr_html_()
    assert repr(found).startswith("SolverResult(converged=True, x=[0.56714329")


def test_an_error_table_prints_the_compare_table_and_names_a_kink_once():
    table = dl.compare("abs(x - 1) + x**2", at=[1.0], methods=["symbolic", "fd-forward", "fd-central"])
    text = str(table)
    assert text.count("one-sided derivatives are 1 from the left and 3 from the right") == 1
    assert "see note" in text and len(repr(table)) < 200
    assert "<table" in table._repr_html_()


def test_a_3x3_hessian_is_shown_entry_by_entry():
    table = dl.compare("x**2*y + y*z**3 + x*z", at=[1.0, 2.0, 3.0], methods=["symbolic"], order=2)
    # d2/dx2 = 2y = 4, d2/dxdy = 2x = 2, d2/dxdz = 1, d2/dy2 = 0, d2/dydz = 3z**2 = 27, d2/dz2 = 6yz = 36
    assert "[[4, 2, 1], [2, 0, 27], [1, 27, 36]]" in str(table)
    assert "entries" not in str(table).split("reference")[1].splitlines()[0]


def test_estimate_prints_its_value_and_status():
    est = dl.gradient("exp(x)*sin(y)", [1.0, 2.0], method="reverse")
    assert repr(est).startswith("Estimate(method='reverse', value=[2.47172")  # e*sin(2) = 2.4717...
    assert "status" in str(est) and "<table" in est._repr_html_()


def test_a_sweep_at_a_kink_says_so_once_and_never_calls_a_stencil_exact():
    result = dl.sweep("abs(x - 1) + x**2", 1.0)
    text = str(result)
    # the one-sided slopes of |x-1| + x**2 at 1 are 2-1 = 1 and 2+1 = 3; the reference 2 is their average
    assert text.count("one-sided derivatives are 1 from the left and 3 from the right") == 1
    assert "exact" not in text
    central = result.scheme("central")
    assert central.best_error < 1e-12 and "does not exist here" in central.verdict
    assert "<svg" in result._repr_html_() and len(repr(result)) < 200


def test_the_sweep_table_shows_the_lowest_measured_error_beside_the_basin_middle():
    result = dl.sweep("exp(x)*sin(x)", 1.0, schemes=["forward", "central"])
    for s in result.schemes:
        step, err = s.lowest
        assert err == np.nanmin(s.rel_error) and step in s.steps
        assert err <= s.best_error  # the smoothed basin middle can only be at or above a single measurement
    header = str(result).splitlines()[2]
    assert "basin middle" in header and "lowest measured (step)" in header


def test_a_report_shows_a_3x3_hessian_entry_by_entry(tmp_path):
    path = tmp_path / "r.md"
    dl.report("x**2*y + y*z**3 + x*z", [1.0, 2.0, 3.0], path, methods=["symbolic"], order=2)
    assert "| symbolic | 4, 2, 1; 2, 0, 27; 1, 27, 36 |" in path.read_text()
