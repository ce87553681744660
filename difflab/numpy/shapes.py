"""Shape functions of ``difflab.numpy``: compositions of the table's rows (reshape, transpose, getitem,
concatenate, stack, where), so their derivatives need no rule of their own and every nesting of the
engines differentiates them.  Each follows NumPy's signature and returns NumPy's values bit for bit
(they only move entries)."""

from __future__ import annotations

import numpy as np

from difflab.primitives.dispatch import ndim, ops, shape

__all__ = ["append", "array_split", "atleast_1d", "atleast_2d", "atleast_3d", "column_stack", "diff",
           "dsplit", "dstack", "expand_dims", "flatten", "flip", "fliplr", "flipud", "gradient", "hsplit",
           "hstack", "moveaxis", "pad", "ravel", "repeat", "roll", "rollaxis", "rot90", "row_stack", "select",
           "split", "squeeze", "swapaxes", "take_along_axis", "tile", "vsplit", "vstack"]


def _axes(axis, nd: int) -> tuple[int, ...]:
    return tuple(a % nd for a in (axis if isinstance(axis, (tuple, list)) else (axis,)))


def ravel(a, order="C"):
    if order not in ("C", "K", "A"):
        raise ValueError(f"difflab.numpy.ravel supports order='C' only, got {order!r}")
    return ops.reshape(a, (-1,))


flatten = ravel


def squeeze(a, axis=None):
    s = shape(a)
    drop = {i for i, n in enumerate(s) if n == 1} if axis is None else set(_axes(axis, len(s)))
    bad = [i for i in drop if s[i] != 1]
    if bad:
        raise ValueError(f"cannot squeeze axis {bad[0]}: its size is {s[bad[0]]}, not one")
    return ops.reshape(a, tuple(n for i, n in enumerate(s) if i not in drop))


def expand_dims(a, axis):
    s = list(shape(a))
    nd = len(s) + (len(axis) if isinstance(axis, (tuple, list)) else 1)
    for ax in sorted(_axes(axis, nd)):
        s.insert(ax, 1)
    return ops.reshape(a, s)


def swapaxes(a, axis1, axis2):
    nd = ndim(a)
    axes = list(range(nd))
    axes[axis1 % nd], axes[axis2 % nd] = axes[axis2 % nd], axes[axis1 % nd]
    return ops.transpose(a, axes)


def moveaxis(a, source, destination):
    nd = ndim(a)
    src, dst = _axes(source, nd), _axes(destination, nd)
    order = [n for n in range(nd) if n not in src]
    for d, s in sorted(zip(dst, src, strict=True)):
        order.insert(d, s)
    return ops.transpose(a, order)


def rollaxis(a, axis, start=0):
    nd = ndim(a)
    axis, start = axis % nd, start % (nd + 1) if start < 0 else start
    if axis < start:
        start -= 1
    return moveaxis(a, axis, start) if axis != start else a


def atleast_1d(*arys):
    out = [a if ndim(a) >= 1 else ops.reshape(a, (1,)) for a in arys]
    return out[0] if len(out) == 1 else out


def atleast_2d(*arys):
    out = []
    for a in arys:
        nd = ndim(a)
        out.append(ops.reshape(a, (1, 1)) if nd == 0 else ops.reshape(a, (1,) + shape(a)) if nd == 1 else a)
    return out[0] if len(out) == 1 else out


def atleast_3d(*arys):
    out = []
    for a in arys:
        s = shape(a)
        new = {0: (1, 1, 1), 1: (1,) + s + (1,), 2: s + (1,)}.get(len(s))
        out.append(a if new is None else ops.reshape(a, new))
    return out[0] if len(out) == 1 else out


def _list(tup):
    return [atleast_1d(t) for t in tup]


def vstack(tup):
    return ops.concatenate([atleast_2d(t) for t in tup], axis=0)


row_stack = vstack


def hstack(tup):
    arrs = _list(tup)
    return ops.concatenate(arrs, axis=0 if ndim(arrs[0]) == 1 else 1)


def dstack(tup):
    return ops.concatenate([atleast_3d(t) for t in tup], axis=2)


def column_stack(tup):
    return ops.concatenate([ops.reshape(t, (-1, 1)) if ndim(t) < 2 else t for t in tup], axis=1)


def append(arr, values, axis=None):
    if axis is None:
        return ops.concatenate([ravel(arr), ravel(values)], axis=0)
    return ops.concatenate([arr, values], axis=axis)


def _index(nd: int, axis: int, item):
    return (slice(None),) * axis + (item,)


def array_split(ary, indices_or_sections, axis=0):
    n = shape(ary)[axis]
    nd = ndim(ary)
    if isinstance(indices_or_sections, (int, np.integer)):
        sections = int(indices_or_sections)
        if sections <= 0:
            raise ValueError("number sections must be larger than 0.")
        each, extra = divmod(n, sections)
        sizes = [each + 1] * extra + [each] * (sections - extra)
        bounds = list(np.cumsum([0] + sizes))
    else:
        bounds = [0, *list(indices_or_sections), n]
    return [ary[_index(nd, axis % nd, slice(bounds[i], bounds[i + 1]))] for i in range(len(bounds) - 1)]


def split(ary, indices_or_sections, axis=0):
    if isinstance(indices_or_sections, (int, np.integer)) and shape(ary)[axis] % indices_or_sections:
        raise ValueError("array split does not result in an equal division")
    return array_split(ary, indices_or_sections, axis)


def hsplit(ary, indices_or_sections):
    return split(ary, indices_or_sections, axis=1 if ndim(ary) > 1 else 0)


def vsplit(ary, indices_or_sections):
    return split(ary, indices_or_sections, axis=0)


