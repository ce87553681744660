"""dl.third_derivatives: the (n, n, n) tensor by symbolic, nested duals, mpmath and finite differences
against mpmath.diff's own partial derivatives (no SymPy derivative); methods that cannot give it say so;
compare on it; the CLI's ``diff --order 3`` and ``compare --order 3`` of several variables."""

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


FD = ["fd-forward", "fd-backward", "fd-central", "fd-five-point", "richardson"]


@pytest.mark.parametrize("method", FD)
@pytest.mark.parametrize("text, fn, point", CASES, ids=[c[0] for c in CASES])
def test_finite_difference_tensors_are_honest(method, text, fn, point):
    est = dl.third_derivatives(dl.Function(text), list(point), method=method)
    T = truth(fn, point)
    assert est.ok and np.all(np.abs(est.value - T) <= est.error_estimate)
    rel = np.max(np.abs(est.value - T)) / np.max(np.abs(T))
    assert rel <= {"fd-forward": 3e-2, "fd-backward": 3e-2, "fd-central": 1e-4, "fd-five-point": 1e-6,
                   "richardson": 1e-7}[method]


def test_finite_difference_tensor_accuracy_ranks_by_order():
    text, fn, point = CASES[0]
    T = truth(fn, point)
    err = {m: np.max(np.abs(dl.third_derivatives(text, list(point), m).value - T)) for m in FD}
    assert err["richardson"] < err["fd-five-point"] < err["fd-central"] < min(err["fd-forward"],
                                                                              err["fd-backward"])


def test_a_probe_outside_the_domain_is_said():
    est = dl.third_derivatives("log(x) * y", [1e-4, 1.0], "fd-central")
    assert np.all(np.isnan(est.value)) and "the edge of the domain within the stencil" in est.status


@pytest.mark.slow
def test_finite_difference_tensors_never_below_the_true_error_on_drawn_functions():
    """30 drawn functions of (x, y, z), every scheme, every entry (4050 in the run measured): the estimate
    covers |value - T| with T from mpmath.diff's partial derivatives at 40 digits."""
    from hypothesis import HealthCheck, given, seed, settings

    from difflab.engines import fd_order_stencils, fd_tensor
    from difflab.expr.compile import to_mpmath
    from difflab.testing.strategies import functions

    cases: list = []

    @seed(5)
    @settings(max_examples=30, database=None, deadline=None, suppress_health_check=list(HealthCheck))
    @given(functions(variables=("x", "y", "z"), max_depth=3, min_value=-2.0, max_value=2.0, min_margin=0.3))
    def collect(case):
        cases.append(case)

    collect()
    judged = 0
    for case in cases:
        f, x = case.function, case.point
        fn = to_mpmath(f.expr, f.symbols)
        try:
            T = truth(fn, [float(v) for v in x])
        except (ValueError, ZeroDivisionError, TypeError):
            continue
        for scheme in fd_order_stencils.ORDER_SCHEMES:
            r = fd_tensor.third_tensor(f.batch, x, scheme)
            given_ = np.isfinite(r.value)
            judged += int(given_.sum())
            assert np.all((np.abs(r.value - T) <= r.error)[given_]), (f.text, x, scheme)
    assert judged >= 3000


def test_methods_that_cannot_give_the_tensor_say_so():
    f = dl.Function(CASES[0][0])
    for name in registry.names():
        est = dl.third_derivatives(f, list(CASES[0][2]), method=name)
        if name not in ("reverse", "complex-step"):
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


def test_compare_third_derivatives_names_the_worst_entry(capsys):
    text, fn, point = CASES[1]
    table = dl.compare(text, list(point), methods=["fd-central", "forward", "reverse"], order=3)
    T = truth(fn, point)
    assert table.quantity == "third_derivatives" and np.allclose(table.reference, T, rtol=1e-14)
    fd = table.row("fd-central")
    independent = np.abs(fd.estimate.value - T) / np.maximum(np.abs(fd.estimate.value), np.abs(T))
    assert fd.worst.index == np.unravel_index(np.argmax(independent), T.shape)
    assert table.entry_name(fd.worst.index).startswith("d3/d") and fd.honest is True
    assert np.isnan(table.row("reverse").max_rel_error) and "0 of 8 entries" in str(table)
    assert main(["compare", text, "--at", "x=0.8,y=1.7", "--order", "3", "--methods", "forward", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert list(data["reference"]) == ["third_derivatives"]
    assert np.array(data["methods"]["forward"]["third_derivatives"]).shape == (2, 2, 2)
