"""``dl.jacobian``, ``dl.derivatives`` and ``dl.third_derivatives``: the Jacobian of a vector-valued
function, the derivatives of any order of a function of one variable, and the (n, n, n) tensor of third
derivatives of a function of n variables, by any registered method, as ``Estimate``s.

The same contract as gradients: a method's status is ``"ok"`` or words (a pole, a kink, an order the
method cannot give); a value that is not finite is never returned without them; notes from the
singularity analysis are attached per component.
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any

import numpy as np

from difflab.errors import InputError
from difflab.expr.function import Function
from difflab.expr.vector import VectorFunction
from difflab.methods.reference import ReferenceUnavailable
from difflab.methods.registry import get
from difflab.methods.routes import Routed
from difflab.result import Estimate
from difflab.singular.notes import annotate


def as_vector(F: Any, variables: Any = None) -> VectorFunction:
    """A VectorFunction from anything ``Function`` accepts; a scalar Function becomes one component."""
    if isinstance(F, VectorFunction):
        return F
    f = F if isinstance(F, Function) else Function(F, variables)
    if isinstance(f, VectorFunction):
        return f
    if f.expr is not None:
        return VectorFunction([f.expr], variables=f.variables)
    fn = f._ops  # an opaque scalar callable: one component

    def single(*args):
        return [fn(*args)]
    single.__name__ = f.text
    return VectorFunction(single, variables=f.variables)


def _where(variables, point) -> str:
    return ", ".join(f"{n}={float(v):.17g}" for n, v in zip(variables, point, strict=True))


def _run(route, args: tuple, shape: tuple) -> tuple[Routed, float]:
    start = time.perf_counter()
    with np.errstate(all="ignore"):
        try:
            out = route(*args)
        except ReferenceUnavailable as err:
            out = Routed(np.full(shape, np.nan), None, 0, str(err))
    return (out if isinstance(out, Routed) else Routed(*out)), time.perf_counter() - start


def _finish(out: Routed, seconds: float, method: str, shape: tuple, what: str, where: str,
            fx: np.ndarray) -> Estimate:
    value = np.asarray(out.value, dtype=float).reshape(shape)
    status = out.status
    if status == "ok" and not np.all(np.isfinite(fx)):
        status = (f"f is not finite at {where} (f = {np.asarray(fx).tolist()}): outside the domain or at a "
                  f"pole; the {what} there means nothing")
    elif status == "ok" and not np.all(np.isfinite(value)):
        bad = tuple(int(i) for i in np.argwhere(~np.isfinite(value))[0])
        status = (f"the {what} is not finite at {where} (entry {bad}: {value[bad]}): a pole, a kink or a "
                  f"point outside the domain")
    error = out.error
    if error is not None:
        error = np.broadcast_to(np.asarray(error, dtype=float), shape).copy()
    return Estimate(value, error, int(out.nfev), method, status, (), seconds)


def jacobian(F: Any, x: Any, method: str = "symbolic") -> Estimate:
    """The (m, n) Jacobian of a vector-valued ``F`` at ``x`` by the named method, with per-entry errors."""
    F = as_vector(F)
    m = get(method)
    if m.jacobian is None:
        raise InputError(f"method '{method}' has no Jacobian route")
    point = F.point(x)
    shape = (F.m, F.n)
    out, seconds = _run(m.jacobian, (F, point), shape)
    with np.errstate(all="ignore"):
        fx = F.value(point)
    est = _finish(out, seconds, m.name, shape, "Jacobian", _where(F.variables, point), fx)
    if F.components is None:
        return est
    notes, status = list(est.notes), est.status
    for i, c in enumerate(F.components):  # removable points, poles and kinks, per component
        error = None if est.error_estimate is None else est.error_estimate[i]
        row = Estimate(est.value[i], error, est.nfev, m.name, est.status)
        said = annotate(row, c, point, "gradient")
        notes += [f"component {i}: {n}" for n in said.notes if f"component {i}: {n}" not in notes]
        if said.status != est.status and status == est.status:
            status = f"component {i}: {said.status}"
    return replace(est, notes=tuple(notes), status=status)


def derivatives(f: Any, x: Any, order: int, method: str = "symbolic") -> Estimate:
    """``[f(x), f'(x), ..., f^(order)(x)]`` of a function of one variable by the named method."""
    f = f if isinstance(f, Function) else Function(f)
    if isinstance(f, VectorFunction):
        raise InputError("derivatives of order k need a scalar function of one variable; this one has "
                         f"{f.m} components")
    m = get(method)
    if m.derivatives is None:
        raise InputError(f"method '{method}' has no route for derivatives of order k")
    point = f.point(x)
    shape = (order + 1,) if isinstance(order, int) and not isinstance(order, bool) and order >= 0 else (1,)
    out, seconds = _run(m.derivatives, (f, point, order), shape)
    with np.errstate(all="ignore"):
        fx = np.real(f.numpy(*point)) if out.fx is None else out.fx
    est = _finish(out, seconds, m.name, shape, "list of derivatives", _where(f.variables, point), fx)
    said = annotate(replace(est, value=est.value[1:2] if order >= 1 else est.value[:1]), f, point, "gradient")
    return replace(est, notes=said.notes, status=said.status if est.status == "ok" else est.status)


def third_derivatives(f: Any, x: Any, method: str = "symbolic") -> Estimate:
    """The (n, n, n) tensor T[i, j, k] = d3f / dx_i dx_j dx_k of a scalar ``f`` at ``x`` (symmetric), by
    the named method, with per-entry error estimates; a method that cannot give it says so (nan)."""
    f = f if isinstance(f, Function) else Function(f)
    if isinstance(f, VectorFunction):
        raise InputError("third derivatives need a scalar function; this one has "
                         f"{f.m} components (their Jacobian: dl.jacobian)")
    m = get(method)
    if m.third is None:
        raise InputError(f"method '{method}' has no route for third derivatives")
    point = f.point(x)
    shape = (f.n, f.n, f.n)
    out, seconds = _run(m.third, (f, point), shape)
    with np.errstate(all="ignore"):
        fx = np.real(f.numpy(*point)) if out.fx is None else out.fx
    est = _finish(out, seconds, m.name, shape, "third-derivative tensor", _where(f.variables, point), fx)
    said = annotate(replace(est, value=np.zeros(f.n)), f, point, "gradient")  # the point's words
    return replace(est, notes=said.notes, status=said.status if est.status == "ok" else est.status)

