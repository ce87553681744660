"""Claims about entries of a Jacobian or a gradient: ``check`` for vector-valued functions and lists.

    dl.check("[x*y, sin(x) + y**2]", wrt="x", claim="cos(x)", component=1)     # one entry: df1/dx
    dl.check("[x*y, sin(x) + y**2]", wrt="x,y", claim="[cos(x), 2*y]", component=1)   # a gradient row
    dl.check("[x*y, sin(x) + y**2]", wrt="x,y", claim="[[y, x], [cos(x), 2*y]]")       # the Jacobian
    dl.check("x**2*y", wrt="x,y", claim="[2*x*y, x**2]")                                # a gradient

A list claim differentiates once by each variable ``wrt`` names, in that order (without ``wrt``: the
function's variables); components are counted from 0.  Each entry is decided by ``verdict.check`` (the
numeric identity test and the symbolic proof), so an entry's verdict is exactly what a claim about that
one derivative gets; the result holds when every entry does, names the first wrong entry (``df1/dx``),
and keeps every entry's verdict (``entries``).  A plain claim about a scalar function goes to
``verdict.check`` unchanged (there ``wrt="x,y"`` is the mixed second derivative).

Every refusal of a claim's shape is worded in ``claim_shape`` -- the one place -- and tested.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from difflab.claims import numeric as check_numeric
from difflab.claims import symbolic as check_symbolic
from difflab.claims.verdict import check as check_one
from difflab.display import entry_name
from difflab.errors import InputError, ParseError
from difflab.expr.function import Function
from difflab.expr.parse import parse_expr_safe
from difflab.expr.vector import VectorFunction, is_vector_source, split_components
from difflab.result import CheckResult

Claim = Any  # text, a SymPy expression, or a (nested) list of them


def check(f: Any, wrt: str | Sequence[str] | None, claim: Claim, let: Mapping[str, str] | None = None, *,
          component: int | None = None, points: int = check_numeric.DEFAULT_POINTS,
          dps: int = check_numeric.DEFAULT_DPS, budget: float = check_symbolic.DEFAULT_BUDGET,
          seed: int = 0) -> CheckResult:
    """Does the claimed derivative hold? ``f`` scalar or vector-valued (``"[f1, f2]"``), ``claim`` text or
    a list (a gradient) or a list of lists (a Jacobian); ``component`` picks one component of a vector
    function (from 0). See the module docstring; raises ``InputError``/``ParseError`` for bad input."""
    settings = {"points": points, "dps": dps, "budget": budget, "seed": seed}
    claimed = parse_claim(claim)
    vector = isinstance(f, VectorFunction) or (not isinstance(f, Function) and is_vector_source(f))
    if not vector and component is None and not isinstance(claimed, list):
        if wrt is None:
            raise InputError(claim_shape("no wrt"))
        return check_one(f, wrt, claim, let, **settings)
    F = f if isinstance(f, VectorFunction) else VectorFunction(f.text if isinstance(f, Function) else f,
                                                               let=let) if vector else None
    rows, names = _plan(F, f, wrt, claimed, component, let)
    return _decide(rows, names, f, F, wrt, claim, component, let, settings)


def claim_shape(problem: str, **about: Any) -> str:
    """THE wording of every refusal of a claim's shape (``check`` raises ``InputError`` with it)."""
    m = about.get("m") or 0
    got = about.get("got")
    names = list(about.get("variables", ()))
    entries = "entry" if got == 1 else "entries"
    one = len(names) == 1
    there = f"there {'is' if one else 'are'} {len(names)} variable{'' if one else 's'} ({', '.join(names)})"
    words = {
        "no wrt": "check needs wrt, the variable to differentiate by (or a list claim, which differentiates "
                  "by every variable)",
        "scalar component": "--component picks a component of a vector-valued function '[f1, f2, ...]'; "
                            "this function is scalar",
        "component type": f"--component must be an integer, got {about.get('component')!r}",
        "component range": f"--component {about.get('component')!r} is out of range: the function has {m} "
                           f"components, numbered 0 to {max(m - 1, 0)}",
        "vector needs component": f"a claim about a vector-valued function needs --component I (0 to "
                                  f"{max(m - 1, 0)}) for one component, or the whole Jacobian as a list of "
                                  "lists '[[...], ...]'",
        "nested with component": "--component picks one component: claim its derivative (an expression) or "
                                 "its gradient (a list), not a list of lists",
        "nested scalar": "a list of lists claims a Jacobian, which needs a vector-valued function "
                         "'[f1, f2, ...]'; for a second derivative use --wrt x,y with one expression",
        "repeated wrt": "with a list claim --wrt names the variables of the gradient, each once; "
                        f"'{about.get('name')}' appears twice",
        "mixed": "the claim mixes lists and expressions: give a list of expressions (a gradient) or a "
                 "list of lists (a Jacobian)",
        "empty": "the claim is an empty list",
        "entries": f"the claim has {got} {entries} but {there}",
        "rows": f"the Jacobian claim has {got} row{'' if got == 1 else 's'} but the function has {m} "
                "components",
        "row": f"row {about.get('row')} of the Jacobian claim has {got} {entries} but {there}",
    }
    return words[problem]


