"""Exact derivative expressions: gradient and Hessian from ``sympy.diff``, once per Function (pure SymPy).

This is the part of the symbolic route that the singularity analysis, the mpmath reference and the
claims need, kept below them; compiling (with ``singular``'s branches) is ``methods.symbolic``, above.

No ``simplify()``: on network-sized expressions it swells time without making the compiled code faster;
common-subexpression elimination at compile time already shares the repeated pieces.
"""

from __future__ import annotations

import operator
from collections.abc import Sequence
from functools import reduce

import sympy
from sympy.core.function import ArgumentIndexError

from difflab.errors import InputError
from difflab.expr import sizing
from difflab.expr.function import NEEDS_EXPRESSION, Function


def require_expression(f: Function) -> sympy.Expr:
    if f.expr is None:
        raise InputError(NEEDS_EXPRESSION)
    return f.expr


class Differentiator:
    """Every first partial derivative of many expressions, each subtree differentiated once.

    ``partials(e)`` maps each variable that ``e`` contains to d e / d v. Why not ``sympy.diff(e, v)`` per
    variable: that walks the whole expression once per variable (quadratic for a sum of n terms in n
    variables: 87% of the first gradient of the extended Rosenbrock function), and walks again below
    every node it differentiates. Here each node is differentiated once with respect to the variables it
    contains only, and the result is memoized by node, so a subtree shared between terms, or between
    gradient entries (the Hessian is the partials of the gradient's terms), is worked out once.

    The rules for Add, Mul, Pow and plain functions are SymPy's own ``_eval_derivative`` written once
    for all variables, so the expressions are exactly those of ``sympy.diff`` (a test checks it); any
    other node (Abs, Max, Piecewise, ...) is handed to ``sympy.diff`` itself.
    """

    def __init__(self, variables: Sequence[sympy.Symbol]):
        self.order = {s: i for i, s in enumerate(variables)}
        self.memo: dict[sympy.Basic, dict[sympy.Symbol, sympy.Expr]] = {}

    def partials(self, e: sympy.Basic) -> dict[sympy.Symbol, sympy.Expr]:
        got = self.memo.get(e)
        if got is None:
            got = self.memo[e] = self._partials(e)
        return got

    def _variables(self, e: sympy.Basic) -> list[sympy.Symbol]:
        return sorted((s for s in e.free_symbols if s in self.order), key=self.order.__getitem__)

    def _partials(self, e: sympy.Basic) -> dict[sympy.Symbol, sympy.Expr]:
        if e.is_Symbol:
            return {e: sympy.S.One} if e in self.order else {}
        if not e.args or e.is_number:
            return {}
        kind = type(e)
        if kind is sympy.Add:
            children = [self.partials(a) for a in e.args]
            return {s: sympy.Add(*[d[s] for d in children if s in d]) for s in self._union(children)}
        if kind is sympy.Mul:
            args = list(e.args)
            children = [self.partials(a) for a in args]
            return {s: sympy.Add.fromiter([reduce(operator.mul, args[:i] + [d[s]] + args[i + 1:], sympy.S.One)
                                           for i, d in enumerate(children) if s in d and d[s]])
                    for s in self._union(children)}
        if kind is sympy.Pow:
            base, exp = e.args
            db, de = self.partials(base), self.partials(exp)
            out = {}
            for s in self._union([db, de]):
                inner = db[s] * exp / base if s in db else sympy.S.Zero
                if s in de:  # skipped when 0, as SymPy's 0*log(base) vanishes
                    inner = de[s] * sympy.log(base) + inner
                out[s] = e * inner
            return out
        if isinstance(e, sympy.Function) and kind._eval_derivative is sympy.Function._eval_derivative:
            children = [self.partials(a) for a in e.args]
            return {s: sympy.Add(*[self._fdiff(e, i + 1) * d[s] for i, d in enumerate(children)
                                   if s in d and not d[s].is_zero])
                    for s in self._union(children)}
        return {s: sympy.diff(e, s) for s in self._variables(e)}

    @staticmethod
    def _fdiff(e: sympy.Function, i: int) -> sympy.Expr:
        try:
            return e.fdiff(i)
        except ArgumentIndexError:
            return sympy.Function.fdiff(e, i)

    def _union(self, children: list[dict]) -> list[sympy.Symbol]:
        if len(children) == 1:
            return list(children[0])
        seen: set[sympy.Symbol] = set()
        for d in children:
            seen.update(d)
        return sorted(seen, key=self.order.__getitem__)


def _differentiator(f: Function, key: str) -> Differentiator:
    cache = f.caches.derivatives
    if key not in cache:
        cache[key] = Differentiator(f.symbols)
    return cache[key]


def _gradient_of(f: Function, expr: sympy.Expr, key: str) -> list[sympy.Expr]:
    sizing.check_gradient(f, expr)
    partials = _differentiator(f, key).partials(expr)
    return [partials.get(s, sympy.S.Zero) for s in f.symbols]


def _hessian_of(f: Function, grad: list[sympy.Expr], key: str) -> list[list[sympy.Expr]]:
    """Rows of second derivatives: the partials of each gradient entry, upper triangle mirrored."""
    sizing.check_hessian(f, grad)
    d = _differentiator(f, key)
    n = f.n
    rows: list[list[sympy.Expr]] = [[sympy.S.Zero] * n for _ in range(n)]
    for i in range(n):
        partials = d.partials(grad[i])
        for j in range(i, n):
            rows[i][j] = rows[j][i] = partials.get(f.symbols[j], sympy.S.Zero)
    return rows


def gradient_exprs(f: Function) -> list[sympy.Expr]:
    """d f / d v for each variable, in variable order."""
    cache = f.caches.derivatives
    if "gradient" not in cache:
        cache["gradient"] = _gradient_of(f, require_expression(f), "written")
    return cache["gradient"]


def hessian_exprs(f: Function) -> list[list[sympy.Expr]]:
    """Second derivatives; only the upper triangle is differentiated, the lower one mirrors it."""
    cache = f.caches.derivatives
    if "hessian" not in cache:
        cache["hessian"] = _hessian_of(f, gradient_exprs(f), "written")
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
        cache["stable_gradient"] = _gradient_of(f, expr, "stable")
    grad = cache["stable_gradient"]
    if order == 1:
        return list(grad)
    if "stable_hessian" not in cache:
        cache["stable_hessian"] = _hessian_of(f, grad, "stable")
    rows = cache["stable_hessian"]
    return [rows[i][j] for i in range(n) for j in range(i, n)]
