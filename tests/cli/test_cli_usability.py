"""Issue 19: --version, a command's own help on a mistyped option, one --at rule for every command,
missing extras named in one line, and the tour as CommonMark that links what it wrote."""

from __future__ import annotations

import re
import subprocess
import sys
from importlib import metadata

import pytest

from difflab.cli.commands.tour import to_markdown
from difflab.cli.entry import main


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_version(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["--version"])
    assert stop.value.code == 0
    assert capsys.readouterr().out == f"difflab {metadata.version('difflab')}\n"


def test_a_mistyped_option_names_the_command_and_the_option_it_meant(capsys):
    code, _, err = run(capsys, "diff", "x**2", "--at", "x=1", "--ordr", "2")
    assert code == 2
    assert err == ("difflab diff: error: unrecognized arguments: --ordr 2; did you mean --order? "
                   "(see 'difflab diff --help')\n")


@pytest.mark.parametrize("command", ["diff", "compare", "newton"])
def test_one_point_commands_join_pieces_and_refuse_a_second_point(capsys, command):
    code, out, _ = run(capsys, command, "x**2 + y**2", "--at", "x=1", "--at", "y=2", "--json")
    assert code == 0 and ('"x": 1.0' in out or '"x": [' in out or '"converged"' in out)
    code, _, err = run(capsys, command, "x**2 + y**2", "--at", "x=1,y=2", "--at", "x=3,y=4")
    assert code == 2 and err == (f"difflab {command}: error: {command} takes one point; the --at options "
                                 "give 2 (x=1, y=2; x=3, y=4): a complete point starts the next one\n")


def test_sweep_reads_pieces_and_points_by_the_same_rule(capsys):
    import json
    code, out, _ = run(capsys, "sweep", "x*y", "--at", "x=1", "--at", "y=2", "--at", "x=3,y=4",
                       "--schemes", "central", "--json")
    assert code == 0
    points = [p["point"] for p in json.loads(out)["points"]]
    assert points == [{"x": 1.0, "y": 2.0}, {"x": 3.0, "y": 4.0}]
    code, _, err = run(capsys, "sweep", "x*y", "--at", "x=1", "--at", "x=2")
    assert code == 2 and "--at gives 'x' twice before the point is complete (x=1 and x=2)" in err


@pytest.mark.parametrize(("argv", "extra"), [(["fuzz", "--examples", "1"], "hypothesis"),
                                              (["tour", "--only", "fuzz"], "hypothesis"),
                                              (["report", "x**2", "--at", "x=1", "-o", "r.html"], "matplotlib")])
def test_a_missing_extra_is_one_line_naming_it(tmp_path, argv, extra):
    code = (f"import sys; sys.modules[{extra!r}] = None; from difflab.cli.entry import main; "
            f"sys.exit(main({argv!r}))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "pip install 'difflab[" in lines[0] and extra in lines[0].lower(), proc.stderr


def test_the_tour_log_is_commonmark_with_links():
    log = ["\n## Foundation\n", "f = x**4 + 0.8*y**4   (bold if not fenced)", "refused: __import__('os')",
           "note one", "note two", "SECTION FAILED:\n```\nTraceback ...\n```"]
    md = to_markdown(log, ["report_newton_seed.html", "tour.md", "fuzz.json"])
    assert md.startswith("# difflab tour\n\nThe seed course notes are")
    body = md.split("## Foundation\n", 1)[1]
    # everything printed sits in one fence longer than any backtick run inside it
    assert body.startswith("\n````text\nf = x**4 + 0.8*y**4") and "\n````\n" in body
    assert "- [report_newton_seed.html](report_newton_seed.html)" in md and "[tour.md]" not in md
    fences = re.findall(r"^(`{3,})", md, flags=re.M)
    assert len(fences) % 2 == 0
