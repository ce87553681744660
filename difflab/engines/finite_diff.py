"""Finite differences with exact stencils, principled steps and an honest error estimate per entry.

* **Exact stencils.** ``stencil`` solves the Vandermonde moment system in ``Fraction`` arithmetic, so
  a centre weight of -5/2 is exactly that (a float solve leaves residues like -2.4e-16 that multiply
  |f| and cost digits); weights become floats only when they multiply function values.
* **Steps.** For weights ``w`` (``S = sum|w|``), truncation ``C h**p f^(p+k)`` of a k-th derivative,
  the error ``eps*S*|f|/h**k + |C|*h**p*|f^(p+k)|`` with ``|f^(m)| ~ |f|/typ**m`` is minimal at the
  textbook ``typ * (k*eps*S/(p*|C|))**(1/(p+k))`` (``(3 eps)**(1/3)`` for central), where
  ``typ`` is the length over which f varies (see *Scales*). For Richardson's order-8 stencil that model is
  far off; Cauchy's estimate ``|f^(m)| <~ m! |f|/r**m`` (9! = 362880) is used, else its step would be
  four times too wide. Steps on the large side are deliberate: truncation is measured, rounding noise
  only bounded. Default steps keep 32 significant bits and every h becomes ``(x + h) - x``: probes
  ``x + k*h`` (k <= 5) are exact (unless crossing a power of two away from 0), divisors true.
* **One batched call** ``fun(X)``, X of shape (m, n), evaluates every probe of a gradient or Hessian.
* **Error = measured truncation + bounded rounding.** The stencil is also applied at step 2h; with
  ``kappa = 1/(2**p - 1)``, ``kappa*|D(h) - D(2h)|`` is the truncation of D(h), doubled against
  higher-order terms. Richardson extrapolates central differences at h, 2h, 3h, 4h (Neville's table
  in h**2, order 8); the table's next row gives the same extrapolation from 2h..5h, and since both
  truncations are proportional to the product of their squared steps, kappa = 1/(25 - 1). (The last
  correction of a table is not used as its error: when one derivative happens to be small the
  corrections stop being geometric and such guesses can be 100-fold low.) Rounding: each probe value
  is trusted to ``ulps * eps * (|f_p| + sum_j |x_j g_j|)`` (``|x_j g_j|``: rounding inside f
  propagated like a relative perturbation of x), or to twice the noise *measured* by the highest
  difference along each line of probes if larger (capped at 30 times the model, beyond which the
  difference may be the smooth part), or to twice the noise measured by ``fd_noise`` where it was
  measured (see *Noise*). Summed with the effective weights of the reported value, it enters with
  the factor ``1 + 4*kappa``: the noise in D(h) - D(2h) cannot hide truncation.
* **Noise.** The model sees f's result, not its intermediates: ``x - sin(x)`` at 1e-5 rounds at 2e-21
  where the model says 4e-32, and a step refined on the model walked into that noise (the forward
  Hessian at 0 was 2.3e-8 +- 2.5e-23). Where the model could be blind -- a refinement is due, the
  probe lines show noise beyond the cap, or the values have fewer significant bits than a double --
  f's noise is measured by a table of 9 values near the stencil's outermost probe (``fd_noise``:
  More and Wild's ECnoise on irregular nodes, one more call, per candidate scale), the passes are
  combined again with it and every further pass carries its own table (``fd_refine``). Complex-step
  Hessians always carry one (in the same call): their values are derivatives computed inside f,
  where cancellation between terms leaves no trace in the values; the complex-step gradient
  measures only where its shifted probes show noise (``fd_complex``).
* **Complex step** ``Im f(x + i t e_i)/t`` has no subtractive cancellation, so ``t = 1e-100 * typ``
  is exact to rounding; a second probe at 3t (not 2t, which would repeat every rounding) measures
  that rounding. The Hessian applies it in x_i and the five-point stencil in x_j to the gradient
  values: error O(d**4) + eps/d, estimated as above.
* **Scales.** ``max(|x_i|, 1)`` is blind to a function that lives at its variables' own scale: the
  two-ion Coulomb energy at x = +-2.8e-6 varies over 1e-6, and a step of 6e-6 steps over the other
  ion (every scheme returned a Hessian off by 100% with an estimate of 1e-20). So two scales are
  tried in the same batched call: ``max(|x_i|, 1)`` and the variable's own ``|x_i|`` (a zero
  coordinate takes the smallest nonzero |x_j| below 1: the scale the point lives at). Per entry, two
  results that agree within their estimates give the smaller scale's only when its estimate is 10 times
  smaller; two that do not
  give the smaller step's result -- a smaller step cannot be blind to a feature a larger one sees,
  and its rounding is bounded -- and the larger step's estimate is proven wrong (the cross-check of
  two step sizes that a single stencil cannot do on itself).
* **Refinement.** Where the measured truncation is more than 100 times the rounding, the step was
  too wide for this function; another pass at the step that balances the two measured parts, repeated
  while each pass disagrees with the one before beyond both estimates; where measured noise dwarfs the
  truncation, a wider step (``fd_refine.refine``).
* **Domain edges.** An entry whose probes leave the domain (nan/inf: log(x) at 0.001 with a step of
  0.04) is recomputed with steps shrunk 16-fold, up to six times, and only then reported as nan
  with the bad probe named in the status.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from difflab.engines.fd_complex import complex_gradient
from difflab.engines.fd_passes import choose, evaluate, representable
from difflab.engines.fd_refine import refine
from difflab.engines.stencils import (
    EPS,
    NOISE_FACTOR,
    RICHARDSON_KAPPA,
    RICHARDSON_STEPS,
    SCHEMES,
    check_scheme,
    neville,
    optimal_step,
    stencil,
)
from difflab.errors import InputError

__all__ = ["SCHEMES", "EPS", "RICHARDSON_STEPS", "FDResult", "gradient", "hessian", "optimal_step", "stencil"]
_RICHARDSON_KAPPA = RICHARDSON_KAPPA  # the names tests reach for
_neville = neville
SHRINK = 16.0       # a step whose probes leave the domain is divided by this ...
SHRINK_TRIES = 6    # ... at most this many times (16**6 ~ 1.7e7)


@dataclass(frozen=True)
class FDResult:
    """A finite-difference gradient (n,) or Hessian (n, n) with its absolute error estimate per entry.

    ``nfev`` counts the probe points evaluated (including those used only for the error estimate and
    those of the scale that was not chosen); ``step`` is the step per variable of the chosen scale (the
    smallest one for Richardson, the imaginary one for a complex-step gradient, the real one for a
    complex-step Hessian).
    """

    value: np.ndarray
    error: np.ndarray
    nfev: int
    step: np.ndarray
    status: str = "ok"


def _point(x) -> np.ndarray:
    try:
        x = np.atleast_1d(np.asarray(x, dtype=float))
    except (TypeError, ValueError) as exc:
        raise InputError(f"x must be an array of real numbers; got {x!r}") from exc
    if x.ndim != 1 or x.size == 0:
        raise InputError(f"x must be a non-empty 1-D array; got shape {x.shape}")
    if not np.all(np.isfinite(x)):
        raise InputError(f"x must be finite; got {x.tolist()}")
    return x


def scales(x: np.ndarray) -> list[np.ndarray]:
    """The lengths over which f may vary per variable: ``max(|x_i|, 1)`` and, when some |x_i| < 1, the
    variables' own scale ``|x_i|`` (zeros take the smallest nonzero |x_j| below 1, else 1; subnormal and
    tiny coordinates are floored at 1e-100, below which powers of the step underflow)."""
    ax = np.abs(x)
    unit = np.maximum(ax, 1.0)
    small = ax[(ax > 0) & (ax < 1)]
    if small.size == 0:
        return [unit]
    own = np.where(ax > 0, np.minimum(ax, 1.0), max(float(small.min()), 1e-100))
    own = np.maximum(own, 1e-100)
    return [unit] if np.array_equal(own, unit) else [unit, own]


def _forced(x: np.ndarray, step) -> np.ndarray:
    bad_step = f"step must be a positive float or {x.size} positive floats; got {step!r}"
    try:
        h0 = np.array(np.broadcast_to(np.asarray(step, dtype=float), x.shape))
    except (TypeError, ValueError) as exc:
        raise InputError(bad_step) from exc
    if not np.all(np.isfinite(h0) & (h0 > 0)):
        raise InputError(bad_step)
    return h0


def _derive(fun: Callable, x, scheme: str, step, order: int, noise: float = 0.0) -> tuple:
    """The derivative entries at the candidate scales, domain-edge retries included; ``noise`` (real
    schemes): a known bound on one value's error, a floor under the noise level of every pass."""
    check_scheme(scheme)
    x = _point(x)
    h0s = [_forced(x, step)] if step is not None else [optimal_step(x, scheme, order, s) for s in scales(x)]
    steps = [representable(x, h0, step is None) for h0 in h0s]
    cplx = scheme == "complex-step"  # always measured: see fd_refine.refine, *Noise*
    known = 0.0 if cplx or not np.isfinite(noise) else float(noise) / NOISE_FACTOR
    passes, nfev, floors = evaluate(fun, x, steps, scheme, order, tables=cplx, known=known)
    value, error, pick = choose(passes)
    used = sorted(set(pick[pick >= 0].tolist()))
    chosen = steps[used[0]][0] if used else steps[-1][0]
    notes = [steps[k][1] for k in used if steps[k][1]]
    status = next((q.status for q in reversed(passes) if q.status != "ok"), "ok")
    h, filled = steps[-1][0], False
    for _ in range(SHRINK_TRIES if step is None else 0):
        if np.all(np.isfinite(value) & np.isfinite(error)):
            break
        h = h / SHRINK
        retry = [representable(x, h, True)]
        [again], m, _ = evaluate(fun, x, retry, scheme, order, known=known)
        nfev, status = nfev + m, again.status
        fill = ~np.isfinite(value + error) & np.isfinite(again.value) & np.isfinite(again.error)
        value, error = np.where(fill, again.value, value), np.where(fill, again.error, error)
        if np.any(fill):
            chosen, notes, filled = retry[0][0], notes + ([retry[0][1]] if retry[0][1] else []), True
    if np.all(np.isfinite(value) & np.isfinite(error)):
        status = "; ".join(dict.fromkeys(notes)) or "ok"
        if step is None:  # (entries filled near a domain edge keep their pass: no rescoring of the first)
            value, error, chosen, m = refine(fun, x, scheme, order, [] if filled else passes, pick,
                                             value, error, chosen,
                                             np.array([q.trunc for q in passes])[np.maximum(pick, 0),
                                                                                 np.arange(pick.size)],
                                             floors if cplx and not filled else None, known)
            nfev += m
    return value, error, nfev, chosen, status


