"""How each method computes: the routes the registry (``methods.registry``) names.

Three kinds of route, one per kind of input:

* a **Function route** ``(f, point) -> Routed``: the derivative of a Function of named variables at a
  validated point (``dl.gradient``, ``dl.hessian``, ``dl.compare``, the solvers of named variables);
* an **array route** ``fn -> (x, *args) -> (fn(x, ...), d fn / d x)``: JAX-style, x an array or a pytree
  of arrays (``dl.grad``, ``dl.value_and_grad``);
* a **model route** ``(model, params, X, Y, masks) -> (loss, gradient shaped like params)``: models with
  array parameters (networks, perceptrons) -- the engines differentiate the model's loss over
  ``difflab.numpy`` through the method's array route; ``symbolic`` and ``mpmath`` run seed 003's
  backpropagation (floats, or mpmath digits) through ``model.backprop``.

Nothing here knows a method by name: the registry pairs names with routes.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, Protocol

import numpy as np

from difflab.engines import finite_diff, forward, nested, pytree, reverse
from difflab.errors import InputError
from difflab.expr.adjoint import value_and_gradient_program
from difflab.expr.function import Function
from difflab.expr.rounding import U
from difflab.lazy import Later, now
from difflab.methods.reference import reference_gradient, reference_hessian
from difflab.methods.symbolic import (
    compile_gradient,
    compile_hessian,
    has_branches,
    in_branch,
    radius_at,
    value_bound,
    with_value,
)
from difflab.singular.programs import program_at
from difflab.singular.queries import formula_cancels, raised

EPS = np.finfo(float).eps


@dataclass(frozen=True)
class Routed:
    """What a Function route returns. ``fx``: f at the point when the route computed it on the way (the
    AD engines do), so the registry's domain check need not evaluate f again."""

    value: Any
    error: Any
    nfev: int
    status: str = "ok"
    fx: float | None = None


FunctionRoute = Callable[[Function, np.ndarray], "Routed | tuple"]
ArrayRoute = Callable[[Callable], Callable]


class Model(Protocol):
    """A model with array parameters, as the solvers' networks and perceptrons are."""

    def loss_ops(self, params: Any, X: np.ndarray, Y: np.ndarray, masks: Any = None) -> Any: ...

    def backprop(self, params: Any, X: np.ndarray, Y: np.ndarray, masks: Any = None,
                 precision: int | None = None) -> tuple[float, Any]: ...


ModelRoute = Callable[[Model, Any, np.ndarray, np.ndarray, Any], tuple[float, Any]]


class DerivativeWarning(UserWarning):
    """A finite-difference gradient came back with a status other than "ok" (e.g. a nan probe)."""


AD_FACTOR = 2.0  # the AD engines' bound: the derivative formula's, for another order of the same sums


def _rounding(value: np.ndarray, scale: float = 8.0) -> np.ndarray:
    """A few ulps of the value: the estimate where no running bound applies (Python code, a series)."""
    return scale * EPS * np.abs(value)


def rounding_bound(radius: np.ndarray, value: np.ndarray, engines: bool) -> np.ndarray:
    """An exact method's error bound from its formula's radius (``expr.rounding``, units of u): U times
    it (``AD_FACTOR`` times for the AD engines' other order of the same sums), plus half an ulp for the
    correctly rounded reference the value is measured against."""
    with np.errstate(all="ignore"):
        return (AD_FACTOR if engines else 1.0) * U * radius + 0.5 * EPS * np.abs(value)


def exact_error(f: Function, x: np.ndarray, order: int, value: np.ndarray, how: str,
                 ulps: float) -> Later | np.ndarray:
    """The error bound of an exact method's derivative at ``x``, computed when first read.

    For an expression Function: the running error bound of the derivative formula evaluated in doubles
    (``expr.rounding``: how the formula's conditioning amplifies each rounding -- sin of 2.2e4 loses
    eleven digits' worth of its argument's last bit), plus half an ulp for the correctly rounded
    reference it is measured against. ``how`` (``methods.symbolic.compile_bound``) says which formula:
    the symbolic method's compiled one, or the one the AD engines evaluate. The AD engines differentiate
    the same formula with the same partials and the same primal values, only associating the chain
    rule's sums and products in another order, so that formula's bound, times ``AD_FACTOR``, is their
    model.

    Left at a few ulps of the value (``ulps``): Python code (no formula to bound), a point where the
    value came from a series or a limit (a masked branch, a stable program near a removable point),
    a derivative too large to write out (``sizing`` refuses), or a bound that came out nan.
    """
    few = _rounding(value, ulps)
    if f.expr is None:
        return few

    def compute() -> np.ndarray:
        try:
            radius = radius_at(f, x, order, how)
        except (InputError, NotImplementedError):  # refused as too large; a head no printer compiles
            return few
        bound = rounding_bound(radius.reshape(value.shape), value, engines=how != "compiled")
        return np.where(np.isnan(bound), few, bound)
    return Later(compute)


