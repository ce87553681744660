"""The randomized identity test behind ``dl.check``: do two expressions agree at many random points?

Why random points decide: two different analytic expressions can agree only on a set of measure zero,
so agreement to 50 significant digits at dozens of independent random points inside the domain is
overwhelming evidence of an identity, while one disagreeing point is a *proof* that the claim is wrong
(it is reported as the counterexample, with both values).

How a point is judged. Both sides are evaluated with mpmath at ``2*dps`` digits together with a bound
on their rounding errors, carried through every node (``expr/certified.py``: a sum adds its terms'
errors, so a cancellation shows as an error bound as large as the terms). The sides *differ* when their
gap exceeds both error bounds together (so it is not rounding) and is larger than ``10**(5-dps)`` of
their scale (on the scale of f: ``|f|/|x|**order`` or the sides, whichever is larger); they *agree*
when the gap is within the error bounds and the bounds are below ``10**(5-dps)`` of the scale.
Otherwise -- ``1/(1 + e^-500) - 1/(1 + e^-500)**2`` is exactly 0 at 50 and at 100 digits, truly
7e-218, and its error bound says so -- the precision is doubled (up to ``MAX_DPS``; a point still
undecided there is skipped and counted). Why bounds and not "two precisions agree": after a
cancellation two precisions can agree on the same wrong value. So a claim off by a relative 1e-60,
far below double precision, is still caught, and rounding never produces a counterexample.

Where the points are. Only points where the function itself is real and finite and both sides are real
and finite count ("inside the domain of both sides"; also, no intermediate value may overflow double
precision, so that mpmath never meets an astronomically large exponent). ``log(yh)`` needs
``0 < yh < 1``-like values, so candidates are drawn from several families (wide reals, the unit
interval, positive reals, saturated values up to +-12) and the families that land inside the domain
are drawn more often.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import mpmath
import numpy as np
import sympy

from difflab.expr import certified
from difflab.expr.compile import to_mpmath, to_numpy

DEFAULT_POINTS = 40
DEFAULT_DPS = 50
MAX_CANDIDATES_PER_POINT = 30
MAX_DPS = 1600            # a point whose verdict needs more digits than this is skipped ("unresolved")

# Candidate families: name -> sampler of one coordinate.  "wide" reaches the saturated tails of
# sigmoid/tanh (|z| up to 12), where a dropped or flipped small term is largest in relative terms;
# "scales" spans 1e-4..1e4 in magnitude (min(x, 20) claimed for x must meet an x > 20).
_FAMILIES = {
    "unit": lambda r: r.uniform(0.02, 0.98),
    "real": lambda r: r.uniform(-3.0, 3.0),
    "positive": lambda r: r.uniform(0.05, 4.0),
    "wide": lambda r: r.uniform(-12.0, 12.0),
    "scales": lambda r: r.choice((-1.0, 1.0)) * 10.0 ** r.uniform(-4.0, 4.0),
}


@dataclass
class NumericVerdict:
    """Outcome of the identity test: agreement at every valid point, or the first disagreement."""

    agree: bool
    points: int                       # valid points compared
    candidates: int                   # candidate points drawn (valid or not)
    dps: int
    mismatch: dict[str, Any] | None = None      # counterexample (see ``_counterexample``)
    undefined_claim: dict[str, Any] | None = None  # a point where lhs is defined and rhs is not
    unresolved: int = 0                           # points skipped: undecided even at MAX_DPS digits
    families: dict[str, int] = field(default_factory=dict)


class _Evaluator:
    """lhs, rhs, guards and abbreviation values compiled once into one mpmath function."""

    def __init__(self, lhs: sympy.Expr, rhs: sympy.Expr, guards: Sequence[sympy.Expr],
                 symbols: Sequence[sympy.Symbol], abbreviations: Sequence[tuple[str, sympy.Expr]],
                 order: int = 1, f_scale: bool = True):
        self.order = order
        self.f_scale = f_scale and bool(guards)
        self.symbols = list(symbols)
        self.names = [s.name for s in self.symbols]
        self.nguards = len(guards)
        self.abbreviations = [name for name, _ in abbreviations]
        exprs = [lhs, rhs, *guards, *[e for _, e in abbreviations]]
        self.exprs = exprs
        self.fn = to_mpmath(exprs, self.symbols)
        try:
            self.double = to_numpy(exprs, self.symbols).fn
        except Exception:  # noqa: BLE001 -- the guard is an optimisation of safety, not required
            self.double = None

    def in_double_range(self, point: Sequence[Any]) -> bool:
        """False when some intermediate value overflows double precision at this point.

        Why: mpmath has no overflow, so ``exp(exp(exp(exp(12))))`` would be computed with an exponent of
        ~10**70000 digits and never finish; such points are skipped (an identity is not decided there).
        """
        if self.double is None:
            return True
        try:
            with np.errstate(over="raise", invalid="ignore", divide="ignore", under="ignore"):
                self.double(*[np.float64(float(v)) for v in point])
        except (FloatingPointError, OverflowError):
            return False
        except Exception:  # noqa: BLE001 -- anything else is for mpmath to judge
            return True
        return True

    def values(self, point: Sequence[mpmath.mpf], dps: int) -> list | None:
        with mpmath.workdps(dps):
            try:
                out = self.fn(*[+mpmath.mpf(v) for v in point])
            except Exception:  # noqa: BLE001 -- any failure to evaluate means: not defined here
                return None
            return [_real(v, dps) for v in out]


    def bounded(self, point: Sequence[Any], dps: int) -> list[tuple] | None:
        """(real value or None, error bound) of every expression at ``dps`` digits; None: beyond reach."""
        prec = int(dps * 3.33) + certified.GUARD_BITS
        try:
            got = certified.bounds(self.exprs, self.symbols, point, prec)
        except certified.TooLarge:
            return None
        with mpmath.workprec(prec):
            return [(_real(v, dps), err) for v, err in got]


def _real(v: Any, dps: int) -> mpmath.mpf | None:
    """The value as a finite real, or None (complex beyond rounding, nan, inf)."""
    try:
        v = mpmath.mpmathify(v)
    except (TypeError, ValueError):
        return None
    if isinstance(v, mpmath.mpc):
        if v.imag != 0 and abs(v.imag) > abs(v.real) * mpmath.mpf(10) ** (-(dps // 2)):
            return None
        v = v.real
    return v if mpmath.isfinite(v) else None


def _compare(ev: _Evaluator, point: Sequence[Any], dps: int) -> tuple[str, list | None, list | None]:
    """'agree' | 'differ' | 'outside' (f not real/finite there) | 'claim-undefined' | 'unresolved', and
    the values (twice: the record format of ``_counterexample``) at the highest precision used."""
    if not ev.in_double_range(point):
        return "outside", None, None
    lo_dps = dps
    while 2 * lo_dps <= MAX_DPS:
        got = ev.bounded(point, 2 * lo_dps)
        if got is None:
            return "outside", None, None
        values = [v for v, _ in got]
        if values[0] is None or any(g is None for g in values[2:2 + ev.nguards]):
            return "outside", None, None
        if values[1] is None:
            return "claim-undefined", values, values
        state = _judge(ev, point, got, lo_dps)
        if state != "unstable":
            return state, values, values
        lo_dps *= 2
    return "unresolved", None, None


def _judge(ev: _Evaluator, point: Sequence[Any], got: list[tuple], lo_dps: int) -> str:
    """Judge the sides from their values and error bounds at ``2*lo_dps`` digits.

    *differ*: the gap is more than both error bounds together (not rounding) and more than
    ``10**(5-lo_dps)`` of the size ``M``; *agree*: the gap is within the bounds and the bounds are
    below ``10**(5-lo_dps)`` of ``M``; else *unstable* (the caller doubles the precision). ``M`` is the
    larger side, or ``|f| / |x|**order`` (the size a derivative of f has unless it cancels), so
    agreement is measured on f's scale; for a reduced difference tested against 0 (no f), the size of
    its terms, read off the error bound (an exact 0 then agrees instead of doubling to MAX_DPS).
    """
    hi_dps = 2 * lo_dps
    with mpmath.workdps(hi_dps + 10):
        (t, et), (c, ec) = got[0], got[1]
        tol = et + ec
        if not mpmath.isfinite(tol):
            return "unstable"
        gap = abs(t - c)
        size = max(abs(t), abs(c))
        ten = mpmath.mpf(10)
        if ev.f_scale and got[2][0] is not None:
            reach = max([mpmath.mpf(1)] + [abs(mpmath.mpf(v)) for v in point])
            size = max(size, abs(got[2][0]) / reach ** ev.order)
        elif not ev.f_scale:   # a difference against 0: its scale is its terms' (the bound is ~ulp * terms)
            size = max(size, tol * ten ** (hi_dps - 2))
        if gap > 2 * tol and gap > ten ** (5 - lo_dps) * size:
            return "differ"
        if gap <= 2 * tol + ten ** (10 - hi_dps) * size and tol <= ten ** (5 - lo_dps) * size:
            return "agree"
    return "unstable"


def identity_test(lhs: sympy.Expr, rhs: sympy.Expr, symbols: Sequence[sympy.Symbol], *,
                  guards: Sequence[sympy.Expr] = (), abbreviations: Sequence[tuple[str, sympy.Expr]] = (),
                  points: int = DEFAULT_POINTS, dps: int = DEFAULT_DPS, seed: int = 0,
                  order: int = 1, f_scale: bool = True) -> NumericVerdict:
    """Compare ``lhs`` and ``rhs`` at ``points`` random points inside the domain of both (and of guards).

    Stops at the first disagreement, which becomes the counterexample (moved to a short decimal point
    when the disagreement survives rounding the coordinates, so a user can retype it). ``f_scale=False``
    judges on the sides' own scale (for a difference with no cancellation left, compared with 0).
    """
    ev = _Evaluator(lhs, rhs, guards, symbols, abbreviations, order, f_scale)
    rng = random.Random(seed)
    weights = {name: 1.0 for name in _FAMILIES}
    used = dict.fromkeys(_FAMILIES, 0)
    verdict = NumericVerdict(agree=False, points=0, candidates=0, dps=dps, families=used)
    if not ev.symbols:
        return _constant(ev, verdict, dps)
    limit = points * MAX_CANDIDATES_PER_POINT
    first = list(_FAMILIES)  # one candidate of each family first, "unit" (short, typical values) leading
    while verdict.points < points and verdict.candidates < limit:
        if verdict.candidates < len(first):
            family = first[verdict.candidates]
        else:
            family = rng.choices(list(weights), weights=list(weights.values()))[0]
        point = [_FAMILIES[family](rng) for _ in ev.symbols]
        verdict.candidates += 1
        status, low, high = _compare(ev, point, dps)
        if status == "unresolved":
            verdict.unresolved += 1
            continue
        if status == "outside":
            weights[family] = max(weights[family] * 0.8, 0.05)
            continue
        weights[family] = min(weights[family] * 1.25, 20.0)
        if status == "claim-undefined":
            if verdict.undefined_claim is None:
                verdict.undefined_claim = _counterexample(ev, point, low, high, dps)
            continue
        used[family] += 1
        verdict.points += 1
        if status == "differ":
            verdict.mismatch = _counterexample(ev, *_shorter(ev, point, dps), dps)
            return verdict
    verdict.agree = verdict.points > 0
    return verdict


def _constant(ev: _Evaluator, verdict: NumericVerdict, dps: int) -> NumericVerdict:
    """No variables at all: one evaluation decides."""
    verdict.candidates = 1
    status, low, high = _compare(ev, [], dps)
    if status == "agree":
        verdict.points, verdict.agree = 1, True
    elif status == "differ":
        verdict.points = 1
        verdict.mismatch = _counterexample(ev, [], low, high, dps)
    elif status == "claim-undefined":
        verdict.undefined_claim = _counterexample(ev, [], low, high, dps)
    return verdict


def _shorter(ev: _Evaluator, point: list[float], dps: int) -> tuple[list, list, list]:
    """The disagreeing point with coordinates rounded to 1, 2 or 3 significant digits when it still
    disagrees there (a point a person can type), else the point itself."""
    for digits in (1, 2, 3):
        short = [_round(v, digits) for v in point]
        status, low, high = _compare(ev, short, dps)
        if status == "differ":
            return short, low, high
    status, low, high = _compare(ev, point, dps)
    return point, low, high


def _round(v: float, digits: int) -> str:
    text = f"{v:.{digits}g}"
    return "0" if float(text) == 0 else text


def _counterexample(ev: _Evaluator, point: Sequence[Any], low: list, high: list, dps: int) -> dict[str, Any]:
    """point, true value, claimed value (floats and 20-digit strings), and the abbreviations' values."""
    true_v, claim_v = high[0], high[1]
    out: dict[str, Any] = {
        "point": {n: float(mpmath.mpf(v)) for n, v in zip(ev.names, point, strict=True)},
        "true_value": float(true_v),
        "claimed_value": None if claim_v is None else float(claim_v),
        "true_value_digits": mpmath.nstr(true_v, 20),
        "claimed_value_digits": None if claim_v is None else mpmath.nstr(claim_v, 20),
    }
    if claim_v is not None:
        with mpmath.workdps(MAX_DPS):
            scale = max(abs(true_v), abs(claim_v))
            rel = abs(true_v - claim_v) / scale if scale else mpmath.mpf(0)
            out["difference"] = float(true_v - claim_v)
            out["relative_difference"] = float(rel)
            out["relative_difference_digits"] = mpmath.nstr(rel, 3)   # floats underflow below 1e-308
    else:
        out["note"] = "the claim is not defined (not real or not finite) here, the derivative is"
    start = 2 + ev.nguards
    if ev.abbreviations:
        out["abbreviations"] = {name: (None if v is None else float(v))
                                for name, v in zip(ev.abbreviations, high[start:], strict=True)}
    return out


def at_point(lhs: sympy.Expr, rhs: sympy.Expr, symbols: Sequence[sympy.Symbol], point: dict[str, float], *,
             guards: Sequence[sympy.Expr] = (), abbreviations: Sequence[tuple[str, sympy.Expr]] = (),
             dps: int = DEFAULT_DPS) -> dict[str, Any] | None:
    """Both sides at one point, at ``MAX_DPS`` digits, as a counterexample record (None: undefined)."""
    ev = _Evaluator(lhs, rhs, guards, symbols, abbreviations)
    coords = [point[name] for name in ev.names]
    values = ev.values(coords, MAX_DPS)
    if values is None or values[0] is None:
        return None
    return _counterexample(ev, coords, values, values, dps)


def describe(verdict: NumericVerdict) -> str:
    """One sentence: how many points, how many digits."""
    skipped = (f"; {verdict.unresolved} point{'s' * (verdict.unresolved != 1)} undecidable below {MAX_DPS} "
               "digits skipped" if verdict.unresolved else "")
    return (f"{verdict.points} random points inside the domain ({verdict.candidates} drawn{skipped}), "
            f"evaluated with mpmath at {2 * verdict.dps} significant digits with rounding-error bounds (more "
            f"where the bounds left them undecided)")
