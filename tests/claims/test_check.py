"""dl.check on the seed notes' chain-rule results (000/002), mutated claims, abbreviations, domains.

Oracles: the seed documents' own formulas (claims the course states), and for every counterexample
the true derivative recomputed independently here with ``mpmath.diff`` on a hand-written mpmath
version of the function (no difflab code) and the claim evaluated by hand.
"""

from __future__ import annotations

import mpmath
import pytest

import difflab as dl
from difflab.claims.verdict import check
from difflab.errors import InputError, ParseError

LOSS = "-y*log(yh) - (1 - y)*log(1 - yh)"
PERCEPTRON = {"yh": "sigmoid(x1*w1 + x2*w2 + b)"}
REGRESSION = {"yh": "x1*w1 + x2*w2 + b"}
NET = {"yh": "sigmoid(a1*w1 + a2*w2 + b)",
       "a1": "sigmoid(x1*w11 + x2*w21 + b1)",
       "a2": "sigmoid(x1*w12 + x2*w22 + b2)"}


def _sig(z):
    return 1 / (1 + mpmath.exp(-z))


def _net_loss(p: dict, wrt: str):
    """The 2-2-1 network's log-loss written directly in mpmath, as a function of one parameter."""
    def f(t):
        q = {**p, wrt: t}
        a1 = _sig(q["x1"] * q["w11"] + q["x2"] * q["w21"] + q["b1"])
        a2 = _sig(q["x1"] * q["w12"] + q["x2"] * q["w22"] + q["b2"])
        yh = _sig(a1 * q["w1"] + a2 * q["w2"] + q["b"])
        return -q["y"] * mpmath.log(yh) - (1 - q["y"]) * mpmath.log(1 - yh)
    return f


def _perceptron_loss(p: dict, wrt: str):
    def f(t):
        q = {**p, wrt: t}
        yh = _sig(q["x1"] * q["w1"] + q["x2"] * q["w2"] + q["b"])
        return -q["y"] * mpmath.log(yh) - (1 - q["y"]) * mpmath.log(1 - yh)
    return f


def _true_slope(loss, point: dict, wrt: str) -> float:
    with mpmath.workdps(40):
        p = {k: mpmath.mpf(v) for k, v in point.items()}
        return float(mpmath.diff(loss(p, wrt), p[wrt]))


# -- seed 000 / 002: the chain-rule results that are right --------------------------------------
@pytest.mark.parametrize("wrt, claim", [("b", "-(y - yh)"), ("w1", "-(y - yh)*x1"), ("w2", "-(y - yh)*x2")])
def test_regression_perceptron_seed_results_hold(wrt, claim):
    r = check("(1/2)*(y - yh)**2", wrt, claim, REGRESSION)
    assert r.holds and r.proof == "symbolic" and r.counterexample is None


@pytest.mark.parametrize("wrt, claim", [("b", "-(y - yh)"), ("w1", "-(y - yh)*x1"), ("w2", "-(y - yh)*x2")])
def test_classification_perceptron_seed_results_hold(wrt, claim):
    r = check(LOSS, wrt, claim, PERCEPTRON)
    assert r.holds and r.proof == "symbolic"


def test_partial_derivatives_of_seed_002_hold():
    # dL/dyh (yh as a variable), dyh/dw1 = yh(1 - yh) x1, dyh/db = yh(1 - yh)
    assert check(LOSS, "yh", "-(y - yh)/(yh*(1 - yh))").holds
    assert check("yh", "w1", "yh*(1 - yh)*x1", PERCEPTRON).holds
    assert check("yh", "b", "yh*(1 - yh)", PERCEPTRON).holds
    assert check("(1/2)*(y - yh)**2", "yh", "-(y - yh)").holds


@pytest.mark.parametrize("f", ["1/(1 + exp(-z))", "sigmoid(z)"])
def test_sigmoid_derivative(f):
    assert check(f, "z", "sigmoid(z)*(1 - sigmoid(z))").holds
    assert check(f, "z", "exp(-z)/(1 + exp(-z))**2").holds
    wrong = check(f, "z", "sigmoid(z)*(1 + sigmoid(z))")
    assert not wrong.holds
    shown = dl.parse_expr_safe(wrong.difference)       # the difference is -2*sigmoid(z)**2, in some form
    z = next(iter(shown.free_symbols))
    assert float(shown.subs(z, 0.3)) == pytest.approx(-2 / (1 + mpmath.exp(-0.3)) ** 2, rel=1e-12)


