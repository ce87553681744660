"""Passes of a finite-difference gradient or Hessian: evaluate at step vectors, choose, refine the step.

A *pass* is one step vector's probes, evaluated with every other step vector of the same round in ONE
batched call and combined by ``fd_combine.combine``. ``choose`` keeps, per entry, the pass to trust;
``refine`` runs more passes where the first ones show the step was wrong for this function (the rules
are in ``finite_diff``'s docstring, *Refinement* and *Noise*).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from difflab.engines.fd_combine import combine
from difflab.engines.fd_noise import measure
from difflab.engines.fd_plan import complex_hessian_step, gradient_plan, hessian_plan, truncation_order
from difflab.engines.stencils import FIRST, RICHARDSON_STEPS, SECOND
from difflab.errors import InputError

REFINE = 100.0      # truncation this many times the rounding: the step is refined ...
REFINE_PASSES = 4   # ... up to this many times while each pass disproves the one before
GROW = 4.0          # with the noise measured, a balancing step this many times wider is taken ...
MAX_GROWTH = 100.0  # ... growing by at most this factor per pass
DISPROVED = 1 / 16  # a pass that disproves the one before: the next step is at least this much shorter
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


def _centre(scheme: str, order: int) -> float:
    """The outermost probe of the reported value's stencil, in steps, on the side the scheme probes."""
    offs = FIRST[scheme] if order == 1 or scheme == "complex-step" else SECOND[scheme] + FIRST[scheme]
    reach = max(abs(o) for o in offs) * (RICHARDSON_STEPS[1] if scheme == "richardson" else 1)
    return -float(reach) if scheme == "backward" else float(reach)


def evaluate(fun: Callable, x: np.ndarray, steps: list[tuple[np.ndarray, str]], scheme: str, order: int,
             floor: float = 0.0) -> tuple[list[Pass], int]:
    """Every step vector's probes in ONE batched call, combined with the per-probe noise ``floor``."""
    cplx = scheme == "complex-step"
    plan, p = (gradient_plan if order == 1 else hessian_plan)(x.size, scheme)
    t = complex_hessian_step(x) if cplx else None
    m = plan.m
    X = np.empty((len(steps) * m, x.size), complex if cplx else float)
    for k, (h, _) in enumerate(steps):
        plan.points(x, h, t, X[k * m:(k + 1) * m])
    with np.errstate(all="ignore"):
        F = np.asarray(fun(X))
    if F.shape != (len(X),):
        raise InputError(f"fun must map an (m, n) array to m values; got shape {F.shape} "
                         f"for X of shape {X.shape}")
    return [Pass(h, note, F[k * m:(k + 1) * m], *combine(F[k * m:(k + 1) * m], x, h, t, plan, scheme, p,
                                                        note, floor=floor))
            for k, (h, note) in enumerate(steps)], len(X)


def rescore(passes: list[Pass], x: np.ndarray, scheme: str, order: int, floors: list[float]) -> list[Pass]:
    """The same probe values combined again, each pass with the noise measured at its step."""
    plan, p = (gradient_plan if order == 1 else hessian_plan)(x.size, scheme)
    t = complex_hessian_step(x) if scheme == "complex-step" else None
    return [Pass(q.h, q.note, q.F, *combine(q.F, x, q.h, t, plan, scheme, p, q.note, floor=fl))
            for q, fl in zip(passes, floors, strict=True)]


def _noise(fun: Callable, x: np.ndarray, steps: list[np.ndarray], scheme: str, order: int,
           previous: list[float]) -> tuple[list[float], int]:
    t = complex_hessian_step(x) if scheme == "complex-step" else None
    return measure(fun, x, steps, _centre(scheme, order), t, previous)


