"""Exact constants beyond 53 bits reach the compiled NumPy code as doubles (issue 13: TypeError and
OverflowError tracebacks from lambdify's Python ints)."""

from __future__ import annotations

import math

import difflab as dl


def test_a_constant_beyond_int64_inside_a_function():
    f = dl.Function("x*sigmoid(2**1000)")          # sigmoid(1.07e301) is 1 in any precision that matters
    assert f.numpy(3.0) == 3.0
    assert dl.gradient(f, [3.0], method="symbolic").value[0] == 1.0


def test_a_constant_with_a_denominator_beyond_the_double_range():
    f = dl.Function("sigmoid(sinh(z*5e-324**E))", variables=["E", "z"])
    # 5e-324**1 = 4.9e-324 (the double nearest 5e-324); sinh of it is itself; sigmoid of it is 1/2
    assert f.numpy(1.0, 1.0) == 0.5
    g = dl.gradient(f, [1.0, 1.0], method="symbolic").value
    assert all(math.isfinite(v) for v in g)
