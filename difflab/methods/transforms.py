"""``dl.grad`` / ``dl.value_and_grad``: JAX-style derivatives of Python functions, by any method's name.

The derivative is taken with respect to the first argument, which may be one array or a list/tuple/dict
of arrays (network parameters); the gradient comes back in the same structure. The method name is
looked up in the registry (``methods.registry``), whose array route does the work: "reverse" and
"forward" run the AD engines; every finite-difference scheme flattens the first argument into one
vector and hands a batched function to ``engines.finite_diff`` -- so a user can swap methods on the same
loss and compare, which is the point of the library.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable
from typing import Any

import numpy as np

from difflab.errors import InputError
from difflab.methods import registry
from difflab.methods.routes import DerivativeWarning
from difflab.numpy import Box

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
    return route(_checked(fn))


def _traced(x: Any) -> bool:
    if isinstance(x, Box):
        return True
    if isinstance(x, dict):
        return any(_traced(v) for v in x.values())
    return isinstance(x, list | tuple) and any(_traced(v) for v in x)


def _short(value: Any) -> str:
    text = " ".join(repr(value).split())
    return text if len(text) <= 60 else text[:57] + "..."


def _checked(fn: Callable) -> Callable:
    """``fn`` with its output checked, so a function that returns nothing usable is told so in words
    instead of getting a gradient of zeros (or a conversion error from deep inside an engine)."""
    name = getattr(fn, "__name__", "the function")

    def checked(x, *args, **kw):
        out = fn(x, *args, **kw)
        if out is None:
            raise InputError(f"grad: {name} returned None; it must return a number (a missing 'return'?)")
        if isinstance(out, str | bytes):
            raise InputError(f"grad: {name} returned a string ({str(out)[:40]!r}); it must return a number")
        if not isinstance(out, Box | numbers.Number | np.ndarray | np.generic):
            raise InputError(f"grad: {name} returned a {type(out).__name__}; it must return a number")
        if isinstance(out, np.ndarray | np.generic) and np.asarray(out).dtype.kind not in "biufc":
            raise InputError(f"grad: {name} returned an array of {np.asarray(out).dtype}; it must return a "
                             "number")
        if _traced(x) and not isinstance(out, Box):
            raise InputError(f"grad: {name} returned {_short(out)}, which does not depend on its first "
                             "argument "
                             "(a constant, or the argument went through float() / plain NumPy); there is no "
                             "derivative to take")
        return out
    return checked


def grad(fn: Callable, method: str = DEFAULT) -> Callable:
    """``fn -> (x, *args, **kw) -> d fn / d x`` (see ``value_and_grad``)."""
    vg = value_and_grad(fn, method)
    return lambda x, *args, **kw: vg(x, *args, **kw)[1]
