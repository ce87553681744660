"""Shape bookkeeping shared by the derivative rules: batched tangents and cotangents of broadcasts.

Forward rules receive *batched* tangents ``(k,) + shape`` (k directions at once), so they address axes
with negative numbers (the same for an array and its batched tangent) and pad lower-rank tangents with
``pad``.  Reverse rules return cotangents shaped like their argument: ``unbroadcast`` sums the axes that
broadcasting added or stretched.  Everything is written with ``ops`` so the rules stay differentiable.
"""

from __future__ import annotations

import math

import numpy as np

from difflab.primitives.dispatch import ndim, ops, shape


def pad(t, nd):
    """Batched tangent ``(k,) + s`` padded with unit axes to ``(k,) + (1,)*(nd-len(s)) + s``."""
    extra = nd - (ndim(t) - 1)
    if extra <= 0:
        return t
    s = shape(t)
    return ops.reshape(t, (s[0],) + (1,) * extra + s[1:])


def fit(t, ans):
    """A batched tangent broadcast to the output's shape (a broadcast operand's tangent is smaller)."""
    s, ts = shape(ans), shape(t)
    if ts[1:] == s:
        return t
    return ops.broadcast_to(pad(t, len(s)), ts[:1] + s)


def unbroadcast(g, shape_):
    """Sum a cotangent over the axes broadcasting added or stretched, back to ``shape_``."""
    gs = g.shape if type(g) is np.ndarray else shape(g)
    if gs == shape_:
        return g
    lead = len(gs) - len(shape_)
    axes = tuple(range(lead)) + tuple(lead + i for i, n in enumerate(shape_) if n == 1 and gs[lead + i] != 1)
    if axes:
        g = ops.sum(g, axis=axes)
    return ops.reshape(g, shape_) if shape(g) != shape_ else g


def neg_axes(axis, nd):
    """Axes as negative numbers, which mean the same for an array and its batched tangent."""
    if axis is None:
        return tuple(range(-nd, 0))
    axes = axis if isinstance(axis, tuple) else (axis,)
    return tuple(a % nd - nd for a in axes)


def keepdims_shape(shape_, axis):
    axes = {a % len(shape_) for a in (range(len(shape_)) if axis is None else
                                      (axis if isinstance(axis, tuple) else (axis,)))}
    return tuple(1 if i in axes else n for i, n in enumerate(shape_))


def restore(g, x, axis, keepdims):
    """Cotangent of a reduction, broadcast back over the reduced axes of x."""
    xs = shape(x)
    if not keepdims and axis is not None:
        g = ops.reshape(g, keepdims_shape(xs, axis))
    return ops.broadcast_to(g, xs)


def count(x, axis):
    xs = shape(x)
    if axis is None:
        return math.prod(xs)
    return math.prod(xs[a] for a in (axis if isinstance(axis, tuple) else (axis,)))


def sum_tangents(parts):
    parts = [p for p in parts if p is not None]
    out = parts[0]
    for p in parts[1:]:
        out = out + p
    return out


def expand_dims(x, axis):
    s = list(shape(x))
    s.insert(axis % (len(s) + 1), 1)
    return ops.reshape(x, s)


def matrix_transpose(x):
    """Swap the last two axes (a stack of matrices transposed)."""
    nd = ndim(x)
    if nd == 2:
        return ops.transpose(x)
    axes = list(range(nd))
    axes[-1], axes[-2] = axes[-2], axes[-1]
    return ops.transpose(x, axes)
