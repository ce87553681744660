"""Exact derivative expressions: gradient and Hessian from ``sympy.diff``, once per Function (pure SymPy).

This is the part of the symbolic route that the singularity analysis, the mpmath reference and the
claims need, kept below them; compiling (with ``singular``'s branches) is ``methods.symbolic``, above.

No ``simplify()``: on network-sized expressions it swells time without making the compiled code faster;
common-subexpression elimination at compile time already shares the repeated pieces.
"""

from __future__ import annotations

import sympy

from difflab.errors import InputError
from difflab.expr.function import NEEDS_EXPRESSION, Function


def require_expression(f: Function) -> sympy.Expr:
    if f.expr is None:
        raise InputError(NEEDS_EXPRESSION)
    return f.expr


def gradient_exprs(f: Function) -> list[sympy.Expr]:
    """d f / d v for each variable, in variable order."""
    cache = f.caches.derivatives
    if "gradient" not in cache:
        expr = require_expression(f)
        cache["gradient"] = [sympy.diff(expr, s) for s in f.symbols]
    return cache["gradient"]


def hessian_exprs(f: Function) -> list[list[sympy.Expr]]:
    """Second derivatives; only the upper triangle is differentiated, the lower one mirrors it."""
    cache = f.caches.derivatives
    if "hessian" not in cache:
        grad = gradient_exprs(f)
        n = f.n
        rows: list[list[sympy.Expr]] = [[sympy.S.Zero] * n for _ in range(n)]
        for i in range(n):
            for j in range(i, n):
                rows[i][j] = rows[j][i] = sympy.diff(grad[i], f.symbols[j])
        cache["hessian"] = rows
    return cache["hessian"]


def derivative_exprs(f: Function, order: int) -> sympy.Expr | list:
    """Order 0: the expression; 1: gradient list; 2: Hessian rows."""
    if order == 0:
        return require_expression(f)
    if order == 1:
        return gradient_exprs(f)
    if order == 2:
        return hessian_exprs(f)
    raise InputError(f"order must be 0, 1 or 2, not {order}")


def stable_expr(f: Function) -> sympy.Expr:
    """The expression in stable form (``stable.rewrite``): what is compiled and differentiated for NumPy."""
    return f.stable


def compile_exprs(f: Function, order: int) -> sympy.Expr | list[sympy.Expr]:
    """What is compiled for ``order``: the derivatives of the stable form (the Hessian's upper triangle).

    Why differentiate the stable form: ``d/dx log(1 + exp(x))`` written out is ``exp(x)/(1 + exp(x))``,
    nan at x = 1000; the derivative of ``softplus`` is ``sigmoid``, 1 there. When nothing was rewritten
    the cached ``gradient_exprs``/``hessian_exprs`` are used (no second differentiation).
    """
    expr = f.stable
    n = f.n
    if order == 0:
        return expr
    if expr == f.expr:
        if order == 1:
            return list(gradient_exprs(f))
        return [hessian_exprs(f)[i][j] for i in range(n) for j in range(i, n)]
    cache = f.caches.derivatives
    if "stable_gradient" not in cache:
        cache["stable_gradient"] = [sympy.diff(expr, s) for s in f.symbols]
    grad = cache["stable_gradient"]
    if order == 1:
        return list(grad)
    return [sympy.diff(grad[i], f.symbols[j]) for i in range(n) for j in range(i, n)]
