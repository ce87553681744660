"""Newton's method (seeds 000 and 002): roots ``x - f/f'``, minimization ``x - g'/g''`` and, in n
dimensions, the step ``d`` solving ``H d = -grad`` (an LU solve; the seeds' ``H^{-1} grad`` is the same
number computed worse, so no inverse is ever formed). Derivatives come from any method of
``difflab.methods.registry``; the solver never asks which.

Every way Newton's method fails is a result with ``converged=False`` and a reason in words: a zero
derivative (the tangent never meets the axis), a singular Hessian, a derivative the method cannot give,
iterates running off to infinity, or no root at all (``x**2 + 1``: |f| never falls below 1).

Minimization looks for a point where the gradient vanishes, which may be a maximum or a saddle: the
point found is classified by the eigenvalues of its Hessian (seed 002's table: all positive -> minimum,
all negative -> maximum, mixed -> saddle, any zero -> inconclusive). "Zero" means within the method's
own error estimate of the Hessian (Weyl: no eigenvalue moves further than the perturbation's norm), so a
finite-difference Hessian says "inconclusive" where its noise could flip a sign.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from difflab.errors import InputError
from difflab.expr.vector import VectorFunction
from difflab.methods import registry as methods
from difflab.result import Estimate, SolverResult
from difflab.solvers.systems import Stop, newton_system, where

MODES = ("root", "minimize")
EPS = float(np.finfo(float).eps)
SINGULAR_COND = 1e14     # beyond this condition number a Newton step has no correct digits
RUNAWAY = 1e12           # |x| beyond RUNAWAY * max(1, |x0|): the iterates diverged


def classify_hessian(est: Estimate) -> tuple[str, np.ndarray]:
    """Classification of a critical point from a Hessian estimate, and the eigenvalues used."""
    H = np.asarray(est.value, dtype=float)
    if not np.all(np.isfinite(H)):
        return "inconclusive", np.full(H.shape[0], np.nan)
    H = 0.5 * (H + H.T)
    eig = np.linalg.eigvalsh(H)
    noise = 0.0 if est.error_estimate is None else float(np.linalg.norm(est.error_estimate))
    tol = max(noise, 64 * EPS * float(np.linalg.norm(H)))
    if np.any(np.abs(eig) <= tol):
        return "inconclusive", eig
    if np.all(eig > 0):
        return "minimum", eig
    if np.all(eig < 0):
        return "maximum", eig
    return "saddle", eig


def classify(f: Any, at: Any, method: str = "symbolic") -> tuple[str, np.ndarray]:
    """Classify the point ``at`` by its Hessian's eigenvalues (meaningful where the gradient vanishes)."""
    fn = methods.as_function(f)
    return classify_hessian(methods.get(method).hessian(fn, fn.point(at)))


