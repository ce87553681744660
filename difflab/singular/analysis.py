"""Removable singularities and poles of one-variable functions: exact limits at them, accuracy near them.

What NumPy, lambdify, JAX, PyTorch and autograd all return for sin(x)/x, f' and f'' at 0 is nan. Here a
Function's compiled value, gradient and Hessian (``symbolic.compile_*``, i.e. ``Function.numpy``,
``Function.batch`` and the ``symbolic`` method) get *masked branches*:

* **Candidates** are the real zeros of the denominators (``solveset`` over the reals; periodic zero sets
  are cut to ``|x| <= WINDOW``).
* **Classification** at a candidate ``c``: ``factor`` first -- if the factored expression is finite at
  ``c`` the singularity is removable exactly (``(t^2-4)/(t-2) -> t+2``: fast, no limits at all).
  Otherwise the two-sided ``limit(f, x, c, '+-')`` (SymPy's default is one-sided) decides removable
  (finite), pole (infinite: the sign from each side is recorded) or a jump (the sides differ).
* **Near the point** the ordinary formula cancels catastrophically ((1-cos x)/x^2 is 0 at 1e-9, true
  0.5). A removable point gets a Taylor branch: the coefficients of f(c + h) are computed once
  (``singular_series``: a Cauchy integral in mpmath, ~30 correct digits, verified on two circles and on
  the real line -- ``sympy.series`` needs 10 s for 27 terms at -6*pi), the constant term is SymPy's
  exact limit, and f' and f'' use the termwise derivatives of the same polynomial (never ``limit`` of
  f'', which can run for minutes). The branch is used inside the radius where the first omitted terms
  are below a quarter of double precision relative to the leading kept term (and inside the verified
  circle); outside it, the ordinary formula. A point that ``factor`` cancels uses the factored
  expression within half the distance to the next candidate instead.
* Every SymPy call runs under a time budget (``budget``); what did not finish is left out and
  said so in the notes, never waited for.

Cost for ordinary functions: nothing -- the analysis runs only for one-variable expressions with a
denominator, once per Function (cached), and only the masks are evaluated per call.

Kinks, domain edges and the words for ``difflab diff`` live in ``singular.notes``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import mpmath
import numpy as np
import sympy

from difflab.expr.budget import Budget, OverBudget
from difflab.expr.compile import Branch, to_mpmath, to_numpy
from difflab.expr.function import Function
from difflab.primitives.heads import nonsmooth_heads, pole_factors
from difflab.singular.local import kink_arguments, localize
from difflab.singular.series import horner, poly_coefficients, taylor, truncation_radius
from difflab.singular.sides import limit_sides, numeric_sides, probe_pole
from difflab.singular.zeros import real_zeros

MAX_ORDER = 10        # derivative orders whose branch radius is known (dl.derivatives goes to 10)
N_TERMS = 24          # Taylor terms kept in a branch (of f; f' keeps N_TERMS - 1, f'' N_TERMS - 2)
TAIL = 3              # further terms computed only to estimate the truncation error
MAX_POINTS = 40
EPS = float(np.finfo(float).eps)
_H = sympy.Symbol("h", real=True)


@dataclass
class Point:
    """One candidate point ``center`` (exact) and what is known there."""

    center: sympy.Expr
    kind: str                                  # removable | pole | jump | nonsmooth | unresolved
    limits: tuple[sympy.Expr, ...] = ()        # f, f', f'' at the point (exact) when known
    coeffs: tuple[sympy.Expr, ...] = ()        # Taylor coefficients of f(center + h)
    factored: sympy.Expr | None = None         # exact cancelled form, finite at the point
    sides: tuple[sympy.Expr, sympy.Expr] | None = None   # (left, right) limits of f (pole or jump)
    detail: str = ""
    radius: dict[int, float] = field(default_factory=dict)   # branch radius per derivative order
    circle: float = math.inf                   # the coefficients were verified on this circle
    exact_limits: bool = False                 # limits_at tried the exact 3-term series once

    @property
    def value(self) -> float:
        return float(self.center)


@dataclass
class Analysis:
    """The singular points of one Function (empty for ordinary functions)."""

    symbol: sympy.Symbol | None = None
    expr: sympy.Expr | None = None
    points: tuple[Point, ...] = ()
    denominators: tuple[sympy.Expr, ...] = ()   # bases of negative powers, then poles of rows (tan: cos)
    origins: dict = field(default_factory=dict)  # candidate point -> the factor that vanishes there
    skipped: list[str] = field(default_factory=list)
    budget: Budget | None = None


def denominators(expr: sympy.Expr) -> list[sympy.Expr]:
    """Bases of negative powers (x/y is Mul(x, Pow(y, -1)) in SymPy), in a stable order."""
    out = []
    for node in sympy.preorder_traversal(expr):
        if isinstance(node, sympy.Pow) and node.exp.is_number and node.exp.is_negative \
                and node.base.free_symbols and node.base not in out:
            out.append(node.base)
    return out


def analyze(f: Function) -> Analysis:
    """The cached analysis of ``f`` (cheap and empty unless f has one variable and a denominator)."""
    if f.caches.analysis is None:
        try:
            f.caches.analysis = _analyze(f)
        except Exception as err:  # noqa: BLE001 -- the plain formula is still compiled; the failure is said
            why = f"the singularity analysis failed ({type(err).__name__}: {err})"
            f.caches.analysis = Analysis(skipped=[why])
    return f.caches.analysis


def _analyze(f: Function) -> Analysis:
    if f.expr is None:
        return Analysis()
    expr = f.stable
    dens = denominators(expr) + [p for p in pole_factors(expr) if p.free_symbols]
    if f.n != 1 or not dens:
        return Analysis(denominators=tuple(dens))
    x = f.symbols[0]
    budget = Budget()
    an = Analysis(symbol=x, expr=expr, denominators=tuple(dens), budget=budget)
    centers: list[sympy.Expr] = []
    for d in dens:
        for z in real_zeros(d, x, budget, an.skipped):
            if all(z != c for c in centers):
                centers.append(z)
                an.origins[z] = d
    # Nearest the origin first: if the budget runs out, the points users evaluate at were classified.
    centers = sorted(centers, key=lambda c: (abs(float(c)), float(c)))[:MAX_POINTS]
    floats = [float(c) for c in centers]
    kinks = [float(z) for u in kink_arguments(expr) if u.has(x) for z in real_zeros(u, x, budget, an.skipped)]
    an.points = tuple(sorted((_safe_classify(expr, x, c, budget, an.skipped, _rho0(float(c), floats), kinks)
                              for c in centers), key=lambda p: p.value))
    for p in an.points:
        others = [abs(p.value - q.value) for q in an.points if q is not p]
        cap = min([1.0, p.circle] + [0.5 * d for d in others])
        for order in range(MAX_ORDER + 1):  # 0..2 for the branches; up to 10 for Taylor mode (programs)
            if p.kind == "removable" and p.factored is not None:
                p.radius[order] = cap
            elif p.kind == "removable":
                a = poly_coefficients(p.coeffs, order)
                p.radius[order] = min(cap, truncation_radius(a[:N_TERMS - order], a[N_TERMS - order:]))
    return an


def _rho0(c: float, centers: list[float]) -> float:
    """Starting circle for the coefficients: below half the distance to the next real candidate."""
    return min([1.0] + [0.5 * abs(c - o) for o in centers if o != c])


def _safe_classify(expr: sympy.Expr, x: sympy.Symbol, c: sympy.Expr, budget: Budget, skipped: list[str],
                   rho0: float, kinks: list[float]) -> Point:
    """``_classify`` of the expression localized at ``c`` (abs/max/min replaced by their branch there,
    valid within half the distance to the nearest kink); an unexpected SymPy/mpmath failure makes the
    point 'unresolved' (said in the notes) instead of breaking the compile of a fine function."""
    gap = min([abs(float(c) - k) for k in kinks if abs(float(c) - k) > 0], default=math.inf)
    try:
        local = localize(expr, x, c) if kinks else expr
        point = _classify(local if local is not None else expr, x, c, budget, skipped, min(rho0, 0.5 * gap))
        point.circle = min(point.circle, 0.5 * gap)
        return point
    except OverBudget:
        skipped.append(f"{x}={c} was not classified within the time budget")
        return Point(c, "unresolved", detail="not classified in time")
    except Exception as err:  # noqa: BLE001 -- SymPy raises many types; the point stays unclassified
        skipped.append(f"{x}={c} was not classified ({type(err).__name__}: {err})")
        return Point(c, "unresolved", detail=f"{type(err).__name__}")


def _finite_number(v: sympy.Expr) -> bool:
    return bool(v.is_number and v.is_finite and v.is_real is not False and v not in (sympy.nan, sympy.zoo))


def _classify(expr: sympy.Expr, x: sympy.Symbol, c: sympy.Expr, budget: Budget,
              skipped: list[str], rho0: float) -> Point:
    where = f"{x}={c}"
    try:
        g = budget.run(sympy.factor, expr)
        at = g.subs(x, c)
        if g != expr and _finite_number(at):
            limits = tuple(sympy.nsimplify(d) if d.is_Float else d for d in
                           (at, sympy.diff(g, x).subs(x, c), sympy.diff(g, x, 2).subs(x, c)))
            if all(_finite_number(v) for v in limits):
                return Point(c, "removable", limits, factored=g, detail="cancelled exactly by factor")
    except (OverBudget, sympy.PolynomialError, NotImplementedError, ValueError, TypeError):
        pass
    try:
        sides = budget.run(probe_pole, expr, x, c)
    except OverBudget:
        sides = None
    if sides is not None:
        return Point(c, "pole", sides=sides, detail="|f| grows like a power of 1/|x - c| on both sides")
    try:
        lim = budget.run(sympy.limit, expr, x, c, "+-")
    except OverBudget:
        skipped.append(f"the limit at {where} was not found within the time budget")
        return Point(c, "unresolved", detail="limit not found in time")
    except ValueError:
        return Point(c, "jump", sides=limit_sides(expr, x, c, budget), detail="the one-sided limits differ")
    except NotImplementedError:
        return Point(c, "unresolved", detail="SymPy cannot take this limit")
    if lim in (sympy.oo, -sympy.oo, sympy.zoo) or (lim.is_number and lim.is_infinite):
        return Point(c, "pole", sides=limit_sides(expr, x, c, budget))
    if not _finite_number(lim):
        return Point(c, "unresolved", detail=f"limit {lim}")
    try:
        sides = budget.run(numeric_sides, expr, x, c, lim)
    except OverBudget:
        sides = (None, None)
    if sides != (lim, lim):
        if None not in sides:
            return Point(c, "jump", sides=sides, detail="one-sided limits differ (checked numerically)")
        skipped.append(f"the limit {lim} at {where} was not confirmed numerically on both sides")
        return Point(c, "unresolved", detail=f"SymPy's limit {lim} is not confirmed on both sides")
    got = _taylor(expr, x, c, budget, rho0)
    coeffs, rho = got if got is not None else (None, 0.0)
    if coeffs is None or abs(coeffs[0] - lim.evalf(30)) > 1e-20 * max(1, abs(coeffs[0])):
        skipped.append(f"no Taylor series at {where} (the limit {lim} is used at the point only)")
        return Point(c, "nonsmooth", limits=(lim,), detail="limit exists; no Taylor series")
    coeffs = (lim,) + tuple(sympy.Float(v, 30) for v in coeffs[1:])
    limits = tuple(math.factorial(k) * coeffs[k] for k in range(3))
    return Point(c, "removable", limits, coeffs=coeffs, detail="Taylor series (Cauchy integral)",
                 circle=rho)


_NOT_ANALYTIC = (*nonsmooth_heads(), sympy.floor, sympy.ceiling)  # rows with kinks (primitive table)


def _taylor(expr: sympy.Expr, x: sympy.Symbol, c: sympy.Expr, budget: Budget, rho0: float) -> tuple | None:
    """Coefficients c_0..c_{N_TERMS+TAIL-1} of f(c + h) (mpmath, ~25+ digits), or None if not analytic."""
    if expr.has(*_NOT_ANALYTIC):
        return None
    fn = to_mpmath(expr, [x])

    def center(dps: int):
        return c.evalf(dps + 5)._to_mpmath(mpmath.mp.prec + 20)

    try:
        return budget.run(taylor, fn, center, N_TERMS + TAIL, rho0)
    except OverBudget:
        return None


def _shape(outputs: int, evaluate):
    """Wrap a scalar evaluator into the compiled function's output layout."""
    if not outputs:
        return evaluate
    return lambda h: [evaluate(h)] * outputs


