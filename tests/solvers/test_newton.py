"""Newton's method: the seeds' worked examples (000, 002), the classification table, and every failure.

Oracles: the seed documents' printed numbers, iterates recomputed in mpmath at 40 digits from the
hand-derived g' and g'', closed-form eigenvalues (5 +- sqrt 2), and Lambert's W(1) from mpmath.
"""

from __future__ import annotations

import math
from fractions import Fraction

import mpmath
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from difflab.errors import InputError
from difflab.expr.function import Function
from difflab.solvers.newton_method import classify, newton

EXACT = ["symbolic", "forward", "reverse", "mpmath"]
SEED_2D = "x**4 + 0.8*y**4 + 4*x**2 + 2*y**2 - x*y - 0.2*x**2*y"


def _mp_newton_1d(x0: str, steps: int) -> list[mpmath.mpf]:
    """g(x) = e^x - log x: x <- x - (e^x - 1/x) / (e^x + 1/x^2), by hand, in 40 digits."""
    with mpmath.workdps(40):
        xs = [mpmath.mpf(x0)]
        for _ in range(steps):
            x = xs[-1]
            xs.append(x - (mpmath.exp(x) - 1 / x) / (mpmath.exp(x) + 1 / x**2))
        return xs


@pytest.mark.parametrize("method", EXACT + ["fd-central", "fd-five-point", "complex-step"])
def test_seed_1d_minimization_iterates(method):
    # Seed 002: x0 = 0.05, x1 = 0.097, x2 = 0.183, ... -> 0.567 (the brief gives x1, x2 to 12 digits).
    r = newton("exp(x) - log(x)", 0.05, method=method)
    assert r.converged, r.reason
    assert r.classification == "minimum"
    xs = [float(v[0]) for v in r.iterates]
    oracle = _mp_newton_1d("0.05", 3)
    # Finite differences perturb each step (1e-5 central, 1e-4 five-point: its wider stencil nears the
    # pole of log at 0); the drift per method is printed by the tour.
    tight = 1e-13 if method in EXACT else 1e-3
    assert xs[1] == pytest.approx(0.0972476470448, rel=max(tight, 1e-12))
    assert xs[2] == pytest.approx(0.183176666784, rel=max(tight, 1e-11))
    assert xs[1] == pytest.approx(float(oracle[1]), rel=tight)
    assert xs[3] == pytest.approx(float(oracle[3]), rel=max(tight, 1e-12) * 10)
    # The minimum solves e^x = 1/x, i.e. x e^x = 1: x* = W(1) (the omega constant).
    assert float(r.x[0]) == pytest.approx(float(mpmath.lambertw(1)), rel=1e-15 if method in EXACT else 1e-9)
    assert float(r.x[0]) == pytest.approx(0.567143290409784, rel=1e-14 if method in EXACT else 1e-9)


def test_seed_1d_reaches_the_seed_value_near_the_fifth_iterate():
    # Seed 002: "x0 = 0.558 ... = 0.567; on the 5th iteration we reached the minimum value".
    r = newton("exp(x) - log(x)", 0.05)
    xs = [float(v[0]) for v in r.iterates]
    assert round(xs[5], 3) == 0.558 or round(xs[4], 3) == 0.558 or round(xs[5], 3) == 0.567
    assert round(xs[6], 3) == 0.567
    assert r.nit <= 10


@pytest.mark.parametrize("method", ["symbolic", "forward", "reverse", "fd-central"])
def test_seed_2d_minimization(method):
    r = newton(SEED_2D, [4, 4], method=method)
    assert r.converged, r.reason
    x1 = r.iterates[1]
    rel = 1e-12 if method != "fd-central" else 1e-7
    assert x1[0] == pytest.approx(2.58273866418, rel=max(rel, 1e-11))
    assert x1[1] == pytest.approx(2.62128883583, rel=max(rel, 1e-11))
    # Seed: second iterate [1.59, 1.67] (two decimals).
    assert np.round(r.iterates[2], 2).tolist() == [1.59, 1.67]
    assert np.allclose(r.x, [0.0, 0.0], atol=1e-12)
    assert r.classification == "minimum"


def test_seed_2d_first_step_by_hand():
    # Seed 002: grad(4,4) = [277.6, 213.6], H(4,4) = [[198.4, -2.6], [-2.6, 157.6]], x1 = (4,4) - H^-1 grad.
    with mpmath.workdps(30):
        H = mpmath.matrix([["198.4", "-2.6"], ["-2.6", "157.6"]])
        g = mpmath.matrix(["277.6", "213.6"])
        x1 = mpmath.matrix([4, 4]) - mpmath.lu_solve(H, g)
    r = newton(SEED_2D, [4, 4], max_iter=1)
    assert r.iterates[1] == pytest.approx([float(x1[0]), float(x1[1])], rel=1e-14)