def newton(f: Any, x0: Any, method: str = "symbolic", mode: str = "minimize", tol: float = 1e-12,
           max_iter: int = 100, damping: float = 1.0, line_search: bool = False) -> SolverResult:
    """Newton's method on ``f`` from ``x0``; see the module docstring.

    ``mode="root"`` solves f(x) = 0 for f of one variable, or F(x) = 0 for a system ``"[f1, f2]"``
    (``solvers.systems``); ``mode="minimize"`` solves grad f = 0.
    Converged when the Newton step -- the full one, before ``damping`` scales it or ``line_search``
    halves it -- is at most ``tol * max(1, |x|)``: the step taken says how far x moved, not how far it
    is from the answer (a damping of 1e-20 moves x by 1e-20 of the way and proves nothing).
    """
    if mode not in MODES:
        raise InputError(f"mode must be 'root' or 'minimize', not '{mode}'")
    if not 0.0 < damping <= 1.0:
        raise InputError(f"damping must be in (0, 1], got {damping}")
    if int(max_iter) != max_iter or max_iter < 1:
        raise InputError(f"max_iter must be a whole number >= 1, got {max_iter}")
    fn = f if isinstance(f, VectorFunction) else methods.as_function(f)
    if isinstance(fn, VectorFunction):
        if mode != "root":
            raise InputError(f"minimize needs a scalar function; this one has {fn.m} components: use mode "
                             "'root' to solve F(x) = 0")
        return newton_system(fn, x0, method=method, tol=tol, max_iter=max_iter, damping=damping,
                             line_search=line_search)
    if mode == "root" and fn.n != 1:
        raise InputError(f"root mode solves f(x) = 0 for a function of one variable; f has {fn.n} "
                         f"({', '.join(fn.variables)}); use mode 'minimize' to solve grad f = 0")
    meth = methods.get(method)
    x = fn.point(x0)
    scale = max(1.0, float(np.linalg.norm(x)))
    iterates = [x.copy()]
    history: dict[str, list[float]] = {"f": [], "grad_norm": [], "step": [], "newton_step": []}
    best = (np.inf, x.copy())
    converged, reason, k = False, "", 0

    def derivative(kind: str, at: np.ndarray) -> Estimate:
        est = getattr(meth, kind)(fn, at)
        if not est.ok:
            raise Stop(f"the {meth.name} {'Hessian' if kind == 'hessian' else 'derivative'} failed at "
                        f"{where(fn, at)}: {est.status}")
        return est

    def value(at: np.ndarray) -> float:
        with np.errstate(all="ignore"):
            return fn.value(at)

    try:
        for k in range(1, max_iter + 1):
            fx = value(x)
            if not np.isfinite(fx):
                raise Stop(f"f is not finite at {where(fn, x)} (f = {fx}): outside the domain or at a pole")
            g_est = derivative("gradient", x)
            g = g_est.value
            history["f"].append(fx)
            history["grad_norm"].append(float(np.linalg.norm(g)))
            if mode == "root":
                if abs(fx) < best[0]:
                    best = (abs(fx), x.copy())
                if fx == 0.0:
                    raise Stop(f"converged: f = 0 exactly at {where(fn, x)}", True)
                if g[0] == 0.0:
                    raise Stop(f"zero derivative: f'(x) = 0 at {where(fn, x)} (f = {fx:.6g}); the tangent "
                                "is horizontal and never meets the x-axis")
                step = np.array([-fx / g[0]])
                objective = abs
            else:
                if not np.any(g):
                    raise Stop(f"converged: the gradient is exactly 0 at {where(fn, x)}", True)
                if g_est.error_estimate is not None and np.all(np.abs(g) <= g_est.error_estimate):
                    # An inexact gradient cannot steer below its own error: Newton would wander there.
                    raise Stop(f"converged: the gradient ({', '.join(f'{v:.3g}' for v in g)}) is 0 within "
                                f"the {meth.name} error estimate at {where(fn, x)}", True)
                step = _newton_step(fn, x, g, derivative("hessian", x).value)
                if line_search and float(g @ step) >= 0.0:
                    raise Stop(f"line search impossible: the Newton direction at {where(fn, x)} is not a "
                                "descent direction (the Hessian is not positive definite there)")
                objective = float
            t = damping
            if line_search:
                t = _backtrack(lambda s, x=x, objective=objective: objective(value(x + s)), objective(fx),
                               step, t, fn, x)
            new = x + t * step
            size = float(np.linalg.norm(t * step))
            full = float(np.linalg.norm(step))
            history["step"].append(size)
            history["newton_step"].append(full)
            if not np.all(np.isfinite(new)) or float(np.linalg.norm(new)) > RUNAWAY * scale:
                raise Stop(f"diverged: the iterates ran off to |x| = {float(np.linalg.norm(new)):.3g} "
                            f"after {k} iterations (from {where(fn, iterates[0])})")
            x = new
            iterates.append(x.copy())
            if full <= tol * max(1.0, float(np.linalg.norm(x))):
                raise Stop(f"converged: Newton step {full:.3g} <= tol * max(1, |x|) after {k} iterations",
                            True)
        k = max_iter
        last_f = abs(value(x))
        if last_f < best[0]:
            best = (last_f, x.copy())
        if mode == "root" and best[0] >= 0.1 * abs(history["f"][0]):
            reason = (f"no real root found: after {max_iter} iterations |f| never fell below {best[0]:.6g} "
                      f"(at {where(fn, best[1])}); f may have no real root")
        elif mode == "root":
            reason = (f"not converged after {max_iter} iterations: |f| came down to {best[0]:.3g} (at "
                      f"{where(fn, best[1])}) but the steps did not settle")
        else:
            reason = (f"not converged after {max_iter} iterations: gradient norm still "
                      f"{history['grad_norm'][-1]:.3g} at {where(fn, x)}")
        if damping < 1.0:
            reason += f" (damping {damping:g}: each iteration moved x by that fraction of the Newton step)"
    except Stop as stop:
        converged, reason = stop.converged, stop.reason

    classification = None
    if converged and mode == "minimize":
        classification, eig = classify_hessian(meth.hessian(fn, x))
        history["eigenvalues"] = eig.tolist()
        last = history["newton_step"][-3:]
        ratios = [b / a for a, b in zip(last[:-1], last[1:], strict=True) if a > 0]
        if (classification != "inconclusive" and damping == 1.0 and len(ratios) == 2
                and all(0.2 <= r <= 0.8 for r in ratios)):
            # Newton converges quadratically to a nondegenerate critical point; steps shrinking by a
            # constant factor mean the Hessian is singular at the limit, whatever it is at the last iterate.
            # (Damped steps shrink by a constant factor anyway: the test needs full steps.)
            classification = "inconclusive"
            reason += (f"; the steps shrank only linearly (ratio {ratios[-1]:.2g}), so the Hessian is "
                       "singular at the limit: the point is not classified")
        elif classification == "inconclusive":
            reason += "; the Hessian has a zero eigenvalue there, so the point is not classified"
        elif classification != "minimum":
            reason += f"; the critical point is a {classification}, not a minimum"
    return SolverResult(x=x, iterates=tuple(iterates), converged=converged, reason=reason,
                        classification=classification, method=meth.name, history=history, nit=k)


