"""Properties of dl.check on random expressions: SymPy's own derivative always holds, and a mutated one
(a dropped or extra factor, a sign, a tiny offset, a swapped variable) never does.

The oracle is ``sympy.diff`` printed to text and parsed back (independent of difflab's checker). Every
mutation differs from a nonzero derivative by a nonzero term by construction, except swapping x and y,
which is skipped when the derivative is symmetric (SymPy's evalf at three points).
"""

from __future__ import annotations

import re

import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from difflab.claims.verdict import check
from difflab.expr.parse import parse_expr_safe

LEAVES = ["x", "y", "x*y", "(x + 1/2)", "(2*y - 1)", "3"]
UNARY = ["exp({})", "sin({})", "sigmoid({})", "log(1 + ({})**2)", "tanh({})", "({})**2"]
BINARY = ["{} + {}", "{}*{}", "{} - {}", "({})/(2 + ({})**2)"]


@st.composite
def expressions(draw, depth: int = 3) -> str:
    if depth == 0 or draw(st.integers(0, 3)) == 0:
        return draw(st.sampled_from(LEAVES))
    if draw(st.booleans()):
        return draw(st.sampled_from(UNARY)).format(draw(expressions(depth - 1)))
    return draw(st.sampled_from(BINARY)).format(draw(expressions(depth - 1)), draw(expressions(depth - 1)))


def _same_at_random_points(a: sympy.Expr, b: sympy.Expr) -> bool:
    """SymPy's own evalf at three points (every other mutation differs from d by a nonzero term)."""
    names = {s.name: s for s in (a - b).free_symbols}
    for point in ({"x": 0.37, "y": -1.21}, {"x": -0.83, "y": 0.29}, {"x": 1.7, "y": 0.61}):
        sub = {names[k]: sympy.Float(v, 40) for k, v in point.items() if k in names}
        if abs(complex((a - b).subs(sub).evalf(40))) > 1e-25:
            return False
    return True


def _derivative_text(f: str) -> str:
    expr = parse_expr_safe(f)
    x = next(s for s in expr.free_symbols if s.name == "x")
    return str(sympy.diff(expr, x))


def _has_x(f: str) -> bool:
    """The parsed function depends on x ("x - x" does not)."""
    return bool(re.search(r"\bx\b", f)) and "x" in {s.name for s in parse_expr_safe(f).free_symbols}


@settings(max_examples=25)
@given(expressions().filter(_has_x))
def test_sympys_derivative_holds(f):
    r = check(f, "x", _derivative_text(f), budget=1.0, points=12)
    assert r.holds, (f, r.detail)


@settings(max_examples=25)
@given(expressions().filter(_has_x),
       st.sampled_from(["sign", "factor", "offset", "tiny", "swap"]))
def test_mutated_derivative_never_holds(f, mutation):
    truth = _derivative_text(f)
    d = parse_expr_safe(truth)
    if d == 0:
        return
    x, y = sympy.Symbol("x", real=True), sympy.Symbol("y", real=True)
    claim = {"sign": f"-({truth})", "factor": f"(3/2)*({truth})", "offset": f"{truth} + x/7",
             "tiny": f"({truth})*(1 + 10**(-40))", "swap": str(d.xreplace({x: y, y: x}))}[mutation]
    if mutation == "swap" and _same_at_random_points(parse_expr_safe(claim), d):
        return                                    # a symmetric derivative: the swap changed nothing
    r = check(f, "x", claim, budget=1.0, points=12)
    assert not r.holds, (f, mutation, claim, r.detail)
