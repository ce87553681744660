"""Property runs with a matrix variable: random array expressions built from the rule table (``@``,
``.T``, ``sum``, ``dot``, ``diag``, ``trace``, ``inv``, ``outer``, ``norm``, elementwise rows), their
formulas -- gradients, Hessians as structured contractions, Jacobians of vector outputs -- against
reverse mode over ``difflab.numpy`` (which never sees a formula) and finite differences."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from difflab.matrix import ArrayFunction, estimate
from difflab.matrix.rules import elementwise_names
from difflab.primitives.table import RULES

SMOOTH = [n for n in elementwise_names() if RULES[n].domain in ("real", "wide") and RULES[n].jvp is not None]
SHAPES = {"W": (2, 3), "A": (3, 3), "B": (2, 2), "x": 3, "y": 2}


def _matrix(depth: int):
    """Expressions of shape (2, 3) in W."""
    leaf = st.sampled_from(["W", "B @ W", "W @ A", "outer(y, x) + W", "W @ diag(x)"])
    if depth == 0:
        return leaf
    sub = _matrix(depth - 1)
    return st.one_of(
        leaf,
        st.builds(lambda m: f"({m}) @ A.T", sub),
        st.builds(lambda m: f"B.T @ ({m})", sub),
        st.builds(lambda m, k: f"({m}) @ ({k}).T @ ({m}) / 4", sub, sub),
        st.builds(lambda m, k: f"({m}) + ({k})", sub, sub),
        st.builds(lambda m, k: f"({m}) * ({k})", sub, sub),
        st.builds(lambda m: f"({m})**2", sub),
        st.builds(lambda m: f"inv(2*I + ({m}) @ ({m}).T / 8) @ ({m})", sub),
        st.builds(lambda m: f"diag(diag(({m}) @ ({m}).T)) @ W", sub),
        st.builds(lambda name, m: f"{name}(({m})/4)", st.sampled_from(SMOOTH), sub),
    )


SCALAR = st.one_of(
    st.builds(lambda m: f"sum({m})", _matrix(2)),
    st.builds(lambda m: f"trace(({m}) @ A @ ({m}).T)", _matrix(1)),
    st.builds(lambda m: f"dot(y, ({m}) @ x)", _matrix(2)),
    st.builds(lambda m: f"norm(({m}) @ x)", _matrix(2)),
    st.builds(lambda name, m: f"sum({name}(({m})/4))", st.sampled_from(SMOOTH), _matrix(1)),
)
VECTOR = st.one_of(
    st.builds(lambda m: f"({m}) @ x", _matrix(1)),
    st.builds(lambda name, m: f"{name}(({m}) @ x / 4) + y", st.sampled_from(SMOOTH), _matrix(1)),
)


def _data(text: str, f: ArrayFunction) -> dict:
    rng = np.random.default_rng(len(text))
    data = {"W": rng.standard_normal((2, 3)) / 2, "A": rng.standard_normal((3, 3)) / 2,
            "B": rng.standard_normal((2, 2)) / 2, "x": rng.standard_normal(3), "y": rng.standard_normal(2)}
    return {k: v for k, v in data.items() if k in f.inputs}


def _rel(a, b):
    scale = max(np.max(np.abs(a)), np.max(np.abs(b)), 1e-300)
    return float(np.max(np.abs(a - b)) / scale)


def _check_scalar(text: str) -> None:
    f = ArrayFunction(text, shapes=SHAPES, wrt="W")
    data = _data(text, f)
    g = estimate(f, data, "symbolic")
    assert g.ok and g.value.shape == (2, 3), g.status
    assert _rel(g.value, estimate(f, data, "reverse").value) < 1e-11, f.formula("gradient")
    fd = estimate(f, data, "fd-five-point")
    assert np.all(np.abs(g.value - fd.value) <= 10 * fd.error_estimate + 1e-9 * np.max(np.abs(g.value)))
    H = estimate(f, data, "symbolic", 2)
    assert H.value.shape == (2, 3, 2, 3)
    assert _rel(H.value, estimate(f, data, "reverse", 2).value) < 1e-10, f.formula("hessian")
    flat = H.value.reshape(6, 6)
    assert np.max(np.abs(flat - flat.T)) <= 1e-12 * max(1.0, np.max(np.abs(flat)))


def _check_vector(text: str) -> None:
    f = ArrayFunction(text, shapes=SHAPES, wrt="W")
    data = _data(text, f)
    J = estimate(f, data, "symbolic")
    assert J.value.shape == (2, 2, 3), f.formula("jacobian")
    assert _rel(J.value, estimate(f, data, "reverse").value) < 1e-11, f.formula("jacobian")


@given(SCALAR)
@settings(max_examples=20)
def test_matrix_variable_formula_vs_reverse_vs_finite_differences(text):
    _check_scalar(text)


@given(VECTOR)
@settings(max_examples=10)
def test_jacobian_wrt_a_matrix_vs_reverse(text):
    _check_vector(text)


@pytest.mark.slow
@given(SCALAR)
@settings(max_examples=300)
def test_matrix_variable_large_run(text):
    _check_scalar(text)


@pytest.mark.slow
@given(VECTOR)
@settings(max_examples=150)
def test_jacobian_wrt_a_matrix_large_run(text):
    _check_vector(text)


@pytest.mark.parametrize(("text", "terms"), [
    ("0.5*sum((V @ tanh(W @ X) - Y)**2)", 2),   # (V^T V) x (P X)(P X) and delta x (Q X X)
    ("sum(W**2)", 1),                            # 2 * identity: one pure-delta term, no factor
    ("sum((B @ W @ A)**2)", 1),                  # 2 kron(B^T B, A A^T): one contraction
])
def test_hessian_wrt_a_matrix_is_a_few_contractions(text, terms):
    """The structured form: a handful of einsum terms, whatever the size (no per-direction work)."""
    f = ArrayFunction(text, shapes={"V": "o,h", "W": "h,d", "X": "d,k", "Y": "o,k", "A": "d,d", "B": "h,h"},
                      wrt="W")
    assert len(f.contraction().plans) == terms
    assert "einsum" in f.source("hessian") or terms == 1


def test_kronecker_hessian_equals_the_closed_form():
    """sum((B W A)**2) has Hessian 2 kron(B^T B, A A^T) in W's row-major flattening."""
    rng = np.random.default_rng(3)
    B, W, A = rng.standard_normal((4, 4)), rng.standard_normal((4, 5)), rng.standard_normal((5, 5))
    f = ArrayFunction("sum((B @ W @ A)**2)", shapes={"A": "d,d", "B": "h,h", "W": "h,d"}, wrt="W")
    H = f.evaluate("hessian", {"A": A, "B": B, "W": W})
    assert _rel(H.reshape(20, 20), 2 * np.kron(B.T @ B, A @ A.T)) < 1e-14
    I = ArrayFunction("sum(W**2)", shapes={"W": "h,d"}, wrt="W").evaluate("hessian", {"W": W})
    assert np.array_equal(I.reshape(20, 20), 2 * np.eye(20))


