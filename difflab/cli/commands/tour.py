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

SECTIONS = ("foundation", "singular", "autodiff", "matrix", "derivations", "solvers", "reports", "fuzz")
LOG = "tour.md"


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


def run(args: argparse.Namespace) -> int:
    chosen = _chosen(args.only)
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
        write_atomic(staging / LOG, "# difflab tour\n" + "\n".join(log) + "\n")
        replaced = _move_into(staging, out_dir)
    finally:
        with contextlib.suppress(OSError):
            shutil.rmtree(staging)
    print(f"\ntour written to {out_dir / LOG}")
    if replaced:
        print(f"replaced existing files in {out_dir}: {', '.join(replaced)}")
    return 1 if failures else 0
