"""Property: difference quotients (g(x) - g(c))/(x - c) are removable at c with limits g'(c), g''(c)/2,
g'''(c)/3 -- SymPy derivatives of g, an oracle independent of difflab's limits and series -- and are
accurate near c against the mpmath reference."""

from __future__ import annotations

import re
import warnings

import mpmath
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

import difflab as dl
from difflab.methods import symbolic
from difflab.methods.reference import reference_gradient, reference_hessian, reference_value

X = sympy.Symbol("x", real=True)
# (text for difflab's parser, the same function built directly in SymPy as the oracle)
G = [("exp(x)", sympy.exp(X)), ("sin(x)", sympy.sin(X)), ("cos(2*x)", sympy.cos(2 * X)),
     ("atan(x)", sympy.atan(X)), ("sinh(x)", sympy.sinh(X)), ("log(2 + x)", sympy.log(2 + X)),
     ("sqrt(4 + x)", sympy.sqrt(4 + X)), ("x**3 - x", X**3 - X),
     ("exp(x)*sin(x)", sympy.exp(X) * sympy.sin(X)), ("tanh(x)", sympy.tanh(X))]
CENTERS = [sympy.Rational(v) for v in ("-1", "-1/2", "0", "1/4", "1/2", "1", "3/2")]


def _rel(a: float, b) -> float:
    if abs(b) < 1e-60:
        return abs(a)
    return float(abs(mpmath.mpf(a) - b) / max(abs(a), abs(b)))


@settings(max_examples=12, deadline=None)
@given(pair=st.sampled_from(G), c=st.sampled_from(CENTERS), d=st.sampled_from([1e-2, 1e-5, 1e-8, 1e-11]))
def test_difference_quotient_is_removable(pair, c, d):
    g_text, g = pair
    g_at_c = re.sub(r"\bx\b", f"({c})", g_text)       # g(c) written as text: exp((1)), not SymPy's E
    text = f"({g_text} - ({g_at_c}))/(x - ({c}))"
    f = dl.Function(text)
    # f(c + h) = sum_k g^(k+1)(c)/(k+1)! h^k, so f(c) = g'(c), f'(c) = g''(c)/2, f''(c) = g'''(c)/3
    exact = [sympy.diff(g, X, k + 1).subs(X, c) / (k + 1) for k in range(3)]
    point = float(c)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = [float(f.numpy(point)), float(symbolic.compile_gradient(f)(point)[0]),
               float(symbolic.compile_hessian(f)(point)[0])]
        for a, b in zip(got, exact, strict=True):
            assert _rel(a, sympy.N(b, 30)) <= 1e-12, (text, got, exact)
        for x in (point + d, point - d):
            got = [float(f.numpy(x)), float(symbolic.compile_gradient(f)(x)[0]),
                   float(symbolic.compile_hessian(f)(x)[0])]
            truth = [reference_value(f, [x]), reference_gradient(f, [x])[0], reference_hessian(f, [x])[0][0]]
            for a, b in zip(got, truth, strict=True):
                assert _rel(a, b) <= 1e-10, (text, x, got, [float(t) for t in truth])
