"""One point of a singular set of several variables: removable (with value, gradient, Hessian), a pole,
no limit (the value depends on the direction), or undecided -- and the words that say which and how.

The order of the tests is the order of their cost and certainty:

1. **exact cancellation** or **substitution of one new variable**, when ``singular.several`` found one
   globally: exact values (SymPy) or the one-variable limits of phi and the chain rule;
2. **directions**: f at distances 1e-8 and 1e-12 along lines through the point (60 digits): growth
   along one of them is a pole; converged but different limits along different lines is "no limit"
   (then SymPy's limit along the family y - y0 = k (x - x0) names the dependence on k, for two variables);
3. **the analytic extension**: the Cauchy integral on a polydisc (``singular.polydisc``), accepted only
   when two radii agree and no negative Laurent coefficient survives; its constant term is checked
   against SymPy's limits along lines through the point where SymPy finds them in time.

Everything runs under the hard budget; a point not decided in time is said to be undecided.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import mpmath
import numpy as np
import sympy

from difflab.expr import budget as hard
from difflab.expr import certified
from difflab.expr.budget import Budget, OverBudget
from difflab.expr.compile import to_mpmath
from difflab.expr.function import Function
from difflab.singular import polydisc
from difflab.singular.analysis import limits_at, point_at

LINES = 2            # SymPy limits tried along lines through a point (each under the budget)
LIMIT_TOL = 1e-6     # two directions' limits differ beyond this (relative): no limit
_T = sympy.Symbol("t", positive=True)
_K = sympy.Symbol("k", real=True)


@dataclass(frozen=True)
class Resolution:
    """What is known at one point; values are None where they do not exist (JSON null)."""

    kind: str                                   # removable | pole | no-limit | nonsmooth | unresolved
    words: str
    value: mpmath.mpf | None = None
    gradient: tuple | None = None
    hessian: tuple | None = None

    def entries(self, entries: list[tuple[int, ...]]) -> list[float] | None:
        """Floats for the compiled layout: () the value, (i,) a gradient entry, (i, j) a Hessian entry."""
        out = []
        for e in entries:
            table = {0: self.value, 1: self.gradient, 2: self.hessian}[len(e)]
            if table is None:
                out.append(math.nan)
                continue
            v = table
            for i in e:
                v = v[i]
            out.append(float(v))
        return out

    def flat(self, order: int) -> list | None:
        """Value (0), gradient (1) or the Hessian row by row (2) as mpmath numbers, or None."""
        table = {0: None if self.value is None else [self.value], 1: self.gradient,
                 2: None if self.hessian is None else [v for row in self.hessian for v in row]}[order]
        return None if table is None else list(table)


def _where(f: Function, point: np.ndarray) -> str:
    return ", ".join(f"{n}={float(v)!r}" for n, v in zip(f.variables, point, strict=True))


def resolution(f: Function, sev, point: np.ndarray) -> Resolution | None:
    """The cached resolution at ``point`` (None when no singular factor vanishes there)."""
    key = tuple(float(v) for v in point)
    if key not in sev.resolved:
        vanishing = sev.vanishing(np.asarray(point, dtype=float))
        if not vanishing:
            return None
        try:
            sev.resolved[key] = _resolve(f, sev, np.asarray(point, dtype=float), vanishing)
        except Exception as err:  # noqa: BLE001 -- SymPy/mpmath failures: the point stays undecided, said
            sev.resolved[key] = Resolution("unresolved", f"{_where(f, point)} is on the singular set, which "
                                           f"could not be analysed there ({type(err).__name__}: {err})")
    return sev.resolved[key]


def _exact_point(f: Function, point: np.ndarray) -> dict:
    return {s: sympy.Rational(float(v)) for s, v in zip(f.symbols, point, strict=True)}


def _numbers(exprs: list[sympy.Expr], at: dict) -> list | None:
    out = []
    for e in exprs:
        v = e.xreplace(at).evalf(40)
        if not (v.is_number and v.is_finite and v.is_real):
            return None
        out.append(mpmath.mpf(v))
    return out


def _derivatives(g: sympy.Expr, symbols) -> tuple[list, list]:
    grad = [sympy.diff(g, s) for s in symbols]
    return grad, [[sympy.diff(d, s) for s in symbols] for d in grad]


def _resolve(f: Function, sev, point: np.ndarray, vanishing) -> Resolution:
    where = _where(f, point)
    sets = " and ".join(f"{fa.expr} = 0" for fa in vanishing)
    head = f"{where} is on the singular set {sets}"
    at = _exact_point(f, point)
    n = f.n
    if sev.cancelled is not None and all(fa.expr in sev.removed for fa in vanishing):
        grad, hess = _derivatives(sev.cancelled, f.symbols)
        got = _numbers([sev.cancelled, *grad, *(e for row in hess for e in row)], at)
        if got is not None:
            return Resolution("removable", f"{head} (0/0 in the formula): removable; value, gradient and "
                              f"Hessian come from the cancelled form {sev.cancelled} (exact cancellation)",
                              got[0], tuple(got[1:n + 1]), _rows(got[n + 1:], n))
    if sev.substitution is not None:
        return _substituted(f, sev.substitution, at, head)
    return _pointwise(f, sev, point, head)


def _rows(flat: list, n: int) -> tuple:
    return tuple(tuple(flat[i * n:(i + 1) * n]) for i in range(n))


def _substituted(f: Function, sub, at: dict, head: str) -> Resolution:
    """f = phi(u), u = g(x): phi's one-variable analysis at u0 = g(x0), then the chain rule."""
    n = f.n
    grad, hess = _derivatives(sub.g, f.symbols)
    gv = _numbers([sub.g, *grad, *(e for row in hess for e in row)], at)
    if gv is None:
        return Resolution("unresolved", f"{head}; the substitution u = {sub.g} has no finite value there")
    u0 = gv[0]
    p, exact = point_at(sub.phi, float(u0))
    what = f"u = {sub.g}: f = {sub.phi.expr}"
    if p is not None and exact and p.kind != "removable":
        sides = (f": f -> {p.sides[0]} on one side and {p.sides[1]} on the other" if p.sides else "")
        kind = {"pole": "pole", "jump": "no-limit"}.get(p.kind, "unresolved")
        words = {"pole": "a pole", "jump": "no limit (the sides differ)"}.get(p.kind,
                                                                             f"undecided ({p.detail})")
        return Resolution(kind, f"{head}: {words} -- with {what}, u = {p.center} there{sides}; "
                          "no value and no derivatives")
    phis = [limits_at(sub.phi, [float(u0)], k, 30) for k in range(3)] if p is not None and exact else None
    source = f"the limits of f = {sub.phi.expr} at u = {p.center} ({p.detail})" if phis and phis[0] else ""
    if not phis or any(v is None for v in phis):
        exprs = [sub.phi.stable, *(sympy.diff(sub.phi.stable, *[sub.phi.symbols[0]] * k) for k in (1, 2))]
        row = certified.evaluate(exprs, list(sub.phi.symbols), [float(u0)], 30)
        phis = [[v] for v in row]
        source = f"f = {sub.phi.expr} at u = {mpmath.nstr(u0, 17)}"
    d0, d1, d2 = (v[0] for v in phis)
    g1, g2 = gv[1:n + 1], _rows(gv[n + 1:], n)
    hessian = tuple(tuple(d2 * g1[i] * g1[j] + d1 * g2[i][j] for j in range(n)) for i in range(n))
    return Resolution("removable", f"{head} (0/0 in the formula): removable; value, gradient and Hessian "
                      "come "
                      f"from the substitution {what} -- {source} -- and the chain rule",
                      d0, tuple(d1 * v for v in g1), hessian)


