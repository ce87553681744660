"""Finite differences against independent truth: mpmath.diff at 50 digits and closed forms.

Nothing here uses the rest of difflab: functions are plain NumPy lambdas (their mpmath twins give the
truth), so a bug elsewhere cannot hide one here.
"""

from __future__ import annotations

from fractions import Fraction as Fr
from types import SimpleNamespace

import mpmath
import numpy as np
import pytest

from difflab.engines import finite_diff as fd
from difflab.errors import InputError

NP = SimpleNamespace(
    exp=np.exp, sin=np.sin, cos=np.cos, log=np.log, atan=np.arctan, sqrt=np.sqrt, tanh=np.tanh
)
MP = SimpleNamespace(
    exp=mpmath.exp,
    sin=mpmath.sin,
    cos=mpmath.cos,
    log=mpmath.log,
    atan=mpmath.atan,
    sqrt=mpmath.sqrt,
    tanh=mpmath.tanh,
)

# (name, f(m, *x) written once for NumPy and mpmath, point)
CASES = [
    ("exp(x)*sin(x)", lambda m, x: m.exp(x) * m.sin(x), [1.0]),
    ("exp(x)*sin(x) at 0", lambda m, x: m.exp(x) * m.sin(x), [0.0]),
    ("quartic", lambda m, x: x**4 - 3 * x**3 + 2 * x - 1, [0.7]),
    ("log", lambda m, x: m.log(x), [2.5]),
    ("log at 50", lambda m, x: m.log(x), [50.0]),
    ("atan", lambda m, x: m.atan(x), [0.3]),
    ("rational", lambda m, x: 1 / (1 + x**2), [0.9]),
    ("sqrt*cos", lambda m, x: m.sqrt(x) * m.cos(x), [1.7]),
    ("gaussian", lambda m, x: m.exp(-x * x), [0.6]),
    (
        "seed quartic",
        lambda m, x, y: x**4 + 0.8 * y**4 + 4 * x**2 + 2 * y**2 - x * y - 0.2 * x**2 * y,
        [4.0, 4.0],
    ),
    ("rosenbrock", lambda m, x, y: (1 - x) ** 2 + 100 * (y - x**2) ** 2, [-1.2, 1.0]),
    ("xyz+sin(xy)+exp(z)", lambda m, x, y, z: x * y * z + m.sin(x * y) + m.exp(z), [0.5, 1.2, -0.3]),
    ("exp(xy)cos(z)", lambda m, x, y, z: m.exp(x * y) * m.cos(z), [0.4, -0.9, 0.7]),
    ("log(1+|v|^2)", lambda m, x, y, z: m.log(1 + x * x + y * y + z * z), [0.3, -0.8, 1.1]),
    ("atan(xy)+xz^2", lambda m, x, y, z: m.atan(x * y) + x * z * z, [1.3, 0.4, -0.6]),
    ("tanh(x+2y-z)*y", lambda m, x, y, z: m.tanh(x + 2 * y - z) * y, [0.2, 0.1, 0.5]),
]
BY_NAME = {name: (f, x) for name, f, x in CASES}
_TRUTH: dict[str, tuple[list, list]] = {}


def batch(f):
    return lambda X: f(NP, *X.T)


def truth(name: str) -> tuple[list, list]:
    """Gradient and Hessian as mpmath numbers at 50 digits (the float point converts exactly)."""
    if name not in _TRUTH:
        f, x = BY_NAME[name]
        n = len(x)
        with mpmath.workdps(50):
            p = [mpmath.mpf(v) for v in x]

            def d(*orders):
                return mpmath.diff(lambda *a: f(MP, *a), p, tuple(orders))

            g = [d(*(int(k == i) for k in range(n))) for i in range(n)]
            H = [[d(*(int(k == i) + int(k == j) for k in range(n))) for j in range(n)] for i in range(n)]
        _TRUTH[name] = (g, H)
    return _TRUTH[name]


def abs_errors(values: np.ndarray, exact: list) -> np.ndarray:
    with mpmath.workdps(50):
        return np.array(
            [float(abs(mpmath.mpf(float(a)) - b)) for a, b in zip(values.ravel(), exact, strict=True)]
        )


