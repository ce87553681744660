"""Refinement of a finite-difference step that does not suit the function (see ``refine``)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from difflab.engines.fd_noise import measure
from difflab.engines.fd_passes import Pass, centre, choose, evaluate, representable, rescore
from difflab.engines.fd_plan import complex_hessian_step, truncation_order

REFINE = 100.0      # truncation this many times the rounding: the step is refined ...
REFINE_PASSES = 4   # ... up to this many times while each pass disproves the one before
GROW = 4.0          # with the noise measured, a balancing step this many times wider is taken ...
MAX_GROWTH = 100.0  # ... to at most this factor times the first step
DISPROVED = 1 / 16  # a pass that disproves the one before: the next step is at least this much shorter


def _noise(fun: Callable, x: np.ndarray, steps: list[np.ndarray], scheme: str, order: int,
           previous: list[float]) -> tuple[list[float], int]:
    t = complex_hessian_step(x) if scheme == "complex-step" else None
    return measure(fun, x, steps, centre(scheme, order), t, previous)


def refine(fun: Callable, x: np.ndarray, scheme: str, order: int, passes: list[Pass], pick: np.ndarray,
           value: np.ndarray, error: np.ndarray, h: np.ndarray, trunc: np.ndarray,
           floors: list[float] | None = None,
           known: float = 0.0) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """More passes where the first ones show that the step does not suit this function: the step that
    balances the measured truncation against the rounding, ``h * (k*rnd / (p*trunc))**(1/(p+k))``,
    clipped to [h/1000, h*MAX_GROWTH] (and, growing, to MAX_GROWTH x the first step), kept by the rules
    of ``choose``.

    * **Too wide** (truncation > REFINE x rounding: 2x**3 at 0, exp(c*x) with c at 0.75). A pass whose
      result disagrees with the previous one beyond both estimates proves the wider step was not in the
      asymptotic regime (sin(exp(sinh(x))) at 3 turns 221000 radians per unit: at h = 0.018 the
      five-point Hessian was 6.5e3 +- 4e2 and at h/1000 8.0e6 +- 4e5, truth 4.2e10), so it goes on (an
      entry that then looks settled is checked once more at a quarter of its step), up to
      REFINE_PASSES; if the last two still disagree, their difference joins the estimate.
    * **Noise** (``fd_noise``). Shrinking the step trusts the rounding model, and the model sees only
      f's result; so before the first refinement, or when the probes show what the model cannot
      explain (``Pass.blind``), f's noise is measured by a table at each candidate step (9 values per
      step, one call), every pass is combined again with it, and each further pass carries its own
      table in its call (complex-step Hessians carry theirs from the first pass: ``floors``).
      Measured rounding that puts the balancing step GROW times further out makes the step grow
      (1 - cos(x) at 1e-3: the cancellation costs 1e-16 per value, so the central gradient wants
      1e-4, not 6e-6), except where nothing was truncated or the step was just disproved. A
      refinement is kept whenever its estimate is smaller (``choose(..., 1.0)``).
    """
    nfev, disagree = 0, np.zeros(value.shape, bool)
    k = 1 if order == 1 or scheme == "complex-step" else 2
    p = float(truncation_order(scheme, k))
    cols = np.arange(pick.size)
    iu, ju = np.triu_indices(x.size)
    rnd = np.maximum(error - trunc, 0.0)
    measured = floors is not None
    if not measured and (np.any(trunc > REFINE * rnd) or any(q.blind for q in passes)):
        if passes:  # a table at every candidate scale: the rescoring may choose another one
            floors, nfev = _noise(fun, x, [q.h for q in passes], scheme, order, [0.0] * len(passes))
            passes = rescore(passes, x, scheme, order, [max(fl, known) for fl in floors])
            value, error, pick = choose(passes)
            trunc = np.array([q.trunc for q in passes])[np.maximum(pick, 0), cols]
        else:
            floors, nfev = _noise(fun, x, [h], scheme, order, [0.0])
        measured = True
    used = pick[pick >= 0]
    floor = floors[int(used.min()) if used.size and len(floors) > 1 else -1] if measured else 0.0
    h = passes[int(used.min()) if used.size else -1].h if measured and len(floors) > 1 else h
    start = h
    for _ in range(REFINE_PASSES):
        rnd = np.maximum(error - trunc, 0.0)
        need = trunc > REFINE * rnd
        with np.errstate(divide="ignore", invalid="ignore"):
            factor = np.clip((k * rnd / (p * trunc)) ** (1 / (p + k)), 1e-3, MAX_GROWTH)
        # never away from a step just disproved, nor where nothing was truncated (f is a polynomial there)
        grow = measured & (factor >= GROW) & ~disagree & (trunc > 0)
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
        factor = np.minimum(factor, MAX_GROWTH * start / h)  # in all, never beyond MAX_GROWTH x the first
        [new], m, [floor] = evaluate(fun, x, [representable(x, h * factor, True)], scheme, order, [floor],
                                     tables=measured, known=known)  # the noise where the new pass probes
        nfev += m
        with np.errstate(invalid="ignore"):
            disagree = np.isfinite(new.value) & np.isfinite(value) & (np.abs(new.value - value)
                                                                      > new.error + error)
        gap = np.where(disagree, np.abs(new.value - value), 0.0)
        old = Pass(h, "", np.empty(0), value, error, "ok", trunc, False)
        # choose wants the wider step first: per entry, which one that is
        grew = factor >= 1 if order == 1 else factor[iu] * factor[ju] >= 1
        (v1, e1, p1), (v2, e2, p2) = choose([new, old], 1.0), choose([old, new], 1.0)
        value, error, took = np.where(grew, v1, v2), np.where(grew, e1, e2), np.where(grew, p1 == 0, p2 == 1)
        trunc = np.where(took, new.trunc, trunc)
        h = new.h if np.any(took) else h
    if np.any(disagree):  # the passes did not settle: at least one of the last two is off by the gap
        error = np.maximum(error, gap)
    return value, error, h, nfev
