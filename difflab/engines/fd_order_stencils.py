"""The stencils and steps of ``fd_orders`` (finite differences of order k): which offsets each scheme
uses for the k-th derivative, the cross-check stencil, the balancing step, Neville's extrapolation and
the noise of equally spaced probe values.  See ``fd_orders`` for why each is as it is.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

from difflab.engines.finite_diff import EPS, stencil
from difflab.errors import InputError

ORDER_SCHEMES = ("forward", "backward", "central", "five-point", "richardson")
MAX_ORDER = 10
RICHARDSON_FACTORS = (1, 2, 3, 4, 5)  # central differences at j*h: value from 1..4, check from 2..5


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


def truncation(k: int, offs: tuple[int, ...], p: int) -> tuple[float, float]:
    w = stencil(k, offs)
    c = sum((wj * Fraction(o) ** (k + p) for wj, o in zip(w, offs, strict=True)), Fraction(0))
    return abs(float(c)) / math.factorial(k + p), float(sum(abs(v) for v in w))


def step(x: float, scheme: str, k: int, scale: float = 1.0) -> float:
    """The balancing step for the k-th derivative (see the module docstring), exact as a probe spacing.
    ``scale``: f varies on ``scale`` times the typical scale max(|x|, 1) (``fd_orders.derivatives``)."""
    offs, p = offsets(scheme, k)
    c, s = truncation(k, offs, p)
    if scheme == "richardson":
        p, c = 8, c * math.factorial(k + 8) / math.factorial(k + 2)  # order 8 after extrapolation
    else:  # Cauchy's growth |f^(k+p)| / |f^(k)| ~ (k+p)!/k! (over typ**p): high orders need shorter steps
        c = c * math.factorial(k + p) / math.factorial(k)
    typ = max(abs(x), 1.0) * scale
    h0 = (k * EPS * s / (p * max(c, 1e-300))) ** (1.0 / (p + k)) * typ
    mant, expo = np.frexp(h0)
    h0 = float(np.ldexp(np.round(mant * 2.0**32) / 2.0**32, expo))
    return (x + h0) - x


def neville(rows: list[float], factors: tuple[int, ...]) -> float:
    """Extrapolate values at steps factors[j]*h to h = 0 in powers of h**2."""
    col = list(rows)
    for m in range(1, len(rows)):
        col = [col[j + 1] + (col[j + 1] - col[j]) / ((factors[j] / factors[j + m]) ** 2 - 1)
               for j in range(len(col) - 1)]
    return col[0]


def run_of_multiples(probes: dict, own: set, h: float, k: int) -> np.ndarray:
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


def noise(values: np.ndarray) -> float:
    """Noise per value from the highest difference of equally spaced values (Hamming's table)."""
    if values.size < 3:
        return 0.0
    w = np.array([float(c) for c in stencil(values.size - 1, tuple(range(values.size)))])
    return float(abs(w @ values.astype(float)) / np.linalg.norm(w))
