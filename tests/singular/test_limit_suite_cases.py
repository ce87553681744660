"""Removable singularities at 0 from SymPy's limit tests (sympy/series/tests/test_limits.py) and the classic
ones, plus issue 13's one-variable cases: f, f', f'' right at and near the point.

Truth at the point: SymPy's ``series`` coefficients (independent of difflab's Cauchy-integral route); near
it: mpmath at 50 digits on the formula itself (``mpmath.diff`` never evaluates at the singular point).
"""

from __future__ import annotations

import json
import math

import mpmath
import numpy as np
import pytest
import sympy

import difflab as dl
from difflab.expr.budget import limits

# (difflab text, SymPy text with the same meaning); all removable at x = 0
CASES = [
    ("(exp(x) - 1)/x", "(exp(x) - 1)/x"),                                  # test_limits: == 1
    ("((x + 1)**(1/x) - E)/x".replace("E", "exp(1)"), "((x + 1)**(1/x) - E)/x"),   # == -E/2
    ("(1 + x)**(1/x)", "(1 + x)**(1/x)"),                                  # == E
    # test_limits: exp(1/sin(x))/exp(cot(x)) == 1; 1/sin - cot = tan(x/2), so f = exp(tan(x/2)) =
    # 1 + x/2 + x^2/8 + ...: f' = 1/2, f'' = 1/4 (by hand; SymPy's series of the quotient form gives 0)
    ("exp(1/sin(x) - cos(x)/sin(x))", "exp(tan(x/2))"),
    ("sin(x)/x", "sin(x)/x"),
    ("(1 - cos(x))/x**2", "(1 - cos(x))/x**2"),
    ("(tan(x) - x)/x**3", "(tan(x) - x)/x**3"),
    ("(x - sin(x))/x**3", "(x - sin(x))/x**3"),
    ("log(1 + x)/x", "log(1 + x)/x"),
    ("(exp(x) - 1 - x)/x**2", "(exp(x) - 1 - x)/x**2"),
    ("x/tan(x)", "x/tan(x)"),
    ("(sqrt(1 + x) - 1)/x", "(sqrt(1 + x) - 1)/x"),
    ("(x - sin(2*x))/(x + sin(3*x))", "(x - sin(2*x))/(x + sin(3*x))"),   # issue 13: -1/4, 0, 5/48
    ("sinh(x)/x", "sinh(x)/x"),
]
NEAR = (1e-2, -1e-2, 1e-6, -1e-6, 1e-8, -1e-8, 1e-10, -1e-10)
TOL = 1e-10


def _series_truth(text: str) -> list[float]:
    x = sympy.Symbol("x")
    s = sympy.series(sympy.sympify(text), x, 0, 3).removeO()
    return [float(math.factorial(k) * s.coeff(x, k)) for k in range(3)]


def _mp_truth(text: str, at: float) -> list[float]:
    x = sympy.Symbol("x")
    fn = sympy.lambdify(x, sympy.sympify(text), "mpmath")
    with mpmath.workdps(50):
        return [float(mpmath.diff(fn, mpmath.mpf(at), k)) for k in range(3)]


def _rel(a: float, b: float) -> float:
    return 0.0 if a == b else abs(a - b) / max(abs(a), abs(b), 1e-300)


def _ours(f: dl.Function, at: float) -> list[float]:
    g = dl.gradient(f, [at], method="symbolic")
    h = dl.hessian(f, [at], method="symbolic")
    ok = g.status == "ok" and h.status == "ok"  # a status in words is not a value
    return [f.value([at]), float(g.value[0]), float(h.value[0, 0])] if ok else [math.nan] * 3


def score() -> tuple[int, int, list[str]]:
    good, total, bad = 0, 0, []
    for ours, theirs in CASES:
        f = dl.Function(ours)
        for at in (0.0, *NEAR):
            truth = _series_truth(theirs) if at == 0 else _mp_truth(theirs, at)
            got = _ours(f, at)
            for k in range(3):
                total += 1
                if _rel(got[k], truth[k]) <= TOL or abs(got[k] - truth[k]) <= 1e-300:
                    good += 1
                else:
                    bad.append(f"{ours} at {at}: f^({k}) = {got[k]!r}, truth {truth[k]!r}")
    return good, total, bad


def test_every_value_and_derivative_right_at_and_near_the_point():
    good, total, bad = score()
    assert total == len(CASES) * (1 + len(NEAR)) * 3
    assert good == total, "\n".join(bad)


def test_issue_13_quotient_is_removable_with_its_limits():
    # x - sin 2x = -x + 4x^3/3 - ..., x + sin 3x = 4x - 9x^3/2 + ...: f = -1/4 + (5/96) x^2 + ... by hand,
    # so f(0) = -1/4, f'(0) = 0, f''(0) = 5/48
    f = dl.Function("(x - sin(2*x))/(x + sin(3*x))")
    assert _ours(f, 0.0) == pytest.approx([-0.25, 0.0, 5 / 48], rel=1e-14, abs=1e-15)
    words = " ".join(dl.gradient(f, [0.0], method="symbolic").notes)
    assert "removable" in words and "pole" not in words


def test_one_sided_limit_is_not_called_a_limit():
    # 0.5**(1/x) = 2**(-1/x): from the right -> 0, from the left 2**(1/|x|) -> +inf
    f = dl.Function("0.5**(1/x)")
    est = dl.gradient(f, [0.0], method="symbolic")
    assert est.status != "ok"
    assert "+inf from the left and 0 from the right" in est.status
    assert math.isnan(f.value([0.0]))


def test_a_limit_not_found_within_the_budget_says_so():
    # with no time at all the zeros of x**2 are never found: at 1e-9 the formula is 0 (truth 1/2) and its
    # derivative 1e9 (truth -8.3e-11); neither may come out with status ok
    with limits(seconds=0.0):
        f = dl.Function("(1 - cos(x))/x**2")
        est = dl.gradient(f, [1e-9], method="symbolic")
    assert est.status != "ok"
    assert "time budget" in est.status and "not trusted" in est.status
    # the numbers are withheld, not printed beside the words: 1e9 must not be read as the derivative
    assert np.isnan(est.value).all() and est.error_estimate is None


def test_the_cli_withholds_untrusted_numbers_as_null(capsys):
    from difflab.cli.entry import main

    with limits(seconds=0.0):
        code = main(["diff", "(1 - cos(x))/x**2", "--at", "x=1e-9", "--json"])
    data = json.loads(capsys.readouterr().out)
    assert code == 0
    assert data["value"] is None and data["gradient"] == [None]  # truth 1/2 and -8.3e-11, not 0 and 1e9
    assert any("withheld" in n for n in data["notes"])


def test_numeric_zeros_of_a_transcendental_denominator():
    from difflab.singular.zeros import numeric_zeros

    x = sympy.Symbol("x")
    zs = numeric_zeros(x + sympy.sin(3 * x), x)
    assert zs == [0]  # |sin| <= 1 puts every zero in [-1, 1]; x + sin 3x > 0 on (0, 1] (checked by hand)
    zs = sorted(float(z) for z in numeric_zeros(sympy.cos(x) - x, x))
    assert zs == pytest.approx([0.7390851332151607], rel=1e-15)  # the Dottie number


if __name__ == "__main__":
    g, t, b = score()
    print(f"{g}/{t}")
    print("\n".join(b))
    np.set_printoptions()