def choose(passes: list[Pass]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per entry, the index of the pass to trust: passes are ordered by step, largest first; a finite
    one that disagrees with a smaller step's finite one beyond both estimates loses, and a smaller step
    is taken when its estimate is PREFER times smaller."""
    vals = np.array([q.value for q in passes])
    errs = np.array([q.error for q in passes])
    pick = np.full(vals.shape[1], -1)
    for k in range(len(passes)):
        ok = np.isfinite(vals[k]) & np.isfinite(errs[k])
        prior = np.where(pick >= 0, errs[pick, np.arange(len(pick))], np.inf)
        better = ok & ((pick < 0) | (errs[k] < prior / PREFER))
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


def refine(fun: Callable, x: np.ndarray, scheme: str, order: int, passes: list[Pass], pick: np.ndarray,
           value: np.ndarray, error: np.ndarray, h: np.ndarray,
           trunc: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """More passes where the first ones show that the step does not suit this function: the step that
    balances the measured truncation against the rounding, ``h * (k*rnd / (p*trunc))**(1/(p+k))``,
    clipped to [h/1000, h*MAX_GROWTH] and kept by the rules of ``choose``.

    * **Too wide** (truncation > REFINE x rounding: 2x**3 at 0, exp(c*x) with c at 0.75). A pass whose
      result disagrees with the previous one beyond both estimates proves the wider step was not in the
      asymptotic regime (sin(exp(sinh(x))) at 3 turns 221000 radians per unit: at h = 0.018 the
      five-point Hessian was 6.5e3 +- 4e2 and at h/1000 8.0e6 +- 4e5, truth 4.2e10), so it goes on (an
      entry that then looks settled is checked once more at a quarter of its step), up to
      REFINE_PASSES; if the last two still disagree, their difference joins the estimate.
    * **Noise** (``fd_noise``). Shrinking the step trusts the rounding model, and the model sees only
      f's result; so before the first refinement, or when the probe lines show differences the model
      cannot explain (``Pass.blind``), f's noise is measured by a table at the current step (7 values,
      one call, per candidate scale), every pass is rescored with it, and each further pass carries its
      own table in its call. Measured rounding that puts the balancing step GROW times further out
      makes the step grow (1 - cos(x) at 1e-3: the cancellation costs 1e-16 per value, so the central
      gradient wants 1e-4, not 6e-6).
    """
    nfev, disagree, floor, measured = 0, np.zeros(value.shape, bool), 0.0, False
    k = 1 if order == 1 or scheme == "complex-step" else 2
    p = float(truncation_order(scheme, k))
    cols = np.arange(pick.size)
    iu, ju = np.triu_indices(x.size)
    rnd = np.maximum(error - trunc, 0.0)
    if np.any(trunc > REFINE * rnd) or any(q.blind for q in passes):
        if passes:  # a table at every candidate scale: the rescoring may choose another one
            floors, nfev = _noise(fun, x, [q.h for q in passes], scheme, order, [0.0] * len(passes))
            passes = rescore(passes, x, scheme, order, floors)
            value, error, pick = choose(passes)
            trunc = np.array([q.trunc for q in passes])[np.maximum(pick, 0), cols]
            used = pick[pick >= 0]
            h = passes[int(used.min()) if used.size else -1].h
            floor = floors[int(used.min()) if used.size else -1]
        else:
            [floor], nfev = _noise(fun, x, [h], scheme, order, [0.0])
        measured = True
    for _ in range(REFINE_PASSES):
        rnd = np.maximum(error - trunc, 0.0)
        need = trunc > REFINE * rnd
        with np.errstate(divide="ignore", invalid="ignore"):
            factor = np.clip((k * rnd / (p * trunc)) ** (1 / (p + k)), 1e-3, MAX_GROWTH)
        grow = measured & (factor >= GROW)
        if not np.any(need | grow | disagree):
            break
        # an entry that settled by its own measure right after disagreeing is checked at a quarter step
        factor = np.where((need | grow) & np.isfinite(factor), factor, np.where(disagree, 0.25, 1.0))
        factor = np.where(disagree, np.minimum(factor, DISPROVED), factor)
        if order == 2:  # a variable's step changes as much as the most demanding entry it enters
            each = np.full(x.size, np.inf)
            for v in (iu, ju):
                np.minimum.at(each, v, factor)
            factor = each
        step = representable(x, h * factor, True)
        if measured:  # the noise where the new pass probes, before its values are combined
            [floor], m = _noise(fun, x, [step[0]], scheme, order, [floor])
            nfev += m
        [new], m = evaluate(fun, x, [step], scheme, order, floor)
        nfev += m
        with np.errstate(invalid="ignore"):
            disagree = np.isfinite(new.value) & np.isfinite(value) & (np.abs(new.value - value)
                                                                      > new.error + error)
        gap = np.where(disagree, np.abs(new.value - value), 0.0)
        old = Pass(h, "", np.empty(0), value, error, "ok", trunc, False)
        # choose wants the wider step first: per entry, which one that is
        grew = factor >= 1 if order == 1 else factor[iu] * factor[ju] >= 1
        (v1, e1, p1), (v2, e2, p2) = choose([new, old]), choose([old, new])
        value, error, took = np.where(grew, v1, v2), np.where(grew, e1, e2), np.where(grew, p1 == 0, p2 == 1)
        trunc = np.where(took, new.trunc, trunc)
        h = new.h if np.any(took) else h
    if np.any(disagree):  # the passes did not settle: at least one of the last two is off by the gap
        error = np.maximum(error, gap)
    return value, error, h, nfev
