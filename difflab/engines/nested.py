"""Forward and reverse derivatives of Python functions over pytrees, composable to any depth.

The JAX-style transforms (``dl.grad``, ``dl.jacobian``, ``dl.jvp``, ``dl.hessian`` ...) sit on four
functions here.  What makes them nest in every order is that nothing converts a value to a float array:

* inputs are kept as they are -- a leaf may be a ``Box`` of an outer transform (a ``Dual`` or a ``Node``,
  any depth) -- and are wrapped in a box of a *fresh* level (``forward.new_level``);
* derivatives are assembled with the table's operations (``ops.reshape``, ``ops.concatenate``,
  ``ops.stack``, ``ops.transpose``), so an outer trace records the assembly like any other computation.

Perturbation confusion cannot happen: every trace has its own level, a box only ever wraps boxes of
lower (older) levels, ``apply`` hands an operation to the highest level present, and a trace reads
tangents / cotangents only of boxes carrying its own level (Siskind and Pearlmutter's tagging).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from difflab.engines import pytree, reverse
from difflab.engines.forward import BLOCK_ELEMENTS, Dual, new_level
from difflab.errors import InputError
from difflab.numpy import Box, ops, shape


def _input(x):
    return x if isinstance(x, Box) else np.asarray(x, dtype=float)


def _split(o, lvl: int, k: int) -> tuple:
    """Primal and tangent block of one output leaf (a zero block if it does not depend on the input)."""
    if type(o) is Dual and o.level == lvl:
        return o.value, o.tangent
    return o, np.zeros((k,) + shape(o))


def jvp(fn: Callable, primals: tuple, tangents: tuple) -> tuple[Any, Any]:
    """``(fn(*primals), J t)``: one forward pass; primals and tangents are pytrees of the same structure."""
    leaves, treedef = pytree.flatten(tuple(primals))
    tleaves, tdef = pytree.flatten(tuple(tangents))
    if tdef != treedef:
        raise InputError("jvp: the tangents must have the structure of the primals")
    lvl = new_level()
    duals = []
    for x, t in zip(leaves, tleaves, strict=True):
        x, t = _input(x), _input(t)
        if shape(t) != shape(x):
            raise InputError(f"jvp: a tangent has shape {shape(t)}, its primal has shape {shape(x)}")
        duals.append(Dual(x, ops.reshape(t, (1,) + shape(x)), lvl))
    with np.errstate(all="ignore"):
        out = fn(*pytree.unflatten(treedef, duals))
    outs, out_def = pytree.flatten(out)
    pairs = [_split(o, lvl, 1) for o in outs]
    return (pytree.unflatten(out_def, [p for p, _ in pairs]),
            pytree.unflatten(out_def, [t[0] for _, t in pairs]))


def _unit_blocks(shapes: list, start: int, stop: int) -> list:
    """Directions start..stop-1 of the flattened input as one tangent block per leaf, (k,) + shape."""
    blocks, offset, k = [], 0, stop - start
    for s in shapes:
        size = math.prod(s)
        block = np.zeros((k, size))
        lo, hi = max(start, offset), min(stop, offset + size)
        if lo < hi:
            block[np.arange(lo - start, hi - start), np.arange(lo - offset, hi - offset)] = 1.0
        blocks.append(block.reshape((k,) + s))
        offset += size
    return blocks


def _per_input(t, shapes: list, out_shape: tuple) -> list:
    """Split a (n,) + out_shape block into one Jacobian per input leaf, shaped out_shape + leaf shape."""
    parts, offset, m = [], 0, len(out_shape)
    for s in shapes:
        size = math.prod(s)
        piece = ops.reshape(t[offset:offset + size], s + out_shape)
        parts.append(piece if m == 0 or not s else
                     ops.transpose(piece, tuple(range(len(s), len(s) + m)) + tuple(range(len(s)))))
        offset += size
    return parts


def forward_jacobian(fn: Callable, x) -> tuple[Any, Any]:
    """``(fn(x), J)`` by batched tangents (blocks of the identity); ``J`` is the output's pytree holding,
    per output leaf, the input's pytree of arrays shaped ``out.shape + in.shape`` (JAX's layout)."""
    leaves, treedef = pytree.flatten(x)
    leaves = [_input(leaf) for leaf in leaves]
    shapes = [shape(leaf) for leaf in leaves]
    n = sum(math.prod(s) for s in shapes)
    b = max(1, min(n, BLOCK_ELEMENTS // max(n, 1)))
    value, out_def, blocks = None, None, []
    with np.errstate(all="ignore"):
        for start in range(0, max(n, 1), b):
            stop = min(n, start + b)
            lvl = new_level()
            duals = [Dual(v, t, lvl) for v, t in zip(leaves, _unit_blocks(shapes, start, stop), strict=True)]
            outs, out_def = pytree.flatten(fn(pytree.unflatten(treedef, duals)))
            pairs = [_split(o, lvl, stop - start) for o in outs]
            value = [p for p, _ in pairs]
            blocks.append([t for _, t in pairs])
    columns = [blocks[0][j] if len(blocks) == 1 else ops.concatenate([blk[j] for blk in blocks], axis=0)
               for j in range(len(value))]
    jac = [pytree.unflatten(treedef, _per_input(c, shapes, shape(v)))
           for c, v in zip(columns, value, strict=True)]
    return pytree.unflatten(out_def, value), pytree.unflatten(out_def, jac)


def reverse_jacobian(fn: Callable, x) -> tuple[Any, Any]:
    """``(fn(x), J)`` by one recorded pass and one pullback per output entry (layout as forward)."""
    value, pullback = reverse.vjp(fn, x)
    outs, out_def = pytree.flatten(value)
    leaves, treedef = pytree.flatten(x)
    shapes = [shape(leaf) for leaf in leaves]
    jac = []
    for j, o in enumerate(outs):
        s = shape(o)
        rows: list[list] = [[] for _ in shapes]
        for e in range(math.prod(s)):
            cts = [np.zeros(shape(p)) for p in outs]
            cts[j] = np.zeros(math.prod(s))
            cts[j][e] = 1.0
            cts[j] = cts[j].reshape(s)
            for r, g in zip(rows, pytree.flatten(pullback(pytree.unflatten(out_def, cts)))[0], strict=True):
                r.append(g)
        jac.append(pytree.unflatten(treedef, [
            ops.reshape(ops.stack(r), s + ls) if r else np.zeros(s + ls)
            for r, ls in zip(rows, shapes, strict=True)]))
    return value, pytree.unflatten(out_def, jac)


def value_and_grad(fn: Callable, x, jacobian: Callable = forward_jacobian) -> tuple[Any, Any]:
    """Value and gradient (shaped like ``x``) of a scalar ``fn`` by a Jacobian route of this module."""
    value, jac = jacobian(fn, x)
    if isinstance(value, list | tuple | dict) or shape(value) not in ((), (1,)):
        what = type(value).__name__ if isinstance(value, list | tuple | dict) else f"shape {shape(value)}"
        raise InputError(f"grad needs a scalar-valued function; it returned {what} (dl.jacobian takes "
                         "vector outputs)")
    if shape(value) == (1,):  # a (1,) output: its Jacobian rows are the gradient
        leaves, treedef = pytree.flatten(jac)
        jac = pytree.unflatten(treedef, [ops.reshape(g, shape(g)[1:]) for g in leaves])
    return value, jac
