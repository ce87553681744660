"""dl.third_derivatives: the (n, n, n) tensor by symbolic, nested duals and mpmath against mpmath.diff's
own partial derivatives (no SymPy derivative); methods that cannot give it say so; the CLI's
``diff --order 3`` of several variables."""

from __future__ import annotations

import itertools
import json

import mpmath
import numpy as np
import pytest

import difflab as dl
from difflab.cli.entry import main
from difflab.errors import InputError
from difflab.methods import registry

mp = mpmath.mp

CASES = [
    ("exp(x*y)*sin(z) + log(1 + x**2*z)", lambda x, y, z: mp.exp(x * y) * mp.sin(z) + mp.log(1 + x**2 * z),
     (0.3, -0.7, 1.1)),
    ("atan(x/y) + sqrt(1 + x**2 + y**4)", lambda x, y: mp.atan(x / y) + mp.sqrt(1 + x**2 + y**4), (0.8, 1.7)),
    ("tanh(a*b - c)/(2 + cos(a*c)) + a*b*c*d", lambda a, b, c, d: mp.tanh(a * b - c) / (2 + mp.cos(a * c)) +
     a * b * c * d, (0.4, -1.2, 0.9, 2.0)),
]


def truth(fn, point) -> np.ndarray:
    n = len(point)
    T = np.empty((n, n, n))
    with mp.workdps(40):
        x = [mpmath.mpf(v) for v in point]
        for idx in itertools.product(range(n), repeat=3):
            T[idx] = float(mpmath.diff(fn, x, [idx.count(v) for v in range(n)]))
    return T


@pytest.mark.parametrize("method", ["symbolic", "forward", "mpmath"])
@pytest.mark.parametrize("text, fn, point", CASES, ids=[c[0] for c in CASES])
def test_exact_routes_within_1e12_with_honest_estimates(method, text, fn, point):
    est = dl.third_derivatives(dl.Function(text), list(point), method=method)
    T = truth(fn, point)
    big = np.abs(T) > 1e-10 * np.abs(T).max()
    assert est.ok and est.value.shape == (len(point),) * 3
    assert np.all(np.abs(est.value - T)[big] <= 1e-12 * np.abs(T)[big])
    assert np.all(np.abs(est.value[~big]) <= 1e-13 * np.abs(T).max())
    assert np.all(np.abs(est.value - T) <= est.error_estimate + 1e-40)
    assert np.allclose(est.value, np.transpose(est.value, (1, 0, 2)), rtol=0, atol=0)  # filled symmetric


def test_methods_that_cannot_give_the_tensor_say_so():
    f = dl.Function(CASES[0][0])
    for name in registry.names():
        est = dl.third_derivatives(f, list(CASES[0][2]), method=name)
        if name in ("symbolic", "forward", "mpmath"):
            assert est.ok, name
            continue
        assert np.all(np.isnan(est.value)) and len(est.status.split()) >= 5, (name, est.status)
    assert dl.third_derivatives(f, [0.3, -0.7, 1.1], "complex-step").status == "complex step: first derivatives only"
    assert dl.third_derivatives(f, [0.3, -0.7, 1.1], "reverse").status.startswith("reverse mode: derivatives up "
                                                                                  "to order 2 only")


def test_one_variable_is_f_triple_prime_by_every_method_that_can():
    """f''' of exp(x) sin(x) = 2 e^x (cos x - sin x); finite differences give it with their estimate."""
    x = 0.6
    with mp.workdps(40):
        exact = float(2 * mp.exp(x) * (mp.cos(x) - mp.sin(x)))
    for name in ("symbolic", "forward", "mpmath", "fd-central", "richardson"):
        est = dl.third_derivatives("exp(x)*sin(x)", x, name)
        assert est.value.shape == (1, 1, 1) and abs(est.value[0, 0, 0] - exact) <= est.error_estimate[0, 0, 0]
    removable = dl.third_derivatives("sin(x)/x", 0.0, "symbolic")  # the series: f''' = 0 at 0
    assert removable.value[0, 0, 0] == 0.0


def test_bad_requests():
    with pytest.raises(InputError, match="^third derivatives need a scalar function; this one has 2 components"):
        dl.third_derivatives("[x, y]", [1.0, 2.0])


def test_cli_diff_order_3_of_several_variables(capsys):
    assert main(["diff", "x**2*y*z + exp(x*y)", "--at", "x=1,y=2,z=0.5", "--order", "3", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    T = np.array(data["third_derivatives"])
    e = np.exp(2.0)
    # by hand: f_xxx = y^3 e^{xy}, f_xxy = 2z + (2y + x y^2) e^{xy}, f_xxz = 2y, f_xyz = 2x, f_yyy = x^3 e^{xy}
    assert T.shape == (3, 3, 3) and T[0, 0, 0] == pytest.approx(8 * e, rel=1e-14)
    assert T[0, 0, 1] == pytest.approx(1 + 8 * e, rel=1e-14) and T[1, 0, 0] == T[0, 0, 1]
    assert T[0, 0, 2] == pytest.approx(4.0) and T[0, 1, 2] == pytest.approx(2.0) and T[2, 2, 2] == 0
    assert T[1, 1, 1] == pytest.approx(e, rel=1e-14)
    assert {"gradient", "hessian", "third_derivatives_error_estimate"} <= set(data)
    assert main(["diff", "x*y", "--at", "x=1,y=2", "--order", "4"]) == 2
    assert capsys.readouterr().err == ("difflab diff: error: --order 4 needs a function of one variable (f, f', "
                                       "..., f^(K)); with 2 variables the highest order is 3 (the tensor of "
                                       "third derivatives)\n")
