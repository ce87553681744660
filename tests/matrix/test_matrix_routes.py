"""Every method on an array Function, and property runs: random array expressions built from the rule
table, their formulas against reverse mode, forward mode and finite differences."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from matrix_oracle import scalar_route

from difflab.errors import InputError
from difflab.matrix import ROUTES, ArrayFunction, estimate
from difflab.matrix.rules import elementwise_names
from difflab.primitives.table import RULES

SMOOTH = [n for n in elementwise_names() if RULES[n].domain in ("real", "wide") and RULES[n].jvp is not None]


def _quartic(n=5, seed=0):
    rng = np.random.default_rng(seed)
    A, x = rng.standard_normal((n, n)) / np.sqrt(n), rng.standard_normal(n)
    f = ArrayFunction("0.25*sum((A@x)**4) + 0.5*sum(x**2)", shapes={"A": "n,n", "x": "n"}, wrt="x")
    s = A @ x
    return f, {"A": A, "x": x}, A.T @ s**3 + x, A.T @ (3 * s[:, None] ** 2 * A) + np.eye(n)


@pytest.mark.parametrize("method", list(ROUTES))
@pytest.mark.parametrize("order", [1, 2])
def test_every_method_is_close_and_honest(method, order):
    f, data, g, H = _quartic()
    est = estimate(f, data, method, order)
    want = g if order == 1 else H
    assert est.ok and est.method == method and est.value.shape == want.shape
    assert np.all(np.abs(est.value - want) <= est.error_estimate + 1e-15), method
    exact = method in ("symbolic", "forward", "reverse", "mpmath")
    assert np.max(np.abs(est.value - want)) <= (1e-13 if exact else 1e-4) * np.max(np.abs(want))


def test_outside_the_domain_is_said_in_words():
    f = ArrayFunction("sum(log(x))", shapes={"x": 3}, wrt="x")
    est = estimate(f, {"x": np.array([1.0, -2.0, 3.0])}, "symbolic")
    assert not est.ok
    assert est.status.startswith("f is not finite at the data (f = nan): outside the domain or at a pole")


@pytest.mark.parametrize("method", list(ROUTES))
def test_inv_through_every_method(method):
    """f = 1^T B x with B = inv(A), by hand from dB = -B dA B: with u = B^T 1 and v = B x the gradient
    is -u v^T and f''[dA1, dA2] = u^T dA1 B dA2 v + u^T dA2 B dA1 v, i.e.
    H[a,b,c,d] = u_a B_bc v_d + u_c B_da v_b."""
    rng = np.random.default_rng(8)
    A, x = 2.0 * np.eye(3) + 0.3 * rng.standard_normal((3, 3)), rng.standard_normal(3)
    f = ArrayFunction("sum(inv(A) @ x)", shapes={"A": (3, 3), "x": 3}, wrt="A")
    B = np.linalg.inv(A)
    u, v = B.T @ np.ones(3), B @ x
    grad = -np.outer(u, v)
    H = np.einsum("a,bc,d->abcd", u, B, v) + np.einsum("c,da,b->abcd", u, B, v)
    for order, want in ((1, grad), (2, H)):
        est = estimate(f, {"A": A, "x": x}, method, order)
        assert est.ok and est.value.shape == want.shape
        tol = 1e-12 if method in ("symbolic", "forward", "reverse", "mpmath") else 1e-4 if order == 1 else 1e-2
        assert _rel(est.value, want) < tol, (method, order)
        assert np.all(np.abs(est.value - want) <= est.error_estimate + 1e-14 * np.max(np.abs(want)))


def test_unknown_method_and_order():
    f, data, _, _ = _quartic()
    with pytest.raises(InputError, match="^unknown method 'newton'; choose one of: symbolic, forward"):
        estimate(f, data, "newton")
    with pytest.raises(InputError, match="^order must be 1 or 2 for an array function, got 3$"):
        estimate(f, data, "symbolic", 3)


def test_jacobian_of_a_vector_expression_by_reverse():
    f = ArrayFunction("sigmoid(A @ x)", shapes={"A": (3, 2), "x": 2}, wrt="x")
    rng = np.random.default_rng(5)
    data = {"A": rng.standard_normal((3, 2)), "x": rng.standard_normal(2)}
    s = 1 / (1 + np.exp(-data["A"] @ data["x"]))
    want = (s * (1 - s))[:, None] * data["A"]
    for method in ("symbolic", "reverse"):
        assert np.allclose(estimate(f, data, method).value, want, rtol=1e-13, atol=0)


# ------------------------------------------------------------------------------ random expressions
def _vector(depth: int):
    leaf = st.sampled_from(["x", "y", "A @ x", "A.T @ y"])
    if depth == 0:
        return leaf
    sub = _vector(depth - 1)
    return st.one_of(
        leaf,
        st.builds(lambda u: f"A @ ({u})", sub),
        st.builds(lambda u: f"A.T @ ({u})", sub),
        st.builds(lambda u, v: f"({u}) + ({v})", sub, sub),
        st.builds(lambda u, v: f"({u}) * ({v})", sub, sub),
        st.builds(lambda u: f"c*({u})", sub),
        st.builds(lambda u: f"({u})**2", sub),
        st.builds(lambda u: f"diag(A)*({u})", sub),
        st.builds(lambda u, v: f"outer({u}, y) @ ({v})", sub, sub),
        st.builds(lambda name, u: f"{name}(({u})/4)", st.sampled_from(SMOOTH), sub),
    )


SCALAR = st.one_of(
    st.builds(lambda u: f"sum({u})", _vector(3)),
    st.builds(lambda u, v: f"({u}) @ ({v})", _vector(2), _vector(2)),
    st.builds(lambda name, u: f"sum({name}(({u})/4))", st.sampled_from(SMOOTH), _vector(2)),
)


def _rel(a, b):
    scale = max(np.max(np.abs(a)), np.max(np.abs(b)), 1e-300)
    return float(np.max(np.abs(a - b)) / scale)


def _check(text: str) -> None:
    f = ArrayFunction(text, shapes={"A": (3, 3), "x": 3, "y": 3}, wrt="x")
    rng = np.random.default_rng(len(text))
    data = {"A": rng.standard_normal((3, 3)) / 2, "x": rng.standard_normal(3), "y": rng.standard_normal(3),
            "c": 0.8}
    data = {k: v for k, v in data.items() if k in f.inputs}
    g = estimate(f, data, "symbolic")
    assert _rel(g.value, estimate(f, data, "reverse").value) < 1e-11, f.formula("gradient")
    assert _rel(g.value, estimate(f, data, "forward").value) < 1e-11
    fd = estimate(f, data, "fd-five-point")
    assert np.all(np.abs(g.value - fd.value) <= 10 * fd.error_estimate + 1e-9 * np.max(np.abs(g.value)))
    H = estimate(f, data, "symbolic", 2)
    assert _rel(H.value, estimate(f, data, "reverse", 2).value) < 1e-10, f.formula("hessian")


@given(SCALAR)
@settings(max_examples=25)
def test_random_expressions_formula_vs_reverse_vs_finite_differences(text):
    _check(text)


@pytest.mark.slow
@given(SCALAR)
@settings(max_examples=400)
def test_random_expressions_large_run(text):
    _check(text)


EVERY_FUNCTION = [  # the functions: sum, dot, diag, trace, inv, log/exp elementwise, norms
    ("sum(exp(A @ x)) + norm(x) + trace(diag(x) @ A) + dot(x, log(x)) + sum(inv(A + diag(x**2)) @ x)",
     {"A": (3, 3), "x": 3}, "x"),
    ("trace(W @ W.T) + dot(y, log(1 + (W @ x)**2)) + sum(inv(2*I + W @ W.T) @ y) + norm(W @ x) "
     "+ sum(exp(W / 4))", {"W": (2, 3), "x": 3, "y": 2}, "W"),
]


_ORACLE: dict = {}  # the scalar route is slow (SymPy inverts a symbolic matrix): once per case and order


@pytest.mark.parametrize("method", list(ROUTES))
@pytest.mark.parametrize(("text", "shapes", "wrt"), EVERY_FUNCTION, ids=["vector", "matrix"])
def test_every_listed_function_through_every_method(method, text, shapes, wrt):
    """Against the scalar route (SymPy entry by entry, no rule of difflab.matrix): within each method's
    own error estimate, and to 1e-12 for the exact methods."""
    f = ArrayFunction(text, shapes=shapes, wrt=wrt)
    rng = np.random.default_rng(12)
    data = {"A": 2.0 * np.eye(3) + 0.3 * rng.standard_normal((3, 3)), "x": rng.uniform(0.5, 1.5, 3),
            "W": rng.standard_normal((2, 3)) / 2, "y": rng.standard_normal(2)}
    data = {k: v for k, v in data.items() if k in f.inputs}
    for order in (1, 2):
        if (text, order) not in _ORACLE:
            _ORACLE[text, order] = scalar_route(f, data, order)
        want = _ORACLE[text, order]
        est = estimate(f, data, method, order)
        assert est.ok and est.value.shape == want.shape, est.status
        exact = method in ("symbolic", "forward", "reverse", "mpmath")
        assert _rel(est.value, want) < (1e-12 if exact else 1e-3), (method, order)
        assert np.all(np.abs(est.value - want) <= est.error_estimate + 1e-13 * np.max(np.abs(want)))
