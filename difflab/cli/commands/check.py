"""``difflab check``: does a claimed derivative hold? Or: where does a derivation file go wrong?

    difflab check EXPR --wrt VAR --claim EXPR [--let NAME=EXPR ...] [--json]
    difflab check FILE.toml [--json]

Exit 0 when the claim (every step) holds, 1 when it does not (or cannot be decided), 2 for bad input.
"""

from __future__ import annotations

import argparse
from typing import Any

from difflab.claims.derivation import check_derivation, load_derivation
from difflab.claims.numeric import DEFAULT_DPS, DEFAULT_POINTS
from difflab.claims.symbolic import DEFAULT_BUDGET
from difflab.claims.verdict import check
from difflab.cli.output import add_budget_arguments, emit, parse_let
from difflab.errors import InputError
from difflab.result import CheckResult


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("expr", metavar="EXPR|FILE.toml",
                        help="the function, e.g. '-y*log(yh) - (1-y)*log(1-yh)', or a derivation file")
    parser.add_argument("--wrt", metavar="VAR", help="variable to differentiate by ('x,y' for d2f/dxdy)")
    parser.add_argument("--claim", metavar="EXPR", help="the claimed derivative")
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
        given = [name for name in ("wrt", "claim") if getattr(args, name)] + (["let"] if args.let else [])
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
        if not args.wrt or not args.claim:
            missing = "--wrt VAR" if not args.wrt else "--claim EXPR"
            raise InputError(f"check needs {missing} (or a derivation FILE.toml)")
        let = parse_let(args.let)
        result = check(text, args.wrt.strip(), args.claim.strip(), let, **settings)
        head = {"function": text, "wrt": args.wrt.strip(), "claim": args.claim.strip(), "abbreviations": let}
        emit(args, {**head, **_data(result)}, str(result))
    return 0 if result.holds else 1


def _data(result: CheckResult) -> dict[str, Any]:
    data: dict[str, Any] = {"holds": result.holds, "proof": result.proof, "difference": result.difference,
                            "counterexample": result.counterexample, "detail": result.detail}
    if result.steps:
        data["steps"] = list(result.steps)
        wrong = [s["step"] for s in result.steps if s["status"] == "wrong"]
        data["first_wrong_step"] = wrong[0] if wrong else None
    return data
