"""``difflab newton EXPR --at x=0.05 [--mode root|minimize] [--method NAME] [--json]``.

Exit 0 when Newton's method converged, 1 when it did not (the reason says why: zero derivative,
singular Hessian, divergence, no real root, iteration limit), 2 on bad input.
"""

from __future__ import annotations

import argparse
from dataclasses import replace

from difflab.cli.output import add_function_arguments, emit, function_from_args, point_from_args
from difflab.solvers.newton_method import newton


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_function_arguments(parser)
    parser.add_argument("--mode", choices=("root", "minimize"), default="minimize",
                        help="root: solve f = 0 (one variable); minimize: solve grad f = 0 (default)")
    parser.add_argument("--method", default="symbolic", help="differentiation method (default symbolic)")
    parser.add_argument("--max-iter", type=int, default=100, help="iteration limit (default 100)")
    parser.add_argument("--tol", type=float, default=1e-12,
                        help="stop when a step is at most tol * max(1, |x|) (default 1e-12)")
    parser.add_argument("--damping", type=float, default=1.0, help="scale every step by this (0 < d <= 1)")
    parser.add_argument("--line-search", action="store_true",
                        help="halve steps until f (minimize) or |f| (root) decreases")


def run(args: argparse.Namespace) -> int:
    f = function_from_args(args)
    x0 = point_from_args(f, args)
    r = newton(f, x0, method=args.method, mode=args.mode, tol=args.tol, max_iter=args.max_iter,
               damping=args.damping, line_search=args.line_search)
    data = {"converged": r.converged, "reason": r.reason, "x": r.x.tolist(),
            "iterates": [v.tolist() for v in r.iterates], "classification": r.classification,
            "variables": list(f.variables), "method": r.method, "mode": args.mode, "nit": r.nit}
    if "eigenvalues" in r.history:
        data["eigenvalues"] = r.history["eigenvalues"]
    r = replace(r, function=f.text, variables=tuple(f.variables), mode=args.mode, solver="Newton")
    emit(args, data, str(r))
    return 0 if r.converged else 1
