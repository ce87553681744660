"""dl.grad / dl.value_and_grad: one loss, every method, the same structure back."""

from __future__ import annotations

import numpy as np
import pytest
from rulecheck import rel

import difflab as dl
import difflab.numpy as dnp
from difflab.errors import InputError
from difflab.methods.transforms import grad_methods

RNG = np.random.default_rng(11)
X = RNG.normal(size=(6, 3))
T = RNG.integers(0, 2, 6).astype(float)
PARAMS = {"W": RNG.normal(size=(3, 2)), "b": RNG.normal(size=2), "v": [RNG.normal(size=2), 0.3]}


def loss(p, X, t):
    h = dnp.tanh(X @ p["W"] + p["b"])
    z = h @ p["v"][0] + p["v"][1]
    return dnp.mean(dnp.softplus(z) - t * z)


def closed_form(p, X, t):
    """Hand-derived gradient of ``loss``."""
    h = np.tanh(X @ p["W"] + p["b"])
    z = h @ p["v"][0] + p["v"][1]
    dz = (1 / (1 + np.exp(-z)) - t) / len(t)
    dh = np.outer(dz, p["v"][0]) * (1 - h ** 2)
    return {"W": X.T @ dh, "b": dh.sum(axis=0), "v": [h.T @ dz, dz.sum()]}


# worst relative error each method must reach on this smooth loss
TOLERANCE = {"reverse": 1e-14, "forward": 1e-14, "complex-step": 1e-13, "richardson": 1e-10,
             "fd-five-point": 1e-9, "fd-central": 1e-7, "fd-forward": 1e-5, "fd-backward": 1e-5}


@pytest.mark.parametrize("method", grad_methods())
def test_every_method_same_structure_and_values(method):
    value, g = dl.value_and_grad(loss, method=method)(PARAMS, X, T)
    ref = closed_form(PARAMS, X, T)
    assert rel(value, loss(PARAMS, X, T)) <= 1e-15
    assert set(g) == {"W", "b", "v"} and isinstance(g["v"], list) and len(g["v"]) == 2
    assert np.shape(g["W"]) == (3, 2) and np.shape(g["b"]) == (2,) and np.shape(g["v"][1]) == ()
    flat = np.concatenate([np.ravel(g["W"]), g["b"], g["v"][0], [g["v"][1]]])
    flat_ref = np.concatenate([np.ravel(ref["W"]), ref["b"], ref["v"][0], [ref["v"][1]]])
    assert rel(flat, flat_ref) <= TOLERANCE[method], method


def test_grad_of_plain_array():
    x = np.array([0.5, -1.5, 2.0])
    for method in ("reverse", "forward", "complex-step"):
        assert rel(dl.grad(lambda u: dnp.sum(dnp.sin(u) * u), method)(x), np.cos(x) * x + np.sin(x)) <= 1e-15


def test_unknown_method_lists_the_valid_names():
    with pytest.raises(InputError) as info:
        dl.grad(loss, method="backprop")
    assert str(info.value) == ("unknown method 'backprop' for grad; choose one of: reverse, forward, "
                               "fd-forward, fd-backward, fd-central, fd-five-point, complex-step, richardson")
