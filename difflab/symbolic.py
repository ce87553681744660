"""Exact derivatives: gradient and Hessian expressions from ``sympy.diff``, compiled once per Function.

No ``simplify()`` by default: on network-sized expressions it swells time without making the compiled
code faster, and common-subexpression elimination in ``compile.to_numpy`` already shares the repeated
pieces. This module imports no engine (forward/reverse): the symbolic route stands on its own.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import sympy

from difflab.compile import Compiled, to_numpy
from difflab.errors import InputError

if TYPE_CHECKING:
    from difflab.problem import Function


def _cache(f: Function) -> dict:
    cache = f.__dict__.get("_symbolic_cache")
    if cache is None:
        cache = f.__dict__["_symbolic_cache"] = {}
    return cache


def _require_expression(f: Function) -> sympy.Expr:
    if f.expr is None:
        raise InputError("the symbolic method needs an expression; this Python function could not be "
                         "traced into one (it uses control flow or array operations): use 'forward', "
                         "'reverse' or a finite-difference method")
    return f.expr


def gradient_exprs(f: Function) -> list[sympy.Expr]:
    """d f / d v for each variable, in variable order."""
    cache = _cache(f)
    if "gradient" not in cache:
        expr = _require_expression(f)
        cache["gradient"] = [sympy.diff(expr, s) for s in f.symbols]
    return cache["gradient"]


def hessian_exprs(f: Function) -> list[list[sympy.Expr]]:
    """Second derivatives; only the upper triangle is differentiated, the lower one mirrors it."""
    cache = _cache(f)
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
        return _require_expression(f)
    if order == 1:
        return gradient_exprs(f)
    if order == 2:
        return hessian_exprs(f)
    raise InputError(f"order must be 0, 1 or 2, not {order}")


def _compiled(f: Function, key: str, build) -> Compiled:
    cache = _cache(f)
    if key not in cache:
        cache[key] = build()
    return cache[key]


def compile_value(f: Function) -> Compiled:
    return _compiled(f, "value_fn", lambda: to_numpy(_require_expression(f), f.symbols))


def compile_gradient(f: Function) -> Compiled:
    return _compiled(f, "gradient_fn", lambda: to_numpy(gradient_exprs(f), f.symbols))


def compile_hessian(f: Function) -> Compiled:
    def build() -> Compiled:
        n = f.n
        upper = [hessian_exprs(f)[i][j] for i in range(n) for j in range(i, n)]
        return to_numpy(upper, f.symbols)

    return _compiled(f, "hessian_fn", build)


def generated_source(f: Function, order: int = 1) -> str:
    """The Python source lambdify generated for the compiled derivative (``--verbose`` prints it)."""
    fn = {0: compile_value, 1: compile_gradient, 2: compile_hessian}[order](f)
    return fn.source
