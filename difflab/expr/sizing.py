"""Sizing a symbolic derivative before SymPy builds it: refuse, in words, what would run for minutes.

Why: a dense scalar problem written out, such as the quartic ``1/4 * sum_k (a_k . x)**4`` over n
variables, has a Hessian of n(n+1)/2 entries each summing one term per k -- n^2 m / 2 product terms
(5e5 at n = m = 100). SymPy builds them one object at a time (tens of microseconds each) and
common-subexpression elimination then works on all of them: minutes, with no output on the way. The
count below is exact for a sum of terms and linear to compute (one pass over the top-level terms):
each term contributes one derivative term per variable it contains (gradient) and one per pair
(Hessian).
"""

from __future__ import annotations

from collections.abc import Sequence

import sympy

from difflab.errors import InputError
from difflab.expr.function import Function

MAX_TERMS = 200_000   # derivative terms SymPy is asked to build for one gradient or Hessian

_ROUTES = ("differentiate numerically instead: method 'reverse' or 'forward' (AD, Hessian-vector products, "
           "nothing written out), or state the problem at array level (x as one vector, e.g. "
           "dnp.sum((A @ x)**4)) so the derivative is a matrix formula")


def _terms(expr: sympy.Expr) -> Sequence[sympy.Expr]:
    return expr.args if isinstance(expr, sympy.Add) else (expr,)


def _variables_per_term(f: Function, exprs: Sequence[sympy.Expr]) -> list[int]:
    symbols = set(f.symbols)
    return [len(t.free_symbols & symbols) for e in exprs for t in _terms(e)]


def count_gradient_terms(f: Function, expr: sympy.Expr) -> int:
    """Derivative terms of the gradient: one per (top-level term, variable in it)."""
    return sum(_variables_per_term(f, [expr]))


def count_hessian_terms(f: Function, gradient: Sequence[sympy.Expr]) -> int:
    """Second-derivative terms of the upper triangle: entry i contributes, per term of d f/d v_i, one
    term for each variable v_j (j >= i) the term contains -- about half of ``vars**2`` per term."""
    total = 0
    order = {s: i for i, s in enumerate(f.symbols)}
    for i, g in enumerate(gradient):
        for t in _terms(g):
            total += sum(1 for s in t.free_symbols if order.get(s, -1) >= i)
    return total


def check_gradient(f: Function, expr: sympy.Expr) -> None:
    _refuse("gradient", count_gradient_terms(f, expr), f)


def check_hessian(f: Function, gradient: Sequence[sympy.Expr]) -> None:
    _refuse("Hessian", count_hessian_terms(f, gradient), f)


def _refuse(what: str, terms: int, f: Function) -> None:
    if terms > MAX_TERMS:
        raise InputError(f"the symbolic {what} of this function written out would have about {terms:,} "
                         f"terms over {f.n} variables (more than {MAX_TERMS:,}: SymPy would take minutes); "
                         f"{_ROUTES}")
