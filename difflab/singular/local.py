"""Near a point away from every kink, abs/max/min/sign are smooth: replace them by the branch they take.

Which heads have kinks, where, and what their branches are is read from the primitive table
(``Rule.kinks``, ``Rule.branch``), so a new row with kinks is localized with no change here.

Why: ``(max(x - pi, 0) - sin(2x))/sin(x)`` has removable points at 0, +-2pi, ... where ``max`` is just 0;
but with ``Max`` in it SymPy's limits are slow and the Cauchy integral cannot evaluate it off the real
axis. Localized, the expression is analytic around the point, so factor, limit and the Taylor series all
apply -- inside half the distance to the nearest kink (the caller caps the branch radius with it).
"""

from __future__ import annotations

import sympy

from difflab.primitives import heads


def _nonsmooth(node: sympy.Basic) -> bool:
    return isinstance(node, heads.nonsmooth_heads())


def kink_arguments(expr: sympy.Expr) -> list[sympy.Expr]:
    """Expressions whose real zeros are kinks or jumps (each row's ``kinks``: |u| -> u, max(a, b) -> a-b)."""
    return heads.kink_arguments(expr)


def _value(u: sympy.Expr, x: sympy.Symbol, c: sympy.Expr) -> sympy.Float | None:
    v = u.subs(x, c).evalf(30)
    return v if v.is_Float or v.is_zero else None


def _branch(node: sympy.Expr, x: sympy.Symbol, c: sympy.Expr) -> sympy.Expr | None:
    """The smooth expression ``node`` equals near ``c`` (the row's ``branch``), or None when ``c`` is on
    one of its kinks (the row's ``kinks`` vanish there) or a value cannot be decided."""
    rule = heads.rule_of(node)
    values = [_value(a, x, c) for a in node.args]
    if any(v is None for v in values):
        return None
    scale = max([1, *(abs(v) for v in values)])
    if any(abs(k) <= 1e-25 * scale for k in rule.kinks(*values)):
        return None
    piece = rule.branch(values, *node.args)
    return piece if isinstance(piece, sympy.Basic) else sympy.Integer(piece)


def localize(expr: sympy.Expr, x: sympy.Symbol, c: sympy.Expr) -> sympy.Expr | None:
    """``expr`` with every abs/max/min/sign replaced by its branch at ``c``; None if one is at its kink."""
    for _ in range(8):  # innermost first, so an outer argument is evaluated without kinks in it
        nodes = [n for n in sympy.preorder_traversal(expr) if _nonsmooth(n)
                 and not any(_nonsmooth(m) for a in n.args for m in sympy.preorder_traversal(a))]
        if not nodes:
            return expr
        replacements = {}
        for n in nodes:
            b = _branch(n, x, c)
            if b is None:
                return None
            replacements[n] = b
        expr = expr.xreplace(replacements)
    return None
