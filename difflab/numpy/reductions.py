"""Reductions and order statistics of ``difflab.numpy``: max/min, prod, var/std, sort/partition, and the
keyword forms of sum/mean/logsumexp/softmax that NumPy and SciPy users write.

Why "exact value, traced derivative": max, prod and sort are compositions whose *values* could differ
from NumPy's in the last bit (a product tree rounds differently from NumPy's loop).  Each returns
NumPy's own result computed on the primal values, plus ``traced - traced_at_primal`` -- exactly zero in
value, carrying the composition's derivative.  So results are NumPy's bit for bit and derivatives are
those of the composition (ties of max/min share the gradient equally, like autograd).
"""

from __future__ import annotations

import math

import numpy as np

from difflab.numpy.shapes import take_along_axis
from difflab.primitives.dispatch import Box, ndim, ops, primal, shape

__all__ = ["amax", "amin", "cumprod", "logsumexp", "max", "mean", "min", "msort", "partition", "prod",
           "softmax", "sort", "std", "sum", "var"]


def _exact(value, traced, traced_at_primal):
    """NumPy's ``value`` with the derivative of ``traced`` (their difference is exactly zero)."""
    return value + (traced - traced_at_primal)


def _refuse_out(name: str, out, where=True) -> None:
    if out is not None:
        raise TypeError(f"difflab.numpy.{name}: out= cannot hold a traced result; use the returned one")


def sum(a, axis=None, dtype=None, out=None, keepdims=False, initial=0, where=True):  # noqa: A001
    _refuse_out("sum", out)
    if where is not True:
        a = ops.where(where, a, 0.0)
    s = ops.sum(a, axis=axis, keepdims=keepdims)
    return s if initial == 0 else s + initial


def mean(a, axis=None, dtype=None, out=None, keepdims=False, where=True):
    _refuse_out("mean", out)
    if where is True:
        return ops.mean(a, axis=axis, keepdims=keepdims)
    w = np.broadcast_to(where, shape(a))
    count = np.sum(w, axis=axis, keepdims=keepdims)
    return ops.sum(ops.where(w, a, 0.0), axis=axis, keepdims=keepdims) / count


def _tie_average(a, axis, keepdims, pick):
    """sum over the extreme entries / their count: the value max (min) takes, derivative shared by ties."""
    p = primal(a)
    best = pick(p, axis=axis, keepdims=True)
    mask = p == best
    count = np.sum(mask, axis=axis, keepdims=keepdims)
    return ops.sum(ops.where(mask, a, 0.0), axis=axis, keepdims=keepdims) / count, best


def _extreme(name, pick, a, axis, out, keepdims, initial, where):
    _refuse_out(name, out)
    if initial is not None or where is not True:
        raise TypeError(f"difflab.numpy.{name}: initial= and where= are not supported")
    if not isinstance(a, Box):
        return pick(a, axis=axis, keepdims=keepdims)
    traced, _ = _tie_average(a, axis, keepdims, pick)
    at_primal, _ = _tie_average(primal(a), axis, keepdims, pick)
    return _exact(pick(primal(a), axis=axis, keepdims=keepdims), traced, at_primal)


def max(a, axis=None, out=None, keepdims=False, initial=None, where=True):  # noqa: A001
    return _extreme("max", np.max, a, axis, out, keepdims, initial, where)


def min(a, axis=None, out=None, keepdims=False, initial=None, where=True):  # noqa: A001
    return _extreme("min", np.min, a, axis, out, keepdims, initial, where)


amax, amin = max, min


def _tree_product(a, axis):
    """Product along ``axis`` by pairwise multiplication of halves (exact derivatives, zeros included)."""
    while shape(a)[axis] > 1:
        n = shape(a)[axis]
        half = n // 2
        lo = a[(slice(None),) * axis + (slice(0, half),)]
        hi = a[(slice(None),) * axis + (slice(half, 2 * half),)]
        rest = a[(slice(None),) * axis + (slice(2 * half, n),)]
        a = ops.concatenate([lo * hi, rest], axis=axis) if n % 2 else lo * hi
    return a


def prod(a, axis=None, dtype=None, out=None, keepdims=False, initial=1, where=True):
    _refuse_out("prod", out)
    if where is not True:
        a = ops.where(where, a, 1.0)
    if not isinstance(a, Box):
        return np.prod(a, axis=axis, keepdims=keepdims) * initial
    flat = axis is None
    x = ops.reshape(a, (-1,)) if flat else a
    ax = 0 if flat else axis % ndim(a)
    t = _tree_product(x, ax)
    t0 = _tree_product(np.asarray(primal(x)), ax)
    value = np.prod(primal(a), axis=axis, keepdims=True) if not flat else np.reshape(np.prod(primal(a)), (1,))
    out_ = _exact(value if not flat else value, t, t0)
    if flat:
        out_ = ops.reshape(out_, (1,) * ndim(a) if keepdims else ())
    elif not keepdims:
        out_ = ops.reshape(out_, tuple(n for i, n in enumerate(shape(a)) if i != ax))
    return out_ * initial if initial != 1 else out_


def cumprod(a, axis=None):
    """Running products as products of prefixes (O(n^2) work along the axis; exact with zeros)."""
    if axis is None:
        a, axis = ops.reshape(a, (-1,)), 0
    ax = axis % ndim(a)
    n = shape(a)[ax]
    parts = [prod(a[(slice(None),) * ax + (slice(0, i + 1),)], axis=ax, keepdims=True) for i in range(n)]
    return ops.concatenate(parts, axis=ax)


def var(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, where=True):
    """NumPy's own steps: d = a - mean(a), sum(d*d) / (n - ddof)."""
    _refuse_out("var", out)
    if where is not True:
        raise TypeError("difflab.numpy.var: where= is not supported")
    count = math.prod(shape(a)) if axis is None else math.prod(
        shape(a)[i] for i in (axis if isinstance(axis, tuple) else (axis,)))
    d = a - ops.mean(a, axis=axis, keepdims=True)
    return ops.sum(d * d, axis=axis, keepdims=keepdims) / (count - ddof)


def std(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, where=True):
    return ops.sqrt(var(a, axis=axis, out=out, ddof=ddof, keepdims=keepdims, where=where))


def sort(a, axis=-1, kind=None, order=None):
    if axis is None:
        a, axis = ops.reshape(a, (-1,)), 0
    return take_along_axis(a, np.argsort(primal(a), axis=axis, kind=kind), axis)


def msort(a):
    return sort(a, axis=0)


def partition(a, kth, axis=-1, kind="introselect", order=None):
    return take_along_axis(a, np.argpartition(primal(a), kth, axis=axis), axis)


def logsumexp(a, axis=None, b=None, keepdims=False, return_sign=False):
    """SciPy's signature: ``log(sum(b * exp(a)))``; ``b`` > 0 folds in as ``a + log(b)``."""
    if return_sign:
        raise TypeError("difflab.numpy.logsumexp: return_sign=True is not supported")
    if b is not None:
        if np.any(primal(b) < 0):
            raise ValueError("difflab.numpy.logsumexp: b must be non-negative")
        with np.errstate(divide="ignore"):
            a = a + ops.log(b)
    return ops.logsumexp(a, axis=axis, keepdims=keepdims)


def softmax(x, axis=-1, where=None):
    """``exp(x) / sum(exp(x))`` along ``axis``; entries outside ``where`` get probability 0."""
    if where is None:
        return ops.softmax(x, axis=axis)
    w = np.broadcast_to(primal(where), shape(x))
    z = ops.where(w, x, -np.inf)
    return ops.where(w, ops.softmax(z, axis=axis), 0.0)