def run(name: str, scheme: str, order: int):
    f, x = BY_NAME[name]
    g, H = truth(name)
    exact = g if order == 1 else [v for row in H for v in row]
    res = (fd.gradient if order == 1 else fd.hessian)(batch(f), np.array(x), scheme)
    return res, abs_errors(res.value, exact), np.abs(np.array([float(v) for v in exact]))


# ---------------------------------------------------------------- stencils


def test_textbook_stencils_are_exact_rationals():
    assert fd.stencil(2, (-1, 0, 1)) == (1, -2, 1)
    assert fd.stencil(1, (-2, -1, 0, 1, 2)) == (Fr(1, 12), Fr(-2, 3), 0, Fr(2, 3), Fr(-1, 12))
    five = fd.stencil(2, (-2, -1, 0, 1, 2))
    assert five == (Fr(-1, 12), Fr(4, 3), Fr(-5, 2), Fr(4, 3), Fr(-1, 12))
    assert type(five[2]) is Fr and five[2] == Fr(-5, 2)  # the centre weight carries no float residue
    assert fd.stencil(1, (0, 1, 2)) == (Fr(-3, 2), 2, Fr(-1, 2))
    assert fd.stencil(3, (-2, -1, 0, 1, 2)) == (Fr(-1, 2), 1, 0, -1, Fr(1, 2))
    assert fd.stencil(1, (0, 1)) == (-1, 1)
    assert fd.stencil(1, (Fr(-1, 2), Fr(1, 2))) == (-1, 1)
    assert fd.stencil(0, (0.5,)) == (1,)


def test_stencil_moments_for_irregular_offsets():
    offsets = (-3, Fr(-1, 3), 0, Fr(1, 2), 2, 5)
    for d in range(4):
        w = fd.stencil(d, offsets)
        for k in range(len(offsets)):
            moment = sum((wj * Fr(o) ** k for wj, o in zip(w, offsets, strict=True)), Fr(0))
            assert moment == ([1, 1, 2, 6][d] if k == d else 0)


def test_richardson_table_is_the_nine_point_stencil():
    # Richardson on central differences at h, 2h, 3h, 4h eliminates h^2, h^4, h^6: the value must be the
    # textbook 9-point stencil (1/280, -4/105, 1/5, -4/5, 0, ...); the 5h row only checks it.
    units = [np.array([Fr(int(g == k)) for g in range(5)], dtype=object) for k in range(5)]
    value, check = fd._neville(units, exact=True)  # rows are the steps 5h, 4h, 3h, 2h, h
    textbook = {1: Fr(4, 5), 2: Fr(-1, 5), 3: Fr(4, 105), 4: Fr(-1, 280), 5: 0}
    for cg, s in zip(value, fd.RICHARDSON_STEPS, strict=True):
        assert cg / (2 * s) == textbook[s]
    wide = dict(zip((2, 3, 4, 5), fd.stencil(1, (-5, -4, -3, -2, 2, 3, 4, 5))[4:], strict=True))
    for cg, s in zip(check, fd.RICHARDSON_STEPS, strict=True):
        assert cg / (2 * s) == wide.get(s, 0)
    # p = x^9 + x^3, p'(0) = 0: central differences s^8 + s^2 at unit steps. The s^2 term is removed
    # exactly; what is left is the s^8 term times -prod(s^2) over the steps used (Lagrange remainder),
    # so the value's truncation is 1/24 of its difference to the check row: kappa.
    rows = [Fr(1, 2 * s) * ((s**9 + s**3) - ((-s) ** 9 + (-s) ** 3)) for s in fd.RICHARDSON_STEPS]
    v, c = fd._neville(rows, exact=True)
    assert v == -(1 * 4 * 9 * 16) and c == -(4 * 9 * 16 * 25)
    assert abs(v) / abs(v - c) == fd._RICHARDSON_KAPPA == Fr(1, 24)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((1, (0, 1, 1)), "stencil offsets must be distinct; got ['0', '1', '1']"),
        ((2, (0, 1)), "a derivative of order 2 needs at least 3 offsets; got 2"),
        ((-1, (0, 1)), "derivative order must be a non-negative integer; got -1"),
        ((1, ("a", 1)), "stencil offsets must be finite rational numbers; got ('a', 1)"),
    ],
)
def test_stencil_rejects_bad_input(args, message):
    with pytest.raises(InputError) as info:
        fd.stencil(*args)
    assert str(info.value) == message