# -- several variables, nothing global: directions, then the Cauchy integral ------------------------

def _directions(n: int) -> list[tuple[float, ...]]:
    """Unit directions: the axes, the diagonals and one direction in general position, both ways."""
    out = [tuple(1.0 if j == i else 0.0 for j in range(n)) for i in range(n)]
    out.append(tuple([1.0] * n))
    out.append(tuple(1.0 if j % 2 == 0 else -1.0 for j in range(n)))
    out.append(tuple(math.sin(1.7 * j + 0.4) for j in range(n)))
    unit = [tuple(v / math.sqrt(sum(w * w for w in d)) for v in d) for d in out]
    return unit + [tuple(-v for v in d) for d in unit]


def probe(expr: sympy.Expr, symbols, point: list[float]) -> list[tuple]:
    """(direction, f at t = 1e-8 s, f at t = 1e-12 s) along each direction (60 digits), None where f
    cannot be evaluated (the line lies in the singular set) or is not real. Why not closer: a double
    "on" an irrational set (pi/2) is up to an ulp off it, and the probe must see past that."""
    fn = to_mpmath(expr, list(symbols))
    out = []
    with mpmath.workdps(60):
        c = [mpmath.mpf(v) for v in point]
        s = max([mpmath.mpf(1)] + [abs(v) for v in c])
        for d in _directions(len(c)):
            vals = []
            for e in (8, 12):
                t = s * mpmath.mpf(10) ** -e
                try:
                    v = mpmath.mpmathify(fn(*[ci + t * di for ci, di in zip(c, d, strict=True)]))
                except (ZeroDivisionError, ValueError, OverflowError, TypeError):
                    v = None
                if isinstance(v, mpmath.mpc):
                    v = v.real if abs(v.imag) <= mpmath.mpf(10) ** -40 * max(1, abs(v.real)) else None
                vals.append(v if v is not None and mpmath.isfinite(v) else None)
            out.append((d, *vals))
    return out


