"""Forward mode: duals with batched tangents, gradients in one pass, Hessians by nested duals."""

from __future__ import annotations

import numpy as np
import pytest
from rulecheck import ENGINE_CASES, entrywise_rel, symbolic_derivatives

import difflab.numpy as dnp
from difflab.engines import forward
from difflab.errors import InputError


@pytest.mark.parametrize("name", sorted(ENGINE_CASES))
def test_forward_matches_symbolic(name):
    fn, x = ENGINE_CASES[name]
    value, grad, hess = symbolic_derivatives(fn, x)
    v, g = forward.gradient(fn, x)
    assert entrywise_rel(v, value) <= 1e-13
    assert entrywise_rel(g, grad) <= 1e-13, (g, grad)
    v2, g2, h = forward.hessian(fn, x)
    assert entrywise_rel(g2, grad) <= 1e-13
    assert entrywise_rel(h, hess) <= 1e-13, (h, hess)


def test_seed_numbers():
    """Seed 002: gradient (277.6, 213.6) and Hessian [[198.4, -2.6], [-2.6, 157.6]] at (4, 4)."""
    fn, x = ENGINE_CASES["seed"]
    value, grad, hess = forward.hessian(fn, x)
    assert entrywise_rel(grad, [277.6, 213.6]) <= 1e-13
    assert entrywise_rel(hess, [[198.4, -2.6], [-2.6, 157.6]]) <= 1e-13


def test_jvp_is_gradient_dot_direction():
    fn, x = ENGINE_CASES["mixed"]
    v = np.array([0.3, -2.0, 0.7])
    value, t = forward.jvp(fn, x, v)
    assert entrywise_rel(t, forward.gradient(fn, x)[1] @ v) <= 1e-14
    assert value == forward.gradient(fn, x)[0]


def test_jvp_of_vector_function():
    A = np.array([[1.0, 2.0], [0.5, -1.0], [3.0, 0.0]])
    x, v = np.array([0.3, -0.8]), np.array([1.0, 2.0])
    value, t = forward.jvp(lambda u: dnp.sin(A @ u), x, v)
    assert np.allclose(value, np.sin(A @ x), rtol=0, atol=1e-15)
    assert entrywise_rel(t, np.cos(A @ x) * (A @ v)) <= 1e-14


def test_blocks_give_the_same_gradient(monkeypatch):
    """Large n is split into tangent blocks; forcing tiny blocks must not change anything."""
    fn, x = ENGINE_CASES["rosenbrock"]
    full = forward.gradient(fn, x)[1], forward.hessian(fn, x)[2]
    monkeypatch.setattr(forward, "BLOCK_ELEMENTS", 8)
    assert np.array_equal(forward.gradient(fn, x)[1], full[0])
    assert np.array_equal(forward.hessian(fn, x)[2], full[1])


def test_constant_and_linear_functions():
    assert np.array_equal(forward.gradient(lambda v: 3.0, [1.0, 2.0])[1], [0.0, 0.0])
    v, g, h = forward.hessian(lambda v: 2 * v[0] - v[1], [1.0, 2.0])
    assert v == 0.0 and np.array_equal(g, [2.0, -1.0]) and np.array_equal(h, np.zeros((2, 2)))


def test_operators_on_duals():
    def fn(v):
        x, y = v  # iteration unpacks
        return (2.0 ** x + 1.0 / y - (3.0 - x) + abs(-y) + (+x) * len(v) + v.T[0] + v.shape[0]
                + dnp.sum(v * (v > 1.0)) + v.sum() + v.mean() + v.dot(v))
    x = np.array([0.5, 1.5])
    g = forward.gradient(fn, x)[1]
    expected = [np.log(2) * 2 ** 0.5 + 1 + 2 + 1 + 1 + 0.5 + 1.0, -1 / 1.5 ** 2 + 1 + 1 + 1 + 0.5 + 3.0]
    assert entrywise_rel(g, expected) <= 1e-15


def test_poles_return_infinities_without_warnings():
    """Numerical trouble is a value (inf/nan) for the method layer to report, never an exception."""
    v, g = forward.gradient(lambda u: dnp.log(u[0]), [0.0])
    assert v == -np.inf and g[0] == np.inf
    v, g = forward.gradient(lambda u: dnp.sqrt(u[0]), [0.0])
    assert v == 0.0 and g[0] == np.inf


def test_bad_input_messages():
    with pytest.raises(InputError, match=r"the point must be a 1-D vector, got shape \(2, 2\)"):
        forward.gradient(lambda v: dnp.sum(v), np.ones((2, 2)))
    with pytest.raises(InputError, match=r"gradient needs a function returning a scalar; it returned shape"):
        forward.gradient(lambda v: v * 2, [1.0, 2.0])
    with pytest.raises(InputError, match=r"tangent has shape \(3,\), the point has shape \(2,\)"):
        forward.jvp(lambda v: v, [1.0, 2.0], [1.0, 2.0, 3.0])


@pytest.mark.parametrize("module", ["forward", "reverse"])
def test_engines_import_no_sympy_and_have_no_per_operation_code(module):
    """The engines import nothing symbolic and never name a primitive: all of that lives in rules.py."""
    import ast
    import pathlib

    import difflab
    from difflab.primitives.table import RULES

    source = (pathlib.Path(difflab.__file__).parent / "engines" / f"{module}.py").read_text()
    tree = ast.parse(source)
    imported = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    imported |= {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert not any("sympy" in (name or "") for name in imported)
    strings = {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)}
    assert not strings & set(RULES)
    assert len(source.splitlines()) <= 200
