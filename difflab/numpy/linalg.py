"""``difflab.numpy.linalg``: inv, solve, det, slogdet, cholesky, eigh (rows of the table) and norm (a
composition).  ``eigh`` returns NumPy's ``(w, V)`` from two rows (eigenvalues, eigenvectors), each the
kernel ``numpy.linalg.eigh`` -- so the values are NumPy's bit for bit -- with its own derivative rule.

``slogdet`` returns NumPy's ``(sign, logabsdet)``: the sign is piecewise constant (taken from NumPy on
the primal values), the log of the absolute determinant is the ``logabsdet`` row.  ``norm`` follows
NumPy's definitions for vectors (ord None/2, 1, inf, -inf, p) and matrices (None/'fro', 1, inf, -inf,
'nuc' and 2 are not supported: their derivative needs an SVD row).
"""

from __future__ import annotations

import numpy as np

from difflab.numpy.reductions import max as _max
from difflab.numpy.reductions import min as _min
from difflab.numpy.reductions import primal
from difflab.primitives.dispatch import ndim, ops

__all__ = ["cholesky", "det", "eigh", "inv", "norm", "slogdet", "solve"]

inv = ops.inv
solve = ops.solve
det = ops.det
cholesky = ops.cholesky


def eigh(a, UPLO="L"):  # noqa: N803 -- NumPy's name
    if UPLO != "L":
        raise ValueError("difflab.numpy.linalg.eigh: only UPLO='L' (NumPy's default) is supported")
    return ops.eigh_values(a), ops.eigh_vectors(a)


def slogdet(a):
    sign = np.linalg.slogdet(primal(a))[0]
    return sign, ops.logabsdet(a)


def norm(x, ord=None, axis=None, keepdims=False):  # noqa: A002 -- NumPy's name
    if axis is None and ord is None:  # NumPy: sqrt(dot(x.ravel(), x.ravel()))
        flat = ops.reshape(x, (-1,))
        out = ops.sqrt(ops.matmul(flat, flat))
        return ops.reshape(out, (1,) * ndim(x)) if keepdims else out
    if axis is None:
        axis = tuple(range(ndim(x))) if ndim(x) <= 2 else None
        if axis is None:
            raise ValueError("Improper number of dimensions to norm.")
    if isinstance(axis, (int, np.integer)) or len(axis) == 1:  # vector norms
        if ord is None or ord == 2:
            return ops.sqrt(ops.sum(x * x, axis=axis, keepdims=keepdims))
        a = ops.abs(x)
        if ord == 1:
            return ops.sum(a, axis=axis, keepdims=keepdims)
        if ord in (np.inf, -np.inf):
            return (_max if ord > 0 else _min)(a, axis=axis, keepdims=keepdims)
        return ops.sum(a ** ord, axis=axis, keepdims=keepdims) ** (1.0 / ord)
    r, c = axis
    if ord in (None, "fro"):
        return ops.sqrt(ops.sum(x * x, axis=axis, keepdims=keepdims))
    pick = _max if ord in (1, np.inf) else _min
    if ord in (1, -1):
        return pick(ops.sum(ops.abs(x), axis=r, keepdims=True), axis=c, keepdims=keepdims) if keepdims else \
            pick(ops.sum(ops.abs(x), axis=r), axis=c - (1 if c > r else 0))
    if ord in (np.inf, -np.inf):
        return pick(ops.sum(ops.abs(x), axis=c, keepdims=True), axis=r, keepdims=keepdims) if keepdims else \
            pick(ops.sum(ops.abs(x), axis=c), axis=r - (1 if r > c else 0))
    raise ValueError(f"difflab.numpy.linalg.norm: ord={ord!r} for matrices is not supported (needs an SVD)")
