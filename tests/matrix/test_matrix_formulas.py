"""The issue's examples: formulas as text, parsed back, and equal to the hand-written formulas."""

from __future__ import annotations

import numpy as np
import pytest

from difflab.matrix import ArrayFunction
from difflab.matrix.parse import parse_array

QUARTIC = ("0.25*sum((A@x)**4) + 0.5*sum(x**2)", {"A": "n,n", "x": "n"}, "x")
LSQ = ("sum((X@w - y)**2)", {"X": "m,n", "w": "n", "y": "m"}, "w")
LOGISTIC = ("sum(softplus(-y*(X@w)))", {"X": "m,n", "w": "n", "y": "m"}, "w")
MLP = ("0.5*sum((V @ tanh(W @ X) - Y)**2)", {"V": "o,h", "W": "h,d", "X": "d,k", "Y": "o,k"}, "W")


def _f(case):
    text, shapes, wrt = case
    return ArrayFunction(text, shapes=shapes, wrt=wrt)


@pytest.mark.parametrize(("case", "gradient", "hessian"), [
    (QUARTIC, "A.T @ (A @ x)**3 + x", "3*A.T @ diag((A @ x)**2) @ A + I"),
    (LSQ, "2*X.T @ (X @ w - y)", "2*X.T @ X"),
    (LOGISTIC, "-X.T @ (y*sigmoid(-y*(X @ w)))",
     "X.T @ diag(y**2*sigmoid(-y*(X @ w))*(1 - sigmoid(-y*(X @ w)))) @ X"),
])
def test_formula_text(case, gradient, hessian):
    f = _f(case)
    assert f.formula("gradient") == gradient
    assert f.formula("hessian") == hessian


INV = ("sum(inv(A) @ x) + trace(A @ A) + norm(A @ x)", {"A": "n,n", "x": "n"}, "A")
DOT = ("dot(x, diag(A)) * sum(exp(A @ x)) + log(sum(x**2))", {"A": "n,n", "x": "n"}, "x")
JACOBIAN = ("tanh(W @ x) + W @ W.T @ y", {"W": "h,d", "x": "d", "y": "h"}, "W")


@pytest.mark.parametrize("case", [QUARTIC, LSQ, LOGISTIC, MLP, INV, DOT, JACOBIAN])
@pytest.mark.parametrize("kind", ["gradient", "hessian"])
def test_formula_parses_back_to_the_same_expression(case, kind):
    f = _f(case)
    if kind == "hessian" and f.node.shape:
        return
    text = f.formula(kind)
    shapes = dict(f.shapes)
    if text[1:2] == "[":  # H[dW] = ... or J[dW] = ...: the action on a direction
        name, text = text[2:].split("] = ", 1)
        shapes[name] = f.shapes[f.wrt]
        assert parse_array(text, shapes) is f.derivative(f.directional(kind))
    else:
        assert parse_array(text, shapes) is f.derivative(kind)
        g = ArrayFunction(text, shapes=shapes, wrt=None if f.wrt not in text else f.wrt)
        assert g.formula("value") == text  # and as a Function of its own


def _rel(a, b):
    return float(np.max(np.abs(a - b)) / np.max(np.abs(b)))


def test_quartic_equals_hand_written():
    rng = np.random.default_rng(0)
    n = 30
    A, x = rng.standard_normal((n, n)) / np.sqrt(n), rng.standard_normal(n)
    f = _f(QUARTIC)
    s = A @ x
    assert _rel(f.evaluate("gradient", {"A": A, "x": x}), A.T @ s**3 + x) < 1e-13
    assert _rel(f.evaluate("hessian", {"A": A, "x": x}), A.T @ (3 * s[:, None] ** 2 * A) + np.eye(n)) < 1e-13
    assert f.evaluate("gradient", {"A": A, "x": x}).shape == (n,)


def test_least_squares_and_logistic_equal_hand_written():
    rng = np.random.default_rng(1)
    X, w, y = rng.standard_normal((20, 5)), rng.standard_normal(5), rng.choice([-1.0, 1.0], 20)
    data = {"X": X, "w": w, "y": y}
    r = X @ w - y
    assert _rel(_f(LSQ).evaluate("gradient", data), 2 * X.T @ r) < 1e-13
    assert _rel(_f(LSQ).evaluate("hessian", data), 2 * X.T @ X) < 1e-13
    s = 1 / (1 + np.exp(y * (X @ w)))  # sigmoid(-y X w)
    assert _rel(_f(LOGISTIC).evaluate("gradient", data), -X.T @ (y * s)) < 1e-13
    assert _rel(_f(LOGISTIC).evaluate("hessian", data), X.T @ ((s * (1 - s))[:, None] * X)) < 1e-13


def test_mlp_gradient_equals_backprop_and_hessian_is_symmetric():
    rng = np.random.default_rng(2)
    V, W, X, Y = (rng.standard_normal(s) for s in ((2, 4), (4, 3), (3, 6), (2, 6)))
    data = {"V": V, "W": W, "X": X, "Y": Y}
    f = _f(MLP)
    H1 = np.tanh(W @ X)
    delta = (V.T @ (V @ H1 - Y)) * (1 - H1**2)  # backprop by hand
    assert _rel(f.evaluate("gradient", data), delta @ X.T) < 1e-13
    H = f.evaluate("hessian", data)
    assert H.shape == (4, 3, 4, 3)
    flat = H.reshape(12, 12)
    assert np.max(np.abs(flat - flat.T)) < 1e-12 * np.max(np.abs(flat))
    assert f.formula("hessian").startswith("H[dW] = ")


def test_vector_output_jacobian():
    f = ArrayFunction("tanh(A @ x) + x", shapes={"A": (3, 3), "x": 3}, wrt="x")
    assert f.formula("jacobian") == "diag(1 - tanh(A @ x)**2) @ A + I"
    rng = np.random.default_rng(4)
    A, x = rng.standard_normal((3, 3)), rng.standard_normal(3)
    want = (1 - np.tanh(A @ x) ** 2)[:, None] * A + np.eye(3)
    assert _rel(f.evaluate("jacobian", {"A": A, "x": x}), want) < 1e-14


def test_norm_trace_dot_inv_formulas():
    f = ArrayFunction("norm(x) + trace(A) * dot(x, y)", shapes={"x": 3, "y": 3, "A": (3, 3)}, wrt="x")
    assert f.formula("gradient") == "x/sqrt(sum(x**2)) + sum(diag(A))*y"
    g = ArrayFunction("sum(inv(A) @ x)", shapes={"x": 3, "A": (3, 3)}, wrt="A")
    assert g.formula("gradient") == "-inv(A).T @ outer(ones(3), x) @ inv(A).T"


def test_compiled_source_has_cse_and_row_scaling():
    src = _f(QUARTIC).source("hessian")
    assert src.count("A @ x") == 1
    assert "[:, None] * A" in src
    assert "np.diag" not in src
