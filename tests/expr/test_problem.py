"""Function: the three ways to write a function, variable order, and every point-validation message."""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy

import difflab as dl
import difflab.numpy as dnp
from difflab.errors import InputError, ParseError


def test_text_sympy_and_callable_are_the_same_function():
    t, s = sympy.symbols("x y", real=True)
    forms = [dl.Function("exp(x)*sin(y)"), dl.Function(sympy.exp(t) * sympy.sin(s)),
             dl.Function(lambda x, y: dnp.exp(x) * dnp.sin(y))]
    for f in forms:
        assert f.variables == ("x", "y")
        assert f.value([0.5, 2.0]) == pytest.approx(math.exp(0.5) * math.sin(2.0), rel=1e-15)


def test_variables_sorted_unless_given():
    assert dl.Function("z*a + m").variables == ("a", "m", "z")
    assert dl.Function("z*a + m", variables=["z", "m", "a"]).variables == ("z", "m", "a")
    assert dl.Function("z*a + m", variables="z, m, a").variables == ("z", "m", "a")
    f = dl.Function("x - y", variables=["y", "x"])
    assert f.value([1.0, 5.0]) == 4.0                       # y=1, x=5


def test_integer_inputs_are_cast_to_float():
    f = dl.Function("x**3/y")
    assert f.value([2, 3]) == pytest.approx(8 / 3, rel=1e-15)   # not integer division, not 2
    assert f.point(np.array([2, 3])).dtype == np.float64


def test_vectorized_evaluation():
    f = dl.Function("x*y + 1")
    assert np.array_equal(f.batch(np.array([[1.0, 2.0], [3.0, 4.0]])), [3.0, 13.0])
    assert np.array_equal(f.numpy(np.arange(3.0), 2.0), [1.0, 3.0, 5.0])
    assert dl.Function("2", variables=["x"]).batch(np.zeros((4, 1))).shape == (4,)   # constants broadcast


@pytest.mark.parametrize(("point", "expected"), [
    ({"x": 1, "y": 2}, [1.0, 2.0]),
    ([1, 2], [1.0, 2.0]),
    ((1.5, -2), [1.5, -2.0]),
    (np.array([1, 2]), [1.0, 2.0]),
    ("x=1,y=-2", [1.0, -2.0]),
    ("y=-2, x=1", [1.0, -2.0]),
    ("x=1;y=2", [1.0, 2.0]),
    ("1, -2", [1.0, -2.0]),
    ({"x": "1e-3", "y": "-0.5"}, [1e-3, -0.5]),
])
def test_points_accepted(point, expected):
    assert np.array_equal(dl.Function("x*y").point(point), expected)


def test_scalar_point_for_one_variable():
    assert np.array_equal(dl.Function("t**2").point(3), [3.0])
    assert np.array_equal(dl.Function("t**2").point("t=-0.25"), [-0.25])


POINT_ERRORS = [
    ({"x": 1}, "missing value for variable 'y' (variables: x, y)"),
    ({"x": 1, "y": 2, "z": 3}, "unknown variable 'z' (variables: x, y)"),
    ("x=1,y=2,z=3", "unknown variable 'z' (variables: x, y)"),
    ([1], "expected 2 values (x, y), got 1"),
    ([1, 2, 3], "expected 2 values (x, y), got 3"),
    ({"x": 1, "y": "a"}, "value for 'y' is not a number: 'a'"),
    ({"x": 1, "y": "1+1"}, "value for 'y' is not a number: '1+1'"),
    ([1, None], "value for 'y' is not a number: None"),
    ([True, 2], "value for 'x' is not a number: True"),
    ({"x": 1, "y": float("nan")}, "value for 'y' is not finite: nan"),
    ("x=inf,y=1", "value for 'x' is not finite: 'inf'"),
    ("x=1,x=2", "variable 'x' is given twice in the point"),
    ("x=1,=2", "cannot read '=2' in the point; write name=value, e.g. x=1.5"),
    ("", "empty point; give values like x=1.0"),
    (object(), "a point must be numbers for x, y, not object"),
]


@pytest.mark.parametrize(("point", "message"), POINT_ERRORS, ids=[m[:30] for _, m in POINT_ERRORS])
def test_point_errors_are_exact(point, message):
    with pytest.raises(InputError) as info:
        dl.Function("x*y").point(point)
    assert str(info.value) == message


FUNCTION_ERRORS = [
    (dict(source=3), InputError, "a Function needs expression text, a SymPy expression or a callable, not int"),
    (dict(source="x*y", variables=["x"]), InputError,
     "the expression uses 'y', which is not among the variables (x)"),
    (dict(source="x*y", variables=["x", "x", "y"]), InputError, "variables are repeated: x"),
    (dict(source="x", variables=["1x"]), InputError, "'1x' is not a valid variable name"),
    (dict(source="3"), InputError, "the function has no variables; give variables=[...] explicitly"),
    (dict(source="x^2"), ParseError, "cannot parse expression at position 2: '^' is not a power here"),
]


@pytest.mark.parametrize(("kwargs", "kind", "message"), FUNCTION_ERRORS, ids=[m[:30] for *_, m in FUNCTION_ERRORS])
def test_function_errors_are_exact(kwargs, kind, message):
    with pytest.raises(kind) as info:
        dl.Function(**kwargs)
    assert str(info.value).startswith(message)


def test_constant_function_with_explicit_variable():
    f = dl.Function("3", variables=["x"])
    assert f.value(2.0) == 3.0
    assert np.array_equal(dl.gradient(f, [2.0]).value, [0.0])


def test_ops_runs_on_both_engines():
    """The expression, lambdified into difflab.numpy, is what forward and reverse differentiate."""
    f = dl.Function("x**2*y + sin(y)")
    expected = [2 * 1.5 * 0.5, 1.5**2 + math.cos(0.5)]
    for method in ("forward", "reverse"):
        assert np.allclose(dl.gradient(f, [1.5, 0.5], method=method).value, expected, rtol=1e-15, atol=0)


def test_caches_are_declared_attributes():
    """Issue 12: every module caches into ``Function.caches``; none adds attributes to a Function."""
    f = dl.Function("log(1 + exp(x))/x + y")
    before = set(vars(f))
    for method in ("symbolic", "forward", "reverse", "fd-central", "mpmath"):
        dl.gradient(f, [0.5, 2.0], method=method)
        dl.hessian(f, [0.5, 2.0], method=method)
    dl.compare(f, at=[0.25, 1.0])
    g = dl.Function("abs(x)/sin(x)")
    g_before = set(vars(g))
    dl.gradient(g, [0.0])
    assert set(vars(f)) == before and set(vars(g)) == g_before and "caches" in before


def test_an_engine_gradient_does_not_compile_f_for_its_domain_check():
    """Issue 12: reverse and forward report f(x) on the way, so f is not lambdified just to check it."""
    f = dl.Function("exp(x)*sin(y)")
    est = dl.gradient(f, [1.0, 2.0], method="reverse")
    assert est.ok and (0, "numpy") not in f.caches.compiled
    bad = dl.Function("log(x)")
    est = dl.gradient(bad, [-1.0], method="reverse")
    assert est.status.startswith("f is not finite at x=-1 (f = nan)")
