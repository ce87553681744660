"""The truth: values and exact derivatives evaluated with mpmath at a precision that follows the
cancellation which actually happens, inside the hard budget.

The reference evaluates the SymPy derivative expressions (not a numerical derivative) with mpmath at the
exact binary value of the double point. Why not a fixed precision, nor "two precisions agree": a fixed
precision can be silently wrong (``-log(1 - 1/(1+exp(-800)))`` is 800, but at 50 digits it is inf), and
after a cancellation two precisions can agree on the same wrong number (the derivative of
(1-cos(x))/x**2 at 1e-100 came out 1e+100 at 60 and 120 digits; the truth is -8.3e-102). So the
evaluation carries an error bound through every node (``expr/certified.py``) and raises the precision
until each entry has ``dps`` correct digits. It runs in the budget's worker process, so a value whose
evaluation cannot end (``exp(exp(exp(exp(5))))``: its magnitude is said in words) or a budget that runs
out stops it; then the reference says why and nothing is scored against it.
"""

from __future__ import annotations

from collections.abc import Sequence

import mpmath
import sympy

from difflab.errors import DifflabError, InputError
from difflab.expr import budget, certified
from difflab.expr.derivatives import derivative_exprs
from difflab.expr.function import Function
from difflab.singular.analysis import limits_at
from difflab.singular.queries import removable_values, undefined_at

DEFAULT_DPS = 50


class ReferenceUnavailable(DifflabError):
    """The reference cannot give a certain finite value here (pole, outside the domain, 0/0 left
    unresolved, a magnitude beyond what mpmath can reach, or the budget ran out)."""


def _flat(f: Function, order: int) -> list[sympy.Expr]:
    exprs = derivative_exprs(f, order)
    return [exprs] if order == 0 else (list(exprs) if order == 1 else [e for row in exprs for e in row])


def _point(f: Function, x: Sequence[float]) -> str:
    return ", ".join(f"{name}={float(v)!r}" for name, v in zip(f.variables, x, strict=True))


def _real(v, dps: int):
    """The real value, or None when v is complex beyond rounding (outside the domain) or not finite."""
    if isinstance(v, mpmath.mpc):
        if v.imag != 0 and abs(v.imag) > abs(v.real) * mpmath.mpf(10) ** (-dps // 2):
            return None
        v = v.real
    return v if mpmath.isfinite(v) else None


def evaluate(f: Function, x: Sequence[float], order: int, dps: int = DEFAULT_DPS) -> list[mpmath.mpf]:
    """Value (order 0), gradient (1) or flattened Hessian (2) at ``x``, correct to ``dps`` digits."""
    why = undefined_at(f, x)
    if why is not None:
        raise ReferenceUnavailable(f"the reference has no value at {_point(f, x)}: {why}")
    on_set = removable_values(f, x, order)
    if on_set is not None:
        return on_set
    exprs = _flat(f, order)
    if order > 0:  # the value first: a real function has no derivative where its value is not real
        exprs = [f.expr, *exprs]
    seconds = budget.settings()["total"]
    try:
        point = [float(v) for v in x]
        values = budget.within(seconds, certified.evaluate, exprs, list(f.symbols), point, dps,
                               int(order > 0))
    except (certified.TooLarge, InputError) as err:  # InputError: a derivative SymPy cannot take
        raise ReferenceUnavailable(f"the reference cannot evaluate at {_point(f, x)}: {err}") from None
    except certified.Unresolved as err:
        raise ReferenceUnavailable(f"the reference could not be made sure at {_point(f, x)}: {err}") from None
    except budget.OverBudget as err:
        raise ReferenceUnavailable(f"the reference was stopped at the budget at {_point(f, x)} ({err}); "
                                   "nothing is scored against it") from None
    if order > 0:
        head = values.pop(0)
        if isinstance(head, mpmath.mpc) and mpmath.isfinite(head.imag) and _real(head, dps) is None:
            raise ReferenceUnavailable(f"{_point(f, x)} is outside the domain of the function "
                                       "(its value there is not real)")
    real = [_real(v, dps) for v in values]
    if all(v is not None for v in real):
        return real
    limits = limits_at(f, x, order, dps)
    if limits is not None:
        return limits
    what = {0: "value", 1: "gradient", 2: "Hessian"}[order]
    raise ReferenceUnavailable(f"the exact {what} has no finite value at {_point(f, x)} "
                               f"(a pole, a point outside the domain, or an unresolved 0/0)")


def reference_value(f: Function, x: Sequence[float], dps: int = DEFAULT_DPS) -> mpmath.mpf:
    return evaluate(f, x, 0, dps)[0]


def reference_gradient(f: Function, x: Sequence[float], dps: int = DEFAULT_DPS) -> list[mpmath.mpf]:
    return evaluate(f, x, 1, dps)


def reference_hessian(f: Function, x: Sequence[float], dps: int = DEFAULT_DPS) -> list[list[mpmath.mpf]]:
    flat = evaluate(f, x, 2, dps)
    n = f.n
    return [flat[i * n:(i + 1) * n] for i in range(n)]
