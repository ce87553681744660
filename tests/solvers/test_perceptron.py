"""Perceptrons: seed 002's house and sentiment tables, the seeds' gradient formulas by every method, and
Rosenblatt's rule (seed 003) on separable and non-separable data."""

from __future__ import annotations

import numpy as np
import pytest

from difflab.errors import InputError
from difflab.methods import registry as methods
from difflab.methods import transforms as functional
from difflab.solvers.datasets import HOUSES, SENTIMENT, SENTIMENT_PM, XOR
from difflab.solvers.network import Network, gradient
from difflab.solvers.perceptron import (
    fit_classifier,
    fit_regression,
    predict_linear,
    predict_proba,
    rosenblatt,
    step,
)

TOL = {"fd-forward": 1e-6, "fd-backward": 1e-6, "fd-central": 1e-9, "fd-five-point": 1e-11}


@pytest.mark.parametrize("method", ["symbolic", "reverse", "forward", "fd-central"])
def test_house_table_regression(method):
    r = fit_regression(HOUSES.X, HOUSES.y, method=method)
    assert r.converged, r.reason
    # Every row of the table has price = 50 * size; rooms = size / 500, so the fit is exact.
    assert predict_linear(r.x, HOUSES.X) == pytest.approx(HOUSES.y, rel=1e-12)
    assert predict_linear(r.x, [[1500, 3]])[0] == pytest.approx(75_000, rel=1e-12)
    # Collinear features: many (w1, w2) fit; any of them satisfies w1 + w2/500 = 50 and b = 0.
    assert predict_linear(r.x, [1500, 3]) == pytest.approx([75_000], rel=1e-12)  # one sample, 1-D
    assert r.x[0] + r.x[1] / 500 == pytest.approx(50.0, rel=1e-9)
    assert abs(r.x[2]) < 1e-3
    loss = np.array(r.history["loss"])
    assert np.all(np.diff(loss) <= 0) and loss[-1] < 1e-12 * loss[0]


def test_regression_without_standardizing_crawls_and_says_so():
    r = fit_regression(HOUSES.X, HOUSES.y, lr=1e-7, epochs=200, standardize=False)
    assert not r.converged and r.reason.startswith("not converged: stopped after max_iter=200 steps")


@pytest.mark.parametrize("method", methods.names())
def test_seed_regression_gradient_formula(method):
    # Seeds 000/002: dL/dw_j = -(y - yhat) x_j, dL/db = -(y - yhat) for L = 1/2 (y - yhat)^2.
    net = Network((2, 1), output="identity", loss="squared")
    w, b, x, y = np.array([0.3, -0.2]), 0.1, np.array([2.0, 4.0]), 1.5
    yhat = w @ x + b
    _, ((gW, gb),) = gradient(net, [(w[None, :], np.array([b]))], [x], [y], method)
    tol = TOL.get(method, 1e-13)
    assert gW[0] == pytest.approx(-(y - yhat) * x, rel=tol)
    assert gb[0] == pytest.approx(-(y - yhat), rel=tol)


@pytest.mark.parametrize("method", methods.names())
def test_seed_classification_gradient_formula(method):
    # Seeds 000/002: with yhat = sigmoid(w.x + b) and the log-loss, the sigmoid' cancels: -(y - yhat) x_j.
    net = Network((2, 1))
    w, b, x, y = np.array([0.7, -0.4]), -0.2, np.array([2.0, 1.0]), 1.0
    yhat = 1 / (1 + np.exp(-(w @ x + b)))
    _, ((gW, gb),) = gradient(net, [(w[None, :], np.array([b]))], [x], [y], method)
    tol = TOL.get(method, 1e-13)
    assert gW[0] == pytest.approx(-(y - yhat) * x, rel=tol)
    assert gb[0] == pytest.approx(-(y - yhat), rel=tol)


