"""The running error bound of a formula (``expr.rounding``): its rules on small formulas, worked by hand
from the module's model (radii in units of u = 2^-53), and the cases that need each rule."""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy

from difflab.expr.rounding import FUNCTION_ULPS, POWER_ULPS, radius_program

x, y, z = sympy.symbols("x y z", real=True)


def radius(expr, point, symbols=(x, y, z)):
    symbols = list(symbols)[: len(point)]
    return float(np.asarray(radius_program([expr], symbols).at(np.array(point, dtype=float)))[0])


def test_inputs_and_exact_operations_have_no_radius():
    assert radius(x, [0.3]) == 0.0
    assert radius(2 * x, [0.3]) == 0.0          # a power of two scales exactly
    assert radius(-x / 4, [0.3]) == 0.0
    assert radius(sympy.Integer(3), [0.3]) == 0.0


def test_one_rounding_per_operation_of_exact_arguments():
    assert radius(x * y, [0.3, 0.7]) == pytest.approx(0.3 * 0.7)
    assert radius(x + y, [0.3, -0.7]) == pytest.approx(0.4)
    assert radius(x * y * z, [0.3, 0.7, 2.0]) == pytest.approx(2 * 0.42)   # two products
    assert radius(3 * x, [0.3]) == pytest.approx(0.9)                       # 3 is exact, the product is not


def test_a_sum_of_three_counts_its_partial_sum():
    # the last rounding is |x + y + z|; the partial sum (whichever pair comes first) at most |x|+|y|+|z|
    assert radius(x + y + z, [1.0, -1.0, 1e-8]) == pytest.approx(1e-8 + 2.00000001)


def test_rounded_constants():
    assert radius(x + sympy.Rational(1, 3), [1.0]) == pytest.approx(1 / 3 + 4 / 3)   # 1/3 is rounded once
    assert radius(x + sympy.Float(0.5), [1.0]) == pytest.approx(1.5)                 # 0.5 is a double
    assert radius(x + sympy.pi, [1.0]) == pytest.approx(2 * math.pi + 1 + math.pi)   # an evaluated constant


def test_a_function_propagates_its_argument_through_its_derivative():
    # sin(x*y): the product's rounding |x y| times |cos(x y)|, then sin's own FUNCTION_ULPS |sin|
    a, b = 3.0, 7000.0
    want = abs(math.cos(a * b)) * a * b + FUNCTION_ULPS * abs(math.sin(a * b))
    assert radius(sympy.sin(x * y), [a, b]) == pytest.approx(want, rel=1e-12)


def test_a_power_propagates_through_its_exponent():
    # (1 + x)**50: the sum's rounding |1 + x| times 50 |1 + x|**49, then pow's own rounding
    v = 1.3
    want = 50 * v ** 49 * v + POWER_ULPS * v ** 50
    assert radius((1 + x) ** 50, [0.3]) == pytest.approx(want, rel=1e-12)


def test_cancellation_is_measured_against_the_terms():
    """exp(x) - 1 - x at 1e-5 is 5e-11 from terms of size 1: the radius is of the size of the terms."""
    r = radius(sympy.exp(x) - 1 - x, [1e-5])
    assert 1.0 < r < 10.0


def test_compile_time_heads_are_differentiated_through_their_rows():
    """log1p has no SymPy derivative of its own; its row's twin log(1 + u) gives d/du = 1/(1 + u)."""
    from difflab.primitives.sympy_twins import dl_log1p

    a, b = 0.25, 0.5
    want = abs(1 / (1 + a * b)) * a * b + FUNCTION_ULPS * math.log1p(a * b)
    assert radius(dl_log1p(x * y), [a, b]) == pytest.approx(want, rel=1e-12)


def test_an_exact_argument_under_an_infinite_partial_contributes_nothing():
    """sqrt(x*x - 1) at 1: d/du sqrt(u) is inf at u = 0, but u = 0 exactly there (radius |u| = 0)."""
    r = radius(sympy.sqrt(x * x - 1) + x, [1.0])
    assert np.isfinite(r)


def test_branches_carry_their_own_radius():
    pw = sympy.Piecewise((x * y, x > 0), (x + y, True))
    assert radius(pw, [0.3, 0.7]) == pytest.approx(0.21)
    assert radius(pw, [-0.3, 0.7]) == pytest.approx(0.4)


def test_shared_subexpressions_are_built_once():
    """A tower whose tree is exponential in its depth: the program stays linear in the DAG."""
    e = x
    for _ in range(40):
        e = sympy.sin(e) * sympy.cos(e)
    program = radius_program([e], [x])
    assert program.source.count("\n") < 40 * 12
    assert np.isfinite(program.at(np.array([0.7]))[0])
