"""``dnp.dot`` follows ``numpy.dot`` for every rank, with derivatives; traced scalars through sigmoid."""

from __future__ import annotations

import numpy as np
import pytest

import difflab as dl
import difflab.numpy as dnp

SHAPES = [((2, 3), (2, 3, 4)), ((3,), (2, 3, 4)), ((2, 2, 3), (3, 4)), ((5, 2, 3), (4, 3, 2)),
          ((2, 3), (3,)), ((3,), (3,)), ((2, 3, 4), (4,)), ((4, 3), (3, 5)), ((), (2, 3)), ((2, 3), ())]


def _einsum_spec(na: int, nb: int) -> str:
    """numpy.dot as an einsum: a's last axis against b's second-to-last (b's only one if 1-D)."""
    a_axes = "abcdef"[:na]
    b_axes = "ghijkl"[:nb]
    if na == 0 or nb == 0:
        return f"{a_axes},{b_axes}->{a_axes}{b_axes}"
    k = a_axes[-1]
    b_axes = (b_axes[:-2] + k + b_axes[-1]) if nb >= 2 else k
    out = a_axes[:-1] + b_axes.replace(k, "")
    return f"{a_axes},{b_axes}->{out}"


@pytest.mark.parametrize(("sa", "sb"), SHAPES)
def test_dot_values_and_gradients_follow_numpy(sa, sb):
    rng = np.random.default_rng(7)
    a, b = rng.standard_normal(sa), rng.standard_normal(sb)
    expected = np.dot(a, b)
    spec = _einsum_spec(len(sa), len(sb))
    assert np.allclose(np.einsum(spec, a, b), expected)  # the oracle agrees with NumPy
    w = rng.standard_normal(np.shape(expected))

    def loss(a, b):
        return dnp.sum(w * dnp.dot(a, b))

    # d/da sum(w * dot(a, b)) = einsum of w with b over b's axes; the same for b.
    out_axes = spec.split("->")[1]
    a_axes, b_axes = spec.split("->")[0].split(",")
    grad_a = np.einsum(f"{out_axes},{b_axes}->{a_axes}", w, b)
    grad_b = np.einsum(f"{out_axes},{a_axes}->{b_axes}", w, a)
    assert np.allclose(float(loss(a, b)), np.sum(w * expected), rtol=1e-13)
    for method in ("reverse", "forward"):
        assert np.allclose(dl.grad(loss, method=method)(a, b), grad_a, rtol=1e-12, atol=1e-14), method
        assert np.allclose(dl.grad(lambda b, a: loss(a, b), method=method)(b, a), grad_b, rtol=1e-12,
                           atol=1e-14), method


def test_dot_of_matrix_and_3d_array_gives_numpys_loss():
    """The issue's case: (2,3).(2,3,4) -- matmul broadcasting gave 1.009 where NumPy's loss is 6.582."""
    a = np.arange(6.0).reshape(2, 3) / 10
    b = np.arange(24.0).reshape(2, 3, 4) / 10
    assert dnp.dot(a, b).shape == np.dot(a, b).shape == (2, 2, 4)
    assert float(dnp.sum(dnp.tanh(dnp.dot(a, b)) ** 2)) == pytest.approx(
        float(np.sum(np.tanh(np.dot(a, b)) ** 2)), rel=1e-14)


def test_dot_refuses_misaligned_shapes_like_numpy():
    with pytest.raises(ValueError, match="not aligned"):
        dnp.dot(np.ones((2, 3)), np.ones((2, 4, 4)))


@pytest.mark.parametrize("x", [0.3, np.float64(0.3), np.array(0.3)], ids=["float", "float64", "0-d"])
@pytest.mark.parametrize("method", ["reverse", "forward"])
def test_sigmoid_of_a_scalar_input(x, method):
    """Reverse mode used np.exp(..., out=) on a 0-d array (whose ufunc results are scalars): TypeError."""
    s = 1 / (1 + np.exp(-0.3))
    assert float(dl.grad(lambda v: dnp.sigmoid(v), method=method)(x)) == pytest.approx(s * (1 - s), rel=1e-14)
