"""What a step sweep measures, per kind of derivative: one function ``probe(scheme, h)`` -> the derivative
at relative step h (None: the library's default step) with its error estimate, the reference it is
measured against, and the model's powers and theoretical step (used by ``step_sweep``).

* gradient / Hessian: ``finite_diff.gradient`` / ``hessian`` of a scalar function.
* **Jacobian** of F: R^n -> R^m: each component's gradient by the scheme, stacked (m, n); the sweep's
  curve is the worst relative error over the m*n entries at each step (the envelope) -- one step per
  scheme serves every entry, so the envelope says which steps are safe for all of them, and the
  worst entry at the basin middle is named.
* **order K** (one variable): the K-th derivative by ``fd_orders`` at one step for every order; the
  curve is f^(K)'s relative error.  Why only the top order: its rounding grows like eps/h**K, so it is
  the entry whose step matters; each lower order has its own best step, and a common-step envelope
  would only repeat f^(K).  Truncation h**p (forward/backward 1, central 2, five-point 4, Richardson 8),
  roundoff eps/h**K.  Complex step gives first derivatives only and is not swept at K >= 2.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from difflab.engines import fd_orders
from difflab.engines import finite_diff as fd
from difflab.errors import InputError
from difflab.methods import higher_routes
from difflab.methods.reference import reference_gradient, reference_hessian

# Truncation order p of each scheme's reported value: error ~ C h**p (gradient, Hessian).
TRUNCATION_POWER = {
    1: {"forward": 1, "backward": 1, "central": 2, "five-point": 4, "complex-step": 2, "richardson": 8},
    2: {"forward": 1, "backward": 1, "central": 2, "five-point": 4, "complex-step": 4, "richardson": 8},
}
# Rounding: eps * |f| / h**k. None: no cancellation (complex-step gradient); its Hessian differences
# the complex-step gradient once in real arithmetic, so one power of h.
ROUNDOFF_POWER = {
    1: {"forward": 1, "backward": 1, "central": 1, "five-point": 1, "complex-step": None, "richardson": 1},
    2: {"forward": 2, "backward": 2, "central": 2, "five-point": 2, "complex-step": 1, "richardson": 2},
}


@dataclass(frozen=True)
class Plan:
    """One sweep's measuring device: the reference, the default schemes, and per scheme its probe."""

    kind: str                       # "" (gradient/Hessian by order), "jacobian" or "derivatives"
    reference: np.ndarray
    schemes: tuple[str, ...]
    probe: Callable[[str, float | None], tuple[np.ndarray, np.ndarray, int, str]]
    powers: Callable[[str], tuple[int, int | None]]
    theory: Callable[[str], float]  # the default step, relative


def require_order(order: Any, vector: bool, what: str) -> None:
    """The one check of a sweep's or report's order: 1 (gradient; a vector function's Jacobian), 2
    (Hessian) or 3..10 (derivatives of a function of one variable)."""
    if isinstance(order, bool) or not isinstance(order, int) or not 1 <= order <= fd_orders.MAX_ORDER \
            or (vector and order != 1):
        jac = ("", "") if not vector else (" or Jacobian", f"; a Jacobian {what} has order 1")
        raise InputError(f"order must be 1 (gradient{jac[0]}), 2 (Hessian) or 3..10 (derivatives of one "
                         f"variable){jac[1]}; got {order!r}")


def scalar_plan(f, x: np.ndarray, order: int) -> Plan:
    typ = np.maximum(np.abs(x), 1.0)
    run = fd.gradient if order == 1 else fd.hessian
    if order == 1:
        ref = np.array([float(v) for v in reference_gradient(f, x)])
    else:
        ref = np.array([[float(v) for v in row] for row in reference_hessian(f, x)])

    def probe(scheme: str, h: float | None):
        r = run(f.batch, x, scheme, None if h is None else h * typ)
        return r.value, r.error, r.nfev, r.status
    return Plan("", ref, tuple(fd.SCHEMES), probe,
                lambda s: (TRUNCATION_POWER[order][s], ROUNDOFF_POWER[order][s]),
                lambda s: float(np.max(fd.optimal_step(x, s, order) / typ)))


def jacobian_plan(F, x: np.ndarray) -> Plan:
    typ = np.maximum(np.abs(x), 1.0)
    ref = np.asarray(higher_routes.mpmath_jacobian(F, x).value, dtype=float)

    def probe(scheme: str, h: float | None):
        rows, errors, nfev, status = [], [], 0, "ok"
        for i in range(F.m):
            r = fd.gradient(lambda X, i=i: F.batch(X)[:, i], x, scheme, None if h is None else h * typ)
            rows.append(r.value)
            errors.append(r.error)
            nfev += r.nfev
            status = status if status != "ok" or r.status == "ok" else f"component {i}: {r.status}"
        return np.array(rows), np.array(errors), nfev, status
    return Plan("jacobian", ref, tuple(fd.SCHEMES), probe,
                lambda s: (TRUNCATION_POWER[1][s], ROUNDOFF_POWER[1][s]),
                lambda s: float(np.max(fd.optimal_step(x, s, 1) / typ)))


def orders_plan(f, x: np.ndarray, order: int) -> Plan:
    if f.n != 1:
        raise InputError(f"a sweep of order {order} needs a function of one variable; this one has {f.n} "
                         f"({', '.join(f.variables)}): sweep its gradient (--order 1) or Hessian (--order 2)")
    typ = max(abs(float(x[0])), 1.0)
    ref = np.array([higher_routes.mpmath_derivatives(f, x, order).value[order]])

    def probe(scheme: str, h: float | None):
        r = fd_orders.derivatives(f.batch, float(x[0]), order, scheme, None if h is None else h * typ)
        return r.value[order:], r.error[order:], r.nfev, r.status

    def powers(scheme: str) -> tuple[int, int]:
        return (8 if scheme == "richardson" else fd_orders.offsets(scheme, order)[1]), order
    return Plan("derivatives", ref, fd_orders.ORDER_SCHEMES, probe, powers,
                lambda s: fd_orders.step(float(x[0]), s, order) / typ)


def check_schemes(plan: Plan, names: list[str], order: int) -> None:
    """Unknown schemes, and complex step asked for an order it cannot give, refused in one line."""
    for name in names:
        if name == "complex-step" and plan.kind == "derivatives":
            raise InputError(f"complex step gives first derivatives only: no sweep of order {order}; "
                             f"choose from: {', '.join(plan.schemes)}")
        if name not in plan.schemes:
            raise InputError(f"unknown finite-difference scheme {name!r}; "
                             f"choose from: {', '.join(plan.schemes)}")
