"""The hostile corpus (hostile_corpus.py) through every command, and random text through the CLI.

Every command line runs in a forked child capped at 2 GiB of extra address space and 60 s (capped.py):
exit 0/1/2 (130/143 never: nothing interrupts them), exactly one stderr line when 2, no traceback,
nothing escaping ``main()``, no use of the last-resort "unexpected" handler, no runaway. ``--json``
outputs must parse. The time limit is a hang guard, not a speed claim: a run that needs it is a runaway.
"""

from __future__ import annotations

import json
import os

import pytest
from capped import Runner
from hostile_corpus import STILL_RUNAWAY, command_lines
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

ENV = {**{k: v for k, v in os.environ.items() if k != "HYPOTHESIS_STORAGE_DIRECTORY"},
       "OPENBLAS_NUM_THREADS": "1", "MPLBACKEND": "Agg"}


@pytest.fixture(scope="module")
def capped():
    runner = Runner(ENV)
    yield runner
    runner.close()


@pytest.fixture(scope="module")
def scratch(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("hostile")
    (tmp / "adir").mkdir()
    (tmp / "afile.txt").write_text("not a derivation\n")
    return tmp


def assert_contract(result: dict, argv: list[str]) -> None:
    shown = f"{argv!r:.300}"
    err = result["stderr"]
    assert not result["timed_out"], f"runaway (killed after {result['seconds']:.0f} s): {shown}"
    assert "ESCAPED main()" not in err, f"{shown}: {err[-2000:]}"
    assert "Traceback" not in err, f"{shown}: {err[-2000:]}"
    assert result["code"] in (0, 1, 2), f"{shown}: exit {result['code']}, stderr {err[-500:]!r}"
    if result["code"] == 2:
        lines = err.splitlines()
        assert len(lines) == 1, f"{shown}: {len(lines)} stderr lines: {err[-1000:]!r}"
        assert lines[0].startswith("difflab"), f"{shown}: {lines[0]!r}"
        assert "error: unexpected" not in lines[0], f"{shown}: the last-resort handler answered: {lines[0]}"
    elif "--json" in argv:
        json.loads(result["stdout"])


CASES = command_lines()


def _params():
    for case_id, argv, default in CASES:
        marks = [] if default else [pytest.mark.slow]
        if case_id in STILL_RUNAWAY:
            marks.append(pytest.mark.xfail(strict=True, reason=f"runaway: guard being added by "
                                                               f"{STILL_RUNAWAY[case_id]}"))
        yield pytest.param(argv, id=case_id, marks=marks)


@pytest.mark.parametrize("argv", list(_params()))
def test_hostile_command_line(capped, scratch, argv):
    filled = [a.replace("{tmp}", str(scratch)).replace("{dir}", str(scratch / "adir"))
              .replace("{file}", str(scratch / "afile.txt")) for a in argv]
    assert_contract(capped(filled, str(scratch)), filled)


def test_the_corpus_covers_every_command():
    from difflab.cli.entry import COMMANDS

    covered = {argv[0] for _, argv, default in CASES if argv and default}
    assert covered >= set(COMMANDS)
    assert len({case_id for case_id, _, _ in CASES}) == len(CASES)


# ------------------------------------------------------------------- random text at the command line
TOKENS = ["x", "y", "1", "0", "2", "1e308", "1e-320", "10**300", ".5", "e", "pi", "+", "-", "*", "/", "**",
          "(", ")", ",", " ", "exp", "log", "sqrt", "sin", "tanh", "sigmoid", "abs", "max", "softplus",
          "log1p", "^", "=", "[", "]", "'", "\\", "\u2212", "_", "inf", "nan"]
expression_text = st.lists(st.sampled_from(TOKENS), min_size=0, max_size=25).map("".join)
point_value = st.one_of(st.floats(allow_nan=True, allow_infinity=True).map(repr),
                        st.sampled_from(["-0", "1e400", "-1e-400", "abc", "", "1,2", "x"]))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                   HealthCheck.function_scoped_fixture])
@given(expr=expression_text, x=point_value, y=point_value,
       command=st.sampled_from(["diff", "compare", "newton", "sweep", "check"]))
def test_random_text_keeps_the_contract(capped, scratch, expr, x, y, command):
    at = f"x={x},y={y}"
    argv = {"diff": ["diff", expr, "--at", at, "--json"],
            "compare": ["compare", expr, "--at", at, "--methods", "symbolic,reverse,fd-central", "--json"],
            "newton": ["newton", expr, "--at", at, "--max-iter", "3", "--json"],
            "sweep": ["sweep", expr, "--at", at, "--per-decade", "1", "--schemes", "central", "--json"],
            "check": ["check", expr, "--wrt", "x", "--claim", "1", "--points", "2", "--budget", "1"]}[command]
    assert_contract(capped(argv, str(scratch)), argv)
