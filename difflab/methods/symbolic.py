"""Exact derivatives: gradient and Hessian expressions from ``sympy.diff``, compiled once per Function.

No ``simplify()`` by default: on network-sized expressions it swells time without making the compiled
code faster, and common-subexpression elimination in ``compile.to_numpy`` already shares the repeated
pieces. This module imports no engine (forward/reverse): the symbolic route stands on its own.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import sympy

from difflab.errors import InputError
from difflab.expr.compile import Compiled, to_numpy

if TYPE_CHECKING:
    from difflab.expr.function import Function


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


def stable_expr(f: Function) -> sympy.Expr:
    """The expression in stable form (``stable.rewrite``): what is compiled and differentiated for NumPy."""
    cache = _cache(f)
    if "stable" not in cache:
        from difflab.expr.stable import rewrite

        cache["stable"] = rewrite(_require_expression(f))
    return cache["stable"]


def _compile_exprs(f: Function, order: int) -> sympy.Expr | list[sympy.Expr]:
    """What is compiled for ``order``: the derivatives of the stable form (the Hessian's upper triangle).

    Why differentiate the stable form: ``d/dx log(1 + exp(x))`` written out is ``exp(x)/(1 + exp(x))``,
    nan at x = 1000; the derivative of ``softplus`` is ``sigmoid``, 1 there. When nothing was rewritten
    the cached ``gradient_exprs``/``hessian_exprs`` are used (no second differentiation).
    """
    expr = stable_expr(f)
    n = f.n
    if order == 0:
        return expr
    if expr == f.expr:
        if order == 1:
            return list(gradient_exprs(f))
        return [hessian_exprs(f)[i][j] for i in range(n) for j in range(i, n)]
    cache = _cache(f)
    if "stable_gradient" not in cache:
        cache["stable_gradient"] = [sympy.diff(expr, s) for s in f.symbols]
    grad = cache["stable_gradient"]
    if order == 1:
        return list(grad)
    return [sympy.diff(grad[i], f.symbols[j]) for i in range(n) for j in range(i, n)]


def _build(f: Function, order: int) -> Compiled:
    """Compile with the masked branches of ``singular`` (removable points; none for ordinary f)."""
    from difflab.singular.analysis import branches

    exprs = _compile_exprs(f, order)
    base = to_numpy(exprs, f.symbols)
    return base.with_branches(branches(f, order, base.outputs))


def compile_value(f: Function) -> Compiled:
    return _compiled(f, "value_fn", lambda: _build(f, 0))


def compile_gradient(f: Function) -> Compiled:
    return _compiled(f, "gradient_fn", lambda: _build(f, 1))


def compile_hessian(f: Function) -> Compiled:
    return _compiled(f, "hessian_fn", lambda: _build(f, 2))


def generated_source(f: Function, order: int = 1) -> str:
    """The Python source lambdify generated for the compiled derivative (``--verbose`` prints it)."""
    fn = {0: compile_value, 1: compile_gradient, 2: compile_hessian}[order](f)
    return fn.source
