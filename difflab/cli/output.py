"""Shared pieces of the subcommands: common arguments, JSON-safe values, plain-text tables."""

from __future__ import annotations

import argparse
import json
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from difflab.errors import InputError
from difflab.expr import budget
from difflab.expr.function import Function
from difflab.expr.parse import MAX_LENGTH


def add_function_arguments(parser: argparse.ArgumentParser, at: bool = True, repeat_at: bool = False,
                           at_required: bool = True) -> None:
    """EXPR, --at, --vars, --let: how every command names a function and a point (``at_required=False``:
    the command checks it, as ``diff`` and ``compare`` do, which take --data instead for arrays)."""
    parser.add_argument("expr", metavar="EXPR", help="expression in Python syntax, e.g. 'exp(x)*sin(y)'")
    if at:
        parser.add_argument("--at", required=at_required, action="append" if repeat_at else _JoinPoint,
                            metavar="POINT", help="point as name=value pairs, e.g. x=1,y=-2"
                            + (" (repeat for several points)" if repeat_at else
                               " (may be split: --at x=1 --at y=-2)"))
    parser.add_argument("--vars", metavar="NAMES", help="variable order, comma separated (default: sorted)")
    parser.add_argument("--let", action="append", default=[], metavar="NAME=EXPR",
                        help="abbreviation used in the expression (repeatable)")
    parser.add_argument("--max-length", default=str(MAX_LENGTH), metavar="N",
                        help=f"longest expression text accepted (default {MAX_LENGTH} characters)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    add_budget_arguments(parser)


def add_budget_arguments(parser: argparse.ArgumentParser, seconds: bool = True) -> None:
    """--budget SECONDS and --memory MB: the hard limits of every step that can run away (a SymPy limit
    or simplification, the mpmath reference); ``cli.entry`` applies them (``expr.budget.limits``)."""
    if seconds:
        parser.add_argument("--budget", type=float, default=None, metavar="SECONDS",
                            help=f"seconds for each bounded symbolic step (default "
                                 f"{budget.CALL_SECONDS:g} per call, {budget.TOTAL_SECONDS:g} per analysis "
                                 "or reference)")
    parser.add_argument("--memory", type=float, default=None, metavar="MB", dest="memory_mb",
                        help=f"memory cap of each bounded step in MB (default {budget.MEMORY_BYTES >> 20})")


def _max_length(args: argparse.Namespace) -> int:
    text = str(getattr(args, "max_length", MAX_LENGTH)).strip()
    value = int(text) if text.isdigit() else 0
    if value < 1:
        raise InputError(f"--max-length needs a positive whole number, not '{text}'")
    return value


class _JoinPoint(argparse.Action):
    """``--at x=1 --at y=2`` means the point x=1, y=2 for single-point commands (not: keep the last one)."""

    def __call__(self, parser, namespace, values, option_string=None):
        previous = getattr(namespace, self.dest, None)
        setattr(namespace, self.dest, f"{previous},{values}" if previous else values)


def parse_let(items: Sequence[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items or []:
        name, sep, body = item.strip().partition("=")
        if not sep or not name.strip() or not body.strip():
            raise InputError(f"--let needs NAME=EXPR, got '{item.strip()}'")
        out[name.strip()] = body.strip()
    return out


def function_from_args(args: argparse.Namespace):
    if getattr(args, "at", "") is None:
        raise InputError("--at is required (e.g. --at x=1,y=2), or --shape NAME=DIMS for arrays")
    return Function(args.expr, variables=args.vars, let=parse_let(getattr(args, "let", [])),
                    max_length=_max_length(args))


def jsonable(value: Any) -> Any:
    """Numbers and arrays as JSON: nan becomes null (the notes say why), infinities "inf"/"-inf".

    Why strings for infinities: a one-sided limit of +inf is an answer worth keeping, and JSON has no inf.
    """
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return jsonable(value.tolist())
    if isinstance(value, np.generic):
        return jsonable(value.item())
    if isinstance(value, float):
        if math.isnan(value):
            return None
        return value if math.isfinite(value) else ("inf" if value > 0 else "-inf")
    return value


def emit(args: argparse.Namespace, data: dict, table: str) -> None:
    """Print the JSON object with --json, else the readable table."""
    if getattr(args, "json", False):
        print(json.dumps(jsonable(data), indent=2))
    else:
        print(table)


def fmt(value: Any, digits: int = 12) -> str:
    if isinstance(value, float | np.floating):
        return f"{float(value):.{digits}g}"
    return str(value)


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A plain aligned text table."""
    cells = [[str(h) for h in headers]] + [[fmt(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