# ---------------------------------------------------------------- steps


def test_optimal_step_closed_forms_and_scaling():
    eps = np.finfo(float).eps
    x = np.array([0.0, 1.0, -10.0])
    # minimisers of eps*S/h^k + |C| h^p derived by hand for each stencil
    assert np.allclose(fd.optimal_step(x, "central"), (3 * eps) ** (1 / 3) * np.array([1, 1, 10]), rtol=1e-14)
    assert np.allclose(fd.optimal_step(x, "forward"), 2 * np.sqrt(eps) * np.array([1, 1, 10]), rtol=1e-14)
    assert np.allclose(
        fd.optimal_step(x, "five-point"), (11.25 * eps) ** 0.2 * np.array([1, 1, 10]), rtol=1e-14
    )
    assert np.allclose(
        fd.optimal_step(x, "central", 2), (48 * eps) ** 0.25 * np.array([1, 1, 10]), rtol=1e-14
    )
    assert np.all(fd.optimal_step(x, "complex-step") <= 1e-99)
    # Richardson = 9-point stencil (sum|w| = 25/12, error h^8 f^(9) / 630) with Cauchy's |f^(9)| ~ 9! |f|
    rich = (eps * (25 / 12) * 630 / (8 * 362880)) ** (1 / 9)
    assert np.allclose(fd.optimal_step(x, "richardson"), rich * np.array([1, 1, 10]), rtol=1e-14)


@pytest.mark.parametrize("scheme", fd.SCHEMES)
def test_steps_are_exactly_representable(scheme):
    x = np.array([0.1, 3.3, -7.7, 0.0])
    for res in (
        fd.gradient(lambda X: X.sum(axis=1), x, scheme),
        fd.hessian(lambda X: X.sum(axis=1), x, scheme),
    ):
        if not (scheme == "complex-step" and res.value.ndim == 1):
            assert np.array_equal((x + res.step) - x, res.step)


def test_step_below_float_spacing_is_raised_and_said():
    res = fd.gradient(batch(BY_NAME["exp(x)*sin(x)"][0]), np.array([1.0]), "central", step=1e-17)
    assert res.step[0] == np.spacing(1.0)
    assert (
        res.status
        == "step for x_1 raised from 1e-17 to 2.220446049250313e-16, the float spacing at x_1 = 1.0"
    )


def test_fixed_step_error_and_sweep_minimum():
    f = batch(BY_NAME["exp(x)*sin(x)"][0])
    exact = truth("exp(x)*sin(x)")[0]
    res = fd.gradient(f, np.array([1.0]), "central", step=1e-5)
    err = abs_errors(res.value, exact)[0]
    assert 2.5e-11 < err < 3.5e-11  # about 2.9e-11: h^2 |f'''| / 6 = 2.73e-11 plus rounding
    assert err <= res.error[0]
    hs = 10.0 ** (-np.arange(8, 129) / 8)  # 1e-1 .. 1e-16
    for scheme in ("forward", "backward", "central", "five-point", "richardson"):
        errs = np.array(
            [abs_errors(fd.gradient(f, np.array([1.0]), scheme, step=h).value, exact)[0] for h in hs]
        )
        logs = np.convolve(
            np.log10(np.maximum(errs, 1e-300)), np.ones(5) / 5, mode="valid"
        )  # 1/2-decade mean
        best = hs[2:-2][np.argmin(logs)]
        ratio = best / fd.optimal_step(np.array([1.0]), scheme)[0]
        assert 0.1 <= ratio <= 10, (scheme, ratio)


# ---------------------------------------------------------------- accuracy and honesty

