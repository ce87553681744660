"""Symbolic derivatives built term by term: exactly SymPy's, linear in size, sized before they are built."""

from __future__ import annotations

import numpy as np
import pytest
import sympy
from hypothesis import example, given, settings

import difflab as dl
from difflab.errors import InputError
from difflab.expr import sizing
from difflab.expr.derivatives import Differentiator, gradient_exprs, hessian_exprs
from difflab.testing.strategies import expressions

X, Y = sympy.Symbol("x", real=True), sympy.Symbol("y", real=True)


def rosenbrock_text(n: int) -> str:
    return "+".join(f"100*(x{i + 1}-x{i}**2)**2+(1-x{i})**2" for i in range(1, n))


@settings(max_examples=60)
@given(expressions(variables=("x", "y", "z"), max_depth=4, allow_singular=True))
@example(sympy.tanh(sympy.cos(X)))  # a -1 distributed into a sum while multiplying factor by factor
@example(sympy.zoo * X * Y)  # SymPy's 0*zoo terms: nan
def test_partials_are_exactly_sympys(expr):
    """The same expression objects as ``sympy.diff``, first and second order (so nothing downstream,
    compiled code or reference, can tell the difference)."""
    symbols = sorted(expr.free_symbols, key=lambda s: s.name)
    d = Differentiator(symbols)
    first = d.partials(expr)
    for s in symbols:
        expected = sympy.diff(expr, s)
        assert first.get(s, sympy.S.Zero) == expected
        second = d.partials(expected)
        for t in symbols:
            assert second.get(t, sympy.S.Zero) == sympy.diff(expected, t)


def test_second_partial_of_cos_tanh_is_exactly_sympys():
    """Was (1 - t**2)*(t**2 - 1)*cos(t) against sympy.diff's -(1 - t**2)**2*cos(t), t = tanh(x): the
    product rule multiplied factor by factor, and a -1 meeting a sum first was distributed into it."""
    x = sympy.Symbol("x", real=True)
    first = sympy.diff(sympy.cos(sympy.tanh(x)), x)
    assert Differentiator([x]).partials(first)[x] == sympy.diff(first, x)


def test_rosenbrock_gradient_and_hessian_match_the_closed_forms():
    """SciPy's rosen_der / rosen_hess formulas, written out here, at a point of 7 variables."""
    n = 7
    f = dl.Function(rosenbrock_text(n), variables=[f"x{i}" for i in range(1, n + 1)])
    x = np.linspace(-1.2, 1.3, n)
    der = np.zeros(n)
    der[1:-1] = 200 * (x[1:-1] - x[:-2] ** 2) - 400 * (x[2:] - x[1:-1] ** 2) * x[1:-1] - 2 * (1 - x[1:-1])
    der[0] = -400 * x[0] * (x[1] - x[0] ** 2) - 2 * (1 - x[0])
    der[-1] = 200 * (x[-1] - x[-2] ** 2)
    H = np.diag(-400 * x[:-1], 1) + np.diag(-400 * x[:-1], -1)
    diagonal = np.zeros(n)
    diagonal[0] = 1200 * x[0] ** 2 - 400 * x[1] + 2
    diagonal[-1] = 200
    diagonal[1:-1] = 202 + 1200 * x[1:-1] ** 2 - 400 * x[2:]
    H += np.diag(diagonal)
    g = dl.gradient(f, x, method="symbolic")
    h = dl.hessian(f, x, method="symbolic")
    assert np.allclose(g.value, der, rtol=1e-14, atol=1e-12)
    assert np.allclose(h.value, H, rtol=1e-14, atol=1e-12)
    assert h.ok and g.ok


def test_only_variables_a_term_contains_are_differentiated():
    f = dl.Function(rosenbrock_text(40))
    grad = gradient_exprs(f)
    hess = hessian_exprs(f)
    nonzero = sum(1 for row in hess for e in row if e != 0)
    assert nonzero == 3 * 40 - 2                  # tridiagonal
    assert all(len(g.free_symbols) <= 3 for g in grad)


def quartic_text(n: int, m: int) -> str:
    """1/4 sum_k (a_k . x)^4 written out, a_k with all-nonzero integer entries."""
    rows = []
    for k in range(m):
        dot = "+".join(f"{(k + 2 * j) % 7 + 1}*x{j}" for j in range(n))
        rows.append(f"0.25*({dot})**4")
    return "+".join(rows)


def test_hessian_terms_are_counted_exactly_before_building(monkeypatch):
    n, m = 9, 6
    f = dl.Function(quartic_text(n, m))
    assert sizing.count_gradient_terms(f, f.expr) == m * n
    assert sizing.count_hessian_terms(f, gradient_exprs(f)) == m * n * (n + 1) // 2


def test_a_huge_symbolic_hessian_is_refused_in_words(monkeypatch):
    monkeypatch.setattr(sizing, "MAX_TERMS", 500)
    f = dl.Function(quartic_text(12, 7))     # Hessian: 7 * 78 = 546 terms; gradient: 84
    assert dl.gradient(f, np.ones(12)).ok
    with pytest.raises(InputError) as info:
        dl.hessian(f, np.ones(12))
    assert str(info.value).startswith("the symbolic Hessian of this function written out would have about "
                                      "546 terms over 12 variables (more than 500")
    assert "method 'reverse' or 'forward'" in str(info.value)
    assert dl.hessian(f, np.ones(12), method="reverse").ok


def test_long_text_needs_an_explicit_max_length():
    text = rosenbrock_text(320)
    assert len(text) > 10_000
    with pytest.raises(dl.ParseError, match="expression is longer than 10000 characters"):
        dl.Function(text)
    f = dl.Function(text, max_length=len(text))
    assert f.n == 320
    with pytest.raises(dl.ParseError, match="expression is longer than 50 characters"):
        dl.Function(rosenbrock_text(5), max_length=50)


def test_cli_max_length(capsys):
    from difflab.cli.entry import main

    text = rosenbrock_text(320)
    assert main(["diff", text, "--at", ",".join(["0.5"] * 320), "--json"]) == 2
    assert "expression is longer than 10000 characters" in capsys.readouterr().err
    assert main(["diff", text, "--at", ",".join(["0.5"] * 320), "--max-length", "20000", "--json"]) == 0
    out = capsys.readouterr().out
    assert '"gradient"' in out
    assert main(["diff", "x**2", "--at", "x=1", "--max-length", "0"]) == 2
    assert capsys.readouterr().err.strip().endswith("--max-length needs a positive whole number, not '0'")
