"""difflab.numpy against NumPy, group by group: NumPy's values bit for bit, gradients by both engines
against central differences of NumPy's own function, Hessians by both nestings (forward over forward,
forward over reverse) agreeing; and unmodified NumPy code on traced values (the dispatch protocols).

Each case is ``(name, f, x)`` where ``f(np_module, v)`` is written once and run with ``numpy`` (the oracle)
and with ``difflab.numpy``; v is a flat float vector reshaped inside ``f`` where a case needs a matrix.
"""

from __future__ import annotations

import numpy as np
import pytest

import difflab.numpy as dnp
from difflab.engines import forward, reverse

R = np.random.default_rng(5)
V6 = np.array([0.7, -1.3, 0.4, 1.9, -0.6, 1.1])
POS6 = np.array([0.7, 1.3, 0.4, 1.9, 0.6, 1.1])
UNIT6 = np.array([0.3, -0.5, 0.1, 0.8, -0.6, 0.2])
M = np.array([[2.0, 0.3, -0.4], [0.1, 1.5, 0.2], [-0.3, 0.4, 1.8]])


def m23(mod, v):
    return mod.reshape(v, (2, 3))


def _spd(mod, v):
    """A symmetric positive definite matrix moved by v (cholesky and eigh read a symmetric A)."""
    return M @ M.T + 0.1 * (mod.outer(v[:3], v[3:]) + mod.outer(v[3:], v[:3]))


def _unary(name):
    return lambda mod, v: getattr(mod, name)(v)


def _binary(name):
    return lambda mod, v: getattr(mod, name)(v[:3], v[3:])


ELEMENTWISE = [(n, _unary(n), x) for n, x in [
    ("exp", V6), ("log", POS6), ("sin", V6), ("cos", V6), ("tan", UNIT6), ("arcsin", UNIT6), ("arccos", UNIT6),
    ("arctan", V6), ("sinh", V6), ("cosh", V6), ("tanh", V6), ("arcsinh", V6), ("arccosh", POS6 + 1.5),
    ("arctanh", UNIT6), ("sqrt", POS6), ("log1p", POS6), ("expm1", V6), ("log2", POS6), ("log10", POS6),
    ("exp2", V6), ("cbrt", V6), ("square", V6), ("reciprocal", V6), ("absolute", V6), ("abs", V6),
    ("fabs", V6), ("negative", V6), ("deg2rad", V6), ("rad2deg", V6), ("radians", V6), ("degrees", V6),
    ("sinc", V6), ("sign", V6), ("floor", V6), ("ceil", V6), ("round", V6), ("conj", V6), ("conjugate", V6),
    ("real_if_close", V6), ("imag", V6), ("angle", V6)]]
BINARY = [(n, _binary(n), x) for n, x in [
    ("add", V6), ("subtract", V6), ("multiply", V6), ("divide", V6), ("true_divide", V6), ("power", POS6),
    ("maximum", V6), ("minimum", V6), ("fmax", V6), ("fmin", V6), ("arctan2", V6), ("hypot", V6),
    ("logaddexp", V6), ("logaddexp2", V6), ("mod", POS6), ("remainder", POS6)]]
