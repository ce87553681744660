"""THE derivative rules of the array IR: one row per operation, a forward and a reverse rule each.

* ``jvp(node, tangents, lin)``: the differential ``d node`` from the differentials of its arguments
  (``None`` = constant). The rule is written once against ``lin`` (``Direct`` or ``Batched`` in
  ``derive.py``): with ``Direct`` a tangent has the node's shape (a directional derivative, ``dX -> ...``),
  with ``Batched`` it has one more trailing axis of the variable's length, so seeding the variable with
  ``I`` yields the Jacobian as a matrix formula (``diag(w) @ J`` where ``Direct`` has ``w * dX``).
* ``vjp[i](node, g)``: the cotangent of argument i given the node's cotangent ``g`` (reverse sweep):
  this is what gives gradients such as ``A.T @ (A @ x)**3``.

Elementwise functions have no row of their own here: their derivative is read from the primitive
table (``difflab.primitives.table``): the row's SymPy twin is differentiated once and the result
translated into this IR, so the table stays the one place that knows ``sigmoid' = sigmoid*(1 - sigmoid)``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from functools import cache

import sympy

from difflab.matrix import algebra as a
from difflab.matrix.algebra import Node
from difflab.primitives.table import RULES as PRIMITIVES

# Candidate elementwise rows: one argument and a SymPy twin (sign: abs' is sign); ``elementwise_names()``
# keeps those whose first and second derivatives this IR can express.
CANDIDATES = tuple(name for name, r in PRIMITIVES.items() if r.arity == 1 and r.sympy is not None
                   and ((r.in_expressions and r.jvp is not None) or name == "sign"))


@dataclass(frozen=True)
class ArrayRule:
    op: str
    jvp: Callable
    vjp: object  # per-argument callables: a tuple, or _EachArgument for n-ary rows


def _reduce_to(g: Node, arg: Node) -> Node:
    """A cotangent for ``arg``: summed when a scalar argument was broadcast into an array node."""
    return a.total(g) if not arg.shape and g.shape else g


def _others(node: Node, i: int) -> Node:
    rest = node.args[:i] + node.args[i + 1:]
    return a.mul(*rest) if rest else a.num(1)


def _tangent_times(node: Node, arg: Node, w: Node, t: Node, lin) -> Node:
    """Tangent of ``node = w * arg`` (elementwise) from the tangent ``t`` of ``arg``."""
    if arg.shape == node.shape or not node.shape:
        return lin.scale(w, t, node.shape)
    return lin.expand(t, w, node.shape)  # a scalar argument spread over an array node


def _sum_parts(parts) -> Node | None:
    parts = [p for p in parts if p is not None]
    return a.add(*parts) if parts else None


# ------------------------------------------------------------------------------------------ rules
def _add_jvp(node, ts, lin):
    return _sum_parts(None if t is None else (t if x.shape == node.shape else lin.bcast(t, node.shape))
                      for x, t in zip(node.args, ts, strict=True))


def _mul_jvp(node, ts, lin):
    return _sum_parts(None if t is None else _tangent_times(node, x, _others(node, i), t, lin)
                      for i, (x, t) in enumerate(zip(node.args, ts, strict=True)))


class _EachArgument:
    """The VJPs of an n-ary row: argument i's rule is ``fn(node, g, i)``."""

    def __init__(self, fn: Callable):
        self.fn = fn

    def __getitem__(self, i: int) -> Callable:
        return lambda node, g: self.fn(node, g, i)


def _pow_partials(node: Node) -> tuple[Node, Node]:
    base, e = node.args
    return a.mul(e, a.power(base, a.sub(e, a.num(1)))), a.mul(node, a.func("log", base))


def _pow_jvp(node, ts, lin):
    d0, d1 = _pow_partials(node)
    return _sum_parts([None if ts[0] is None else _tangent_times(node, node.args[0], d0, ts[0], lin),
                       None if ts[1] is None else _tangent_times(node, node.args[1], d1, ts[1], lin)])


def _matmul_jvp(node, ts, lin):
    A, B = node.args
    return _sum_parts([None if ts[0] is None else lin.right(ts[0], B, node),
                       None if ts[1] is None else lin.left(A, ts[1])])


def _matmul_vjp_a(node, g):
    A, B = node.args
    if B.ndim == 1:
        return a.mul(g, B) if A.ndim == 1 else a.outer(g, B)
    return a.matmul(B, g) if A.ndim == 1 else a.matmul(g, a.transpose(B))


def _matmul_vjp_b(node, g):
    A, B = node.args
    if A.ndim == 1:
        return a.mul(g, A) if B.ndim == 1 else a.outer(A, g)
    return a.matmul(a.transpose(A), g)


def _func_jvp(node, ts, lin):
    return lin.scale(elementwise_derivative(node.data, node.args[0]), ts[0], node.shape)


def _inv_vjp(node, g):
    inv_t = a.transpose(node)
    return a.neg(a.matmul(inv_t, a.matmul(g, inv_t)))


