"""The array-level expression IR: interned nodes and constructors that keep every expression simplified.

Why interned nodes: a derivative is a DAG in which the same subexpression (``A @ x``) appears many times.
Every node is built through ``_make``, which returns the one existing node with the same operation,
arguments and data, so structural equality is identity, hashing is O(1), and common-subexpression
elimination in the compiler is simply "a node used twice".

Why simplify in the constructors (not in a later pass): each rule of ``rules.py`` builds its result
from these constructors, so a derivative is born simplified -- numeric factors are folded and pulled out
of ``@``, ``.T`` and ``sum``; ``I @ M`` is ``M``; ``ones * M`` is ``M``; like terms are collected
(``x + x`` is ``2*x``) and equal bases merged (``u*u`` is ``u**2``). That is what turns the reverse
sweep of ``0.25*sum((A@x)**4)`` into ``A.T @ (A @ x)**3`` instead of ``A.T @ (ones*(0.25*4*(A@x)**3))``.

A shape is a tuple of dims; a dim is an int or a name (``"n"``) for formulas with symbolic shapes.
Elementwise operations take equal shapes or scalars (no other broadcasting), so a formula means the
same thing for every size.
"""

from __future__ import annotations

import math
import weakref
from fractions import Fraction

from difflab.errors import InputError

Dim = int | str
Shape = tuple[Dim, ...]

_INTERN: weakref.WeakValueDictionary = weakref.WeakValueDictionary()
LEAVES = frozenset({"sym", "num", "const", "eye", "ones", "zero"})


class Node:
    """One operation of an array expression. Build nodes with the constructors below, never directly."""

    __slots__ = ("op", "args", "shape", "data", "size", "__weakref__")

    def __init__(self, op: str, args: tuple, shape: Shape, data):
        self.op, self.args, self.shape, self.data = op, args, shape, data
        self.size = 1 + sum(a.size for a in args)

    def __repr__(self) -> str:
        return f"Node({self.op}, {len(self.args)} args, shape={self.shape}, data={self.data!r})"

    @property
    def ndim(self) -> int:
        return len(self.shape)

    def number(self) -> Fraction | None:
        return self.data if self.op == "num" else None


def _make(op: str, args: tuple = (), shape: Shape = (), data=None) -> Node:
    key = (op, tuple(id(a) for a in args), shape, data)
    node = _INTERN.get(key)
    if node is None:
        node = Node(op, args, shape, data)
        _INTERN[key] = node  # a parent keeps its arguments alive, so the ids in a live key stay valid
    return node


def shape_text(shape: Shape) -> str:
    return "(" + ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"


def _same(a: Shape, b: Shape, what: str) -> Shape:
    if a == () or a == b:
        return b
    if b == ():
        return a
    raise InputError(f"{what}: shapes {shape_text(a)} and {shape_text(b)} do not match")


def _elementwise_shape(nodes, what: str) -> Shape:
    shape: Shape = ()
    for n in nodes:
        shape = _same(shape, n.shape, what)
    return shape


# ------------------------------------------------------------------------------------------ leaves
def sym(name: str, shape: Shape = ()) -> Node:
    return _make("sym", (), tuple(shape), name)


def num(value) -> Node:
    return _make("num", (), (), Fraction(value))


def const(name: str) -> Node:
    """A named real constant (``pi``, ``e``)."""
    return _make("const", (), (), name)


def eye(n: Dim) -> Node:
    return _make("eye", (), (n, n), None)


def ones(shape: Shape) -> Node:
    return num(1) if not shape else _make("ones", (), tuple(shape), None)


def zero(shape: Shape) -> Node:
    return num(0) if not shape else _make("zero", (), tuple(shape), None)


def is_zero(n: Node) -> bool:
    return n.op == "zero" or (n.op == "num" and n.data == 0)


# ---------------------------------------------------------------------------------- elementwise
def split_coefficient(n: Node) -> tuple[Fraction, Node]:
    """``n = c * rest`` with c numeric (rest is ``1`` for a number)."""
    if n.op == "num":
        return n.data, num(1)
    if n.op == "mul" and n.args[0].op == "num":
        rest = n.args[1:]
        return n.args[0].data, rest[0] if len(rest) == 1 else _make("mul", rest, n.shape)
    return Fraction(1), n


def add(*terms: Node) -> Node:
    """Sum with like terms collected; terms ordered largest first, numbers last (readable)."""
    shape = _elementwise_shape(terms, "cannot add")
    flat: list[Node] = []
    for t in terms:
        flat.extend(t.args if t.op == "add" else (t,))
    collected: dict[Node, Fraction] = {}
    constant = Fraction(0)
    for t in flat:
        if is_zero(t):
            continue
        c, rest = split_coefficient(t)
        if rest.op == "num":
            constant += c
        else:
            collected[rest] = collected.get(rest, Fraction(0)) + c
    parts = [mul(num(c), r) for r, c in collected.items() if c != 0]
    parts.sort(key=lambda p: -split_coefficient(p)[1].size)
    if constant:
        parts.append(num(constant))
    if not parts:
        return zero(shape)
    if len(parts) == 1:
        return parts[0] if parts[0].shape == shape else mul(parts[0], ones(shape))
    return _make("add", tuple(parts), shape)


