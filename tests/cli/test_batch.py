"""difflab compare/sweep --file FUNCS.txt: one function per line, each line's result as the single-function
command gives it, a failing line reported while the others are still done, exit codes per the contract."""

from __future__ import annotations

import contextlib
import json
import math
import os
import signal
import subprocess
import sys
import time

import pytest

from difflab.cli.entry import main

FUNCS = """\
# functions for a batch
exp(x)*sin(x)                      # the command line's --at
(t**2 - 4)/(t - 2) ; t=2           # its own point: removable, f' = 1 there

x**2 ^ 3                           # not Python syntax: this line fails, the others are done
sin(x)*y ; x=1 ; y=2               # two ';' parts fill one point, as --at x=1 --at y=2 does
"""


@pytest.fixture
def funcs(tmp_path):
    path = tmp_path / "funcs.txt"
    path.write_text(FUNCS)
    return str(path)


def _run(capsys, argv):
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_compare_file_gives_each_line_the_single_function_json(funcs, capsys, without_timing):
    code, out, err = _run(capsys, ["compare", "--file", funcs, "--at", "x=1", "--workers", "1",
                                   "--methods", "symbolic,fd-central", "--json"])
    assert code == 2  # a line failed (bad input): the rest is still there
    assert err == ("difflab compare: error: line 5: cannot parse expression at position 6: '^' is not a power "
                   "here (hint: use ** for powers, e.g. x**2)\n")
    records = json.loads(out)
    assert [(r["line"], r["expr"]) for r in records] == [(2, "exp(x)*sin(x)"), (3, "(t**2 - 4)/(t - 2)"),
                                                        (5, "x**2 ^ 3"), (6, "sin(x)*y")]
    assert set(records[2]) == {"line", "expr", "error"}
    first, removable, _, product = records
    assert first["reference"]["gradient"][0] == pytest.approx(math.exp(1) * (math.sin(1) + math.cos(1)),
                                                              rel=1e-15)
    assert removable["point"] == {"t": 2.0} and removable["reference"]["gradient"] == [1.0]
    assert product["point"] == {"x": 1.0, "y": 2.0}
    assert product["reference"]["gradient"] == pytest.approx([2 * math.cos(1), math.sin(1)], rel=1e-15)
    for record, argv in [(first, ["exp(x)*sin(x)", "--at", "x=1"]), (product, ["sin(x)*y", "--at", "x=1,y=2"])]:
        assert main(["compare", *argv, "--methods", "symbolic,fd-central", "--json"]) == 0
        single = json.loads(capsys.readouterr().out)
        assert without_timing({k: v for k, v in record.items() if k not in ("line", "expr")}) == \
            without_timing(single)


def test_the_text_shows_each_line_s_table_and_a_summary(funcs, capsys):
    code, out, _ = _run(capsys, ["compare", "--file", funcs, "--at", "x=1", "--workers", "1",
                                 "--methods", "symbolic"])
    assert code == 2
    assert "== line 3: (t**2 - 4)/(t - 2) ==\nf = (t**2 - 4)/(t - 2)   at t=2\n" in out
    assert "== line 5: x**2 ^ 3 ==\nerror: cannot parse expression at position 6" in out
    assert out.rstrip().endswith("4 functions: 3 done, 1 failed (line 5)")


def test_sweep_file_takes_several_points_per_line_and_exits_1_at_a_pole(tmp_path, capsys):
    path = tmp_path / "sweep.txt"
    path.write_text("x*y ; x=1,y=2 ; x=3,y=4\n1/x ; x=0\n")
    code, out, err = _run(capsys, ["sweep", "--file", str(path), "--schemes", "central", "--per-decade", "1",
                                   "--workers", "1", "--json"])
    assert code == 1 and err == ""  # no line failed, but one has no sweep (the single command's exit 1)
    two, pole = json.loads(out)
    assert [p["point"] for p in two["points"]] == [{"x": 1.0, "y": 2.0}, {"x": 3.0, "y": 4.0}]
    assert [p["reference"] for p in two["points"]] == [[2.0, 1.0], [4.0, 3.0]]  # (y, x)
    assert pole["status"].startswith("no sweep: the reference has no value at x=0.0: x=0 is a pole")


def test_local_workers_do_not_change_the_results(funcs, capsys, without_timing):
    argv = ["compare", "--file", funcs, "--at", "x=1", "--methods", "symbolic,fd-central,complex-step", "--json"]
    one = _run(capsys, [*argv, "--workers", "1"])
    two = _run(capsys, [*argv, "--workers", "2"])
    assert one[0] == two[0] == 2 and one[2] == two[2]
    assert without_timing(json.loads(one[1])) == without_timing(json.loads(two[1]))


