"""Array rows: reductions, shape changes, indexing, matmul, where, stack, and fused stable reductions.

Parameters that are not differentiable (``axis``, ``shape``, an index) travel as keywords, so engines
see only arrays as arguments; ``call`` gives each row its NumPy signature (``sum(x, axis, keepdims)``,
``stack(arrays, axis)``) and turns a user's call into that form.
"""

from __future__ import annotations

import numpy as np

from difflab.primitives import kernels as K
from difflab.primitives.dispatch import Rule, ndim, ops
from difflab.primitives.dispatch import shape as shape_of
from difflab.primitives.tangents import (
    count,
    expand_dims,
    fit,
    keepdims_shape,
    matrix_transpose,
    neg_axes,
    pad,
    restore,
    sum_tangents,
    unbroadcast,
)


def _reduction(x, axis=None, keepdims=False):
    return (x,), {"axis": axis, "keepdims": keepdims}


def _along(x, axis=-1):
    return (x,), {"axis": axis}


def _reshape(x, shape):
    return (x,), {"shape": (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)}


def _broadcast(x, shape):
    return (x,), {"shape": tuple(shape)}


def _transpose(x, axes=None):
    return (x,), {"axes": None if axes is None else tuple(axes)}


def _getitem(x, idx):
    return (x,), {"idx": idx}


def _untake(g, idx, shape):
    return (g,), {"idx": idx, "shape": tuple(shape)}


def _stack(arrays, axis=0):
    return tuple(arrays), {"axis": axis}


def _concatenate(arrays, axis=0):
    """NumPy's signature; ``axis=None`` joins the flattened arrays."""
    arrays = tuple(arrays)
    if axis is None:
        return tuple(ops.reshape(a, (-1,)) for a in arrays), {"axis": 0}
    return arrays, {"axis": axis}


def _cumsum(x, axis=None):
    if axis is None:
        return (ops.reshape(x, (-1,)),), {"axis": 0}
    return (x,), {"axis": axis}


def _along_axis(nd, axis, item):
    """An index applying ``item`` along ``axis`` (of an array with nd axes), everything else whole."""
    return (slice(None),) * (axis % nd) + (item,)


def _concatenate_jvp(ts, ans, *xs, axis=0):
    k = next(shape_of(t)[0] for t in ts if t is not None)
    parts = [np.zeros((k,) + shape_of(x)) if t is None else t for t, x in zip(ts, xs, strict=True)]
    return ops.concatenate(parts, axis=axis % ndim(ans) - ndim(ans))


class _ConcatenateVJP:
    """Argument i receives its own block of the cotangent along the joining axis."""

    def __getitem__(self, i):
        def vjp(g, ans, *xs, axis=0):
            start = sum(shape_of(x)[axis] for x in xs[:i])
            return g[_along_axis(ndim(ans), axis, slice(start, start + shape_of(xs[i])[axis]))]
        return vjp


def _cumsum_vjp(g, ans, x, axis=0):
    flip = _along_axis(ndim(x), axis, slice(None, None, -1))
    return ops.cumsum(g[flip], axis=axis)[flip]


def _sum_jvp(ts, ans, x, axis=None, keepdims=False):
    return ops.sum(ts[0], axis=neg_axes(axis, ndim(x)), keepdims=keepdims)


def _mean_jvp(ts, ans, x, axis=None, keepdims=False):
    return ops.mean(ts[0], axis=neg_axes(axis, ndim(x)), keepdims=keepdims)


def _mean_vjp(g, ans, x, axis=None, keepdims=False):
    return restore(g / count(x, axis), x, axis, keepdims)


def _bcast_jvp(ts, ans, x, shape):
    t = pad(ts[0], len(shape))
    return ops.broadcast_to(t, shape_of(t)[:1] + tuple(shape))


def _transpose_axes(x, axes):
    nd = ndim(x)
    return tuple(reversed(range(nd))) if axes is None else tuple(a % nd for a in axes)


def _idx_tuple(idx):
    return (slice(None),) + (idx if isinstance(idx, tuple) else (idx,))


