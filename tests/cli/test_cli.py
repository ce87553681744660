"""The `difflab` command: exit codes, one-line messages for bad input, leading minus signs, JSON shapes."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import pytest

from difflab.cli.entry import main


def run(capsys, *argv: str):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


BAD_INPUT = [
    (["diff", "x^2", "--at", "x=1"],
     "difflab diff: error: cannot parse expression at position 2: '^' is not a power here "
     "(hint: use ** for powers, e.g. x**2)"),
    (["diff", "2x", "--at", "x=1"],
     "difflab diff: error: cannot parse expression at position 2: implicit multiplication is not allowed "
     "(hint: write 2*x instead)"),
    (["diff", "sin(x", "--at", "x=1"],
     "difflab diff: error: cannot parse expression at position 4: unbalanced parenthesis: '(' is never closed"),
    (["diff", "x+1)", "--at", "x=1"],
     "difflab diff: error: cannot parse expression at position 4: unbalanced parenthesis: ')' has no matching '('"),
    (["diff", "", "--at", "x=1"], "difflab diff: error: cannot parse expression: empty expression"),
    (["diff", "lambda t: t", "--at", "x=1"],
     "difflab diff: error: cannot parse expression at position 1: lambda expressions are not allowed"),
    (["diff", "x*" + "9" * 120, "--at", "x=1"],
     "difflab diff: error: cannot parse expression at position 3: number has more than 100 digits"),
    (["diff", "x.real", "--at", "x=1"],
     "difflab diff: error: cannot parse expression at position 1: attribute access is not allowed"),
    (["diff", "__import__('os')", "--at", "x=1"],
     "difflab diff: error: cannot parse expression at position 1: names beginning with '__' are not allowed "
     "('__import__')"),
    (["diff", "(lambda: 1)()", "--at", "x=1"],
     "difflab diff: error: cannot parse expression at position 1: only calls of named functions are allowed"),
    (["diff", "[t for t in x]", "--at", "x=1"],
     "difflab diff: error: cannot parse expression at position 1: comprehensions are not allowed"),
    (["diff", "x[0]", "--at", "x=1"],
     "difflab diff: error: cannot parse expression at position 1: subscripts (indexing) are not allowed"),
    (["diff", "besselj(x)", "--at", "x=1"],
     "difflab diff: error: cannot parse expression at position 1: unknown function 'besselj'"),
    (["diff", "9**9**9**9", "--at", "x=1"],
     "difflab diff: error: cannot parse expression at position 5: constant power is too large"),
    (["diff", "(" * 70 + "x" + ")" * 70, "--at", "x=1"],
     "difflab diff: error: cannot parse expression at position 61: parentheses nested deeper than 60"),
    (["compare", "x*y", "--at", "x=1"],
     "difflab compare: error: missing value for variable 'y' (variables: x, y)"),
    (["compare", "x*y", "--at", "x=1,y=2,z=3"],
     "difflab compare: error: unknown variable 'z' (variables: x, y)"),
    (["compare", "x*y", "--at", "x=1,y=abc"], "difflab compare: error: value for 'y' is not a number: 'abc'"),
    (["compare", "x*y", "--at", "x=1,y=nan"], "difflab compare: error: value for 'y' is not finite: 'nan'"),
    (["compare", "x*y", "--at", "1,2,3"], "difflab compare: error: expected 2 values (x, y), got 3"),
    (["compare", "x", "--at", "x=1", "--methods", "fd-centre"],
     "difflab compare: error: unknown method 'fd-centre'; choose one of: symbolic, forward, reverse"),
    (["diff", "x*y", "--at", "x=1,y=2", "--vars", "x"],
     "difflab diff: error: the expression uses 'y', which is not among the variables (x)"),
    (["diff", "x*yh", "--at", "x=1,w=2", "--let", "yh"],
     "difflab diff: error: --let needs NAME=EXPR, got 'yh'"),
    (["compare", "log(x)", "--at", "x=-1"],
     "difflab compare: error: x=-1.0 is outside the domain of the function (its value there is not real)"),
    (["tour", "--only", "nope"], "difflab tour: error: unknown tour section 'nope'; choose from: foundation"),
]


@pytest.mark.parametrize(("argv", "message"), BAD_INPUT, ids=[" ".join(a)[:40] for a, _ in BAD_INPUT])
def test_bad_input_exits_2_with_one_line(capsys, argv, message):
    code, out, err = run(capsys, *argv)
    assert code == 2
    assert err.startswith(message)
    assert err.count("\n") == 1 and "Traceback" not in err
    assert out == ""


def test_leading_minus_in_expression_and_point(capsys):
    code, out, _ = run(capsys, "diff", "-x**2*y", "--at", "x=-1.5,y=-2", "--json")
    data = json.loads(out)
    assert code == 0
    assert data["point"] == {"x": -1.5, "y": -2.0}
    assert data["gradient"] == [-2 * -1.5 * -2.0, -((-1.5) ** 2)]


def test_leading_minus_as_separate_option_value(capsys):
    code, out, _ = run(capsys, "diff", "-x", "--at", "-0.5", "--json")
    assert code == 0 and json.loads(out)["gradient"] == [-1.0]


def test_split_point_fragments(capsys):
    code, out, _ = run(capsys, "diff", "x*y", "--at", "x=-1.2", "--at", "y=3", "--json")
    assert code == 0 and json.loads(out)["gradient"] == [3.0, -1.2]


def test_diff_table_and_json(capsys):
    code, out, _ = run(capsys, "diff", "exp(x)*sin(y)", "--at", "x=0,y=0", "--json")
    data = json.loads(out)
    assert code == 0
    assert data["variables"] == ["x", "y"] and data["value"] == 0.0 and data["gradient"] == [0.0, 1.0]
    code, out, _ = run(capsys, "diff", "exp(x)*sin(y)", "--at", "x=0,y=0")
    assert code == 0 and "df/dvar" in out and "symbolic" in out


def test_compare_json_contract(capsys):
    code, out, _ = run(capsys, "compare", "exp(x)*sin(x)", "--at", "x=1", "--json")
    data = json.loads(out)
    assert code == 0
    assert set(data) >= {"variables", "point", "reference", "methods"}
    truth = math.exp(1) * (math.sin(1) + math.cos(1))
    assert data["reference"]["gradient"][0] == pytest.approx(truth, rel=1e-15)
    assert set(data["methods"]) >= {"symbolic", "forward", "reverse", "fd-central", "complex-step", "richardson"}
    for name, row in data["methods"].items():
        assert set(row) >= {"gradient", "max_rel_error", "error_estimate", "seconds", "status"}, name
        assert row["status"] == "ok"
    assert data["methods"]["fd-central"]["max_rel_error"] < 1e-9


def test_compare_hessian_json(capsys):
    code, out, _ = run(capsys, "compare", "x**4 + 0.8*y**4 + 4*x**2 + 2*y**2 - x*y - 0.2*x**2*y",
                       "--at", "x=4,y=4", "--order", "2", "--methods", "symbolic,reverse", "--json")
    data = json.loads(out)
    assert code == 0
    assert sum(data["reference"]["hessian"], []) == pytest.approx([198.4, -2.6, -2.6, 157.6], rel=1e-15)
    assert data["methods"]["reverse"]["max_rel_error"] < 1e-14


def test_outside_the_domain_is_words_not_nan(capsys):
    code, out, _ = run(capsys, "diff", "log(x)", "--at", "x=-1", "--json")
    data = json.loads(out)
    assert code == 0
    assert data["value"] is None                     # JSON null, never a bare NaN token
    assert any("outside the domain" in note for note in data["notes"])


def test_tour_runs_one_section(tmp_path, capsys):
    code, out, _ = run(capsys, "tour", "--only", "foundation", "-o", str(tmp_path))
    assert code == 0
    text = (tmp_path / "tour.md").read_text()
    assert "277.6" in text and "213.6" in text and "SECTION FAILED" not in text


def test_console_script_is_installed():
    """The entry point runs as a real process (what a newcomer types)."""
    proc = subprocess.run([sys.executable, "-m", "difflab.cli", "diff", "x**2", "--at", "x=3", "--json"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["gradient"] == [6.0]


def test_closed_pipe_is_quiet(tmp_path):
    """`difflab tour | head -1`: the reader leaves early; no BrokenPipeError traceback."""
    cmd = f"{sys.executable} -m difflab.cli tour --only foundation -o {tmp_path} | head -1"
    proc = subprocess.run(["bash", "-c", "set -o pipefail; " + cmd], capture_output=True, text=True, timeout=300)
    assert "Traceback" not in proc.stderr and "BrokenPipe" not in proc.stderr, proc.stderr
    assert proc.returncode in (0, 141)
