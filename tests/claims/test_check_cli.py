"""``difflab check EXPR --wrt VAR --claim EXPR``: exit codes, JSON contract, leading minus signs, --let."""

from __future__ import annotations

import json

import pytest

from difflab.cli.entry import main


def _run(capsys, *argv):
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_holds_exit_0_and_json_contract(capsys):
    code, out, _ = _run(capsys, "check", "-y*log(yh)", "--wrt", "yh", "--claim", "-y/yh", "--json")
    assert code == 0
    data = json.loads(out)
    assert {"holds", "proof", "difference", "counterexample"} <= set(data)
    assert data["holds"] is True and data["proof"] == "symbolic" and data["counterexample"] is None


def test_does_not_hold_exit_1_with_counterexample(capsys):
    code, out, _ = _run(capsys, "check", "-y*log(yh) - (1-y)*log(1-yh)", "--wrt", "w1",
                        "--claim", "-(y-yh)/(yh*(1-yh))", "--let", "yh=sigmoid(w1*x1+w2*x2+b)", "--json")
    assert code == 1
    data = json.loads(out)
    assert data["holds"] is False and data["proof"] is None
    cex = data["counterexample"]
    assert set(cex["point"]) == {"b", "w1", "w2", "x1", "x2", "y"}
    assert cex["true_value"] != cex["claimed_value"]
    assert cex["hint"] == "truth / claim = -x1*yh*(yh - 1)"


def test_table_output(capsys):
    code, out, _ = _run(capsys, "check", "sigmoid(z)", "--wrt", "z", "--claim", "sigmoid(z)*(1+sigmoid(z))")
    assert code == 1
    assert "DOES NOT HOLD" in out and "truth - claim    -2*sigmoid(z)**2" in out and "counterexample" in out
    code, out, _ = _run(capsys, "check", "sigmoid(z)", "--wrt", "z", "--claim", "sigmoid(z)*(1-sigmoid(z))")
    assert code == 0 and "HOLDS (symbolic proof)" in out


def test_numeric_verdict_is_labelled(capsys):
    code, out, _ = _run(capsys, "check", "x**3", "--wrt", "x", "--claim", "3*(x + 1)**2 - 6*x - 3",
                        "--budget", "0", "--points", "12", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["proof"] == "numeric" and "12 random points" in data["detail"]


@pytest.mark.parametrize("argv, message", [
    (["check", "x**2", "--wrt", "x"],
     "difflab check: error: check needs --claim EXPR (or a derivation FILE.toml)"),
    (["check", "x**2", "--claim", "2*x"],
     "difflab check: error: check needs --wrt VAR (or a derivation FILE.toml)"),
    (["check", "x**2", "--wrt", "q", "--claim", "2*x"],
     "difflab check: error: the function does not depend on 'q' (its variables: x); "
     "if a name in it stands for an expression, define it with --let NAME=EXPR"),
    (["check", "x**2", "--wrt", "x", "--claim", "2x"],
     "difflab check: error: cannot parse expression at position 2: implicit multiplication is not allowed "
     "(hint: write 2*x instead)"),
    (["check", "x**2", "--wrt", "x", "--claim", "2*x", "--let", "yh"],
     "difflab check: error: --let needs NAME=EXPR, got 'yh'"),
    (["check", "missing.toml"], "difflab check: error: no such derivation file: missing.toml"),
])
def test_bad_input_exit_2(capsys, argv, message):
    code, out, err = _run(capsys, *argv)
    assert code == 2 and out == ""
    assert err.strip() == message
