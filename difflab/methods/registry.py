"""THE registry: one name per method, and every route that name stands for.

Every method answers ``gradient(f, x)`` and ``hessian(f, x)`` with an ``Estimate``; comparison, reports and
solvers only ever see that shape, so they never branch on the method. The same record holds the
method's array route (``dl.grad``), its model route (the solvers' derivative providers) and the slots
for Jacobians and order-k derivatives. So ``fd-central`` is ``fd-central`` everywhere -- in
``dl.gradient``, ``dl.grad``, the CLI, the providers and the reports; its finite-difference scheme
("central") is an argument of the engine, not a second name.  Adding a method is registering one record.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from difflab.errors import InputError
from difflab.expr.function import Function
from difflab.lazy import Later
from difflab.matrix import routes as shaped_routes
from difflab.matrix.function import ArrayFunction
from difflab.methods import higher_routes, higher_tensors, routes
from difflab.methods.reference import ReferenceUnavailable
from difflab.methods.routes import ArrayRoute, FunctionRoute, Model, ModelRoute, Routed
from difflab.result import Estimate
from difflab.singular.notes import annotate

REFERENCE_DIGITS = 50


@dataclass(frozen=True)
class Method:
    """A named way to differentiate. ``exact``: no truncation error, only rounding.

    ``array``: value-and-gradient of a Python function of an array or pytree (None: the method needs an
    expression); ``model``: loss and gradient of a model with array parameters; ``jacobian`` and
    ``derivatives`` (order k, one variable) and ``third`` (the third-derivative tensor of n variables):
    routes for vector-valued functions and higher orders, None until a method provides them;
    ``shaped``: the route for array Functions (``shapes=``, data as arrays, results shaped like the
    variable).
    """

    name: str
    exact: bool
    description: str
    _gradient: FunctionRoute
    _hessian: FunctionRoute
    array: ArrayRoute | None = None
    model: ModelRoute | None = None
    jacobian: FunctionRoute | None = None
    derivatives: FunctionRoute | None = None
    shaped: shaped_routes.ShapedRoute | None = None
    third: FunctionRoute | None = None  # the (n, n, n) tensor of third derivatives (higher_tensors)

    def gradient(self, f: Function, x: Any) -> Estimate:
        f = as_function(f)
        if isinstance(f, ArrayFunction):
            return self.shaped_estimate(f, x, 1)
        return self.gradient_at(f, f.point(x))

    def hessian(self, f: Function, x: Any) -> Estimate:
        f = as_function(f)
        if isinstance(f, ArrayFunction):
            return self.shaped_estimate(f, x, 2)
        return self.hessian_at(f, f.point(x))

    def shaped_estimate(self, f: ArrayFunction, data: Any, order: int) -> Estimate:
        """Gradient (order 1) or Hessian (2) of an array Function at data ``{name: array}``."""
        if self.shaped is None:
            raise InputError(f"method '{self.name}' has no route for array Functions (shapes=)")
        return shaped_routes.estimate(f, data, self.name, order, self.shaped)

    def gradient_at(self, f: Function, point: np.ndarray) -> Estimate:
        """The gradient at a point already validated by ``f.point`` (``compare`` validates once)."""
        return _estimate(self, self._gradient, f, point, "gradient")

    def hessian_at(self, f: Function, point: np.ndarray) -> Estimate:
        return _estimate(self, self._hessian, f, point, "Hessian")


def _routed(out: Routed | tuple) -> Routed:
    """A route's answer; a plain ``(value, error, nfev[, status])`` tuple is accepted from user routes."""
    return out if isinstance(out, Routed) else Routed(*out)


def _estimate(method: Method, route: FunctionRoute, f: Function, point: np.ndarray, what: str) -> Estimate:
    shape = (f.n, f.n) if what == "Hessian" else (f.n,)
    start = time.perf_counter()
    with np.errstate(all="ignore"):
        try:
            out = _routed(route(f, point))
        except ReferenceUnavailable as err:
            out = Routed(np.full(shape, np.nan), None, 0, str(err))
        seconds = time.perf_counter() - start  # the method's time; the domain check below is ours
        # Why check f itself: a derivative formula can be finite where f is not (d/dx log(x) at x=-1).
        # f(x) from the route when it has one (AD engines); else the compiled f, shared by all methods.
        fx = out.fx if out.fx is not None and np.isfinite(out.fx) else f.value_at(point)
    value = np.asarray(out.value, dtype=float).reshape(shape)
    status = out.status
    if status == "ok" and not (np.isfinite(fx) and np.all(np.isfinite(value))):
        where = ", ".join(f"{n}={float(v):.17g}" for n, v in zip(f.variables, point, strict=True))
        if not np.isfinite(fx):
            status = (f"f is not finite at {where} (f = {fx}): outside the domain or at a pole; "
                      f"the {what} there means nothing")
        else:
            bad = int(np.flatnonzero(~np.isfinite(value.ravel()))[0])
            status = (f"the {what} is not finite at {where} (entry {bad}: "
                      f"{value.ravel()[bad]}): a pole, a kink or a point outside the domain")
    error = out.error
    if isinstance(error, Later):  # computed when the Estimate's error_estimate is first read
        error = error.then(lambda e: _shaped(e, value.shape))
    elif error is not None:
        error = _shaped(error, value.shape)
    estimate = Estimate(value, error, int(out.nfev), method.name, status, (), seconds)
    return annotate(estimate, f, point, what)  # notes/status at removable points, poles, kinks


def _shaped(error: Any, shape: tuple) -> np.ndarray:
    error = np.asarray(error, dtype=float)
    return error if error.shape == shape else np.broadcast_to(error, shape).copy()


