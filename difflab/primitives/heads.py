"""The table seen from SymPy: which SymPy head stands for which row, and everything derived from that.

A row's SymPy twin applied to plain symbols is either one SymPy head applied to them (``exp(x)``,
``Abs(x)``, ``Max(x, y)``, ``x + y``, ``sigmoid(x)``, ``Heaviside(x)``) or a composition (``log(1 + x)``
for log1p, ``x - y``).  The first kind identifies the row inside any SymPy expression, and that is all the
SymPy side of difflab needs: the lambdify namespaces (NumPy kernels that continue ``|x|``, max and min
analytically for the complex step; mpmath twins), the ``to_ops`` table (head -> differentiable
operation), kinks (``rule.kinks`` of every node), the mpmath twin of a node in the domain walker, and the
stable rewrites (the recognisers of the rows' SymPy classes).  Compositions are reached through their
parts, plus a row's ``numeric_twin`` head (``dl_log1p``) for compiled code.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

import sympy

from difflab.primitives.dispatch import Rule, ops
from difflab.primitives.kernels import fold
from difflab.primitives.table import RULES


def _head_of(rule: Rule) -> type | None:
    """The SymPy head the row's twin applies to its arguments, or None for a composition."""
    if rule.sympy is None or rule.arity < 1:
        return None
    syms = sympy.symbols(f"_a0:{rule.arity}")
    try:
        built = rule.sympy(*syms)
        same = isinstance(built, sympy.Basic) and built.func(*syms) == built
    except (TypeError, ValueError, AttributeError, IndexError):
        return None
    return built.func if same else None


@cache
def head_rules() -> dict[type, Rule]:
    """``{SymPy head: row}`` (first row wins, so ``Pow`` is ``power``), numeric twins included."""
    out: dict[type, Rule] = {}
    for rule in RULES.values():
        head = _head_of(rule)
        if head is not None:
            out.setdefault(head, rule)
        if rule.numeric_twin is not None:
            out[rule.numeric_twin(*sympy.symbols(f"_a0:{rule.arity}")).func] = rule
    return out


def rule_of(node: sympy.Basic) -> Rule | None:
    """The row a SymPy node applies (None for symbols, numbers and compositions)."""
    return head_rules().get(node.func)


def _function_heads() -> dict[str, Rule]:
    """Named heads lambdify prints as calls (not the operators Add/Mul/Pow or relations)."""
    return {h.__name__: r for h, r in head_rules().items()
            if isinstance(h, sympy.FunctionClass)}


@cache
def numpy_namespace() -> dict[str, Callable]:
    """``{printed name: NumPy kernel}`` for lambdify: the rows' own kernels (n-ary Max/Min folded)."""
    return {name: fold(r.numpy) if r.arity == 2 else r.numpy for name, r in _function_heads().items()}


@cache
def mpmath_namespace() -> dict[str, Callable]:
    """``{printed name: mpmath twin}`` for lambdify's mpmath modules (the reference evaluation)."""
    return {name: r.mpmath for name, r in _function_heads().items() if r.mpmath is not None}


@cache
def ops_table() -> dict[type, Callable]:
    """``{SymPy head: difflab.numpy operation}`` for ``to_ops`` (binary rows folded over n-ary nodes)."""
    out = {}
    for head, rule in head_rules().items():
        op = getattr(ops, rule.name)
        out[head] = fold(op) if rule.arity == 2 else op
    return out


@cache
def nonsmooth_heads() -> tuple[type, ...]:
    """Heads of rows with kinks or jumps (Abs, Max, Min, sign, Heaviside, DiracDelta)."""
    return tuple(h for h, r in head_rules().items() if r.kinks is not None)


def kink_arguments(expr: sympy.Expr) -> list[sympy.Expr]:
    """Expressions whose real zeros are kinks or jumps of ``expr`` (|u| -> u, Max(a, b) -> a - b, ...)."""
    out: list[sympy.Expr] = []
    for node in sympy.preorder_traversal(expr):
        rule = rule_of(node)
        if rule is not None and rule.kinks is not None:
            out.extend(rule.kinks(*node.args))
    return out


def pole_factors(expr: sympy.Expr) -> list[sympy.Expr]:
    """Expressions whose real zeros are poles of a row in ``expr`` without a denominator (tan(u): cos(u))."""
    out: list[sympy.Expr] = []
    for node in sympy.preorder_traversal(expr):
        rule = rule_of(node)
        if rule is not None and rule.poles is not None:
            out.extend(p for p in rule.poles(*node.args) if p not in out)
    return out


@cache
def recognisers(layer: str) -> tuple[tuple[type, ...], tuple[Callable, ...]]:
    """(trigger heads, recogniser functions) of the rows' SymPy classes in one rewrite layer.

    ``"stable"``: exact identities applied before differentiating (log(1 + e^u) -> softplus(u));
    ``"numeric"``: compile-only forms (log(1 + u) -> log1p(u)).  In table order."""
    triggers: list[type] = []
    found: list[Callable] = []
    for head in head_rules():
        if getattr(head, "layer", None) == layer:
            triggers.extend(head.triggers)
            found.append(head.recognize)
    return tuple(dict.fromkeys(triggers)), tuple(found)
