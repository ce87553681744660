"""``dl.check``: is a hand-derived derivative right? A proof, or a counterexample.

    dl.check("-y*log(yh) - (1-y)*log(1-yh)", wrt="w1", claim="-(y - yh)*x1",
             let={"yh": "sigmoid(w1*x1 + w2*x2 + b)"})

The true derivative comes from ``sympy.diff`` of the parsed function (abbreviations substituted, so the
chain rule through ``yh`` is SymPy's, not the user's). The verdict then comes from two independent
routes (``check_symbolic`` and ``check_numeric``):

* a randomized identity test in mpmath (default 40 points inside the domain of both sides, 50 digits
  and 100, more where rounding leaves a point undecided; 120 points when a side has abs/max/min).
  One disagreeing point (a gap stable across precisions) proves the claim wrong: it becomes the
  counterexample (point, true value, claimed value), and the difference truth - claim is simplified
  and shown in the user's abbreviations, with ``truth / claim`` when that ratio is short ("x1*yh*(1 -
  yh)": a dropped factor; "w1/w2": a wrong weight; -1: a sign).
* when the points agree, a symbolic proof: truth - claim simplified to 0 by one of several strategies
  under a time budget (``proof="symbolic"``). If SymPy cannot finish in time the claim is reported as
  holding *numerically* (``proof="numeric"``), never as false.

The numeric test runs first because it is cheap and decisive against a wrong claim, on which a
simplifier would only burn its budget; a claim is reported holding only after both routes agree (a
proof that contradicts the points is reported, not trusted). A simplified difference that is a nonzero
constant disproves a claim even below the numeric resolution.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

import sympy

from difflab.claims import numeric as check_numeric
from difflab.claims import symbolic as check_symbolic
from difflab.errors import InputError
from difflab.expr.budget import check_seconds
from difflab.expr.function import Function
from difflab.expr.parse import parse_expr_safe
from difflab.primitives.heads import nonsmooth_heads
from difflab.result import CheckResult

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


MAX_POINTS = 1000  # random points of the numeric test; more is a runaway, never a better verdict


@dataclass
class Settings:
    """How hard to try: random points, digits, seconds for the symbolic proof, and the random seed."""

    points: int = check_numeric.DEFAULT_POINTS
    dps: int = check_numeric.DEFAULT_DPS
    budget: float = check_symbolic.DEFAULT_BUDGET
    seed: int = 0

    def __post_init__(self) -> None:
        if not isinstance(self.points, int) or not 1 <= self.points <= MAX_POINTS:
            raise InputError(f"points must be an integer from 1 to {MAX_POINTS}, got {self.points!r}")
        if not isinstance(self.dps, int) or not 20 <= self.dps <= 1000:
            raise InputError(f"dps (digits) must be an integer from 20 to 1000, got {self.dps!r}")
        self.budget = check_seconds(self.budget)   # inf/nan would fail every proof, then "hold numerically"


@dataclass
class Context:
    """The abbreviations of one check: parse text with them, and show results in them."""

    let: dict[str, str] = field(default_factory=dict)
    abbreviations: list[tuple[sympy.Symbol, sympy.Expr]] = field(default_factory=list)

    @classmethod
    def build(cls, let: Mapping[str, str] | None) -> Context:
        let = dict(let or {})
        for name, body in let.items():
            if not isinstance(name, str) or not isinstance(body, str):
                raise InputError(f"abbreviations map names to expression text, got {name!r}: {body!r}")
        resolved = [(sympy.Symbol(name, real=True), parse_expr_safe(name, let)) for name in let]
        return cls(let, resolved)

    def parse(self, source: str | sympy.Expr, what: str) -> sympy.Expr:
        if isinstance(source, sympy.Basic):
            return self.expand(source)
        if not isinstance(source, str):
            raise InputError(f"the {what} must be expression text, not {type(source).__name__}")
        return parse_expr_safe(source, self.let)

    def expand(self, expr: sympy.Expr) -> sympy.Expr:
        """A SymPy expression on the parser's terms: real symbols, abbreviations substituted.

        Why real symbols: the parser makes every variable real, and SymPy treats ``Symbol("x")`` and
        ``Symbol("x", real=True)`` as different variables, so a claim typed as text would never match.
        """
        names = {s.name: e for s, e in self.abbreviations}
        found = {s: names.get(s.name, sympy.Symbol(s.name, real=True)) for s in expr.free_symbols
                 if s.name in names or not s.is_real}
        return expr.xreplace(found) if found else expr

    def values(self) -> list[tuple[str, sympy.Expr]]:
        """The abbreviations by name, to show their values at a counterexample."""
        return [(s.name, e) for s, e in self.abbreviations]


def _function_expr(f, ctx: Context) -> sympy.Expr:
    if isinstance(f, Function):
        if f.expr is None:
            raise InputError("check needs the function as an expression; this Python function could not "
                             "be traced into one (use dl.gradcheck for Python code)")
        return ctx.expand(f.expr)
    return ctx.parse(f, "function")


def _wrt_symbols(wrt: str | Sequence[str], expr: sympy.Expr, ctx: Context) -> list[sympy.Symbol]:
    """The variables to differentiate by, in order ("x" or "x,y" / ["x", "y"] for d2f/dxdy)."""
    names = [w.strip() for w in wrt.split(",")] if isinstance(wrt, str) else [str(w).strip() for w in wrt]
    if not names or not all(names):
        raise InputError("wrt needs a variable name, e.g. --wrt w1")
    by_name = {s.name: s for s in expr.free_symbols}
    variables = ", ".join(sorted(by_name)) or "none"
    out = []
    for name in names:
        if not _NAME.fullmatch(name):
            raise InputError(f"'{name}' is not a variable name")
        if name in ctx.let:
            raise InputError(f"'{name}' is an abbreviation, not a variable: differentiate with respect to "
                             f"one of the function's variables ({variables})")
        if name not in by_name:
            hint = ("" if ctx.let else
                    "; if a name in it stands for an expression, define it with --let NAME=EXPR")
            raise InputError(f"the function does not depend on '{name}' (its variables: {variables}){hint}")
        out.append(by_name[name])
    return out


def _symbols(*exprs: sympy.Expr) -> list[sympy.Symbol]:
    found: set[sympy.Symbol] = set()
    for e in exprs:
        found |= e.free_symbols
    return sorted(found, key=lambda s: s.name)


def check(f, wrt: str | Sequence[str], claim: str | sympy.Expr, let: Mapping[str, str] | None = None, *,
          points: int = check_numeric.DEFAULT_POINTS, dps: int = check_numeric.DEFAULT_DPS,
          budget: float = check_symbolic.DEFAULT_BUDGET, seed: int = 0) -> CheckResult:
    """Does d f / d wrt equal ``claim``? ``f`` is text, a SymPy expression or a ``dl.Function``.

    ``wrt`` is a variable name ("x,y" or ["x", "y"] differentiates twice: d2f/dx dy). ``let`` maps
    abbreviations to expression text; they may appear in ``f`` and ``claim`` and are substituted
    before differentiating. ``points``/``dps`` set the numeric test, ``budget`` the seconds for the
    symbolic proof. Returns a ``CheckResult``; raises ``ParseError``/``InputError`` for bad input.
    """
    settings = Settings(points, dps, budget, seed)
    ctx = Context.build(let)
    expr = _function_expr(f, ctx)
    symbols = _wrt_symbols(wrt, expr, ctx)
    claimed = ctx.parse(claim, "claim")
    truth = sympy.diff(expr, *symbols)
    notes = []
    extra = sorted(s.name for s in claimed.free_symbols - expr.free_symbols)
    if extra:
        notes.append(f"note: the claim uses {', '.join(extra)}, which the function does not")
    result = decide(truth, claimed, ctx, settings, guards=[expr], order=len(symbols))
    if notes:
        result = _with_detail(result, " ".join(notes))
    function = f.text if isinstance(f, Function) else str(f)
    names = wrt if isinstance(wrt, str) else ",".join(wrt)
    return replace(result, context={"function": function.strip(), "wrt": names.strip(),
                                    "claim": str(claim).strip(), "abbreviations": dict(let or {})})


def _with_detail(result: CheckResult, extra: str) -> CheckResult:
    return replace(result, detail=f"{result.detail} ({extra})")


def decide(truth: sympy.Expr, claim: sympy.Expr, ctx: Context, settings: Settings,
           guards: Sequence[sympy.Expr] = (), what: str = "the derivative",
           claimed_as: str = "the claim", order: int = 1) -> CheckResult:
    """Is ``truth == claim`` as functions (inside the domain of both and of ``guards``)?"""
    start = time.monotonic()
    symbols = _symbols(truth, claim, *guards)
    kinks = _has_kinks(truth, claim)
    points = settings.points * (3 if kinks else 1)
    verdict = check_numeric.identity_test(truth, claim, symbols, guards=guards, abbreviations=ctx.values(),
                                          points=points, dps=settings.dps, seed=settings.seed, order=order)
    difference = truth - claim
    if verdict.mismatch is not None:
        return _wrong(difference, truth, claim, ctx, verdict.mismatch, (what, claimed_as),
                      f"random point {verdict.points} of up to {points}")
    if verdict.undefined_claim is not None:
        return _wrong(difference, truth, claim, ctx, verdict.undefined_claim, (what, claimed_as),
                      f"{claimed_as} is undefined where {what} is defined")
    proof = check_symbolic.prove_zero(difference, settings.budget)
    if proof.constant is not None:
        return CheckResult(False, None, str(proof.constant), None,
                           f"does not hold: truth - claim simplifies to the nonzero constant "
                           f"{proof.constant} (strategy '{proof.tried[-1]}'), below the numeric test's "
                           "resolution")
    if not verdict.agree:
        if proof.zero is not None:
            return CheckResult(True, "symbolic", "0", None,
                               f"holds: SymPy proved truth - claim = 0 (strategy '{proof.zero}'); no point "
                               "inside the domain was found for a numeric confirmation")
        return CheckResult(False, None, check_symbolic.present(difference, ctx.abbreviations), None,
                           f"undecided: no point was found (of {verdict.candidates} drawn) where the "
                           "function and both sides are real and finite, and SymPy did not reduce truth - "
                           f"claim to 0 within {settings.budget:g} s (tried: {', '.join(proof.tried)}); "
                           "not reported as holding")
    how = check_numeric.describe(verdict)
    seconds = time.monotonic() - start
    if proof.zero is not None:
        return CheckResult(True, "symbolic", "0", None,
                           f"holds: SymPy simplified truth - claim to 0 (strategy '{proof.zero}'), and the "
                           f"two sides agree at {how} ({seconds:.2f} s)")
    residual = _residual(proof.best, difference, truth, claim, symbols, ctx, settings, guards, order)
    if residual is not None:
        return _wrong(difference, truth, claim, ctx, residual, (what, claimed_as),
                      f"SymPy's reduced difference {proof.best} is nonzero there, below the 100-digit test")
    tried = ", ".join(proof.tried)
    shown = check_symbolic.present(proof.best if proof.best is not None else difference, ctx.abbreviations)
    caveat = ("; the sides contain abs/max/min/sign, whose branches the points can only sample "
              "(a branch no point reached is not checked)" if kinks else "")
    return CheckResult(True, "numeric", shown, None,
                       f"holds numerically: the two sides agree to {settings.dps} significant digits at "
                       f"{how}; SymPy did not reduce truth - claim to 0 within {settings.budget:g} s "
                       f"(tried: {tried}){caveat}")


def _residual(best: sympy.Expr | None, difference: sympy.Expr, truth: sympy.Expr, claim: sympy.Expr,
              symbols: list, ctx: Context, settings: Settings, guards: Sequence[sympy.Expr],
              order: int) -> dict | None:
    """A counterexample from SymPy's reduced form of truth - claim, when that form is clearly nonzero.

    Why: the sides may agree to 100 digits and still differ (``claim = truth + exp(-1000)*x``); the
    reduced difference (``-exp(-1000)*x``) has no cancellation left, so evaluating *it* decides.
    """
    reduced = difference if best is None else best
    test = check_numeric.identity_test(reduced, sympy.S.Zero, symbols, guards=guards, points=8,
                                       dps=settings.dps, seed=settings.seed, order=order, f_scale=False)
    if test.mismatch is None:
        return None
    return check_numeric.at_point(truth, claim, symbols, test.mismatch["point"], guards=guards,
                                  abbreviations=ctx.values(), dps=settings.dps)


def _has_kinks(*exprs: sympy.Expr) -> bool:
    """Piecewise pieces (abs, max, min, sign, Heaviside): where the numeric test is weakest, so it
    draws three times as many points and a numeric verdict says so."""
    return any(e.has(*nonsmooth_heads(), sympy.Piecewise) for e in exprs)


def _wrong(difference: sympy.Expr, truth: sympy.Expr, claim: sympy.Expr, ctx: Context, cex: dict,
           words: tuple[str, str], basis: str) -> CheckResult:
    what, claimed_as = words
    shown = check_symbolic.present(difference, ctx.abbreviations)
    labels = ("truth", "claim") if what == "the derivative" else (what, claimed_as)
    hint = check_symbolic.ratio_hint(truth, claim, ctx.abbreviations, labels=labels)
    if hint and not hint.startswith("wrong sign") and len(hint.split(" = ", 1)[1]) > len(shown):
        hint = None  # a ratio longer than the difference itself explains nothing
    if hint:
        cex = {**cex, "hint": hint}
    at = ", ".join(f"{k}={v:g}" for k, v in cex["point"].items())
    claimed = cex.get("claimed_value")
    values = (f"{what} is {cex['true_value']:.12g} but {claimed_as} gives {claimed:.12g}"
              if claimed is not None else f"{what} is {cex['true_value']:.12g} but {claimed_as} is undefined")
    if claimed is not None:
        basis = f"relative difference {cex['relative_difference_digits']}, {basis}"
    detail = f"does not hold: at {at or 'every point'} {values} ({basis})"
    if hint:
        detail += f"; {hint}"
    return CheckResult(False, None, shown, cex, detail)