def dsplit(ary, indices_or_sections):
    return split(ary, indices_or_sections, axis=2)


def repeat(a, repeats, axis=None):
    if axis is None:
        a, axis = ravel(a), 0
    nd = ndim(a)
    idx = np.repeat(np.arange(shape(a)[axis % nd]), repeats)
    return a[_index(nd, axis % nd, idx)]


def tile(A, reps):
    reps = (reps,) if isinstance(reps, (int, np.integer)) else tuple(reps)
    s = shape(A)
    nd = max(len(s), len(reps))
    s = (1,) * (nd - len(s)) + s
    reps = (1,) * (nd - len(reps)) + reps
    A = ops.reshape(A, s)
    return A[np.ix_(*[np.tile(np.arange(n), r) for n, r in zip(s, reps, strict=True)])]


def flip(m, axis=None):
    nd = ndim(m)
    axes = range(nd) if axis is None else _axes(axis, nd)
    idx = tuple(slice(None, None, -1) if i in axes else slice(None) for i in range(nd))
    return m[idx]


def fliplr(m):
    return flip(m, 1)


def flipud(m):
    return flip(m, 0)


def rot90(m, k=1, axes=(0, 1)):
    k %= 4
    a0, a1 = axes
    if k == 0:
        return m
    if k == 2:
        return flip(flip(m, a0), a1)
    perm = list(range(ndim(m)))
    perm[a0], perm[a1] = perm[a1], perm[a0]
    return ops.transpose(flip(m, a1), perm) if k == 1 else flip(ops.transpose(m, perm), a1)


def roll(a, shift, axis=None):
    if axis is None:
        return ops.reshape(roll(ravel(a), shift, 0), shape(a))
    shifts = shift if isinstance(shift, (tuple, list)) else (shift,)
    axes = axis if isinstance(axis, (tuple, list)) else (axis,) * len(shifts)
    nd = ndim(a)
    for s, ax in zip(shifts, axes, strict=True):
        a = a[_index(nd, ax % nd, np.roll(np.arange(shape(a)[ax]), s))]
    return a


def diff(a, n=1, axis=-1):
    nd = ndim(a)
    ax = axis % nd
    for _ in range(n):
        a = a[_index(nd, ax, slice(1, None))] - a[_index(nd, ax, slice(None, -1))]
    return a


def gradient(f, *varargs, axis=None, edge_order=1):
    """``numpy.gradient`` for uniform spacings (scalars in ``varargs``), NumPy's formulas term for term:
    central differences inside, one-sided ones of order ``edge_order`` at the ends.  It is linear in f, so
    its derivative is itself; coordinate arrays (non-uniform spacing) are refused by name."""
    nd = ndim(f)
    axes = tuple(range(nd)) if axis is None else _axes(axis, nd)
    spacing = varargs * len(axes) if len(varargs) == 1 else varargs or (1.0,) * len(axes)
    if len(spacing) != len(axes) or any(np.ndim(h) for h in spacing):
        raise TypeError("difflab.numpy.gradient: give one scalar spacing, or one per axis (coordinate "
                        "arrays, i.e. non-uniform spacing, are not supported)")
    if edge_order not in (1, 2):
        raise ValueError("'edge_order' greater than 2 not supported")
    out = []
    for ax, h in zip(axes, spacing, strict=True):
        if shape(f)[ax] < edge_order + 1:
            raise ValueError("Shape of array too small to calculate a numerical gradient, at least "
                             "(edge_order + 1) elements are required.")
        def at(item, ax=ax):
            return f[_index(nd, ax, item)]
        inner = (at(slice(2, None)) - at(slice(None, -2))) / (2.0 * h)
        if edge_order == 1:
            first = (at(slice(1, 2)) - at(slice(0, 1))) / h
            last = (at(slice(-1, None)) - at(slice(-2, -1))) / h
        else:
            first = -1.5 / h * at(slice(0, 1)) + 2.0 / h * at(slice(1, 2)) + -0.5 / h * at(slice(2, 3))
            last = 0.5 / h * at(slice(-3, -2)) + -2.0 / h * at(slice(-2, -1)) + 1.5 / h * at(slice(-1, None))
        out.append(ops.concatenate([first, inner, last], axis=ax))
    return out[0] if len(out) == 1 else out


def pad(array, pad_width, mode="constant", constant_values=0):
    """Constant padding (NumPy's default mode) by concatenation; other modes are refused by name."""
    if mode != "constant":
        raise ValueError(f"difflab.numpy.pad supports mode='constant' only, got {mode!r}")
    nd = ndim(array)
    widths = np.broadcast_to(np.asarray(pad_width, dtype=int), (nd, 2))
    values = np.broadcast_to(np.asarray(constant_values, dtype=float), (nd, 2))
    for ax in range(nd):
        before, after = (int(w) for w in widths[ax])
        s = list(shape(array))
        parts = []
        if before:
            parts.append(np.full(s[:ax] + [before] + s[ax + 1:], values[ax, 0]))
        parts.append(array)
        if after:
            parts.append(np.full(s[:ax] + [after] + s[ax + 1:], values[ax, 1]))
        array = ops.concatenate(parts, axis=ax) if len(parts) > 1 else array
    return array


def select(condlist, choicelist, default=0):
    out = default
    for cond, choice in reversed(list(zip(condlist, choicelist, strict=True))):
        out = ops.where(cond, choice, out)
    return out


def take_along_axis(arr, indices, axis):
    """``arr`` indexed by an integer array along ``axis`` (what sort and partition return)."""
    nd = ndim(arr)
    ax = axis % nd
    grids = list(np.ogrid[tuple(slice(n) for n in np.shape(indices))])
    grids[ax] = indices
    return arr[tuple(grids)]
