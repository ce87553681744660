"""The tensor of third derivatives of a function of n variables by finite differences, with honest error
estimates: the mixed partial d3f / dx_i dx_j dx_k (i <= j <= k) as a tensor product of the one-variable
stencils of ``fd_order_stencils`` (the c-th derivative stencil along each variable that occurs c times),
so the schemes mean what they mean for one variable (forward 0..c, central, five-point, Richardson).

* **Steps**: variable v moves by ``fd_order_stencils.step(x_v, scheme, 3)`` (the balancing step of a
  third derivative at x_v's scale), rounded so every probe is an exact multiple.
* **Error** as in ``fd_orders``: the same stencil at 2h and 4h (all steps scaled together) bounds the
  truncation (Richardson: Neville's tables on 1..4 and 2..5), rounding is the stencil's sum |w| times
  the per-probe noise (the ulp model, or the noise of seven probes along x_0 measured by their highest
  difference, whichever is larger) over prod h; the larger of that and twice the distance to the central
  product stencil two orders more accurate at the same steps (the cross-check); outside the asymptotic
  range (differences between steps not shrinking like h**p) the estimate is infinite and the status
  says so.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from difflab.engines.fd_order_stencils import RICHARDSON_FACTORS, neville, noise, offsets, step, wider
from difflab.engines.finite_diff import EPS, stencil

CROSS_FACTOR = 2.0
NOISE_RUN = 7  # probes along x_0 whose highest difference measures the noise of f's values
NOISE_CAP = 30.0


@dataclass(frozen=True)
class TensorResult:
    value: np.ndarray     # (n, n, n), symmetric
    error: np.ndarray     # estimated absolute error per entry
    nfev: int
    status: str = "ok"


def _entry_plan(counts: dict[int, int], scheme: str, wide: bool) -> tuple[list, list, int]:
    """(the variables, per variable (offsets, weights), the truncation order) of one mixed partial."""
    axes, p = [], 99
    for v in sorted(counts):
        offs = wider(scheme, counts[v]) if wide else offsets(scheme, counts[v])[0]
        axes.append((offs, [float(w) for w in stencil(counts[v], offs)]))
        p = min(p, offsets(scheme, counts[v])[1])
    return sorted(counts), axes, p


def third_tensor(fun: Callable[[np.ndarray], np.ndarray], x, scheme: str = "central") -> TensorResult:
    """T[i, j, k] of ``fun`` (an (m, n) array of points -> m values) at x by one scheme."""
    x = np.asarray(x, dtype=float).ravel()
    n = x.size
    h = np.array([(x[v] + step(float(x[v]), scheme, 3)) - x[v] for v in range(n)])
    mults = RICHARDSON_FACTORS if scheme == "richardson" else (1, 2, 4)
    probes: dict[tuple[int, ...], int] = {}
    own: set[int] = set()
    plans = []
    for idx in itertools.combinations_with_replacement(range(n), 3):
        counts = Counter(idx)
        variables, axes, p = _entry_plan(counts, scheme, False)
        _, wide_axes, _ = _entry_plan(counts, scheme, True)
        for m in mults:
            own.update(_add(probes, variables, axes, n, m))
        _add(probes, variables, wide_axes, n, 1)
        plans.append((idx, counts, variables, axes, wide_axes, p))
    run = [tuple(j if v == 0 else 0 for v in range(n)) for j in range(NOISE_RUN)]
    own.update(probes.setdefault(key, len(probes)) for key in run)
    keys = np.array(list(probes), dtype=float).reshape(len(probes), n)
    with np.errstate(all="ignore"):
        F = np.asarray(fun(x + keys * h), dtype=float).reshape(-1)
    used = np.zeros(F.size, dtype=bool)
    used[list(own)] = True
    shape = (n, n, n)
    if not np.all(np.isfinite(F[used])):
        first = int(np.argmax(used & ~np.isfinite(F)))
        where = ", ".join(f"{v!r}" for v in x + keys[first] * h)
        return TensorResult(np.full(shape, np.nan), np.full(shape, np.nan), F.size,
                            f"the probe at ({where}) gave {F[first]}: a pole, a kink or the edge of the "
                            "domain within the stencil; the third derivatives are nan")
    model = EPS * float(np.max(np.abs(F[used])))
    per_probe = max(model, 2.0 * min(noise(F[[probes[k] for k in run]]), NOISE_CAP * model))
    T, E = np.empty(shape), np.empty(shape)
    status = "ok"
    for idx, counts, variables, axes, wide_axes, p in plans:
        scale = float(np.prod([h[v] ** counts[v] for v in variables]))
        ds = [_apply(F, probes, variables, axes, n, m) / (scale * m**3) for m in mults]
        if scheme == "richardson":
            d, check = neville(ds[:4], mults[:4]), neville(ds[1:], mults[1:])
            trunc, gain, law = 2 * abs(d - check), 4.0, 4.0
            near, far = ds[1] - ds[0], ds[3] - ds[1]
        else:
            d, law = ds[0], 2.0**p
            trunc, gain = (2 * abs(d - ds[1]) + abs(ds[1] - ds[2])) / (2**p - 1), 1 + 6 / (2**p - 1)
            near, far = ds[1] - ds[0], ds[2] - ds[1]
        rounding = gain * float(np.prod([sum(abs(w) for w in ws) for _, ws in axes])) * per_probe / scale
        ratio = abs(far) / abs(near) if near else np.inf
        if abs(near) > 4 * rounding and not law / 4 <= ratio <= law * 4:
            trunc = np.inf
            if status == "ok":
                status = (f"the steps for d3/{''.join(f'dx{v}' for v in idx)} are not in the asymptotic "
                          f"range of the {scheme} stencils (differences between steps h, 2h, 4h do not "
                          "shrink like "
                          f"h**{p}): f varies on a finer scale; those entries have no error bound")
        wide = _apply(F, probes, variables, wide_axes, n, 1, strict=False) / scale
        across = abs(d - wide) if np.isfinite(wide) else 0.0
        for perm in set(itertools.permutations(idx)):
            T[perm], E[perm] = d, max(trunc, CROSS_FACTOR * across) + rounding
    return TensorResult(T, E, F.size, status)


def _grid(variables: list[int], axes: list, n: int, m: int):
    """(key, weight) over the tensor product of the axes' stencils, offsets scaled by m."""
    for combo in itertools.product(*[list(zip(offs, ws, strict=True)) for offs, ws in axes]):
        key = [0] * n
        weight = 1.0
        for v, (o, w) in zip(variables, combo, strict=True):
            key[v] = o * m
            weight *= w
        yield tuple(key), weight


def _add(probes: dict, variables: list[int], axes: list, n: int, m: int) -> list[int]:
    return [probes.setdefault(key, len(probes)) for key, _ in _grid(variables, axes, n, m)]


def _apply(F: np.ndarray, probes: dict, variables: list[int], axes: list, n: int, m: int,
           strict: bool = True) -> float:
    total = 0.0
    for key, w in _grid(variables, axes, n, m):
        v = F[probes[key]]
        if not strict and not np.isfinite(v):
            return float("nan")
        total += w * v
    return total
