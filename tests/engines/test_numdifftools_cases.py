"""numdifftools' own derivative tests, ported (``numdifftools_cases``): the score, and the cases that
used to be wrong with status ok, pinned one by one."""

from __future__ import annotations

import math

import numdifftools_cases as nc  # beside this file (pytest puts its folder on sys.path)
import numpy as np
import pytest

import difflab as dl


def test_suite_score_at_least_99_4_percent():
    passed, total, failures = nc.run()
    assert total >= 800
    assert passed >= 0.994 * total, "\n".join(failures)


@pytest.mark.parametrize("method", nc.FD_METHODS)
def test_two_ion_coulomb_hessian_at_its_own_scale(method):
    # V = m w^2 (x0^2 + x1^2)/2 + C/|x0 - x1| at x = (-a, a): d2V/dx0^2 = m w^2 + 2C/(2a)^3, and the
    # equilibrium m w^2 a = C/(4a^2) makes 2C/(2a)^3 = m w^2, so H = m w^2 [[2, -1], [-1, 2]] (hand).
    case = next(c for c in nc.cases() if c.source == "test_run_hamiltonian")
    mw2 = nc._HAM_M * nc._HAM_W**2
    expected = mw2 * np.array([[2.0, -1.0], [-1.0, 2.0]])
    est = dl.hessian(dl.Function(case.expr), list(case.point), method=method)
    assert est.status == "ok"
    err = np.abs(est.value - expected)
    assert np.all(err <= 1e-4 * mw2), (est.value, expected)
    assert np.all(err <= est.error_estimate + 1e-8 * mw2)


@pytest.mark.parametrize("method", nc.FD_METHODS)
def test_log_near_its_domain_edge(method):
    # d/dx log(x) = 1/x = 1000 at x = 0.001; no stencil may step across 0
    est = dl.gradient(dl.Function("log(x)"), [0.001], method=method)
    assert est.status == "ok"
    assert abs(est.value[0] - 1000.0) <= 1e-7 * 1000.0 or method in nc.ONE_SIDED
    assert abs(est.value[0] - 1000.0) <= est.error_estimate[0]


def test_edge_retry_shrinks_steps_and_says_nothing_is_wrong():
    # log(x - 1) at 1 + 1e-7 for richardson: 5h at the unit scale crosses 1; shrunk steps stay inside
    from difflab.engines import finite_diff as fd

    res = fd.gradient(lambda X: np.log(X[:, 0] - 1.0), np.array([1.0 + 1e-7]), "richardson")
    assert res.status == "ok"
    truth = 1 / ((1.0 + 1e-7) - 1.0)
    assert abs(res.value[0] - truth) <= res.error[0] and res.error[0] <= 1e-5 * truth


def test_scales_of_a_point():
    from difflab.engines.finite_diff import scales

    assert [s.tolist() for s in scales(np.array([2.0, -3.0]))] == [[2.0, 3.0]]
    assert [s.tolist() for s in scales(np.array([0.0, 2.8e-6, -1.0]))] == [[1.0, 1.0, 1.0], [2.8e-6, 2.8e-6, 1.0]]
    assert scales(np.array([1e-320]))[1].tolist() == [1e-100]
    assert math.isclose(scales(np.array([0.25, 0.0]))[1][1], 0.25)