def branches(f: Function, order: int, outputs: int) -> tuple[Branch, ...]:
    """Masked branches for the compiled value (order 0), gradient (1) or Hessian (2) of ``f``."""
    an = analyze(f)
    if not an.points:
        return ()
    x = an.symbol
    out = []
    for p in an.points:
        c, lo = p.value, float((p.center - sympy.Float(p.value, 30)).evalf(30))
        name = f"{x}={p.center}"
        radius = p.radius.get(order, 0.0)
        if p.kind == "removable" and p.factored is not None:
            g = sympy.diff(p.factored, x, order) if order else p.factored
            fn = to_numpy(g, [x])
            evaluate = _shape(outputs, lambda h, fn=fn, c=c, lo=lo: fn((h + lo) + c))
            out.append(Branch(0, c, radius, evaluate, f"|{x} - {p.center}| < {radius:.3g}: cancelled form "
                              f"{p.factored} (removable singularity at {name})", lo))
        elif p.kind == "removable":
            a = poly_coefficients(p.coeffs, order)
            kept = a[:N_TERMS - order]
            out.append(Branch(0, c, radius, _shape(outputs, horner(kept)),
                              f"|{x} - {p.center}| < {radius:.3g}: Taylor polynomial of degree "
                              f"{len(kept) - 1} (removable singularity at {name})", lo))
        elif p.kind in ("nonsmooth", "pole", "jump") and _point_value(p, order) is not None:
            v = _point_value(p, order)
            what = f"the limit {v}" if not math.isnan(v) else f"nan (a {p.kind}: no value there)"
            out.append(Branch(0, c, 0.0, _shape(outputs, lambda h, v=v: np.full(h.shape, v)),
                              f"{x} == {p.center}: {what}", lo))
    return tuple(out)


