"""The command-line contract under failure: one line and exit 2 (never a traceback), 1 only for a claim
that does not hold or a solver that did not converge, 130/143 on SIGINT/SIGTERM with no process left
behind, output files that are complete or absent, nothing written outside the output."""

from __future__ import annotations

import errno
import json
import os
import pathlib
import signal
import subprocess
import sys
import time

import pytest

import difflab.cli.commands.diff as diff_command
from difflab.cli.entry import main
from difflab.reports.files import OutputError, write_atomic

ENV = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "MPLBACKEND": "Agg"}
# The installed script when there is one: its startup path (signals before main() runs, spawned workers
# re-importing it as __mp_main__) differs from ``python -m difflab.cli``.
_SCRIPT = pathlib.Path(sys.executable).with_name("difflab")
DIFFLAB = [str(_SCRIPT)] if _SCRIPT.exists() else [sys.executable, "-m", "difflab.cli"]


def run(capsys, *argv: str):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def one_line_error(code: int, err: str, command: str) -> str:
    assert code == 2, err
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"difflab {command}: error: "), lines[0]
    assert "Traceback" not in err
    return lines[0]


# ------------------------------------------------------------------------------ argparse on one line
@pytest.mark.parametrize(("argv", "words"), [
    (["diff"], "the following arguments are required: EXPR"),
    (["diff", "x", "--at", "x=1", "--order", "2.5"], "argument --order: invalid int value: '2.5'"),
    (["compare", "x*y", "--at", "x=1,y=2", "--order", "abc"], "argument --order: invalid int value: 'abc'"),
    (["newton", "x**2", "--at", "x=1", "--damping"], "argument --damping: expected one argument"),
    (["fuzz", "--examples", "many"], "argument --examples: invalid int value: 'many'"),
    (["diff", "x", "--at", "x=1", "--frobnicate"], "unrecognized arguments"),
])
def test_argparse_errors_are_one_line(capsys, argv, words):
    line = one_line_error(*run(capsys, *argv)[::2], argv[0])
    assert words in line and "--help'" in line


def test_unknown_command_is_one_line(capsys):
    code, _, err = run(capsys, "nosuch")
    assert code == 2 and err.count("\n") == 1 and err.startswith("difflab: error: argument COMMAND")


# ------------------------------------------------------- known failures answer with their own words
@pytest.mark.parametrize(("argv", "words"), [
    (["diff", "x/0", "--at", "x=1"], "division by zero"),
    (["diff", "x + max(log(-1), 0)", "--at", "x=1"], "not a real number"),
    (["tour", "--only", ","], "--only names no section"),
])
def test_refusals_name_the_problem(capsys, argv, words):
    line = one_line_error(*run(capsys, *argv)[::2], argv[0])
    assert words in line and "unexpected" not in line


def test_kink_under_a_power_at_order_two(capsys):
    """abs(log(y)): SymPy left Derivative(sign(log(y)), y), which reached lambdify (a traceback)."""
    code, out, err = run(capsys, "diff", "abs(log(y))", "--at", "y=2", "--order", "2", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["gradient"] == pytest.approx([0.5], rel=1e-15)  # d/dy log y = 1/y
    assert data["hessian"][0] == pytest.approx([-0.25], rel=1e-15)  # -1/y^2


def test_huge_integer_constant_reaches_numpy_as_a_float(capsys):
    """x*sigmoid(2**1000): the integer reached np.exp as a Python int (TypeError)."""
    code, out, err = run(capsys, "diff", "x*sigmoid(2**1000)", "--at", "x=1", "--json")
    assert code == 0, err
    assert json.loads(out)["gradient"] == [1.0]  # sigmoid(2**1000) = 1 to every digit


@pytest.mark.parametrize("body", ["a = " + "[" * 5000 + "]" * 5000, "a = " + "{b = " * 3000 + "1" + "}" * 3000])
def test_deeply_nested_derivation_file(capsys, tmp_path, body):
    path = tmp_path / "deep.toml"
    path.write_text(body + "\n")
    line = one_line_error(*run(capsys, "check", str(path))[::2], "check")
    assert "deep.toml is nested too deeply to read" in line


def test_the_last_resort_handler_answers_in_one_line(capsys, monkeypatch):
    def broken(args):
        raise RuntimeError("boom\non two lines")
    monkeypatch.setattr(diff_command, "run", broken)
    line = one_line_error(*run(capsys, "diff", "x", "--at", "x=1")[::2], "diff")
    assert "unexpected RuntimeError: boom on two lines" in line and "please report" in line


# -------------------------------------------------------------------------------------- outputs
@pytest.mark.parametrize("target", ["folder.html", "/proc/report.html", "/etc/passwd/x.html", "/dev/full"])
def test_report_refuses_an_unwritable_destination(capsys, tmp_path, monkeypatch, target):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "folder.html").mkdir()
    line = one_line_error(*run(capsys, "report", "x**2", "--at", "x=1", "-o", target)[::2], "report")
    assert "unexpected" not in line


def test_write_atomic_refuses_a_device_and_a_folder(tmp_path):
    with pytest.raises(OutputError, match="'/dev/full': it is not a regular file"):
        write_atomic("/dev/full", "x")
    with pytest.raises(OutputError, match="it is a folder"):
        write_atomic(tmp_path, "x")


def test_a_failed_write_leaves_the_old_file_and_no_partial_one(tmp_path, monkeypatch):
    path = tmp_path / "report.html"
    path.write_text("old, complete")

    def disk_full(fd):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(OutputError, match="No space left on device"):
        write_atomic(path, "new")
    assert path.read_text() == "old, complete"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html"]