def _lse_kd(ans, x, axis, keepdims):
    return ans if keepdims else ops.reshape(ans, keepdims_shape(shape_of(x), axis))


def _matmul_jvp(ts, ans, a, b):
    """Batched tangents through matmul; a 1-D operand is a row/column, never a batch of the tangent."""
    na, nb = ndim(a), ndim(b)
    parts = []
    if ts[0] is not None:
        if na == 1 and nb >= 2:  # (k, n) -> (k, 1.., 1, n): a row vector per direction
            parts.append(ops.matmul(pad(expand_dims(ts[0], -2), nb), b)[..., 0, :])
        else:
            parts.append(ops.matmul(pad(ts[0], max(na, nb)) if na >= 2 else ts[0], b))
    if ts[1] is not None:
        if nb == 1:  # (k, n) -> (k, 1.., n, 1): a column vector per direction
            parts.append(ops.matmul(a, pad(ts[1][..., None], na))[..., 0])
        else:
            parts.append(ops.matmul(a, pad(ts[1], max(na, nb))))
    return sum_tangents(parts)


def _matmul_vjp_a(g, ans, a, b):
    na, nb = ndim(a), ndim(b)
    if nb == 1:
        ga = g * b if na == 1 else g[..., None] * b
    elif na == 1:
        ga = ops.matmul(b, g[..., None])[..., 0]
    else:
        ga = ops.matmul(g, matrix_transpose(b))
    return unbroadcast(ga, shape_of(a))


def _matmul_vjp_b(g, ans, a, b):
    na, nb = ndim(a), ndim(b)
    if na == 1:
        gb = g * a if nb == 1 else a[:, None] * g[..., None, :]
    elif nb == 1:
        gb = ops.matmul(matrix_transpose(a), g[..., None])[..., 0]
    else:
        gb = ops.matmul(matrix_transpose(a), g)
    return unbroadcast(gb, shape_of(b))


def _where_jvp(ts, ans, c, a, b):
    nd = ndim(ans)
    ta = 0.0 if ts[1] is None else pad(ts[1], nd)
    tb = 0.0 if ts[2] is None else pad(ts[2], nd)
    return fit(ops.where(c, ta, tb), ans)


def _stack_jvp(ts, ans, *xs, axis=0):
    k = next(shape_of(t)[0] for t in ts if t is not None)
    ax = axis if axis < 0 else axis - ndim(ans)
    parts = [np.zeros((k,) + shape_of(x)) if t is None else t for t, x in zip(ts, xs, strict=True)]
    return ops.stack(parts, axis=ax)


class _StackVJP:
    """Per-argument VJPs of a variadic row: argument i receives slice i along the stacking axis."""

    def __getitem__(self, i):
        return lambda g, ans, *xs, axis=0: g[(slice(None),) * (axis % ndim(ans)) + (i,)]


