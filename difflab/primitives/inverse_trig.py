"""Rows of the inverse trigonometric and hyperbolic functions, ``atan2`` and ``hypot``.

The derivative rules are written in the forms that keep full relative accuracy where the textbook forms
lose it: ``1/sqrt((1 - x)(1 + x))`` rather than ``1/sqrt(1 - x*x)`` near |x| = 1 (no cancellation in
``1 - x*x``), ``1/hypot(1, x)`` for asinh (``1 + x*x`` overflows past 1e154), ``x/h/h`` with
``h = hypot(x, y)`` for atan2 and hypot.
"""

from __future__ import annotations

import math

import mpmath
import numpy as np

from difflab.primitives import kernels as K
from difflab.primitives.dispatch import Box, Rule, ops
from difflab.primitives.elementwise import INF, binary_row, fused_twin, unary_row


def _one_minus_square(x):
    """1 - x^2 as (1 - x)(1 + x) (no cancellation near |x| = 1); traced, 1 - x*x where |x| < 1/2, whose
    derivative -2x is exact (the product form's (1 - x) - (1 + x) cancels for tiny x)."""
    if not isinstance(x, Box):
        return (1.0 - x) * (1.0 + x)
    return ops.where(ops.abs(x) < 0.5, 1.0 - x * x, (1.0 - x) * (1.0 + x))


def _root_one_minus_square(x):
    return ops.sqrt(_one_minus_square(x))


def _hypot_d(x, y, h):
    """d hypot / dx = x/h; traced, sign(x)/sqrt(1 + (y/x)^2) where |x| >= |y|, whose own derivative is a
    product (x/h's 1/h - x^2/h^3 cancels when |x| >> |y|).  The denominator of the branch not taken is
    1, so neither branch makes a nan for the other's derivative."""
    if not isinstance(x, Box) and not isinstance(y, Box):
        return x / h
    big = ops.abs(x) >= ops.abs(y)
    r = y / ops.where(big, x, 1.0)
    return ops.where(big, ops.sign(x) / ops.sqrt(1.0 + r * r), x / h)


def _atan2_d0(y, x, ans):
    h = ops.hypot(x, y)
    return x / h / h


def _atan2_d1(y, x, ans):
    h = ops.hypot(x, y)
    return -(y / h) / h


def _atan2_branch(values, y, x):
    """The smooth form of atan2 off its cut (y = 0 with x < 0): atan(y/x) shifted by a multiple of pi,
    or pi/2 - atan(x/y) where |y| > |x| (so x = 0 is covered)."""
    sympy = K.sympy_module()
    vy, vx = values
    if abs(vy) > abs(vx):
        return (1 if vy > 0 else -1) * sympy.pi / 2 - sympy.atan(x / y)
    return sympy.atan(y / x) + (0 if vx > 0 else (1 if vy > 0 else -1)) * sympy.pi


def _mp_hypot(x, y):
    return mpmath.hypot(x, y)


ROWS: list[Rule] = [
    unary_row("asin", np.arcsin, K.sym("asin"), mpmath.asin, lambda x, a: 1.0 / _root_one_minus_square(x),
              domain="unit_open", aliases=("arcsin",), numpy_aliases=("arcsin",),
              image=(-math.pi / 2, math.pi / 2)),
    unary_row("acos", np.arccos, K.sym("acos"), mpmath.acos, lambda x, a: -1.0 / _root_one_minus_square(x),
              domain="unit_open", aliases=("arccos",), numpy_aliases=("arccos",), image=(0.0, math.pi)),
    unary_row("asinh", np.arcsinh, K.sym("asinh"), mpmath.asinh, lambda x, a: 1.0 / ops.hypot(1.0, x),
              aliases=("arcsinh",), numpy_aliases=("arcsinh",)),
    unary_row("acosh", np.arccosh, K.sym("acosh"), mpmath.acosh,
              lambda x, a: 1.0 / (ops.sqrt(x - 1.0) * ops.sqrt(x + 1.0)), domain="gt_one",
              aliases=("arccosh",), numpy_aliases=("arccosh",), image=(0.0, INF)),
    unary_row("atanh", np.arctanh, K.sym("atanh"), mpmath.atanh, lambda x, a: 1.0 / _one_minus_square(x),
              domain="unit_open", aliases=("arctanh",), numpy_aliases=("arctanh",)),
    binary_row("atan2", K.np_atan2, K.sym("atan2"), mpmath.atan2, _atan2_d0, _atan2_d1, expr=True,
               aliases=("arctan2",), numpy_aliases=("arctan2",), kinks=lambda y, x: [y],
               branch=_atan2_branch, image=(-math.pi, math.pi),
               kink_words="y argument is within {m:g} of 0, where atan2 jumps for x < 0"),
    binary_row("hypot", K.np_hypot, lambda x, y: K.sym("sqrt")(x * x + y * y), _mp_hypot,
               lambda x, y, a: _hypot_d(x, y, a), lambda x, y, a: _hypot_d(y, x, a), expr=True,
               numeric_twin=fused_twin("dl_hypot"), image=(0.0, INF), kinks=lambda x, y: [x * x + y * y],
               kink_words="arguments are within {m:g} of the origin, where hypot has a cone point"),
]
