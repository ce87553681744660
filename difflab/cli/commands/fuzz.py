"""``difflab fuzz [--examples N] [--seed S] [--workers N | --scheduler ADDRESS] [--property NAME] [--json]``.

Property runs, on local worker processes or (``--scheduler tcp://host:8786``) on a Dask cluster; the
seed alone decides the examples and verdicts.

Exit 1 when any property failed (each failure is printed with its shrunk expression, point and
values), 0 otherwise.  Progress goes to stderr unless ``--json`` (whose stdout is one JSON object).
"""

from __future__ import annotations

import argparse
import os
import sys

from difflab.cli.output import emit, table
from difflab.testing.fuzz_runner import run_fuzz


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--examples", type=int, default=100, metavar="N",
                        help="examples per property (default 100)")
    parser.add_argument("--seed", type=int, default=0, metavar="S", help="seed of the run (default 0)")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--workers", type=int, default=None, metavar="N",
                       help="worker processes (default: all cores; results do not depend on it)")
    where.add_argument("--scheduler", metavar="ADDRESS",
                       help="run the chunks on the Dask cluster of this scheduler, e.g. tcp://host:8786 "
                            "(needs the dask extra; same results as a local run)")
    parser.add_argument("--property", action="append", metavar="NAME",
                        help="run only this property (repeatable; default: all)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def _failure_text(f: dict) -> str:
    point = ", ".join(f"{k}={v!r}" for k, v in (f.get("point") or {}).items())
    lines = [f"FAILED {f['property']}: {f['message']}", f"  expression: {f.get('expression')}",
             f"  point:      {point}"]
    if "outer" in f:
        lines.append(f"  f(u) = {f['outer']},  g = {f['inner']}")
    for name, value in (f.get("values") or {}).items():
        lines.append(f"  {name}: {value}")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    def progress(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    workers = args.workers if args.workers is not None else os.cpu_count() or 1
    report = run_fuzz(examples=args.examples, seed=args.seed, workers=workers,
                      properties=args.property, progress=None if args.json else progress,
                      scheduler=args.scheduler.strip() if args.scheduler else None)
    rows = [[name, c["passed"], c["failed"]] for name, c in report["properties"].items()]
    text = "\n".join([f"difflab fuzz: {report['examples']} examples per property, seed {report['seed']}, "
                      f"{report['seconds']:.1f} s", "", table(["property", "passed", "failed"], rows)]
                     + [""] + [_failure_text(f) for f in report["failures"]])
    emit(args, report, text.rstrip())
    return 1 if any(c["failed"] for c in report["properties"].values()) else 0
