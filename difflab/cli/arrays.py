"""``--shape NAME=DIMS``, ``--wrt NAME``, ``--data FILE.npz``: array expressions in ``diff`` and ``compare``.

    difflab diff "sum((X@w - y)**2)" --shape X=m,n --shape w=n --shape y=m --wrt w
        -> the gradient and Hessian formulas (2*X.T @ (X @ w - y) and 2*X.T @ X)
    difflab diff ... --data data.npz [--verbose]   -> also their values (and the compiled NumPy code)
    difflab compare ... --data data.npz [--order 2] -> every method against the mpmath reference

JSON (``--json``) of ``diff``: {"variables": [wrt], "shapes": {name: [dims]}, "wrt": ..., "formulas":
{"gradient": ..., "hessian": ...}, "method": ..., "notes": [...]} and, with --data, "value", "gradient",
"hessian" (order 2) shaped like the variable. ``compare`` keeps its usual keys, the point being
{wrt: [entries]}.
"""

from __future__ import annotations

import argparse
import zipfile

import numpy as np

from difflab.cli.output import emit, fmt
from difflab.errors import InputError
from difflab.expr.function import Function
from difflab.matrix.algebra import shape_text
from difflab.methods import registry as methods


def add_array_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--shape", action="append", default=[], metavar="NAME=DIMS",
                        help="declare an array, e.g. --shape X=m,n --shape w=n (repeatable)")
    parser.add_argument("--wrt", metavar="NAME", help="the array to differentiate with respect to")
    parser.add_argument("--data", metavar="FILE.npz", help="arrays to evaluate at (numpy.savez file)")


def is_array_command(args: argparse.Namespace) -> bool:
    if not args.shape and (args.wrt or args.data):
        raise InputError("--wrt and --data go with --shape NAME=DIMS (declare the arrays first)")
    return bool(args.shape)


def function_from_array_args(args: argparse.Namespace):
    shapes: dict[str, str] = {}
    for item in args.shape:
        name, sep, dims = item.strip().partition("=")
        if not sep or not name.strip():
            raise InputError(f"--shape needs NAME=DIMS, e.g. X=m,n, got '{item.strip()}'")
        if name.strip() in shapes:
            raise InputError(f"--shape {name.strip()} is given twice")
        shapes[name.strip()] = dims.strip()
    return Function(args.expr, shapes=shapes, wrt=args.wrt)


def load_data(path: str | None) -> dict[str, np.ndarray] | None:
    """The arrays of a ``.npz`` file (never unpickled)."""
    if path is None:
        return None
    try:
        with np.load(path.strip(), allow_pickle=False) as archive:
            return {name: archive[name] for name in archive.files}
    except FileNotFoundError:
        raise InputError(f"--data file '{path.strip()}' does not exist") from None
    except (OSError, ValueError, zipfile.BadZipFile) as err:
        raise InputError(f"cannot read --data file '{path.strip()}' as .npz arrays: {err}") from None


def run_diff(args: argparse.Namespace) -> int:
    f = function_from_array_args(args)
    data = load_data(args.data)
    method = methods.get(args.method)
    formulas = {"gradient": f.formula("gradient")}
    if not f.node.shape:
        formulas["hessian"] = f.formula("hessian")
    shapes = ", ".join(f"{k} {shape_text(v)}" if v else f"{k} (scalar)" for k, v in f.inputs.items())
    out = {"variables": [f.wrt], "shapes": {k: list(v) for k, v in f.inputs.items()}, "wrt": f.wrt,
           "formulas": formulas, "method": method.name, "notes": []}
    kind = "Jacobian" if f.node.shape else "gradient"
    lines = [f"f = {f.text}", f"arrays: {shapes};  d/d{f.wrt}", "", f"{kind} = {formulas['gradient']}"]
    if "hessian" in formulas:
        lines.append(f"Hessian  = {formulas['hessian']}")
    if data is not None:
        grad = method.shaped_estimate(f, data, 1)
        env, dims = f.bind(data)
        value = np.asarray(f.program("value")(env, dims)[0], dtype=float)
        out.update(value=value.tolist(), gradient=grad.value.tolist())
        lines += ["", f"at --data {args.data.strip()} ({method.name}):", f"value = {_array_text(value)}",
                  f"{kind} =", _array_text(grad.value)]
        estimates = [grad]
        if args.order == 2 and "hessian" in formulas:
            hess = method.shaped_estimate(f, data, 2)
            out["hessian"] = hess.value.tolist()
            lines += ["Hessian =", _array_text(hess.value)]
            estimates.append(hess)
        out["notes"] = [e.status for e in estimates if not e.ok]
        lines += [f"note: {n}" for n in out["notes"]]
    if args.verbose:
        lines += ["", "generated code:"] + [f.source(k) for k in formulas]
    emit(args, out, "\n".join(lines))
    return 0


def array_function_and_data(args: argparse.Namespace):
    """The array Function and its --data, for ``compare``."""
    f = function_from_array_args(args)
    data = load_data(args.data)
    if data is None:
        raise InputError("compare with --shape needs --data FILE.npz (the arrays to evaluate at)")
    return f, data


def _array_text(value: np.ndarray) -> str:
    return np.array2string(np.asarray(value), precision=12, max_line_width=110, threshold=400,
                           formatter={"float_kind": lambda v: fmt(float(v), 12)})
