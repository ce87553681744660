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
from difflab.cli.output import add_budget_arguments, emit, fmt, parse_let, table
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
        emit(args, {**head, **_data(result)}, _derivation_table(head, result))
    else:
        if not args.wrt or not args.claim:
            missing = "--wrt VAR" if not args.wrt else "--claim EXPR"
            raise InputError(f"check needs {missing} (or a derivation FILE.toml)")
        let = parse_let(args.let)
        result = check(text, args.wrt.strip(), args.claim.strip(), let, **settings)
        head = {"function": text, "wrt": args.wrt.strip(), "claim": args.claim.strip(), "abbreviations": let}
        emit(args, {**head, **_data(result)}, _claim_table(head, result))
    return 0 if result.holds else 1


def _data(result: CheckResult) -> dict[str, Any]:
    data: dict[str, Any] = {"holds": result.holds, "proof": result.proof, "difference": result.difference,
                            "counterexample": result.counterexample, "detail": result.detail}
    if result.steps:
        data["steps"] = list(result.steps)
        wrong = [s["step"] for s in result.steps if s["status"] == "wrong"]
        data["first_wrong_step"] = wrong[0] if wrong else None
    return data


def _verdict(result: CheckResult) -> str:
    if result.holds:
        return f"HOLDS ({result.proof} proof)" if result.proof == "symbolic" else "HOLDS (numerically)"
    return "DOES NOT HOLD" if result.counterexample else "NOT SHOWN TO HOLD"


def _counterexample_rows(cex: dict[str, Any] | None, claim_word: str,
                         truth_word: str = "true value") -> list[tuple[str, str]]:
    if not cex:
        return []
    rows = [("counterexample", ", ".join(f"{k}={fmt(v)}" for k, v in cex["point"].items()))]
    for name, value in (cex.get("abbreviations") or {}).items():
        rows.append((f"  {name}", f"{fmt(value)} (abbreviation)"))
    rows.append((f"  {truth_word}", cex.get("true_value_digits") or fmt(cex["true_value"])))
    claimed = cex.get("claimed_value_digits")
    rows.append((f"  {claim_word}", claimed if claimed is not None else "undefined (not real or not finite)"))
    if cex.get("hint"):
        rows.append(("hint", cex["hint"]))
    return rows


def _d(wrt: str) -> str:
    """"d/dx" or "d2/dx dy" for wrt "x" or "x,y"."""
    names = [w.strip() for w in wrt.split(",") if w.strip()]
    if len(names) == 1:
        return f"d/d{names[0]}"
    if len(set(names)) == 1:
        return f"d{len(names)}/d{names[0]}{len(names)}"
    return f"d{len(names)}/" + " ".join(f"d{n}" for n in names)


def _lines(rows: list[tuple[str, str]]) -> str:
    width = max(len(k) for k, _ in rows)
    return "\n".join(f"{k.ljust(width)}  {v}" for k, v in rows)


def _claim_table(head: dict[str, Any], result: CheckResult) -> str:
    rows = [("derivative", f"{_d(head['wrt'])} of {head['function']}"), ("claim", head["claim"])]
    rows += [(f"  {k}", f"= {v}") for k, v in head["abbreviations"].items()]
    shown = result.difference
    if result.holds and result.proof == "numeric":
        shown = f"0 numerically (SymPy's best form: {shown})"
    rows += [("verdict", _verdict(result)), ("truth - claim", shown)]
    rows += _counterexample_rows(result.counterexample, "claimed value")
    return _lines(rows) + "\n\n" + result.detail


def _derivation_table(head: dict[str, Any], result: CheckResult) -> str:
    out = [f"{head['title'] or head['file']}"] + ([f"({head['source']})"] if head["source"] else [])
    out.append(f"{_d(head['wrt'])} of {head['function']}")
    out += [f"  {k} = {v}" for k, v in head["abbreviations"].items()]
    steps = [(s["step"], "ok" if s["status"] == "ok" else "WRONG", "yes" if s["equals_derivative"] else "no",
              s["expr"] + (f"   # {s['note']}" if s["note"] else "")) for s in result.steps]
    out += ["", table(["step", "status", "= derivative", "expression"], steps), ""]
    rows = [("verdict", _verdict(result))]
    if not result.holds:
        cex = result.counterexample or {}
        step = cex.get("step")
        rows.append(("first wrong step", str(step) if step else "-"))
        rows.append(("difference", result.difference))
        truth_word = f"step {step - 1}" if step and step > 1 else "derivative"
        claim_word = f"step {step}" if step else "claimed value"
        rows += _counterexample_rows(result.counterexample, claim_word, truth_word)
    return "\n".join(out) + "\n" + _lines(rows) + "\n\n" + result.detail
