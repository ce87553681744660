"""``difflab compare EXPR --at ... [--order K] [--methods a,b] [--json]``: methods vs the reference.

Order 1 and 2 compare gradients and Hessians; ``--order K`` (3..10, one variable) compares
``"derivatives"`` f, f', ..., f^(K); a vector ``"[f1, f2]"`` compares ``"jacobian"``s.
"""

from __future__ import annotations

import argparse

from difflab.cli.arrays import add_array_arguments, array_function_and_data, is_array_command
from difflab.cli.output import add_function_arguments, emit, fmt, function_from_args, point_from_args, table
from difflab.errors import InputError
from difflab.measure.comparison import compare


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_function_arguments(parser, at_required=False)
    add_array_arguments(parser)
    parser.add_argument("--order", type=int, default=1,
                        help="1: gradient, 2: Hessian, K (up to 10, one variable): f, f', ..., f^(K)")
    parser.add_argument("--methods", metavar="A,B", help="methods to run (default: all)")


def run(args: argparse.Namespace) -> int:
    data, text, code = measure(args)
    emit(args, data, text)
    return code


def measure(args: argparse.Namespace) -> tuple[dict, str, int]:
    """The comparison as (JSON data, the table, exit code): printed by ``run``, one line of a batch."""
    names = [m.strip() for m in args.methods.split(",")] if args.methods else None
    if not 1 <= args.order <= 10:
        raise InputError(f"--order must be from 1 to 10; got {args.order}")
    arrays = is_array_command(args)
    if arrays:  # --shape: the point is the variable's array from --data
        f, at = array_function_and_data(args)
    else:
        f = function_from_args(args)
        at = point_from_args(f, args)
    result = compare(f, at, methods=names, order=args.order)
    key = result.quantity
    point = {result.variables[0]: list(result.point)} if arrays else \
        dict(zip(result.variables, result.point, strict=True))
    data = {"variables": list(result.variables), "point": point,
            "reference": {key: result.reference.tolist()},
            "methods": {r.method: {key: r.estimate.value.tolist(), "max_rel_error": r.max_rel_error,
                                   "error_estimate": None if r.estimate.error_estimate is None
                                   else r.largest_estimate,
                                   "rel_errors": r.rel_error.tolist(),
                                   "error_estimates": None if r.estimate.error_estimate is None
                                   else r.estimate.error_estimate.tolist(),
                                   "worst": None if r.worst is None else
                                   {"index": list(r.worst.index), "entry": result.entry_name(r.worst.index),
                                    "value": r.worst.value, "reference": r.worst.reference,
                                    "rel_error": r.worst.rel_error},
                                   "honest": r.honest, "evaluations": r.estimate.nfev,
                                   "seconds": r.estimate.seconds, "status": r.estimate.status}
                        for r in result.rows}}
    if not arrays:  # scalar variables: the table's own text, as in a notebook (str(result))
        return data, str(result), 0
    rows = []
    for r in result.rows:
        worst = "" if r.worst is None else f"{list(r.worst.index)}"
        est = "-" if r.estimate.error_estimate is None else fmt(r.largest_estimate, 2)
        honest = {True: "yes", False: "NO", None: "-"}[r.honest]
        rows.append([r.method, fmt(r.max_rel_error, 3), worst, est, honest, r.estimate.nfev,
                     f"{r.estimate.seconds * 1e3:.2f}", r.estimate.status])
    point = f"--data {args.data.strip()}" if arrays else ", ".join(f"{k}={fmt(v)}" for k, v in point.items())
    shown = [fmt(v, 17) for v in result.reference.ravel()[:12]]
    shown += ["..."] if result.reference.size > 12 else []
    text = "\n".join([f"f = {result.function}   at {point}",
                      f"reference ({key} {result.reference.shape}, mpmath): {shown}", "",
                      table(["method", "max rel err", "worst", "est. abs err", "honest", "evals", "ms",
                             "status"], rows)])
    return data, text, 0
