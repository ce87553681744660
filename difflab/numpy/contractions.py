"""Contractions of ``difflab.numpy``: dot, inner, outer, tensordot, einsum, kron, cross, trace, diag,
diagonal, tril, triu -- compositions of matmul, multiply, sum, getitem, reshape and transpose, written
as NumPy writes them (tensordot is NumPy's transpose-reshape-dot), so they need no rules of their own.
"""

from __future__ import annotations

import math
import string

import numpy as np

from difflab.numpy.shapes import moveaxis
from difflab.primitives.dispatch import dot, ndim, ops, shape

__all__ = ["cross", "diag", "diagonal", "dot", "einsum", "inner", "kron", "outer", "tensordot", "trace",
           "tril", "triu", "vdot"]


def outer(a, b):
    return ops.reshape(a, (-1, 1)) * ops.reshape(b, (1, -1))


def tensordot(a, b, axes=2):
    """NumPy's algorithm: move the summed axes together, reshape to matrices, one matrix product."""
    if isinstance(axes, (int, np.integer)):
        axes_a, axes_b = list(range(ndim(a) - axes, ndim(a))), list(range(axes))
    else:
        axes_a, axes_b = ([x] if isinstance(x, (int, np.integer)) else list(x) for x in axes)
    na, nb = ndim(a), ndim(b)
    axes_a, axes_b = [x % na for x in axes_a], [x % nb for x in axes_b]
    sa, sb = shape(a), shape(b)
    keep_a = [i for i in range(na) if i not in axes_a]
    keep_b = [i for i in range(nb) if i not in axes_b]
    n = math.prod(sa[i] for i in axes_a)
    at = ops.reshape(ops.transpose(a, keep_a + axes_a), (math.prod(sa[i] for i in keep_a), n))
    bt = ops.reshape(ops.transpose(b, axes_b + keep_b), (n, math.prod(sb[i] for i in keep_b)))
    return ops.reshape(ops.matmul(at, bt), tuple(sa[i] for i in keep_a) + tuple(sb[i] for i in keep_b))


def inner(a, b):
    if ndim(a) == 0 or ndim(b) == 0:
        return a * b
    return tensordot(a, b, axes=([-1], [-1]))


def vdot(a, b):
    return ops.sum(ops.reshape(a, (-1,)) * ops.reshape(b, (-1,)))


def kron(a, b):
    nd = max(ndim(a), ndim(b))
    a = ops.reshape(a, (1,) * (nd - ndim(a)) + shape(a))
    b = ops.reshape(b, (1,) * (nd - ndim(b)) + shape(b))
    sa, sb = shape(a), shape(b)
    wide_a = ops.reshape(a, tuple(x for n in sa for x in (n, 1)))
    wide_b = ops.reshape(b, tuple(x for n in sb for x in (1, n)))
    return ops.reshape(wide_a * wide_b, tuple(p * q for p, q in zip(sa, sb, strict=True)))


def cross(a, b, axisa=-1, axisb=-1, axisc=-1, axis=None):
    if axis is not None:
        axisa = axisb = axisc = axis
    a, b = moveaxis(a, axisa, -1), moveaxis(b, axisb, -1)
    if shape(a)[-1] != 3 or shape(b)[-1] != 3:
        raise ValueError("difflab.numpy.cross supports 3-vectors only")
    a0, a1, a2 = (a[..., i] for i in range(3))
    b0, b1, b2 = (b[..., i] for i in range(3))
    c = ops.stack([a1 * b2 - a2 * b1, a2 * b0 - a0 * b2, a0 * b1 - a1 * b0], axis=-1)
    return moveaxis(c, -1, axisc)


def diagonal(a, offset=0, axis1=0, axis2=1):
    a = moveaxis(a, (axis1, axis2), (-2, -1))
    n, m = shape(a)[-2:]
    i = np.arange(max(0, -offset), min(n, m - offset))
    return a[..., i, i + offset]


def trace(a, offset=0, axis1=0, axis2=1):
    return ops.sum(diagonal(a, offset, axis1, axis2), axis=-1)


def diag(v, k=0):
    if ndim(v) == 2:
        return diagonal(v, k)
    n = shape(v)[0] + abs(k)
    i = np.arange(shape(v)[0])
    rows, cols = (i, i + k) if k >= 0 else (i - k, i)
    return ops.untake(v, (rows, cols), (n, n))


def tril(m, k=0):
    n, c = shape(m)[-2:]
    return ops.where(np.tri(n, c, k, dtype=bool), m, 0.0)


def triu(m, k=0):
    n, c = shape(m)[-2:]
    return ops.where(np.tri(n, c, k - 1, dtype=bool), 0.0, m)


def einsum(subscripts, *operands, optimize=False):
    """Any explicit or implicit einsum: each operand's repeated indices become diagonals, then all are
    broadcast over the full index set, multiplied and summed over the indices not in the output."""
    if "..." in subscripts:
        raise ValueError("difflab.numpy.einsum does not support '...' subscripts")
    spec = subscripts.replace(" ", "")
    inputs, _, output = spec.partition("->")
    terms = inputs.split(",")
    if len(terms) != len(operands):
        raise ValueError(f"einsum: {len(terms)} subscripts for {len(operands)} operands")
    if "->" not in spec:
        counts = {c: inputs.count(c) for c in set(inputs) if c in string.ascii_letters}
        output = "".join(sorted(c for c, k in counts.items() if k == 1))
    letters = sorted(set("".join(terms)) | set(output), key=lambda c: (c not in output, output.find(c), c))
    sizes: dict[str, int] = {}
    full = []
    for term, op in zip(terms, operands, strict=True):
        for c, n in zip(term, shape(op), strict=True):
            if sizes.setdefault(c, n) != n:
                raise ValueError(f"einsum: index '{c}' has sizes {sizes[c]} and {n}")
        while len(set(term)) < len(term):  # a repeated index: take the diagonal
            c = next(c for c in term if term.count(c) > 1)
            i, j = term.index(c), term.index(c, term.index(c) + 1)
            op = diagonal(op, 0, i, j)
            term = "".join(t for k, t in enumerate(term) if k not in (i, j)) + c
        order = [term.index(c) for c in letters if c in term]
        op = ops.transpose(op, order) if order != list(range(len(order))) else op
        full.append(ops.reshape(op, tuple(sizes[c] if c in term else 1 for c in letters)))
    prod_ = full[0]
    for op in full[1:]:
        prod_ = prod_ * op
    summed = tuple(i for i, c in enumerate(letters) if c not in output)
    out = ops.sum(prod_, axis=summed) if summed else prod_
    if out is prod_ and shape(out) != tuple(sizes[c] for c in letters):
        out = ops.broadcast_to(out, tuple(sizes[c] for c in letters))
    return out