def _complex_gradient(fun: Callable, x, step) -> FDResult:
    """The complex-step gradient (``fd_complex``) at the forced or default imaginary step."""
    x = _point(x)
    t = _forced(x, step) if step is not None else optimal_step(x, "complex-step", 1)
    value, error, nfev, status = complex_gradient(fun, x, t)
    return FDResult(value, error, nfev, t, status)


def gradient(fun: Callable[[np.ndarray], np.ndarray], x: np.ndarray, scheme: str = "central",
             step: float | np.ndarray | None = None, noise: float = 0.0) -> FDResult:
    """Gradient of a batch-vectorized ``fun`` ((m, n) -> (m,)) at x, all probes in one call.

    ``step`` (float or (n,)) forces the step; None takes ``optimal_step`` at each candidate scale. The
    probes at twice the step that measure the truncation error are counted in ``nfev`` (per scale --
    central: 4n, forward/backward: 2n+1, five-point: 6n, Richardson: 10n; complex step: 2n, and 3n
    (n = 1: 2) measuring its rounding sensitivity), and so are the noise tables of ``fd_noise`` where
    they are paid (see ``fd_refine.refine`` and ``fd_complex``). ``noise``: a bound on the error of one
    value of f near x where the caller knows one (an expression's running error bound), which no probe
    of a black box shows where f's intermediates round at their own size and x is 0.
    """
    check_scheme(scheme)
    if scheme == "complex-step":
        return _complex_gradient(fun, x, step)
    value, error, nfev, h, status = _derive(fun, x, scheme, step, 1, noise)
    return FDResult(value, error, nfev, h, status)


def hessian(fun: Callable[[np.ndarray], np.ndarray], x: np.ndarray, scheme: str = "central",
            step: float | np.ndarray | None = None, noise: float = 0.0) -> FDResult:
    """Symmetric Hessian of a batch-vectorized ``fun`` at x, all probes in one call.

    Diagonal entries use the scheme's second-derivative stencil, off-diagonal ones the tensor product
    of its first-derivative stencil (4 probes per pair for central, 16 for five-point); only i <= j is
    computed. Complex step: ``d/dx_j Im f(x + i t e_i + d e_j) / t`` by the five-point stencil in d.
    """
    value, error, nfev, h, status = _derive(fun, x, scheme, step, 2, noise)
    n = h.size
    upper = np.triu_indices(n)
    H, Herr = np.empty((n, n)), np.empty((n, n))
    H[upper], H.T[upper], Herr[upper], Herr.T[upper] = value, value, error, error
    return FDResult(H, Herr, nfev, h, status)