def parse_claim(claim: Claim) -> Any:
    """Text in brackets -> a (nested) list of entry texts; other text and SymPy expressions stay as they
    are; Python lists are taken as given. A parse error in an entry names its position in the whole text."""
    if isinstance(claim, (list, tuple)):
        if not claim:
            raise InputError(claim_shape("empty"))
        return [parse_claim(c) for c in claim]
    if isinstance(claim, str) and claim.strip().startswith("["):
        try:  # the whole text first: anything but a plain list gets the parser's own message and position
            parse_expr_safe(claim)
        except ParseError as err:
            if err.reason != "lists are not allowed":
                raise
        return _split(claim, 0)
    return claim


def _split(text: str, base: int) -> list:
    stripped = text.strip()
    if stripped in ("[]", "[ ]"):
        raise InputError(claim_shape("empty"))
    out = []
    try:
        parts = split_components(text)
    except ParseError as err:
        raise ParseError(err.reason, text, None if err.position is None else err.position + base) from None
    for offset, part in parts:
        if part.strip().startswith("["):
            out.append(_split(part, base + offset))
        else:
            try:
                parse_expr_safe(part)
            except ParseError as err:  # positions count from the stripped entry: add its place
                lead = len(part) - len(part.lstrip())
                position = None if err.position is None else err.position + base + offset + lead
                raise ParseError(err.reason, text, position, err.hint) from None
            out.append(part.strip())
    return out


def _names(wrt: str | Sequence[str] | None, variables: Sequence[str]) -> list[str]:
    if wrt is None:
        return list(variables)
    names = [w.strip() for w in wrt.split(",")] if isinstance(wrt, str) else [str(w).strip() for w in wrt]
    for k, name in enumerate(names):
        if name in names[:k]:
            raise InputError(claim_shape("repeated wrt", name=name))
    return names


def _plan(F: VectorFunction | None, f: Any, wrt, claimed, component, let):
    """[(component index or None, row claim list or text)], and the variables of the entries."""
    if component is not None and (isinstance(component, bool) or not isinstance(component, int)):
        raise InputError(claim_shape("component type", component=component))
    if F is None:  # a scalar function with a list claim (its gradient)
        if component is not None:
            raise InputError(claim_shape("scalar component"))
        if any(isinstance(c, list) for c in claimed):
            raise InputError(claim_shape("nested scalar" if all(isinstance(c, list) for c in claimed)
                                         else "mixed"))
        variables = Function(f, let=let).variables if not isinstance(f, Function) else f.variables
        names = _names(wrt, variables)
        _row_length(claimed, names, None)
        return [(None, claimed)], names
    names = _names(wrt, F.variables) if isinstance(claimed, list) else []
    if component is not None:
        if not 0 <= component < F.m:
            raise InputError(claim_shape("component range", component=component, m=F.m))
        if isinstance(claimed, list):
            if any(isinstance(c, list) for c in claimed):
                raise InputError(claim_shape("nested with component" if all(isinstance(c, list)
                                                                              for c in claimed) else "mixed"))
            _row_length(claimed, names, None)
        elif wrt is None:
            raise InputError(claim_shape("no wrt"))
        return [(component, claimed)], names
    if not isinstance(claimed, list) or not all(isinstance(c, list) for c in claimed):
        if isinstance(claimed, list) and any(isinstance(c, list) for c in claimed):
            raise InputError(claim_shape("mixed"))
        raise InputError(claim_shape("vector needs component", m=F.m))
    if len(claimed) != F.m:
        raise InputError(claim_shape("rows", got=len(claimed), m=F.m))
    for i, row in enumerate(claimed):
        if any(isinstance(c, list) for c in row):
            raise InputError(claim_shape("mixed"))
        _row_length(row, names, i)
    return list(enumerate(claimed)), names


