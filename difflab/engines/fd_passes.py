"""Passes of a finite-difference gradient or Hessian: evaluate at step vectors, rescore, choose.

A *pass* is one step vector's probes, evaluated with every other step vector of the same round in ONE
batched call and combined by ``fd_combine.combine``; ``choose`` keeps, per entry, the pass to trust
(``fd_refine`` runs more passes where the first ones show the step was wrong for this function).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from difflab.engines.fd_combine import combine
from difflab.engines.fd_noise import NOISE_POINTS, settle, table_points, table_values
from difflab.engines.fd_plan import complex_hessian_step, gradient_plan, hessian_plan
from difflab.engines.stencils import FIRST, RICHARDSON_STEPS, SECOND
from difflab.errors import InputError

PREFER = 10.0       # a smaller scale is taken when its estimate is 10 times smaller (or on disagreement)


@dataclass
class Pass:
    """One step vector's probe values and what ``combine`` made of them (with noise ``floor``)."""

    h: np.ndarray
    note: str
    F: np.ndarray
    value: np.ndarray
    error: np.ndarray
    status: str
    trunc: np.ndarray
    blind: bool


def representable(x: np.ndarray, h0: np.ndarray, exact: bool) -> tuple[np.ndarray, str]:
    """Steps whose multiples k*h (k <= 5) are exact: 32 significant bits (defaults) and h = (x + h) - x."""
    if exact:
        mant, expo = np.frexp(h0)
        h0 = np.ldexp(np.round(mant * 2.0**32) / 2.0**32, expo)
    h = (x + h0) - x
    note = ""
    if np.any(h == 0):
        i = int(np.argmax(h == 0))
        h = np.where(h == 0, (x + np.spacing(np.abs(x))) - x, h)
        note = (f"step for x_{i + 1} raised from {float(h0[i])!r} to {float(h[i])!r}, the float "
                f"spacing at x_{i + 1} = {float(x[i])!r}")
    return h, note


def centre(scheme: str, order: int) -> float:
    """The outermost probe of the reported value's stencil, in steps, on the side the scheme probes."""
    offs = FIRST[scheme] if order == 1 or scheme == "complex-step" else SECOND[scheme] + FIRST[scheme]
    reach = max(abs(o) for o in offs) * (RICHARDSON_STEPS[1] if scheme == "richardson" else 1)
    return -float(reach) if scheme == "backward" else float(reach)


def evaluate(fun: Callable, x: np.ndarray, steps: list[tuple[np.ndarray, str]], scheme: str, order: int,
             floors: list[float] | None = None, tables: bool = False,
             known: float = 0.0) -> tuple[list[Pass], int, list[float]]:
    """Every step vector's probes in ONE batched call, each combined with its per-probe noise floor;
    with ``tables``, a noise table per step in the same call, whose level replaces its floor; ``known``:
    a noise level the caller knows f has, under every floor. Returns (passes, nfev, floors)."""
    cplx = scheme == "complex-step"
    plan, p = (gradient_plan if order == 1 else hessian_plan)(x.size, scheme)
    t = complex_hessian_step(x) if cplx else None
    m, k0 = plan.m, len(steps) * plan.m
    floors = floors or [0.0] * len(steps)
    X = np.empty((k0 + (NOISE_POINTS * len(steps) if tables else 0), x.size), complex if cplx else float)
    for k, (h, _) in enumerate(steps):
        plan.points(x, h, t, X[k * m:(k + 1) * m])
        if tables:
            X[k0 + k * NOISE_POINTS:k0 + (k + 1) * NOISE_POINTS] = table_points(x, h, centre(scheme, order),
                                                                                 t)
    with np.errstate(all="ignore"):
        F = np.asarray(fun(X))
    if F.shape != (len(X),):
        raise InputError(f"fun must map an (m, n) array to m values; got shape {F.shape} "
                         f"for X of shape {X.shape}")
    nfev = len(X)
    if tables:
        floors, more = settle(fun, x, [h for h, _ in steps], centre(scheme, order), t,
                              table_values(F[k0:], t), floors)
        nfev += more
    return [Pass(h, note, F[k * m:(k + 1) * m], *combine(F[k * m:(k + 1) * m], x, h, t, plan, scheme, p,
                                                        note, floor=max(fl, known)))
            for k, ((h, note), fl) in enumerate(zip(steps, floors, strict=True))], nfev, floors


def rescore(passes: list[Pass], x: np.ndarray, scheme: str, order: int, floors: list[float]) -> list[Pass]:
    """The same probe values combined again, each pass with the noise measured at its step."""
    plan, p = (gradient_plan if order == 1 else hessian_plan)(x.size, scheme)
    t = complex_hessian_step(x) if scheme == "complex-step" else None
    return [Pass(q.h, q.note, q.F, *combine(q.F, x, q.h, t, plan, scheme, p, q.note, floor=fl))
            for q, fl in zip(passes, floors, strict=True)]


def choose(passes: list[Pass], prefer: float = PREFER) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per entry, the index of the pass to trust: passes are ordered by step, largest first; a finite
    one that disagrees with a smaller step's finite one beyond both estimates loses, and a smaller step
    is taken when its estimate is ``prefer`` times smaller (PREFER between candidate scales; a
    refinement, made to lower the error, is taken whenever it does). A pass whose probe values are all
    one number while another pass's are not is not trusted: its step is below what f resolves (1 - exp(x)
    at x = -9e-32 is 0 at every probe on x's own scale, a derivative of 0 +- 0 for -1)."""
    vals = np.array([q.value for q in passes])
    errs = np.array([q.error for q in passes])
    flat = [_flat(q.F) for q in passes]
    if not all(flat):
        errs = np.where(np.array(flat)[:, None], np.inf, errs)
    pick = np.full(vals.shape[1], -1)
    for k in range(len(passes)):
        ok = np.isfinite(vals[k]) & np.isfinite(errs[k])
        prior = np.where(pick >= 0, errs[pick, np.arange(len(pick))], np.inf)
        better = ok & ((pick < 0) | (errs[k] < prior / prefer))
        if pick.max() >= 0:
            prev_v = vals[pick, np.arange(len(pick))]
            prev_e = errs[pick, np.arange(len(pick))]
            with np.errstate(invalid="ignore"):
                disagree = ok & (pick >= 0) & (np.abs(vals[k] - prev_v) > errs[k] + prev_e)
            better = better | disagree
        pick = np.where(better, k, pick)
    idx = np.maximum(pick, 0)
    cols = np.arange(vals.shape[1])
    return vals[idx, cols], errs[idx, cols], pick


def _flat(F: np.ndarray) -> bool:
    """Whether a pass's finite probe values are all one number (an unknown pass, no values: no)."""
    finite = F[np.isfinite(F)]
    return finite.size > 1 and bool(np.all(finite == finite[0]))
