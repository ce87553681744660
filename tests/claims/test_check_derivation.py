"""Derivation files: each step ok/wrong, the first wrong step, and the shipped seed derivations.

The expected verdicts are the seed notes' own algebra read by hand (see the ``source`` line of each
file): e.g. seed 002's numerator ``-y + y^2 + yh - yh^2`` is not ``yh - y`` (at y = 0 it is
``yh(1 - yh)``), so its middle step is wrong and its last line right again.
"""

from __future__ import annotations

import importlib.resources
import json
import pathlib

import pytest

from difflab.claims.derivation import check_derivation, examples, examples_dir, load_derivation
from difflab.cli.entry import main
from difflab.errors import InputError

# file -> (holds, first wrong step, steps that equal the derivative)
EXPECTED = {
    "seed000_regression_perceptron.toml": (True, None, [1, 2]),
    "seed000_classification_perceptron.toml": (True, None, [1, 2]),
    "seed000_network_221_w11.toml": (True, None, [1, 2]),
    "seed002_sigmoid_derivative.toml": (True, None, [1, 2, 3, 4, 5, 6]),
    "seed002_logloss_wrong_middle_step.toml": (False, 2, [1, 3]),
    "seed002_classification_dropped_factor.toml": (False, 1, []),
    "seed002_network_221_w21_wrong_weight.toml": (False, 1, []),
    "seed002_network_221_w1_sign.toml": (False, 1, [2]),
    "network_221_w11_deliberate_mistake.toml": (False, 2, [1, 3]),
    "seed003_backprop_chain.toml": (True, None, [1, 2, 3]),
}


def test_every_shipped_example_is_listed():
    assert sorted(p.name for p in examples()) == sorted(EXPECTED)


def test_examples_ship_as_package_data():
    files = importlib.resources.files("difflab") / "derivations"
    assert sorted(p.name for p in files.iterdir() if p.name.endswith(".toml")) == sorted(EXPECTED)
    pyproject = pathlib.Path(__file__).parents[2] / "pyproject.toml"
    assert 'difflab = ["derivations/*.toml"]' in pyproject.read_text()


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_shipped_derivations(name):
    holds, first_wrong, equal = EXPECTED[name]
    r = check_derivation(examples_dir() / name)
    assert r.holds is holds, r.detail
    wrong = [s["step"] for s in r.steps if s["status"] == "wrong"]
    assert (wrong[0] if wrong else None) == first_wrong
    assert [s["step"] for s in r.steps if s["equals_derivative"]] == equal
    if not holds:
        assert r.counterexample["step"] == first_wrong
        assert f"step {first_wrong} of {len(r.steps)} is wrong" in r.detail


def test_wrong_middle_step_counterexample_by_hand():
    r = check_derivation(examples_dir() / "seed002_logloss_wrong_middle_step.toml")
    cex = r.counterexample
    y, yh = cex["point"]["y"], cex["point"]["yh"]
    assert cex["true_value"] == pytest.approx(-y / yh + (1 - y) / (1 - yh), rel=1e-14)      # step 1
    assert cex["claimed_value"] == pytest.approx((-y + y**2 + yh - yh**2) / (yh * (1 - yh)), rel=1e-14)
    assert "Step 3 equals the true derivative again" in r.detail


def test_a_mapping_and_single_wrong_middle_step():
    d = {"function": "x**3*exp(x)", "variable": "x",
         "steps": ["3*x**2*exp(x) + x**3*exp(x)", "x**2*exp(x)*(3 + x)", "x**2*exp(x)*(3 - x)",
                   {"expr": "x**2*exp(x)*(3 + x)", "note": "back on track"}]}
    r = check_derivation(d)
    assert [s["status"] for s in r.steps] == ["ok", "ok", "wrong", "wrong"]
    assert [s["equals_derivative"] for s in r.steps] == [True, True, False, True]
    assert r.steps[3]["note"] == "back on track"
    assert r.counterexample["step"] == 3


def test_abbreviations_in_a_derivation():
    d = {"function": "(1/2)*(y - yh)**2", "variable": "b", "abbreviations": {"yh": "w*x + b"},
         "steps": ["-(y - yh)", "yh - y", "w*x + b - y"]}
    r = check_derivation(d)
    assert r.holds and r.proof == "symbolic" and all(s["status"] == "ok" for s in r.steps)


@pytest.mark.parametrize("content, message", [
    ('variable = "x"\nsteps = ["1"]', "bad.toml: missing 'function'"),
    ('function = "x"\nvariable = "x"\nsetps = ["1"]\nsteps = ["1"]',
     "bad.toml: unknown key 'setps' (allowed: abbreviations, function, source, steps, title, variable)"),
    ('function = "x"\nvariable = "x"\nsteps = []',
     "bad.toml: 'steps' must be a list of at least one expression"),
    ('function = "x"\nvariable = "x"\nsteps = [3]',
     'bad.toml: step 1 must be an expression string or {expr = "...", note = "..."}'),
    ('function = "x"\nvariable = "x"\nsteps = [{exp = "1"}]',
     "bad.toml: step 1: unknown key 'exp' (allowed: expr, note)"),
    ('function = "x"\nvariable = "x"\nsteps = ["1"]\nabbreviations = 3',
     "bad.toml: 'abbreviations' must be a table of name = \"expression\""),
    ('function = "x"\nvariable = "x"\nsteps = ["2 ^ x"]',
     "bad.toml, step 1: cannot parse expression at position 3: '^' is not a power here "
     "(hint: use ** for powers, e.g. x**2)"),
])
def test_bad_files(tmp_path, content, message):
    path = tmp_path / "bad.toml"
    path.write_text(content)
    with pytest.raises(InputError) as err:
        check_derivation(path)
    assert str(err.value) == message


def test_missing_and_invalid_files(tmp_path):
    with pytest.raises(InputError, match="no such derivation file"):
        load_derivation(tmp_path / "nope.toml")
    path = tmp_path / "broken.toml"
    path.write_text('function = "x\n')
    with pytest.raises(InputError, match="broken.toml is not valid TOML"):
        load_derivation(path)


def test_cli_on_a_derivation_file(capsys):
    path = str(examples_dir() / "seed002_logloss_wrong_middle_step.toml")
    assert main(["check", path]) == 1
    out = capsys.readouterr().out
    assert "first wrong step  2" in out and "WRONG" in out
    assert main(["check", path, "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["holds"] is False and data["first_wrong_step"] == 2
    assert [s["status"] for s in data["steps"]] == ["ok", "wrong", "wrong"]
    assert main(["check", str(examples_dir() / "seed002_sigmoid_derivative.toml")]) == 0


def test_cli_refuses_claim_options_with_a_file(capsys):
    path = str(examples_dir() / "seed002_sigmoid_derivative.toml")
    assert main(["check", path, "--wrt", "z"]) == 2
    assert capsys.readouterr().err.strip() == (
        "difflab check: error: a derivation file takes no --wrt (the file gives the function, the variable, "
        "the abbreviations and the steps)")
