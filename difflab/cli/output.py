"""Shared pieces of the subcommands: common arguments, JSON-safe values, plain-text tables."""

from __future__ import annotations

import argparse
import json
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from difflab.display import fmt, table  # noqa: F401 -- the one text table; commands print what str(result) shows
from difflab.errors import InputError
from difflab.expr import budget
from difflab.expr.function import Function
from difflab.expr.parse import MAX_LENGTH


def add_function_arguments(parser: argparse.ArgumentParser, at: bool = True,
                           at_required: bool = True) -> None:
    """EXPR, --at, --vars, --let: how every command names a function and a point (``at_required=False``:
    the command checks it, as ``diff`` and ``compare`` do, which take --data instead for arrays)."""
    parser.add_argument("expr", metavar="EXPR", help="expression in Python syntax, e.g. 'exp(x)*sin(y)'")
    if at:
        parser.add_argument("--at", required=at_required, action="append", metavar="POINT", help=AT_RULE)
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


AT_RULE = ("point as name=value pairs, e.g. --at x=1,y=-2. The same rule for every command: pairs "
           "accumulate into one point until every variable has a value (--at x=1 --at y=-2 is one point); "
           "the next --at starts another point. sweep and report take several points; diff, compare and "
           "newton take one")


def points_from_args(f: Any, args: argparse.Namespace) -> list[np.ndarray]:
    """The points of the repeated --at options under ``AT_RULE`` (each validated by ``Function.point``)."""
    texts: list[str] = []
    current: dict[str, str] = {}
    names = set(f.variables)
    for item in args.at or []:
        pairs = [p.strip() for p in str(item).split(",") if p.strip()]
        if any("=" not in p for p in pairs):  # bare values (--at 1.5 for one variable): one whole point
            if current:
                texts.append(",".join(f"{k}={v}" for k, v in current.items()))
                current = {}
            texts.append(str(item).strip())
            continue
        for pair in pairs:
            name, _, value = pair.partition("=")
            name = name.strip()
            if name in current:
                raise InputError(f"--at gives '{name}' twice before the point is complete "
                                 f"({name}={current[name]} and {name}={value.strip()}); every variable once "
                                 "per point")
            current[name] = value.strip()
            if names <= set(current):
                texts.append(",".join(f"{k}={v}" for k, v in current.items()))
                current = {}
    if current:
        texts.append(",".join(f"{k}={v}" for k, v in current.items()))  # incomplete: point() says what
    return [f.point(t) for t in texts]


def point_from_args(f: Any, args: argparse.Namespace) -> np.ndarray:
    """The one point of a single-point command (diff, compare, newton) under ``AT_RULE``."""
    points = points_from_args(f, args)
    if len(points) != 1:
        shown = "; ".join(", ".join(f"{v}={x:g}" for v, x in zip(f.variables, p, strict=True))
                          for p in points)
        raise InputError(f"{args.command} takes one point; the --at options give {len(points)} ({shown}): a "
                         "complete point starts the next one")
    return points[0]


def parse_let(items: Sequence[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items or []:
        name, sep, body = item.strip().partition("=")
        if not sep or not name.strip() or not body.strip():
            raise InputError(f"--let needs NAME=EXPR, got '{item.strip()}'")
        out[name.strip()] = body.strip()
    return out


def function_from_args(args: argparse.Namespace):
    if args.expr is None:
        raise InputError("an expression is required: EXPR, or --file FUNCS.txt with one per line")
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


def emit(args: argparse.Namespace, data: dict, text: str) -> None:
    """Print the JSON object with --json, else the readable table."""
    if getattr(args, "json", False):
        print(json.dumps(jsonable(data), indent=2))
    else:
        print(text)


