"""Real zeros of a denominator (or a kink's argument): exact from ``solveset``, else numerical.

Why numerical too: x + sin(3x) has no closed-form zero set, so ``solveset`` gives up, and the removable
point of (x - sin 2x)/(x + sin 3x) at 0 was never analysed (the formula is 0/0 there and loses every
digit nearby). A grid plus ``mpmath.findroot`` finds such zeros to 50 digits; a zero ``nsimplify`` names
(0, pi/3) is kept exact so the limits and series there stay exact.
"""

from __future__ import annotations

import mpmath
import sympy

from difflab.expr.budget import Budget, OverBudget
from difflab.expr.compile import to_mpmath

WINDOW = 10           # periodic zero sets (sin(x) = 0) are cut to |x| <= WINDOW


def real_zeros(d: sympy.Expr, x: sympy.Symbol, budget: Budget, skipped: list[str]) -> list[sympy.Expr]:
    """Exact real zeros of ``d`` (a periodic set cut to ``|x| <= WINDOW``); [] when not found in time."""
    try:
        zs = budget.run(sympy.solveset, d, x, sympy.S.Reals)
        if not isinstance(zs, sympy.FiniteSet) and zs is not sympy.S.EmptySet:
            zs = budget.run(zs.intersect, sympy.Interval(-WINDOW, WINDOW))
    except OverBudget:
        skipped.append(f"the real zeros of {d} were not found within the time budget")
        return []
    except Exception:  # noqa: BLE001 -- NotImplementedError, ValueError, TypeError, ...: no exact zeros
        zs = None
    if zs is sympy.S.EmptySet:
        return []
    if not isinstance(zs, sympy.FiniteSet):
        try:  # x + sin(3x): no closed form, but its zeros are where the formula is 0/0 or a pole
            return budget.run(numeric_zeros, d, x)
        except OverBudget:
            skipped.append(f"the real zeros of {d} could not be found exactly, nor numerically in time")
        except Exception as err:  # noqa: BLE001 -- mpmath/SymPy failures: the zeros stay unknown, said
            skipped.append(f"the real zeros of {d} could not be found ({type(err).__name__})")
        return []
    return [z for z in zs if z.is_real and z.is_number]


GRID = 2001           # samples of a denominator on [-WINDOW, WINDOW] when solveset has no closed form


def numeric_zeros(d: sympy.Expr, x: sympy.Symbol) -> list[sympy.Expr]:
    """Real zeros of ``d`` in ``[-WINDOW, WINDOW]`` found numerically: sign changes and near-touches on a
    grid, refined to 50 digits by ``mpmath.findroot``; a zero that ``nsimplify`` names exactly (0, pi/3)
    and that makes ``d`` vanish at 60 digits is returned exact, others as 50-digit Floats."""
    fn = to_mpmath(d, [x])
    with mpmath.workdps(30):
        xs = [mpmath.mpf(WINDOW) * (2 * k - (GRID - 1)) / (GRID - 1) for k in range(GRID)]
        vs = []
        for t in xs:
            try:
                v = mpmath.mpmathify(fn(t))
                vs.append(v.real if isinstance(v, mpmath.mpc) and abs(v.imag) < 1e-25 else v)
            except (ZeroDivisionError, ValueError, OverflowError, TypeError):
                vs.append(None)
    guesses = []
    for k, v in enumerate(vs):
        if v is None or isinstance(v, mpmath.mpc):
            continue
        if v == 0:
            guesses.append((xs[k], None))
        nxt = vs[k + 1] if k + 1 < GRID else None
        if nxt is not None and not isinstance(nxt, mpmath.mpc) and v * nxt < 0:
            guesses.append((xs[k], xs[k + 1]))
        prev = vs[k - 1] if k > 0 else None
        if prev is not None and nxt is not None and not isinstance(prev, mpmath.mpc) \
                and not isinstance(nxt, mpmath.mpc) and abs(v) < abs(prev) and abs(v) <= abs(nxt) \
                and prev * v > 0 and nxt * v > 0:
            guesses.append((xs[k], None))  # a local minimum of |d| without a sign change: maybe a double zero
    out: list[sympy.Expr] = []
    with mpmath.workdps(50):
        for a, b in guesses:
            try:
                r = mpmath.findroot(fn, (a, b), solver="anderson") if b is not None else \
                    mpmath.findroot(fn, a)
            except (ValueError, ZeroDivisionError, OverflowError, TypeError):
                continue
            if isinstance(r, mpmath.mpc) or abs(r) > WINDOW or abs(fn(r)) > mpmath.mpf(10) ** -40:
                continue
            z = _exact(d, x, r)
            if all(abs(float(z) - float(o)) > 1e-12 * max(1.0, abs(float(o))) for o in out):
                out.append(z)
    return out


def _exact(d: sympy.Expr, x: sympy.Symbol, r) -> sympy.Expr:
    guess = sympy.nsimplify(sympy.Float(r, 50), [sympy.pi], tolerance=1e-40)
    if len(str(guess)) <= 24 and abs(sympy.N(d.subs(x, guess), 60)) < sympy.Float(10) ** -55:
        return guess
    return sympy.Float(r, 50)
