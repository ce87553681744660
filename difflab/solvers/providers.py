"""The derivative-provider interface: how a model with array parameters gets its gradient, by any method.

Functions of named variables get derivatives through ``difflab.methods.registry`` directly. Models whose
parameters are arrays (networks, perceptrons) need the gradient with respect to a list of (W, b)
pairs instead, so every method of ``difflab.methods.registry.names()`` also answers one small question:

    provider(name).value_and_grad(model, params, X, Y, masks) -> (loss, gradient shaped like params)

* ``reverse``, ``forward``, every finite-difference scheme, complex step, Richardson: the model's loss
  over ``difflab.numpy`` through ``difflab.engines.transforms.value_and_grad``;
* ``symbolic``: seed 003's vectorized backpropagation with SymPy-derived activation and loss
  derivatives compiled to NumPy (``Network.backprop``);
* ``mpmath``: the same backpropagation in mpmath at 50 digits, rounded once at the end (the reference).

Solvers hold a provider and call it; they never look at its name. This module is the only place that
maps a method name to a route.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from difflab.engines import transforms as functional
from difflab.errors import InputError
from difflab.methods import registry as methods

REFERENCE_DIGITS = 50


class Model(Protocol):
    def loss_ops(self, params: Any, X: np.ndarray, Y: np.ndarray, masks: Any = None) -> Any: ...

    def backprop(self, params: Any, X: np.ndarray, Y: np.ndarray, masks: Any = None,
                 precision: int | None = None) -> tuple[float, Any]: ...


class DerivativeProvider(Protocol):
    name: str
    exact: bool

    def value_and_grad(self, model: Model, params: Any, X: np.ndarray, Y: np.ndarray,
                       masks: Any) -> tuple[float, Any]: ...


@dataclass(frozen=True)
class EngineProvider:
    """AD engines and finite differences on the loss written over difflab.numpy."""

    name: str
    exact: bool

    def value_and_grad(self, model, params, X, Y, masks):
        vg = functional.value_and_grad(lambda p: model.loss_ops(p, X, Y, masks), method=self.name)
        with warnings.catch_warnings(), np.errstate(over="ignore", under="ignore"):
            # A finite-difference status (e.g. a probe that overflowed) shows up as a non-finite loss or
            # gradient, which the solver reports in words; the warning itself would only repeat it.
            warnings.simplefilter("ignore", functional.DerivativeWarning)
            value, grad = vg(params)
        return float(np.real(value)), grad


@dataclass(frozen=True)
class BackpropProvider:
    """Seed 003's backpropagation; ``precision`` None runs it in floats, else in mpmath digits."""

    name: str
    exact: bool
    precision: int | None

    def value_and_grad(self, model, params, X, Y, masks):
        return model.backprop(params, X, Y, masks, precision=self.precision)


_PROVIDERS: dict[str, DerivativeProvider] = {
    **{name: EngineProvider(name, methods.get(name).exact) for name in functional.METHODS},
    "symbolic": BackpropProvider("symbolic", True, None),
    "mpmath": BackpropProvider("mpmath", True, REFERENCE_DIGITS),
}


def provider(method: str) -> DerivativeProvider:
    """The route for a method name (one of ``difflab.methods.registry.names()``)."""
    methods.get(method)  # unknown names get the registry's message
    try:
        return _PROVIDERS[method]
    except KeyError:
        raise InputError(f"method '{method}' has no derivative provider for array-parameter models") from None