def _scalar(value: Any) -> float:
    return float(np.real(np.reshape(np.asarray(value), -1)[0]))


# -- Function routes -------------------------------------------------------------------------------

def _symbolic_error(f: Function, x: np.ndarray, order: int, value: np.ndarray) -> Later | np.ndarray:
    if f.expr is not None and in_branch(f, x, order):
        return _rounding(value)  # a series or a limit at a removable point, not the formula
    return exact_error(f, x, order, value, "compiled", 8.0)


def symbolic_gradient(f: Function, x: np.ndarray) -> Routed:
    fused = with_value(f, 1)
    if fused is None:
        value = compile_gradient(f).at(x)
        return Routed(value, _symbolic_error(f, x, 1, value), 1)
    out = fused.at(x)
    return Routed(out[1:], _symbolic_error(f, x, 1, out[1:]), 1, fx=float(out[0]))


def symbolic_hessian(f: Function, x: np.ndarray) -> Routed:
    fused = with_value(f, 2)
    if fused is None:
        H = compile_hessian(f).matrix(x)
        return Routed(H, _symbolic_error(f, x, 2, H), 1)
    out = fused.entries.at(x)
    H = fused.assemble(out[1:])
    return Routed(H, _symbolic_error(f, x, 2, H), 1, fx=float(out[0]))


def mpmath_gradient(f: Function, x: np.ndarray) -> Routed:
    value = np.array([float(v) for v in reference_gradient(f, x)])
    return Routed(value, 0.5 * EPS * np.abs(value), 0)


def mpmath_hessian(f: Function, x: np.ndarray) -> Routed:
    value = np.array([[float(v) for v in row] for row in reference_hessian(f, x)])
    return Routed(value, 0.5 * EPS * np.abs(value), 0)


def _program(f: Function, x: np.ndarray, order: int) -> tuple[Callable, bool]:
    """What the engines trace at ``x``, and whether it is the formula: the stable program of a removable
    singularity when x is in one of its branches (``singular.programs``: the same Taylor polynomial or
    cancelled form the symbolic route compiles), else the formula."""
    special = program_at(f, x, order)
    return (f.ops, True) if special is None else (special, False)


def _cancelling(f: Function, x: np.ndarray, order: int, value: np.ndarray,
                error: Later | np.ndarray) -> Routed | None:
    """Near a 0/0 set that only raised precision resolves, the traced formula loses digits: the estimate
    then carries the measured error too, and where more than a few ulps are lost the status says why
    (never a wrong number with status ok)."""
    if not formula_cancels(f, x):
        return None
    truth = raised(f, x, order)
    shape = value.shape
    if truth is None:
        status = ("near a singular set where the formula is 0/0: this method differentiates the formula, "
                  "whose cancellation could not be measured in time")
        return Routed(value, np.full(shape, np.inf), 1, status)
    measured = np.abs(value - truth.reshape(shape))
    error = np.maximum(measured, now(error))
    if not np.all(measured <= 8 * _rounding(value, 16.0) + 1e-300):
        status = ("near a singular set where the formula is 0/0: this method differentiates the formula, "
                  "which loses digits to cancellation here; the error estimate is measured against "
                  "20-digit arithmetic (the symbolic method uses it)")
        return Routed(value, error, 1, status)
    return Routed(value, error, 1)


def _ad(result: Callable[[Callable, np.ndarray], tuple], order: int) -> FunctionRoute:
    """An AD engine's (f(x), derivative) of the program at x as a Function route; f(x) feeds the domain
    check."""
    def run(f: Function, x: np.ndarray) -> Routed:
        program, formula = _program(f, x, order)
        fx, derivative = result(program, x)
        value = np.asarray(derivative, dtype=float)
        error = exact_error(f, x, order, value, "rules", 16.0) if formula else _rounding(value, 16.0)
        if f.expr is not None and order:
            said = _cancelling(f, x, order, value, error)
            if said is not None:
                return replace(said, fx=_scalar(fx))
        return Routed(value, error, 1, fx=_scalar(fx))
    return run


forward_gradient = _ad(lambda program, x: forward.gradient(program, x), 1)
forward_hessian = _ad(lambda program, x: forward.hessian(program, x)[::2], 2)
_taped_reverse_gradient = _ad(lambda program, x: reverse.value_and_grad(program)(x), 1)


def reverse_gradient(f: Function, x: np.ndarray) -> Routed:
    """The tape the first time; from the second reverse gradient of the same expression Function on, its
    sweep compiled once into a straight-line program (``expr.adjoint``), run without re-tracing.

    Why not compile at once: building the program costs about a hundred taped calls, wasted on a Function
    differentiated once (a comparison); a solver or a training loop asks again and again.
    """
    if f.expr is None:
        return _taped_reverse_gradient(f, x)
    f.caches.reverse_calls += 1
    if f.caches.reverse_calls < 2 or has_branches(f):  # singular points: the tape and its checks
        return _taped_reverse_gradient(f, x)
    program = f.caches.compiled.get((1, "reverse"))
    if program is None:
        program = f.caches.compiled[1, "reverse"] = value_and_gradient_program(f.stable, f.symbols)
    out = program.at(x)
    return Routed(out[1:], exact_error(f, x, 1, out[1:], "written", 16.0), 1, fx=float(out[0]))