ROWS: list[Rule] = [
    Rule("sum", K.np_sum, K.sym_sum, None, call=_reduction, jvp=_sum_jvp,
         vjp=(lambda g, ans, x, axis=None, keepdims=False: restore(g, x, axis, keepdims),)),
    Rule("mean", K.np_mean, K.sym_mean, None, call=_reduction, jvp=_mean_jvp, vjp=(_mean_vjp,)),
    Rule("broadcast_to", K.np_broadcast_to, np.broadcast_to, None, call=_broadcast, jvp=_bcast_jvp,
         vjp=(lambda g, ans, x, shape: unbroadcast(g, shape_of(x)),)),
    Rule("reshape", np.reshape, np.reshape, None, call=_reshape,
         jvp=lambda ts, ans, x, shape: ops.reshape(ts[0], shape_of(ts[0])[:1] + shape_of(ans)),
         vjp=(lambda g, ans, x, shape: ops.reshape(g, shape_of(x)),)),
    Rule("transpose", np.transpose, np.transpose, None, call=_transpose,
         jvp=lambda ts, ans, x, axes=None: ops.transpose(
             ts[0], (0,) + tuple(a + 1 for a in _transpose_axes(x, axes))),
         vjp=(lambda g, ans, x, axes=None: ops.transpose(
             g, tuple(int(i) for i in np.argsort(_transpose_axes(x, axes)))),)),
    Rule("getitem", lambda x, idx: x[idx], lambda x, idx: x[idx], None, call=_getitem,
         jvp=lambda ts, ans, x, idx: ts[0][_idx_tuple(idx)],
         vjp=(lambda g, ans, x, idx: ops.untake(g, idx, shape_of(x)),)),
    Rule("untake", K.np_untake, None, None, call=_untake,
         jvp=lambda ts, ans, g, idx, shape: ops.untake(ts[0], _idx_tuple(idx),
                                                      shape_of(ts[0])[:1] + tuple(shape)),
         vjp=(lambda c, ans, g, idx, shape: c[idx],)),
    Rule("matmul", np.matmul, np.matmul, None, jvp=_matmul_jvp, vjp=(_matmul_vjp_a, _matmul_vjp_b),
         arity=2),
    Rule("where", np.where, K.sym_elementwise(K.sym_where, 3), None, jvp=_where_jvp,
         vjp=(None,
              lambda g, ans, c, a, b: unbroadcast(ops.where(c, g, 0.0), shape_of(a)),
              lambda g, ans, c, a, b: unbroadcast(ops.where(c, 0.0, g), shape_of(b))),
         arity=3),
    Rule("stack", lambda *xs, axis=0: np.stack(xs, axis=axis),
         lambda *xs, axis=0: np.stack([np.asarray(x, dtype=object) for x in xs], axis=axis),
         None, jvp=_stack_jvp, vjp=_StackVJP(), arity=-1, call=_stack),
    Rule("concatenate", lambda *xs, axis=0: np.concatenate(xs, axis=axis),
         lambda *xs, axis=0: np.concatenate([np.asarray(x, dtype=object) for x in xs], axis=axis),
         None, jvp=_concatenate_jvp, vjp=_ConcatenateVJP(), arity=-1, call=_concatenate),
    Rule("cumsum", lambda x, axis=0: np.cumsum(x, axis=axis), lambda x, axis=0: np.cumsum(x, axis=axis),
         None, call=_cumsum, jvp=lambda ts, ans, x, axis=0: ops.cumsum(ts[0], axis=axis % ndim(x) - ndim(x)),
         vjp=(_cumsum_vjp,)),
    # fused, numerically stable reductions
    Rule("logsumexp", K.np_logsumexp, K.sym_lse, None, call=_reduction,
         jvp=lambda ts, ans, x, axis=None, keepdims=False: ops.sum(
             ts[0] * ops.exp(x - _lse_kd(ans, x, axis, keepdims)), axis=neg_axes(axis, ndim(x)),
             keepdims=keepdims),
         vjp=(lambda g, ans, x, axis=None, keepdims=False: restore(g, x, axis, keepdims)
              * ops.exp(x - _lse_kd(ans, x, axis, keepdims)),)),
    Rule("softmax", K.np_softmax, K.sym_softmax, None, call=_along,
         jvp=lambda ts, ans, x, axis=-1: ans * (ts[0] - ops.sum(
             ts[0] * ans, axis=neg_axes(axis, ndim(x)), keepdims=True)),
         vjp=(lambda g, ans, x, axis=-1: ans * (g - ops.sum(g * ans, axis=axis, keepdims=True)),)),
    Rule("log_softmax", K.np_log_softmax, K.sym_log_softmax, None, call=_along,
         jvp=lambda ts, ans, x, axis=-1: ts[0] - ops.sum(
             ops.exp(ans) * ts[0], axis=neg_axes(axis, ndim(x)), keepdims=True),
         vjp=(lambda g, ans, x, axis=-1, residual=None: g - (ops.exp(ans) if residual is None else residual)
              * ops.sum(g, axis=axis, keepdims=True),), fwd=K.np_log_softmax_fwd),
]

