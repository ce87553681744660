"""Seed 001's "classical optimization" through fixed layers: lock a trained network's parameters and move
its input X1 until the output matches a target -- the derivative with respect to the *input*, not the
weights.

With as many outputs as inputs it is a system F(X1) = net(X1) - target = 0, solved by Newton's method
(``solvers.systems``) with the network's Jacobian w.r.t. its input from any method (forward: n tangents
in one pass; reverse: m pullbacks). Otherwise (more inputs than outputs: many inputs give the target)
Gauss-Newton takes the minimum-norm step ``-pinv(J) F`` with the same Jacobian; ``mode="descent"``
minimises ``|net(X1) - target|^2 / 2`` by gradient descent instead, its gradient by ``dl.grad``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

import difflab.numpy as dnp
from difflab.errors import InputError
from difflab.expr.vector import VectorFunction
from difflab.methods.higher import jacobian
from difflab.methods.transforms import value_and_grad
from difflab.result import SolverResult
from difflab.solvers import activations as acts
from difflab.solvers.gd import descend
from difflab.solvers.network import Network
from difflab.solvers.systems import newton_system


def network_output(net: Network, params, x):
    """The network's output for one input vector x (array or traced values), parameters held fixed."""
    z = net.output_z(params, dnp.reshape(x, (1, -1)))
    if net.output == "softmax":
        return dnp.softmax(z, axis=-1)[0]
    return acts.ACTIVATIONS[net.output].ops(z, net.leak)[0]


def match_output(net: Network, params, target, x0, method: str = "reverse", mode: str = "newton",
                 lr: float = 0.5, steps: int = 2000, tol: float = 1e-10) -> SolverResult:
    """Move the input from ``x0`` until ``net(x) = target`` (Newton / Gauss-Newton, or descent)."""
    params = net.check_params(params)
    target = np.asarray(target, dtype=float).reshape(-1)
    x0 = np.asarray(x0, dtype=float).reshape(-1)
    d, k = net.sizes[0], net.sizes[-1]
    if x0.size != d or target.size != k:
        raise InputError(f"the network maps {d} inputs to {k} outputs; got an input of {x0.size} and a "
                         f"target of {target.size}")
    if mode not in ("newton", "descent"):
        raise InputError(f"mode must be 'newton' or 'descent'; got {mode!r}")
    names = [f"x{i + 1}" for i in range(d)]

    def mismatch(*xs):
        return network_output(net, params, dnp.stack(list(xs))) - target
    F = VectorFunction(mismatch, variables=names)
    if mode == "newton" and d == k:
        return newton_system(F, x0, method=method, tol=tol, line_search=True)
    if mode == "newton":
        return _gauss_newton(F, x0, method, tol, min(steps, 100))
    def half_squared(x):
        return 0.5 * dnp.sum((network_output(net, params, x) - target) ** 2)
    vg = value_and_grad(half_squared, method=method)

    def step(x: np.ndarray, _k: int) -> tuple[float, np.ndarray]:
        value, g = vg(x)
        return float(np.real(value)), np.asarray(g, dtype=float)

    return descend(step, x0, lr=lr, max_iter=steps, gtol=tol, method=method)


def jacobian_wrt_input(net: Network, params, x, method: str = "forward") -> Any:
    """d net(x) / d x (outputs x inputs) by the named method: what this kind of optimisation uses."""
    params = net.check_params(params)
    names = [f"x{i + 1}" for i in range(net.sizes[0])]

    def out(*xs):
        return network_output(net, params, dnp.stack(list(xs)))
    return jacobian(VectorFunction(out, variables=names), np.asarray(x, dtype=float), method)


def _gauss_newton(F: VectorFunction, x0: np.ndarray, method: str, tol: float, steps: int) -> SolverResult:
    """x <- x - pinv(J) F(x): the smallest input change that zeroes the linearised mismatch."""
    x, iterates, history = x0.copy(), [x0.copy()], {"residual": []}
    for k in range(1, steps + 1):
        r = F.value(x)
        history["residual"].append(float(np.linalg.norm(r)))
        est = jacobian(F, x, method)
        if not est.ok:
            return SolverResult(x, tuple(iterates), False, f"the {method} Jacobian failed at step {k}: "
                                f"{est.status}", method=method, history=history, nit=k)
        step = -np.linalg.pinv(est.value) @ r
        x = x + step
        iterates.append(x.copy())
        size, left = float(np.linalg.norm(step)), float(np.linalg.norm(F.value(x)))
        if size <= tol * max(1.0, float(np.linalg.norm(x))):
            reason = (f"converged: Gauss-Newton step {size:.3g} after {k} iterations, "
                      f"|net(x) - target| = {left:.3g}")
            return SolverResult(x, tuple(iterates), True, reason, method=method, history=history, nit=k)
    reason = f"not converged after {steps} Gauss-Newton iterations: |net(x) - target| = {left:.3g}"
    return SolverResult(x, tuple(iterates), False, reason, method=method, history=history, nit=steps)
