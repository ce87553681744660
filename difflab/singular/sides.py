"""Which way f goes on each side of a one-variable candidate point: numerically (mpmath) and by limits.

Why numerically too: SymPy's two-sided limit of 0.5**(1/x) at 0 is 0, but from the left f -> +inf; and
at a root written with nested radicals SymPy's limit takes seconds where 60-digit evaluations at
distances 1e-12 and 1e-24 decide a pole at once.
"""

from __future__ import annotations

import mpmath
import sympy

from difflab.expr.budget import Budget, OverBudget
from difflab.expr.compile import to_mpmath


def probe_pole(expr: sympy.Expr, x: sympy.Symbol, c: sympy.Expr) -> tuple | None:
    """(left, right) as -oo/oo when f is a pole at c, by evaluating at c -+ 1e-12 and 1e-24 (60 digits).

    Why not only ``limit``: at a root written with nested radicals (x^5 + x + 1 = 0) SymPy's limit takes
    seconds; a pole shows as |f| growing by ~1e12 per pole order between the two distances, on each
    side. Anything else (removable, a jump, log-like growth, complex values) returns None and is left
    to the two-sided limit.
    """
    fn = to_mpmath(expr, [x])
    out = []
    with mpmath.workdps(60):
        cc = c.evalf(80)._to_mpmath(mpmath.mp.prec + 40)
        scale = max(mpmath.mpf(1), abs(cc))
        for sign in (-1, 1):
            try:
                near, nearer = (mpmath.mpmathify(fn(cc + sign * mpmath.mpf(10) ** -e * scale))
                                for e in (12, 24))
            except (ZeroDivisionError, ValueError, OverflowError, TypeError):
                return None
            if any(isinstance(v, mpmath.mpc) or not mpmath.isfinite(v) or v == 0 for v in (near, nearer)):
                return None
            if abs(nearer) < mpmath.mpf(10) ** 6 * abs(near) or (nearer > 0) != (near > 0):
                return None
            out.append(sympy.oo if nearer > 0 else -sympy.oo)
    return tuple(out)


def numeric_sides(expr: sympy.Expr, x: sympy.Symbol, c: sympy.Expr, lim: sympy.Expr) -> tuple:
    """(left, right): per side ``lim`` when f at c -+ 1e-8 and c -+ 1e-16 (60 digits) is real and within
    1e-4 of it; +-oo when |f| there exceeds 1e30 and grows toward c; else None (not known).

    Why: SymPy's two-sided limit of 0.5**(1/x) at 0 is 0 (and so is its left limit), but from the left
    f = 2**(1/|x|) -> +inf. A limit is trusted only when f near the point, on both sides, agrees with it.
    """
    fn = to_mpmath(expr, [x])
    out = []
    with mpmath.workdps(60):
        cc = c.evalf(80)._to_mpmath(mpmath.mp.prec + 40)
        target = lim.evalf(60)._to_mpmath(mpmath.mp.prec)
        scale = max(mpmath.mpf(1), abs(cc))
        for sign in (-1, 1):
            vals = []
            for e in (8, 16):
                try:
                    v = mpmath.mpmathify(fn(cc + sign * mpmath.mpf(10) ** -e * scale))
                except (ZeroDivisionError, ValueError, OverflowError, TypeError):
                    v = None
                if isinstance(v, mpmath.mpc):
                    v = v.real if abs(v.imag) <= mpmath.mpf(10) ** -30 * max(1, abs(v.real)) else None
                vals.append(v if v is not None and mpmath.isfinite(v) else None)
            tol = mpmath.mpf(10) ** -4 * max(1, abs(target))
            if all(v is not None and abs(v - target) <= tol for v in vals):
                out.append(lim)
            elif all(v is not None for v in vals) and abs(vals[1]) > 1e30 and abs(vals[1]) > abs(vals[0]) \
                    and (vals[0] > 0) == (vals[1] > 0):
                out.append(sympy.oo if vals[1] > 0 else -sympy.oo)
            else:
                out.append(None)
    return tuple(out)


def limit_sides(expr: sympy.Expr, x: sympy.Symbol, c: sympy.Expr, budget: Budget):
    try:
        return (budget.run(sympy.limit, expr, x, c, "-"), budget.run(sympy.limit, expr, x, c, "+"))
    except (OverBudget, NotImplementedError, ValueError):
        return None
