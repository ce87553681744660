"""``difflab diff EXPR --at x=1,y=2 [--order 1|2] [--method NAME] [--json] [--verbose]``."""

from __future__ import annotations

import argparse

import numpy as np

from difflab.cli.arrays import add_array_arguments, is_array_command, run_diff
from difflab.cli.output import add_function_arguments, emit, fmt, function_from_args, table
from difflab.methods import registry as methods
from difflab.methods.symbolic import generated_source
from difflab.singular.notes import point_notes


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_function_arguments(parser, at_required=False)
    add_array_arguments(parser)
    parser.add_argument("--order", type=int, choices=(1, 2), default=1, help="1: gradient, 2: also Hessian")
    parser.add_argument("--method", default="symbolic", help="differentiation method (default symbolic)")
    parser.add_argument("--verbose", action="store_true", help="show the generated code")


def run(args: argparse.Namespace) -> int:
    if is_array_command(args):
        return run_diff(args)
    f = function_from_args(args)
    x = f.point(args.at)
    method = methods.get(args.method)
    grad = method.gradient(f, x)
    hess = method.hessian(f, x) if args.order == 2 else None
    value = value_at(f, x)
    # The point's own notes (limit, series branch, pole, kink, domain edge) first, then each estimate's
    # words; the same sentence is said once.
    notes: list[str] = []
    for note in [*point_notes(f, x), *(n for e in (grad, hess) if e is not None for n in e.notes),
                 *(e.status for e in (grad, hess) if e is not None and not e.ok)]:
        if note not in notes and not any(note in earlier for earlier in notes):
            notes.append(note)
    data = {"variables": list(f.variables), "point": dict(zip(f.variables, x.tolist(), strict=True)),
            "value": value, "gradient": grad.value.tolist(), "method": method.name, "notes": notes}
    if hess is not None:
        data["hessian"] = hess.value.tolist()
    lines = [f"f = {f.text}", f"at {', '.join(f'{k}={fmt(v)}' for k, v in data['point'].items())}",
             f"value = {fmt(value)}", "",
             table(["variable", f"df/dvar ({method.name})"],
                   [[v, g] for v, g in zip(f.variables, grad.value.tolist(), strict=True)])]
    if hess is not None:
        lines += ["", "Hessian:", table([""] + list(f.variables),
                                        [[v] + row for v, row in zip(f.variables, hess.value.tolist(),
                                                                     strict=True)])]
    if notes:
        lines += [""] + [f"note: {n}" for n in notes]
    if args.verbose and f.has_expression and method.name == "symbolic":
        lines += ["", "generated code:", generated_source(f, args.order)]
    emit(args, data, "\n".join(lines))
    return 0


def value_at(f, x) -> float:
    with np.errstate(all="ignore"):
        return float(np.real(f.numpy(*x)))