def _pointwise(f: Function, sev, point: np.ndarray, head: str) -> Resolution:
    budget = Budget()
    expr, symbols = f.stable, list(f.symbols)
    try:
        lines = budget.run(probe, expr, symbols, [float(v) for v in point])
    except OverBudget:
        return Resolution("unresolved", f"{head}: not decided within the time budget "
                          "(--budget gives it more)")
    grows = [(d, a, b) for d, a, b in lines if a is not None and b is not None
             and abs(b) > 1e3 * max(1, abs(a)) and abs(b) > 1e8 and (a > 0) == (b > 0)]
    if grows:
        d, _, b = grows[0]
        back = next((bb for dd, _, bb in grows if dd == tuple(-v for v in d)), None)
        other = f", {_s(back)} from the opposite side" if back is not None else ""
        return Resolution("pole", f"{head}: a pole, not removable -- |f| grows without bound approaching it "
                          f"(along the direction {_dir(d)} f -> {_s(b)}{other}); no value and no derivatives")
    settled = [(d, b) for d, a, b in lines if a is not None and b is not None
               and abs(a - b) <= LIMIT_TOL * max(1, abs(b))]
    if settled:
        lo, hi = min(v for _, v in settled), max(v for _, v in settled)
        if hi - lo > LIMIT_TOL * max(1, abs(hi), abs(lo)):
            return Resolution("no-limit", f"{head}: no limit -- {_family(f, point, budget, settled)}; "
                              "no value and no derivatives")
    limit = settled[0][1] if settled and len(settled) == len(lines) else None
    left = budget.deadline - time.monotonic()
    try:
        ext = hard.within(max(left, 0.5), _extension, expr, symbols, [float(v) for v in point])
    except polydisc.NotRemovable as err:
        if limit is not None:
            return Resolution("nonsmooth", f"{head}: f -> {mpmath.nstr(limit, 15)} along every line tried, "
                              "but "
                              f"f is not analytic there ({err}), so no gradient or Hessian; the limit along "
                              "curves is not certain: no value")
        return Resolution("unresolved", f"{head}: not removable ({err}); no value")
    except OverBudget:
        return Resolution("unresolved", f"{head}: the Cauchy integral did not finish within the time budget; "
                          "no value (--budget gives it more time)")
    if ext is None and limit is not None:
        return Resolution("nonsmooth", f"{head}: f -> {mpmath.nstr(limit, 15)} along every line tried, but f "
                          "has no analytic extension there (Cauchy integrals on tori of different shapes "
                          "disagree), so no gradient or Hessian; the limit along curves is not certain: "
                          "no value")
    if ext is None:
        return Resolution("unresolved", f"{head}: the Cauchy integral on a polydisc did not converge (no two "
                          f"radii agreed, or f cannot be evaluated off the real points); no value")
    c = ext.coefficients
    n = f.n
    unit = [tuple(1 if j == i else 0 for j in range(n)) for i in range(n)]
    c0 = c[(0,) * n]
    confirmed, tried, differs = _line_limits(f, point, c0, budget)
    if differs:
        return Resolution("unresolved", f"{head}: the Cauchy integral gives f = {mpmath.nstr(c0, 15)} but "
                          f"{differs}; no value")
    gradient = tuple(c[u] for u in unit)
    pair = [[tuple(a + b for a, b in zip(unit[i], unit[j], strict=True)) for j in range(n)] for i in range(n)]
    hessian = tuple(tuple((2 if i == j else 1) * c[pair[i][j]] for j in range(n)) for i in range(n))
    words = (f"{head} (0/0 in the formula): removable; value, gradient and Hessian come from the analytic "
             f"extension -- a Cauchy integral on a polydisc of radius {ext.radius:.3g} ({ext.points} "
             f"evaluations), two radii agreeing to {ext.agreement:.1g}; the value f = {mpmath.nstr(c0, 15)} "
             f"is confirmed by SymPy's limits along {confirmed} of {tried} lines through the point")
    return Resolution("removable", words, c0, gradient, hessian)