def _row_length(row: list, names: list[str], i: int | None) -> None:
    if len(row) != len(names):
        problem = "entries" if i is None else "row"
        raise InputError(claim_shape(problem, got=len(row), variables=names, row=i))


def _decide(rows, names, f, F, wrt, claim, component, let, settings) -> CheckResult:
    """Each entry by the scalar verdict (``verdict.check``); one derivative of one component is that
    verdict itself, named after its entry."""
    source = F.text if F is not None else (f.text if isinstance(f, Function) else str(f).strip())
    entries: list[dict] = []
    results: list[CheckResult] = []
    for i, row in rows:
        target = f if F is None else F.components[i].expr if F.components is not None \
            else F.component(i)
        if not isinstance(row, list):  # one derivative of one component (wrt may be "x,y"): its verdict
            r = check_one(target, wrt, row, let, **settings)
            ws = [w.strip() for w in wrt.split(",")] if isinstance(wrt, str) else [str(w) for w in wrt]
            label = f"df{i}/d{ws[0]}" if len(ws) == 1 else f"d{len(ws)}f{i}/" + "".join(f"d{w}" for w in ws)
            return replace(r, context={**r.context, "function": str(source), "component": component,
                                       "derivative": label})
        for j, (name, entry) in enumerate(zip(names, row, strict=True)):
            r = check_one(target, name, entry, let, **settings)
            index = (j,) if i is None else (i, j)
            label = entry_name("gradient" if i is None else "jacobian", names, index)
            entries.append(_entry(r, index, label, name, entry))
            results.append(r)
    labels = ", ".join(e["entry"] for e in entries)
    if len(rows) > 1:
        what = f"Jacobian ({labels})"
    elif rows[0][0] is None:
        what = f"gradient ({labels})"
    elif isinstance(rows[0][1], list):
        what = f"row {rows[0][0]} of the Jacobian ({labels})"
    else:
        what = labels
    return _combine(results, entries, source, wrt, claim, component, let, what)


def _entry(r: CheckResult, index: tuple[int, ...], label: str, wrt: str, claim: Any) -> dict:
    return {"index": list(index), "entry": label, "wrt": wrt, "claim": str(claim), "holds": r.holds,
            "proof": r.proof, "difference": r.difference, "counterexample": r.counterexample,
            "detail": r.detail}


def _combine(results, entries, source, wrt, claim, component, let, what: str) -> CheckResult:
    wrong = [k for k, r in enumerate(results) if not r.holds]
    context = {"function": str(source), "wrt": wrt if isinstance(wrt, str) or wrt is None else ",".join(wrt),
               "claim": claim if isinstance(claim, str) else str(claim), "abbreviations": dict(let or {}),
               "component": component, "derivative": what}
    if not wrong:
        proof = "symbolic" if all(r.proof == "symbolic" for r in results) else "numeric"
        proved = sum(r.proof == "symbolic" for r in results)
        how = f"{proved} proved symbolically" + (f", {len(results) - proved} numerically"
                                                 if proved < len(results) else "")
        detail = f"holds: all {len(results)} entries hold ({how})"
        return CheckResult(True, proof, "0", None, detail, entries=tuple(entries), context=context)
    first = results[wrong[0]]
    name = entries[wrong[0]]["entry"]
    cex = None if first.counterexample is None else {**first.counterexample, "entry": name,
                                                      "index": entries[wrong[0]]["index"]}
    detail = (f"{len(wrong)} of {len(results)} entries do not hold; the first is {name}: {first.detail}")
    return replace(first, counterexample=cex, detail=detail, entries=tuple(entries), context=context)
