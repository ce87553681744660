"""difflab.testing.strategies: expressions from the rule table, points inside the domain, options as strategies.

Domain safety is checked with an oracle independent of ``fuzz_domain``: SymPy's own ``evalf`` of every
subexpression at the drawn point (real, finite, and each restricted argument on the right side).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from difflab.primitives.table import RULES
from difflab.testing.domain import domain_check, domain_problem, rounding_scale
from difflab.testing.strategies import OPERATORS, FunctionAt, expressions, functions, points

ALL = ("exp", "log", "sin", "sqrt", "tan", "log1p", "abs", "max", "min", "sigmoid", "atan") + OPERATORS
TABLE_HEADS = {type(RULES[n].sympy(sympy.Symbol("a"))).__name__ for n in RULES if RULES[n].in_expressions
               and RULES[n].arity == 1} | {"Max", "Min", "Add", "Mul", "Pow"}


def _oracle_violations(expr: sympy.Expr, env: dict, margin: float) -> list[str]:
    """Every node evaluated by SymPy (not by fuzz_domain): what is outside its domain at ``env``."""
    def ev(node):
        if isinstance(node, sympy.Max | sympy.Min):  # SymPy's evalf of Max compares symbolically
            parts = [ev(a) for a in node.args]
            return (max if isinstance(node, sympy.Max) else min)(parts)
        return node.evalf(30, subs=env)

    out = []
    for node in sympy.preorder_traversal(expr):
        value = ev(node)
        if value.as_real_imag()[1] != 0 or not value.is_finite:
            out.append(f"{node} = {value}")
            continue
        arg = ev(node.args[0]) if node.args else None
        if isinstance(node, sympy.log) or (node.is_Pow and not node.exp.is_integer):
            if arg <= margin:
                out.append(f"argument of {node} not above {margin}")
        if (node.is_Pow and node.exp.is_integer and node.exp < 0) or isinstance(node, sympy.Abs):
            if abs(arg) <= margin:
                out.append(f"{node} within {margin} of its pole/kink")
        if isinstance(node, sympy.tan) and abs(sympy.cos(arg)) <= margin:
            out.append(f"{node} near a pole")
        if isinstance(node, sympy.Max | sympy.Min) and abs(ev(node.args[0]) - ev(node.args[1])) <= margin:
            out.append(f"{node} near its kink")
    return out


@settings(max_examples=40)
@given(functions(variables=("x", "y"), max_depth=3, functions=ALL, allow_singular=True))
def test_drawn_points_are_inside_the_domain_even_for_singular_expressions(case):
    f, x = case
    env = dict(zip(f.symbols, (sympy.Float(float(v), 30) for v in x), strict=True))
    assert _oracle_violations(f.expr, env, 0.05) == []
    assert math.isfinite(f.value(x))


@settings(max_examples=40)
@given(expressions(variables=("x",), max_depth=3), st.floats(-3, 3))
def test_without_allow_singular_every_real_point_is_in_the_domain(expr, x):
    """The safe argument forms (u**2 + c, exp(u) + c, cosh(u), softplus(u) + c, tan(sin u)) hold everywhere;
    only a kink (abs, max, min take any argument) may be met, and points() keeps its margin from those."""
    s = sympy.Symbol("x", real=True)
    problem = domain_problem(expr, [s], [x], margin=0.0, max_magnitude=math.inf)
    assert problem is None or "kink" in problem
    env = {s: sympy.Float(x, 30)}
    assert [v for v in _oracle_violations(expr, env, 0.0) if "kink" not in v] == []


@settings(max_examples=40)
@given(expressions(variables=("x", "y", "z"), max_depth=3, functions=ALL))
def test_expressions_use_only_rule_table_rows_and_the_given_variables(expr):
    for node in sympy.preorder_traversal(expr):
        if node.args and not node.is_number:
            assert type(node).__name__ in TABLE_HEADS, node
    assert {s.name for s in expr.free_symbols} <= {"x", "y", "z"}
    assert all(s.is_real for s in expr.free_symbols)


@settings(max_examples=30)
@given(expressions(variables=("x",), max_depth=3, functions=("sin", "add")))
def test_functions_option_restricts_the_rows(expr):
    heads = {type(n).__name__ for n in sympy.preorder_traversal(expr) if n.args and not n.is_number}
    assert heads <= {"sin", "Add", "Mul"}  # Mul: SymPy folds x + x into 2*x


@settings(max_examples=30)
@given(expressions(variables=("x",), max_depth=3, functions=("log", "tan", "add")))
def test_safe_argument_forms_use_only_the_allowed_rows(expr):
    """log and tan need safe arguments; without exp/cosh/softplus/sin/tanh they are built from powers."""
    heads = {type(n).__name__ for n in sympy.preorder_traversal(expr) if n.args and not n.is_number}
    assert heads <= {"log", "tan", "Add", "Mul", "Pow"}


@settings(max_examples=20)
@given(expressions(variables=st.just(("u",)), max_depth=st.just(0)))
def test_options_accept_strategies_depth_zero_is_a_leaf(expr):
    assert expr == sympy.Symbol("u", real=True) or expr.is_number


def _draw_once(strategy):
    @settings(max_examples=1, database=None)
    @given(strategy)
    def draw(value):
        pass
    draw()


def test_bad_options_raise_invalid_argument():
    with pytest.raises(InvalidArgument, match=r"unknown function 'nope' for expressions\(\); choose from"):
        _draw_once(expressions(functions=("nope",)))
    with pytest.raises(InvalidArgument, match=r"max_depth must be a non-negative integer, got -1"):
        _draw_once(expressions(max_depth=-1))
    with pytest.raises(InvalidArgument, match=r"min_value=2.0 must not exceed max_value=1.0"):
        _draw_once(points("x", min_value=2.0, max_value=1.0))


@settings(max_examples=30)
@given(points("log(x) + sqrt(2 - y)", min_value=-3.0, max_value=3.0))
def test_points_respect_a_given_function_and_box(x):
    assert 0.05 < x[0] <= 3.0 and -3.0 <= x[1] < 2.0 - 0.05**2


@settings(max_examples=30)
@given(points("max(x, y)", clearance=0.1))
def test_clearance_keeps_the_whole_stencil_cube_off_a_kink(x):
    """Corners (x - rx, y + ry) and (x + rx, y - ry) stay 0.05 from the tie x == y, on the same side."""
    rx, ry = 0.1 * np.maximum(np.abs(x), 1.0)
    assert abs(x[0] - x[1]) > 0.05 + rx + ry - 1e-12


def test_clearance_rejects_a_point_whose_stencil_crosses_the_kink():
    """Found by difflab fuzz: Max(x, y) at (0, 0.0625) is 0.0625 from the kink, but Richardson's Hessian
    probes reach 0.07 in each coordinate; its estimate then missed the error (0.59 > 0.46)."""
    from difflab.testing.strategies import _neighbours

    x, y = sympy.symbols("x y", real=True)
    p = np.array([0.0, 0.0625])
    assert domain_check(sympy.Max(x, y), [x, y], p) == (None, (-1,))  # x - y < 0: y wins
    around = {domain_check(sympy.Max(x, y), [x, y], q) for q in _neighbours(p, 0.1 * np.ones(2))}
    assert around - {(None, (-1,))}


@settings(max_examples=20)
@given(functions(variables=("a", "b", "c"), max_depth=2))
def test_functions_yield_all_variables_and_a_point(case):
    assert isinstance(case, FunctionAt)
    assert case.function.variables == ("a", "b", "c") and case.point.shape == (3,)
    assert case.function.expr.free_symbols  # constants are not drawn
    assert repr(case).startswith("FunctionAt(")


def test_rounding_scale_closed_forms():
    """cos(x) - 1: |cos x| (the cos) + (|cos x| + 1) (the sum's terms) + |cos x - 1| (its result)."""
    x = sympy.Symbol("x", real=True)
    for v in (1e-4, 0.5, 2.0):
        expected = abs(math.cos(v)) * 2 + 1 + abs(math.cos(v) - 1)
        assert rounding_scale([sympy.cos(x) - 1], [x], [v])[0] == pytest.approx(expected, rel=1e-14)
    # x*y: the product's value only (variables are exact)
    y = sympy.Symbol("y", real=True)
    assert rounding_scale([x * y], [x, y], [3.0, -2.0]) == [6.0]


def test_domain_problem_names_the_trouble():
    x = sympy.Symbol("x", real=True)
    assert domain_problem(1 / (x - 1), [x], [1.01]) == \
        "denominator is within 0.05 of 0 in 1/(x - 1) (the argument is 0.01)"
    assert domain_problem(sympy.Max(x, 1), [x], [1.02]) == \
        "Max arguments are within 0.05 of a tie (a kink) in Max(1, x) (the argument is 0.02)"
    assert domain_problem(sympy.exp(sympy.exp(x)), [x], [3.0]) == \
        "|exp(exp(x))| exceeds 1e+06 (value 5.28491e+8)"
    assert np.isinf(rounding_scale([sympy.log(x)], [x], [-1.0])[0])  # complex there: no number, no crash