@pytest.mark.parametrize("method", ["symbolic", "reverse", "forward"])
def test_sentiment_table_classifier(method):
    r = fit_classifier(SENTIMENT.X, SENTIMENT.y, method=method, epochs=300)
    p = predict_proba(r.x, SENTIMENT.X)
    assert np.array_equal(p > 0.5, SENTIMENT.y == 1)
    loss = np.array(r.history["loss"])
    assert np.all(np.diff(loss) < 0) and loss[0] == pytest.approx(np.log(2), rel=1e-15)
    # Separable data: the log-loss has no minimizer, so an honest run ends at the epoch limit.
    assert not r.converged and r.reason.startswith("not converged: stopped after max_iter=300 steps")


def test_sentiment_classifier_three_methods_same_curve():
    curves = [fit_classifier(SENTIMENT.X, SENTIMENT.y, method=m, epochs=100).history["loss"]
              for m in ("symbolic", "reverse", "forward")]
    assert np.max(np.abs(np.array(curves) - np.array(curves[1]))) <= 1e-12


def test_rosenblatt_separable_sentiment_table():
    r = rosenblatt(SENTIMENT_PM.X, SENTIMENT_PM.y)
    assert r.converged and r.reason == ("converged: no mistakes in epoch 2; every sample is on its side of "
                                        "the boundary")
    # By hand: epoch 1 errs on (0,2,-1): w = -2*(0,2), b = -2; then on (2,1,+1): w += 2*(2,1), b += 2.
    assert r.x.tolist() == [4.0, -2.0, 0.0]
    assert r.history["mistakes"] == [2.0, 0.0]
    assert np.array_equal(step(SENTIMENT_PM.X @ r.x[:2] + r.x[2]), SENTIMENT_PM.y)


def test_rosenblatt_xor_cycles_and_stops_honestly():
    r = rosenblatt(XOR.X, XOR.y, max_epochs=1000)
    assert not r.converged
    assert r.reason.startswith("not separable: the weights after epoch 3 equal those after epoch 2")
    assert r.nit == 3
    limited = rosenblatt(XOR.X, XOR.y, max_epochs=1)
    assert not limited.converged
    assert limited.reason == ("not converged: 3 mistakes in epoch 1; the data may not be linearly separable "
                              "(Rosenblatt's rule only stops on separable data)")


def test_rosenblatt_step_is_minus_twice_the_soft_criterion_gradient():
    # Seed 003 eq. 3: J_soft = max(-y z, 0). For a misclassified sample (y z < 0) its gradient in (w, b) is
    # -y (x, 1), and Rosenblatt's step eta (y - yhat)(x, 1) = 2 eta y (x, 1) is -2 eta times that.
    import difflab.numpy as dnp

    x, y, theta = np.array([1.0, 3.0, 1.0]), -1.0, np.array([0.5, 0.2, 0.1])  # z = 1.2 > 0, y = -1
    for method in ("reverse", "forward", "fd-central"):
        g = functional.grad(lambda t: dnp.maximum(-y * (t @ x), 0.0), method=method)(theta)
        step_ = 1.0 * (y - float(step(theta @ x))) * x
        assert step_ == pytest.approx(-2.0 * g, rel=1e-9)


@pytest.mark.parametrize("call, message", [
    (lambda: rosenblatt(SENTIMENT.X, SENTIMENT.y),
     "Rosenblatt's rule needs labels -1 and +1 (seed 003's step activation)"),
    (lambda: rosenblatt(XOR.X, XOR.y, eta=0), "eta must be a positive number, got 0"),
    (lambda: rosenblatt(XOR.X, XOR.y, w0=[1, 2]), "w0 needs 3 values (weights and bias), got 2"),
    (lambda: fit_classifier(XOR.X, XOR.y), "the classification perceptron needs labels 0 and 1"),
    (lambda: fit_regression(HOUSES.X, [1.0, 2.0]),
     "X must be (samples, features) and y one value per sample; got X (3, 2), y of length 2"),
    (lambda: fit_regression([[1.0, np.nan]], [1.0]), "X and y must be finite numbers"),
    (lambda: predict_linear(np.array([1.0, 2.0, 0.0]), [[1.0, 2.0, 3.0]]),
     "expected samples with 2 features, got an array of shape (1, 3)"),
])
def test_bad_input(call, message):
    with pytest.raises(InputError) as err:
        call()
    assert str(err.value) == message