def _newton_step(fn, x: np.ndarray, g: np.ndarray, H: np.ndarray) -> np.ndarray:
    """Solve H d = -g; a singular (or numerically singular) Hessian stops the iteration in words."""
    H = np.asarray(H, dtype=float).reshape(fn.n, fn.n)
    at = where(fn, x)
    if not np.all(np.isfinite(H)):
        raise Stop(f"the Hessian is not finite at {at}")
    with np.errstate(all="ignore"):
        cond = np.linalg.cond(H) if np.any(H) else np.inf
    if not np.isfinite(cond) or cond > SINGULAR_COND:
        eig = np.linalg.eigvalsh(0.5 * (H + H.T))
        what = "second derivative is 0" if fn.n == 1 else "singular Hessian"
        raise Stop(f"{what} at {at} (eigenvalues {', '.join(f'{e:.3g}' for e in eig)}): H d = -grad has "
                    "no unique solution, so there is no Newton step")
    try:
        return np.linalg.solve(H, -g)
    except np.linalg.LinAlgError:
        raise Stop(f"singular Hessian at {at}: H d = -grad has no unique solution") from None


def _backtrack(objective, current: float, step: np.ndarray, t: float, fn, x: np.ndarray) -> float:
    """Halve t until the objective decreases (at most 50 halvings)."""
    for _ in range(50):
        trial = objective(t * step)
        if np.isfinite(trial) and trial < current:
            return t
        t *= 0.5
    raise Stop(f"line search failed at {where(fn, x)}: no decrease along the Newton step down to "
                f"{t:.3g} of it")
