"""Multilayer perceptrons of any layer sizes, trained by gradient descent with any derivative method.

Conventions follow seed 003: ``W^L`` has shape ``s(L) x s(L-1)`` (w_{destination, origin}),
``z^L = W^L a^{L-1} + b^L``, ``a^L = sigma(z^L)``. Samples are the rows of ``X`` (shape (m, d)); targets
``Y`` have shape (m, K). The loss is the mean over samples of the per-sample loss of the output head.

Two ways to the gradient, and the solver sees neither (the registry's model routes hide them):

* ``loss_ops`` writes the loss over ``difflab.numpy``; reverse mode, forward mode and every
  finite-difference scheme differentiate it through their array routes (``difflab.methods.routes``).
* ``backprop`` is seed 003's Algorithm 3, vectorized over samples:
  ``delta^L = dE/dz^L`` at the output, ``delta^L = (W^{L+1})^T delta^{L+1} (.) sigma'(z^L)`` below it,
  ``dE/dW^L = delta^L (a^{L-1})^T``, ``dE/db^L = delta^L``, with sigma' and dE/dz derived by SymPy
  (``activations.py``). Run on float arrays it is the ``symbolic`` method; run on object arrays of
  mpmath numbers at 50 digits it is the ``mpmath`` method.

Seed 003's backward loop reads ``for L = LL-2 to 2``; it must start at ``LL-1`` (the last hidden layer),
or that layer's delta is never formed. ``backprop`` runs every layer below the output.

Dropout (seed 001: "adding some stochasticity to the search directions") is inverted dropout on the
hidden activations; the masks are data handed to both routes, so every method sees the same ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import mpmath
import numpy as np

import difflab.numpy as dnp
from difflab.engines import pytree
from difflab.errors import InputError
from difflab.methods.registry import provider
from difflab.result import SolverResult
from difflab.solvers import activations as acts
from difflab.solvers.gd import descend

Params = list[tuple[np.ndarray, np.ndarray]]


@dataclass(frozen=True)
class Network:
    """Layer sizes ``(d, h1, ..., K)``, hidden activation, output activation and loss, dropout rate."""

    sizes: tuple[int, ...]
    hidden: str = "sigmoid"
    output: str = "sigmoid"
    loss: str = "log"
    leak: float = 0.01
    dropout: float = 0.0

    def __post_init__(self):
        sizes = tuple(int(s) for s in self.sizes)
        if len(sizes) < 2 or min(sizes) < 1:
            raise InputError(f"a network needs at least two layer sizes, all >= 1, got {list(self.sizes)}")
        object.__setattr__(self, "sizes", sizes)
        acts.activation(self.hidden)
        acts.check_head(self.output, self.loss)
        if self.loss == "log" and sizes[-1] != 1:
            raise InputError("the log-loss needs one output unit; use output='softmax' with "
                             "loss='cross-entropy' for several classes")
        if not 0.0 <= self.dropout < 1.0:
            raise InputError(f"dropout must be in [0, 1), got {self.dropout}")

    # -- parameters --------------------------------------------------------------------------
    def init(self, seed: int = 0) -> Params:
        """Random weights with variance 1/fan-in (keeps z of order 1 for sigmoid and tanh), zero biases."""
        rng = np.random.default_rng(seed)
        return [(rng.standard_normal((n_out, n_in)) / np.sqrt(n_in), np.zeros(n_out))
                for n_in, n_out in zip(self.sizes[:-1], self.sizes[1:], strict=True)]

    def check_params(self, params: Params) -> Params:
        if len(params) != len(self.sizes) - 1:
            raise InputError(f"expected {len(self.sizes) - 1} layers of (W, b), got {len(params)}")
        out = []
        for i, ((W, b), n_in, n_out) in enumerate(zip(params, self.sizes[:-1], self.sizes[1:], strict=True)):
            W, b = np.asarray(W, dtype=float), np.asarray(b, dtype=float).reshape(-1)
            if W.shape != (n_out, n_in) or b.shape != (n_out,):
                raise InputError(f"layer {i + 1}: W must be {n_out}x{n_in} and b of length {n_out}, got "
                                 f"W {W.shape[0]}x{W.shape[1] if W.ndim > 1 else 1} and b of length {b.size}")
            out.append((W, b))
        return out

    def data(self, X, Y) -> tuple[np.ndarray, np.ndarray]:
        """X as (m, d) and Y as (m, K) floats, with messages for mismatched shapes."""
        X = np.atleast_2d(np.asarray(X, dtype=float))
        Y = np.asarray(Y, dtype=float)
        Y = Y.reshape(len(Y), -1) if Y.ndim < 2 else Y
        if X.shape[1] != self.sizes[0]:
            raise InputError(f"X has {X.shape[1]} features per sample but the network takes {self.sizes[0]}")
        if Y.shape != (X.shape[0], self.sizes[-1]):
            raise InputError(f"Y must have shape ({X.shape[0]}, {self.sizes[-1]}), got {Y.shape}")
        if not (np.all(np.isfinite(X)) and np.all(np.isfinite(Y))):
            raise InputError("X and Y must be finite numbers")
        return X, Y

    def masks(self, rng: np.random.Generator | None, m: int) -> list[np.ndarray] | None:
        """Inverted-dropout masks for the hidden layers (entries 0 or 1/(1-p)); None without dropout."""
        if self.dropout == 0.0 or rng is None:
            return None
        keep = 1.0 - self.dropout
        return [(rng.random((m, s)) < keep) / keep for s in self.sizes[1:-1]]

    # -- the loss over difflab.numpy (AD and finite-difference routes) ---------------------------------
    def output_z(self, params, X, masks=None):
        phi = acts.ACTIVATIONS[self.hidden].ops
        a = X
        for i, (W, b) in enumerate(params):
            z = dnp.matmul(a, dnp.transpose(W)) + b
            if i == len(params) - 1:
                return z
            a = phi(z, self.leak)
            if masks is not None:
                a = a * masks[i]
        raise AssertionError("unreachable")

    def loss_ops(self, params, X, Y, masks=None):
        """Mean per-sample loss; differentiable by every engine (params may be traced values)."""
        total = acts.head_ops(self.output, self.loss, self.output_z(params, X, masks), Y, self.leak)
        return total / X.shape[0]

    def value(self, params: Params, X, Y) -> float:
        """The mean loss at ``params`` (no dropout)."""
        X, Y = self.data(X, Y)
        return float(self.loss_ops(self.check_params(params), X, Y))

    def predict(self, params: Params, X) -> np.ndarray:
        """Network outputs (probabilities for sigmoid/softmax heads), no dropout."""
        X = np.atleast_2d(np.asarray(X, dtype=float))
        z = np.asarray(self.output_z(self.check_params(params), X))
        if self.output == "softmax":
            return np.asarray(dnp.softmax(z, axis=-1))
        return np.asarray(acts.ACTIVATIONS[self.output].ops(z, self.leak))

    # -- seed 003's backpropagation (symbolic and mpmath routes) ------------------------------------
    def backprop(self, params, X, Y, masks=None, precision: int | None = None) -> tuple[float, Params]:
        """Loss and gradient by vectorized backprop; ``precision`` digits run it in mpmath."""
        k = self.sizes[-1]
        if precision is None:
            c = acts.compiled_numpy(self.hidden, self.output, self.loss, k, self.leak)
            with np.errstate(over="ignore", under="ignore"):
                return self._backprop(c, params, X, Y, masks, float)
        c = acts.compiled_mpmath(self.hidden, self.output, self.loss, k, self.leak)
        to_mp = np.frompyfunc(mpmath.mpf, 1, 1)
        with mpmath.workdps(precision):
            mp = [(to_mp(W), to_mp(b)) for W, b in params]
            value, grads = self._backprop(c, mp, to_mp(X), to_mp(Y),
                                          None if masks is None else [to_mp(s) for s in masks], mpmath.mpf)
            return float(value), [(W.astype(float), b.astype(float)) for W, b in grads]

    def _backprop(self, c: acts.Compiled, params, X, Y, masks, scalar):
        m = X.shape[0]
        activations, zs = [X], []
        for i, (W, b) in enumerate(params):                       # forward propagation (Algorithm 1)
            z = activations[-1] @ W.T + b
            zs.append(z)
            if i < len(params) - 1:
                a = c.phi(z)
                activations.append(a if masks is None else a * masks[i])
        value = c.head_value(zs[-1], Y).sum() / scalar(m)
        delta = c.head_delta(zs[-1], Y) / scalar(m)              # delta^LL = dE/dz^LL
        grads: list = [None] * len(params)
        for i in range(len(params) - 1, -1, -1):                 # LL down to 2, every layer
            grads[i] = (delta.T @ activations[i], delta.sum(axis=0))
            if i > 0:
                delta = (delta @ params[i][0]) * c.dphi(zs[i - 1])
                if masks is not None:
                    delta = delta * masks[i - 1]
        return value, grads


# ------------------------------------------------------------------------------------- training
def gradient(net: Network, params: Params, X, Y, method: str = "reverse") -> tuple[float, Params]:
    """Loss and its gradient (same structure as ``params``) by any method of ``difflab.methods.registry``."""
    X, Y = net.data(X, Y)
    return provider(method).value_and_grad(net, net.check_params(params), X, Y, None)


def train(net: Network, params: Params, X, Y, method: str = "reverse", lr: float = 0.5,
          epochs: int = 1000, momentum: float = 0.0, gtol: float = 0.0, ftol: float = 0.0,
          seed: int = 0, keep_iterates: bool = False, batch_size: int | None = None) -> SolverResult:
    """Gradient descent on the mean loss; ``x`` of the result is the flat parameter vector.

    Full batch by default. ``batch_size=b`` takes one step per b consecutive samples, in order, for
    ``epochs`` passes over the data: ``batch_size=1`` is seed 003's Algorithm 3, which updates the
    weights after every pattern (the loss history then holds each step's batch loss).
    The dropout masks of step k come from ``seed`` and k only, so two methods see the same masks and
    their loss curves can be compared entry by entry. Only the first and last parameter vectors are
    kept unless ``keep_iterates`` (a network's history of weights is steps x parameters floats).
    """
    X, Y = net.data(X, Y)
    params = net.check_params(params)
    flat, unravel = pytree.ravel(params)
    deriv = provider(method)
    m = X.shape[0]
    size = m if batch_size is None else int(batch_size)
    if size != batch_size and batch_size is not None or not 1 <= size <= m:
        raise InputError(f"batch_size must be a whole number from 1 to {m} (the number of samples), "
                         f"got {batch_size}")
    starts = list(range(0, m, size))

    def value_and_grad(v: np.ndarray, k: int):
        rows = slice(starts[k % len(starts)], starts[k % len(starts)] + size)
        Xb, Yb = X[rows], Y[rows]
        masks = net.masks(np.random.default_rng([seed, k]), Xb.shape[0])
        value, g = deriv.value_and_grad(net, unravel(v), Xb, Yb, masks)
        return value, pytree.ravel(g)[0]

    return descend(value_and_grad, flat, lr=lr, momentum=momentum, max_iter=epochs * len(starts), gtol=gtol,
                   ftol=ftol, method=method, keep_iterates=keep_iterates)


def unflatten(net: Network, x: np.ndarray) -> Params:
    """Parameters of ``net`` from a flat vector (a solver result's ``x``)."""
    _, unravel = pytree.ravel(net.init())
    return unravel(np.asarray(x, dtype=float))


def curve_agreement(curves: dict[str, Sequence[float]], reference: str) -> dict[str, float]:
    """Largest |loss_method - loss_reference| over the steps both curves have, per method (the drift)."""
    ref = np.asarray(curves[reference], dtype=float)
    out = {}
    for name, c in curves.items():
        c = np.asarray(c, dtype=float)
        n = min(len(c), len(ref))
        out[name] = float(np.max(np.abs(c[:n] - ref[:n])))
    return out
