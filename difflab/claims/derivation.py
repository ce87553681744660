"""Derivations step by step: ``difflab check FILE.toml`` finds the first wrong step.

A derivation file gives the function, the variable, optional abbreviations, and the steps, each an
expression claimed equal to the previous one (the first claimed equal to the derivative)::

    title = "Classification perceptron, dL/dw1 (seed 000)"
    function = "-y*log(yh) - (1-y)*log(1-yh)"
    variable = "w1"
    steps = [
      "-(y - yh)/(yh*(1 - yh)) * yh*(1 - yh)*x1",   # chain rule: dL/dyh * dyh/dw1
      {expr = "-(y - yh)*x1", note = "cancel yh*(1 - yh)"},
    ]
    [abbreviations]
    yh = "sigmoid(w1*x1 + w2*x2 + b)"

Each step is judged against the previous one with the same machinery as ``dl.check`` (so every step
is ok or wrong, with a counterexample), and every step is also compared with the true derivative:
a derivation can go wrong in the middle and land on the right answer (seed 002's log-loss
derivative does), which the report says in words rather than hiding.
"""

from __future__ import annotations

import pathlib
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import sympy

from difflab.claims.verdict import Context, Settings, _function_expr, _wrt_symbols, decide
from difflab.errors import InputError, ParseError
from difflab.result import CheckResult

KEYS = {"title", "source", "function", "variable", "abbreviations", "steps"}
STEP_KEYS = {"expr", "note"}


@dataclass(frozen=True)
class Derivation:
    """One derivation as read from a file (or a mapping)."""

    name: str
    function: str
    variable: str
    steps: tuple[tuple[str, str], ...]          # (expression text, note)
    abbreviations: dict[str, str]
    title: str = ""
    source: str = ""


def examples_dir() -> pathlib.Path:
    """The derivation files shipped with difflab (the seed notes' derivations)."""
    return pathlib.Path(__file__).parent.parent / "derivations"


def examples() -> list[pathlib.Path]:
    return sorted(examples_dir().glob("*.toml"))


MAX_FILE_BYTES = 1_000_000


def load_derivation(source: str | pathlib.Path | Mapping[str, Any]) -> Derivation:
    """Read and validate a derivation (a path to a TOML file, or the same content as a mapping)."""
    if isinstance(source, Mapping):
        data, name = dict(source), "derivation"
    else:
        path = pathlib.Path(source)
        name = path.name
        if not path.is_file():
            raise InputError(f"no such derivation file: {path}")
        if path.stat().st_size > MAX_FILE_BYTES:
            raise InputError(f"{name} is larger than {MAX_FILE_BYTES // 1000} kB; a derivation is a few "
                             "lines")
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as err:
            raise InputError(f"{name} is not valid TOML: {err}") from None
        except UnicodeDecodeError:
            raise InputError(f"{name} is not a UTF-8 text file") from None
        except RecursionError:  # tomllib recurses once per nested array or table
            raise InputError(f"{name} is nested too deeply to read (arrays or tables inside each other)") \
                from None
    unknown = sorted(set(data) - KEYS)
    if unknown:
        raise InputError(f"{name}: unknown key '{unknown[0]}' (allowed: {', '.join(sorted(KEYS))})")
    for key in ("function", "variable", "steps"):
        if key not in data:
            raise InputError(f"{name}: missing '{key}'")
    for key in ("function", "variable", "title", "source"):
        if key in data and not isinstance(data[key], str):
            raise InputError(f"{name}: '{key}' must be a string")
    abbreviations = data.get("abbreviations", {})
    if not isinstance(abbreviations, Mapping) or not all(isinstance(v, str) for v in abbreviations.values()):
        raise InputError(f"{name}: 'abbreviations' must be a table of name = \"expression\"")
    steps = data["steps"]
    if not isinstance(steps, list) or not steps:
        raise InputError(f"{name}: 'steps' must be a list of at least one expression")
    return Derivation(name, data["function"], data["variable"],
                      tuple(_step(name, i, s) for i, s in enumerate(steps, 1)), dict(abbreviations),
                      data.get("title", ""), data.get("source", ""))


