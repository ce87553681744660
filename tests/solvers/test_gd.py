"""Gradient descent: seed 004's worked numbers with every method, stopping rules, failures as results."""

from __future__ import annotations

import numpy as np
import pytest

from difflab.errors import InputError
from difflab.methods.registry import gradient, names
from difflab.solvers import datasets
from difflab.solvers.gd import descend, gradient_descent
from difflab.solvers.network import Network
from difflab.solvers.network import gradient as net_gradient

# Seed 004: preds = (input_data * weights).sum(); error = preds - target; slope = 2 * error * input_data.
SEED004 = "(w0*1 + w1*2 + w2*3 - 0)**2"


@pytest.mark.parametrize("method", names())
def test_seed004_slope_every_method(method):
    est = gradient(SEED004, datasets.SEED004_WEIGHTS, method=method)
    assert est.ok
    assert est.value == pytest.approx([14, 28, 42], rel=1e-6 if method.startswith("fd-") else 1e-12)


@pytest.mark.parametrize("method", ["symbolic", "forward", "reverse", "complex-step", "fd-central"])
def test_seed004_one_step_error_7_to_5_04(method):
    r = gradient_descent(SEED004, datasets.SEED004_WEIGHTS, method=method, lr=datasets.SEED004_LEARNING_RATE,
                         max_iter=1)
    x = datasets.SEED004_INPUT
    error0 = float(r.iterates[0] @ x) - datasets.SEED004_TARGET
    error1 = float(r.iterates[1] @ x) - datasets.SEED004_TARGET
    assert error0 == 7
    assert error1 == pytest.approx(5.04, rel=1e-9)
    # weights - 0.01 * [14, 28, 42]
    assert r.iterates[1] == pytest.approx([-0.14, 1.72, 0.58], rel=1e-9)
    assert r.history["loss"] == pytest.approx([49.0, 5.04**2], rel=1e-9)
    assert not r.converged and r.reason.startswith("not converged: stopped after max_iter=1 steps")


def test_seed004_single_weight_slope():
    # Seed 004: "slope = 2 * -4 * 3 = -24 ... new weight 2 - 0.01(-24) = 2.24" (prediction 6, actual 10).
    r = gradient_descent("(3*w - 10)**2", [2.0], lr=0.01, max_iter=1)
    assert r.history["grad_norm"][0] == pytest.approx(24.0, rel=1e-15)
    assert r.iterates[1][0] == pytest.approx(2.24, rel=1e-15)


def test_seed004_two_layer_network_errors_6_and_0():
    w = datasets.SEED004_NET_WEIGHTS
    x = datasets.SEED004_NET_INPUT
    assert datasets.seed004_network_output(x, w) - datasets.SEED004_NET_TARGET == 6
    assert datasets.seed004_network_output(x, datasets.SEED004_NET_UPDATED) - datasets.SEED004_NET_TARGET == 0
    # The same network as a Network (rows of W are destinations, as in seed 003).
    net = Network((2, 2, 1), hidden="identity", output="identity", loss="squared")
    params = [(np.array([w["weight_0"], w["weight_1"]]), np.zeros(2)), (w["output"][None, :], np.zeros(1))]
    assert net.predict(params, x[None, :])[0, 0] == 9.0
    # L = 1/2 error^2: dL/dW2 = error * hidden = 6 * [3, 6]; dL/dW1[j] = error * W2[j] * input = 6 * [0, 3].
    for method in ("symbolic", "reverse", "forward", "fd-central"):
        value, ((gW1, gb1), (gW2, gb2)) = net_gradient(net, params, x[None, :], [datasets.SEED004_NET_TARGET],
                                                       method)
        assert value == pytest.approx(18.0, rel=1e-12)
        tol = 1e-6 if method.startswith("fd") else 1e-12
        assert gW2[0] == pytest.approx([18.0, 36.0], rel=tol)
        assert gW1[0] == pytest.approx([0.0, 18.0], rel=tol, abs=tol)
        assert gW1[1] == pytest.approx([0.0, 18.0], rel=tol, abs=tol)
        assert gb2[0] == pytest.approx(6.0, rel=tol)
        assert gb1 == pytest.approx([6.0, 6.0], rel=tol)


def test_three_methods_same_descent():
    curves = {m: gradient_descent("x**2 + 10*y**2 + x*y", [3.0, -2.0], method=m, lr=0.04, max_iter=60)
              for m in ("symbolic", "reverse", "forward", "fd-central")}
    ref = np.array(curves["symbolic"].history["loss"])
    for m in ("reverse", "forward"):
        assert np.max(np.abs(np.array(curves[m].history["loss"]) - ref)) <= 1e-12
    assert np.max(np.abs(np.array(curves["fd-central"].history["loss"]) - ref)) <= 1e-7


def test_converges_on_a_quadratic_and_momentum_helps():
    plain = gradient_descent("x**2 + 10*y**2", [1.0, 1.0], lr=0.05, max_iter=5000, gtol=1e-10)
    heavy = gradient_descent("x**2 + 10*y**2", [1.0, 1.0], lr=0.05, momentum=0.5, max_iter=5000, gtol=1e-10)
    for r in (plain, heavy):
        assert r.converged and r.reason.startswith("converged: gradient norm")
        assert np.allclose(r.x, 0.0, atol=1e-10)
    assert heavy.nit < plain.nit


def test_ftol_stops():
    r = gradient_descent("(x - 1)**2", [0.0], lr=0.1, ftol=1e-12, gtol=0.0, max_iter=10_000)
    assert r.converged and "the loss changed by" in r.reason
    assert r.x[0] == pytest.approx(1.0, abs=1e-5)


def test_divergence_is_a_result():
    # x <- x - 1.5 * 2x = -2x: the loss quadruples every step.
    r = gradient_descent("x**2", [1.0], lr=1.5, max_iter=1000)
    assert not r.converged
    assert r.reason.startswith("diverged: the loss grew from 1 to ")
    assert "the learning rate 1.5 is too large" in r.reason
    assert r.nit == 14  # 4**14 > 1e8 * 1 >= 4**13


def test_non_finite_loss_is_a_result():
    def vg(x, k):
        return (np.inf if k == 2 else float(x @ x)), 2 * x
    r = descend(vg, [1.0], lr=0.1)
    assert not r.converged and r.reason.startswith("diverged: the loss is not finite at step 2")


def test_method_failure_stops_with_its_status():
    # log(x) from x = 1 with lr 2: x -> -1, outside the domain of log.
    r = gradient_descent("log(x)", [1.0], lr=2.0, max_iter=5)
    assert not r.converged
    assert r.reason.startswith("stopped at step 1: f is not finite at x=-1")


def test_keep_iterates_false_keeps_endpoints():
    r = descend(lambda x, k: (float(x @ x), 2 * x), [1.0, 2.0], lr=0.1, max_iter=10, gtol=0.0,
                keep_iterates=False)
    assert len(r.iterates) == 2 and r.iterates[-1] == pytest.approx(0.8**10 * np.array([1.0, 2.0]))


@pytest.mark.parametrize("kwargs, message", [
    ({"lr": 0.0}, "the learning rate must be a positive number, got 0.0"),
    ({"lr": float("nan")}, "the learning rate must be a positive number, got nan"),
    ({"momentum": 1.0}, "momentum must be in [0, 1), got 1.0"),
    ({"max_iter": -1}, "max_iter must be a whole number >= 0, got -1"),
])
def test_bad_input(kwargs, message):
    with pytest.raises(InputError) as err:
        gradient_descent("x**2", [1.0], **kwargs)
    assert str(err.value) == message
