"""The symbolic half of ``dl.check``: prove ``truth - claim == 0`` within a time budget, and show a
wrong claim's difference in the user's own abbreviations.

Why several strategies: no single SymPy routine is both fast and complete. ``cancel`` settles every
rational identity in exp/sigmoid atoms (all the seed's chain-rule results) in milliseconds;
``expand`` catches polynomial ones; rewriting the fused functions (sigmoid, softplus) into ``exp``
lets ``cancel`` see through them; ``simplify`` is slow but tries trigonometric and logarithmic
rewrites. Each runs in the budget's worker process, killed when its share of the budget is spent, so
a runaway simplification can never hang a check (the numeric test then decides).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import sympy

from difflab.expr.budget import OverBudget, settings, within  # one hard budget for every SymPy call
from difflab.primitives.sympy_twins import FUSED

DEFAULT_BUDGET = 4.0      # seconds for one proof attempt (all strategies together)
DIFFERENCE_BUDGET = 1.5   # seconds for presenting a wrong claim's difference


def _cancel(d: sympy.Expr) -> sympy.Expr:
    return sympy.cancel(sympy.together(d))


def _expand(d: sympy.Expr) -> sympy.Expr:
    return sympy.expand(d)


def _rewrite_exp(d: sympy.Expr) -> sympy.Expr:
    fused = [f for f in d.atoms(sympy.Function) if type(f).__name__ in FUSED]
    if fused:
        d = d.xreplace({f: f.rewrite(sympy.exp) for f in fused})
    return sympy.cancel(sympy.together(sympy.powsimp(sympy.expand_power_exp(d))))


def _logs_and_powers(d: sympy.Expr) -> sympy.Expr:
    return sympy.cancel(sympy.expand_log(sympy.powdenest(d, force=True), force=True))


def _simplify(d: sympy.Expr) -> sympy.Expr:
    return sympy.simplify(d)


STRATEGIES: tuple[tuple[str, Callable[[sympy.Expr], sympy.Expr]], ...] = (
    ("cancel", _cancel), ("expand", _expand), ("rewrite-exp", _rewrite_exp),
    ("logs-powers", _logs_and_powers), ("simplify", _simplify),
)


class Proof:
    """Outcome of the strategies: ``zero`` (the strategy that proved it) or ``constant`` (a nonzero
    number: a disproof even below the numeric test's resolution) and what was tried."""

    def __init__(self) -> None:
        self.zero: str | None = None
        self.constant: sympy.Expr | None = None
        self.tried: list[str] = []
        self.seconds = 0.0
        self.best: sympy.Expr | None = None


def prove_zero(d: sympy.Expr, budget: float = DEFAULT_BUDGET) -> Proof:
    """Try each strategy on ``d`` until one returns exactly 0 (or the budget is spent)."""
    proof = Proof()
    start = time.monotonic()
    if d == 0:
        proof.zero = "identical"
        return proof
    for name, strategy in STRATEGIES:
        left = budget - (time.monotonic() - start)
        if left <= 0.05:
            proof.tried.append(f"{name} (no time left)")
            continue
        try:
            out = within(left, strategy, d)
        except OverBudget:
            proof.tried.append(f"{name} (over budget)")
            continue
        except Exception as err:  # noqa: BLE001 -- a strategy that fails is just inconclusive
            proof.tried.append(f"{name} (failed: {type(err).__name__})")
            continue
        proof.tried.append(name)
        if proof.best is None or sympy.count_ops(out) < sympy.count_ops(proof.best):
            proof.best = out
        if out == 0:
            proof.zero = name
            break
        if out.is_number and out.is_zero is False:
            proof.constant = out
            break
    proof.seconds = time.monotonic() - start
    return proof


def abbreviate(expr: sympy.Expr, abbreviations: Sequence[tuple[sympy.Symbol, sympy.Expr]]) -> sympy.Expr:
    """Put the user's abbreviations back (innermost first): ``sigmoid(w1*x1 + b) -> yh``.

    Exact by construction (substituting the definitions back gives ``expr`` again), so a difference
    shown in abbreviations is the same difference, only readable.
    """
    ordered = sorted(abbreviations, key=lambda item: sympy.count_ops(item[1]))
    done: list[tuple[sympy.Expr, sympy.Symbol]] = []
    for symbol, definition in ordered:
        pattern = definition
        for old, new in done:
            pattern = pattern.subs(old, new)
        if pattern.is_Symbol or pattern.is_number:
            continue
        expr = expr.subs(pattern, symbol)
        done.append((pattern, symbol))
    return expr


def _short_forms(expr: sympy.Expr) -> Sequence[sympy.Expr]:
    exp_form = _rewrite_exp(expr)
    return [expr, sympy.factor(sympy.cancel(expr)), sympy.cancel(expr), exp_form, sympy.factor(exp_form)]


def present(expr: sympy.Expr, abbreviations: Sequence[tuple[sympy.Symbol, sympy.Expr]],
            budget: float = DIFFERENCE_BUDGET) -> str:
    """The shortest form found of ``expr`` (abbreviated, then factored) within ``budget`` seconds (at
    most the per-call seconds of ``--budget``)."""
    budget = min(budget, settings()["call"])
    candidates = [expr]
    start = time.monotonic()
    try:
        short = within(budget / 3, abbreviate, expr, abbreviations) if abbreviations else expr
        candidates.append(short)
        left = budget - (time.monotonic() - start)
        candidates.extend(within(left, _short_forms, short))
    except Exception:  # noqa: BLE001 -- presentation only: keep what we have
        pass
    return str(min(candidates, key=lambda e: (len(str(e)), sympy.count_ops(e))))


def _ratio(truth: sympy.Expr, claim: sympy.Expr,
           abbreviations: Sequence[tuple[sympy.Symbol, sympy.Expr]]) -> sympy.Expr:
    """truth / claim in the abbreviations, factored (module level: the budget's warm worker takes it)."""
    t = abbreviate(truth, abbreviations) if abbreviations else truth
    c = abbreviate(claim, abbreviations) if abbreviations else claim
    return sympy.factor(sympy.cancel(t / c))


def ratio_hint(truth: sympy.Expr, claim: sympy.Expr, abbreviations: Sequence[tuple[sympy.Symbol, sympy.Expr]],
               budget: float = 1.0, labels: tuple[str, str] = ("truth", "claim")) -> str | None:
    """``truth / claim`` when it is short: "the claim misses a factor x1*yh*(1 - yh)", "uses w2 for w1".

    None when the ratio is long (then it explains nothing) or cannot be found in time.
    """
    if claim == 0 or truth == 0:
        return None
    try:
        r = within(min(budget, settings()["call"]), _ratio, truth, claim, abbreviations)
    except Exception:  # noqa: BLE001 -- a hint only
        return None
    text = str(r)
    if r == 1 or len(text) > 40:
        return None
    if r == -1:
        return f"wrong sign: {labels[0]} = -{labels[1]}"
    return f"{labels[0]} / {labels[1]} = {text}"
