"""Reverse mode: an array-level tape driven entirely by the ``vjp`` column of ``difflab.primitives.table``.

A ``Node`` is what user code holds (the whole array ``value``); the tape is the list of their ``Record``s
in creation order, so walking it backwards is a topological order.  A record keeps only what the row's
VJPs read (``Rule.saves``, plus a ``Rule.fwd`` residual), so intermediates nobody needs are freed while
the forward pass runs.  Only arguments that are nodes of the current trace get a VJP (a constant data
matrix never receives a gradient), cotangents are added in place once the sum is an array this engine
owns, and nothing else runs per operation.  Hessian-vector products are forward over reverse: the point
is a ``forward.Dual`` whose tangent block holds the directions, and since every VJP rule is written with
``difflab.numpy`` operations the cotangents come back as duals carrying H·v.  No SymPy here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from difflab.engines import allocator, pytree
from difflab.engines.forward import Dual, _vector, new_level
from difflab.errors import InputError
from difflab.numpy import Box, Shaped, apply, shape

allocator.apply_environment()  # only when asked (DIFFLAB_KEEP_HEAP=1): process-wide state

DROP_SIZE = 2048  # arrays above this many entries are not kept unless a VJP reads them
BLOCK_ELEMENTS = 1 << 17  # entries per dual tangent in a Hessian pass (the tape keeps them all)


class Record:
    """What the backward pass needs of one operation: the rule, the saved arguments and output (only
    those its VJPs read, per ``rule.saves``; shapes stand in for the rest, so dead intermediates are
    freed during the forward pass), the parents' records and the cotangent being accumulated."""

    __slots__ = ("rule", "args", "ans", "kw", "parents", "g", "owned")

    def __init__(self, rule=None, args=(), ans=None, kw=None, parents=()):
        self.rule, self.args, self.ans, self.kw, self.parents = rule, args, ans, kw, parents
        self.g = None
        self.owned = False


class Node(Box):
    """A traced value: the primal ``value`` and its ``Record`` on the tape of trace ``level``."""

    __slots__ = ("rec", "tape")

    def __init__(self, value, level, tape, rec):
        self.value, self.level, self.tape, self.rec = value, level, tape, rec

    def __repr__(self) -> str:
        return f"Node(value={self.value!r}, rule={getattr(self.rec.rule, 'name', None)}, level={self.level})"

    def lift(self, rule, args, kw):
        lvl = self.level
        vals = []
        parents = []
        vjp = rule.vjp
        boxed = False  # does a value still hold an outer trace's box?
        i = 0
        for a in args:
            if type(a) is Node and a.level == lvl:
                a, rec = a.value, a.rec
                if vjp is not None and vjp[i] is not None:
                    parents.append((i, rec))
            if not boxed and isinstance(a, Box):
                boxed = True
            vals.append(a)
            i += 1
        if not parents:
            return apply(rule, *vals, **kw) if boxed else rule.numpy(*vals, **kw)
        saves = rule.saves
        if boxed:
            ans = apply(rule, *vals, **kw)
        elif rule.fwd is not None:
            ans, residual = rule.fwd(*vals, **kw)
            kw = dict(kw, residual=residual)
            saves = "ans"
        else:
            ans = rule.numpy(*vals, **kw)
        rec = Record(rule, vals if "args" in saves else [_drop(v) for v in vals],
                     ans if "ans" in saves else _drop(ans), kw, parents)
        self.tape.append(rec)
        return Node(ans, lvl, self.tape, rec)


def _drop(v):
    """Keep a small value as is; a large array the VJPs do not read is replaced by its shape."""
    return Shaped(v.shape) if type(v) is np.ndarray and v.size > DROP_SIZE else v


def _backward(tape: list, out: Record, seed, keep: bool = False) -> None:
    """Propagate ``seed`` from ``out`` over the tape (cotangents left in ``rec.g``).  Unless ``keep`` (a
    pullback may run again) records are popped as used: their arrays are freed and reused at once."""
    out.g = seed
    for rec in (reversed(tape) if keep else _popping(tape)):
        g = rec.g
        if g is None:
            continue
        rec.g = None
        vjps, ans, vals, kw = rec.rule.vjp, rec.ans, rec.args, rec.kw
        for i, p in rec.parents:
            c = vjps[i](g, ans, *vals, **kw)
            pg = p.g
            if pg is None:
                p.g = c
            elif p.owned and type(pg) is np.ndarray and type(c) is np.ndarray and pg.shape == c.shape:
                pg += c
            else:
                p.g = pg + c
                p.owned = True


