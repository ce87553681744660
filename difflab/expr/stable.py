"""Stability rewrites: the textbook formulas that overflow or cancel, recognised and replaced.

Two layers, because they serve different purposes:

``rewrite(expr)`` (exact identities, applied *before* differentiating) turns the compositions machine
learning code writes by hand into the rule table's fused SymPy classes, whose derivatives stay
bounded::

    log(1 + exp(u))                  -> softplus(u)         (logaddexp(0, u) in NumPy)
    1/(1 + exp(-u)), e^u/(1 + e^u)   -> sigmoid(u)
    1 - sigmoid(u)                   -> sigmoid(-u)
    log(sigmoid(u))                  -> log_sigmoid(u)      (so -log(sigmoid(z)) = softplus(-z))
    log(exp(a) + exp(b))             -> a + softplus(b - a)

Why before differentiating: the derivative of ``log(1 + exp(x))`` written out is
``exp(x)/(1 + exp(x))``, which is inf/inf = nan at x = 1000 no matter how the value is computed; the
derivative of ``softplus`` is ``sigmoid``, which is 1 there. So ``softplus(1000) = 1000`` with
derivative 1, and the log-loss ``-log(1 - sigmoid(z))`` at z = 800 is 800 with derivative 1 (peers return
inf or nan).

``numeric_form(expr)`` (applied only when compiling to NumPy or difflab.numpy, never to what is
differentiated or shown) replaces ``log(1 + u)`` by ``log1p(u)`` and ``exp(u) - 1`` by ``expm1(u)``: same
function, no cancellation for small ``u``. These are private SymPy heads that only the compiler knows.

Which patterns exist is not written here: each is the ``recognize`` method of a row's SymPy class
(``primitives.sympy_twins``), found through the table (``primitives.heads.recognisers``), so a new
row with a stable form brings its rewrite along.
"""

from __future__ import annotations

from functools import lru_cache

import sympy

from difflab.primitives.heads import recognisers


def _rule_of(layer: str):
    """One rewrite at the root of ``e`` (its arguments already rewritten): the first row's recogniser
    that matches, in table order."""
    found = recognisers(layer)[1]

    def rule(e: sympy.Expr) -> sympy.Expr:
        for recognize in found:
            new = recognize(e)
            if new is not None:
                return new
        return e
    return rule


def _bottom_up(e: sympy.Basic, rule, skip_constants: bool = False) -> sympy.Basic:
    """Apply ``rule`` from the leaves up. ``skip_constants``: leave constant subtrees (log(1 + softplus(2)))
    as they are -- they are folded to one double anyway, and must keep SymPy's own evalf.

    Memoised per node: an expression is a DAG whose tree can be exponentially larger (the derivative of a
    power tower x**x**...**x repeats its subtrees at every level), so a plain tree walk -- or asking each
    subtree for its ``free_symbols`` -- ran for minutes on a 61-level tower. Each distinct node is visited
    once, and whether it is constant is carried up with it.
    """
    memo: dict[sympy.Basic, tuple[sympy.Basic, bool]] = {}

    def walk(node: sympy.Basic) -> tuple[sympy.Basic, bool]:
        done = memo.get(node)
        if done is not None:
            return done
        if not node.args or isinstance(node, sympy.Number):
            out = (node, not isinstance(node, sympy.Symbol))
        else:
            kids = [walk(a) for a in node.args]
            constant = all(c for _, c in kids)
            if skip_constants and constant:
                out = (node, True)
            else:
                args = tuple(k for k, _ in kids)
                new = node.func(*args) if args != node.args else node
                out = (rule(new) if isinstance(new, sympy.Expr) else new, constant)
        memo[node] = out
        return out

    return walk(e)[0]


@lru_cache(maxsize=512)
def rewrite(expr: sympy.Expr) -> sympy.Expr:
    """``expr`` with the unstable compositions above replaced by fused functions (an exact identity)."""
    triggers, _ = recognisers("stable")
    if not expr.has(*triggers):
        return expr
    out, rule = expr, _rule_of("stable")
    for _ in range(3):  # a rewrite can expose another (1/(1+e^-z) -> sigmoid, then log(sigmoid))
        new = _bottom_up(out, rule)
        if new == out:
            break
        out = new
    return out


def numeric_form(expr: sympy.Expr) -> sympy.Expr:
    """``log(1 + u) -> log1p(u)``, ``exp(u) - 1 -> expm1(u)``: for compiling only (same function)."""
    triggers, _ = recognisers("numeric")
    if not expr.has(*triggers):
        return expr
    return _bottom_up(expr, _rule_of("numeric"), skip_constants=True)
