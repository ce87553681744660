"""The compiled reverse sweep (``expr.adjoint``): same gradient as the tape, straight-line, built once."""

from __future__ import annotations

import mpmath
import numpy as np
from hypothesis import given, settings

import difflab as dl
from difflab.expr.adjoint import hessian_sweep, reverse_sweep, value_and_gradient_program
from difflab.expr.compile import program_to_numpy
from difflab.methods.reference import reference_gradient, reference_hessian, reference_value
from difflab.testing.strategies import functions


@settings(max_examples=40)
@given(functions(variables=("x", "y", "z"), max_depth=4))
def test_program_matches_the_mpmath_reference(case):
    f, x = case.function, case.point
    out = value_and_gradient_program(f.stable, f.symbols).at(x)
    truth = np.array([float(v) for v in reference_gradient(f, x)])
    value = float(reference_value(f, x))
    scale = max(1.0, float(np.max(np.abs(truth))))
    assert abs(out[0] - value) <= 1e-12 * max(1.0, abs(value))
    assert np.max(np.abs(out[1:] - truth)) <= 1e-10 * scale


def test_second_reverse_gradient_runs_the_compiled_program():
    f = dl.Function("exp(x)*sin(y) + log(1 + x**2*y**2)")
    first = dl.gradient(f, [0.7, -1.3], method="reverse")
    assert (1, "reverse") not in f.caches.compiled          # a Function differentiated once is taped
    second = dl.gradient(f, [0.7, -1.3], method="reverse")
    assert (1, "reverse") in f.caches.compiled and second.ok and second.method == "reverse"
    with mpmath.workdps(30):
        x, y = mpmath.mpf(0.7), mpmath.mpf(-1.3)
        truth = [mpmath.exp(x) * mpmath.sin(y) + 2 * x * y**2 / (1 + x**2 * y**2),
                 mpmath.exp(x) * mpmath.cos(y) + 2 * x**2 * y / (1 + x**2 * y**2)]
    for est in (first, second):
        assert np.allclose(est.value, [float(t) for t in truth], rtol=1e-15, atol=0)


def test_kinks_keep_the_convention_and_poles_say_so():
    """At a kink every exact method returns the average of the two sides (singular/notes.py)."""
    f = dl.Function("abs(x) + max(y, 0)")
    for _ in range(2):
        est = dl.gradient(f, [0.0, 0.0], method="reverse")
    assert est.value.tolist() == [0.0, 0.5]
    g = dl.Function("log(x) + y")
    for _ in range(2):
        bad = dl.gradient(g, [-1.0, 1.0], method="reverse")
    assert bad.status.startswith("f is not finite at x=-1, y=1 (f = nan)")


def test_the_program_is_straight_line_with_shared_pieces_once():
    f = dl.Function("sin(x*y)**2 + cos(x*y)")
    source = value_and_gradient_program(f.stable, f.symbols).source
    assert source.count("x*y") == 1              # the shared product is one temporary
    assert "for " not in source and "while " not in source


@settings(max_examples=25)
@given(functions(variables=("x", "y"), max_depth=3))
def test_the_sweeps_written_out_node_by_node_compute_the_gradient_and_hessian(case):
    """``reverse_sweep(every_node=True)`` and ``hessian_sweep`` (the computations the AD error bounds
    model) are the gradient and the Hessian: compiled, they match the mpmath reference."""
    f, x = case.function, case.point
    sweep = reverse_sweep(f.stable, f.symbols, every_node=True)
    grad = program_to_numpy(sweep.program, sweep.outputs, f.symbols).at(x)[1:]
    hess = hessian_sweep(sweep, f.symbols)
    H = program_to_numpy(hess.program, hess.outputs, f.symbols).at(x)[1:]
    g_true = np.array([float(v) for v in reference_gradient(f, x)])
    h_true = np.array([float(v) for row in reference_hessian(f, x) for v in row])
    assert np.max(np.abs(grad - g_true)) <= 1e-10 * max(1.0, float(np.max(np.abs(g_true))))
    assert np.max(np.abs(H - h_true)) <= 1e-9 * max(1.0, float(np.max(np.abs(h_true))))
