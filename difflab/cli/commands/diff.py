"""``difflab diff EXPR --at x=1,y=2 [--order K] [--method NAME] [--json] [--verbose]``.

``--order 1`` and ``2`` give the gradient and Hessian; ``--order K`` (3..10, one variable) adds
``"derivatives": [f, f', ..., f^(K)]``; ``--order 3`` of n > 1 variables adds the (n, n, n) tensor
``"third_derivatives"`` (T[i][j][k] = d3f/dx_i dx_j dx_k) beside ``"gradient"`` and ``"hessian"``;
a vector ``"[f1, f2]"`` gives ``"value": [..]`` and ``"jacobian"``.
"""

from __future__ import annotations

import argparse

import numpy as np

from difflab.cli.arrays import add_array_arguments, is_array_command, run_diff
from difflab.cli.output import add_function_arguments, emit, fmt, function_from_args, point_from_args, table
from difflab.errors import InputError
from difflab.expr.vector import VectorFunction
from difflab.methods import registry as methods
from difflab.methods.higher import derivatives, jacobian, third_derivatives
from difflab.methods.symbolic import generated_source
from difflab.singular.notes import point_notes, trusted_value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_function_arguments(parser, at_required=False)
    add_array_arguments(parser)
    parser.add_argument("--order", type=int, default=1,
                        help="1: gradient, 2: also Hessian, 3 (n variables): also the third-derivative "
                             "tensor, K (up to 10, one variable): f, f', ..., f^(K)")
    parser.add_argument("--method", default="symbolic", help="differentiation method (default symbolic)")
    parser.add_argument("--verbose", action="store_true", help="show the generated code")


def _notes(*estimates) -> list[str]:
    notes: list[str] = []
    for note in [*(n for e in estimates for n in e.notes), *(e.status for e in estimates if not e.ok)]:
        if note not in notes and not any(note in earlier for earlier in notes):
            notes.append(note)
    return notes


def _point(f, x) -> dict:
    return dict(zip(f.variables, x.tolist(), strict=True))


def run_vector(args: argparse.Namespace, F: VectorFunction) -> int:
    if args.order != 1:
        raise InputError("a vector-valued function gives its Jacobian (order 1); --order applies to scalar "
                         "functions")
    x = point_from_args(F, args)
    est = jacobian(F, x, args.method)
    with np.errstate(all="ignore"):
        value = F.value(x)
    data = {"variables": list(F.variables), "point": _point(F, x), "value": value.tolist(),
            "jacobian": est.value.tolist(), "method": est.method, "notes": _notes(est)}
    lines = [f"F = {F.text}", f"at {', '.join(f'{k}={fmt(v)}' for k, v in data['point'].items())}",
             f"value = [{', '.join(fmt(v) for v in value)}]", "", f"Jacobian ({est.method}):",
             table(["component"] + list(F.variables),
                   [[f"F{i}"] + row for i, row in enumerate(est.value.tolist())])]
    lines += [""] + [f"note: {n}" for n in data["notes"]] if data["notes"] else []
    emit(args, data, "\n".join(lines))
    return 0


def run_orders(args: argparse.Namespace, f) -> int:
    x = point_from_args(f, args)
    est = derivatives(f, x, args.order, args.method)
    data = {"variables": list(f.variables), "point": _point(f, x), "value": value_at(f, x),
            "derivatives": est.value.tolist(), "method": est.method, "notes": _notes(est)}
    if est.error_estimate is not None:
        data["error_estimate"] = est.error_estimate.tolist()
    rows = [[k, d, "" if est.error_estimate is None else fmt(e, 3)]
            for k, (d, e) in enumerate(zip(est.value.tolist(), (est.error_estimate if est.error_estimate
                                                                 is not None else est.value).tolist(),
                                           strict=True))]
    lines = [f"f = {f.text}", f"at {', '.join(f'{k}={fmt(v)}' for k, v in data['point'].items())}", "",
             table(["k", f"f^(k) ({est.method})", "error estimate"], rows)]
    lines += [""] + [f"note: {n}" for n in data["notes"]] if data["notes"] else []
    emit(args, data, "\n".join(lines))
    return 0


def run_third(args: argparse.Namespace, f) -> int:
    """Order 3 of n > 1 variables: value, gradient, Hessian and the tensor of third derivatives."""
    x = point_from_args(f, args)
    method = methods.get(args.method)
    grad, hess = method.gradient(f, x), method.hessian(f, x)
    third = third_derivatives(f, x, args.method)
    notes = _notes(grad, hess, third)
    data = {"variables": list(f.variables), "point": _point(f, x), "value": value_at(f, x),
            "gradient": grad.value.tolist(), "hessian": hess.value.tolist(),
            "third_derivatives": third.value.tolist(), "method": method.name, "notes": notes}
    if third.error_estimate is not None:
        data["third_derivatives_error_estimate"] = third.error_estimate.tolist()
    names = list(f.variables)
    lines = [f"f = {f.text}", f"at {', '.join(f'{k}={fmt(v)}' for k, v in data['point'].items())}",
             f"value = {fmt(data['value'])}", "",
             table(["variable", f"df/dvar ({method.name})"],
                   [[v, g] for v, g in zip(names, grad.value.tolist(), strict=True)]),
             "", "Hessian:", table([""] + names, [[v] + row for v, row in zip(names, hess.value.tolist(),
                                                                           strict=True)])]
    for k, name in enumerate(names):  # the tensor slice by slice: T[i, j, k] = d3f/dx_i dx_j dx_k
        lines += ["", f"third derivatives d/d{name} of the Hessian (T[:, :, {k}]):",
                  table([""] + names, [[v] + row for v, row in zip(names, third.value[:, :, k].tolist(),
                                                                   strict=True)])]
    lines += [""] + [f"note: {n}" for n in notes] if notes else []
    emit(args, data, "\n".join(lines))
    return 0


def run(args: argparse.Namespace) -> int:
    if is_array_command(args):
        return run_diff(args)
    f = function_from_args(args)
    if isinstance(f, VectorFunction):
        return run_vector(args, f)
    if not 1 <= args.order <= 10:
        raise InputError(f"--order must be from 1 to 10; got {args.order}")
    if args.order > 2 and f.n == 1:
        return run_orders(args, f)
    if args.order == 3:
        return run_third(args, f)
    if args.order > 3:
        raise InputError(f"--order {args.order} needs a function of one variable (f, f', ..., f^(K)); with "
                         f"{f.n} variables the highest order is 3 (the tensor of third derivatives)")
    x = point_from_args(f, args)
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
    """f at x, withheld (nan, null in JSON) where the point's notes say the numbers are not trusted."""
    return trusted_value(f, x)
