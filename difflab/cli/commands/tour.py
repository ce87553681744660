"""``difflab tour [-o DIR]``: the seed course's worked examples end to end, with a report.

The tour is a list of sections (``difflab/cli/tour/<name>.py``, each with ``TITLE`` and
``run(out_dir, say)``). Everything said is printed and also written to ``DIR/tour.md``.

The sections write into a temporary folder beside DIR; only when every section has run are the files
moved into DIR (``tour.md`` last), each with one rename, so an interrupted tour leaves DIR as it was
and never a mix of new files and an old ``tour.md`` that looks complete. Files of DIR that the tour
replaces are named; a symlink in DIR is replaced by the new file, never written through.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import pathlib
import shutil
import tempfile
import time
import traceback

from difflab.errors import InputError
from difflab.reports.files import OutputError, write_atomic
from difflab.reports.plot import require_matplotlib
from difflab.testing.fuzz_runner import require_hypothesis

SECTIONS = ("foundation", "singular", "autodiff", "matrix", "derivations", "solvers", "systems", "reports",
            "fuzz")
LOG = "tour.md"
# Sections that need an optional extra: refused up front in one line naming it, before any work.
NEEDS = {"reports": require_matplotlib, "fuzz": require_hypothesis}
INTRO = ("The seed course notes are the worked examples of an introductory course on optimisation in "
         "neural networks, numbered seed 000 to 004 (loss functions, gradient descent, Newton's method, "
         "perceptrons, backpropagation in small networks); this tour reruns them with difflab, measures "
         "every derivative against an mpmath reference, and links the files it wrote at the end.")
LINKED = (".html", ".md", ".png", ".json", ".csv")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-o", "--output", default="difflab-tour", metavar="DIR",
                        help="folder for the tour's log, report and plots (default: ./difflab-tour)")
    parser.add_argument("--only", metavar="A,B", help=f"run only these sections ({', '.join(SECTIONS)})")


def _chosen(only: str | None) -> tuple[str, ...]:
    if only is None:
        return SECTIONS
    chosen = tuple(s.strip() for s in only.split(",") if s.strip())
    if not chosen:
        raise InputError(f"--only names no section; choose from: {', '.join(SECTIONS)}")
    unknown = [s for s in chosen if s not in SECTIONS]
    if unknown:
        raise InputError(f"unknown tour section '{unknown[0]}'; choose from: {', '.join(SECTIONS)}")
    return chosen


def _output_folder(path: str) -> pathlib.Path:
    out_dir = pathlib.Path(path)
    if out_dir.exists() and not out_dir.is_dir():
        raise OutputError(f"cannot write the tour to '{out_dir}': it exists and is not a folder")
    parent = out_dir.absolute().parent
    if not parent.is_dir():
        raise OutputError(f"cannot write the tour to '{out_dir}': folder '{parent}' does not exist")
    return out_dir


def _move_into(staging: pathlib.Path, out_dir: pathlib.Path) -> list[str]:
    """Move every staged file into out_dir (``tour.md`` last); returns the names of files replaced."""
    try:
        if not out_dir.exists():
            os.replace(staging, out_dir)  # one rename: the whole folder appears at once
            return []
        names = sorted(p.name for p in staging.iterdir())
        names.sort(key=lambda n: n == LOG)
        replaced = []
        for name in names:
            target = out_dir / name
            if target.is_dir() and not target.is_symlink():
                raise OutputError(f"cannot write '{target}': it is a folder")
            if target.exists() or target.is_symlink():
                replaced.append(name)
            os.replace(staging / name, target)
        return replaced
    except OSError as err:
        raise OutputError(f"cannot move the tour into '{out_dir}': {err.strerror or err}") from None


def to_markdown(log: list[str], files: list[str]) -> str:
    """The tour's log as CommonMark: section titles as headings, everything printed as fenced text (so
    ``x**4`` stays ``x**4`` and ``__import__`` keeps its underscores), then links to the files written."""
    out = ["# difflab tour", "", INTRO, ""]
    block: list[str] = []

    def flush() -> None:
        while block and not block[0].strip():
            block.pop(0)
        while block and not block[-1].strip():
            block.pop()
        if block:
            ticks = max([3] + [len(t) + 1 for line in block for t in _backtick_runs(line)])
            fence = "`" * ticks
            out.extend([fence + "text", *block, fence, ""])
        block.clear()

    for text in log:
        for line in text.split("\n"):
            if line.startswith("## "):
                flush()
                out.extend([line, ""])
            else:
                block.append(line)
    flush()
    shown = [f for f in sorted(files) if f.endswith(LINKED) and f != LOG]
    if shown:
        out += ["## Files written", ""] + [f"- [{name}]({name})" for name in shown] + [""]
    return "\n".join(out)


def _backtick_runs(line: str) -> list[str]:
    runs, current = [], ""
    for ch in line:
        if ch == "`":
            current += ch
        elif current:
            runs.append(current)
            current = ""
    return runs + ([current] if current else [])


def run(args: argparse.Namespace) -> int:
    chosen = _chosen(args.only)
    for name in chosen:
        if name in NEEDS:
            NEEDS[name]()  # a missing extra: one line naming it, exit 2
    out_dir = _output_folder(args.output)
    log: list[str] = []
    try:
        staging = pathlib.Path(tempfile.mkdtemp(prefix=f".{out_dir.absolute().name}.", suffix=".partial",
                                                dir=out_dir.absolute().parent))
    except OSError as err:
        raise OutputError(f"cannot write the tour beside '{out_dir}': {err.strerror or err}") from None

    def say(text: str = "") -> None:
        text = text.replace(str(staging), str(out_dir))  # sections name the files where they will be
        print(text, flush=True)
        log.append(text)

    failures = 0
    try:
        for name in chosen:
            # deferred: a section may need an optional extra (fuzz: Hypothesis); the others run without it
            module = importlib.import_module(f"difflab.cli.tour.{name}")
            say(f"\n## {module.TITLE}\n")
            start = time.perf_counter()
            try:
                module.run(staging, say)
            except Exception:  # a tour section must never hide the others; the failure is shown in full
                failures += 1
                say("SECTION FAILED:\n```\n" + traceback.format_exc() + "```")
            say(f"\n({time.perf_counter() - start:.1f} s)")
        write_atomic(staging / LOG, to_markdown(log, [p.name for p in staging.iterdir()]))
        replaced = _move_into(staging, out_dir)
    finally:
        with contextlib.suppress(OSError):
            shutil.rmtree(staging)
    print(f"\ntour written to {out_dir / LOG}")
    if replaced:
        print(f"replaced existing files in {out_dir}: {', '.join(replaced)}")
    return 1 if failures else 0