@pytest.mark.parametrize("wrt, claim", [
    ("w11", "-x1*w1*a1*(1 - a1)*(y - yh)"),          # seed 000 and 002
    ("w21", "-x2*w1*a1*(1 - a1)*(y - yh)"),          # the chain rule's w21 (z1 = x1*w11 + x2*w21 + b1)
    ("b1", "-w1*a1*(1 - a1)*(y - yh)"),
    ("w1", "-a1*(y - yh)"), ("w2", "-a2*(y - yh)"), ("b", "-(y - yh)"),   # seed 002's output layer
])
def test_network_221_weight_derivatives_hold(wrt, claim):
    r = check(LOSS, wrt, claim, NET)
    assert r.holds and r.proof == "symbolic", r.detail


# -- the seed's wrong claims, and mutations: never reported as holding ---------------------------
@pytest.mark.parametrize("wrt, claim, hint", [
    ("w21", "-x2*w2*a1*(1 - a1)*(y - yh)", "truth / claim = w1/w2"),   # seed 002 uses w2
    ("w11", "x1*w1*a1*(1 - a1)*(y - yh)", "wrong sign: truth = -claim"),  # its update rule
    ("b1", "a1*(1 - a1)*(y - yh)", "truth / claim = -w1"),             # seed 002's b1 update drops w1
])
def test_seed_002_network_mistakes_are_caught(wrt, claim, hint):
    r = check(LOSS, wrt, claim, NET)
    assert not r.holds and r.proof is None
    cex = r.counterexample
    assert cex["hint"] == hint
    true = _true_slope(_net_loss, cex["point"], wrt)
    assert cex["true_value"] == pytest.approx(true, rel=1e-12)
    p, a = cex["point"], cex["abbreviations"]
    by_hand = {"w21": -p["x2"] * p["w2"] * a["a1"] * (1 - a["a1"]) * (p["y"] - a["yh"]),
               "w11": p["x1"] * p["w1"] * a["a1"] * (1 - a["a1"]) * (p["y"] - a["yh"]),
               "b1": a["a1"] * (1 - a["a1"]) * (p["y"] - a["yh"])}[wrt]
    assert cex["claimed_value"] == pytest.approx(by_hand, rel=1e-9)
    assert abs(true - by_hand) > 1e-6 * max(abs(true), abs(by_hand))


@pytest.mark.parametrize("wrt", ["b", "w1", "w2"])
def test_seed_002_dropped_factor_is_caught(wrt):
    # seed 002: "dL/dw1 = dL/dyh * dyh/dw1 = -(y - yh)/(yh(1 - yh))" (the factor dyh/dw1 is lost)
    r = check(LOSS, wrt, "-(y - yh)/(yh*(1 - yh))", PERCEPTRON)
    assert not r.holds
    factor = {"b": "-yh*(yh - 1)", "w1": "-x1*yh*(yh - 1)", "w2": "-x2*yh*(yh - 1)"}[wrt]
    assert r.counterexample["hint"] == f"truth / claim = {factor}"
    assert r.counterexample["true_value"] == pytest.approx(
        _true_slope(_perceptron_loss, r.counterexample["point"], wrt), rel=1e-12)


@pytest.mark.parametrize("claim", [
    "(y - yh)*x1",              # sign
    "-(y - yh)*x2",             # wrong input
    "-(y - yh)",                # dropped x1
    "-2*(y - yh)*x1",           # factor 2
    "-(y - yh)*x1*yh*(1 - yh)",  # extra sigmoid' factor
    "-(y - yh)*x1 + 10**(-30)",  # off by far less than double precision
])
def test_mutated_perceptron_claims_never_hold(claim):
    r = check(LOSS, "w1", claim, PERCEPTRON)
    assert not r.holds and r.proof is None


def test_offsets_far_below_double_precision_are_caught():
    r = check("((x + y)**30 + 1)**30", "x", "900*(x + y)**29*((x + y)**30 + 1)**29*(1 + 10**(-60))")
    assert not r.holds
    assert r.counterexample["relative_difference"] == pytest.approx(1e-60, rel=1e-6)
    r = check("x**2", "x", "2*x + 10**(-80)")
    x = r.counterexample["point"]["x"]
    assert not r.holds and r.counterexample["relative_difference"] == pytest.approx(1e-80 / (2 * x), rel=1e-6)
    r = check("x**2", "x", "2*x + 10**(-300)")       # below even the 200-digit test: SymPy's constant
    assert not r.holds and "nonzero constant" in r.detail


def test_true_claim_sympy_cannot_simplify_holds_numerically():
    # sqrt(x + 2 sqrt(x - 1)) = 1 + sqrt(x - 1) for x >= 1: SymPy's strategies do not denest it
    r = check("sqrt(x + 2*sqrt(x - 1))", "x", "1/(2*sqrt(x - 1))")
    assert r.holds and r.proof == "numeric"
    assert "40 random points" in r.detail and "100 significant digits with rounding-error bounds" in r.detail
    r = check("tanh(x/2)", "x", "2*sigmoid(x)*(1 - sigmoid(x))")
    assert r.holds and r.proof in ("numeric", "symbolic")


