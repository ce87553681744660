"""``dl.grad`` / ``dl.value_and_grad``: JAX-style derivatives of Python functions, by any method's name.

The derivative is taken with respect to the first argument, which may be one array or a list/tuple/dict
of arrays (network parameters); the gradient comes back in the same structure. The method name is
looked up in the registry (``methods.registry``), whose array route does the work: "reverse" and
"forward" run the AD engines; every finite-difference scheme flattens the first argument into one
vector and hands a batched function to ``engines.finite_diff`` -- so a user can swap methods on the same
loss and compare, which is the point of the library.
"""

from __future__ import annotations

from collections.abc import Callable

from difflab.errors import InputError
from difflab.methods import registry
from difflab.methods.routes import DerivativeWarning

__all__ = ["DerivativeWarning", "grad", "grad_methods", "value_and_grad"]

DEFAULT = "reverse"


def grad_methods() -> tuple[str, ...]:
    """The methods ``dl.grad`` accepts (those with an array route), the default first."""
    return (DEFAULT, *(n for n in registry.names() if n != DEFAULT and registry.get(n).array is not None))


def value_and_grad(fn: Callable, method: str = DEFAULT) -> Callable:
    """``fn -> (x, *args, **kw) -> (fn(x, ...), d fn / d x)`` with x an array or a pytree of arrays."""
    route = registry.get(method).array if method in registry.names() else None
    if route is None:
        raise InputError(f"unknown method {method!r} for grad; choose one of: {', '.join(grad_methods())}")
    return route(fn)


def grad(fn: Callable, method: str = DEFAULT) -> Callable:
    """``fn -> (x, *args, **kw) -> d fn / d x`` (see ``value_and_grad``)."""
    vg = value_and_grad(fn, method)
    return lambda x, *args, **kw: vg(x, *args, **kw)[1]
