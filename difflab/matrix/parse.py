"""Array expression text -> IR, through difflab's safe parser (AST whitelist, no eval), with positions.

The scalar parser's pre-scan (lengths, nesting, ``^``, non-decimal literals, implicit multiplication,
dunder names) is reused as is; the walk builds array nodes instead of SymPy. Accepted beyond scalar text:
``@``, ``.T``, ``sum dot diag trace inv norm outer ones eye`` and ``I`` (the identity, its size taken
from the matrix it is added to or multiplied with) unless ``I`` is a declared array. Names with a shape
are arrays; every other name is a real scalar. Shape errors are parse errors at the operator.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Mapping
from fractions import Fraction

from difflab.errors import InputError
from difflab.expr.parse import _describe, _Parser
from difflab.matrix import algebra as a
from difflab.matrix.algebra import Node, Shape
from difflab.matrix.rules import elementwise_names
from difflab.primitives.table import EXPRESSION_ALIASES

ARRAY_FUNCTIONS = ("sum", "dot", "diag", "trace", "inv", "norm", "outer", "ones", "eye")
CONSTANTS = ("pi", "e")
_DIM = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def parse_shape(name: str, value) -> Shape:
    """A declared shape: ``(3, 4)``, ``"m,n"``, ``5`` or ``()``; dims are positive ints or names."""
    if isinstance(value, str):
        value = tuple(p.strip() for p in value.split(",") if p.strip())
    elif isinstance(value, int) and not isinstance(value, bool):
        value = (value,)
    try:
        dims = tuple(value)
    except TypeError:
        raise InputError(f"shape of '{name}' must be a tuple of sizes, got {value!r}") from None
    out: list = []
    for d in dims:
        if isinstance(d, str) and d.strip().isdigit():
            d = int(d)
        valid = isinstance(d, int) and d > 0 or isinstance(d, str) and _DIM.fullmatch(d)
        if isinstance(d, bool) or not valid:
            raise InputError(f"shape of '{name}': {d!r} is not a positive size or a size name")
        out.append(d)
    if len(out) > 2:
        raise InputError(f"shape of '{name}' has {len(out)} axes; array expressions take vectors and "
                         f"matrices")
    return tuple(out)


class _PendingEye:
    """``coeff * I`` whose size is not known until it meets a matrix."""

    def __init__(self, position: int, coeff: Node):
        self.position, self.coeff = position, coeff


def parse_array(text: str, shapes: Mapping[str, Shape]) -> Node:
    """Parse array expression text; ``shapes`` maps array names to parsed shapes."""
    return _ArrayParser(text, shapes).parse_node()


class _ArrayParser(_Parser):
    def __init__(self, text: str, shapes: Mapping[str, Shape]):
        super().__init__(text)
        self.shapes = dict(shapes)
        names = elementwise_names()
        self.elementwise = {n: n for n in names} | {k: v for k, v in EXPRESSION_ALIASES.items() if v in names}

    def parse_node(self) -> Node:
        out = self.parse()
        return self._settle(out, 0)

    def _settle(self, value, position: int) -> Node:
        if isinstance(value, _PendingEye):
            raise self.fail("the size of I is unknown here: add it to a square matrix, multiply it with "
                            "one, or write eye(n)", value.position)
        return value

    def _build(self, node: ast.AST, fn, *args):
        try:
            return fn(*args)
        except InputError as err:
            raise self.fail(str(err), self._operator_or_start(node)) from None

    def _operator_or_start(self, node: ast.AST) -> int:
        return self._operator_position(node) if isinstance(node, ast.BinOp) else self._pos(node)

    # -- leaves ---------------------------------------------------------------------------------------
    def _number(self, source: str, node: ast.AST) -> Node:
        value = super()._number(source, node)
        return a.num(Fraction(int(value.p), int(value.q)))

    def _Name(self, node: ast.Name, depth: int):
        name = node.id
        if name in self.shapes:
            return a.sym(name, self.shapes[name])
        if name in CONSTANTS:
            return a.const(name)
        if name == "I":
            return _PendingEye(self._pos(node), a.num(1))
        if name in self.elementwise or name in ARRAY_FUNCTIONS:
            raise self.fail(f"'{name}' is a function; call it with an argument, e.g. {name}(x)",
                            self._pos(node))
        return a.sym(name, ())

    def _Attribute(self, node: ast.Attribute, depth: int):
        if node.attr != "T":
            raise self.fail(f"attribute '.{node.attr}' is not allowed (only .T, the transpose)",
                            self._pos(node))
        value = self._node(node.value, depth)
        return value if isinstance(value, _PendingEye) else a.transpose(value)

    # -- operators ------------------------------------------------------------------------------------
    def _UnaryOp(self, node: ast.UnaryOp, depth: int):
        operand = self._node(node.operand, depth)
        if isinstance(node.op, ast.UAdd):
            return operand
        if not isinstance(node.op, ast.USub):
            raise self.fail(_describe(node), self._pos(node))
        if isinstance(operand, _PendingEye):
            return _PendingEye(operand.position, a.neg(operand.coeff))
        return a.neg(operand)

    def _BinOp(self, node: ast.BinOp, depth: int):
        op = type(node.op)
        if op in (ast.Add, ast.Sub, ast.Mult, ast.Div):
            return self._run(node, depth)
        left, right = self._node(node.left, depth), self._node(node.right, depth)
        if op is ast.MatMult:
            if isinstance(left, _PendingEye) or isinstance(right, _PendingEye):
                eye, other = (left, right) if isinstance(left, _PendingEye) else (right, left)
                other = self._settle(other, self._pos(node))
                size = other.shape[0] if eye is left else other.shape[-1]
                product = (lambda: a.matmul(a.eye(size), other)) if eye is left else \
                    (lambda: a.matmul(other, a.eye(size)))
                return self._build(node, lambda: a.mul(eye.coeff, product()))
            return self._build(node, a.matmul, left, right)
        if op is ast.Pow:
            left, right = self._settle(left, self._pos(node)), self._settle(right, self._pos(node))
            self._check_constant_power(left, right, node)
            return self._build(node, a.power, left, right)
        return super()._BinOp(node, depth)  # refused operators, with their words

    def _check_constant_power(self, base: Node, exponent: Node, node: ast.BinOp) -> None:
        b, e = base.number(), exponent.number()
        if b is not None and e is not None and b and abs(e) * max(len(str(b.numerator)),
                                                                len(str(b.denominator))) > 400:
            raise self.fail("constant power is too large", self._operator_position(node),
                            "exponent towers are refused")

    def _run(self, node: ast.BinOp, depth: int):
        """A left-nested run of + - (or * /), walked as a loop so long sums are not deep."""
        group = (ast.Add, ast.Sub) if isinstance(node.op, (ast.Add, ast.Sub)) else (ast.Mult, ast.Div)
        parts = []
        while isinstance(node, ast.BinOp) and isinstance(node.op, group):
            parts.append(node)
            node = node.left
        value = self._node(node, depth)
        for part in reversed(parts):
            right = self._node(part.right, depth)
            value = self._combine(part, value, right)
        return value

    def _combine(self, node: ast.BinOp, left, right):
        op = type(node.op)
        pending = [v for v in (left, right) if isinstance(v, _PendingEye)]
        if pending and op in (ast.Add, ast.Sub):
            if len(pending) == 2:
                raise self.fail("the size of I is unknown here: add it to a square matrix",
                                pending[0].position)
            other = right if pending[0] is left else left
            eye = a.mul(pending[0].coeff, a.eye(other.shape[0])) if other.ndim == 2 else None
            if eye is None:
                raise self.fail(f"I can only be added to a square matrix, not to shape "
                                f"{a.shape_text(other.shape)}", self._operator_position(node))
            left, right = (eye, right) if pending[0] is left else (left, eye)
        elif pending:
            other = right if pending[0] is left else left
            if isinstance(other, _PendingEye) or other.shape:
                raise self.fail("I can be scaled by a scalar only; its size is unknown here",
                                pending[0].position)
            if op is ast.Div and pending[0] is right:
                raise self.fail("dividing by the identity is not defined", self._operator_position(node))
            fn = a.mul if op is ast.Mult else a.div
            return _PendingEye(pending[0].position, fn(pending[0].coeff, other))
        fn = {ast.Add: a.add, ast.Sub: a.sub, ast.Mult: a.mul, ast.Div: a.div}[op]
        return self._build(node, fn, left, right)

    # -- calls ----------------------------------------------------------------------------------------
    def _Call(self, node: ast.Call, depth: int):
        if not isinstance(node.func, ast.Name):
            raise self.fail("only calls of named functions are allowed", self._pos(node))
        name = node.func.id
        if node.keywords:
            raise self.fail(f"'{name}' takes no keyword arguments", self._pos(node.keywords[0].value))
        if any(isinstance(x, ast.Starred) for x in node.args):
            raise self.fail("starred arguments are not allowed", self._pos(node))
        if name in ("ones", "eye"):
            return self._sized(node, name)
        arity = 2 if name in ("dot", "outer") else 1
        if name not in self.elementwise and name not in ARRAY_FUNCTIONS:
            known = ", ".join(sorted(set(self.elementwise) | set(ARRAY_FUNCTIONS)))
            raise self.fail(f"unknown function '{name}' in an array expression", self._pos(node),
                            f"known functions: {known}")
        if len(node.args) != arity:
            raise self.fail(f"'{name}' takes {arity} argument{'s' * (arity != 1)}, got {len(node.args)}",
                            self._pos(node))
        args = [self._settle(self._node(x, depth), self._pos(x)) for x in node.args]
        if name in self.elementwise:
            return a.func(self.elementwise[name], args[0])
        return self._build(node, _ARRAY_BUILDERS[name], *args)

    def _sized(self, node: ast.Call, name: str) -> Node:
        dims = []
        for x in node.args:
            if isinstance(x, ast.Constant) and isinstance(x.value, int) and not isinstance(x.value, bool) \
                    and x.value > 0:
                dims.append(x.value)
            elif isinstance(x, ast.Name) and x.id not in self.shapes:
                dims.append(x.id)
            else:
                raise self.fail(f"'{name}' takes sizes (positive integers or size names)", self._pos(x))
        if name == "eye" and len(dims) != 1 or not 1 <= len(dims) <= 2:
            raise self.fail(f"'{name}' takes {'one size' if name == 'eye' else 'one or two sizes'}",
                            self._pos(node))
        return a.eye(dims[0]) if name == "eye" else a.ones(tuple(dims))


def _trace(m: Node) -> Node:
    if m.ndim != 2:
        raise InputError(f"trace needs a square matrix, got shape {a.shape_text(m.shape)}")
    return a.total(a.diag(m))


_ARRAY_BUILDERS = {
    "sum": a.total,
    "dot": a.matmul,  # u @ v for vectors, the matrix product otherwise
    "diag": a.diag,
    "trace": _trace,
    "inv": a.inv,
    "norm": lambda x: a.func("sqrt", a.total(a.power(x, a.num(2)))),
    "outer": a.outer,
}
