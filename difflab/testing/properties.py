"""The named properties of ``difflab fuzz``: what must hold for every drawn function and point.

Each property is a strategy (what to draw) and a check (what must hold), which raises
``PropertyFailure`` with the values that broke it.  Checks go through the method registry
(``dl.gradient``/``dl.hessian``) and ``compare.row_for``; the lists of methods come from the registry's
``exact`` flag, so a new method is fuzzed without touching this file.

* ``exact-gradients-agree``: every exact method (symbolic, forward, reverse) is within 1e-12 of the
  mpmath gradient, relative to the larger of the entry and its rounding scale (see ``fuzz_domain``).
* ``fd-gradients-within-estimates``: every approximate method's actual error (against mpmath) is at
  most its own error estimate, entry by entry -- an estimate that is too small is a bug -- plus the
  rounding floor ``FLOOR_ULPS * eps * scale`` that no double-precision evaluation of f can beat (at
  x = 1e-20, 1 + x**2 is 1 and every method, exact ones included, loses all of log(1 + x**2)).
* ``hessians-symmetric-and-agree``: every method's Hessian matches the mpmath Hessian (exact methods to
  1e-12 of the scale, approximate ones within their estimates) and is symmetric to the same tolerance.
* ``chain-rule``: for drawn ``f(u)`` and ``g(x, ...)``, each exact method's gradient of ``f(g(x))``
  equals its ``f'(g(x))`` times its gradient of ``g``, within the three estimates (each method's own
  rounding: the tape adds terms SymPy cancelled) and 1e-12 of the rounding scale.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from hypothesis import assume
from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from difflab.expr.function import Function
from difflab.measure.comparison import rel_error, row_for
from difflab.methods import registry
from difflab.methods.reference import ReferenceUnavailable, reference_gradient, reference_hessian
from difflab.testing.agreement import derivative_scale
from difflab.testing.domain import domain_problem, rounding_scale
from difflab.testing.strategies import (
    KINKED_FUNCTIONS,
    OPERATORS,
    SMOOTH_FUNCTIONS,
    FunctionAt,
    expressions,
    functions,
)

RTOL = 1e-12
FLOOR_ULPS = 4.0
EPS = float(np.finfo(float).eps)
REFERENCE = "mpmath"
VARIABLES = st.sampled_from([("x",), ("x", "y"), ("x", "y", "z")])


class PropertyFailure(AssertionError):
    """A property does not hold; ``record`` carries the expression, the point and the values."""

    def __init__(self, message: str, record: dict[str, Any]):
        super().__init__(message)
        self.record = {"message": message, **record}


def exact_methods() -> list[str]:
    return [n for n in registry.names() if registry.get(n).exact and n != REFERENCE]


def approximate_methods() -> list[str]:
    return [n for n in registry.names() if not registry.get(n).exact]


def _where(f: Function, x: np.ndarray) -> dict[str, float]:
    return {v: float(p) for v, p in zip(f.variables, x, strict=True)}


def _record(f: Function, x: np.ndarray, **values: Any) -> dict[str, Any]:
    return {"expression": str(f.expr), "variables": list(f.variables), "point": _where(f, x),
            "values": {k: np.asarray(v, dtype=float).tolist() if isinstance(v, np.ndarray | list) else v
                       for k, v in values.items()}}


def _reference(f: Function, x: np.ndarray, order: int) -> np.ndarray:
    try:
        if order == 1:
            return np.array([float(v) for v in reference_gradient(f, x)])
        return np.array([[float(v) for v in row] for row in reference_hessian(f, x)])
    except ReferenceUnavailable as err:
        message = f"the mpmath reference failed inside the domain: {err}"
        raise PropertyFailure(message, _record(f, x)) from None


def _estimate(f: Function, x: np.ndarray, name: str, order: int):
    est = (registry.gradient if order == 1 else registry.hessian)(f, x, method=name)
    if not est.ok:
        raise PropertyFailure(f"{name}: {est.status}", _record(f, x, **{name: est.value}))
    return est


def _exact_close(f, x, name, value, reference, scale, what):
    with np.errstate(all="ignore"):
        tol = RTOL * np.maximum(np.abs(reference), scale)
        bad = ~(np.abs(value - reference) <= tol)
    if bad.any():
        k = tuple(int(i) for i in np.argwhere(bad)[0])
        raise PropertyFailure(
            f"{name} {what} entry {list(k)} is {float(value[k])!r}, mpmath says {float(reference[k])!r} "
            f"(relative error {rel_error(value[k], reference[k]):.3g}, allowed {tol[k]:.3g} absolute "
            f"= {RTOL:g} x max(|reference|, rounding scale {scale[k]:.3g}))",
            _record(f, x, **{name: value, REFERENCE: reference, "rounding_scale": scale}))


def _within_estimate(f, x, est, reference, what, scale=0.0):
    row = row_for(est, reference)
    allowed = est.error_estimate + FLOOR_ULPS * EPS * scale
    if row.honest is False and np.any(row.abs_error > allowed):
        bad = row.abs_error > allowed
        k = tuple(int(i) for i in np.argwhere(bad)[0])
        raise PropertyFailure(
            f"{est.method} {what} entry {list(k)}: actual error {row.abs_error[k]:.3g} exceeds its own "
            f"estimate {est.error_estimate[k]:.3g}"
            + (f" + rounding floor {float(np.broadcast_to(allowed - est.error_estimate, bad.shape)[k]):.3g}"
               if np.any(scale) else "")
            + f" (value {float(est.value[k])!r}, "
            f"mpmath {float(reference[k])!r})",
            _record(f, x, **{est.method: est.value, REFERENCE: reference,
                             "error_estimate": est.error_estimate, "actual_error": row.abs_error}))


# --------------------------------------------------------------------------------------- checks
def check_exact_gradients(case: FunctionAt) -> None:
    f, x = case
    reference = _reference(f, x, 1)
    scale = derivative_scale(f, x, 1)
    for name in exact_methods():
        _exact_close(f, x, name, _estimate(f, x, name, 1).value, reference, scale, "gradient")


def check_fd_gradients(case: FunctionAt) -> None:
    f, x = case
    reference = _reference(f, x, 1)
    scale = derivative_scale(f, x, 1)
    for name in approximate_methods():
        _within_estimate(f, x, _estimate(f, x, name, 1), reference, "gradient", scale)


def check_hessians(case: FunctionAt) -> None:
    f, x = case
    reference = _reference(f, x, 2)
    scale = derivative_scale(f, x, 2)
    for name in exact_methods():
        H = _estimate(f, x, name, 2).value
        _exact_close(f, x, name, H, reference, scale, "Hessian")
        _exact_close(f, x, name, H, H.T, scale, "Hessian (against its transpose)")
    for name in approximate_methods():
        est = _estimate(f, x, name, 2)
        _within_estimate(f, x, est, reference, "Hessian", scale)
        H, E = est.value, est.error_estimate
        asym = np.abs(H - H.T) > E + E.T
        if asym.any():
            i, j = (int(v) for v in np.argwhere(asym)[0])
            raise PropertyFailure(
                f"{name} Hessian is not symmetric within its estimates: H[{i},{j}] = {H[i, j]!r}, "
                f"H[{j},{i}] = {H[j, i]!r}, estimates {E[i, j]:.3g} + {E[j, i]:.3g}",
                _record(f, x, **{name: H, "error_estimate": E}))


@dataclass(frozen=True)
class Composition:
    """Outer ``f(u)``, inner ``g(x, ...)``, their composition and a point (the chain-rule case)."""

    outer: Function
    inner: Function
    composed: Function
    point: np.ndarray

    def __repr__(self) -> str:
        where = ", ".join(f"{k}={v!r}" for k, v in _where(self.composed, self.point).items())
        return f"Composition(f(u)={self.outer.expr}, g={self.inner.expr}, {where})"


@st.composite
def compositions(draw) -> Composition:
    outer_expr = draw(expressions(variables=("u",), max_depth=3, functions=FUNCTIONS))
    assume(outer_expr.free_symbols)
    inner_case = draw(functions(variables=VARIABLES, max_depth=3, functions=FUNCTIONS, clearance=CLEARANCE))
    g, x = inner_case
    outer = Function(outer_expr, variables=["u"])
    composed_expr = outer_expr.subs(outer.symbols[0], g.expr)
    assume(domain_problem(composed_expr, g.symbols, x) is None)
    return Composition(outer, g, Function(composed_expr, variables=list(g.variables)), x)


def check_chain_rule(case: Composition) -> None:
    f, g, F, x = case.outer, case.inner, case.composed, case.point
    u = np.array([g.value(x)])
    # Rounding scale of each side: F's own gradient, and f'(u) g'(x) with u = g(x) rounded once.
    s_F = derivative_scale(F, x, 1)
    s_g = derivative_scale(g, x, 1)
    s_fp = derivative_scale(f, u, 1)[0]
    s_u = rounding_scale([g.expr], g.symbols, x)[0]
    s_u = s_u if np.isfinite(s_u) else 0.0
    fpp = abs(float(_reference(f, u, 2)[0, 0]))  # how much the rounding of u moves f'(u)
    for name in exact_methods():
        (dF, e_F), (fp, e_fp), (dg, e_g) = ((e.value, e.error_estimate) for e in (
            _estimate(F, x, name, 1), _estimate(f, u, name, 1), _estimate(g, x, name, 1)))
        fp, e_fp = fp[0], e_fp[0]
        product = fp * dg
        scale = np.maximum(s_F, s_fp * np.abs(dg) + abs(fp) * s_g + fpp * s_u * np.abs(dg))
        with np.errstate(all="ignore"):
            # each side within its own (honest) error estimate, which sees the sums a method really
            # forms: SymPy's scale of d/du atan2(u, u/5) is 0, the tape's rounding there is not
            own = e_F + e_fp * np.abs(dg) + abs(fp) * e_g + e_fp * e_g
            tol = own + RTOL * np.maximum(np.maximum(np.abs(dF), np.abs(product)), scale)
            bad = ~(np.abs(dF - product) <= tol)
        if bad.any():
            k = int(np.argwhere(bad)[0][0])
            record = _record(F, x, **{f"{name} d/dx f(g(x))": dF, f"{name} f'(g(x))": [fp],
                                      f"{name} grad g": dg, "product": product, "rounding_scale": scale})
            record.update(outer=str(f.expr), inner=str(g.expr))
            raise PropertyFailure(
                f"{name}: chain rule fails in entry {k}: d/d{F.variables[k]} f(g) = {float(dF[k])!r} but "
                f"f'(g) * dg/d{F.variables[k]} = {float(fp)!r} * {float(dg[k])!r} = {float(product[k])!r}",
                record)


# ------------------------------------------------------------------------------------ registry
@dataclass(frozen=True)
class Property:
    name: str
    description: str
    strategy: Callable[[], SearchStrategy]
    check: Callable[[Any], None]

    def run_check(self, case: Any) -> None:
        """The check, with any crash turned into a failure record (a crash is a bug too)."""
        try:
            self.check(case)
            return
        except PropertyFailure as failure:
            failure.__context__ = None
            problem = failure
        except Exception as err:  # noqa: BLE001 -- reported with its traceback, never swallowed
            f, x = (case.composed, case.point) if isinstance(case, Composition) else case
            tb = traceback.format_exception_only(type(err), err)[-1].strip()
            problem = PropertyFailure(f"crash: {tb}", {**_record(f, x), "traceback": traceback.format_exc()})
        # Raised outside the handler, with no chained context: Hypothesis tells bugs apart by where the
        # exception (and its context) was raised, and lambdify's generated file names change per call.
        raise problem


FUNCTIONS = SMOOTH_FUNCTIONS + OPERATORS + KINKED_FUNCTIONS
"""Every row callable from expression text; points keep a margin from the kinks of abs, max, min."""
CLEARANCE = 0.1
"""Relative room around each point for the widest stencil (Richardson's Hessian reaches 7%)."""


def _cases() -> SearchStrategy:
    return functions(variables=VARIABLES, max_depth=4, functions=FUNCTIONS, clearance=CLEARANCE)


PROPERTIES: dict[str, Property] = {p.name: p for p in [
    Property("exact-gradients-agree", "symbolic == forward == reverse == mpmath (1e-12 of the scale)",
             _cases, check_exact_gradients),
    Property("fd-gradients-within-estimates", "every approximate gradient within its own error estimate",
             _cases, check_fd_gradients),
    Property("hessians-symmetric-and-agree", "every Hessian symmetric and equal to mpmath's (tolerances as "
             "above)", _cases, check_hessians),
    Property("chain-rule", "d/dx f(g(x)) = f'(g(x)) g'(x) for every exact method", compositions,
             check_chain_rule),
]}