def _extension(expr: sympy.Expr, symbols: list, point: list[float]):
    return polydisc.extension(to_mpmath(expr, symbols), point, 2)


def _line_limit(expr: sympy.Expr, subs: dict) -> sympy.Expr:
    return sympy.limit(expr.xreplace(subs), _T, 0, "+")


def _line_limits(f: Function, point: np.ndarray, c0, budget: Budget) -> tuple[int, int, str]:
    """(limits that agree with c0, lines tried, words when one disagrees) along LINES lines through the
    point: one in general position both ways, the diagonal, the axes (lines inside the singular set say
    nothing and are skipped)."""
    at = _exact_point(f, point)
    n = f.n
    lines = [(1, tuple(j + 1 for j in range(n))), (-1, tuple(j + 1 for j in range(n))), (1, tuple([1] * n))]
    lines += [(1, tuple(1 if j == i else 0 for j in range(n))) for i in range(n)]
    confirmed = tried = 0
    for sign, d in lines:
        if tried >= LINES:
            break
        subs = {v: at[v] + sign * dj * _T for v, dj in zip(f.symbols, d, strict=True)}
        along = f.stable.xreplace(subs)
        if along.has(sympy.nan, sympy.zoo):
            continue  # the line lies in the singular set (0/0 all along it): says nothing
        tried += 1
        try:
            lim = budget.run(_line_limit, along, {})
        except Exception:  # noqa: BLE001 -- OverBudget, NotImplementedError, ...: not confirmed, not refuted
            continue
        if not (lim.is_number and lim.is_finite):
            continue
        if abs(mpmath.mpf(lim.evalf(30)) - c0) > 1e-12 * max(1, abs(c0)):
            return confirmed, tried, f"SymPy's limit along the line {d} is {lim}"
        confirmed += 1
    return confirmed, tried, ""


def _family(f: Function, point: np.ndarray, budget: Budget, settled: list) -> str:
    """How the limit depends on the direction: SymPy's limit along y - y0 = k (x - x0) for two variables,
    else the limits along the lines tried."""
    if f.n == 2:
        (x, y), at = f.symbols, _exact_point(f, point)
        try:
            lim = budget.run(_line_limit, f.stable, {x: at[x] + _T, y: at[y] + _K * _T})
            if lim.has(_K) and lim.is_finite is not False:
                dx = f"{x}" if at[x] == 0 else f"({x} - {at[x]})"
                line = f"{y} = k*{dx}" if at[y] == 0 else f"{y} - {at[y]} = k*{dx}"
                return f"along {line} it tends to {sympy.simplify(lim)}"
        except Exception:  # noqa: BLE001 -- OverBudget or SymPy's failures: the numbers below say it
            pass
    shown = "; ".join(f"along {_dir(d)} f -> {mpmath.nstr(v, 6)}" for d, v in settled[:4])
    return f"the limit depends on the direction: {shown}"


def _dir(d: tuple) -> str:
    return "(" + ", ".join(f"{v:.3g}" for v in d) + ")"


def _s(v) -> str:
    if v is None:
        return "?"
    return "+inf" if v > 0 else "-inf"


def raised_precision(exprs: list[sympy.Expr], symbols, points: list[list[float]],
                     dps: int = 20) -> list[list]:
    """Each expression at each point with ``dps`` correct digits (a running error bound decides the
    precision, ``expr.certified``), as floats; nan where the formula has no finite real value."""
    out = []
    for p in points:
        try:
            row = certified.evaluate(exprs, list(symbols), p, dps)
            out.append([float(v) if not isinstance(v, mpmath.mpc) and mpmath.isfinite(v) else math.nan
                        for v in row])
        except (certified.TooLarge, certified.Unresolved, ZeroDivisionError, ValueError, OverflowError):
            out.append([math.nan] * len(exprs))
    return out