_REGISTRY: dict[str, Method] = {}


def register(method: Method) -> Method:
    _REGISTRY[method.name] = method
    return method


def names() -> list[str]:
    return list(_REGISTRY)


def get(name: str) -> Method:
    try:
        return _REGISTRY[name]
    except KeyError:
        raise InputError(f"unknown method '{name}'; choose one of: {', '.join(_REGISTRY)}") from None


def as_function(f: Any) -> Function:
    return f if isinstance(f, Function) else Function(f)


def gradient(f: Any, x: Any, method: str = "symbolic") -> Estimate:
    """The gradient of ``f`` at ``x`` by the named method."""
    return get(method).gradient(as_function(f), x)


def hessian(f: Any, x: Any, method: str = "symbolic") -> Estimate:
    """The Hessian of ``f`` at ``x`` by the named method."""
    return get(method).hessian(as_function(f), x)


# -- derivative providers: the model route of a method, as the solvers hold it ----------------------

class DerivativeProvider(Protocol):
    name: str
    exact: bool

    def value_and_grad(self, model: Model, params: Any, X: np.ndarray, Y: np.ndarray,
                       masks: Any) -> tuple[float, Any]: ...


@dataclass(frozen=True)
class Provider:
    """A method's model route with its name. Solvers hold one and call it; they never look at its name."""

    name: str
    exact: bool
    route: ModelRoute

    def value_and_grad(self, model: Model, params: Any, X: np.ndarray, Y: np.ndarray,
                       masks: Any) -> tuple[float, Any]:
        return self.route(model, params, X, Y, masks)


def provider(method: str) -> DerivativeProvider:
    """The route for a model with array parameters (networks, perceptrons) by the named method."""
    m = get(method)  # unknown names get the registry's message
    if m.model is None:
        raise InputError(f"method '{method}' has no derivative provider for array-parameter models")
    return Provider(m.name, m.exact, m.model)


# -- the methods ------------------------------------------------------------------------------------

def _engine(name: str, exact: bool, description: str, gradient_route: FunctionRoute,
            hessian_route: FunctionRoute, array: ArrayRoute, shaped: shaped_routes.ShapedRoute,
            jacobian: FunctionRoute, derivatives: FunctionRoute, third: FunctionRoute) -> Method:
    """A method that differentiates Python code too: its model route is its array route on the loss."""
    return register(Method(name, exact, description, gradient_route, hessian_route, array,
                           routes.loss_route(array), jacobian, derivatives, shaped=shaped, third=third))


register(Method("symbolic", True, "SymPy derivative compiled to NumPy (lambdify with CSE)",
                routes.symbolic_gradient, routes.symbolic_hessian,
                model=routes.backprop_route(None), jacobian=higher_routes.symbolic_jacobian,
                derivatives=higher_routes.bounded(higher_routes.symbolic_derivatives, "compiled"),
                shaped=shaped_routes.symbolic,
                third=higher_tensors.symbolic_third))
_engine("forward", True, "forward-mode AD (dual numbers over arrays); order k by Taylor mode",
        routes.forward_gradient, routes.forward_hessian, routes.forward_array, shaped_routes.ad("forward"),
        higher_routes.forward_jacobian, higher_routes.bounded(higher_routes.taylor_derivatives, "rules"),
        higher_tensors.forward_third)
_engine("reverse", True, "reverse-mode AD (array tape); Hessian by forward-over-reverse",
        routes.reverse_gradient, routes.reverse_hessian, routes.reverse_array, shaped_routes.ad("reverse"),
        higher_routes.reverse_jacobian,
        higher_routes.bounded(higher_routes.limited(
            2, "reverse mode: derivatives up to order 2 only (gradient, Hessian); order k comes from "
            "'forward' (Taylor mode)", higher_routes.reverse_upto_second), "rules"),
        higher_tensors.declined("reverse mode: derivatives up to order 2 only (gradient, Hessian); the "
                                "third-derivative tensor comes from 'forward' (nested duals), 'symbolic' or "
                                "'mpmath'"))
for _name, _scheme, _description in [
    ("fd-forward", "forward", "forward difference, O(h)"),
    ("fd-backward", "backward", "backward difference, O(h)"),
    ("fd-central", "central", "central difference, O(h^2)"),
    ("fd-five-point", "five-point", "five-point central difference, O(h^4)"),
    ("complex-step", "complex-step", "complex step Im f(x+ih)/h (no subtractive cancellation)"),
    ("richardson", "richardson", "Richardson extrapolation of central differences"),
]:
    _gradient, _hessian = routes.fd_routes(_scheme)
    _engine(_name, False, _description,
            routes.with_forward_bound(_gradient) if _scheme == "complex-step" else _gradient, _hessian,
            routes.fd_array(_scheme, _name),
            shaped_routes.fd(_scheme), higher_routes.fd_jacobian(_scheme),
            higher_routes.bounded(higher_routes.limited(1, "complex step: first derivatives only",
                                                        higher_routes.complex_step_upto_first)
                                  if _scheme == "complex-step" else higher_routes.fd_derivatives(_scheme),
                                  "value first" if _scheme == "complex-step" else "value"),
            higher_tensors.declined("complex step: first derivatives only") if _scheme == "complex-step"
            else higher_tensors.fd_third(_scheme))
register(Method("mpmath", True, "the reference: exact derivative in mpmath at raised precision",
                routes.mpmath_gradient, routes.mpmath_hessian,
                model=routes.backprop_route(REFERENCE_DIGITS), jacobian=higher_routes.mpmath_jacobian,
                derivatives=higher_routes.mpmath_derivatives, shaped=shaped_routes.mpmath_reference,
                third=higher_tensors.mpmath_third))
