"""Newton's method on systems F(x) = 0, F: R^n -> R^n (seed 001: "Jacobian of the cost = 0").

Each step solves ``J(x) d = -F(x)`` (an LU solve, never an inverse) with the Jacobian from any method of
the registry (``dl.jacobian``); the solver never asks which.  Minimising f is the special case
F = grad f, whose Jacobian is the Hessian (``gradient_system``).

Every way it fails is ``converged=False`` with a reason that names the iterate: a singular Jacobian
(no unique step), iterates running off to infinity, no progress (|F| stalls far from 0), a Jacobian
the method cannot give, or the iteration limit.  An ill-conditioned Jacobian (digits lost in the
step) does not stop the iteration but is reported.  ``line_search`` backtracks on |F|: the step is
halved until the residual norm decreases.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from difflab.errors import InputError
from difflab.expr.derivatives import gradient_exprs
from difflab.expr.function import Function
from difflab.expr.vector import VectorFunction
from difflab.methods.higher import as_vector, jacobian
from difflab.result import SolverResult

EPS = float(np.finfo(float).eps)
SINGULAR_COND = 1e14      # beyond this the step has no correct digits
ILL_COND = 1e8            # half the digits of the step are lost: said in the reason
RUNAWAY = 1e12            # |x| beyond RUNAWAY * max(1, |x0|): diverged
STALL = 20                # iterations without a 10% decrease of the best |F|: no progress


def gradient_system(f: Any) -> VectorFunction:
    """grad f as a vector-valued function: its roots are f's critical points, its Jacobian f's Hessian."""
    f = f if isinstance(f, Function) else Function(f)
    if f.expr is None:
        raise InputError("gradient_system needs an expression (a traceable function)")
    return VectorFunction(list(gradient_exprs(f)), variables=f.variables)


def where(F, x: np.ndarray) -> str:
    """The point in words, every coordinate to full precision (what a failure message names)."""
    return ", ".join(f"{n}={v:.17g}" for n, v in zip(F.variables, x, strict=True))


class Stop(Exception):
    """Ends a Newton iteration with a reason (and whether that counts as converged); shared with
    ``newton_method`` so both solvers stop and report the same way."""

    def __init__(self, reason: str, converged: bool = False):
        super().__init__(reason)
        self.reason, self.converged = reason, converged


def newton_system(F: Any, x0: Any, method: str = "symbolic", tol: float = 1e-12, max_iter: int = 100,
                  damping: float = 1.0, line_search: bool = False) -> SolverResult:
    """Solve F(x) = 0 by Newton's method from ``x0`` (see the module docstring)."""
    F = as_vector(F)
    if F.m != F.n:
        raise InputError(f"Newton on a system needs as many equations as unknowns: {F.m} equation"
                         f"{'s' * (F.m != 1)}, {F.n} unknown{'s' * (F.n != 1)} ({', '.join(F.variables)})")
    x = F.point(x0)
    scale = max(1.0, float(np.linalg.norm(x)))
    iterates = [x.copy()]
    history: dict[str, list[float]] = {"residual": [], "step": [], "cond": []}
    remarks: list[str] = []
    best, since_best, k = np.inf, 0, 0
    converged, reason, name = False, "", method

    def residual(at: np.ndarray) -> np.ndarray:
        with np.errstate(all="ignore"):
            return F.value(at)

    try:
        for k in range(1, max_iter + 1):
            r = residual(x)
            norm = float(np.linalg.norm(r))
            if not np.all(np.isfinite(r)):
                raise Stop(f"F is not finite at {where(F, x)} (F = {r.tolist()}): outside the domain or "
                            "at a pole")
            history["residual"].append(norm)
            if norm == 0.0:
                raise Stop(f"converged: F = 0 exactly at {where(F, x)}", True)
            if norm < 0.9 * best:
                best, since_best = norm, 0
            else:
                since_best += 1
                if since_best >= STALL:
                    raise Stop(f"no progress: |F| has stayed near {best:.3g} for {STALL} iterations "
                                f"(now {norm:.3g} at {where(F, x)}); F may have no root near here")
            est = jacobian(F, x, method)
            name = est.method
            if not est.ok:
                raise Stop(f"the {est.method} Jacobian failed at {where(F, x)}: {est.status}")
            step = _step(F, x, est.value, r, history, remarks)
            t = damping
            if line_search:
                t = _backtrack(lambda s, x=x: float(np.linalg.norm(residual(x + s))), norm, step, t, F, x)
            new = x + t * step
            size = float(np.linalg.norm(t * step))
            history["step"].append(size)
            if not np.all(np.isfinite(new)) or float(np.linalg.norm(new)) > RUNAWAY * scale:
                raise Stop(f"diverged: the iterates ran off to |x| = {float(np.linalg.norm(new)):.3g} after "
                            f"{k} iterations (last finite iterate {where(F, x)})")
            x = new
            iterates.append(x.copy())
            if size <= tol * max(1.0, float(np.linalg.norm(x))):
                final = float(np.linalg.norm(residual(x)))
                raise Stop(f"converged: step {size:.3g} <= tol * max(1, |x|) after {k} iterations, "
                            f"|F| = {final:.3g}", True)
        k = max_iter
        reason = (f"not converged after {max_iter} iterations: |F| = {history['residual'][-1]:.3g} at "
                  f"{where(F, x)} (best {best:.3g})")
    except Stop as stop:
        converged, reason = stop.converged, stop.reason
    if remarks:
        reason += "; " + remarks[0]
    return SolverResult(x=x, iterates=tuple(iterates), converged=converged, reason=reason,
                        classification=None, method=name, history=history, nit=k)


def _step(F, x: np.ndarray, J: np.ndarray, r: np.ndarray, history: dict, remarks: list[str]) -> np.ndarray:
    """Solve J d = -F; singular stops, ill-conditioned is remembered (first occurrence) in words."""
    with np.errstate(all="ignore"):
        cond = float(np.linalg.cond(J)) if np.any(J) else np.inf
    history["cond"].append(cond)
    if not np.isfinite(cond) or cond > SINGULAR_COND:
        sv = np.linalg.svd(J, compute_uv=False)
        raise Stop(f"singular Jacobian at {where(F, x)} (singular values "
                    f"{', '.join(f'{s:.3g}' for s in sv)}): J d = -F has no unique solution, so there is "
                    "no Newton step")
    if cond > ILL_COND and not remarks:
        remarks.append(f"the Jacobian was ill-conditioned (condition number {cond:.3g}) at {where(F, x)}: "
                       f"about {int(np.log10(cond))} digits of that step were lost")
    return np.linalg.solve(J, -r)


def _backtrack(objective, current: float, step: np.ndarray, t: float, F, x: np.ndarray) -> float:
    """Halve t until |F| decreases (at most 50 halvings)."""
    for _ in range(50):
        trial = objective(t * step)
        if np.isfinite(trial) and trial < current:
            return t
        t *= 0.5
    raise Stop(f"line search failed at {where(F, x)}: |F| does not decrease along the Newton step down to "
                f"{t:.3g} of it")