def mul(*factors: Node) -> Node:
    """Elementwise product: numbers folded, equal bases merged into powers, scalars before arrays."""
    shape = _elementwise_shape(factors, "cannot multiply elementwise")
    coeff = Fraction(1)
    bases: dict[Node, Node] = {}
    for f in (g for h in factors for g in (h.args if h.op == "mul" else (h,))):
        if f.op == "num":
            coeff *= f.data
        elif f.op == "zero":
            return zero(shape)
        elif f.op == "ones":
            continue
        else:
            base, exponent = (f.args[0], f.args[1]) if f.op == "pow" else (f, num(1))
            bases[base] = add(bases[base], exponent) if base in bases else exponent
    if coeff == 0:
        return zero(shape)
    parts = [power(b, e) for b, e in bases.items()]
    parts = [p for p in parts if p.op != "num" or p.data != 1]
    numbers = [p for p in parts if p.op == "num"]
    for p in numbers:
        coeff *= p.data
    parts = [p for p in parts if p.op != "num"]
    parts.sort(key=lambda p: (len(p.shape) > 0, p.size))
    if not parts:
        return num(coeff) if not shape else (_make("mul", (num(coeff), ones(shape)), shape)
                                            if coeff != 1 else ones(shape))
    if _elementwise_shape(parts, "") != shape:
        parts.append(ones(shape))
    if coeff != 1:
        parts.insert(0, num(coeff))
    return parts[0] if len(parts) == 1 else _make("mul", tuple(parts), shape)


def neg(a: Node) -> Node:
    return mul(num(-1), a)


def sub(a: Node, b: Node) -> Node:
    return add(a, neg(b))


def div(a: Node, b: Node) -> Node:
    return mul(a, power(b, num(-1)))


def power(base: Node, exponent: Node) -> Node:
    """Elementwise ``base**exponent`` (the exponent a scalar or of the base's shape)."""
    shape = _elementwise_shape((base, exponent), "cannot raise to a power")
    e = exponent.number()
    if e is not None:
        if e == 0:
            return ones(shape)
        if e == 1:
            return base
        b = base.number()
        if b is not None and e.denominator == 1 and (b != 0 or e > 0) and abs(e) <= 64:
            return num(b ** int(e))
        if base.op == "ones":
            return base
        if base.op == "pow" and base.args[1].number() is not None and e.denominator == 1:
            return power(base.args[0], num(base.args[1].data * e))
    return _make("pow", (base, exponent), shape)


def func(name: str, arg: Node) -> Node:
    """An elementwise function of the primitive table (its derivative comes from that row)."""
    return _make("func", (arg,), arg.shape, name)


# -------------------------------------------------------------------------------------- linear algebra
def _scalar_part(n: Node) -> tuple[Node, Node]:
    """``n = s * rest`` with s scalar-shaped (numbers and scalar factors) and rest an array."""
    if n.op != "mul" or not n.shape:
        return num(1), n
    scalars = [f for f in n.args if not f.shape]
    if not scalars:
        return num(1), n
    arrays = [f for f in n.args if f.shape]
    rest = arrays[0] if len(arrays) == 1 else _make("mul", tuple(arrays), n.shape)
    return mul(*scalars), rest


def matmul(a: Node, b: Node) -> Node:
    """``a @ b`` for vectors and matrices, with scalar factors pulled out and identities dropped."""
    if not a.shape or not b.shape or a.ndim > 2 or b.ndim > 2:
        raise InputError(f"'@' needs vectors or matrices, got shapes {shape_text(a.shape)} and "
                         f"{shape_text(b.shape)}")
    inner_a, inner_b = a.shape[-1], b.shape[0]
    if inner_a != inner_b:
        raise InputError(f"cannot multiply {shape_text(a.shape)} @ {shape_text(b.shape)}: inner "
                         f"dimensions {inner_a} and {inner_b} differ")
    shape = a.shape[:-1] + b.shape[1:]
    if is_zero(a) or is_zero(b):
        return zero(shape)
    if a.op == "eye":
        return b
    if b.op == "eye":
        return a
    sa, ra = _scalar_part(a)
    sb, rb = _scalar_part(b)
    if ra is not a or rb is not b:
        return mul(sa, sb, matmul(ra, rb))
    if a.op == "matmul" and a.args[1].ndim == 2:  # chains nest right: one form, diag(w) @ M adjacent
        return matmul(a.args[0], matmul(a.args[1], b))
    if a.op == "ones" and a.ndim == 1 and b.op == "diag" and b.args[0].ndim == 1:
        return b.args[0]
    if a.op == "diag" and b.op == "diag" and a.args[0].ndim == 1 and b.args[0].ndim == 1:
        return diag(mul(a.args[0], b.args[0]))
    if _is_scaling(a) and b.op == "matmul" and _is_scaling(b.args[0]):
        return matmul(diag(mul(a.args[0], b.args[0].args[0])), b.args[1])
    if a.ndim == 1 and b.op == "matmul" and _is_scaling(b.args[0]):  # v @ diag(w) @ M = (v*w) @ M
        return matmul(mul(a, b.args[0].args[0]), b.args[1])
    if a.op == "diag" and a.args[0].ndim == 1 and b.ndim == 1:
        return mul(a.args[0], b)
    if b.op == "diag" and b.args[0].ndim == 1 and a.ndim == 1:
        return mul(a, b.args[0])
    return _make("matmul", (a, b), shape)