TARGET = {
    "complex-step": 1e-14,
    "richardson": 1e-12,
    "five-point": 1e-11,
    "central": 1e-9,
    "forward": 1e-6,
    "backward": 1e-6,
}
HESSIAN_TARGET = {
    "complex-step": 1e-10,
    "richardson": 1e-10,
    "five-point": 1e-8,
    "central": 1e-6,
    "forward": 1e-3,
    "backward": 1e-3,
}


@pytest.mark.parametrize("scheme", fd.SCHEMES)
@pytest.mark.parametrize(
    "name", ["exp(x)*sin(x)", "seed quartic", "xyz+sin(xy)+exp(z)", "exp(xy)cos(z)", "log(1+|v|^2)"]
)
def test_accuracy_targets(scheme, name):
    for order, target in ((1, TARGET[scheme]), (2, HESSIAN_TARGET[scheme])):
        res, err, exact = run(name, scheme, order)
        assert res.status == "ok"
        if order == 1:  # the relative error of compare: |a - b| / max(|a|, |b|) per entry
            rel = err / np.maximum(np.abs(res.value.ravel()), exact)
        else:  # Hessians: against the largest entry (some entries are exactly zero)
            rel = err / exact.max()
        assert rel.max() <= target, (name, order, rel.max())


def test_seed_quartic_numbers():
    f, x = BY_NAME["seed quartic"]
    for scheme in fd.SCHEMES:
        assert np.allclose(
            fd.gradient(batch(f), np.array(x), scheme).value, [277.6, 213.6], rtol=1e-6, atol=0
        )
        assert np.allclose(
            fd.hessian(batch(f), np.array(x), scheme).value, [[198.4, -2.6], [-2.6, 157.6]], rtol=1e-3, atol=0
        )


@pytest.mark.parametrize("scheme", fd.SCHEMES)
@pytest.mark.parametrize("order", [1, 2])
def test_error_estimate_is_honest(scheme, order):
    """Every entry's true error is below its estimate; per function the estimate is < 1000x too big.

    The lower bound is per function (largest true error against largest estimate) with the true error
    floored at one ulp of the true value: an error below one ulp (a correctly rounded result, or a
    stencil that is exact on a polynomial) cannot be predicted and says nothing about pessimism.
    """
    assert len(CASES) >= 14
    for name, _, _ in CASES:
        res, err, exact = run(name, scheme, order)
        est = res.error.ravel()
        assert res.status == "ok"
        assert np.all(err <= est), (name, err / est)
        assert np.maximum(err, np.spacing(exact)).max() >= est.max() / 1000, (name, err, est)


def test_forced_steps_keep_the_estimate_honest():
    # the sweep report plots the estimate next to the error: it must stay an upper bound off-optimum
    f, x = BY_NAME["exp(x)*sin(x)"]
    g, H = truth("exp(x)*sin(x)")
    for scheme in fd.SCHEMES:
        for h in 10.0 ** -np.arange(2.0, 16.5, 0.5):
            for fn, exact in ((fd.gradient, g), (fd.hessian, H[0])):
                res = fn(batch(f), np.array(x), scheme, step=h)
                err = abs_errors(res.value, exact)
                assert np.all(err <= res.error.ravel()), (scheme, fn.__name__, h, err, res.error)


