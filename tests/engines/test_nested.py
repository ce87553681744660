"""Every nesting of forward and reverse mode, second and third order, against mpmath.

One table of functions of a small vector x, each written twice: over ``difflab.numpy`` (what is
differentiated) and over mpmath (the oracle: ``mpmath.diff`` at 30 digits, independent of difflab's rules).
The groups: elementwise, reductions, shape operations, contractions and linear algebra.  Second order:
``dl.hessian(fn, method=...)`` by the four nestings (ff, fr, rf, rr); third order: the Jacobian of the
Jacobian of the gradient by all eight orders of the two modes (depth 3).
"""

from __future__ import annotations

import itertools

import mpmath
import numpy as np
import pytest
from rulecheck import rel

import difflab as dl
import difflab.numpy as dnp

mpmath.mp.dps = 30
A = np.array([[1.0, 0.5, -0.3], [0.2, -1.1, 0.7], [0.4, 0.9, 1.3]])


def _mat(x):  # symmetric positive definite for |x| small: linear algebra's test matrix
    return dnp.stack([dnp.stack([2.0 + x[0], x[1], 0.5 * x[2]]),
                      dnp.stack([x[1], 3.0 + x[2], 0.3]),
                      dnp.stack([0.5 * x[2], 0.3, 1.5 - x[0]])])


def _mp_mat(x):
    return mpmath.matrix([[2 + x[0], x[1], x[2] / 2], [x[1], 3 + x[2], mpmath.mpf("0.3")],
                          [x[2] / 2, mpmath.mpf("0.3"), mpmath.mpf("1.5") - x[0]]])


WEIGHTS = np.array([[1.0, 0.0, 0.0], [2.0, 3.0, 0.0], [-1.0, 0.5, 2.0]])
B = np.array([0.3, -1.0, 0.5])


def _mp_lowest_vector_along_b(m):
    """v . B for the eigenvector v of the smallest eigenvalue (mpmath.eigsy: eigenvalues E, vectors Q)."""
    E, Q = mpmath.eigsy(m)
    j = min(range(3), key=lambda k: E[k])
    return mpmath.fsum(Q[i, j] * float(B[i]) for i in range(3))


def _mp_dot(u, v):
    return mpmath.fsum(a * b for a, b in zip(u, v, strict=True))


def _mp_amat(x):
    return [_mp_dot([mpmath.mpf(a) for a in row], x) for row in A]


TABLE = {
    # elementwise
    "exp_sin_log1p": (lambda x: dnp.sum(dnp.exp(x) * dnp.sin(x) + dnp.log1p(x * x)),
                      lambda x: mpmath.fsum(mpmath.exp(v) * mpmath.sin(v) + mpmath.log1p(v * v) for v in x)),
    "tanh_sqrt_power": (lambda x: dnp.sum(dnp.tanh(x) * dnp.sqrt(2.0 + x) ** 3) / (1.5 + x[0]),
                        lambda x: mpmath.fsum(mpmath.tanh(v) * mpmath.sqrt(2 + v) ** 3 for v in x) / (
                            mpmath.mpf("1.5") + x[0])),
    # reductions
    "logsumexp_prod": (lambda x: dnp.logsumexp(x) * dnp.prod(1.0 + x),
                       lambda x: mpmath.log(mpmath.fsum(mpmath.exp(v) for v in x)) * mpmath.fprod(1 + v for v in x)),
    "var_mean": (lambda x: dnp.var(x * x) + dnp.mean(dnp.sin(x)) ** 2,
                 lambda x: mpmath.fsum((v * v - mpmath.fsum(w * w for w in x) / 3) ** 2 for v in x) / 3
                 + (mpmath.fsum(mpmath.sin(v) for v in x) / 3) ** 2),
    "softmax_entropy": (lambda x: dnp.sum(dnp.softmax(x) * dnp.log_softmax(2.0 * x)),
                        lambda x: mpmath.fsum(mpmath.exp(v) / mpmath.fsum(mpmath.exp(w) for w in x) * (
                            2 * v - mpmath.log(mpmath.fsum(mpmath.exp(2 * w) for w in x))) for v in x)),
    # shape operations
    "cumsum_concat_flip": (lambda x: dnp.sum(dnp.cumsum(dnp.concatenate([x, dnp.flip(x) ** 2])) ** 2),
                           lambda x: mpmath.fsum(s ** 2 for s in itertools.accumulate(
                               list(x) + [v ** 2 for v in reversed(x)]))),
    "reshape_transpose_stack": (lambda x: dnp.sum(dnp.stack([x, x ** 3]).T.reshape(-1)[1:4] * dnp.exp(x)),
                                lambda x: mpmath.fsum([x[0] ** 3, x[1], x[1] ** 3][i] * mpmath.exp(x[i])
                                                      for i in range(3))),
    # contractions
    "quadratic_form_cubed": (lambda x: (x @ A @ x) ** 3 / 10.0,
                             lambda x: _mp_dot(x, _mp_amat(x)) ** 3 / 10),
    "einsum_outer_trace": (lambda x: dnp.einsum("i,ij,j->", dnp.sin(x), A, x) + dnp.trace(dnp.outer(x, x ** 2)),
                           lambda x: _mp_dot([mpmath.sin(v) for v in x], _mp_amat(x)) + mpmath.fsum(v ** 3 for v in x)),
    # linear algebra
    "logdet": (lambda x: dnp.linalg.slogdet(_mat(x))[1] * (1.0 + x[1]),
               lambda x: mpmath.log(mpmath.det(_mp_mat(x))) * (1 + x[1])),
    "inverse_solve": (lambda x: dnp.sum(dnp.linalg.inv(_mat(x))) + dnp.linalg.solve(_mat(x), dnp.exp(x)) @ x,
                      lambda x: mpmath.fsum(mpmath.inverse(_mp_mat(x))) + _mp_dot(
                          mpmath.lu_solve(_mp_mat(x), mpmath.matrix([mpmath.exp(v) for v in x])), x)),
    "det_squared": (lambda x: dnp.linalg.det(_mat(x)) ** 2,
                    lambda x: mpmath.det(_mp_mat(x)) ** 2),
    "cholesky": (lambda x: dnp.sum(dnp.linalg.cholesky(_mat(x)) * WEIGHTS),
                 lambda x: mpmath.fsum(a * float(w) for a, w in zip(mpmath.cholesky(_mp_mat(x)), WEIGHTS.ravel(),
                                                                      strict=True))),
    "eigh_values": (lambda x: dnp.linalg.eigh(_mat(x))[0] @ B,
                    lambda x: mpmath.fsum(a * float(b) for a, b in zip(sorted(mpmath.eigsy(_mp_mat(x))[0]), B,
                                                                       strict=True))),
    "eigh_vector": (lambda x: (dnp.linalg.eigh(_mat(x))[1][:, 0] @ B) ** 2,  # squared: the sign is a gauge
                    lambda x: _mp_lowest_vector_along_b(_mp_mat(x)) ** 2),
}
POINT = np.array([0.3, -0.2, 0.15])
ORDERS = ("forward", "reverse")


