"""Gradient descent (seed 003 eq. 56, seed 004): ``x <- x - lr * grad``, optionally with momentum.

``descend`` is the loop every training routine shares; it only sees ``value_and_grad(x, k)`` (k is the
step number, so stochastic pieces such as dropout masks can be tied to it) and never which method
computed the gradient. ``gradient_descent`` runs it on a ``Function`` with any method of
``difflab.methods.registry``.

Stopping rules, each reported in words: gradient norm <= ``gtol`` (converged), loss change <= ``ftol``
relative (converged), a non-finite loss or gradient or a loss that grew by ``blowup`` times its start
(diverged: the learning rate is too large), ``max_iter`` steps (not converged: the reason gives the
gradient norm left). History: ``loss`` and ``grad_norm`` at every iterate.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np

from difflab.errors import InputError
from difflab.methods import registry as methods
from difflab.result import SolverResult


def _check(lr: float, momentum: float, max_iter: int) -> None:
    if not (np.isfinite(lr) and lr > 0):
        raise InputError(f"the learning rate must be a positive number, got {lr}")
    if not 0.0 <= momentum < 1.0:
        raise InputError(f"momentum must be in [0, 1), got {momentum}")
    if int(max_iter) != max_iter or max_iter < 0:
        raise InputError(f"max_iter must be a whole number >= 0, got {max_iter}")


def descend(value_and_grad: Callable[[np.ndarray, int], tuple[float, np.ndarray]], x0: Any, *,
            lr: float = 0.01, momentum: float = 0.0, max_iter: int = 1000, gtol: float = 1e-8,
            ftol: float = 0.0, blowup: float = 1e8, method: str = "", keep_iterates: bool = True
            ) -> SolverResult:
    """The descent loop (see module docstring); ``keep_iterates`` False keeps only the first and last."""
    _check(lr, momentum, max_iter)
    x = np.array(x0, dtype=float)
    velocity = np.zeros_like(x)
    iterates = [x.copy()]
    losses: list[float] = []
    norms: list[float] = []
    reason, converged = "", False
    k = 0
    for k in range(max_iter + 1):
        with np.errstate(all="ignore"):
            value, g = value_and_grad(x, k)
            g = np.asarray(g, dtype=float).reshape(x.shape)
            norm = float(np.linalg.norm(g))
        losses.append(float(value))
        norms.append(norm)
        if not (np.isfinite(value) and np.isfinite(norm)):
            reason = (f"diverged: the {'loss' if not np.isfinite(value) else 'gradient'} is not finite at "
                      f"step {k} (learning rate {lr:g} too large, or a point outside the domain)")
            break
        if abs(value) > blowup * max(abs(losses[0]), 1.0):
            reason = (f"diverged: the loss grew from {losses[0]:.6g} to {value:.6g} in {k} steps; "
                      f"the learning rate {lr:g} is too large")
            break
        if norm <= gtol:
            converged, reason = True, f"converged: gradient norm {norm:.3g} <= gtol {gtol:g} after {k} steps"
            break
        if ftol > 0 and k > 0 and abs(losses[-2] - value) <= ftol * max(abs(value), 1.0):
            converged = True
            reason = (f"converged: the loss changed by {abs(losses[-2] - value):.3g} (<= ftol {ftol:g}) "
                      f"at step {k}")
            break
        if k == max_iter:
            reason = (f"not converged: stopped after max_iter={max_iter} steps with gradient norm {norm:.3g} "
                      f"(gtol {gtol:g}) and loss {value:.10g}")
            break
        with np.errstate(all="ignore"):
            velocity = momentum * velocity - lr * g
            x = x + velocity
        if keep_iterates:
            iterates.append(x.copy())
    if not keep_iterates and len(iterates) == 1 and k > 0:
        iterates.append(x.copy())
    return SolverResult(x=x, iterates=tuple(iterates), converged=converged, reason=reason,
                        classification=None, method=method, history={"loss": losses, "grad_norm": norms},
                        nit=k)


def gradient_descent(f: Any, x0: Any, method: str = "symbolic", lr: float = 0.01, momentum: float = 0.0,
                     max_iter: int = 1000, gtol: float = 1e-8, ftol: float = 0.0) -> SolverResult:
    """Minimize a ``Function`` (or expression text) by gradient descent with derivatives from ``method``.

    A derivative the method cannot give (its ``Estimate.status`` is not "ok": a pole, a point outside
    the domain) stops the descent with that status as the reason.
    """
    fn = methods.as_function(f)
    start = fn.point(x0)
    meth = methods.get(method)
    trouble: list[str] = []

    def value_and_grad(x: np.ndarray, k: int):
        est = meth.gradient(fn, x)
        if not est.ok:
            trouble.append(est.status)
            return np.nan, np.full(fn.n, np.nan)
        return fn.value(x), est.value

    result = descend(value_and_grad, start, lr=lr, momentum=momentum, max_iter=max_iter, gtol=gtol, ftol=ftol,
                     method=meth.name)
    if trouble:
        return replace(result, reason=f"stopped at step {result.nit}: {trouble[0]}")
    return result
