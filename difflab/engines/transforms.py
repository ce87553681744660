"""``dl.grad`` / ``dl.value_and_grad``: JAX-style derivatives of Python functions, by any method.

The derivative is taken with respect to the first argument, which may be one array or a list/tuple/dict
of arrays (network parameters); the gradient comes back in the same structure.  "reverse" and
"forward" run the AD engines; every finite-difference scheme flattens the first argument into one vector
and hands a batched function to ``difflab.engines.finite_diff`` -- so a user can swap methods on the same loss
and compare, which is the point of the library.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

import numpy as np

from difflab.engines import forward, pytree, reverse
from difflab.errors import InputError

FD_METHODS = {"fd-forward": "forward", "fd-backward": "backward", "fd-central": "central",
              "fd-five-point": "five-point", "complex-step": "complex-step", "richardson": "richardson"}
METHODS = ("reverse", "forward", *FD_METHODS)


class DerivativeWarning(UserWarning):
    """A finite-difference gradient came back with a status other than "ok" (e.g. a nan probe)."""


def _check_method(method: str) -> None:
    if method not in METHODS:
        raise InputError(f"unknown method {method!r} for grad; choose one of: {', '.join(METHODS)}")


def value_and_grad(fn: Callable, method: str = "reverse") -> Callable:
    """``fn -> (x, *args, **kw) -> (fn(x, ...), d fn / d x)`` with x an array or a pytree of arrays."""
    _check_method(method)
    if method == "reverse":
        return reverse.value_and_grad(fn)

    def wrapped(x, *args, **kw):
        flat, unravel = pytree.ravel(x)

        def of_vector(v):
            return fn(unravel(v), *args, **kw)

        if method == "forward":
            value, g = forward.gradient(of_vector, flat)
            return value, unravel(g)
        from difflab.engines import finite_diff
        def batch(X):
            return np.array([np.reshape(of_vector(row), ()) for row in np.asarray(X)])

        result = finite_diff.gradient(batch, flat, FD_METHODS[method])
        if result.status != "ok":
            warnings.warn(f"{method}: {result.status}", DerivativeWarning, stacklevel=2)
        return float(np.reshape(of_vector(flat), ())), unravel(np.asarray(result.value, dtype=float))

    return wrapped


def grad(fn: Callable, method: str = "reverse") -> Callable:
    """``fn -> (x, *args, **kw) -> d fn / d x`` (see ``value_and_grad``)."""
    vg = value_and_grad(fn, method)
    return lambda x, *args, **kw: vg(x, *args, **kw)[1]