def test_a_line_over_its_budget_is_stopped_and_reported(tmp_path, capsys):
    path = tmp_path / "f.txt"
    path.write_text("exp(x)*sin(x) ; x=1\ncos(x) ; x=2\n")
    code, out, err = _run(capsys, ["compare", "--file", str(path), "--workers", "1", "--function-budget",
                                   "0.001", "--json"])
    assert code == 2
    assert [r["error"].split(" (")[0] for r in json.loads(out)] == ["over its budget of 0.001 s per function"] * 2
    assert err.startswith("difflab compare: error: line 1: over its budget of 0.001 s per function (")
    assert err.endswith(" (and 1 more failed lines; see the output)\n") and err.count("\n") == 1


@pytest.mark.parametrize(("argv", "content", "message"), [
    (["--file", "{missing}"], None, "--file: no file '{missing}'"),
    (["--file", "{path}"], "# only a comment\n\n", "--file '{path}' has no functions (only comments and blank "
                                                    "lines)"),
    (["x**2", "--file", "{path}"], "x\n", "give EXPR or --file FUNCS.txt, not both"),
    (["--file", "{path}", "--shape", "x=3"], "x\n", "--file takes scalar expressions; --shape/--wrt/--data "
                                                   "describe one array function"),
    (["--file", "{path}", "--function-budget", "-1"], "x\n", "--function-budget must be a finite number of "
                                                             "seconds >= 0, got -1.0"),
    (["--file", "{path}", "--workers", "0"], "x ; x=1\n", "--workers must be at least 1, got 0"),
    ([], None, "an expression is required: EXPR, or --file FUNCS.txt with one per line"),
    (["x**2", "--workers", "2"], None, "--workers goes with --file FUNCS.txt (many functions); one EXPR runs here"),
    (["x**2", "--function-budget", "9"], None, "--function-budget goes with --file FUNCS.txt (many functions); one "
                                               "EXPR runs here"),
    (["--file", "{tmp}"], None, "--file: '{tmp}' is a folder, not a file of functions"),
    (["--file", "{path}"], b"exp(x)\xff\n", "--file '{path}' is not UTF-8 text (byte 6)"),
])
def test_bad_batch_input_exits_2_in_one_line(tmp_path, capsys, argv, content, message):
    path, missing = tmp_path / "f.txt", tmp_path / "missing.txt"
    if content is not None:
        path.write_bytes(content) if isinstance(content, bytes) else path.write_text(content)
    names = {"path": path, "missing": missing, "tmp": tmp_path}
    code, out, err = _run(capsys, ["compare", *[a.format(**names) for a in argv], "--at", "x=1"])
    assert code == 2 and out == ""
    assert err == f"difflab compare: error: {message.format(**names)}\n"


def test_a_line_without_a_point_fails_alone(tmp_path, capsys):
    path = tmp_path / "f.txt"
    path.write_text("x**2 ; x=3\ny**2\nz ;\n")
    code, out, _ = _run(capsys, ["compare", "--file", str(path), "--workers", "1", "--methods", "symbolic",
                                 "--json"])
    done, no_point, empty = json.loads(out)
    assert code == 2 and done["reference"]["gradient"] == [6.0]
    assert no_point["error"] == "no point: end the line with '; x=1,y=2' or give --at"
    assert empty["error"] == "an empty point after ';' (write 'EXPR ; x=1,y=2')"


def _alive(pgid: int) -> list[str]:
    """Processes of the group that have not exited (a zombie has: only its exit status is left)."""
    out = subprocess.run(["ps", "-o", "pid=,stat=", "-g", str(pgid)], capture_output=True, text=True).stdout
    return [line for line in out.splitlines() if line.split() and not line.split()[1].startswith("Z")]


def test_ctrl_c_stops_a_local_batch_with_its_workers(tmp_path):
    path = tmp_path / "many.txt"
    path.write_text("".join(f"exp(x)*sin(x) + x**{k} ; x=1.5\n" for k in range(40)))
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1")
    p = subprocess.Popen([sys.executable, "-m", "difflab.cli", "sweep", "--file", str(path), "--workers", "2"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while len(_alive(p.pid)) < 3 and time.monotonic() < deadline:  # the command and its 2 workers
            time.sleep(0.2)
        time.sleep(1.0)  # the workers are measuring
        os.killpg(p.pid, signal.SIGINT)  # as a terminal's Ctrl-C does: the whole group
        _, err = p.communicate(timeout=30)  # a hang guard, not a speed assertion
        assert p.returncode == 130 and err.decode().splitlines() == ["difflab: interrupted"]
        deadline = time.monotonic() + 10
        while _alive(p.pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _alive(p.pid) == []
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(p.pid, signal.SIGKILL)
