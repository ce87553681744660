"""Vector-valued functions and dl.jacobian for every method, against mpmath written out by hand."""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
import sympy

import difflab as dl
import difflab.numpy as dnp
from difflab.errors import InputError, ParseError

mp = mpmath.mp
TEXT = "[x*y*z, sin(x) + y**2, exp(x*y)/(1 + z**2), log(1 + x**2 + y**2)*tanh(z)]"
POINT = (0.7, -1.3, 0.4)


def mp_components():
    return [lambda x, y, z: x * y * z, lambda x, y, z: mp.sin(x) + y**2,
            lambda x, y, z: mp.exp(x * y) / (1 + z**2), lambda x, y, z: mp.log(1 + x**2 + y**2) * mp.tanh(z)]


def mp_jacobian(point) -> np.ndarray:
    with mp.workdps(50):
        p = [mpmath.mpf(v) for v in point]
        J = []
        for fn in mp_components():
            row = []
            for j in range(3):
                def along(t, j=j, fn=fn):
                    q = list(p)
                    q[j] = t
                    return fn(*q)
                row.append(float(mpmath.diff(along, p[j])))
            J.append(row)
    return np.array(J)


def rel(a, b) -> float:
    scale = np.maximum(np.abs(a), np.abs(b))
    return float(np.max(np.where(scale == 0, 0.0, np.abs(a - b) / np.where(scale == 0, 1, scale))))


@pytest.mark.parametrize("method", ["symbolic", "forward", "reverse", "mpmath", "complex-step"])
def test_exact_methods_within_1e13(method):
    est = dl.jacobian(dl.Function(TEXT), POINT, method=method)
    assert est.value.shape == (4, 3) and est.ok
    assert rel(est.value, mp_jacobian(POINT)) <= 1e-13


@pytest.mark.parametrize("method", ["fd-forward", "fd-backward", "fd-central", "fd-five-point", "richardson"])
def test_finite_differences_have_honest_per_entry_estimates(method):
    est = dl.jacobian(dl.Function(TEXT), POINT, method=method)
    err = np.abs(est.value - mp_jacobian(POINT))
    assert est.error_estimate.shape == (4, 3)
    assert np.all(err <= est.error_estimate)


def test_three_ways_to_write_a_vector_function():
    x, y = sympy.symbols("x y", real=True)
    by_text = dl.Function("[x*y, sin(x) + y**2]")
    by_sympy = dl.Function([x * y, sympy.sin(x) + y**2])

    def by_code(x, y):
        return [x * y, dnp.sin(x) + y**2]
    by_python = dl.Function(by_code)
    for F in (by_text, by_sympy, by_python):
        assert isinstance(F, dl.VectorFunction) and (F.m, F.n) == (2, 2) and F.has_expression
        J = dl.jacobian(F, [1.0, 2.0], "reverse").value
        assert np.allclose(J, [[2.0, 1.0], [np.cos(1.0), 4.0]], rtol=1e-15)


def test_opaque_code_returning_an_array():
    """Control flow on values: not traceable, still differentiated by AD and finite differences."""
    def F(x, y):
        if float(np.real(x.value if hasattr(x, "value") else x)) > 0:
            return dnp.stack([x * y, dnp.exp(y)])
        return dnp.stack([-x * y, dnp.exp(y)])
    f = dl.Function(F, variables=["x", "y"])
    assert not f.has_expression and f.m == 2
    for method in ("forward", "reverse", "fd-central"):
        J = dl.jacobian(f, [1.0, 0.5], method).value
        assert np.allclose(J, [[0.5, 1.0], [0.0, np.exp(0.5)]], rtol=1e-8)
    with pytest.raises(InputError, match="the symbolic method needs an expression"):
        dl.jacobian(f, [1.0, 0.5], "symbolic")


def test_removable_point_per_component():
    """Each component gets the scalar treatment: sin(t)/t at t = 0 is its limit, with a note."""
    F = dl.Function("[sin(t)/t, t**2]")
    est = dl.jacobian(F, [0.0], "symbolic")
    assert est.ok and np.allclose(est.value, [[0.0], [0.0]], atol=1e-15)
    assert any(n.startswith("component 0: ") and "removable" in n for n in est.notes)
    est = dl.jacobian(dl.Function("[(t**2 - 1)/(t - 1), exp(t)]"), [1.0], "symbolic")
    assert np.allclose(est.value, [[1.0], [np.e]], rtol=1e-15)


def test_pole_in_a_component_is_said():
    est = dl.jacobian(dl.Function("[1/x, y]"), [0.0, 1.0], "forward")
    assert not est.ok and "x=0" in est.status


def test_parse_errors_give_the_position_in_the_whole_text():
    with pytest.raises(ParseError, match="at position 15: invalid syntax"):  # the '*' after '+', from 1
        dl.Function("[x*y, sin(x) +* y]")
    with pytest.raises(ParseError, match="at position 5: invalid syntax"):
        dl.Function("[x, , y]")
    with pytest.raises(ParseError, match="comprehensions are not allowed"):
        dl.Function("[t for t in x]")
    with pytest.raises(ParseError, match="unknown function 'undefined_fn'"):
        dl.Function("[x, undefined_fn(x)]")


def test_wrong_uses_are_named():
    with pytest.raises(InputError, match="unknown method 'nope'"):
        dl.jacobian("[x, y]", [1, 2], "nope")
    with pytest.raises(InputError, match="expected 2 values"):
        dl.jacobian("[x, y]", [1], "forward")
    with pytest.raises(InputError, match="component 5 does not exist; the function has 2 components"):
        dl.Function("[x, y]").component(5)
    # a scalar function's Jacobian is its gradient as one row
    assert dl.jacobian("x*y", [2.0, 3.0], "reverse").value.tolist() == [[3.0, 2.0]]
