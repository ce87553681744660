"""``difflab sweep EXPR --at ... [--at ...] [--schemes a,b] [--order K] [--per-decade N] [--json]``.

Error against the mpmath reference over relative steps 1e-1..1e-16 for every finite-difference scheme
(a vector ``"[f1, f2]"``: the Jacobian's worst entry at each step, named at the optimum as
``worst_entry``; ``--order K`` >= 3: the K-th derivative over steps 1..eps**(1/K)/10),
with the optimal step found, where the fitted truncation and roundoff lines cross, and the theoretical
step. One point: one JSON object; several (``--at`` repeated): ``{"variables": [...], "points": [...]}``.
Progress goes to stderr on long runs (several points, many variables), never with ``--json``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from difflab.cli.output import add_function_arguments, emit, function_from_args, points_from_args
from difflab.measure.step_sweep import steps_for, sweep

LONG_WORK = 10  # variables from which one sweep counts as long work (progress is shown)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_function_arguments(parser)
    parser.add_argument("--schemes", metavar="A,B", help="schemes to sweep (default: forward, backward, "
                        "central, five-point, complex-step, richardson)")
    parser.add_argument("--order", type=int, default=1, metavar="K",
                        help="1: gradient (a vector function's Jacobian), 2: Hessian, K = 3..10: the K-th "
                             "derivative of a function of one variable")
    parser.add_argument("--per-decade", type=int, default=4, metavar="N",
                        help="steps per factor of ten between 1e-1 and 1e-16 (default 4; order K >= 3: twice "
                             "N between 1 and a decade below eps**(1/K))")


def progress_printer(args: argparse.Namespace, long: bool) -> Callable[[str], None] | None:
    """A stderr printer for long work, or None (short work, or --json, which must stay quiet)."""
    if getattr(args, "json", False) or not long:
        return None
    return lambda text: print(f"difflab: {text}", file=sys.stderr, flush=True)


def sweep_json(result) -> dict:
    """One sweep as plain JSON-ready data (shared with ``difflab report``)."""
    data = {"variables": list(result.variables),
            "point": dict(zip(result.variables, result.point, strict=True)),
            "order": result.order, "derivative": result.what, "status": result.status,
            "notes": list(result.notes),
            "reference": None if result.reference is None else result.reference.tolist(), "schemes": {}}
    for s in result.schemes:
        data["schemes"][s.scheme] = {
            "steps": s.steps.tolist(), "rel_error": s.rel_error.tolist(), "abs_error": s.abs_error.tolist(),
            "error_estimate": s.estimate.tolist(), "evaluations_per_step": s.nfev,
            "truncation_power": s.truncation_power, "roundoff_power": s.roundoff_power,
            "best_step": s.best_step, "best_error": s.best_error, "good_range": list(s.good_range),
            "model_step": s.model_step, "theory_step": s.theory_step, "default_step_error": s.default_error,
            "verdict": s.verdict, "notes": list(s.notes),
            "worst_entry": None if s.worst_entry is None else list(s.worst_entry)}
    return data


def run(args: argparse.Namespace) -> int:
    data, text, code = measure(args)
    emit(args, data, text)
    return code


def measure(args: argparse.Namespace) -> tuple[dict, str, int]:
    """The sweep as (JSON data, the table, exit code): printed by ``run``, one line of a batch."""
    f = function_from_args(args)
    points = points_from_args(f, args)
    schemes = [s.strip() for s in args.schemes.split(",") if s.strip()] if args.schemes else None
    steps = steps_for(args.order, args.per_decade)
    say = progress_printer(args, len(points) > 1 or f.n >= LONG_WORK or args.per_decade > 10)
    results = []
    for k, x in enumerate(points):
        if say and len(points) > 1:
            say(f"point {k + 1} of {len(points)}")
        results.append(sweep(f, x, schemes=schemes, steps=steps, order=args.order, progress=say))
    if len(results) == 1:
        data = sweep_json(results[0])
    else:
        data = {"variables": list(f.variables), "points": [sweep_json(r) for r in results]}
    # Exit 1 when a point has no sweep (a pole, outside the domain): the status says why.
    return data, "\n\n".join(str(r) for r in results), 0 if all(r.status == "ok" for r in results) else 1
