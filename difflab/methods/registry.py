"""One interface for every differentiation method, and the registry that names them.

Every method answers ``gradient(f, x)`` and ``hessian(f, x)`` with an ``Estimate``; comparison, reports and
solvers only ever see that shape, so they never branch on the method. Adding a method is registering
one object here.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from importlib import import_module
from typing import Any

import numpy as np

from difflab.errors import InputError
from difflab.expr.function import Function
from difflab.methods.reference import ReferenceUnavailable
from difflab.result import Estimate
from difflab.singular.diagnose import annotate

EPS = np.finfo(float).eps


@dataclass(frozen=True)
class Method:
    """A named way to differentiate. ``exact``: no truncation error, only rounding."""

    name: str
    exact: bool
    description: str
    _gradient: Callable[[Function, np.ndarray], tuple[np.ndarray, Any, int]]
    _hessian: Callable[[Function, np.ndarray], tuple[np.ndarray, Any, int]]

    def gradient(self, f: Function, x: Any) -> Estimate:
        return self._run(self._gradient, f, x, "gradient")

    def hessian(self, f: Function, x: Any) -> Estimate:
        return self._run(self._hessian, f, x, "Hessian")

    def _run(self, fn, f: Function, x: Any, what: str) -> Estimate:
        f = as_function(f)
        point = f.point(x)
        start = time.perf_counter()
        shape = (f.n, f.n) if what == "Hessian" else (f.n,)
        with np.errstate(all="ignore"):
            try:
                value, error, nfev, *status = fn(f, point)
            except ReferenceUnavailable as err:
                value, error, nfev, status = np.full(shape, np.nan), None, 0, [str(err)]
            seconds = time.perf_counter() - start  # the method's time; the domain check below is ours
            fx = f.value(point)
        value = np.asarray(value, dtype=float).reshape(shape)
        status_text = status[0] if status else "ok"
        ok = status_text == "ok" and np.isfinite(fx) and np.all(np.isfinite(value))
        pairs = zip(f.variables, point, strict=True)
        where = "" if ok else ", ".join(f"{n}={float(v):.17g}" for n, v in pairs)
        if status_text == "ok" and not np.isfinite(fx):
            # Why check f itself: a derivative formula can be finite where f is not (d/dx log(x) at x=-1).
            status_text = (f"f is not finite at {where} (f = {fx}): outside the domain or at a pole; "
                           f"the {what} there means nothing")
        elif status_text == "ok" and not np.all(np.isfinite(value)):
            bad = int(np.flatnonzero(~np.isfinite(value.ravel()))[0])
            status_text = (f"the {what} is not finite at {where} (entry {bad}: "
                           f"{value.ravel()[bad]}): a pole, a kink or a point outside the domain")
        if error is not None:
            error = np.broadcast_to(np.asarray(error, dtype=float), value.shape).copy()
        estimate = Estimate(value, error, int(nfev), self.name, status_text, (), seconds)
        return annotate(estimate, f, point, what)  # notes/status at removable points, poles, kinks


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


def _rounding(value: np.ndarray, scale: float = 8.0) -> np.ndarray:
    """Error bound of an exact formula evaluated in double precision: a few ulps of the value."""
    return scale * EPS * np.abs(value)


# -- symbolic ----------------------------------------------------------------------------------------

def _symbolic_gradient(f: Function, x: np.ndarray):
    from difflab.methods.symbolic import compile_gradient

    value = np.array(compile_gradient(f)(*x), dtype=float)
    return value, _rounding(value), 1


def _symbolic_hessian(f: Function, x: np.ndarray):
    from difflab.methods.symbolic import compile_hessian

    upper = compile_hessian(f)(*x)
    n = f.n
    H = np.empty((n, n))
    k = 0
    for i in range(n):
        for j in range(i, n):
            H[i, j] = H[j, i] = upper[k]
            k += 1
    return H, _rounding(H), 1


# -- mpmath reference ---------------------------------------------------------------------------------

def _mpmath_gradient(f: Function, x: np.ndarray):
    from difflab.methods.reference import reference_gradient

    value = np.array([float(v) for v in reference_gradient(f, x)])
    return value, 0.5 * EPS * np.abs(value), 0


def _mpmath_hessian(f: Function, x: np.ndarray):
    from difflab.methods.reference import reference_hessian

    value = np.array([[float(v) for v in row] for row in reference_hessian(f, x)])
    return value, 0.5 * EPS * np.abs(value), 0


# -- automatic differentiation -------------------------------------------------------------------------

def _ad(engine: str, call: Callable[[Any, Function, np.ndarray], Any]):
    """An AD engine's derivative as a method body; engines load on first use (no SymPy inside them)."""
    def run(f: Function, x: np.ndarray):
        value = np.asarray(call(import_module(f"difflab.engines.{engine}"), f, x), dtype=float)
        return value, _rounding(value, 16.0), 1
    return run


_forward_gradient = _ad("forward", lambda m, f, x: m.gradient(f.ops, x)[1])
_forward_hessian = _ad("forward", lambda m, f, x: m.hessian(f.ops, x)[2])
_reverse_gradient = _ad("reverse", lambda m, f, x: m.value_and_grad(f.ops)(x)[1])
_reverse_hessian = _ad("reverse", lambda m, f, x: m.hessian(f.ops, x)[2])


# -- finite differences --------------------------------------------------------------------------------

def _fd(scheme: str, order: int):
    def run(f: Function, x: np.ndarray):
        from difflab.engines import finite_diff
        fd = finite_diff.gradient if order == 1 else finite_diff.hessian
        result = fd(f.batch, x, scheme)
        return result.value, result.error, result.nfev, result.status

    return run


register(Method("symbolic", True, "SymPy derivative compiled to NumPy (lambdify with CSE)",
                _symbolic_gradient, _symbolic_hessian))
register(Method("forward", True, "forward-mode AD (dual numbers over arrays)",
                _forward_gradient, _forward_hessian))
register(Method("reverse", True, "reverse-mode AD (array tape); Hessian by forward-over-reverse",
                _reverse_gradient, _reverse_hessian))
for _scheme, _description in [
    ("forward", "forward difference, O(h)"),
    ("backward", "backward difference, O(h)"),
    ("central", "central difference, O(h^2)"),
    ("five-point", "five-point central difference, O(h^4)"),
]:
    register(Method(f"fd-{_scheme}", False, _description, _fd(_scheme, 1), _fd(_scheme, 2)))
register(Method("complex-step", False, "complex step Im f(x+ih)/h (no subtractive cancellation)",
                _fd("complex-step", 1), _fd("complex-step", 2)))
register(Method("richardson", False, "Richardson extrapolation of central differences",
                _fd("richardson", 1), _fd("richardson", 2)))
register(Method("mpmath", True, "the reference: exact derivative in mpmath at raised precision",
                _mpmath_gradient, _mpmath_hessian))
