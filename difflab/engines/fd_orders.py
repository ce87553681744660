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
* **Cross-check** (two stencils at one step): the truncation part is at least twice the distance to a
  symmetric stencil two orders more accurate at the same h (``wider``); the estimate is the larger of
  the two measures.  Why: at orders 6..10 the step-halving model alone was below the true error in
  18 of 2250 drawn cases (up to 13x; one-sided stencils that average f^(k) over a region where it
  changes sign agree with themselves at h, 2h and 4h); with the cross-check, 0 of 2250 and 0 of 7470,
  at no cost in generosity (median estimate/true error 293 -> 294): ``benchmarks/fd_orders_honesty.py``.  High orders in double precision are
  inaccurate (k = 10 keeps a few digits at best): the estimate says so instead of hiding it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from difflab.engines.finite_diff import EPS, stencil
from difflab.errors import InputError

ORDER_SCHEMES = ("forward", "backward", "central", "five-point", "richardson")
MAX_ORDER = 10
RICHARDSON_FACTORS = (1, 2, 3, 4, 5)  # central differences at j*h: value from 1..4, check from 2..5
NOISE_FACTOR = 2.0
CROSS_FACTOR = 2.0  # the two stencils' errors may share a sign: their difference, doubled, bounds d's
NOISE_CAP = 30.0  # measured noise trusted up to 30 times the ulp model (beyond it: the smooth part)


@dataclass(frozen=True)
class OrdersResult:
    """``value[k]`` ~ f^(k)(x) for k = 0..order, ``error[k]`` its estimated absolute error."""

    value: np.ndarray
    error: np.ndarray
    nfev: int
    steps: np.ndarray
    status: str = "ok"


def offsets(scheme: str, k: int) -> tuple[tuple[int, ...], int]:
    """Stencil offsets for the k-th derivative and the order p of its truncation error."""
    m = (k + 1) // 2
    if scheme == "forward":
        return tuple(range(k + 1)), 1
    if scheme == "backward":
        return tuple(-j for j in range(k + 1)), 1
    if scheme in ("central", "richardson"):
        return tuple(range(-m, m + 1)), 2
    if scheme == "five-point":
        return tuple(range(-m - 1, m + 2)), 4
    raise InputError(f"unknown finite-difference scheme {scheme!r} for order k; choose one of: "
                     f"{', '.join(ORDER_SCHEMES)}")


def wider(scheme: str, k: int) -> tuple[int, ...]:
    """The cross-check stencil for the k-th derivative at the scheme's own step: symmetric and two orders
    above the scheme's central stencils (order 4 for forward, backward and central; 6 for five-point;
    8 for Richardson). It samples f on both sides of x, so a one-sided stencil that averages f^(k) over
    a region where it changes sign (and agrees with itself at h, 2h and 4h) is caught."""
    m = (k + 1) // 2 + {"five-point": 2, "richardson": 3}.get(scheme, 1)
    return tuple(range(-m, m + 1))


def _truncation(k: int, offs: tuple[int, ...], p: int) -> tuple[float, float]:
    w = stencil(k, offs)
    c = sum((wj * Fraction(o) ** (k + p) for wj, o in zip(w, offs, strict=True)), Fraction(0))
    return abs(float(c)) / math.factorial(k + p), float(sum(abs(v) for v in w))


def step(x: float, scheme: str, k: int) -> float:
    """The balancing step for the k-th derivative (see the module docstring), exact as a probe spacing."""
    offs, p = offsets(scheme, k)
    c, s = _truncation(k, offs, p)
    if scheme == "richardson":
        p, c = 8, c * math.factorial(k + 8) / math.factorial(k + 2)  # order 8 after extrapolation
    else:  # Cauchy's growth |f^(k+p)| / |f^(k)| ~ (k+p)!/k! (over typ**p): high orders need shorter steps
        c = c * math.factorial(k + p) / math.factorial(k)
    typ = max(abs(x), 1.0)
    h0 = (k * EPS * s / (p * max(c, 1e-300))) ** (1.0 / (p + k)) * typ
    mant, expo = np.frexp(h0)
    h0 = float(np.ldexp(np.round(mant * 2.0**32) / 2.0**32, expo))
    return (x + h0) - x


def _neville(rows: list[float], factors: tuple[int, ...]) -> float:
    """Extrapolate values at steps factors[j]*h to h = 0 in powers of h**2."""
    col = list(rows)
    for m in range(1, len(rows)):
        col = [col[j + 1] + (col[j + 1] - col[j]) / ((factors[j] / factors[j + m]) ** 2 - 1)
               for j in range(len(col) - 1)]
    return col[0]


def derivatives(fun: Callable[[np.ndarray], np.ndarray], x: float, order: int,
                scheme: str = "central") -> OrdersResult:
    """f, f', ..., f^(order) at x by one scheme; ``fun`` maps an (m, 1) array of points to m values."""
    if isinstance(order, bool) or not isinstance(order, int) or order < 0:
        raise InputError(f"the order must be a non-negative integer; got {order!r}")
    if order > MAX_ORDER:
        raise InputError(f"finite differences go up to order {MAX_ORDER}; got {order}")
    x = float(x)
    plans, probes, own = [], {0.0: 0}, {0}
    for k in range(1, order + 1):
        h = step(x, scheme, k)
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
            d, check = _neville(ds[:4], mults[:4]), _neville(ds[1:], mults[1:])
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
        noise = min(_noise(_run_of_multiples(probes, own, h, k)), NOISE_CAP * model)
        per_probe = max(model, NOISE_FACTOR * noise)
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


def _run_of_multiples(probes: dict, own: set, h: float, k: int) -> np.ndarray:
    """Probe values at the longest run of consecutive multiples j*h around 0 (for the noise estimate);
    empty unless the run is long enough for a difference of order above k."""
    j = 0
    while (j - 1) * h in probes and probes[(j - 1) * h] in own:
        j -= 1
    run = []
    while j * h in probes and probes[j * h] in own:
        run.append(j * h)
        j += 1
    return np.array([probes[s] for s in run]) if len(run) >= k + 3 else np.array([])


def _noise(values: np.ndarray) -> float:
    """Noise per value from the highest difference of equally spaced values (Hamming's table)."""
    if values.size < 3:
        return 0.0
    w = np.array([float(c) for c in stencil(values.size - 1, tuple(range(values.size)))])
    return float(abs(w @ values.astype(float)) / np.linalg.norm(w))