REDUCTIONS = [
    ("sum", lambda mod, v: mod.sum(m23(mod, v), axis=0, keepdims=True), V6),
    ("mean", lambda mod, v: mod.mean(m23(mod, v), axis=1), V6),
    ("max", lambda mod, v: mod.max(m23(mod, v), axis=1), V6),
    ("min", lambda mod, v: mod.min(m23(mod, v)), V6),
    ("prod", lambda mod, v: mod.prod(m23(mod, v), axis=1), V6),
    ("var", lambda mod, v: mod.var(m23(mod, v), axis=0, ddof=1), V6),
    ("std", lambda mod, v: mod.std(v), V6),
    ("cumsum", lambda mod, v: mod.cumsum(m23(mod, v), axis=1), V6),
    ("clip", lambda mod, v: mod.clip(v, -1.0, 1.0), V6),
    ("sort", lambda mod, v: mod.sort(m23(mod, v), axis=1), V6),
    ("msort", lambda mod, v: mod.sort(m23(mod, v), axis=0), V6),
    ("partition", lambda mod, v: mod.partition(v, 2), V6),
]
SHAPES = [
    ("concatenate", lambda mod, v: mod.concatenate([v[:2], v[2:]]), V6),
    ("vstack", lambda mod, v: mod.vstack([v[:3], v[3:]]), V6),
    ("hstack", lambda mod, v: mod.hstack([v[:3], v[3:]]), V6),
    ("row_stack", lambda mod, v: mod.vstack([v[:3], v[3:]]), V6),
    ("column_stack", lambda mod, v: mod.column_stack([v[:3], v[3:]]), V6),
    ("dstack", lambda mod, v: mod.dstack([v[:3], v[3:]]), V6),
    ("stack", lambda mod, v: mod.stack([v[:3], v[3:]], axis=1), V6),
    ("append", lambda mod, v: mod.append(v[:2], v[4:]), V6),
    ("split", lambda mod, v: mod.split(v, 3)[1], V6),
    ("array_split", lambda mod, v: mod.array_split(v, 4)[0], V6),
    ("hsplit", lambda mod, v: mod.hsplit(m23(mod, v), 3)[2], V6),
    ("vsplit", lambda mod, v: mod.vsplit(m23(mod, v), 2)[1], V6),
    ("dsplit", lambda mod, v: mod.dsplit(mod.reshape(v, (1, 2, 3)), 3)[1], V6),
    ("ravel", lambda mod, v: mod.ravel(m23(mod, v)), V6),
    ("reshape", lambda mod, v: mod.reshape(v, (3, 2)), V6),
    ("transpose", lambda mod, v: mod.transpose(m23(mod, v)), V6),
    ("squeeze", lambda mod, v: mod.squeeze(mod.reshape(v, (1, 6, 1))), V6),
    ("expand_dims", lambda mod, v: mod.expand_dims(v, 0), V6),
    ("moveaxis", lambda mod, v: mod.moveaxis(mod.reshape(v, (1, 2, 3)), 0, -1), V6),
    ("rollaxis", lambda mod, v: mod.rollaxis(mod.reshape(v, (1, 2, 3)), 2), V6),
    ("swapaxes", lambda mod, v: mod.swapaxes(m23(mod, v), 0, 1), V6),
    ("repeat", lambda mod, v: mod.repeat(m23(mod, v), 2, axis=1), V6),
    ("tile", lambda mod, v: mod.tile(v[:3], (2, 2)), V6),
    ("flip", lambda mod, v: mod.flip(m23(mod, v), 1), V6),
    ("fliplr", lambda mod, v: mod.fliplr(m23(mod, v)), V6),
    ("flipud", lambda mod, v: mod.flipud(m23(mod, v)), V6),
    ("rot90", lambda mod, v: mod.rot90(m23(mod, v)), V6),
    ("roll", lambda mod, v: mod.roll(v, 2), V6),
    ("pad", lambda mod, v: mod.pad(m23(mod, v), 1), V6),
    ("atleast_1d", lambda mod, v: mod.atleast_1d(v[0]), V6),
    ("atleast_2d", lambda mod, v: mod.atleast_2d(v), V6),
    ("atleast_3d", lambda mod, v: mod.atleast_3d(m23(mod, v)), V6),
    ("diff", lambda mod, v: mod.diff(v, n=2), V6),
    ("broadcast_to", lambda mod, v: mod.broadcast_to(v[:3], (2, 3)), V6),
    ("select", lambda mod, v: mod.select([v > 1, v < 0], [v, v * v], 7.0), V6),
    ("where", lambda mod, v: mod.where(v > 0, v, -v * v), V6),
    ("nan_to_num", lambda mod, v: mod.nan_to_num(v), V6),
    ("real", lambda mod, v: mod.real(v), V6),
]
CONTRACTIONS = [
    ("dot", lambda mod, v: mod.dot(m23(mod, v), v[:3]), V6),
    ("dot N-D", lambda mod, v: mod.dot(mod.reshape(mod.concatenate([v, v]), (2, 2, 3)),
                                       mod.reshape(mod.concatenate([v, v]), (2, 3, 2))), V6),
    ("matmul", lambda mod, v: mod.matmul(m23(mod, v), mod.transpose(m23(mod, v))), V6),
    ("inner", lambda mod, v: mod.inner(m23(mod, v), m23(mod, v)), V6),
    ("outer", lambda mod, v: mod.outer(v[:2], v[2:]), V6),
    ("tensordot", lambda mod, v: mod.tensordot(m23(mod, v), m23(mod, v), axes=([1], [1])), V6),
    ("einsum", lambda mod, v: mod.einsum("ij,kj->ik", m23(mod, v), m23(mod, v)), V6),
    ("einsum trace", lambda mod, v: mod.einsum("ii", mod.reshape(v[:4], (2, 2))), V6),
    ("kron", lambda mod, v: mod.kron(mod.reshape(v[:4], (2, 2)), mod.reshape(v[2:], (2, 2))), V6),
    ("cross", lambda mod, v: mod.cross(v[:3], v[3:]), V6),
    ("trace", lambda mod, v: mod.trace(mod.reshape(mod.concatenate([v, v[:3]]), (3, 3))), V6),
    ("diag", lambda mod, v: mod.diag(v[:3], 1), V6),
    ("diagonal", lambda mod, v: mod.diagonal(m23(mod, v), 1), V6),
    ("tril", lambda mod, v: mod.tril(m23(mod, v)), V6),
    ("triu", lambda mod, v: mod.triu(m23(mod, v), 1), V6),
]
LINALG = [
    ("linalg.inv", lambda mod, v: mod.linalg.inv(M + mod.reshape(mod.concatenate([v, v[:3]]), (3, 3)) * 0.1), V6),
    ("linalg.solve", lambda mod, v: mod.linalg.solve(M + mod.outer(v[:3], v[3:]) * 0.1, v[:3]), V6),
    ("linalg.det", lambda mod, v: mod.linalg.det(M + mod.outer(v[:3], v[3:]) * 0.1), V6),
    ("linalg.slogdet", lambda mod, v: mod.linalg.slogdet(M + mod.outer(v[:3], v[3:]) * 0.1)[1], V6),
    ("linalg.norm", lambda mod, v: mod.linalg.norm(v), V6),
    ("linalg.norm axis", lambda mod, v: mod.linalg.norm(m23(mod, v), axis=1), V6),
    ("linalg.norm inf", lambda mod, v: mod.linalg.norm(v, ord=np.inf), V6),
    ("linalg.cholesky", lambda mod, v: mod.linalg.cholesky(_spd(mod, v)), V6),
    ("linalg.eigh values", lambda mod, v: mod.linalg.eigh(_spd(mod, v))[0], V6),
    ("linalg.eigh vectors", lambda mod, v: mod.linalg.eigh(_spd(mod, v))[1] ** 2, V6),  # squared: sign-free
    ("frexp", lambda mod, v: mod.frexp(v * 3.0)[0], V6),
    ("gradient", lambda mod, v: mod.gradient(m23(mod, v), 0.5, axis=1), V6),
    ("gradient 2nd-order edges", lambda mod, v: mod.gradient(m23(mod, v), 2.0, axis=-1, edge_order=2), V6),
    ("gradient every axis", lambda mod, v: mod.gradient(m23(mod, v), 0.5, 2.0)[0], V6),
]
SPECIAL = [
    ("logsumexp b", lambda mod, v: dnp.logsumexp(v, b=np.arange(1.0, 7.0)) if mod is dnp else
     np.log(np.sum(np.arange(1.0, 7.0) * np.exp(v))), V6),
    ("softmax where", lambda mod, v: dnp.softmax(v, where=np.array([1, 1, 0, 1, 0, 1], bool)) if mod is dnp
     else np.where([1, 1, 0, 1, 0, 1], np.exp(v) / np.sum(np.exp(v) * [1, 1, 0, 1, 0, 1]), 0.0), V6),
]
EXACT_EXCEPTIONS = {"logsumexp b", "softmax where", "einsum", "einsum trace", "kron", "dot N-D",
                    "sinc"}  # sinc: reduced exactly before sin(pi x), more accurate than NumPy's
