"""Probe plans are built once per (dimension, scheme) and serve every point and step (engines/fd_plan)."""

import numpy as np
import pytest

from difflab.engines import finite_diff as fd
from difflab.engines.fd_plan import gradient_plan, hessian_plan


def f(X):
    X = np.atleast_2d(X)
    return np.exp(X[:, 0]) * np.sin(X[:, 1]) + X[:, 2] ** 3


def grad(x):
    return np.array([np.exp(x[0]) * np.sin(x[1]), np.exp(x[0]) * np.cos(x[1]), 3 * x[2] ** 2])


def hess(x):
    e, s, c = np.exp(x[0]), np.sin(x[1]), np.cos(x[1])
    return np.array([[e * s, e * c, 0], [e * c, -e * s, 0], [0, 0, 6 * x[2]]])


@pytest.mark.parametrize("scheme", ["forward", "central", "five-point", "richardson"])
def test_one_plan_serves_every_point_and_step_with_honest_errors(scheme):
    points = [np.array([1.0, 2.0, -0.5]), np.array([-0.3, 0.7, 3.0]), np.array([2e-3, -4.0, 1e-6])]
    for k, x in enumerate(points):
        step = None if k < 2 else 1e-3
        g = fd.gradient(f, x, scheme, step=step)
        assert np.all(np.abs(g.value - grad(x)) <= g.error + 1e-15), (scheme, x)
        H = fd.hessian(f, x, scheme, step=step)
        assert np.all(np.abs(H.value - hess(x)) <= H.error + 1e-15), (scheme, x)
    assert gradient_plan(3, scheme)[0] is gradient_plan(3, scheme)[0]
    assert hessian_plan(3, scheme)[0] is hessian_plan(3, scheme)[0]


def test_a_central_gradient_plan_has_four_probes_per_variable_and_two_lines():
    plan, orders = gradient_plan(5, "central")
    assert plan.m == 4 * 5  # x +- h e_i and x +- 2h e_i, no centre
    assert orders.tolist() == [2.0] * 5
    (rows, w, norm, offs), = plan.lines  # one group of lines: offsets -2, -1, 1, 2 along each variable
    assert rows.shape == (5, 4)
    assert w.tolist() == [-0.5, 1.0, -1.0, 0.5]  # third difference: 2h^3 f''' in exact weights
    assert norm == pytest.approx(np.sqrt(2.5))
