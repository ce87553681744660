"""Linear-algebra rows: inv, solve, det, logabsdet (slogdet's second output), cholesky and eigh's two
outputs (eigh_values, eigh_vectors).  Kernels are NumPy's ``numpy.linalg`` (stacks of matrices broadcast
over leading axes); the rules are the classical matrix-calculus identities, written with the rows so they
nest (second and higher derivatives by any nesting of the engines):

* inv:   d(A^-1) = -A^-1 dA A^-1;            cotangent  -A^-T G A^-T
* solve: x = A^-1 b, dx = A^-1 (db - dA x);   cotangents  gb = A^-T g,  gA = -gb x^T
* det:   d det A = det A tr(A^-1 dA);         cotangent  g det A A^-T
* logabsdet: d log|det A| = tr(A^-1 dA);      cotangent  g A^-T
* cholesky (A = L L^T): dL = L Phi(L^-1 dA L^-T), Phi = lower triangle with the diagonal halved;
  cotangent sym(L^-T Phi(L^T G) L^-1)  (Murray, arXiv:1602.07527)
* eigh (A = V diag(w) V^T): dw = diag(V^T dA V), dV = V (F o V^T dA V) with F_ij = 1/(w_j - w_i) off the
  diagonal; cotangents V diag(gw) V^T and sym(V (F o V^T G) V^T).  Eigenvectors have no derivative
  where two eigenvalues coincide (F is infinite there), which the rule shows as inf/nan.

cholesky and eigh read one triangle of A only (NumPy's kernels read the lower one); their derivatives
are those of the function of the symmetric part (A + A^T)/2 -- tangents are symmetrised, cotangents come
back symmetric -- as in autograd and JAX: a perturbation of a symmetric matrix stays symmetric.
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


def _solve_rhs_cotangent(g, a, b):
    """A^-T g, shaped like the solution (broadcast over the batch axes of both operands)."""
    vec = _is_vector_rhs(a, b)
    gb = ops.solve(matrix_transpose(a), expand_dims(g, -1) if vec else g)
    return gb[..., 0] if vec else gb


def _solve_vjp_b(g, ans, a, b):
    return unbroadcast(_solve_rhs_cotangent(g, a, b), shape(b))


def _solve_vjp_a(g, ans, a, b):
    """-A^-T g x^T, summed over the batch axes that b has and a has not (a stack of right-hand sides)."""
    gb = _solve_rhs_cotangent(g, a, b)
    if _is_vector_rhs(a, b):
        return unbroadcast(-expand_dims(gb, -1) * expand_dims(ans, -2), shape(a))
    return unbroadcast(-ops.matmul(gb, matrix_transpose(ans)), shape(a))


def _logdet_jvp(ts, ans, a):
    return _trace_last(ops.solve(a, ts[0]))


def _logdet_vjp(g, ans, a):
    return expand_dims(expand_dims(g, -1), -1) * matrix_transpose(ops.inv(a))


def _det_jvp(ts, ans, a):
    return ans * _logdet_jvp(ts, ans, a)


def _det_vjp(g, ans, a):
    return _logdet_vjp(g * ans, ans, a)


def _sym(m):
    return 0.5 * (m + matrix_transpose(m))


def _tril_halved(n: int) -> np.ndarray:
    """Phi's mask: ones below the diagonal, 1/2 on it, zeros above."""
    return np.tril(np.ones((n, n))) - 0.5 * np.eye(n)


def _cholesky_jvp(ts, ans, a):
    t = _sym(ts[0])
    inner = matrix_transpose(ops.solve(ans, matrix_transpose(ops.solve(ans, t))))  # L^-1 dA L^-T
    return ops.matmul(ans, inner * _tril_halved(shape(a)[-1]))


def _cholesky_vjp(g, ans, a):
    lt = matrix_transpose(ans)
    phi = ops.matmul(lt, g) * _tril_halved(shape(a)[-1])
    return _sym(ops.solve(lt, matrix_transpose(ops.solve(lt, matrix_transpose(phi)))))  # L^-T Phi L^-1


def _gaps(w):
    """F_ij = 1/(w_j - w_i) off the diagonal, 0 on it (stacks: over the last axis)."""
    n = shape(w)[-1]
    eye = np.eye(n, dtype=bool)
    d = expand_dims(w, -2) - expand_dims(w, -1)
    return ops.where(eye, 0.0, 1.0 / ops.where(eye, 1.0, d))


def _rotated(v, m):
    """V^T m V (m batched or not: matmul broadcasts)."""
    return ops.matmul(matrix_transpose(v), ops.matmul(m, v))


def _eigh_values_jvp(ts, ans, a):
    i = np.arange(shape(a)[-1])
    return _rotated(ops.eigh_vectors(a), _sym(ts[0]))[..., i, i]


def _eigh_values_vjp(g, ans, a):
    v = ops.eigh_vectors(a)
    return ops.matmul(v * expand_dims(g, -2), matrix_transpose(v))


def _eigh_vectors_jvp(ts, ans, a):
    return ops.matmul(ans, _gaps(ops.eigh_values(a)) * _rotated(ans, _sym(ts[0])))


def _eigh_vectors_vjp(g, ans, a):
    inner = _gaps(ops.eigh_values(a)) * ops.matmul(matrix_transpose(ans), g)
    return _sym(ops.matmul(ans, ops.matmul(inner, matrix_transpose(ans))))


def _np_logabsdet(a):
    return np.linalg.slogdet(a)[1]


ROWS: list[Rule] = [
    Rule("inv", np.linalg.inv, None, None, jvp=_inv_jvp, vjp=(_inv_vjp,), saves="ans"),
    Rule("solve", np.linalg.solve, None, None, jvp=_solve_jvp, vjp=(_solve_vjp_a, _solve_vjp_b), arity=2),
    Rule("det", np.linalg.det, None, None, jvp=_det_jvp, vjp=(_det_vjp,)),
    Rule("logabsdet", _np_logabsdet, None, None, jvp=_logdet_jvp, vjp=(_logdet_vjp,)),
    Rule("cholesky", np.linalg.cholesky, None, None, jvp=_cholesky_jvp, vjp=(_cholesky_vjp,), saves="ans"),
    Rule("eigh_values", lambda a: np.linalg.eigh(a)[0], None, None, jvp=_eigh_values_jvp,
         vjp=(_eigh_values_vjp,), saves="args"),
    Rule("eigh_vectors", lambda a: np.linalg.eigh(a)[1], None, None, jvp=_eigh_vectors_jvp,
         vjp=(_eigh_vectors_vjp,)),
]
