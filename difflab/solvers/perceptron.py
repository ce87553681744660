"""Perceptrons (seeds 000, 002, 003): regression, classification, and Rosenblatt's rule.

* Regression perceptron: ``yhat = w.x + b``, ``L = 1/2 (y - yhat)^2``, gradient descent; the seeds'
  gradient ``dL/dw_j = -(y - yhat) x_j``, ``dL/db = -(y - yhat)`` is what every method computes.
* Classification perceptron: ``yhat = sigmoid(w.x + b)`` with the log-loss, in the stable form
  ``y softplus(-z) + (1-y) softplus(z)``; gradient ``-(y - yhat) x_j`` again.
* Rosenblatt (seed 003): step activation (+1 for z >= 0, else -1), labels -1/+1, and for each mistake
  ``w <- w + eta (y - yhat) x``. It stops after an epoch without mistakes (guaranteed on separable
  data), and on non-separable data it stops honestly: when the weights at the start of an epoch repeat
  an earlier epoch's, the rule is cycling and will never stop; otherwise after ``max_epochs``.

The first two are one-layer networks (``network.Network((d, 1), ...)``), so they take any derivative
method. Features are standardized before descent (an option): the house table's features are in the
thousands, so the raw problem's Hessian has a condition number near 1e7 and plain gradient descent
crawls. Weights are reported in the original units.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

import difflab.numpy as dnp
from difflab.errors import InputError
from difflab.result import SolverResult
from difflab.solvers.network import Network, train


def _xy(X, y) -> tuple[np.ndarray, np.ndarray]:
    X = np.asarray(X, dtype=float)
    X = X.reshape(-1, 1) if X.ndim == 1 else X
    y = np.asarray(y, dtype=float).reshape(-1)
    if X.ndim != 2 or len(X) != len(y) or len(y) == 0:
        raise InputError(f"X must be (samples, features) and y one value per sample; got X {X.shape}, "
                         f"y of length {len(y)}")
    if not (np.all(np.isfinite(X)) and np.all(np.isfinite(y))):
        raise InputError("X and y must be finite numbers")
    return X, y


def _fit(net: Network, X, y, method, lr, epochs, momentum, gtol, standardize) -> SolverResult:
    X, y = _xy(X, y)
    mu = X.mean(axis=0) if standardize else np.zeros(X.shape[1])
    sd = X.std(axis=0) if standardize else np.ones(X.shape[1])
    sd = np.where(sd > 0, sd, 1.0)
    Xs = (X - mu) / sd
    params = [(np.zeros((1, X.shape[1])), np.zeros(1))]
    scale = max(1.0, float(np.mean(np.abs(y))))
    result = train(net, params, Xs, y, method=method, lr=lr, epochs=epochs, momentum=momentum,
                   gtol=gtol * scale)
    d = X.shape[1]

    def original(v: np.ndarray) -> np.ndarray:
        w, b = v[:d] / sd, v[d]
        return np.concatenate([w, [b - float(w @ mu)]])

    return replace(result, x=original(result.x), iterates=tuple(original(v) for v in result.iterates))


def fit_regression(X, y, method: str = "reverse", lr: float = 0.3, epochs: int = 2000, momentum: float = 0.0,
                   gtol: float = 1e-13, standardize: bool = True) -> SolverResult:
    """Regression perceptron by gradient descent; ``x`` = [w_1, ..., w_d, b] in the original units.

    ``gtol`` is relative to the mean |y| (prices in dollars need a gradient tolerance in dollars).
    """
    return _fit(Network((np.shape(X)[1] if np.ndim(X) > 1 else 1, 1), output="identity", loss="squared"),
                X, y, method, lr, epochs, momentum, gtol, standardize)


def fit_classifier(X, y, method: str = "reverse", lr: float = 1.0, epochs: int = 2000, momentum: float = 0.0,
                   gtol: float = 1e-8, standardize: bool = True) -> SolverResult:
    """Sigmoid perceptron with the log-loss, labels 0/1. On separable data the loss has no minimizer
    (it falls towards 0 as the weights grow), so the run ends at ``epochs`` and says so."""
    y = np.asarray(y, dtype=float).reshape(-1)
    if not np.all((y == 0) | (y == 1)):
        raise InputError("the classification perceptron needs labels 0 and 1")
    return _fit(Network((np.shape(X)[1] if np.ndim(X) > 1 else 1, 1), output="sigmoid", loss="log"),
                X, y, method, lr, epochs, momentum, gtol, standardize)


def predict_linear(x: np.ndarray, X) -> np.ndarray:
    """``w.x + b`` for parameters ``x = [w..., b]``; X is samples x features, or one sample."""
    w = np.asarray(x[:-1], dtype=float)
    X = np.asarray(X, dtype=float)
    if X.ndim == 1:
        X = X.reshape(1, -1) if X.size == w.size else X.reshape(-1, 1)
    if X.ndim != 2 or X.shape[1] != w.size:
        raise InputError(f"expected samples with {w.size} features, got an array of shape {X.shape}")
    return X @ w + float(x[-1])


def predict_proba(x: np.ndarray, X) -> np.ndarray:
    """``sigmoid(w.x + b)``."""
    return np.asarray(dnp.sigmoid(predict_linear(x, X)))


def step(z: np.ndarray) -> np.ndarray:
    """Seed 003's activation: +1 for z >= 0, -1 otherwise."""
    return np.where(np.asarray(z) >= 0, 1.0, -1.0)


def rosenblatt(X, y, eta: float = 1.0, max_epochs: int = 100, w0=None) -> SolverResult:
    """Rosenblatt's rule (seed 003 eq. 6) with bias; ``x`` = [w_1, ..., w_d, b]; ``history['mistakes']``."""
    X, y = _xy(X, y)
    if not np.all(np.abs(y) == 1):
        raise InputError("Rosenblatt's rule needs labels -1 and +1 (seed 003's step activation)")
    if not (np.isfinite(eta) and eta > 0):
        raise InputError(f"eta must be a positive number, got {eta}")
    Xb = np.hstack([X, np.ones((len(X), 1))])
    w = np.zeros(Xb.shape[1]) if w0 is None else np.array(w0, dtype=float).reshape(-1)
    if w.shape != (Xb.shape[1],):
        raise InputError(f"w0 needs {Xb.shape[1]} values (weights and bias), got {w.size}")
    seen = {tuple(w): 0}
    iterates, mistakes = [w.copy()], []
    reason, converged, epoch = "", False, 0
    for epoch in range(1, max_epochs + 1):
        count = 0
        for xi, yi in zip(Xb, y, strict=True):
            delta = yi - float(step(w @ xi))            # 0, +2 or -2 (seed 003's Delta w)
            if delta != 0.0:
                w = w + eta * delta * xi
                count += 1
        mistakes.append(count)
        iterates.append(w.copy())
        if count == 0:
            converged = True
            reason = f"converged: no mistakes in epoch {epoch}; every sample is on its side of the boundary"
            break
        key = tuple(w)
        if key in seen:
            reason = (f"not separable: the weights after epoch {epoch} equal those after epoch "
                      f"{seen[key]}, so the rule cycles forever ({count} mistakes per pass); no line "
                      "separates the classes")
            break
        seen[key] = epoch
    else:
        reason = (f"not converged: {mistakes[-1]} mistakes in epoch {max_epochs}; the data may not be "
                  "linearly separable (Rosenblatt's rule only stops on separable data)")
    return SolverResult(x=w, iterates=tuple(iterates), converged=converged, reason=reason,
                        classification=None, method="rosenblatt",
                        history={"mistakes": [float(m) for m in mistakes]}, nit=epoch)