RULES: dict[str, ArrayRule] = {r.op: r for r in [
    ArrayRule("add", _add_jvp, _EachArgument(lambda node, g, i: _reduce_to(g, node.args[i]))),
    ArrayRule("mul", _mul_jvp, _EachArgument(
        lambda node, g, i: _reduce_to(a.mul(g, _others(node, i)), node.args[i]))),
    ArrayRule("pow", _pow_jvp, (
        lambda node, g: _reduce_to(a.mul(g, _pow_partials(node)[0]), node.args[0]),
        lambda node, g: _reduce_to(a.mul(g, _pow_partials(node)[1]), node.args[1]))),
    ArrayRule("func", _func_jvp,
              (lambda node, g: a.mul(g, elementwise_derivative(node.data, node.args[0])),)),
    ArrayRule("matmul", _matmul_jvp, (_matmul_vjp_a, _matmul_vjp_b)),
    ArrayRule("transpose", lambda node, ts, lin: lin.transpose(ts[0], node),
              (lambda node, g: a.transpose(g),)),
    ArrayRule("sum", lambda node, ts, lin: lin.total(ts[0], node.args[0].shape),
              (lambda node, g: a.mul(g, a.ones(node.args[0].shape)),)),
    ArrayRule("diag", lambda node, ts, lin: lin.diag(ts[0], node), (lambda node, g: a.diag(g),)),
    ArrayRule("inv", lambda node, ts, lin: lin.inv(ts[0], node), (_inv_vjp,)),
    ArrayRule("outer", lambda node, ts, lin: lin.outer(node, ts), (
        lambda node, g: a.matmul(g, node.args[1]),
        lambda node, g: a.matmul(a.transpose(g), node.args[0]))),
]}


# ------------------------------------------------------------------------- elementwise from the table
_U = sympy.Symbol("u", real=True)


@cache
def _sympy_derivative(name: str) -> sympy.Expr:
    return sympy.diff(PRIMITIVES[name].sympy(_U), _U)


@cache
def elementwise_names() -> tuple[str, ...]:
    """The candidate rows whose derivatives (orders 1 and 2) are array expressions here: a row whose
    derivative leaves the IR (gamma's polygamma, relu's Heaviside) is not offered in array text."""
    x = a.sym("_probe", ())

    def expressible(name: str, depth: int) -> bool:
        if PRIMITIVES[name].jvp is None:
            return True
        try:
            from_sympy(_sympy_derivative(name), {_U: x})
        except (NotImplementedError, TypeError, ValueError):
            return False
        inner = {_sympy_names().get(type(n).__name__) for n in sympy.preorder_traversal(
            _sympy_derivative(name)) if isinstance(n, sympy.Function)} - {None}
        return depth == 0 or all(expressible(n, depth - 1) for n in inner)
    return tuple(name for name in CANDIDATES if expressible(name, 1))


@cache
def _sympy_names() -> dict[str, str]:
    """SymPy function class name -> table row name (``Abs`` -> ``abs``), read off the twins."""
    out = {}
    for name in CANDIDATES:
        e = PRIMITIVES[name].sympy(_U)
        if isinstance(e, sympy.Function) and e.args == (_U,):
            out[type(e).__name__] = name
    return out


def elementwise_derivative(name: str, arg: Node) -> Node:
    """``f'(arg)`` for the table row ``name``, as an array expression (0 for a piecewise-constant row,
    whose table row has no derivative rule: ``sign`` is flat away from its jump)."""
    if PRIMITIVES[name].jvp is None:
        return a.zero(arg.shape)
    return from_sympy(_sympy_derivative(name), {_U: arg})


def from_sympy(expr: sympy.Expr, env: dict) -> Node:
    """A SymPy expression in elementwise operations and table functions, as an IR node."""
    if expr in env:
        return env[expr]
    if expr.is_Rational:
        return a.num(Fraction(int(expr.p), int(expr.q)))
    if expr.is_Float:
        return a.num(Fraction(str(expr)))
    if expr is sympy.pi:
        return a.const("pi")
    if expr is sympy.E:
        return a.const("e")
    if expr.is_Add:
        return a.add(*(from_sympy(t, env) for t in expr.args))
    if expr.is_Mul:
        return a.mul(*(from_sympy(t, env) for t in expr.args))
    if expr.is_Pow:
        base, e = expr.args
        if e.is_Rational and e.q == 2 and e.p in (1, -1):
            return a.power(a.func("sqrt", from_sympy(base, env)), a.num(int(e.p)))
        return a.power(from_sympy(base, env), from_sympy(e, env))
    if expr.func is sympy.exp:
        return a.func("exp", from_sympy(expr.args[0], env))
    name = _sympy_names().get(type(expr).__name__)
    if name is not None and len(expr.args) == 1:
        return a.func(name, from_sympy(expr.args[0], env))
    raise NotImplementedError(f"no array form for SymPy's {type(expr).__name__} (in {expr})")
