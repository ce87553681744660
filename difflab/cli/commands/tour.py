"""``difflab tour [-o DIR]``: the seed course's worked examples end to end, with a report.

The tour is a list of sections (``difflab/cli/tour/<name>.py``, each with ``TITLE`` and
``run(out_dir, say)``). Everything said is printed and also written to ``DIR/tour.md``.
"""

from __future__ import annotations

import argparse
import importlib
import pathlib
import time
import traceback

from difflab.errors import InputError

SECTIONS = ("foundation", "singular", "autodiff", "matrix", "derivations", "solvers", "reports", "fuzz")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-o", "--output", default="difflab-tour", metavar="DIR",
                        help="folder for the tour's log, report and plots (default: ./difflab-tour)")
    parser.add_argument("--only", metavar="A,B", help=f"run only these sections ({', '.join(SECTIONS)})")


def run(args: argparse.Namespace) -> int:
    out_dir = pathlib.Path(args.output)
    out_dir.mkdir(parents=True, exist_ok=True)
    log: list[str] = []

    def say(text: str = "") -> None:
        print(text, flush=True)
        log.append(text)

    chosen = SECTIONS
    if args.only:
        chosen = tuple(s.strip() for s in args.only.split(",") if s.strip())
        unknown = [s for s in chosen if s not in SECTIONS]
        if unknown:
            raise InputError(f"unknown tour section '{unknown[0]}'; choose from: {', '.join(SECTIONS)}")
    failures = 0
    for name in chosen:
        try:
            # deferred: a section may need an optional extra (fuzz: Hypothesis); the others run without it
            module = importlib.import_module(f"difflab.cli.tour.{name}")
        except ModuleNotFoundError as err:
            if err.name == f"difflab.cli.tour.{name}":
                continue
            raise
        say(f"\n## {module.TITLE}\n")
        start = time.perf_counter()
        try:
            module.run(out_dir, say)
        except Exception:  # a tour section must never hide the others; the failure is shown in full
            failures += 1
            say("SECTION FAILED:\n```\n" + traceback.format_exc() + "```")
        say(f"\n({time.perf_counter() - start:.1f} s)")
    (out_dir / "tour.md").write_text("# difflab tour\n" + "\n".join(log) + "\n")
    print(f"\ntour written to {out_dir / 'tour.md'}")
    return 1 if failures else 0