def _popping(tape: list):
    while tape:
        yield tape.pop()


def _leaf(x, lvl, tape) -> Node:
    return Node(x if isinstance(x, Box) else np.asarray(x, dtype=float), lvl, tape, Record())


def _trace(fn, x, args, kw):
    """Run ``fn`` on the first argument's leaves wrapped as nodes of a fresh trace."""
    leaves, treedef = pytree.flatten(x)
    lvl, tape = new_level(), []
    nodes = [_leaf(leaf, lvl, tape) for leaf in leaves]
    out = fn(pytree.unflatten(treedef, nodes), *args, **kw)
    return out, nodes, treedef, lvl, tape


def _cotangents(nodes, out, lvl, tape, seed, reset=False):
    if isinstance(out, Node) and out.level == lvl:
        if reset:  # a pullback called again
            for rec in tape + [n.rec for n in nodes]:
                rec.g, rec.owned = None, False
        _backward(tape, out.rec, seed, keep=reset)
    return [np.zeros(shape(n.value)) if n.rec.g is None else n.rec.g for n in nodes]


def vjp(fn: Callable, x, *args, **kw) -> tuple[Any, Callable]:
    """``(fn(x), pullback)`` where ``pullback(ct)`` is ``ct`` times the Jacobian, shaped like ``x``."""
    with np.errstate(all="ignore"):
        out, nodes, treedef, lvl, tape = _trace(fn, x, args, kw)
    value = out.value if isinstance(out, Node) and out.level == lvl else out

    def pullback(ct):
        with np.errstate(all="ignore"):
            return pytree.unflatten(treedef, _cotangents(nodes, out, lvl, tape, ct, reset=True))
    return value, pullback


def value_and_grad(fn: Callable) -> Callable:
    """``fn -> (x, *args) -> (fn(x, *args), d fn / d x)``; x an array or a list/tuple/dict of arrays."""
    def wrapped(x, *args, **kw):
        with np.errstate(all="ignore"):
            out, nodes, treedef, lvl, tape = _trace(fn, x, args, kw)
            value = out.value if isinstance(out, Node) and out.level == lvl else out
            if shape(value) not in ((), (1,)):
                raise InputError(f"grad needs a scalar-valued function; it returned shape {shape(value)}")
            grads = _cotangents(nodes, out, lvl, tape, 1.0)
        return value, pytree.unflatten(treedef, grads)
    return wrapped


def grad(fn: Callable) -> Callable:
    """``fn -> (x, *args) -> d fn / d x`` (see ``value_and_grad``)."""
    vg = value_and_grad(fn)
    return lambda x, *args, **kw: vg(x, *args, **kw)[1]


def hvp(fn: Callable, x, v) -> np.ndarray:
    """Hessian-vector product H(x) v by forward over reverse (one reverse pass on a dual point)."""
    x, v = _vector(x), np.asarray(v, dtype=float)
    lvl = new_level()
    _, g = value_and_grad(fn)(Dual(x, v[None], lvl))
    return g.tangent[0] if isinstance(g, Dual) and g.level == lvl else np.zeros_like(x)


def hessian(fn: Callable, x) -> tuple[float, np.ndarray, np.ndarray]:
    """Value, gradient and Hessian from n Hessian-vector products, done in blocks of directions."""
    x = _vector(x)
    n = x.size
    hess, grad_ = np.zeros((n, n)), np.zeros(n)
    value = None
    b = max(1, min(n, BLOCK_ELEMENTS // max(n, 1)))
    for j in range(0, n, b):
        k = min(b, n - j)
        block = np.eye(k, n, j)  # directions e_j .. e_{j+k-1}
        lvl = new_level()
        val, g = value_and_grad(fn)(Dual(x, block, lvl))
        value = val.value if isinstance(val, Dual) and val.level == lvl else val
        if isinstance(g, Dual) and g.level == lvl:
            grad_, hess[j:j + k] = g.value, g.tangent
        else:
            grad_ = g
    if value is None:
        value, grad_ = value_and_grad(fn)(x)
    return float(np.reshape(value, ())), np.asarray(grad_, dtype=float), hess
