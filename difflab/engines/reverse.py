"""Reverse mode: a recorded pass (``engines.tape``) and pullbacks of cotangents, over pytrees.

``vjp(fn, x)`` records ``fn`` on the leaves of ``x`` (an array or a list/tuple/dict of arrays) and returns
the output (any pytree) with a pullback; ``value_and_grad`` is one pullback of the seed 1.  The leaves may
themselves be traced by an outer transform (forward or reverse, any depth): they are recorded as they are
and the VJPs run on them through the table, so the cotangents come back traced -- forward over reverse
(Hessian-vector products) and reverse over reverse need no code of their own.  No SymPy here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from difflab.engines import allocator, pytree
from difflab.engines.forward import Dual, _vector, new_level
from difflab.engines.tape import Node, Record, backward
from difflab.errors import InputError
from difflab.numpy import Box, shape

allocator.apply_environment()  # only when asked (DIFFLAB_KEEP_HEAP=1): process-wide state

BLOCK_ELEMENTS = 1 << 17  # entries per dual tangent in a Hessian pass (the tape keeps them all)
__all__ = ["Node", "grad", "hessian", "hvp", "value_and_grad", "vjp"]


def _leaf(x, lvl, tape) -> Node:
    return Node(x if isinstance(x, Box) else np.asarray(x, dtype=float), lvl, tape, Record())


def _trace(fn, x, args, kw):
    """Run ``fn`` on the first argument's leaves wrapped as nodes of a fresh trace."""
    leaves, treedef = pytree.flatten(x)
    lvl, tape = new_level(), []
    nodes = [_leaf(leaf, lvl, tape) for leaf in leaves]
    out = fn(pytree.unflatten(treedef, nodes), *args, **kw)
    return out, nodes, treedef, lvl, tape


def _ours(v, lvl) -> bool:
    return type(v) is Node and v.level == lvl


def _cotangents(nodes, seeds, lvl, tape, reset=False):
    if seeds:
        if reset:  # a pullback called again
            for rec in tape + [n.rec for n in nodes]:
                rec.g, rec.owned = None, False
        backward(tape, seeds, keep=reset)
    return [np.zeros(shape(n.value)) if n.rec.g is None else n.rec.g for n in nodes]


def vjp(fn: Callable, x, *args, **kw) -> tuple[Any, Callable]:
    """``(fn(x), pullback)``: ``pullback(ct)`` is ``ct`` times the Jacobian, shaped like ``x``; the output
    and ``ct`` may be pytrees (of the same structure)."""
    with np.errstate(all="ignore"):
        out, nodes, treedef, lvl, tape = _trace(fn, x, args, kw)
    outs, out_def = pytree.flatten(out)
    value = pytree.unflatten(out_def, [o.value if _ours(o, lvl) else o for o in outs])

    def pullback(ct):
        cts = [ct] if out_def == ("leaf",) else pytree.flatten(ct)[0]
        if len(cts) != len(outs):
            raise InputError(f"the cotangent has {len(cts)} arrays; the output has {len(outs)}")
        seeds = [(o.rec, c) for o, c in zip(outs, cts, strict=True) if _ours(o, lvl)]
        with np.errstate(all="ignore"):
            return pytree.unflatten(treedef, _cotangents(nodes, seeds, lvl, tape, reset=True))
    return value, pullback


def value_and_grad(fn: Callable) -> Callable:
    """``fn -> (x, *args) -> (fn(x, *args), d fn / d x)``; x an array or a list/tuple/dict of arrays."""
    def wrapped(x, *args, **kw):
        with np.errstate(all="ignore"):
            out, nodes, treedef, lvl, tape = _trace(fn, x, args, kw)
            value = out.value if _ours(out, lvl) else out
            if shape(value) not in ((), (1,)):
                raise InputError(f"grad needs a scalar-valued function; it returned shape {shape(value)}")
            grads = _cotangents(nodes, [(out.rec, 1.0)] if _ours(out, lvl) else [], lvl, tape)
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