def test_seed_2d_second_step_numbers_corrected():
    # Seed 002 prints, at x1 ~ (2.58, 2.62): grad = [84.25, 63.4], H = [[86.83, -2.032], [-2.032, 69.39]].
    # Its f_x = 84.25 is right at the exact x1; its f_y = 63.4 is wrong: 3.2 y^3 + 4y - x - 0.2 x^2 = 64.20
    # there. Its H_xx and H_xy are those at the rounded point (2.58, 2.62), where H_yy = 9.6 y^2 + 4 =
    # 69.90: the seed's 69.39 is wrong (corrected value tested). The seed also writes
    # f_xx = 12x^2 + 8 - 0.4xy, but its own number 198.4 at (4, 4) uses the correct 12x^2 + 8 - 0.4y.
    from difflab.methods.registry import gradient, hessian

    f = Function(SEED_2D)
    x, y = newton(SEED_2D, [4, 4], max_iter=1).iterates[1]
    g = gradient(f, [x, y]).value
    assert g[0] == pytest.approx(4 * x**3 + 8 * x - y - 0.4 * x * y, rel=1e-14)
    assert g[1] == pytest.approx(3.2 * y**3 + 4 * y - x - 0.2 * x**2, rel=1e-14)
    assert round(g[0], 2) == 84.25 and round(g[1], 2) == 64.20
    H = hessian(f, [2.58, 2.62]).value
    assert H[1, 1] == pytest.approx(9.6 * 2.62**2 + 4, rel=1e-14)
    assert round(H[0, 0], 2) == 86.83 and round(H[0, 1], 3) == -2.032
    assert round(H[1, 1], 2) == 69.90 != 69.39
    assert hessian(f, [4, 4]).value.ravel() == pytest.approx([198.4, -2.6, -2.6, 157.6], rel=1e-14)


@pytest.mark.parametrize("expr, kind, eig", [
    ("2*x**2 + 3*y**2 - x*y", "minimum", [5 - math.sqrt(2), 5 + math.sqrt(2)]),
    # Seed 002 gives lambda = -3.49, -6.41 here; the characteristic polynomial of [[-4,-1],[-1,-6]] is
    # l^2 + 10 l + 23 with roots -5 +- sqrt 2 = -3.586, -6.414: the seed's -3.49 is wrong.
    ("-2*x**2 - 3*y**2 - x*y + 15", "maximum", [-5 - math.sqrt(2), -5 + math.sqrt(2)]),
    ("2*x**2 - 2*y**2", "saddle", [-4.0, 4.0]),
    ("x**4 + y**4", "inconclusive", [0.0, 0.0]),
])
@pytest.mark.parametrize("method", ["symbolic", "reverse", "forward", "fd-central", "mpmath"])
def test_seed_classification(expr, kind, eig, method):
    got, values = classify(expr, [0, 0], method=method)
    assert got == kind
    assert values == pytest.approx(eig, abs=1e-6)


def test_seed_characteristic_polynomial_sign_corrected():
    # Seed 002 writes det(H - l I) = l^2 + 10 l + 23 for H = [[4,-1],[-1,6]]; it is l^2 - 10 l + 23
    # (the seed's own roots 6.41 and 3.59 are those of the corrected polynomial).
    H = np.array([[4.0, -1.0], [-1.0, 6.0]])
    assert np.poly(H) == pytest.approx([1.0, -10.0, 23.0])
    assert sorted(np.round(np.linalg.eigvalsh(H), 2)) == [3.59, 6.41]


def test_minimize_can_land_on_a_maximum_and_says_so():
    r = newton("-2*x**2 - 3*y**2 - x*y + 15", [1, 1])
    assert r.converged and r.classification == "maximum"
    assert "a maximum, not a minimum" in r.reason
    assert np.allclose(r.x, 0.0)


def test_root_mode_sqrt2():
    for method in ("symbolic", "reverse", "fd-central"):
        r = newton("x**2 - 2", 1.0, mode="root", method=method)
        assert r.converged and r.classification is None
        assert r.x[0] == pytest.approx(math.sqrt(2), rel=1e-15)
        assert r.iterates[1][0] == 1.5 and r.iterates[2][0] == pytest.approx(17 / 12, rel=1e-15)


# ------------------------------------------------------------------------------------------- failures
def test_no_real_root():
    r = newton("x**2 + 1", 0.5, mode="root", max_iter=60)
    assert not r.converged
    assert r.reason.startswith("no real root found: after 60 iterations |f| never fell below 1")
    assert "f may have no real root" in r.reason


def test_root_not_converged_is_not_called_rootless():
    r = newton("x**2 - 2", 1.0, mode="root", max_iter=2, tol=0.0)
    assert not r.converged
    assert r.reason.startswith("not converged after 2 iterations: |f| came down to")


@pytest.mark.parametrize("method", ["symbolic", "forward", "reverse"])
def test_zero_derivative(method):
    r = newton("x**2 - 1", 0.0, mode="root", method=method)
    assert not r.converged
    assert r.reason.startswith("zero derivative: f'(x) = 0 at x=0 (f = -1)")


