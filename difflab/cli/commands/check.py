"""``difflab check``: does a claimed derivative hold? Or: where does a derivation file go wrong?

    difflab check EXPR --wrt VAR --claim EXPR [--let NAME=EXPR ...] [--json]
    difflab check "[f1, f2]" --component I --wrt VAR --claim EXPR      # one entry of a Jacobian
    difflab check "[f1, f2]" [--wrt x,y] --claim "[[.., ..], [.., ..]]"  # the Jacobian (a row: --component)
    difflab check EXPR [--wrt x,y] --claim "[d/dx, d/dy]"               # a gradient
    difflab check FILE.toml [--json]

Exit 0 when the claim (every step) holds, 1 when it does not (or cannot be decided), 2 for bad input.
"""

from __future__ import annotations

import argparse
from typing import Any

from difflab.claims.derivation import check_derivation, load_derivation
from difflab.claims.entries import check
from difflab.claims.numeric import DEFAULT_DPS, DEFAULT_POINTS
from difflab.claims.symbolic import DEFAULT_BUDGET
from difflab.cli.output import add_budget_arguments, emit, parse_let
from difflab.errors import InputError
from difflab.result import CheckResult


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("expr", metavar="EXPR|FILE.toml",
                        help="the function, e.g. '-y*log(yh) - (1-y)*log(1-yh)', or a derivation file")
    parser.add_argument("--wrt", metavar="VAR", help="variable to differentiate by ('x,y' for d2f/dxdy)")
    parser.add_argument("--claim", metavar="EXPR",
                        help="the claimed derivative; a list '[d/dx, d/dy]' claims a gradient (by the "
                             "--wrt variables in order, or all), a list of lists the Jacobian of '[f1, ...]'")
    parser.add_argument("--component", type=int, metavar="I",
                        help="for a vector-valued function '[f1, f2, ...]': the component the claim is "
                             "about (counted from 0); without it a list of lists claims the whole Jacobian")
    parser.add_argument("--let", action="append", default=[], metavar="NAME=EXPR",
                        help="abbreviation used in the function or claim, e.g. yh='sigmoid(w1*x1+b)' "
                             "(repeatable)")
    parser.add_argument("--points", type=int, default=DEFAULT_POINTS,
                        help=f"random points of the numeric identity test (default {DEFAULT_POINTS})")
    parser.add_argument("--dps", type=int, default=DEFAULT_DPS,
                        help=f"digits of the numeric test (checked at twice that) (default {DEFAULT_DPS})")
    parser.add_argument("--budget", type=float, default=DEFAULT_BUDGET,
                        help=f"seconds for the symbolic proof (default {DEFAULT_BUDGET:g})")
    parser.add_argument("--seed", type=int, default=0, help="seed of the random points (default 0)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    add_budget_arguments(parser, seconds=False)


def run(args: argparse.Namespace) -> int:
    text = args.expr.strip()
    settings = {"points": args.points, "dps": args.dps, "budget": args.budget, "seed": args.seed}
    if text.lower().endswith(".toml"):
        given = [name for name in ("wrt", "claim") if getattr(args, name)] + (["let"] if args.let else []) \
            + (["component"] if args.component is not None else [])
        if given:
            raise InputError(f"a derivation file takes no --{given[0]} (the file gives the function, the "
                             "variable, the abbreviations and the steps)")
        derivation = load_derivation(text)
        result = check_derivation(derivation, **settings)
        head = {"file": text, "title": derivation.title, "source": derivation.source,
                "function": derivation.function, "wrt": derivation.variable,
                "abbreviations": derivation.abbreviations}
        emit(args, {**head, **_data(result)}, str(result))
    else:
        listed = bool(args.claim) and args.claim.strip().startswith("[")  # a list claim: --wrt optional
        if not args.claim or (not args.wrt and not listed):
            missing = "--claim EXPR" if not args.claim else "--wrt VAR"
            raise InputError(f"check needs {missing} (or a derivation FILE.toml)")
        let = parse_let(args.let)
        wrt = args.wrt.strip() if args.wrt else None
        result = check(text, wrt, args.claim.strip(), let, component=args.component, **settings)
        head = {"function": text, "wrt": wrt, "claim": args.claim.strip(), "abbreviations": let}
        if args.component is not None:
            head["component"] = args.component
        emit(args, {**head, **_data(result)}, str(result))
    return 0 if result.holds else 1


def _data(result: CheckResult) -> dict[str, Any]:
    data: dict[str, Any] = {"holds": result.holds, "proof": result.proof, "difference": result.difference,
                            "counterexample": result.counterexample, "detail": result.detail}
    if result.entries:  # a list claim: every entry's verdict, the first wrong one named
        data["entries"] = [{k: v for k, v in e.items() if k != "detail"} for e in result.entries]
        data["first_wrong_entry"] = result.first_wrong_entry
    if result.steps:
        data["steps"] = list(result.steps)
        wrong = [s["step"] for s in result.steps if s["status"] == "wrong"]
        data["first_wrong_step"] = wrong[0] if wrong else None
    return data