reverse_hessian = _ad(lambda program, x: reverse.hessian(program, x)[::2], 2)


def fd_routes(scheme: str) -> tuple[FunctionRoute, FunctionRoute]:
    """Gradient and Hessian routes of one finite-difference scheme of ``engines.finite_diff``, told the
    rounding of one value of an expression Function (``symbolic.value_bound``) -- real schemes only: the
    complex step measures its own (``fd_complex``) and ignores it, so it is not computed for it."""
    told = scheme != "complex-step"

    def run(fd: Callable) -> FunctionRoute:
        def route(f: Function, x: np.ndarray) -> Routed:
            result = fd(f.batch, x, scheme, noise=value_bound(f, x) if told else 0.0)
            return Routed(result.value, result.error, result.nfev, result.status)
        return route
    return run(finite_diff.gradient), run(finite_diff.hessian)


def with_forward_bound(route: FunctionRoute) -> FunctionRoute:
    """A gradient route whose estimate also carries forward mode's rounding bound (expression Functions).

    For the complex step: Im f(x + i t)/t is forward mode with t as the tangent -- the same products and
    sums of the same real intermediates -- so the bound of those sums covers it where the engine's
    probes of a black box cannot see the conditioning (at x = 0 a relative shift of x is no shift:
    log(cosh((softplus(x) + 1)**-2))**3 there was 18 ulps off with an estimate of 4)."""
    def run(f: Function, x: np.ndarray) -> Routed:
        got = route(f, x)
        if f.expr is None or not np.all(np.isfinite(now(got.error))):
            return got
        bound = exact_error(f, x, 1, np.asarray(got.value, dtype=float), "rules", 0.0)

        def error() -> np.ndarray:  # when read (a solver's loop never pays for it)
            # near a removable singularity f evaluates a stable program, not the formula the bound is of
            return np.fmax(got.error, now(bound)) if _program(f, x, 1)[1] else got.error
        return replace(got, error=Later(error))
    return run


# -- array routes (dl.grad) -------------------------------------------------------------------------

def reverse_array(fn: Callable) -> Callable:
    return reverse.value_and_grad(fn)


def forward_array(fn: Callable) -> Callable:
    """Batched tangents over the pytree's leaves as they are (``engines.nested``): a leaf traced by an
    outer transform stays traced, so forward mode nests under forward or reverse."""
    def wrapped(x, *args, **kw):
        return nested.value_and_grad(lambda p: fn(p, *args, **kw), x)
    return wrapped


def fd_array(scheme: str, name: str) -> ArrayRoute:
    """The pytree is flattened into one vector and a batched function handed to ``finite_diff``; a
    status other than "ok" is a ``DerivativeWarning`` naming the method (``name``)."""
    def route(fn: Callable) -> Callable:
        def wrapped(x, *args, **kw):
            flat, unravel = pytree.ravel(x)

            def of_vector(v):
                return fn(unravel(v), *args, **kw)

            def batch(X):
                return np.array([np.reshape(of_vector(row), ()) for row in np.asarray(X)])

            result = finite_diff.gradient(batch, flat, scheme)
            if result.status != "ok":
                warnings.warn(f"{name}: {result.status}", DerivativeWarning, stacklevel=2)
            return float(np.reshape(of_vector(flat), ())), unravel(np.asarray(result.value, dtype=float))
        return wrapped
    return route


# -- model routes (solvers) ------------------------------------------------------------------------

def loss_route(array: ArrayRoute) -> ModelRoute:
    """The model's loss over difflab.numpy, differentiated by an array route."""
    def route(model: Model, params: Any, X: np.ndarray, Y: np.ndarray, masks: Any) -> tuple[float, Any]:
        vg = array(lambda p: model.loss_ops(p, X, Y, masks))
        with warnings.catch_warnings(), np.errstate(over="ignore", under="ignore"):
            # A finite-difference status (e.g. a probe that overflowed) shows up as a non-finite loss or
            # gradient, which the solver reports in words; the warning itself would only repeat it.
            warnings.simplefilter("ignore", DerivativeWarning)
            value, grad = vg(params)
        return float(np.real(value)), grad
    return route


def backprop_route(precision: int | None) -> ModelRoute:
    """Seed 003's backpropagation: ``precision`` None runs it in floats, else in mpmath digits."""
    def route(model: Model, params: Any, X: np.ndarray, Y: np.ndarray, masks: Any) -> tuple[float, Any]:
        return model.backprop(params, X, Y, masks, precision=precision)
    return route
