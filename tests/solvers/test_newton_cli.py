"""``difflab newton``: the command-line contract (JSON keys, exit codes 0/1/2, messages on stderr)."""

from __future__ import annotations

import json

import pytest

from difflab.cli.entry import main


def _run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_seed_minimization_json(capsys):
    code, out, err = _run(capsys, "newton", "exp(x) - log(x)", "--at", "x=0.05", "--json")
    assert code == 0 and err == ""
    data = json.loads(out)
    assert {"converged", "reason", "x", "iterates", "classification"} <= set(data)
    assert data["converged"] is True and data["classification"] == "minimum"
    assert data["iterates"][0] == [0.05]
    assert data["iterates"][1][0] == pytest.approx(0.0972476470448, rel=1e-12)
    assert data["iterates"][2][0] == pytest.approx(0.183176666784, rel=1e-11)
    assert data["x"][0] == pytest.approx(0.567143290409784, rel=1e-14)


def test_seed_2d_table(capsys):
    code, out, _ = _run(capsys, "newton", "x**4 + 0.8*y**4 + 4*x**2 + 2*y**2 - x*y - 0.2*x**2*y",
                        "--at", "x=4,y=4", "--method", "reverse")
    assert code == 0
    assert "2.58273866417923" in out and "2.62128883583037" in out
    assert "classification: minimum" in out


def test_saddle_is_reported(capsys):
    code, out, _ = _run(capsys, "newton", "2*x**2 - 2*y**2", "--at", "x=1,y=-1", "--json")
    data = json.loads(out)
    assert code == 0 and data["classification"] == "saddle"
    assert "a saddle, not a minimum" in data["reason"]


def test_not_converged_exits_1(capsys):
    code, out, _ = _run(capsys, "newton", "x**2 + 1", "--at", "x=0.5", "--mode", "root", "--json")
    data = json.loads(out)
    assert code == 1 and data["converged"] is False and data["classification"] is None
    assert data["reason"].startswith("no real root found")


def test_negative_start_and_leading_minus_expression(capsys):
    code, out, _ = _run(capsys, "newton", "-x**2 + 2", "--at", "x=-1.2", "--mode", "root", "--json")
    assert code == 0
    assert json.loads(out)["x"][0] == pytest.approx(-2**0.5, rel=1e-15)


@pytest.mark.parametrize("argv, message", [
    (["newton", "x*y", "--at", "x=1,y=2", "--mode", "root"],
     "difflab newton: error: root mode solves f(x) = 0 for a function of one variable; f has 2 (x, y)"),
    (["newton", "x**2", "--at", "x=1", "--method", "magic"], "difflab newton: error: unknown method 'magic'"),
    (["newton", "x**2", "--at", "y=1"], "difflab newton: error: unknown variable 'y' (variables: x)"),
    (["newton", "x**2", "--at", "x=1", "--damping", "2"], "difflab newton: error: damping must be in (0, 1]"),
])
def test_bad_input_exits_2(capsys, argv, message):
    code, out, err = _run(capsys, *argv)
    assert code == 2 and out == ""
    assert err.startswith(message)
    assert "Traceback" not in err
