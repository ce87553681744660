"""Near a point away from every kink, abs/max/min/sign are smooth: replace them by the branch they take.

Why: ``(max(x - pi, 0) - sin(2x))/sin(x)`` has removable points at 0, +-2pi, ... where ``max`` is just 0;
but with ``Max`` in it SymPy's limits are slow and the Cauchy integral cannot evaluate it off the real
axis. Localized, the expression is analytic around the point, so factor, limit and the Taylor series all
apply -- inside half the distance to the nearest kink (the caller caps the branch radius with it).
"""

from __future__ import annotations

import sympy

NONSMOOTH = (sympy.Abs, sympy.Max, sympy.Min, sympy.sign, sympy.Heaviside)


def kink_arguments(expr: sympy.Expr) -> list[sympy.Expr]:
    """Expressions whose real zeros are kinks or jumps: |u|, sign(u), Heaviside(u) and a - b in max/min."""
    out: list[sympy.Expr] = []
    for node in sympy.preorder_traversal(expr):
        if isinstance(node, sympy.Abs | sympy.sign | sympy.Heaviside):
            out.append(node.args[0])
        elif isinstance(node, sympy.Max | sympy.Min):
            args = node.args
            out.extend(args[i] - args[j] for i in range(len(args)) for j in range(i + 1, len(args)))
    return out


def _value(u: sympy.Expr, x: sympy.Symbol, c: sympy.Expr) -> sympy.Float | None:
    v = u.subs(x, c).evalf(30)
    return v if v.is_Float or v.is_zero else None


def _branch(node: sympy.Expr, x: sympy.Symbol, c: sympy.Expr) -> sympy.Expr | None:
    """The smooth expression ``node`` equals near ``c``, or None when it is at its kink (or undecidable)."""
    if isinstance(node, sympy.Max | sympy.Min):
        values = [_value(a, x, c) for a in node.args]
        if any(v is None for v in values):
            return None
        pick = max if isinstance(node, sympy.Max) else min
        best = pick(values)
        if sum(1 for v in values if abs(v - best) <= 1e-25 * max(1, abs(best))) > 1:
            return None  # a tie: c is on the kink
        return node.args[values.index(best)]
    u = node.args[0]
    v = _value(u, x, c)
    if v is None or v.is_zero or abs(v) <= 1e-25:
        return None
    s = 1 if v > 0 else -1
    if isinstance(node, sympy.Abs):
        return s * u
    if isinstance(node, sympy.sign):
        return sympy.Integer(s)
    return sympy.Integer(1 if s > 0 else 0)  # Heaviside


def localize(expr: sympy.Expr, x: sympy.Symbol, c: sympy.Expr) -> sympy.Expr | None:
    """``expr`` with every abs/max/min/sign replaced by its branch at ``c``; None if one is at its kink."""
    for _ in range(8):  # innermost first, so an outer argument is evaluated without kinks in it
        nodes = [n for n in sympy.preorder_traversal(expr) if isinstance(n, NONSMOOTH)
                 and not any(isinstance(m, NONSMOOTH) for a in n.args for m in sympy.preorder_traversal(a))]
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
