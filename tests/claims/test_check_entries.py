"""Claims about Jacobian entries, Jacobian rows, whole Jacobians and gradients (lists): verdicts against
derivatives written by hand, and every refusal of a claim's shape with its exact words."""

from __future__ import annotations

import json

import pytest

import difflab as dl
from difflab.claims.entries import claim_shape
from difflab.cli.entry import main
from difflab.errors import InputError, ParseError

F = "[x*y, sin(x) + y**2]"  # Jacobian by hand: [[y, x], [cos(x), 2*y]]


def test_one_entry_of_a_component():
    assert dl.check(F, "x", "cos(x)", component=1).holds
    wrong = dl.check(F, "x", "sin(x)", component=1)
    assert not wrong.holds and wrong.counterexample is not None
    assert "df1/dx of [x*y, sin(x) + y**2]" in str(wrong)
    assert dl.check(F, "x,y", "0", component=1).holds  # a mixed second derivative of component 1
    assert not dl.check(F, "x,y", "1", component=1).holds


def test_a_row_the_whole_jacobian_and_a_gradient():
    assert dl.check(F, "x,y", "[cos(x), 2*y]", component=1).holds
    assert dl.check(F, None, "[[y, x], [cos(x), 2*y]]").holds  # wrt defaults to the variables (x, y)
    assert dl.check(F, "y,x", "[[x, y], [2*y, cos(x)]]").holds  # columns follow --wrt
    assert dl.check("x**2*y", None, [["2*x*y"][0], "x**2"]).holds  # Python lists too
    r = dl.check("x**2*y", "x,y", "[2*x*y, x**2]")
    assert r.holds and r.proof == "symbolic" and [e["entry"] for e in r.entries] == ["d/dx", "d/dy"]


def test_the_first_wrong_entry_is_named_with_its_counterexample():
    r = dl.check(F, None, "[[y, x], [-cos(x), 2*y], ]".replace(", ]", "]"))
    assert not r.holds and r.first_wrong_entry == "df1/dx"
    assert r.counterexample["entry"] == "df1/dx" and r.counterexample["index"] == [1, 0]
    x = r.counterexample["point"]["x"]
    import math
    assert r.counterexample["true_value"] == pytest.approx(math.cos(x), rel=1e-15)
    assert r.counterexample["claimed_value"] == pytest.approx(-math.cos(x), rel=1e-15)
    assert [e["holds"] for e in r.entries] == [True, True, False, True]
    assert "1 of 4 entries do not hold; the first is df1/dx" in r.detail
    assert "WRONG" in str(r)