def test_without_budget_the_numeric_test_decides():
    r = check(LOSS, "w1", "-(y - yh)*x1", PERCEPTRON, budget=0)
    assert r.holds and r.proof == "numeric"
    assert "within 0 s" in r.detail


# -- abbreviations --------------------------------------------------------------------------------
def test_abbreviations_equal_the_expanded_claim():
    expanded = "-(y - sigmoid(x1*w1 + x2*w2 + b))*x1"
    assert check(LOSS, "w1", expanded, PERCEPTRON).holds
    full = "-y*log(sigmoid(x1*w1 + x2*w2 + b)) - (1 - y)*log(1 - sigmoid(x1*w1 + x2*w2 + b))"
    assert check(full, "w1", "-(y - yh)*x1", PERCEPTRON).holds
    assert check(full, "w1", expanded).holds


def test_abbreviations_may_use_each_other_and_show_in_the_difference():
    r = check(LOSS, "w21", "-x2*w2*a1*(1 - a1)*(y - yh)", NET)
    assert r.difference == "a1*x2*(a1 - 1)*(w1 - w2)*(y - yh)"
    assert set(r.counterexample["abbreviations"]) == {"yh", "a1", "a2"}


def test_abbreviation_values_at_the_counterexample():
    r = check(LOSS, "w1", "-(y - yh)", PERCEPTRON)
    p = r.counterexample["point"]
    yh = 1 / (1 + mpmath.exp(-(p["x1"] * p["w1"] + p["x2"] * p["w2"] + p["b"])))
    assert r.counterexample["abbreviations"]["yh"] == pytest.approx(float(yh), rel=1e-14)


def test_bad_abbreviations_and_variables():
    with pytest.raises(ParseError, match="abbreviation 'yh' refers to itself"):
        check(LOSS, "w1", "0", {"yh": "sigmoid(yh)"})
    with pytest.raises(ParseError, match="'exp' is a function or constant and cannot be redefined"):
        check(LOSS, "w1", "0", {"exp": "x"})
    with pytest.raises(InputError) as err:
        check(LOSS, "yh", "0", PERCEPTRON)
    assert str(err.value) == ("'yh' is an abbreviation, not a variable: differentiate with respect to one of "
                              "the function's variables (b, w1, w2, x1, x2, y)")
    with pytest.raises(InputError) as err:
        check("x**2", "q", "2*x")
    assert str(err.value) == ("the function does not depend on 'q' (its variables: x); "
                              "if a name in it stands for an expression, define it with --let NAME=EXPR")
    with pytest.raises(ParseError):
        check("x**2", "x", "__import__('os')")
    with pytest.raises(InputError, match="points must be an integer from 1 to 1000, got 0"):
        check("x**2", "x", "2*x", points=0)
    with pytest.raises(InputError, match="points must be an integer from 1 to 1000, got 100000000"):
        check("x**2", "x", "2*x", points=10**8)  # ran for minutes


# -- domains, higher derivatives, the other seeds ---------------------------------------------------
def test_points_stay_inside_the_domain():
    assert check("log(x)", "x", "1/x").holds
    assert check("-y*log(yh)", "yh", "-y/yh").holds
    r = check("sqrt(x)*log(1 - x)", "x", "log(1 - x)/(2*sqrt(x)) - sqrt(x)/(1 - x)")
    assert r.holds


def test_claim_undefined_where_the_derivative_is_defined():
    r = check("x**2", "x", "2*x + sqrt(x - 100)*sqrt(100 - x)")   # not real anywhere but x = 100
    assert not r.holds and r.proof is None
    assert r.counterexample["claimed_value"] is None
    assert "the claim is undefined" in r.detail


def test_second_derivatives_of_seed_002_newton_example():
    f = "x**4 + 0.8*y**4 + 4*x**2 + 2*y**2 - x*y - 0.2*x**2*y"
    assert check(f, "x", "4*x**3 + 8*x - y - 0.4*x*y").holds
    assert check(f, "y", "3.2*y**3 + 4*y - x - 0.2*x**2").holds
    assert check(f, "x,y", "-1 - 0.4*x").holds
    assert check(f, ["y", "y"], "9.6*y**2 + 4").holds
    assert check(f, "x,x", "12*x**2 + 8 - 0.4*y").holds
    wrong = check(f, "x,x", "12*x**2 + 8 - 0.4*x*y")     # as the seed writes it
    assert not wrong.holds and wrong.difference in ("0.4*y*(x - 1)", "2*y*(x - 1)/5")
    assert check("exp(x) - log(x)", "x,x", "exp(x) + 1/x**2").holds


def test_seed_004_slope_of_squared_error():
    assert check("(x1*w1 + x2*w2 + x3*w3 - t)**2", "w2", "2*(x1*w1 + x2*w2 + x3*w3 - t)*x2").holds


