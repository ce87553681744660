"""Noise inside f that the rounding model cannot see (issue 13): cancellation in black-box f.

The functions are plain NumPy lambdas (black boxes to the engine); the truth is mpmath at 50 digits on
their mpmath twins. Every estimate must cover the actual error and stay within a sane factor of it.
"""

from __future__ import annotations

from types import SimpleNamespace

import mpmath
import numpy as np
import pytest

from difflab.engines import fd_noise
from difflab.engines import finite_diff as fd

NP = SimpleNamespace(exp=np.exp, sin=np.sin, cos=np.cos, log=np.log)
MP = SimpleNamespace(exp=mpmath.exp, sin=mpmath.sin, cos=mpmath.cos, log=mpmath.log)
EPS = float(np.finfo(float).eps)

# f written once for NumPy and mpmath; each cancels inside: its intermediates are far larger than it
ONE = {
    "x - sin(x)": lambda m, x: x - m.sin(x),
    "exp(x) - 1 - x": lambda m, x: m.exp(x) - 1 - x,
    "log(1 + x) - x": lambda m, x: m.log(1 + x) - x,
    "1 - cos(x)": lambda m, x: 1 - m.cos(x),
}
TWO = {"x*y - sin(x*y)": lambda m, x, y: x * y - m.sin(x * y)}
# Not absurdly loose: the estimate is within LOOSE of the actual error, or below 100 times the accuracy
# that rounding noise of u per value allows a k-th derivative by a stencil of order p, u**(p/(p+k)) --
# these functions and their intermediates are of size <= 1 (an error of 0, from a symmetric stencil on
# an even f, cannot be predicted). Complex step's gradient has no such limit (u); its Hessian is a
# five-point first derivative of gradient values.
LOOSE = 1e4
ORDER = {"forward": 1, "backward": 1, "central": 2, "five-point": 4, "richardson": 8}


def floor(scheme: str, k: int) -> float:
    if scheme == "complex-step":
        return 100 * EPS if k == 1 else 100 * EPS ** (4 / 5)
    p = ORDER[scheme]
    return 100 * EPS ** (p / (p + k))


def _truth(f, point: list[float], order: int) -> np.ndarray:
    n = len(point)
    with mpmath.workdps(50):
        p = [mpmath.mpf(v) for v in point]

        def d(*orders):
            return mpmath.diff(lambda *a: f(MP, *a), p, tuple(orders))

        if order == 1:
            return np.array([d(*(int(k == i) for k in range(n))) for i in range(n)], dtype=object)
        return np.array([[d(*(int(k == i) + int(k == j) for k in range(n))) for j in range(n)]
                         for i in range(n)], dtype=object)


def _check(f, point: list[float], order: int, scheme: str) -> None:
    exact = _truth(f, point, order)
    res = (fd.gradient if order == 1 else fd.hessian)(lambda X: f(NP, *X.T), np.array(point), scheme)
    assert res.status == "ok", res.status
    with mpmath.workdps(50):
        err = np.array([float(abs(mpmath.mpf(float(a)) - b)) for a, b in zip(res.value.ravel(), exact.ravel(),
                                                                                strict=True)])
    err = np.where(err < 1e-60, 0.0, err)  # mpmath.diff's own error at 50 digits is ~1e-100
    est = res.error.ravel()
    assert np.all(err <= est), (scheme, order, point, res.value, err, est)
    assert np.all(est <= np.maximum(LOOSE * err, floor(scheme, order))), (scheme, order, err, est)


@pytest.mark.parametrize("scheme", fd.SCHEMES)
@pytest.mark.parametrize("at", [0.0, 1e-3])
@pytest.mark.parametrize("name", list(ONE))
@pytest.mark.parametrize("order", [1, 2])
def test_cancellation_inside_f_is_in_the_estimate(name, at, scheme, order):
    # x - sin(x) at 0, forward Hessian: the step was refined from 1.2e-5 to 1.2e-8 on a model that saw
    # u*|f| = 2.5e-23, where f's intermediates round at u*h: 2.3e-8 +- 2.5e-23 against 0
    _check(ONE[name], [at], order, scheme)


@pytest.mark.parametrize("scheme", fd.SCHEMES)
@pytest.mark.parametrize("point", [(0.0, 0.0), (1e-3, 2e-3), (1e-3, 1.0), (0.5, 1e-3)])
@pytest.mark.parametrize("order", [1, 2])
def test_cancellation_in_several_variables(scheme, point, order):
    # complex step's Hessian at (1e-3, 2e-3) was 3e-22 +- 7e-21 against 8e-12: its gradient values
    # y*(1 - cos(x*y)) are multiples of 4e-19, which Im f / 1e-100 hid from the granularity check
    _check(TWO["x*y - sin(x*y)"], list(point), order, scheme)


def test_the_noise_model_costs_nothing_where_f_does_not_cancel():
    calls = []

    def f(X):
        calls.append(len(X))
        return np.exp(X[:, 0]) * np.sin(X[:, 0])

    for scheme in ("forward", "central", "five-point", "richardson", "complex-step"):
        calls.clear()
        res = fd.gradient(f, np.array([1.0]), scheme)
        assert len(calls) == 1 and res.nfev == calls[0], (scheme, calls)


def test_ecnoise_recovers_the_standard_deviation_of_noise():
    rng = np.random.default_rng(7)
    sigma = 3e-9
    found = [fd_noise.ecnoise(1.0 + 1e-3 * fd_noise.NODES + rng.normal(0, sigma, fd_noise.NOISE_POINTS))[0]
             for _ in range(200)]
    assert min(found) > 0.2 * sigma and max(found) < 2.5 * sigma
    assert 0.7 * sigma < np.median(found) < 1.3 * sigma


def test_ecnoise_claims_nothing_for_a_smooth_function():
    t = 0.7 + 1e-6 * fd_noise.NODES
    assert fd_noise.ecnoise(np.exp(t))[0] <= 4 * EPS * np.e  # the rounding of exp itself, at most
    line = 3.0 + 1e-6 * fd_noise.NODES  # linear values, each correctly rounded: at most their ulps
    assert fd_noise.ecnoise(line)[0] <= 2 * np.spacing(3.0)


def test_granularity_shows_the_ulp_of_the_intermediates():
    # 1 - cos(x) near 1e-3 is a difference of doubles just below 1: a multiple of 2**-53, not of its own
    # ulp (1e-22); an exp(x) value is a multiple of its own ulp only
    values = 1 - np.cos(1e-3 + 1e-9 * fd_noise.NODES)
    assert fd_noise.granularity(values) >= 2.0**-53
    assert fd_noise.granularity(np.exp(1.0 + 1e-9 * fd_noise.NODES)) <= np.spacing(np.e)