@pytest.mark.parametrize("kwargs, message", [
    ({"f": "x*y", "wrt": "x", "claim": "y", "component": 0},
     "--component picks a component of a vector-valued function '[f1, f2, ...]'; this function is scalar"),
    ({"f": F, "wrt": "x", "claim": "y", "component": 2},
     "--component 2 is out of range: the function has 2 components, numbered 0 to 1"),
    ({"f": F, "wrt": "x", "claim": "y", "component": -1},
     "--component -1 is out of range: the function has 2 components, numbered 0 to 1"),
    ({"f": F, "wrt": "x", "claim": "y", "component": "1"}, "--component must be an integer, got '1'"),
    ({"f": F, "wrt": "x", "claim": "y"},
     "a claim about a vector-valued function needs --component I (0 to 1) for one component, or the whole "
     "Jacobian as a list of lists '[[...], ...]'"),
    ({"f": F, "wrt": None, "claim": "[y, x]"},
     "a claim about a vector-valued function needs --component I (0 to 1) for one component, or the whole "
     "Jacobian as a list of lists '[[...], ...]'"),
    ({"f": F, "wrt": None, "claim": "[[y, x], [cos(x), 2*y]]", "component": 0},
     "--component picks one component: claim its derivative (an expression) or its gradient (a list), not a "
     "list of lists"),
    ({"f": "x*y", "wrt": None, "claim": "[[y], [x]]"},
     "a list of lists claims a Jacobian, which needs a vector-valued function '[f1, f2, ...]'; for a second "
     "derivative use --wrt x,y with one expression"),
    ({"f": "x*y", "wrt": "x,x", "claim": "[y, y]"},
     "with a list claim --wrt names the variables of the gradient, each once; 'x' appears twice"),
    ({"f": F, "wrt": None, "claim": "[[y, x], cos(x)]"},
     "the claim mixes lists and expressions: give a list of expressions (a gradient) or a list of lists (a "
     "Jacobian)"),
    ({"f": "x*y", "wrt": None, "claim": "[]"}, "the claim is an empty list"),
    ({"f": "x*y", "wrt": None, "claim": []}, "the claim is an empty list"),
    ({"f": "x*y", "wrt": None, "claim": "[y, x, 1]"},
     "the claim has 3 entries but there are 2 variables (x, y)"),
    ({"f": "x*y", "wrt": "x", "claim": "[y, x]"}, "the claim has 2 entries but there is 1 variable (x)"),
    ({"f": F, "wrt": None, "claim": "[[y, x]]"}, "the Jacobian claim has 1 row but the function has 2 components"),
    ({"f": F, "wrt": None, "claim": "[[y, x], [cos(x)]]"},
     "row 1 of the Jacobian claim has 1 entry but there are 2 variables (x, y)"),
    ({"f": F, "wrt": None, "claim": "cos(x)", "component": 1},
     "check needs wrt, the variable to differentiate by (or a list claim, which differentiates by every "
     "variable)"),
])
def test_every_refusal_has_its_exact_words(kwargs, message):
    f, wrt, claim = kwargs.pop("f"), kwargs.pop("wrt"), kwargs.pop("claim")
    with pytest.raises(InputError) as err:
        dl.check(f, wrt, claim, **kwargs)
    assert str(err.value) == message


def test_the_shape_words_come_from_one_place():
    assert claim_shape("rows", got=3, m=2) == "the Jacobian claim has 3 rows but the function has 2 components"


def test_a_parse_error_in_an_entry_names_its_position_in_the_whole_claim():
    with pytest.raises(ParseError) as err:
        dl.check(F, None, "[[y, x], [cos(x), 2y]]")
    assert err.value.position == "[[y, x], [cos(x), 2y]]".index("2y") + 1  # after the digit: 'y' is implicit


def test_cli_component_and_jacobian_claims(capsys):
    assert main(["check", F, "--component", "1", "--wrt", "x", "--claim", "cos(x)"]) == 0
    assert "df1/dx of [x*y, sin(x) + y**2]" in capsys.readouterr().out
    assert main(["check", F, "--claim", "[[y, x], [cos(x), y]]", "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["holds"] is False and data["first_wrong_entry"] == "df1/dy"
    assert [e["entry"] for e in data["entries"]] == ["df0/dx", "df0/dy", "df1/dx", "df1/dy"]
    assert data["counterexample"]["true_value"] == pytest.approx(2 * data["counterexample"]["point"]["y"])
    assert main(["check", F, "--component", "5", "--wrt", "x", "--claim", "y"]) == 2
    err = capsys.readouterr().err
    assert err == "difflab check: error: --component 5 is out of range: the function has 2 components, " \
                  "numbered 0 to 1\n"
    assert main(["check", "x*y", "--claim", "[y, x]", "--json"]) == 0  # a gradient: --wrt optional
    assert main(["check", "x*y", "--claim", "y"]) == 2
    assert "check needs --wrt VAR" in capsys.readouterr().err


def test_a_vector_function_object_and_a_sympy_expression():
    import sympy

    F = dl.Function("[x*y, sin(x) + y**2]")
    assert dl.check(F, None, "[[y, x], [cos(x), 2*y]]").holds
    assert dl.check(F, "y", "2*y", component=1).holds
    x, y = sympy.symbols("x y", real=True)
    assert dl.check(x**2 * y, "x,y", "[2*x*y, x**2]").holds
