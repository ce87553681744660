"""Function values at the probes of one step vector combined into derivatives with an error per entry.

``combine`` turns the values at the probe points of an ``fd_plan.Plan`` into derivatives, each with
measured truncation plus bounded rounding (see ``finite_diff``'s docstring for the model). Several step
vectors are evaluated in one batched call by the caller; each is combined separately here.
"""

from __future__ import annotations

from fractions import Fraction
from functools import cache

import numpy as np

from difflab.engines.fd_noise import granularity
from difflab.engines.fd_plan import Plan
from difflab.engines.stencils import (
    COMPLEX_ULPS,
    EPS,
    NOISE_CAP,
    NOISE_FACTOR,
    RICHARDSON_KAPPA,
    ROUND_ULPS,
    TINY,
    UNDERFLOW_ULPS,
    neville,
)


def describe(key: tuple, x: np.ndarray, h: np.ndarray, t: np.ndarray | None) -> str:
    """A probe point in words: ``x - 2*h_1*e_1 = [-0.0014]`` (for a status about a bad probe)."""
    (idir, imult), real = key
    terms, point = [], x.copy()
    for i, k in real:
        terms.append(f"{'+' if k > 0 else '-'} {'' if abs(k) == 1 else f'{abs(k)}*'}h_{i + 1}*e_{i + 1}")
        point[i] = x[i] + k * h[i]
    where = "[" + ", ".join(repr(float(v)) for v in point) + "]"
    if idir >= 0:
        terms.append(f"+ {'' if imult == 1 else f'{imult}*'}i*t_{idir + 1}*e_{idir + 1}")
        where += f" + i*{imult * t[idir]:g}*e_{idir + 1}"
    return " ".join(["x", *terms]) + " = " + where


def combine(F: np.ndarray, x: np.ndarray, h: np.ndarray, t: np.ndarray | None, plan: Plan, scheme: str,
            p: np.ndarray, note: str, ratio: float = 2.0,
            floor: float = 0.0) -> tuple[np.ndarray, np.ndarray, str, np.ndarray, bool]:
    """The values F of ``plan``'s probes combined: (value, error, status, truncation part of error,
    blind). ``floor``: the noise per probe value measured by ``fd_noise`` (0: not measured). ``blind``:
    the highest differences along the probe lines (on long lines: what the level test finds), or the
    values' granularity (x*y - sin(x*y) at (1e-3, 2e-3) is 1.3e-18 in multiples of 4e-22, the ulp of
    x*y), exceed the rounding model by more than NOISE_CAP -- noise the model cannot see, or the smooth
    part of f; only a finer noise table can tell which."""
    keys, m, n, ng, ne = plan.keys, plan.m, x.size, plan.ng, plan.ne
    cplx = scheme == "complex-step"
    if cplx and not np.iscomplexobj(F):
        nan = np.full(ne, np.nan)
        return nan, nan, ("the function returned real values for complex input; complex step needs an "
                          "analytic function evaluated in complex arithmetic"), nan, False
    idir, imult, den = plan.idir, plan.imult, plan.den(h)
    typ = np.maximum(np.abs(x), 1.0)
    with np.errstate(all="ignore"):
        if cplx:
            v = F.imag / (imult * t[idir])
        else:  # a complex value at a real probe (sqrt of a negative number) is outside the real domain
            v = np.where(F.imag != 0, np.nan, F.real) if np.iscomplexobj(F) else F.astype(float)
        base = np.abs(v) + (np.abs(F.real) / typ[idir] if cplx else 0.0)
        bad = ~(np.isfinite(v) & np.isfinite(base))
        v0, base = np.where(bad, 0.0, v), np.where(bad, 0.0, base)
        G, E, P, W = plan.G, plan.E, plan.P, plan.W
        D = np.bincount(plan.GE, W * v0[P], minlength=ng * ne).reshape(ng, ne) / den
        coef, kappa = np.eye(ng)[0], 1 / (ratio**p - 1)  # kappa = |C(h)| / |C(h) - C(ratio*h)|
        if scheme == "richardson":
            D, coef = np.array(neville(list(D))), _richardson_weights(ng)
            kappa = float(RICHARDSON_KAPPA)
        value = D[0]
        trunc = 2 * kappa * np.abs(D[0] - D[1]) if ng > 1 else np.zeros(ne)
        fac = 1 + 4 * kappa
        if not cplx:  # rounding of f's intermediates propagates like |x_j g_j|
            g = value
            if plan.aux is not None:  # Hessians: a gradient from the probes already there
                I, Pa, Wa = plan.aux
                g = np.where(np.bincount(I, bad[Pa], n) > 0, np.nan, np.bincount(I, Wa / h[I] * v0[Pa], n))
            base = base + np.sum(np.abs(x * g)[np.isfinite(g)])
        model = (COMPLEX_ULPS if cplx else ROUND_ULPS) * EPS * base
        if cplx:  # Im parts below the normal range underflow (2*x*t with x = 1e-303): f' * t lost to ~tiny
            model = model + UNDERFLOW_ULPS * TINY / np.abs(imult * t[idir])
        measured, suspect = plan.noise(v, bad)
        # values with fewer significant bits than a double carry the rounding of larger intermediates
        blind = bool(max(suspect, granularity(v0[~bad])) > NOISE_CAP * model.max())
        level = max(min(measured, NOISE_CAP * model.max()), floor)
        per_probe = np.maximum(model, NOISE_FACTOR * level)
        weff = np.bincount(plan.inv, coef[G] * W / den[G, E])
        rnd = np.bincount(plan.uniq_e, np.abs(weff) * per_probe[plan.uniq_p], minlength=ne)
        error = trunc + fac * rnd
    status = note
    if bad.any():
        badt = bad[P]
        value = np.where(np.bincount(E[badt & (coef[G] != 0)], minlength=ne) > 0, np.nan, value)
        error = np.where(np.bincount(E[badt], minlength=ne) > 0, np.nan, error)
        first = int(np.argmax(bad))
        status += ("; " if status else "") + f"probe {describe(keys[first], x, h, t)} gave {F[first]}"
        if bad.sum() > 1:
            status += f" ({int(bad.sum()) - 1} more of the {m} probes were not finite)"
        status += "; the entries that use it are nan"
    return value, error, status or "ok", trunc, blind


@cache
def _richardson_weights(ng: int) -> np.ndarray:
    """The weights of Neville's extrapolated value on the ng rows (exact, then rounded once)."""
    units = [np.array([Fraction(int(g == k)) for g in range(ng)], dtype=object) for k in range(ng)]
    return np.array([float(c) for c in neville(units, exact=True)[0]])
