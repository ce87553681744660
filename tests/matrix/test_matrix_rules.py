"""Every row of the array rule table, checked against the scalar route (SymPy on small concrete shapes)
and every elementwise function against mpmath's numerical derivative of the row's mpmath twin."""

from __future__ import annotations

import numpy as np
import pytest
from matrix_oracle import mp_derivative, scalar_route

from difflab.matrix import ArrayFunction
from difflab.matrix.rules import RULES, elementwise_names
from difflab.primitives.table import DOMAINS
from difflab.primitives.table import RULES as PRIMITIVES

SHAPES = {"x": (3,), "y": (3,), "z": (3,), "A": (3, 3), "B": (2, 3), "W": (2, 3), "c": ()}

# (row exercised, expression, wrt): each row of RULES appears, with every argument differentiated.
CASES = [
    ("add", "sum((x + c)**2) + sum(x + y)*c", "x"),
    ("add", "sum((x + c)**2) + sum(x + y)*c", "c"),
    ("mul", "sum(x*y*x) + c*sum(x)*sum(x*z)", "x"),
    ("pow", "sum(x**3) + sum(y**x) + sum(x**c)", "x"),
    ("pow", "sum(y**c)", "c"),
    ("func", "sum(sin(x)*y) + sum(exp(A @ x))", "x"),
    ("matmul", "x @ A @ x + sum(B @ x)**2 + sum((x @ A)**2)", "x"),
    ("matmul", "sum((W @ x)**2) + sum(W @ A @ W.T)", "W"),
    ("transpose", "sum((A.T @ x)**2) + sum(W.T @ (W @ x))", "x"),
    ("transpose", "sum((W.T @ W @ x)**2)", "W"),
    ("sum", "sum(x)**2 + sum(A*A)*sum(x)", "x"),
    ("diag", "sum(diag(x) @ A @ x) + sum(diag(outer(x, y) @ A)**2)", "x"),
    ("inv", "sum(inv(A + diag(x**2)) @ y)", "x"),
    ("inv", "sum(inv(W @ W.T) @ ones(2))", "W"),
    ("outer", "sum((outer(x, y)**2) @ z) + sum(outer(W @ x, W @ y))", "x"),
    ("outer", "sum(outer(W @ x, W @ y)**2)", "W"),
]


def _data(rng):
    A = 3.0 * np.eye(3) + 0.3 * rng.standard_normal((3, 3))
    return {"x": rng.uniform(0.5, 1.5, 3), "y": rng.uniform(0.5, 1.5, 3), "z": rng.standard_normal(3),
            "A": A, "B": rng.standard_normal((2, 3)), "W": rng.standard_normal((2, 3)) + np.eye(2, 3),
            "c": 0.7}


def _relmax(a, b):
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-300))


def test_every_row_has_a_case():
    assert {row for row, _, _ in CASES} == set(RULES)


@pytest.mark.parametrize(("row", "text", "wrt"), CASES, ids=[f"{r}-{w}-{i}" for i, (r, _, w) in enumerate(CASES)])
def test_row_against_the_scalar_route(row, text, wrt):
    f = ArrayFunction(text, shapes=SHAPES, wrt=wrt)
    names = f.inputs
    data = {k: v for k, v in _data(np.random.default_rng(3)).items() if k in names}
    for order, kind in ((1, "gradient"), (2, "hessian")):
        got = f.evaluate(kind, data)
        want = scalar_route(f, data, order)
        assert got.shape == want.shape
        assert _relmax(got, want) < 1e-13, (kind, f.formula(kind))


def _domain(name: str) -> tuple[float, float]:
    """Where the row is smooth, from the table (at most (-1.5, 1.5))."""
    d = DOMAINS[PRIMITIVES[name].domains()[0]]
    return max(d.low, -1.5), min(d.high, 1.5) if d.high > max(d.low, -1.5) + 0.5 else d.high


@pytest.mark.parametrize("name", [n for n in elementwise_names() if n != "sign"])
def test_elementwise_derivative_from_the_table_against_mpmath(name):
    """f = sum(g(x)*y): the gradient is g'(x)*y and the Hessian diag(g''(x)*y), entry by entry."""
    low, high = _domain(name)
    rng = np.random.default_rng(7)
    x, y = rng.uniform(low, high, 3), rng.uniform(0.5, 1.5, 3)
    f = ArrayFunction(f"sum({name}(x)*y)", shapes={"x": 3, "y": 3}, wrt="x")
    g = f.evaluate("gradient", {"x": x, "y": y})
    H = f.evaluate("hessian", {"x": x, "y": y})
    want_g = np.array([mp_derivative(name, xi, 1) * yi for xi, yi in zip(x, y, strict=True)])
    want_h = np.diag([mp_derivative(name, xi, 2) * yi for xi, yi in zip(x, y, strict=True)])
    assert _relmax(g, want_g) < 1e-13, f.formula("gradient")
    assert np.max(np.abs(H - want_h)) < 1e-12 * max(1.0, np.max(np.abs(want_h))), f.formula("hessian")


@pytest.mark.parametrize("name", [n for n in elementwise_names() if n != "sign"])
def test_elementwise_derivative_against_sympy(name):
    d = DOMAINS[PRIMITIVES[name].domains()[0]]
    domain = 0.0 if d.low < -0.5 < 0.5 < d.high else (d.low + d.high) / 2
    f = ArrayFunction(f"sum({name}(A @ x) * y)", shapes={"A": (3, 3), "x": 3, "y": 3}, wrt="x")
    rng = np.random.default_rng(11)
    data = {"A": 0.2 * rng.standard_normal((3, 3)), "x": rng.uniform(-0.5, 0.5, 3) + domain,
            "y": rng.standard_normal(3)}
    data["A"] += np.eye(3)
    for order, kind in ((1, "gradient"), (2, "hessian")):
        assert _relmax(f.evaluate(kind, data), scalar_route(f, data, order)) < 1e-13
