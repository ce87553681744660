"""Linear-algebra rows: inv, solve, det, logabsdet (slogdet's second output); cholesky and eigh are not
rows yet.  Kernels are NumPy's ``numpy.linalg`` (stacks of matrices broadcast over leading axes); the
rules are the classical matrix-calculus identities, written with the rows so they nest:

* inv:   d(A^-1) = -A^-1 dA A^-1;            cotangent  -A^-T G A^-T
* solve: x = A^-1 b, dx = A^-1 (db - dA x);   cotangents  gb = A^-T g,  gA = -gb x^T
* det:   d det A = det A tr(A^-1 dA);         cotangent  g det A A^-T
* logabsdet: d log|det A| = tr(A^-1 dA);      cotangent  g A^-T
"""

from __future__ import annotations

import numpy as np

from difflab.primitives.dispatch import Rule, ndim, ops, shape
from difflab.primitives.tangents import expand_dims, matrix_transpose, pad, sum_tangents, unbroadcast


def _trace_last(m):
    """Trace over the last two axes."""
    i = np.arange(shape(m)[-1])
    return ops.sum(m[..., i, i], axis=-1)


def _inv_jvp(ts, ans, a):
    return -ops.matmul(ops.matmul(ans, ts[0]), ans)


def _inv_vjp(g, ans, a):
    at = matrix_transpose(ans)
    return -ops.matmul(ops.matmul(at, g), at)


def _is_vector_rhs(a, b) -> bool:
    return ndim(b) == 1 or (ndim(b) == ndim(a) - 1)


def _solve_jvp(ts, ans, a, b):
    vec = _is_vector_rhs(a, b)
    x = expand_dims(ans, -1) if vec else ans
    parts = []
    if ts[1] is not None:
        parts.append(expand_dims(ts[1], -1) if vec else ts[1])
    if ts[0] is not None:
        parts.append(-ops.matmul(pad(ts[0], ndim(x)), x))  # a's directions apart from x's own batch
    rhs = sum_tangents(parts)
    out = ops.solve(a, rhs)  # a broadcasts over the leading direction axis
    return out[..., 0] if vec else out


def _solve_vjp_b(g, ans, a, b):
    vec = _is_vector_rhs(a, b)
    gb = ops.solve(matrix_transpose(a), expand_dims(g, -1) if vec else g)
    return gb[..., 0] if vec else gb


def _solve_vjp_a(g, ans, a, b):
    vec = _is_vector_rhs(a, b)
    gb = _solve_vjp_b(g, ans, a, b)
    if vec:
        return unbroadcast(-expand_dims(gb, -1) * expand_dims(ans, -2), shape(a))
    return -ops.matmul(gb, matrix_transpose(ans))


def _logdet_jvp(ts, ans, a):
    return _trace_last(ops.solve(a, ts[0]))


def _logdet_vjp(g, ans, a):
    return expand_dims(expand_dims(g, -1), -1) * matrix_transpose(ops.inv(a))


def _det_jvp(ts, ans, a):
    return ans * _logdet_jvp(ts, ans, a)


def _det_vjp(g, ans, a):
    return _logdet_vjp(g * ans, ans, a)


def _np_logabsdet(a):
    return np.linalg.slogdet(a)[1]


ROWS: list[Rule] = [
    Rule("inv", np.linalg.inv, None, None, jvp=_inv_jvp, vjp=(_inv_vjp,), saves="ans"),
    Rule("solve", np.linalg.solve, None, None, jvp=_solve_jvp, vjp=(_solve_vjp_a, _solve_vjp_b), arity=2),
    Rule("det", np.linalg.det, None, None, jvp=_det_jvp, vjp=(_det_vjp,)),
    Rule("logabsdet", _np_logabsdet, None, None, jvp=_logdet_jvp, vjp=(_logdet_vjp,)),
]
