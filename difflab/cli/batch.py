"""``difflab compare --file FUNCS.txt`` and ``difflab sweep --file FUNCS.txt``: many functions, one per line.

The file::

    # comments (from '#' to the end of a line) and blank lines are skipped
    exp(x)*sin(y)                   # no point of its own: the command line's --at
    (t**2 - 4)/(t - 2) ; t=2        # its own point after ';'
    x*y ; x=1,y=2 ; x=3,y=4         # several ';' parts: several --at options (sweep takes several points)

Why ';' and '#': neither belongs to the expression language, so a line splits without parsing it. Each
';' part of a line is one ``--at`` option of that line and follows the one ``--at`` rule (``; x=1 ; y=2``
is one point, as ``--at x=1 --at y=2`` is); a line without one uses the command line's ``--at``,
applied to that line's own variables. Every other option (``--order``, ``--methods``, ``--schemes``,
``--vars``, ``--let``, ``--budget``, ...) applies to every line.

Each line is one task for ``testing.workers.run_tasks``: ``--workers K`` local processes (default all
cores) or ``--scheduler ADDRESS`` (a Dask cluster), with the same results either way, in file order.
A line runs under a hard wall-clock budget (``--function-budget``, in a ``budget.within`` worker that is
killed at the deadline) and its failure -- a parse error, a pole, a budget overrun -- is that line's
result; the other lines are still done. Output: each line's table (or its error), or with ``--json`` a
list with one object per line: ``line``, ``expr`` and the single-function command's keys (``error``
instead when the line failed). Exit 2 when a line failed (one line on stderr names it), else 1 when a
line's own command would exit 1 (a sweep with no result at a point), else 0.
"""

from __future__ import annotations

import argparse
import os
import pathlib
import sys
from typing import Any

from difflab.cli.commands import compare, sweep
from difflab.cli.output import emit
from difflab.cli.progress import progress_bar
from difflab.errors import DifflabError, InputError
from difflab.expr import budget
from difflab.testing.workers import Tick, run_tasks