def test_public_entry_point_and_function_objects():
    assert dl.check(dl.Function("x*exp(x)"), "x", "(1 + x)*exp(x)").holds
    with pytest.raises(InputError, match="could not be traced"):
        dl.check(dl.Function(lambda x: x if x > 0 else -x, variables=["x"]), "x", "1")


def test_points_beyond_double_range_are_skipped_not_computed_forever():
    # at x = 12, exp(exp(exp(exp(x)))) has an exponent of ~10**70000 digits: mpmath would never finish
    f = "exp(exp(exp(exp(x))))"
    r = check(f, "x", "exp(exp(exp(exp(x))))*exp(exp(exp(x)))*exp(exp(x))*exp(x)")
    assert r.holds and r.proof == "symbolic"
    assert not check(f, "x", "exp(exp(exp(exp(x))))*exp(exp(exp(x)))*exp(exp(x))").holds


def test_sympy_input_and_typos_in_the_claim():
    import sympy

    x = sympy.Symbol("x")                        # no assumptions: matched to the parser's real x
    assert check(x**2 * sympy.sin(x), "x", "2*x*sin(x) + x**2*cos(x)").holds
    r = check("x**2", "x", "2*x + x3")
    assert not r.holds and r.detail.endswith("(note: the claim uses x3, which the function does not)")


def test_piecewise_claims_meet_their_other_branch():
    r = check("x**2/2", "x", "min(x, 20)")          # right only for x <= 20
    assert not r.holds and r.counterexample["point"]["x"] > 20
    r = check("min(x, y)*x", "x", "min(x, y) + x*max(0, y - x)/abs(y - x)")   # true, beyond SymPy
    assert r.holds and r.proof == "numeric" and "120 random points" in r.detail
    assert "abs/max/min/sign" in r.detail


def test_rounding_that_hides_a_value_is_not_a_counterexample():
    import sympy

    # 1/(1+e^-500) - 1/(1+e^-500)**2 is 0 at 50 and 100 digits (true value 7.1e-218): more digits decide
    from difflab.claims.numeric import _compare, _Evaluator
    from difflab.expr.parse import parse_expr_safe

    f = parse_expr_safe("1/(1 + exp(-z))")
    a = parse_expr_safe("1/(1 + exp(-z)) - 1/(1 + exp(-z))**2")
    b = parse_expr_safe("exp(-z)/(1 + exp(-z))**2")
    z = sorted(a.free_symbols, key=str)
    ev = _Evaluator(a, b, [f], z, [])
    assert _compare(ev, [500.0], 50)[0] == "agree"
    assert _compare(ev, [0.3], 50)[0] == "agree"
    assert _compare(_Evaluator(a, 2 * b, [f], z, []), [0.3], 50)[0] == "differ"
    assert _compare(_Evaluator(a, b * (1 + sympy.Rational(1, 10**70)), [f], z, []), [0.3], 50)[0] == "differ"
    assert check("1/(1 + exp(-z))", "z", "1/(1 + exp(-z)) - 1/(1 + exp(-z))**2").holds


def test_differences_beyond_any_fixed_precision_are_caught_from_the_reduced_difference():
    r = check("x**2", "x", "2*x + exp(-1000)*x")       # agrees with the truth to 434 digits
    assert not r.holds
    x = r.counterexample["point"]["x"]
    rel = mpmath.exp(-1000) * x / (2 * x + mpmath.exp(-1000) * x)
    assert r.counterexample["relative_difference_digits"] == mpmath.nstr(rel, 3)


def test_claim_undefined_on_part_of_the_domain_does_not_hold():
    # d/dx x = 1 for every x; log(x**2)/(2*log(x)) = 1 only for x > 0 (log(x) is not real for x < 0)
    r = check("x", "x", "log(x**2)/(2*log(x))")
    assert not r.holds and r.counterexample["point"]["x"] < 0
    assert r.counterexample["claimed_value"] is None


def test_a_strategy_that_runs_away_cannot_hang_a_check(monkeypatch):
    import threading
    import time

    from difflab.claims import symbolic as check_symbolic
    def runaway(d):
        while True:          # pure Python: stopped by the budget's asynchronous exception
            sum(range(1000))

    monkeypatch.setattr(check_symbolic, "STRATEGIES", (("runaway", runaway),))
    before = threading.active_count()
    start = time.monotonic()
    r = check("x**3", "x", "3*(x + 1)**2 - 6*x - 3", budget=0.5)
    assert time.monotonic() - start < 5
    assert r.holds and r.proof == "numeric" and "runaway (over budget)" in r.detail
    for _ in range(50):       # the abandoned worker stops too
        if threading.active_count() <= before:
            break
        time.sleep(0.05)
    assert threading.active_count() <= before