def test_singular_hessian():
    r = newton("x**2 + y", [1, 1])
    assert not r.converged
    assert r.reason.startswith("singular Hessian at x=1, y=1 (eigenvalues 0, 2)")
    r1 = newton("x**3 + x", 0.0)
    assert not r1.converged and r1.reason.startswith("second derivative is 0 at x=0")


def test_divergence_and_the_line_search_that_cures_it():
    r = newton("atan(x)", 1.5, mode="root")
    assert not r.converged and r.reason.startswith("diverged: the iterates ran off to |x| = ")
    assert abs(r.iterates[2][0]) > abs(r.iterates[1][0]) > abs(r.iterates[0][0])
    cured = newton("atan(x)", 1.5, mode="root", line_search=True)
    assert cured.converged and abs(cured.x[0]) < 1e-12


def test_leaving_the_domain():
    r = newton("log(x)", 3.0, mode="root")
    assert not r.converged
    assert "f is not finite at x=" in r.reason


def test_method_failure_is_a_reason():
    # sqrt(cos(x) - 1) is real only at x = 0: no step, however shrunk, keeps Richardson's probes real.
    # (Its probes crossing the domain edge of log near 0.05 used to be the example; finite differences
    # now shrink their steps there and succeed.)
    r = newton("x**2 + sqrt(cos(x) - 1)", 0.0, method="richardson")
    assert not r.converged
    assert r.reason.startswith("the richardson derivative failed at x=0")


def test_max_iterations():
    r = newton("exp(x) - log(x)", 0.05, max_iter=3)
    assert not r.converged and r.reason.startswith("not converged after 3 iterations: gradient norm still")


def test_degenerate_minimum_is_not_classified():
    r = newton("x**4", 1.0)
    assert r.converged and r.classification == "inconclusive"
    assert "shrank only linearly" in r.reason
    r0 = newton("x**3", 0.0)
    assert r0.converged and r0.classification == "inconclusive"


def test_finite_differences_say_inconclusive_where_noise_could_flip_a_sign():
    kind, eig = classify("x**4 + y**4", [0, 0], method="fd-central")
    assert kind == "inconclusive" and np.all(np.abs(eig) < 1e-5)


def test_damping_slows_but_converges():
    full = newton("exp(x) - log(x)", 0.05)
    half = newton("exp(x) - log(x)", 0.05, damping=0.5, max_iter=200)
    assert half.converged and half.nit > full.nit
    assert half.x[0] == pytest.approx(full.x[0], rel=1e-12)


@pytest.mark.parametrize("kwargs, message", [
    ({"mode": "maximize"}, "mode must be 'root' or 'minimize', not 'maximize'"),
    ({"damping": 0.0}, "damping must be in (0, 1], got 0.0"),
    ({"max_iter": 0}, "max_iter must be a whole number >= 1, got 0"),
    ({"method": "magic"}, "unknown method 'magic'; choose one of: symbolic"),
])
def test_bad_input(kwargs, message):
    with pytest.raises(InputError) as err:
        newton("x**2", 1.0, **kwargs)
    assert str(err.value).startswith(message)


def test_root_mode_needs_one_variable():
    with pytest.raises(InputError) as err:
        newton("x*y", [1, 1], mode="root")
    assert str(err.value) == ("root mode solves f(x) = 0 for a function of one variable; f has 2 (x, y); "
                              "use mode 'minimize' to solve grad f = 0")


# ------------------------------------------------------------------------------- property
_small = st.integers(-5, 5)


@given(a=_small, b=_small, c=_small, p=_small, q=_small)
def test_quadratic_newton_one_step_and_classification(a, b, c, p, q):
    """f = 1/2 [x y] [[a, b], [b, c]] [x y]^T + p x + q y: one Newton step lands on -H^-1 (p, q)
    (Cramer's rule in fractions), and the class follows det H and trace H (exact integers)."""
    f = f"{a}*x**2/2 + {b}*x*y + {c}*y**2/2 + {p}*x + {q}*y"
    det, trace = a * c - b * b, a + c
    r = newton(Function(f, variables="x,y"), [1.0, 1.0])
    if det == 0:
        gradient_at_start = (a + b + p, b + c + q)
        if gradient_at_start != (0, 0):
            assert not r.converged and r.reason.startswith("singular Hessian at x=1, y=1")
        return
    x_star = (Fraction(-(c * p - b * q), det), Fraction(-(a * q - b * p), det))
    assert r.converged
    assert r.iterates[min(1, len(r.iterates) - 1)] == pytest.approx([float(v) for v in x_star], rel=1e-13,
                                                                     abs=1e-13)  # (1, 1) may be x* itself
    assert r.x == pytest.approx([float(v) for v in x_star], rel=1e-13, abs=1e-13)
    expected = "saddle" if det < 0 else ("minimum" if trace > 0 else "maximum")
    assert r.classification == expected
