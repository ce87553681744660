"""Finite differences of any order k for a function of one variable, each with an honest error estimate.

The stencils are ``finite_diff.stencil``'s exact rational weights (one module owns the Vandermonde
solve); what is new here is only which offsets each scheme uses for the k-th derivative and how steps
grow with k:

* ``forward`` / ``backward``: offsets 0..k (or 0..-k), order 1;  ``central``: -m..m with m = ceil(k/2),
  order 2;  ``five-point``: -(m+1)..(m+1), order 4;  ``richardson``: central differences at h, 2h, 3h, 4h
  extrapolated in h**2 (Neville's table, order 8), checked against the same table on 2h..5h.
* **Step** per order, the textbook balance of rounding ``eps*S*|f|/h**k`` against truncation
  ``|C| h**p |f^(k+p)|`` with Cauchy's growth ``|f^(m)| ~ m! |f|/typ**m`` (``typ = max(|x|, 1)``; as
  ``finite_diff.optimal_step`` does for Richardson: at order 10 the plain model's steps reach past the
  nearest singularity of ordinary functions), rounded to 32 significant bits so probes
  ``x + j*h`` are exact.
* **Error** = measured truncation + bounded rounding: the stencil again at 2h and 4h gives
  ``(2|D(h) - D(2h)| + |D(2h) - D(4h)|)/(2**p - 1)`` (generous: at high k the terms after the leading one
  of the remainder are not yet small); the rounding of each probe value is
  bounded by ``eps*(|f| + |x f'|)`` and by twice the noise of the probes measured by their highest
  difference, and enters with the stencil's ``sum|w|/h**k``.
* **Cross-check** (two stencils at one step): the truncation part is at least four times the distance
  to a symmetric stencil two orders more accurate at the same h (``wider``); the estimate is the larger
  of the two measures.  Why: at orders 6..10 the step-halving model alone was below the true error in
  18 of 2250 drawn cases (seed 15) and 145 of 14885 (seeds 1, 7, 11; up to 70x under: one-sided
  stencils that average f^(k) over a region where it changes sign agree with themselves at h, 2h and
  4h); with the cross-check doubled, 3 of 14885 remained (central and five-point at orders 9-10, up to
  1.8x: the two symmetric stencils' errors share their sign), with it four times, 0 of 2250, 0 of 14885
  and 0 of 7470 (seed 3), the median estimate/true error unchanged (293 -> 302 on seed 15):
  ``benchmarks/fd_orders_honesty.py``.
  High orders in double precision are inaccurate (k = 10 keeps a few digits at best): the estimate
  says so instead of hiding it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from difflab.engines.fd_order_stencils import (
    MAX_ORDER,
    ORDER_SCHEMES,
    RICHARDSON_FACTORS,
    neville,
    noise,
    offsets,
    run_of_multiples,
    step,
    wider,
)
from difflab.engines.finite_diff import EPS, stencil
from difflab.errors import InputError

__all__ = ["MAX_ORDER", "ORDER_SCHEMES", "OrdersResult", "derivatives", "offsets", "step", "wider"]

NOISE_FACTOR = 2.0
CROSS_FACTOR = 4.0  # the two stencils' errors may share a sign: their difference, four times, bounds d's
NOISE_CAP = 30.0  # measured noise trusted up to 30 times the ulp model (beyond it: the smooth part)
SMALLEST_POWER = float(np.finfo(float).tiny) / EPS  # h**k above it keeps every bit of a double


@dataclass(frozen=True)
class OrdersResult:
    """``value[k]`` ~ f^(k)(x) for k = 0..order, ``error[k]`` its estimated absolute error."""

    value: np.ndarray
    error: np.ndarray
    nfev: int
    steps: np.ndarray
    status: str = "ok"


def derivatives(fun: Callable[[np.ndarray], np.ndarray], x: float, order: int,
                scheme: str = "central", h: float | None = None, scale: float = 1.0,
                value_noise: float = 0.0) -> OrdersResult:
    """f, f', ..., f^(order) at x by one scheme; ``fun`` maps an (m, 1) array of points to m values.

    ``h``: one absolute step for every order instead of each order's balancing step (a step sweep).
    ``scale`` (<= 1): f varies on a scale that much finer than max(|x|, 1), as the refined first-order
    step found it; every order's step shrinks with it. ``value_noise``: a known bound on one value's
    error (``finite_diff.gradient``'s ``noise``), under the per-probe rounding."""
    if isinstance(order, bool) or not isinstance(order, int) or order < 0:
        raise InputError(f"the order must be a non-negative integer; got {order!r}")
    if order > MAX_ORDER:
        raise InputError(f"finite differences go up to order {MAX_ORDER}; got {order}")
    x = float(x)
    if h is not None and not (np.isfinite(h) and h > 0):
        raise InputError(f"the step must be a positive finite number; got {h!r}")
    # a spacing the probes x + j*h hit exactly (at least one ulp of x: a step below it is one ulp)
    given = None if h is None else max((x + float(h)) - x, float(np.spacing(abs(x))))
    plans, probes, own = [], {0.0: 0}, {0}
    for k in range(1, order + 1):
        # never a step whose k-th power leaves the normal doubles (at x = 2e-119 the refined scale gave
        # h**4 = 0): f's own finer scale, if any, then shows in the error terms, not as a division by 0
        h = max(step(x, scheme, k, scale) if given is None else given, SMALLEST_POWER ** (1.0 / k))
        offs, p = offsets(scheme, k)
        mults = RICHARDSON_FACTORS if scheme == "richardson" else (1, 2, 4)
        for mult in mults:
            for o in offs:
                own.add(probes.setdefault(o * mult * h, len(probes)))
        for o in wider(scheme, k):  # cross-check probes: their failure costs only the cross-check
            probes.setdefault(o * h, len(probes))
        plans.append((k, h, offs, p, mults))
    shifts = np.array(list(probes))
    with np.errstate(all="ignore"):
        F = np.asarray(fun((x + shifts)[:, None]), dtype=float).reshape(-1)
    if F.shape != shifts.shape:
        raise InputError(f"fun must map an (m, 1) array to m values; got shape {F.shape}")
    value, error, steps = np.empty(order + 1), np.empty(order + 1), np.zeros(order + 1)
    value[0] = F[0]
    status = "ok"
    used = np.zeros(F.size, dtype=bool)
    used[list(own)] = True
    if not np.all(np.isfinite(F[used])):
        first = int(np.argmax(used & ~np.isfinite(F)))
        status = f"the probe at x = {x + float(shifts[first])!r} gave {F[first]}: a pole, a kink or " \
                 "the edge of the domain within the stencil; the derivatives are nan"
        return OrdersResult(np.full(order + 1, np.nan), np.full(order + 1, np.nan), F.size, steps, status)
    slope = 0.0
    for k, h, offs, p, mults in plans:
        w = [float(v) for v in stencil(k, offs)]
        ds = [sum(wj * F[probes[o * m * h]] for wj, o in zip(w, offs, strict=True)) / (m * h) ** k
              for m in mults]
        if scheme == "richardson":
            d, check = neville(ds[:4], mults[:4]), neville(ds[1:], mults[1:])
            # Not kappa = 1/24 as for gradients: at high k the steps reach towards f's singularities and the
            # two tables' errors are no longer in the asymptotic ratio; their full difference, doubled, is.
            trunc, gain = 2 * abs(d - check), 4.0  # Neville weights sum |.| <~ 4
            near, far, law = ds[1] - ds[0], ds[3] - ds[1], 4.0  # c h**2 (4 - 1) and c h**2 (16 - 4)
        else:
            d, check = ds[0], ds[1]
            # the 4h level too: at high k the next terms of the remainder are not yet small
            trunc, gain = (2 * abs(d - check) + abs(check - ds[2])) / (2**p - 1), 1.0 + 6 / (2**p - 1)
            near, far, law = ds[1] - ds[0], ds[2] - ds[1], 2.0**p
        if k == 1:
            slope = d
        model = EPS * (np.max(np.abs(F[used])) + abs(x * slope))
        measured = min(noise(run_of_multiples(probes, own, h, k)), NOISE_CAP * model)
        per_probe = max(model, NOISE_FACTOR * measured, value_noise)
        rounding = gain * sum(abs(v) for v in w) * per_probe / h**k
        # Asymptotic range: the differences between steps shrink like h**p, or are rounding noise.
        # Otherwise the stencil samples f on a scale where its Taylor series does not yet describe it
        # (sin(1000 x) with steps of 0.1), and no difference of these values bounds the error.
        explained = abs(near) <= 4 * rounding
        ratio = abs(far) / abs(near) if near else np.inf
        if not explained and not law / 4 <= ratio <= law * 4:
            if status == "ok":
                status = (f"the steps for order {k} (h = {h:.3g}) are not in the asymptotic range of the "
                          f"{scheme} stencil (differences between steps h, 2h, 4h do not shrink like "
                          f"h**{p}): f varies on a finer scale; orders from {k} up have no error bound")
            trunc = np.inf
        # Cross-check (two stencil widths at one step): the wider stencil's value differs from d by about
        # d's own error whenever it is the more accurate of the two, and by more otherwise -- so the
        # larger of the two measures never sits below the error where the step-halving model misjudges
        # (at high k the remainder's later terms can cancel between h, 2h and 4h).
        value[k], error[k], steps[k] = d, max(trunc, CROSS_FACTOR * _across(F, probes, d, k, h, scheme)) \
            + rounding, h
    error[0] = EPS * (abs(F[0]) + abs(x * slope))
    return OrdersResult(value, error, F.size, steps, status)


def _across(F: np.ndarray, probes: dict, d: float, k: int, h: float, scheme: str) -> float:
    """|d - the cross-check stencil's value| at the same step (0 when a cross-check probe is not finite:
    near a domain edge the one-sided schemes are the only ones that apply)."""
    wide = wider(scheme, k)
    values = np.array([F[probes[o * h]] for o in wide])
    if not np.all(np.isfinite(values)):
        return 0.0
    return abs(d - float(np.dot([float(w) for w in stencil(k, wide)], values)) / h**k)


