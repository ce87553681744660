"""Bad array expressions, shapes and data: one clear message each (positions count from 1)."""

from __future__ import annotations

import numpy as np
import pytest

from difflab.errors import InputError, ParseError
from difflab.matrix import ArrayFunction

SHAPES = {"A": "n,n", "x": "n", "B": "m,n"}


@pytest.mark.parametrize(("text", "message"), [
    ("A @ B", "cannot parse expression at position 3: cannot multiply (n, n) @ (m, n): inner dimensions n "
              "and m differ"),
    ("x + B @ x", "cannot parse expression at position 3: cannot add: shapes (n,) and (m,) do not match"),
    ("sum(A.foo)", "cannot parse expression at position 5: attribute '.foo' is not allowed (only .T, the "
                   "transpose)"),
    ("sum(x)^2", "cannot parse expression at position 7: '^' is not a power here (hint: use ** for powers, "
                 "e.g. x**2)"),
    ("sum(I)", "cannot parse expression at position 5: the size of I is unknown here: add it to a square "
               "matrix, multiply it with one, or write eye(n)"),
    ("x + I", "cannot parse expression at position 3: I can only be added to a square matrix, not to "
              "shape (n,)"),
    ("inv(B)", "cannot parse expression at position 1: inv needs a square matrix, got shape (m, n)"),
    ("sum(x, 1)", "cannot parse expression at position 1: 'sum' takes 1 argument, got 2"),
    ("sum(x, axis=0)", "cannot parse expression at position 13: 'sum' takes no keyword arguments"),
    ("x[0]", "cannot parse expression at position 1: subscripts (indexing) are not allowed"),
    ("sum(x) // 2", "cannot parse expression at position 8: '//' (floor division) is not differentiable "
                    "(hint: use / for division)"),
    ("__import__('os')", "cannot parse expression at position 1: names beginning with '__' are not "
                         "allowed ('__import__')"),
])
def test_parse_errors(text, message):
    with pytest.raises(ParseError) as err:
        ArrayFunction(text, shapes=SHAPES, wrt="x")
    assert str(err.value) == message


def test_unknown_function_lists_the_known_ones():
    with pytest.raises(ParseError, match=r"position 5: unknown function 'det' in an array expression "
                                         r"\(hint: known functions: .*abs, .*trace"):
        ArrayFunction("sum(det(A)*x)", shapes=SHAPES, wrt="x")


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"shapes": {"x": "n,n,n"}, "wrt": "x"}, "shape of 'x' has 3 axes; array expressions take vectors and "
                                             "matrices"),
    ({"shapes": {"x": (0,)}, "wrt": "x"}, "shape of 'x': 0 is not a positive size or a size name"),
    ({"shapes": {"x": 3.5}, "wrt": "x"}, "shape of 'x' must be a tuple of sizes, got 3.5"),
    ({"shapes": {"x": 3, "A": (3, 3)}}, "say which input to differentiate with respect to: wrt=... "
                                        "(inputs: A, x)"),
    ({"shapes": {"x": 3, "A": (3, 3)}, "wrt": "y"}, "wrt='y' does not appear in the expression "
                                                    "(inputs: A, x)"),
    ({"shapes": ["x"], "wrt": "x"}, "shapes= must map array names to shapes, e.g. {'A': (3, 3), 'x': (3,)}"),
])
def test_construction_errors(kwargs, message):
    with pytest.raises(InputError) as err:
        ArrayFunction("sum((A @ x)**2)" if "A" in kwargs["shapes"] else "sum(x**2)", **kwargs)
    assert str(err.value) == message


@pytest.mark.parametrize(("data", "message"), [
    ({"A": np.eye(3)}, "missing value for 'x' (inputs: A, x)"),
    ({"A": np.eye(3), "x": np.ones(3), "z": 1.0}, "unknown input 'z' (inputs: A, x)"),
    ({"A": np.eye(3), "x": np.ones(4)}, "size 'n' is 3 for 'A' but 4 for 'x'"),
    ({"A": np.ones(3), "x": np.ones(3)}, "'A' must have shape (n, n), got (3,)"),
    ({"A": np.eye(3), "x": np.array([1.0, np.nan, 2.0])}, "value for 'x' has entries that are not finite"),
    ({"A": np.eye(3), "x": "1,2,3"}, "value for 'x' is not numbers: '1,2,3'"),
    ([1, 2], "data must map each input to its value (A, x), not list"),
])
def test_data_errors(data, message):
    f = ArrayFunction("sum((A @ x)**2)", shapes={"A": "n,n", "x": "n"}, wrt="x")
    with pytest.raises(InputError) as err:
        f.evaluate("gradient", data)
    assert str(err.value) == message


def test_fixed_sizes_are_checked():
    f = ArrayFunction("sum(x**2)", shapes={"x": 3}, wrt="x")
    with pytest.raises(InputError, match=r"^'x' must have shape \(3,\), got \(4,\)$"):
        f.evaluate("gradient", {"x": np.ones(4)})


def test_hessian_of_a_vector_expression_is_refused():
    f = ArrayFunction("A @ x", shapes=SHAPES, wrt="x")
    with pytest.raises(InputError, match=r"^the Hessian needs a scalar expression; this one has shape \(n,\)$"):
        f.formula("hessian")