def test_network_hessian_equals_the_hand_written_contraction():
    """d^2 L / dW_ab dW_cd for L = 0.5 |V tanh(W X) - Y|^2, by hand: (V^T V)_ac sum_k P_ak X_bk P_ck X_dk
    + delta_ac sum_k Q_ak X_bk X_dk with S = tanh(W X), P = 1 - S^2, Q = -2 S P V^T (V S - Y)."""
    rng = np.random.default_rng(4)
    V, W, X, Y = (rng.standard_normal(s) / 2 for s in ((3, 5), (5, 4), (4, 9), (3, 9)))
    S = np.tanh(W @ X)
    P = 1 - S**2
    Q = -2 * S * P * (V.T @ (V @ S - Y))
    want = np.einsum("ac,ak,bk,ck,dk->abcd", V.T @ V, P, X, P, X)
    want += np.einsum("ac,ak,bk,dk->abcd", np.eye(5), Q, X, X)
    f = ArrayFunction("0.5*sum((V @ tanh(W @ X) - Y)**2)", shapes={"V": "o,h", "W": "h,d", "X": "d,k",
                                                                    "Y": "o,k"}, wrt="W")
    assert _rel(f.evaluate("hessian", {"V": V, "W": W, "X": X, "Y": Y}), want) < 1e-14


def test_without_the_contraction_the_hessian_is_taken_direction_by_direction(monkeypatch):
    """A term beyond einsum's letters is refused by the contraction rules (NotLinear); the Hessian is then
    H[V] on each basis direction -- the same numbers."""
    import difflab.matrix.contract as contract

    text = "sum(log(1 + (B @ W @ A)**2))"
    shapes = {"A": "d,d", "B": "h,h", "W": "h,d"}
    rng = np.random.default_rng(5)
    data = {"A": rng.standard_normal((4, 4)), "B": rng.standard_normal((3, 3)), "W": rng.standard_normal((3, 4))}
    structured = ArrayFunction(text, shapes=shapes, wrt="W")
    want = structured.evaluate("hessian", data)
    assert structured.contraction() is not None
    monkeypatch.setattr(contract, "LETTERS", "abcd")
    fallback = ArrayFunction(text, shapes=shapes, wrt="W")
    assert fallback.contraction() is None
    assert _rel(fallback.evaluate("hessian", data), want) < 1e-13
