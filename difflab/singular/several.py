"""Removable singularities and poles of functions of several variables: where, how, and the branches.

In one variable the candidates are points (``singular.analysis``); in several they are sets -- the real
zeros of a denominator (x*y = 0 is both axes) or of a row's pole factor (tan(u): cos(u) = 0). So the
analysis here is global only where it can be exact, and per point otherwise:

* **Factors.** The denominator of ``together(f)`` split by ``factor_list`` (each factor once), plus the
  rows' pole factors (the table's ``poles``). Each is compiled with its gradient, so the distance of any
  input to its zero set is estimated vectorized: ``|d| / |grad d|``.
* **Exact cancellation** (global): ``cancel(f)`` whose denominator lost a factor: near that factor's set
  the cancelled form is used ((x^2 - y^2)/(x - y) -> x + y).
* **Substitution of one new variable** (global): for u = a factor or the whole denominator, solve u = d(x)
  for one variable; when f becomes a function of u alone, f = phi(d(x)) everywhere and phi is analysed
  in one variable (its Taylor branches and exact limits): sin(x*y)/(x*y) = sinc-like phi(u) with
  u = x*y. Value, gradient and Hessian follow by the chain rule, vectorized.
* **Otherwise, per point** (``singular.resolve``): on the set, a Cauchy integral on a polydisc (the
  analytic extension), checked by two radii and by SymPy limits along lines; near it, the formula at
  raised precision with a running error bound (``expr.certified``), correct at any distance.
Every SymPy call runs under the hard budget; what did not finish is said in the notes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import sympy

from difflab.expr import budget as hard
from difflab.expr.budget import Budget, OverBudget
from difflab.expr.compile import Compiled, Region, to_numpy
from difflab.expr.derivatives import compile_exprs
from difflab.expr.function import Function
from difflab.primitives.heads import pole_factors
from difflab.singular import resolve
from difflab.singular.analysis import analyze, denominators
from difflab.singular.analysis import branches as branches_1d

EPS = float(np.finfo(float).eps)
ON_SET = 8 * EPS     # within this (relative) distance a point is on the set: pi/2 as a double is
NEAR = 0.5           # within this (relative) distance the formula may lose digits: the branch is used
U = sympy.Symbol("u", real=True)


@dataclass
class Factor:
    """One factor whose real zeros are singular; ``fn`` gives [d, dd/dx_1, ..., dd/dx_n] vectorized."""

    expr: sympy.Expr
    fn: Compiled
    pole: bool = False          # a row's pole factor (tan: cos(u)), not a denominator
    cancels: bool = True        # the numerator vanishes on the set too (0/0: digits are lost nearby)

    def distance(self, flat: list[np.ndarray]) -> np.ndarray:
        """|d| / |grad d| relative to max(1, |x|): the distance to the zero set, first order."""
        with np.errstate(all="ignore"):
            try:  # a constant NumPy cannot print (zeta(3)) makes the set invisible, not a traceback
                out = self.fn(*flat)
            except (NameError, TypeError, ValueError, ArithmeticError):
                return np.full(np.shape(flat[0]), np.inf)
            d = np.abs(np.real(np.asarray(out[0])))
            g = np.sqrt(sum(np.abs(np.asarray(o)) ** 2 for o in out[1:]))
            scale = np.maximum(1.0, np.max(np.abs(np.real(np.array(flat))), axis=0))
            dist = np.where(d == 0, 0.0, np.where(g > 0, d / np.where(g > 0, g, 1.0), np.inf))
        return np.broadcast_to(dist / scale, np.shape(flat[0]))


@dataclass
class Substitution:
    """f = phi(g(x)) with phi a Function of one variable u (its own singular analysis applies).
    ``accurate``: g keeps its relative accuracy in doubles near its zeros (``accurate``); when it does
    not, u is computed at raised precision near the set (its digits are the ones phi needs)."""

    g: sympy.Expr
    phi: Function
    accurate: bool = True


def _exact_double(e: sympy.Expr) -> bool:
    """A number or symbol (or its negative) that doubles hold exactly: x, -y, 2, 1/2 -- not 1/3."""
    if e.is_Symbol:
        return True
    if e.is_Rational:
        q = int(e.q)
        return q & (q - 1) == 0 and abs(int(e.p)) < 2**53
    return e.is_Mul and len(e.args) == 2 and e.args[0] == -1 and e.args[1].is_Symbol


def accurate(d: sympy.Expr) -> bool:
    """Whether d evaluated in doubles is accurate *relative to d* near d = 0: products and integer powers
    of exact atoms, or one sum of two exact atoms (a single correctly rounded operation) -- x*y, x + y,
    x - 2. Not x**2 - y**2 or exp(x*y) - exp(2) (terms rounded before they cancel) nor cos(x*y) near
    pi/2 (the argument's rounding is absolute): for those the digits of a small d are noise."""
    if _exact_double(d):
        return True
    if isinstance(d, sympy.Add):
        return len(d.args) == 2 and all(_exact_double(a) for a in d.args)
    factors = d.args if isinstance(d, sympy.Mul) else (d,)
    return all(_exact_double(a) or (isinstance(a, sympy.Pow) and a.exp.is_Integer and _exact_double(a.base))
               for a in factors)


@dataclass
class Several:
    """The singular factors of a Function of several variables and the global strategies found."""

    factors: tuple[Factor, ...] = ()
    cancelled: sympy.Expr | None = None
    removed: frozenset = frozenset()       # factors the cancelled form no longer divides by
    substitution: Substitution | None = None
    skipped: list[str] = field(default_factory=list)
    resolved: dict = field(default_factory=dict)   # point (tuple) -> resolve.Resolution

    def on_set(self, flat: list[np.ndarray]) -> np.ndarray:
        return self._within(flat, ON_SET)

    def near(self, flat: list[np.ndarray]) -> np.ndarray:
        return self._within(flat, NEAR)

    def _within(self, flat: list[np.ndarray], radius: float) -> np.ndarray:
        """Within ``radius`` of a 0/0 set, or on any set (near a pole set the formula keeps its digits)."""
        out = np.zeros(np.shape(flat[0]), dtype=bool)
        for factor in self.factors:
            out |= factor.distance(flat) <= (radius if factor.cancels else ON_SET)
        return out

    def vanishing(self, point: np.ndarray) -> list[Factor]:
        return [fa for fa in self.factors if fa.distance([np.array([v]) for v in point])[0] <= ON_SET]


def singular_sets(f: Function) -> Several:
    """The cached analysis of ``f`` (n >= 2); empty when f has no denominator and no pole factor."""
    if f.caches.several is None:
        try:
            f.caches.several = _analyze(f)
        except Exception as err:  # noqa: BLE001 -- the plain formula is still compiled; the failure is said
            f.caches.several = Several(skipped=[f"the singularity analysis failed ({type(err).__name__}: "
                                                f"{err})"])
    return f.caches.several


def _fraction(expr: sympy.Expr) -> tuple[sympy.Expr, sympy.Expr]:
    return sympy.fraction(sympy.together(expr))


def _factor_list(d: sympy.Expr) -> list[sympy.Expr]:
    return [p for p, _ in sympy.factor_list(d)[1]]


def _analyze(f: Function) -> Several:
    if f.expr is None or f.n < 2:
        return Several()
    expr = f.stable
    poles = [p for p in pole_factors(expr) if p.free_symbols]
    if all(d.is_positive for d in denominators(expr)) and not poles:
        return Several()  # u**2 + 1, exp(u), cosh(u): SymPy's assumptions say no real zero (cheap)
    budget = Budget()
    out = Several()
    num = den = None
    try:
        num, den = budget.run(_fraction, expr)
        # together may cancel on its own ((x^2 + x y)/(x + y) -> x): the written denominators count too
        together = [den] if den.free_symbols else []
        parts = list(dict.fromkeys(p for d in together + denominators(expr)
                                   for p in budget.run(_factor_list, d)))
    except OverBudget:
        out.skipped.append("the denominator was not put together within the time budget")
        parts = denominators(expr)
    except Exception:  # noqa: BLE001 -- SymPy's many failures: the plain bases of negative powers
        parts = denominators(expr)
    parts = [p for p in parts if p.free_symbols and p.is_positive is not True]
    out.factors = tuple(_compiled(p, f, False, _cancels(num, den, p, budget)) for p in parts) + \
        tuple(_compiled(p, f, True, False) for p in poles)
    if not out.factors:
        return out
    _cancel(expr, out, budget)
    if len(out.removed) < len(parts):
        candidates = ([sympy.Mul(*parts)] if len(parts) > 1 else []) + parts
        out.substitution = _substitute(expr, candidates, f, budget, out.skipped)
    return out


def _compiled(d: sympy.Expr, f: Function, pole: bool, cancels: bool) -> Factor:
    return Factor(d, to_numpy([d, *(sympy.diff(d, s) for s in f.symbols)], f.symbols), pole, cancels)


_PROBES = (sympy.Rational(3712, 10000), sympy.Rational(8123, 10000), sympy.Rational(13771, 10000))


def _on_set(num: sympy.Expr, d: sympy.Expr) -> bool | None:
    """Whether ``num`` vanishes on the whole set d = 0 (solved for one variable), None if unknown: zero
    by simplification, or at three points of the set (30 digits); nonzero only when SymPy proves it or
    all three points show it (softplus(log(exp(c) - 1)) is not simplified, yet it is c)."""
    for v in sorted(d.free_symbols, key=lambda s: s.name):
        sols = [s for s in sympy.solve(d, v) if s.is_real is not False]
        if len(sols) != 1:
            continue
        on = sympy.simplify(num.subs(v, sols[0]))
        if on == 0 or on.is_zero:
            return True
        if on.is_zero is False:
            return False
        rest = sorted(on.free_symbols, key=lambda s: s.name)
        values = [on.xreplace(dict(zip(rest, _PROBES[k:] + _PROBES[:k], strict=False))).evalf(30)
                  for k in range(3)]
        if not all(w.is_number and w.is_real and w.is_finite for w in values):
            return None
        if all(abs(w) < 1e-20 for w in values):
            return True
        return False if all(abs(w) > 1e-10 for w in values) else None
    return None


def _cancels(num: sympy.Expr | None, den: sympy.Expr | None, d: sympy.Expr, budget: Budget) -> bool:
    """False when the numerator is not zero on d's set: a pole set (1/(x*y) near the axes loses nothing).
    Unknown counts as 0/0, and so does a d that ``together`` cancelled ((x*y - y)/(x - 1) is y)."""
    if num is None or den is None:
        return True
    try:
        if not den.free_symbols or budget.run(_on_set, den, d) is False:
            return True
        if num.is_number:
            return num == 0
        return budget.run(_on_set, num, d) is not False
    except Exception:  # noqa: BLE001 -- OverBudget, solve's failures: unknown, so treated as 0/0
        return True


def _cancel(expr: sympy.Expr, out: Several, budget: Budget) -> None:
    """The cancelled form, kept when its denominator is provably nonzero on some factor's set (cancel
    may rescale a factor by exp(3/4), so factors are compared by their zero sets, not by name)."""
    try:
        g = budget.run(sympy.cancel, expr)
        _, den = budget.run(_fraction, g)
        removed = frozenset(fa.expr for fa in out.factors if not fa.pole
                            and (not den.free_symbols or budget.run(_on_set, den, fa.expr) is False))
    except OverBudget:
        out.skipped.append("exact cancellation was not tried to the end within the time budget")
        return
    except Exception:  # noqa: BLE001 -- cancel refuses some expressions (PolynomialError, ...): no cancellation
        return
    if removed:
        out.cancelled, out.removed = g, removed


def _solve_for(d: sympy.Expr, v: sympy.Symbol) -> list:
    return sympy.solve(sympy.Eq(d, U), v)


def _substitute(expr: sympy.Expr, candidates: list[sympy.Expr], f: Function, budget: Budget,
                skipped: list[str]) -> Substitution | None:
    """u = d(x) for one candidate d such that f is a function of u alone, or None."""
    for d in candidates:
        for v in sorted(d.free_symbols, key=lambda s: s.name):
            try:
                sols = budget.run(_solve_for, d, v)
            except OverBudget:
                skipped.append(f"the substitution u = {d} was not tried within the time budget")
                return None
            except Exception:  # noqa: BLE001 -- solve's NotImplementedError etc.: no substitution
                continue
            if len(sols) != 1:
                continue
            phi = expr.subs(v, sols[0])
            if phi.free_symbols == {U}:
                one = Function(phi, variables=["u"])
                stopped = analyze(one).skipped
                if stopped:  # phi's branches would be the formula: its analysis must be complete
                    skipped.append(f"the one-variable analysis of {phi} (u = {d}) did not finish: "
                                   f"{stopped[0]}")
                    return None
                return Substitution(d, one, accurate(d))
    return None


# -- branches ------------------------------------------------------------------------------------

def _entries(f: Function, order: int, pairs) -> list[tuple[int, ...]]:
    if order == 0:
        return [()]
    if order == 1:
        return [(i,) for i in range(f.n)]
    return list(pairs)


def regions(f: Function, order: int, outputs: int, pairs=None) -> tuple[Region, ...]:
    """The branches of the compiled value (0), gradient (1) or Hessian entries (2, at ``pairs``)."""
    sev = singular_sets(f)
    if not sev.factors:
        return ()
    entries = _entries(f, order, pairs)
    select = sev.near
    if sev.substitution is not None:
        evaluate = _chain(f, sev.substitution, order, entries)
        what = f"the substitution u = {sev.substitution.g}: f = {sev.substitution.phi.expr}"
    elif sev.cancelled is not None and len(sev.removed) == len([fa for fa in sev.factors if not fa.pole]):
        evaluate = _cancelled(f, sev.cancelled, order, entries)
        what = f"the cancelled form {sev.cancelled}"
    else:
        evaluate = _pointwise(f, sev, order, entries)
        select = _real_only(sev.near)
        what = "the analytic extension (Cauchy integral) on the set, 40-digit arithmetic near it"
    shape = (lambda cols: cols) if outputs else (lambda cols: cols[0])
    return (Region(select, lambda flat: shape(evaluate(flat)),
                   f"within {NEAR:g} (relative) of the singular set of "
                   f"{', '.join(str(fa.expr) for fa in sev.factors)}"
                   f": {what}"),)


def _real_only(select):
    """Raised precision is real arithmetic: complex inputs (the complex step) keep the formula."""
    return lambda flat: select(flat) if all(a.dtype.kind != "c" for a in flat) else \
        np.zeros(np.shape(flat[0]), dtype=bool)


def derivative(e: sympy.Expr, symbols, entry: tuple[int, ...]) -> sympy.Expr:
    return sympy.diff(e, *[symbols[i] for i in entry]) if entry else e


def _cancelled(f: Function, g: sympy.Expr, order: int, entries):
    fn = to_numpy([derivative(g, f.symbols, e) for e in entries], f.symbols)
    return lambda flat: fn(*flat)


def _chain(f: Function, sub: Substitution, order: int, entries):
    """phi(g), phi'(g) g_i, phi''(g) g_i g_j + phi'(g) g_ij -- phi's compiled functions with its own
    (one-variable) branches, so its Taylor polynomial is used near its removable point."""
    g, n = sub.g, f.n
    parts = [g] + [sympy.diff(g, s) for s in f.symbols]
    if order == 2:
        parts += [sympy.diff(g, f.symbols[i], f.symbols[j]) for i, j in entries]
    gfn = to_numpy(parts, f.symbols)
    phis = [_phi_compiled(sub.phi, k) for k in range(order + 1)]

    def evaluate(flat):
        with np.errstate(all="ignore"):
            got = [np.asarray(v) for v in gfn(*flat)]
            u = got[0] if sub.accurate else _raised_u(g, f, flat, got[0])
            if order == 0:
                return [phis[0](u)]
            grad = got[1:n + 1]
            d1 = np.asarray(phis[1](u)[0])
            if order == 1:
                return [d1 * grad[i] for i in range(n)]
            d2 = np.asarray(phis[2](u)[0])
            return [d2 * grad[i] * grad[j] + d1 * got[n + 1 + k] for k, (i, j) in enumerate(entries)]
    return evaluate


def _raised_u(g: sympy.Expr, f: Function, flat: list[np.ndarray], doubles: np.ndarray) -> np.ndarray:
    """u = g(x) to 20 digits at each (real) point: where g cancels in doubles, phi needs its true digits."""
    if any(a.dtype.kind == "c" for a in flat):
        return doubles  # the complex step: its continuation, as the formula gives it
    points = [[float(a[k]) for a in flat] for k in range(np.size(flat[0]))]
    try:
        rows = hard.within(hard.settings()["total"], resolve.raised_precision, [g], f.symbols, points)
    except OverBudget:
        return np.full(np.shape(doubles), np.nan)
    return np.array([r[0] for r in rows])


def raised_u(f: Function, sub: Substitution, point: list[float]) -> float:
    """u = g(point) to 20 digits (nan when not known in time)."""
    return float(_raised_u(sub.g, f, [np.array([v]) for v in point], np.array([np.nan]))[0])


def _phi_compiled(phi: Function, order: int) -> Compiled:
    exprs = compile_exprs(phi, order)
    base = to_numpy(exprs if order == 0 else list(exprs), phi.symbols)
    return base.with_branches(branches_1d(phi, order, base.outputs))


def _pointwise(f: Function, sev: Several, order: int, entries):
    """On the set: the per-point resolution (cached); near it: the formula at raised precision."""
    exprs = [derivative(f.stable, f.symbols, e) for e in entries]

    def evaluate(flat):
        real = [np.real(a) for a in flat]
        count = np.shape(real[0])[0]
        out = [np.full(count, np.nan) for _ in entries]
        on = sev.on_set(real)
        for k in np.flatnonzero(on):
            res = resolve.resolution(f, sev, np.array([a[k] for a in real]))
            vals = res.entries(entries) if res is not None else None
            for col, v in zip(out, vals or [np.nan] * len(entries), strict=True):
                col[k] = v
        rest = np.flatnonzero(~on)
        if rest.size:
            points = [[float(a[k]) for a in real] for k in rest]
            try:
                got = hard.within(hard.settings()["total"], resolve.raised_precision, exprs, f.symbols,
                                  points)
            except OverBudget:
                sev.skipped.append("the raised-precision evaluation near the singular set ran out of time")
                got = [[np.nan] * len(entries) for _ in rest]
            for k, row in zip(rest, got, strict=True):
                for col, v in zip(out, row, strict=True):
                    col[k] = v
        return out
    return evaluate
