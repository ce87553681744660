"""The truth: values and exact derivatives evaluated with mpmath at raised, *adaptive* precision.

The reference evaluates the SymPy derivative expressions (not a numerical derivative) with mpmath at the
exact binary value of the double point. Why adaptive: a fixed precision can be silently wrong.
``-log(1 - 1/(1+exp(-800)))`` is 800, but at 50 digits ``1/(1+exp(-800))`` rounds to 1 and the result is
inf (SymPy's default ``evalf`` even returns 317). So every value is computed at ``dps`` and again at
twice the precision, doubling until two successive results agree to ``dps`` digits (or the cap is hit,
which is reported, never hidden).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import mpmath

from difflab.errors import DifflabError
from difflab.expr.compile import to_mpmath
from difflab.expr.derivatives import derivative_exprs
from difflab.expr.function import Function
from difflab.singular.analysis import limits_at

DEFAULT_DPS = 50
MAX_DPS = 6400


class ReferenceUnavailable(DifflabError):
    """The reference cannot give a finite value here (pole, outside the domain, 0/0 left unresolved)."""


def _mp_fn(f: Function, order: int) -> Callable:
    cache = f.caches.compiled
    key = (order, "mpmath")
    if key not in cache:
        exprs = derivative_exprs(f, order)
        flat = [exprs] if order == 0 else (exprs if order == 1 else [e for row in exprs for e in row])
        cache[key] = to_mpmath(flat, f.symbols)
    return cache[key]


def _evaluate(fn: Callable, x: Sequence[float], dps: int) -> list[mpmath.mpf] | None:
    with mpmath.workdps(dps):
        try:
            out = fn(*[mpmath.mpf(float(v)) for v in x])
        except (ZeroDivisionError, ValueError, OverflowError, TypeError):
            return None
        values = []
        for v in out:
            v = mpmath.mpmathify(v)
            if isinstance(v, mpmath.mpc):
                if abs(v.imag) > abs(v.real) * mpmath.mpf(10) ** (-dps // 2) and v.imag != 0:
                    return None
                v = v.real
            if not mpmath.isfinite(v):
                return None
            values.append(+v)
        return values


def _outside_domain(f: Function, x: Sequence[float], dps: int) -> bool:
    """True when f itself is complex at x (log of a negative, ...).

    Why check the value: the derivative formula can be real where f is not (d/dx log(x) = 1/x at x = -1),
    and a real function has no derivative outside its domain.
    """
    with mpmath.workdps(dps):
        try:
            v = mpmath.mpmathify(_mp_fn(f, 0)(*[mpmath.mpf(float(v)) for v in x])[0])
        except (ZeroDivisionError, ValueError, OverflowError, TypeError):
            return False
        return isinstance(v, mpmath.mpc) and abs(v.imag) > abs(v.real) * mpmath.mpf(10) ** (-dps // 2)


def _agree(a: list, b: list, dps: int, level: int) -> bool:
    tol = mpmath.mpf(10) ** (-dps)
    noise = mpmath.mpf(10) ** (-(level * 4) // 5)
    for u, v in zip(a, b, strict=True):
        scale = max(abs(u), abs(v))
        if abs(u - v) > tol * scale and scale > noise:
            return False
    return True


def evaluate(f: Function, x: Sequence[float], order: int, dps: int = DEFAULT_DPS) -> list[mpmath.mpf]:
    """Value (order 0), gradient (1) or flattened Hessian (2) at ``x``, correct to ``dps`` digits."""
    fn = _mp_fn(f, order)
    level = dps + 10
    if order > 0 and _outside_domain(f, x, level):
        point = ", ".join(f"{name}={float(v)!r}" for name, v in zip(f.variables, x, strict=True))
        raise ReferenceUnavailable(f"{point} is outside the domain of the function "
                                   "(its value there is not real)")
    previous = _evaluate(fn, x, level)
    while level < MAX_DPS:
        level *= 2
        current = _evaluate(fn, x, level)
        if previous is not None and current is not None and _agree(previous, current, dps, level // 2):
            return current
        previous = current
    limits = limits_at(f, x, order, dps)
    if limits is not None:
        return limits
    what = {0: "value", 1: "gradient", 2: "Hessian"}[order]
    point = ", ".join(f"{name}={float(v)!r}" for name, v in zip(f.variables, x, strict=True))
    raise ReferenceUnavailable(f"the exact {what} has no finite value at {point} "
                               f"(a pole, a point outside the domain, or an unresolved 0/0)")


def reference_value(f: Function, x: Sequence[float], dps: int = DEFAULT_DPS) -> mpmath.mpf:
    return evaluate(f, x, 0, dps)[0]


def reference_gradient(f: Function, x: Sequence[float], dps: int = DEFAULT_DPS) -> list[mpmath.mpf]:
    return evaluate(f, x, 1, dps)


def reference_hessian(f: Function, x: Sequence[float], dps: int = DEFAULT_DPS) -> list[list[mpmath.mpf]]:
    flat = evaluate(f, x, 2, dps)
    n = f.n
    return [flat[i * n:(i + 1) * n] for i in range(n)]