ALL = ELEMENTWISE + BINARY + REDUCTIONS + SHAPES + CONTRACTIONS + LINALG + SPECIAL
PIECEWISE_CONSTANT = {"sign", "floor", "ceil", "round", "imag", "angle"}


def _weights(shape):
    return np.random.default_rng(11).normal(size=shape)


def _scalar(f, mod, w):
    return lambda v: mod.sum(f(mod, v) * w)


def _central(fn, x, h=1e-6):
    g = np.zeros_like(x)
    for i in range(x.size):
        e = np.zeros_like(x)
        e[i] = h * max(1.0, abs(x[i]))
        g[i] = (fn(x + e) - fn(x - e)) / (2 * e[i])
    return g


@pytest.mark.parametrize(("name", "f", "x"), ALL, ids=[c[0] for c in ALL])
def test_values_are_numpys(name, f, x):
    got, want = np.asarray(f(dnp, x)), np.asarray(f(np, x))
    assert got.shape == want.shape
    if name in EXACT_EXCEPTIONS:  # a different summation order than NumPy's own routine
        np.testing.assert_allclose(got, want, rtol=1e-14, atol=1e-15)
    else:
        assert np.array_equal(got, want), (got, want)


@pytest.mark.parametrize(("name", "f", "x"), ALL, ids=[c[0] for c in ALL])
def test_gradients_both_engines_against_central_differences(name, f, x):
    w = _weights(np.shape(f(np, x)))
    want = np.zeros_like(x) if name in PIECEWISE_CONSTANT else _central(_scalar(f, np, w), x)
    g_rev = reverse.grad(_scalar(f, dnp, w))(x)
    g_fwd = forward.gradient(_scalar(f, dnp, w), x)[1]
    np.testing.assert_allclose(g_rev, want, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(g_fwd, g_rev, rtol=1e-12, atol=1e-14)


SMOOTH = [c for c in ALL if c[0] not in PIECEWISE_CONSTANT | {"max", "min", "clip", "sort", "msort", "partition",
                                                               "maximum", "minimum", "fmax", "fmin", "abs",
                                                               "absolute", "fabs", "where", "select", "mod",
                                                               "remainder", "linalg.norm inf"}]


@pytest.mark.parametrize(("name", "f", "x"), SMOOTH, ids=[c[0] for c in SMOOTH])
def test_second_order_by_both_nestings(name, f, x):
    """Forward over forward (nested duals) and forward over reverse agree, and match central differences
    of the reverse gradient."""
    w = _weights(np.shape(f(np, x)))
    fn = _scalar(f, dnp, w)
    h_ff = forward.hessian(fn, x)[2]
    h_fr = reverse.hessian(fn, x)[2]
    np.testing.assert_allclose(h_ff, h_fr, rtol=1e-10, atol=1e-10)
    grad = reverse.grad(fn)
    h_fd = np.array([_central(lambda v, i=i: grad(v)[i], x) for i in range(x.size)])
    np.testing.assert_allclose(h_fr, h_fd, rtol=1e-5, atol=1e-6)


def test_unmodified_numpy_code_is_differentiated():
    """np.* functions and ndarray methods on traced values run the differentiable namespace."""
    def loss(w):
        a = np.reshape(w, (2, 3))
        return (np.sum(np.sin(a) ** 2, axis=0) @ np.exp(w[:3]) + a.max() + np.concatenate([w, w]).sum()
                + np.linalg.norm(w) + np.mean(np.tanh(a), axis=1).std() + np.cumsum(w)[-1] * w.prod())

    def loss_dnp(w):
        a = dnp.reshape(w, (2, 3))
        return (dnp.sum(dnp.sin(a) ** 2, axis=0) @ dnp.exp(w[:3]) + dnp.max(a) + dnp.sum(dnp.concatenate([w, w]))
                + dnp.linalg.norm(w) + dnp.std(dnp.mean(dnp.tanh(a), axis=1)) + dnp.cumsum(w)[-1] * dnp.prod(w))
    assert loss(V6) == loss_dnp(V6)
    np.testing.assert_allclose(reverse.grad(loss)(V6), _central(loss, V6), rtol=1e-6)
    np.testing.assert_array_equal(reverse.grad(loss)(V6), reverse.grad(loss_dnp)(V6))
    np.testing.assert_array_equal(forward.gradient(loss, V6)[1], forward.gradient(loss_dnp, V6)[1])


def test_a_numpy_function_without_a_rule_is_refused_by_name():
    with pytest.raises(TypeError, match=r"^difflab cannot differentiate numpy\.i0: it has no rule$"):
        reverse.grad(lambda w: np.sum(np.i0(w)))(V6)
    with pytest.raises(TypeError, match=r"numpy\.add\.at"):
        forward.gradient(lambda w: np.add.at(w, [0], 1.0), V6)


def test_out_is_refused_in_words():
    with pytest.raises(TypeError, match="out="):
        reverse.grad(lambda w: dnp.sum(w, out=np.zeros(())))(V6)
    with pytest.raises(TypeError, match="out="):
        reverse.grad(lambda w: np.sum(np.exp(w, out=np.zeros(6))))(V6)


def test_ndarray_attributes_are_values_and_methods_are_methods():
    """``x.real`` / ``x.imag`` are values on an ndarray, so on a traced value too; ``x.max()`` a method."""
    def loss(w):
        return np.sum(w.real ** 2) + np.sum(w.imag) + w.max() + w.std()
    np.testing.assert_allclose(reverse.grad(loss)(V6), _central(loss, V6), rtol=1e-7)
    assert loss(V6) == np.sum(V6 ** 2) + V6.max() + V6.std()
