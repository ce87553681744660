"""``difflab fuzz [--examples N] [--seed S] [--workers N | --scheduler ADDRESS] [--property NAME] [--json]``
and ``difflab fuzz --replay FILE.json | PROPERTY:CHUNK_SEED:EXAMPLES``.

Property runs, on local worker processes or (``--scheduler tcp://host:8786``) on a Dask cluster; the
seed alone decides the examples and verdicts. Each failure carries the command that replays it here,
in this process (``--replay``): the failing chunk runs again from its seed and shrinks to the same case.

Exit 1 when any property failed (each failure is printed with its shrunk expression, point and
values) or a replayed failure still fails, 0 otherwise.  A progress bar goes to stderr on a terminal
or with ``--progress``.
"""

from __future__ import annotations

import argparse
import os

from difflab.cli.output import emit, table
from difflab.cli.progress import progress_bar
from difflab.errors import InputError
from difflab.testing.fuzz_runner import replay, run_fuzz


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
    parser.add_argument("--replay", metavar="FILE|TOKEN",
                        help="run failing chunks again here: a fuzz run's --json output, or one failure's "
                             "PROPERTY:CHUNK_SEED:EXAMPLES (printed with each failure)")
    parser.add_argument("--progress", action="store_true",
                        help="show progress on stderr even when it is not a terminal (one line per chunk)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def _failure_text(f: dict) -> str:
    point = ", ".join(f"{k}={v!r}" for k, v in (f.get("point") or {}).items())
    lines = [f"FAILED {f['property']}: {f['message']}", f"  expression: {f.get('expression')}",
             f"  point:      {point}"]
    if "outer" in f:
        lines.append(f"  f(u) = {f['outer']},  g = {f['inner']}")
    for name, value in (f.get("values") or {}).items():
        lines.append(f"  {name}: {value}")
    if f.get("replay"):
        lines.append(f"  replay here: difflab fuzz --replay {f['replay']}")
    return "\n".join(lines)


def _replay(args: argparse.Namespace) -> int:
    if args.scheduler or args.workers is not None:
        raise InputError("--replay runs the failing chunks here, in this process: drop --scheduler/--workers")
    records = replay(args.replay)
    texts = [] if records else [f"nothing to replay: {args.replay.strip()} records no failure"]
    for r in records:
        if r["failure"] is None:
            texts.append(f"PASSES NOW {r['replay']}: the chunk ran again here and found no failure")
        else:
            how = "REPRODUCED" if r["reproduced"] else "FAILS DIFFERENTLY (not the recorded case)"
            texts.append(f"{how} {r['replay']}\n" + _failure_text(r["failure"]))
    emit(args, {"replayed": records}, "\n\n".join(texts))
    return 1 if any(r["failure"] for r in records) else 0


def run(args: argparse.Namespace) -> int:
    if args.replay:
        return _replay(args)
    workers = args.workers if args.workers is not None else os.cpu_count() or 1
    bar = progress_bar("fuzz", "chunks", args.progress)
    try:
        report = run_fuzz(examples=args.examples, seed=args.seed, workers=workers,
                          properties=args.property, progress=bar,
                          scheduler=args.scheduler.strip() if args.scheduler else None)
    finally:
        if bar:
            bar.close()
    rows = [[name, c["passed"], c["failed"]] for name, c in report["properties"].items()]
    text = "\n".join([f"difflab fuzz: {report['examples']} examples per property, seed {report['seed']}, "
                      f"{report['seconds']:.1f} s", "", table(["property", "passed", "failed"], rows)]
                     + [""] + [_failure_text(f) for f in report["failures"]])
    emit(args, report, text.rstrip())
    return 1 if any(c["failed"] for c in report["properties"].values()) else 0