def _is_scaling(n: Node) -> bool:
    return n.op == "diag" and n.args[0].ndim == 1


def transpose(a: Node) -> Node:
    """``a.T``: vectors and scalars are their own transpose; ``(A @ B).T`` becomes ``B.T @ A.T``."""
    if a.ndim < 2 or a.op in ("eye", "ones", "zero") and a.shape[0] == a.shape[-1]:
        return a
    if a.op in ("ones", "zero"):
        return _make(a.op, (), a.shape[::-1], None)
    if a.op == "transpose":
        return a.args[0]
    if a.op == "diag":
        return a
    if a.op == "matmul":
        return matmul(transpose(a.args[1]), transpose(a.args[0]))
    s, rest = _scalar_part(a)
    if rest is not a:
        return mul(s, transpose(rest))
    return _make("transpose", (a,), a.shape[::-1])


def total(a: Node) -> Node:
    """``sum(a)`` over every entry."""
    if not a.shape:
        return a
    if a.op == "zero":
        return num(0)
    if a.op == "ones" and all(isinstance(d, int) for d in a.shape):
        return num(math.prod(a.shape))
    s, rest = _scalar_part(a)
    if rest is not a:
        return mul(s, total(rest))
    if a.op == "transpose":
        return total(a.args[0])
    return _make("sum", (a,), ())


def diag(a: Node) -> Node:
    """Vector -> diagonal matrix, square matrix -> its diagonal (NumPy's ``diag``)."""
    if a.ndim == 1:
        if a.op == "ones":
            return eye(a.shape[0])
        if a.op == "zero":
            return zero(a.shape * 2)
        s, rest = _scalar_part(a)
        return _make("diag", (a,), a.shape * 2) if rest is a else mul(s, diag(rest))
    if a.ndim != 2 or a.shape[0] != a.shape[1]:
        raise InputError(f"diag needs a vector or a square matrix, got shape {shape_text(a.shape)}")
    if a.op == "eye":
        return ones(a.shape[:1])
    if a.op == "zero":
        return zero(a.shape[:1])
    if a.op == "diag":
        return a.args[0]
    s, rest = _scalar_part(a)
    if rest is not a:
        return mul(s, diag(rest))
    return _make("diag", (a,), a.shape[:1])


def inv(a: Node) -> Node:
    if a.ndim != 2 or a.shape[0] != a.shape[1]:
        raise InputError(f"inv needs a square matrix, got shape {shape_text(a.shape)}")
    if a.op == "inv":
        return a.args[0]
    if a.op == "eye":
        return a
    return _make("inv", (a,), a.shape)


def outer(u: Node, v: Node) -> Node:
    """``outer(u, v)[i, j] = u[i] * v[j]`` for vectors."""
    if u.ndim != 1 or v.ndim != 1:
        raise InputError(f"outer needs two vectors, got shapes {shape_text(u.shape)} and "
                         f"{shape_text(v.shape)}")
    shape = u.shape + v.shape
    if is_zero(u) or is_zero(v):
        return zero(shape)
    su, ru = _scalar_part(u)
    sv, rv = _scalar_part(v)
    if ru is not u or rv is not v:
        return mul(su, sv, outer(ru, rv))
    return _make("outer", (u, v), shape)


# ------------------------------------------------------------------------------------------ walks
def postorder(*roots: Node) -> list[Node]:
    """Every node below the roots once, children before parents (iterative: deep DAGs are fine)."""
    seen: set[int] = set()
    out: list[Node] = []
    stack: list[tuple[Node, bool]] = [(r, False) for r in reversed(roots)]
    while stack:
        node, done = stack.pop()
        if done:
            out.append(node)
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        stack.append((node, True))
        stack.extend((a, False) for a in reversed(node.args) if id(a) not in seen)
    return out


def free_names(*roots: Node) -> dict[str, Shape]:
    return {n.data: n.shape for n in postorder(*roots) if n.op == "sym"}