def test_write_atomic_replaces_a_symlink_never_its_target(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    link = tmp_path / "out.png"
    link.symlink_to(victim)
    write_atomic(link, b"png")
    assert victim.read_text() == "keep me"
    assert not link.is_symlink() and link.read_bytes() == b"png"


def test_markdown_report_png_does_not_write_through_a_symlink(capsys, tmp_path, monkeypatch):
    pytest.importorskip("matplotlib")
    monkeypatch.chdir(tmp_path)
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    (tmp_path / "r_sweep1.png").symlink_to(victim)
    code, out, err = run(capsys, "report", "x**2", "--at", "x=1", "-o", "r.md", "--methods", "symbolic")
    assert code == 0, err
    assert victim.read_text() == "keep me"
    assert (tmp_path / "r_sweep1.png").read_bytes().startswith(b"\x89PNG")


def test_tour_onto_an_existing_file_is_refused(capsys, tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("mine")
    line = one_line_error(*run(capsys, "tour", "-o", str(path), "--only", "foundation")[::2], "tour")
    assert "it exists and is not a folder" in line and path.read_text() == "mine"


def test_tour_names_the_files_it_replaced_and_writes_nothing_through_links(capsys, tmp_path):
    out_dir = tmp_path / "tour"
    out_dir.mkdir()
    (out_dir / "tour.md").write_text("the user's notes")
    victim = tmp_path / "victim.json"
    victim.write_text("keep me")
    (out_dir / "autodiff.json").symlink_to(victim)
    code, out, err = run(capsys, "tour", "-o", str(out_dir), "--only", "autodiff")
    assert code == 0, err
    assert f"replaced existing files in {out_dir}: autodiff.json, tour.md" in out
    assert victim.read_text() == "keep me"
    assert (out_dir / "tour.md").read_text().startswith("# difflab tour")
    assert json.loads((out_dir / "autodiff.json").read_text())  # the new file, not the link
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tour", "victim.json"]  # no staging left


def test_an_interrupted_tour_leaves_the_folder_as_it_was(capsys, tmp_path, monkeypatch):
    import difflab.cli.tour.foundation as foundation

    out_dir = tmp_path / "tour"
    out_dir.mkdir()
    (out_dir / "tour.md").write_text("previous run")

    def interrupted(out, say):
        (out / "half.csv").write_text("partial")
        raise KeyboardInterrupt
    monkeypatch.setattr(foundation, "run", interrupted)
    code, _, err = run(capsys, "tour", "-o", str(out_dir), "--only", "foundation")
    assert code == 130 and err == "difflab: interrupted\n"
    assert sorted(p.name for p in out_dir.iterdir()) == ["tour.md"]
    assert (out_dir / "tour.md").read_text() == "previous run"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tour"]


# ----------------------------------------------------------------------------------------- newton
def test_newton_convergence_is_judged_on_the_undamped_step(capsys):
    """A damping of 1e-20 moved x by 5e-20 and was reported converged at the start point."""
    code, out, _ = run(capsys, "newton", "x**2 + y**2", "--at", "x=3,y=4", "--damping", "1e-20", "--json")
    data = json.loads(out)
    assert code == 1 and data["converged"] is False
    assert data["x"] == pytest.approx([3.0, 4.0])
    assert "damping 1e-20" in data["reason"]
    code, out, _ = run(capsys, "newton", "x**2 + y**2", "--at", "x=3,y=4", "--damping", "0.5", "--json")
    data = json.loads(out)
    assert code == 0 and data["classification"] == "minimum"
    assert max(map(abs, data["x"])) <= 1e-11  # the minimum is (0, 0)


# ---------------------------------------------------------------------------- signals and workers
def _alive(pgid: int) -> list[str]:
    """Processes of the group that are not zombies (a zombie has exited; only its exit status is left)."""
    out = subprocess.run(["ps", "-o", "pid=,stat=", "-g", str(pgid)], capture_output=True, text=True).stdout
    return [line for line in out.splitlines() if line.split() and not line.split()[1].startswith("Z")]


def _start_fuzz(tmp_path) -> subprocess.Popen:
    p = subprocess.Popen([*DIFFLAB, "fuzz", "--examples", "2000", "--workers", "2", "--json"], cwd=tmp_path,
                         env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    deadline = time.monotonic() + 120
    while len(_alive(p.pid)) < 3 and time.monotonic() < deadline:  # main + 2 workers started
        time.sleep(0.2)
    time.sleep(1.0)  # the workers are computing
    return p


@pytest.mark.parametrize(("sig", "to_group", "code", "line"), [
    (signal.SIGTERM, False, 143, "difflab: terminated"),
    (signal.SIGINT, False, 130, "difflab: interrupted"),
    (signal.SIGINT, True, 130, "difflab: interrupted"),
])
def test_fuzz_stops_on_a_signal_with_its_workers(tmp_path, sig, to_group, code, line):
    p = _start_fuzz(tmp_path)
    try:
        (os.killpg if to_group else os.kill)(p.pid, sig)
        _, err = p.communicate(timeout=30)  # a hang guard, not a speed assertion
        assert p.returncode == code
        assert err.decode().splitlines() == [line]
        deadline = time.monotonic() + 10
        while _alive(p.pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _alive(p.pid) == []
    finally:
        with pytest.MonkeyPatch.context():
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
    assert not (tmp_path / ".hypothesis").exists()


def test_fuzz_writes_nothing_in_the_current_folder(tmp_path):
    done = subprocess.run([*DIFFLAB, "fuzz", "--examples", "2", "--workers", "1", "--json"], cwd=tmp_path,
                          env={k: v for k, v in ENV.items() if k != "HYPOTHESIS_STORAGE_DIRECTORY"},
                          capture_output=True, timeout=300)
    assert done.returncode in (0, 1), done.stderr
    assert list(pathlib.Path(tmp_path).iterdir()) == []