def _oracle(mp_fn, order: int) -> np.ndarray:
    """The tensor of order-``order`` partials by ``mpmath.diff`` (each distinct entry once, then symmetric)."""
    n = POINT.size
    x = [mpmath.mpf(float(v)) for v in POINT]
    out = np.zeros((n,) * order)
    for idx in itertools.combinations_with_replacement(range(n), order):
        value = float(mpmath.diff(lambda *a: mp_fn(list(a)), x, [idx.count(i) for i in range(n)]))
        for perm in set(itertools.permutations(idx)):
            out[perm] = value
    return out


@pytest.mark.parametrize("name", TABLE)
def test_hessian_by_every_nesting(name):
    fn, mp_fn = TABLE[name]
    truth = _oracle(mp_fn, 2)
    for method in ("forward-over-forward", "forward-over-reverse", "reverse-over-forward", "reverse-over-reverse"):
        H = dl.hessian(fn, method=method)(POINT)
        assert rel(H, truth) <= 1e-12, (name, method, rel(H, truth))


@pytest.mark.parametrize("name", TABLE)
def test_third_derivatives_by_every_depth_three_nesting(name):
    fn, mp_fn = TABLE[name]
    truth = _oracle(mp_fn, 3)
    for outer, middle, inner in itertools.product(ORDERS, repeat=3):
        T = dl.jacobian(dl.jacobian(dl.grad(fn, method=inner), method=middle), method=outer)(POINT)
        assert rel(T, truth) <= 1e-11, (name, outer, middle, inner, rel(T, truth))


def test_grad_of_grad_of_grad_one_variable_every_order():
    """d^3/dx^3 of x^2 exp(sin x) through dl.grad three times, all eight orders, against mpmath."""
    truth = float(mpmath.diff(lambda v: v ** 2 * mpmath.exp(mpmath.sin(v)), mpmath.mpf("0.7"), 3))
    for methods in itertools.product(ORDERS, repeat=3):
        f = lambda x: x ** 2 * dnp.exp(dnp.sin(x))  # noqa: E731
        for m in reversed(methods):
            f = dl.grad(f, method=m)
        assert rel(f(0.7), truth) <= 1e-13, methods


@pytest.mark.parametrize("outer", ORDERS)
@pytest.mark.parametrize("inner", ORDERS)
def test_no_perturbation_confusion(outer, inner):
    """Siskind and Pearlmutter's example: d/dx [x * d/dy (x + y)] = 1 (a confused tag gives 2), and
    d/dx [x * d/dy (x * y)]_{y=2} = 2x (the inner derivative must see x as a constant)."""
    assert dl.grad(lambda x: x * dl.grad(lambda y: x + y, method=inner)(1.0), method=outer)(2.0) == 1.0
    assert dl.grad(lambda x: x * dl.grad(lambda y: x * y, method=inner)(2.0), method=outer)(3.0) == 6.0


def test_depth_four_mixed_transforms():
    """Fourth derivative of exp(2x) sin(x) by hvp inside jvp inside grad: jvp(grad) and hvp nest too."""
    truth = float(mpmath.diff(lambda v: mpmath.exp(2 * v) * mpmath.sin(v), mpmath.mpf("0.4"), 4))

    def f(x):
        return dnp.exp(2.0 * x) * dnp.sin(x)

    def third(x):
        return dl.jvp(lambda y: dl.hvp(f, (y,), (1.0,), method="reverse-over-forward"), (x,), (1.0,))[1]
    assert rel(dl.grad(third, method="forward")(0.4), truth) <= 1e-13
    assert rel(dl.grad(third, method="reverse")(0.4), truth) <= 1e-13


@pytest.mark.parametrize("outer", ORDERS)
def test_closures_and_escaped_pullbacks(outer):
    """An inner jvp/vjp closing over the outer variable, and a pullback used after its trace ended."""
    assert dl.grad(lambda x: dl.jvp(lambda y: x * y ** 2, (1.0,), (1.0,))[1], method=outer)(3.0) == 2.0
    assert rel(dl.grad(lambda x: dl.vjp(lambda y: x * dnp.sin(y), 0.5)[1](1.0)[0], method=outer)(2.0),
               np.cos(0.5)) <= 1e-16
    _, pullback = dl.vjp(lambda y: y ** 3, 2.0)
    assert dl.grad(lambda c: pullback(c)[0], method=outer)(1.0) == 12.0