@pytest.mark.parametrize("scheme", fd.SCHEMES)
def test_a_step_that_does_not_resolve_f_is_not_trusted(scheme):
    # sin(exp(sinh(x))) at 3 turns exp(sinh 3)*cosh 3 ~ 2.2e5 radians per unit of x: the default
    # Hessian step (~1e-2) aliases it, and the refined one (h/1000) still does. Before each pass had
    # to agree with the one before, five-point said 8.0e6 +- 4.4e5 and Richardson 8.7e4 +- 2.2e3
    # (truth 4.18e10, from mpmath's derivative of the closed form; found by `difflab fuzz --seed 7`).
    with mpmath.workdps(40):
        exact = float(mpmath.diff(lambda t: mpmath.sin(mpmath.exp(mpmath.sinh(t))), mpmath.mpf(3), 2))
        slope = float(mpmath.diff(lambda t: mpmath.sin(mpmath.exp(mpmath.sinh(t))), mpmath.mpf(3), 1))

    def f(X):
        return np.sin(np.exp(np.sinh(X[:, 0])))

    res = fd.hessian(f, np.array([3.0]), scheme)
    # complex step's Hessian ends where f's own rounding rules: sinh(3) ~ 10 rounded to 1e-15 puts a
    # phase error of ~2.5e-11 on exp(sinh(3)) ~ 2.2e4, so the gradient values Im f / t it differentiates
    # carry ~1e-6 of noise that the ulp model (2 eps |Im f / t|) does not see; its estimate was the
    # disagreement of the last passes (231 against an error of ~580). Now the noise is measured
    # (fd_noise) and enters the estimate: no slack for any scheme.
    assert abs(res.value[0, 0] - exact) <= res.error[0, 0], (res.value, res.error, exact)
    res = fd.gradient(f, np.array([3.0]), scheme)
    assert abs(res.value[0] - slope) <= res.error[0], (res.value, res.error, slope)


def test_cancellation_inside_f_is_measured():
    # f' = 4x^3 - 9x^2 + 2 nearly cancels at 0.55 (terms ~ 2.7, result 0.06): rounding of the
    # complex-step gradient values is ten times eps*|f|, so only the measured noise keeps the
    # Hessian estimate above the error (it was 1.23x too low with the ulp model alone)
    BY_NAME["quartic at 0.55"] = (BY_NAME["quartic"][0], [0.55])
    for scheme in fd.SCHEMES:
        for order in (1, 2):
            res, err, _ = run("quartic at 0.55", scheme, order)
            assert np.all(err <= res.error.ravel()), (scheme, order, err, res.error)


@pytest.mark.slow
@pytest.mark.parametrize("scheme", fd.SCHEMES)
def test_honest_at_random_points(scheme):
    """Every table function at 15 random points (log/sqrt ones on (0.3, 60)): no estimate too low."""
    rng = np.random.default_rng(20261122)
    for name, f, x0 in CASES:
        for _ in range(15):
            if name.startswith(("log", "sqrt")) and len(x0) == 1:
                x = list(np.exp(rng.uniform(np.log(0.3), np.log(60), 1)))
            else:
                x = list(rng.uniform(-2, 2, len(x0)))
            BY_NAME["random"] = (f, x)
            _TRUTH.pop("random", None)
            for order in (1, 2):
                res, err, _ = run("random", scheme, order)
                assert res.status == "ok" and np.all(err <= res.error.ravel()), (name, x, order)


@pytest.mark.parametrize("scheme", fd.SCHEMES)
def test_hessian_symmetric_and_all_probes_in_one_call(scheme):
    calls = []

    def f(X):
        calls.append(X.shape)
        return batch(BY_NAME["exp(xy)cos(z)"][0])(X)

    x = np.array([0.4, -0.9, 0.7])
    for fn in (fd.gradient, fd.hessian):
        calls.clear()
        res = fn(f, x, scheme)
        assert len(calls) == 1 and calls[0] == (res.nfev, 3)
    assert np.array_equal(res.value, res.value.T) and np.array_equal(res.error, res.error.T)
    expected = {
        "forward": 7,
        "backward": 7,
        "central": 12,
        "five-point": 18,
        "richardson": 30,
        "complex-step": 15,  # 2n probes + 3n shifted probes (+, alternating, -) that measure rounding
    }
    # every |x_i| < 1: both scales, max(|x_i|, 1) and |x_i|, are probed (in the same call)
    twice = 1 if scheme == "complex-step" else 2
    assert fd.gradient(f, x, scheme).nfev == twice * expected[scheme]
    assert fd.gradient(f, x + 2.0, scheme).nfev == expected[scheme]  # |x_i| >= 1: one scale


# ---------------------------------------------------------------- trouble is a result with words


def _nan_beyond(limit):
    return lambda X: X[:, 0] + np.sqrt(limit - X[:, 1])


