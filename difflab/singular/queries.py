"""Questions about one point that the reference and the AD routes ask of the singular analysis.

``removable_values`` and ``undefined_at`` (the mpmath reference: the extension's value on a set, or the
words why there is none), ``formula_cancels`` and ``raised`` (the AD routes: whether the traced formula
loses digits here, and the right answer to measure it against).
"""

from __future__ import annotations

import numpy as np
import sympy

from difflab.expr import budget as hard
from difflab.expr.budget import OverBudget
from difflab.expr.function import Function
from difflab.singular import resolve
from difflab.singular.analysis import point_at
from difflab.singular.several import derivative, singular_sets


def removable_values(f: Function, x, order: int) -> list | None:
    """Value (0), gradient (1) or Hessian row by row (2) at a removable point of a singular set of
    several variables (mpmath numbers), or None when x is not on one (the formula is fine there)."""
    if f.expr is None or f.n < 2 or not singular_sets(f).factors:
        return None
    res = resolve.resolution(f, singular_sets(f), np.asarray(x, dtype=float))
    return res.flat(order) if res is not None and res.kind == "removable" else None


def undefined_at(f: Function, x) -> str | None:
    """Why f has no value at ``x`` (a pole, no limit, undecided), in words; None when it has one."""
    if f.expr is None:
        return None
    point = np.asarray(x, dtype=float).ravel()
    if f.n == 1:
        p, exact = point_at(f, float(point[0]))
        if p is None or not exact or p.kind not in ("pole", "jump"):
            return None
        words = {sympy.oo: "+inf", -sympy.oo: "-inf"}
        sides = (f" (f -> {words.get(p.sides[0], p.sides[0])} from the left, "
                 f"{words.get(p.sides[1], p.sides[1])} from the right)" if p.sides else "")
        return f"{f.variables[0]}={p.center} is a {p.kind}{sides}: f has no value there"
    if not singular_sets(f).factors:
        return None
    res = resolve.resolution(f, singular_sets(f), point)
    return None if res is None or res.kind == "removable" else res.words


def formula_cancels(f: Function, point: np.ndarray) -> bool:
    """True near a 0/0 set that no global strategy covers: there the formula loses digits and only the
    raised-precision branch (``raised``) is accurate."""
    if f.expr is None or f.n < 2:
        return False
    sev = singular_sets(f)
    if not sev.factors or sev.substitution is not None:
        return False
    if sev.cancelled is not None and all(fa.expr in sev.removed for fa in sev.factors if not fa.pole):
        return False
    return bool(sev.near([np.array([float(v)]) for v in point])[0])


def raised(f: Function, point: np.ndarray, order: int) -> np.ndarray | None:
    """The gradient (1) or Hessian (2) at ``point`` from the formula at raised precision (or the
    resolution on the set), as doubles; None when not known in time."""
    sev = singular_sets(f)
    res = resolve.resolution(f, sev, np.asarray(point, dtype=float))
    if res is not None:
        flat = res.flat(order)
        return None if flat is None else np.array([float(v) for v in flat])
    n = f.n
    entries = [(i,) for i in range(n)] if order == 1 else [(i, j) for i in range(n) for j in range(n)]
    exprs = [derivative(f.stable, f.symbols, e) for e in entries]
    try:
        row = hard.within(hard.settings()["total"], resolve.raised_precision, exprs, f.symbols,
                          [[float(v) for v in point]])[0]
    except OverBudget:
        return None
    return np.array(row)