COMMANDS = {"compare": compare.measure, "sweep": sweep.measure}
FUNCTION_SECONDS = 300.0   # default wall-clock budget of one line (everything it computes)
MAX_FILE_BYTES = 10 << 20  # a functions file larger than this is refused before reading it
MESSAGE_LIMIT = 400        # characters of a failed line's message on the one stderr line


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The batch options of ``compare`` and ``sweep``; EXPR and --at become optional (a file gives them)."""
    for action in parser._actions:  # argparse's own list: the positional EXPR and --at, made optional
        if action.dest == "expr":
            action.nargs, action.required = "?", False
        elif action.dest == "at":
            action.required = False
    group = parser.add_argument_group("many functions (--file)")
    group.add_argument("--file", metavar="FUNCS.txt", help="one function per line instead of EXPR ('#' "
                       "comments; 'EXPR ; x=1,y=2' gives a line its own point, else --at applies)")
    where = group.add_mutually_exclusive_group()
    where.add_argument("--workers", type=int, default=None, metavar="N",
                       help="worker processes for --file (default: all cores; results do not depend on it)")
    where.add_argument("--scheduler", metavar="ADDRESS", help="run the lines of --file on the Dask cluster "
                       "of this scheduler, e.g. tcp://host:8786 (the dask extra; same results)")
    group.add_argument("--function-budget", type=float, default=None, metavar="SECONDS",
                       help=f"wall-clock seconds one line of --file may take; it is then stopped and "
                            f"reported (default {FUNCTION_SECONDS:g})")
    group.add_argument("--progress", action="store_true",
                       help="progress on stderr even when it is not a terminal (one line per function)")


BATCH_ONLY = {"workers": "--workers", "scheduler": "--scheduler", "function_budget": "--function-budget",
              "progress": "--progress"}


def refuse_without_file(args: argparse.Namespace) -> None:
    """The batch options mean nothing for one EXPR: refused in words rather than silently ignored."""
    given = [option for dest, option in BATCH_ONLY.items() if getattr(args, dest, None) not in (None, False)]
    if given:
        raise InputError(f"{given[0]} goes with --file FUNCS.txt (many functions); one EXPR runs here")


def read_functions(path: str) -> list[tuple[int, str, list[str]]]:
    """(line number, expression, its ';' point parts) for every line of the file that is not a comment."""
    file = pathlib.Path(path.strip())
    try:
        if file.stat().st_size > MAX_FILE_BYTES:
            raise InputError(f"--file '{file}' is larger than {MAX_FILE_BYTES >> 20} MB")
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"--file: no file '{file}'") from None
    except IsADirectoryError:
        raise InputError(f"--file: '{file}' is a folder, not a file of functions") from None
    except UnicodeDecodeError as err:
        raise InputError(f"--file '{file}' is not UTF-8 text (byte {err.start})") from None
    except OSError as err:
        raise InputError(f"--file: cannot read '{file}': {err.strerror or err}") from None
    out = []
    for number, raw in enumerate(text.splitlines(), start=1):
        body = raw.split("#", 1)[0].strip()
        if body:
            expr, *points = (part.strip() for part in body.split(";"))
            out.append((number, expr, points))
    if not out:
        raise InputError(f"--file '{file}' has no functions (only comments and blank lines)")
    return out


def measure_line(command: str, options: dict[str, Any], expr: str, points: list[str]) -> dict[str, Any]:
    """One line as its single-function command measures it: ``{"data", "text", "code"}`` or
    ``{"error"}``. Never raises: what goes back from a worker is plain data."""
    try:
        if not expr:
            raise InputError("no expression before ';'")
        if any(not p for p in points):
            raise InputError("an empty point after ';' (write 'EXPR ; x=1,y=2')")
        at = points or options["at"]
        if not at:
            raise InputError("no point: end the line with '; x=1,y=2' or give --at")
        args = argparse.Namespace(**{**options, "expr": expr, "at": at, "json": True, "command": command})
        with budget.limits(seconds=args.budget if args.budget != 0 else None, memory_mb=args.memory_mb):
            data, text, code = COMMANDS[command](args)
        return {"data": data, "text": text, "code": code}
    except DifflabError as err:
        return {"error": " ".join(str(err).split())}
    except RecursionError:
        return {"error": "input nested too deeply (over Python's recursion limit)"}
    except MemoryError:
        return {"error": "out of memory (the line needs more memory than a worker may use)"}
    except Exception as err:  # noqa: BLE001 -- one line's bug must not end the batch; it is reported
        return {"error": f"unexpected {type(err).__name__}: {' '.join(str(err).split())} (a difflab bug)"}


def line_task(command: str, options: dict[str, Any], number: int, expr: str, points: list[str],
              seconds: float) -> dict[str, Any]:
    """One line under its wall-clock budget (the task a worker runs): ``measure_line`` in a budget
    worker that is killed at the deadline, so a runaway line costs ``seconds`` and no more."""
    try:
        result = budget.within(seconds, measure_line, command, options, expr, points)
    except budget.OverBudget as err:
        result = {"error": f"over its budget of {seconds:g} s per function ({err})"}
    return {"line": number, "expr": expr, **result}


def _options(args: argparse.Namespace) -> dict[str, Any]:
    """The options every line shares, as plain data (a task travels to a worker process or a cluster):
    every option of the command -- whatever options it grows -- but the parser's own entries, the batch
    options and what each line sets itself."""
    skip = {"file", "expr", "json", "command", *BATCH_ONLY}
    options = {k: v for k, v in vars(args).items() if not k.startswith("_") and k not in skip}
    options["at"] = list(args.at or [])
    return options


def run(args: argparse.Namespace) -> int:
    if args.expr is not None:
        raise InputError("give EXPR or --file FUNCS.txt, not both")
    if any(getattr(args, name, None) for name in ("shape", "wrt", "data")):
        raise InputError("--file takes scalar expressions; --shape/--wrt/--data describe one array function")
    seconds = budget.check_seconds(FUNCTION_SECONDS if args.function_budget is None else args.function_budget,
                                   "--function-budget")
    if seconds == 0:
        raise InputError("--function-budget must be more than 0 seconds")
    lines = read_functions(args.file)
    options = _options(args)
    tasks = [(args.command, options, number, expr, points, seconds) for number, expr, points in lines]
    workers = args.workers if args.workers is not None else min(os.cpu_count() or 1, len(tasks))
    bar = progress_bar(args.command, "functions", args.progress)
    count = {"done": 0, "failed": 0}

    def done(result: dict[str, Any]) -> None:
        count["done"] += 1
        count["failed"] += "error" in result
        if bar:
            said = f"line {result['line']}: {result['expr']}"
            said += f": {result['error']}" if "error" in result else ""
            bar(Tick(count["done"], len(tasks), count["failed"], said))

    def connected(workers_there: int) -> None:
        if bar:
            bar(Tick(0, len(tasks), 0, f"Dask scheduler {args.scheduler.strip()}: {workers_there} workers, "
                                       f"{len(tasks)} functions"))

    try:
        results = run_tasks(line_task, tasks, workers=workers, scheduler=args.scheduler, done=done,
                            started=connected)
    finally:
        if bar:
            bar.close()
    return _report(args, results)


def _report(args: argparse.Namespace, results: list[dict[str, Any]]) -> int:
    records = [{"line": r["line"], "expr": r["expr"], **(r["data"] if "data" in r else {"error": r["error"]})}
               for r in results]
    texts = [f"== line {r['line']}: {r['expr']} ==\n" + (r["text"] if "text" in r else f"error: {r['error']}")
             for r in results]
    errors = [r for r in results if "error" in r]
    ok = len(results) - len(errors)
    summary = f"{len(results)} functions: {ok} done" + (f", {len(errors)} failed (line " + ", ".join(
        str(r["line"]) for r in errors) + ")" if errors else "")
    emit(args, records, "\n\n".join([*texts, summary]))  # type: ignore[arg-type] -- a list, one per line
    if errors:
        first = errors[0]
        more = f" (and {len(errors) - 1} more failed lines; see the output)" if len(errors) > 1 else ""
        message = first["error"]
        message = message if len(message) <= MESSAGE_LIMIT else message[:MESSAGE_LIMIT] + "..."
        sys.stderr.write(f"difflab {args.command}: error: line {first['line']}: {message}{more}\n")
        return 2
    return 1 if any(r["code"] for r in results) else 0
