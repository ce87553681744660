"""Stability rewrites: softplus, log-sigmoid and the log-loss stay finite and exact where peers overflow.

Expected numbers are closed forms: softplus(x) = x + log1p(e^-x), so softplus(1000) = 1000 to double
precision and its derivative sigmoid(1000) = 1; -log(1 - sigmoid(z)) = softplus(z), 800 at z = 800 with
derivative 1; -log(sigmoid(z)) = softplus(-z), 800 at z = -800 with derivative -1. The naive NumPy
evaluation of each written formula is shown to be inf or nan first, so every test can fail.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import sympy

import difflab as dl
from difflab.expr import stable
from difflab.expr.parse import parse_expr_safe
from difflab.methods import symbolic
from difflab.methods.reference import reference_gradient, reference_value
from difflab.primitives.sympy_twins import FUSED, log_sigmoid, sigmoid, softplus

METHODS = ("symbolic", "forward", "reverse")


def naive(text: str, x: float) -> tuple[float, float]:
    """The written formula and its written derivative lambdified by plain SymPy/NumPy (what peers do)."""
    expr = parse_expr_safe(text)
    (s,) = expr.free_symbols
    expr = expr.xreplace({a: a.rewrite(sympy.exp) for a in expr.atoms(*FUSED.values())})
    with np.errstate(all="ignore"):
        return (float(sympy.lambdify(s, expr, "numpy")(x)),
                float(sympy.lambdify(s, sympy.diff(expr, s), "numpy")(x)))


CASES = [
    # text, point, value, derivative
    ("log(1 + exp(x))", 1000.0, 1000.0, 1.0),
    ("log(1 + exp(-x))", -1000.0, 1000.0, -1.0),
    ("-log(1 - sigmoid(z))", 800.0, 800.0, 1.0),
    ("-log(sigmoid(z))", -800.0, 800.0, -1.0),
    ("-log(1 - 1/(1 + exp(-z)))", 800.0, 800.0, 1.0),
    ("-log(1/(1 + exp(-z)))", -800.0, 800.0, -1.0),
    ("log(exp(x)/(1 + exp(x)))", -800.0, -800.0, 1.0),
    ("log(exp(x) + exp(2*x))", 1000.0, 2000.0, 2.0),
]


@pytest.mark.parametrize("text, x, value, slope", CASES, ids=[f"{c[0]}@{c[1]}" for c in CASES])
def test_peers_overflow_difflab_does_not(text, x, value, slope):
    v, d = naive(text, x)
    assert not (v == value and d == slope), "the naive formula should fail here, else the test is vacuous"
    f = dl.Function(text)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert f.value([x]) == pytest.approx(value, rel=1e-15, abs=1e-300)
        for method in METHODS:
            est = dl.gradient(f, [x], method=method)
            assert est.ok, (method, est.status)
            assert est.value[0] == pytest.approx(slope, rel=1e-15, abs=1e-300), method


@pytest.mark.parametrize("text, x, value, slope", CASES, ids=[f"{c[0]}@{c[1]}" for c in CASES])
def test_against_the_adaptive_precision_reference(text, x, value, slope):
    """The reference evaluates the *written* formula at raised precision: the rewrite is an identity."""
    f = dl.Function(text)
    assert float(reference_value(f, [x])) == pytest.approx(value, rel=1e-15, abs=1e-300)
    assert float(reference_gradient(f, [x])[0]) == pytest.approx(slope, rel=1e-15, abs=1e-300)


def test_rewrite_rules():
    x, z, a, b = sympy.symbols("x z a b", real=True)
    e = sympy.exp
    assert stable.rewrite(sympy.log(1 + e(x))) == softplus(x)
    assert stable.rewrite(1 / (1 + e(-z))) == sigmoid(z)
    assert stable.rewrite(e(x) / (1 + e(x))) == sigmoid(x)
    assert stable.rewrite(-sympy.log(sigmoid(z))) == -log_sigmoid(z)
    assert stable.rewrite(-sympy.log(1 - sigmoid(z))) == -log_sigmoid(-z)
    assert stable.rewrite(sympy.log(1 - 1 / (1 + e(-z)))) == log_sigmoid(-z)
    assert stable.rewrite(sympy.log(e(a) + e(b))) == a + softplus(b - a)
    plain = sympy.log(x) + sympy.exp(x) * sympy.sin(z)
    assert stable.rewrite(plain) is plain


@pytest.mark.parametrize("expr", ["log(1 + exp(x))", "-log(1 - sigmoid(x))", "log(1 - 1/(1 + exp(-x)))",
                                  "log(exp(x)/(1 + exp(x)))", "log(exp(x) + exp(-x/2))"])
def test_rewrite_is_an_identity(expr):
    """The rewritten expression equals the written one (at 60 digits, at ordinary points)."""
    written = parse_expr_safe(expr)
    rewritten = stable.rewrite(written)
    assert rewritten != written
    (s,) = written.free_symbols
    for v in (-7.5, -1.0, 0.0, 0.3, 4.0):
        v = sympy.Rational(str(v))
        assert abs(written.subs(s, v).evalf(60) - rewritten.subs(s, v).evalf(60)) < 1e-55


def test_binary_cross_entropy_two_variables():
    """-y log s - (1-y) log(1-s), s = sigmoid(z): at z = +-800 the loss and both partials are exact."""
    f = dl.Function("-y*log(sigmoid(z)) - (1 - y)*log(1 - sigmoid(z))", variables=["z", "y"])
    # dL/dz = sigmoid(z) - y; dL/dy = -log(s) + log(1 - s) = softplus(-z) - softplus(z) = -z
    for z, y in [(-800.0, 1.0), (800.0, 0.0)]:
        loss = f.value([z, y])
        assert loss == 800.0
        for method in METHODS:
            g = dl.gradient(f, [z, y], method=method).value
            s = 1.0 if z > 0 else 0.0
            assert g[0] == pytest.approx(s - y, rel=1e-15)           # sigmoid(z) - y
            assert g[1] == pytest.approx(-z, rel=1e-15)


def test_log1p_and_expm1_in_compiled_code():
    """log(1 + x) and exp(x) - 1 compile to log1p/expm1: no cancellation for tiny x."""
    f = dl.Function("log(1 + x) + exp(x) - 1")
    x = 1e-12
    assert f.value([x]) == pytest.approx(2e-12, rel=1e-15)   # naive: log(1+1e-12) has relative error 1e-4
    src = symbolic.generated_source(f, 0)
    assert "log1p" in src and "expm1" in src
    assert abs(math.log(1 + x) / 1e-12 - 1) > 1e-5


def test_stable_note_in_diff_output(capsys):
    from difflab.cli.entry import main

    assert main(["diff", "-log(1 - sigmoid(z))", "--at", "z=800"]) == 0
    out = capsys.readouterr().out
    assert "value = 800" in out and "stable form: -log_sigmoid(-z)" in out
