"""Exact derivative expressions: gradient and Hessian from ``sympy.diff``, once per Function (pure SymPy).

This is the part of the symbolic route that the singularity analysis, the mpmath reference and the
claims need, kept below them; compiling (with ``singular``'s branches) is ``methods.symbolic``, above.

No ``simplify()``: on network-sized expressions it swells time without making the compiled code faster;
common-subexpression elimination at compile time already shares the repeated pieces.
"""

from __future__ import annotations

from collections.abc import Sequence

import sympy
from sympy.core.function import ArgumentIndexError

from difflab.errors import InputError
from difflab.expr import fast, sizing
from difflab.expr.function import NEEDS_EXPRESSION, Function


def require_expression(f: Function) -> sympy.Expr:
    if f.expr is None:
        raise InputError(NEEDS_EXPRESSION)
    return f.expr


_NOT_FINITE = (sympy.S.ComplexInfinity, sympy.S.Infinity, sympy.S.NegativeInfinity, sympy.S.NaN)


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

    With ``terms`` (the SymEngine accelerator, ``expr.fast``) each term of a sum made of heads both
    systems share is differentiated by SymEngine instead, giving the same expressions.
    """

    def __init__(self, variables: Sequence[sympy.Symbol], terms: fast.TermDifferentiator | None = None):
        self.order = {s: i for i, s in enumerate(variables)}
        self.memo: dict[sympy.Basic, dict[sympy.Symbol, sympy.Expr]] = {}
        self.terms = terms

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
        if kind is sympy.Add:  # one pass over the terms (not one per variable: quadratic for a long sum)
            parts: dict[sympy.Symbol, list[sympy.Expr]] = {}
            for a in e.args:
                for s, d in self._term(a).items():
                    parts.setdefault(s, []).append(d)
            return {s: sympy.Add(*parts[s]) for s in sorted(parts, key=self.order.__getitem__)}
        if kind is sympy.Mul:
            args = list(e.args)
            children = [self.partials(a) for a in args]
            # Mul(*factors) at once, as SymPy's ``Mul._eval_derivative_n_times`` (what ``diff`` calls):
            # multiplying one by one distributes a -1 that meets a sum first (-(1 - t**2)*c -> (t**2 - 1)*c)
            # it keeps the terms of a factor whose derivative is 0, which are 0 unless a factor is
            # infinite (0*zoo is nan), so only then are they kept here too
            every = any(a in _NOT_FINITE for a in args)
            return {s: sympy.Add.fromiter([sympy.Mul(*args[:i], d.get(s, sympy.S.Zero), *args[i + 1:])
                                           for i, d in enumerate(children) if every or d.get(s)])
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

    def _term(self, a: sympy.Basic) -> dict[sympy.Symbol, sympy.Expr]:
        if self.terms is None or a.is_Atom or a.is_Add or a in self.memo or not fast.supported(a):
            return self.partials(a)
        got = self.memo[a] = self.terms.partials(a, self._variables(a))
        return got

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
        names = {s.name for s in f.expr.free_symbols}  # SymEngine tells symbols apart by name only
        large = fast.available() and len(names) == len(f.expr.free_symbols) and fast.large(f.expr)
        cache[key] = Differentiator(f.symbols, fast.TermDifferentiator(f.symbols) if large else None)
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
        for s, e in d.partials(grad[i]).items():
            j = d.order[s]
            if j >= i:
                rows[i][j] = rows[j][i] = e
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


def _compiled_gradient(f: Function) -> tuple[list[sympy.Expr], str]:
    """The gradient of the stable form and the key of the differentiator that built it."""
    if f.stable == f.expr:
        return gradient_exprs(f), "written"
    cache = f.caches.derivatives
    if "stable_gradient" not in cache:
        cache["stable_gradient"] = _gradient_of(f, f.stable, "stable")
    return cache["stable_gradient"], "stable"


def _compiled_hessian(f: Function) -> list[list[sympy.Expr]]:
    if f.stable == f.expr:
        return hessian_exprs(f)
    cache = f.caches.derivatives
    if "stable_hessian" not in cache:
        cache["stable_hessian"] = _hessian_of(f, _compiled_gradient(f)[0], "stable")
    return cache["stable_hessian"]


def compile_exprs(f: Function, order: int) -> sympy.Expr | list[sympy.Expr]:
    """What is compiled for ``order``: the derivatives of the stable form (the Hessian's upper triangle).

    Why differentiate the stable form: ``d/dx log(1 + exp(x))`` written out is ``exp(x)/(1 + exp(x))``,
    nan at x = 1000; the derivative of ``softplus`` is ``sigmoid``, 1 there. When nothing was rewritten
    the cached ``gradient_exprs``/``hessian_exprs`` are used (no second differentiation).
    """
    if order == 0:
        return f.stable
    if order == 1:
        return list(_compiled_gradient(f)[0])
    rows, n = _compiled_hessian(f), f.n
    return [rows[i][j] for i in range(n) for j in range(i, n)]


def compile_hessian_nonzeros(f: Function) -> tuple[list[sympy.Expr], list[int], list[int]]:
    """The upper triangle's entries of ``compile_exprs(f, 2)`` that are not a literal 0, row by row, with
    their rows and columns; at least one entry ((0, 0) when all are 0, as for a linear function).

    Read off the (memoized) partials of the gradient's entries, never by a scan of all n(n+1)/2 entries:
    at n = 1000 that scan was half a million SymPy comparisons for 3n - 2 nonzero entries.
    """
    rows_ = _compiled_hessian(f)
    grad, key = _compiled_gradient(f)
    d = _differentiator(f, key)
    exprs, rows, cols = [], [], []
    for i, g in enumerate(grad):
        for j, e in sorted((d.order[s], e) for s, e in d.partials(g).items()):
            if j >= i and not (e.is_Number and e == 0):
                exprs.append(e)
                rows.append(i)
                cols.append(j)
    return (exprs, rows, cols) if exprs else ([rows_[0][0]], [0], [0])