def test_nan_probe_is_named_and_only_its_entries_are_nan():
    res = fd.gradient(_nan_beyond(2.2), np.array([1.0, 2.0]), "central", step=0.5)
    assert res.status == (
        "probe x + h_2*e_2 = [1.0, 2.5] gave nan (1 more of the 8 probes were not finite); "
        "the entries that use it are nan"
    )
    assert res.value[0] == pytest.approx(1.0, rel=1e-12) and np.isfinite(res.error[0])
    assert np.isnan(res.value[1]) and np.isnan(res.error[1])


def test_nan_in_error_probe_keeps_value_but_not_error():
    res = fd.gradient(_nan_beyond(2.7), np.array([1.0, 2.0]), "central", step=0.5)
    assert res.status.startswith("probe x + 2*h_2*e_2 = [1.0, 3.0] gave nan")
    assert res.value[1] == pytest.approx((np.sqrt(0.2) - np.sqrt(1.2)) / 1.0, rel=1e-14)
    assert np.isnan(res.error[1]) and np.isfinite(res.error[0])


def test_pole_in_hessian_probe_is_named():
    res = fd.hessian(lambda X: 1 / (X[:, 0] - 1.5) + X[:, 1], np.array([1.0, 0.0]), "central", step=0.25)
    assert res.status.startswith("probe x + 2*h_1*e_1 = [1.5, 0.0] gave inf")
    assert np.isnan(res.error[0, 0]) and np.isfinite(res.value[0, 0])


def test_complex_step_needs_complex_arithmetic():
    res = fd.gradient(lambda X: np.abs(X[:, 0]).astype(float), np.array([1.0]), "complex-step")
    assert np.isnan(res.value[0]) and res.status.startswith("the function returned real values for complex")


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda: fd.gradient(np.sum, np.array([1.0]), "centered"),
            "unknown finite-difference scheme 'centered'; choose one of: "
            "forward, backward, central, five-point, complex-step, richardson",
        ),
        (
            lambda: fd.optimal_step(np.array([1.0]), "spline"),
            "unknown finite-difference scheme 'spline'; choose one of: "
            "forward, backward, central, five-point, complex-step, richardson",
        ),
        (lambda: fd.gradient(np.sum, np.ones((2, 2))), "x must be a non-empty 1-D array; got shape (2, 2)"),
        (lambda: fd.gradient(np.sum, np.array([1.0, np.nan])), "x must be finite; got [1.0, nan]"),
        (
            lambda: fd.hessian(np.sum, np.array([1.0]), step=-1e-3),
            "step must be a positive float or 1 positive floats; got -0.001",
        ),
        (
            lambda: fd.gradient(np.sum, np.array([1.0, 2.0]), step=[1e-3, 1e-3, 1e-3]),
            "step must be a positive float or 2 positive floats; got [0.001, 0.001, 0.001]",
        ),
        (
            lambda: fd.gradient(lambda X: X, np.array([1.0, 2.0])),
            "fun must map an (m, n) array to m values; got shape (8, 2) for X of shape (8, 2)",
        ),
        (
            lambda: fd.optimal_step(np.array([1.0]), "central", 3),
            "derivative order must be 1 (gradient) or 2 (Hessian); got 3",
        ),
    ],
)
def test_bad_input_messages(call, message):
    with pytest.raises(InputError) as info:
        call()
    assert str(info.value) == message


@pytest.mark.parametrize("scheme", ["forward", "backward", "central", "five-point", "richardson"])
def test_a_step_below_what_f_resolves_is_not_trusted(scheme):
    """1 - exp(x) at x = -9e-32: on x's own scale every probe gives exactly 0 (exp rounds to 1), so that
    pass said 0 +- 0, and the rule that a smaller step wins a disagreement took it over the unit scale's
    -1 (found by benchmarks/estimates_honesty.py --orders, seed 4). Truth: -exp(x), mpmath."""
    x = -9.025877313140247e-32
    res = fd.gradient(lambda X: 1 - np.exp(X[:, 0]), np.array([x]), scheme)
    truth = float(-mpmath.exp(mpmath.mpf(x)))
    assert res.status == "ok" and abs(res.value[0] - truth) <= res.error[0] < 1e-6, (res.value, res.error)