def _step(name: str, index: int, step: Any) -> tuple[str, str]:
    if isinstance(step, str):
        return step, ""
    if isinstance(step, Mapping):
        unknown = sorted(set(step) - STEP_KEYS)
        if unknown:
            raise InputError(f"{name}: step {index}: unknown key '{unknown[0]}' (allowed: expr, note)")
        if not isinstance(step.get("expr"), str):
            raise InputError(f"{name}: step {index} needs expr = \"...\"")
        note = step.get("note", "")
        if not isinstance(note, str):
            raise InputError(f"{name}: step {index}: 'note' must be a string")
        return step["expr"], note
    raise InputError(f"{name}: step {index} must be an expression string or "
                     "{expr = \"...\", note = \"...\"}")


def check_derivation(source: str | pathlib.Path | Mapping[str, Any] | Derivation, **settings) -> CheckResult:
    """Judge every step; ``holds`` only when every step follows (so the last equals the derivative).

    ``steps`` of the result holds one dict per step: ``step``, ``expr``, ``note``, ``status`` ("ok" |
    "wrong"), ``follows`` (equal to the previous step, or to the derivative for step 1),
    ``equals_derivative``, ``proof``, ``difference``, ``counterexample``, ``detail``.
    """
    d = source if isinstance(source, Derivation) else load_derivation(source)
    opts = Settings(**settings)
    ctx = Context.build(d.abbreviations)
    expr = _function_expr(d.function, ctx)
    symbols = _wrt_symbols(d.variable, expr, ctx)
    truth = sympy.diff(expr, *symbols)
    previous, previous_true = truth, True
    reports: list[dict[str, Any]] = []
    for index, (text, note) in enumerate(d.steps, 1):
        try:
            claimed = ctx.parse(text, f"step {index}")
        except ParseError as err:
            raise InputError(f"{d.name}, step {index}: {err}") from None
        what = "the derivative" if index == 1 else f"step {index - 1}"
        r = decide(previous, claimed, ctx, opts, guards=[expr], what=what, claimed_as=f"step {index}",
                   order=len(symbols))
        if index == 1 or (r.holds and previous_true):
            equals = r.holds and previous_true
        else:
            equals = decide(truth, claimed, ctx, opts, guards=[expr], order=len(symbols)).holds
        reports.append({"step": index, "expr": text, "note": note, "status": "ok" if r.holds else "wrong",
                        "follows": r.holds, "equals_derivative": equals, "proof": r.proof,
                        "difference": r.difference, "counterexample": r.counterexample, "detail": r.detail})
        previous, previous_true = claimed, equals
    return replace(_summary(d, reports), context={
        "title": d.title, "source": d.source, "file": d.name, "function": d.function, "wrt": d.variable,
        "abbreviations": dict(d.abbreviations)})


def _summary(d: Derivation, steps: list[dict[str, Any]]) -> CheckResult:
    wrong = [s for s in steps if s["status"] == "wrong"]
    n = len(steps)
    label = d.title or d.name
    if not wrong:
        proof = "symbolic" if all(s["proof"] == "symbolic" for s in steps) else "numeric"
        return CheckResult(True, proof, "0", None,
                           f"{label}: all {n} step{'s' * (n != 1)} hold; the last equals d/d{d.variable} of "
                           f"the function", tuple(steps))
    first = wrong[0]
    text = f"{label}: step {first['step']} of {n} is wrong -- {first['detail']}"
    recovered = [s["step"] for s in steps if s["step"] > first["step"] and s["equals_derivative"]]
    if recovered:
        text += (f". Step {recovered[0]} equals the true derivative again, but does not follow from the "
                 "steps before it")
    cex = dict(first["counterexample"] or {}) or None
    if cex is not None:
        cex["step"] = first["step"]
    return CheckResult(False, None, first["difference"], cex, text, tuple(steps))