def _point_value(p: Point, order: int = 0) -> float | None:
    """What to return exactly at a non-removable point (within 4 ulps of it, so pi/2 as a double counts):
    a finite limit, inf of one sign, or nan -- never the formula's 1.6e16 for tan at the double nearest
    pi/2. Derivatives (order > 0) at a pole or a jump do not exist: nan."""
    if p.kind == "nonsmooth" and p.limits:
        return float(p.limits[0]) if order == 0 else None
    if order > 0 and p.kind in ("pole", "jump"):
        return math.nan
    if p.kind == "pole" and p.sides and p.sides[0] == p.sides[1] and p.sides[0] in (sympy.oo, -sympy.oo):
        return float(p.sides[0])
    if p.kind in ("jump", "pole"):
        return math.nan  # no value: the sides differ (0.5**(1/x) at 0 is 0 in floats, +inf from the left)
    return None


def point_at(f: Function, x: float) -> tuple[Point | None, bool]:
    """The analysed point at or near ``x`` and whether ``x`` is the point itself (within 4 ulps)."""
    for p in analyze(f).points:
        c = p.value
        if abs(x - c) <= 4 * EPS * max(1.0, abs(c)):
            return p, True
        if p.kind == "removable":
            if abs(x - c) < max(p.radius.values(), default=0.0):
                return p, False
    return None, False


def limits_at(f: Function, x, order: int, dps: int) -> list[mpmath.mpf] | None:
    """f (order 0), f' (1) or f'' (2) at a removable singularity as mpmath numbers, else None.

    For the reference (``reference.evaluate``), whose formula is 0/0 there. The limits are exact
    (factor, or a 3-term ``sympy.series`` under the time budget), else the 30-digit Cauchy coefficients.
    """
    if f.n != 1 or f.expr is None:
        return None
    p, exact = point_at(f, float(np.asarray(x, dtype=float).ravel()[0]))
    if p is None or not exact or p.kind != "removable":
        return None
    an = analyze(f)
    if p.factored is None and not p.exact_limits:
        try:
            s = an.budget.run(sympy.series, an.expr.subs(an.symbol, p.center + _H), _H, 0, 3).removeO()
            c = [s.coeff(_H, k) for k in range(3)]
            if all(v.is_number for v in c):
                p.limits = (c[0], c[1], 2 * c[2])
        except (OverBudget, NotImplementedError, ValueError, TypeError):
            pass
        p.exact_limits = True
    with mpmath.workdps(dps + 10):
        return [mpmath.mpf(p.limits[order].evalf(dps + 10))]
