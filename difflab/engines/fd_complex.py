"""The complex-step gradient ``Im f(x + i t e_i) / t`` and its error estimate (see ``finite_diff``).

Im f(x + i t)/t has no subtractive cancellation of its own, but it is computed from f's *real*
intermediates, and their rounding reaches it in two ways the ulp model ``2 eps |Im f / t|`` cannot see:

* **Conditioning**: a rounded intermediate acts like a shift of x of about eps * max(|x|, 1) (exp(4)
  in sin(exp(2x)) near a zero of cos costs digits). Shifting x by COND_REL on that scale (in sign
  patterns so that shifts of different coordinates cannot cancel in all) measures that sensitivity,
  in the same batched call as the other probes.
* **Cancellation between derivative terms**: d/dx (x - sin(x)) = 1 - cos(x) is computed at 1e-3 as a
  difference of numbers near 1, so every gradient value carries ~1e-16 of noise against a value of 5e-7
  (complex step, like forward-mode AD, differentiates the program as written). The shifted probes at
  +COND_REL and -COND_REL give a second difference whose smooth part is COND_REL**2 (~6e-17) times
  ``(x.grad)**2 D``: where it exceeds the estimate it is noise, or f's curvature at that tiny scale,
  and only then is the noise measured by a table (``fd_noise``: 9 values, one more call, real
  spacing a thousandth of the central-difference step) and the values combined again with it.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from difflab.engines.fd_combine import combine
from difflab.engines.fd_noise import measure
from difflab.engines.fd_plan import complex_gradient_plan
from difflab.engines.stencils import COND_REL, COND_ULPS, EPS, optimal_step
from difflab.errors import InputError


def _patterns(n: int) -> np.ndarray:
    """Relative shift patterns: all +, alternating signs (n > 1: the shifts cannot cancel in both), all -."""
    rows = [np.ones(n)] + ([(-1.0) ** np.arange(n)] if n > 1 else []) + [-np.ones(n)]
    return np.array(rows)


def _shifted_rows(x: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Complex-step probes of the gradient at the shifted copies of x, one block of n per pattern."""
    n = x.size
    patterns = _patterns(n)
    # on the scale max(|x|, 1), as the steps: at x = 0 a relative shift is no shift, yet softplus(0)'s
    # rounding of log(2) acts like a shift of x by about eps (log(cosh(..softplus(x)..))**3 at 0: 18 ulps)
    shift = COND_REL * np.maximum(np.abs(x), 1.0)
    X = np.concatenate([np.tile(x + shift * s, (n, 1)).astype(complex) for s in patterns])
    X[np.arange(len(X)), np.tile(np.arange(n), len(patterns))] += 1j * np.tile(t, len(patterns))
    return X


def complex_gradient(fun: Callable, x: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, np.ndarray, int, str]:
    """Im f(x + i t e_i)/t at t and 3t (3t, not 2t: a power of two would repeat every rounding), plus
    the shifted probes: (value, error, nfev, status)."""
    n = x.size
    plan = complex_gradient_plan(n)
    X = plan.points(x, np.zeros(n), t, np.empty((plan.m, n), complex))
    extra = _shifted_rows(x, t)
    with np.errstate(all="ignore"):
        F = np.asarray(fun(np.concatenate([X, extra])))
    if F.shape != (len(X) + len(extra),):
        raise InputError(f"fun must map an (m, n) array to m values; got shape {F.shape} "
                         f"for X of shape {(len(X) + len(extra), n)}")
    nfev, p = len(F), np.full(n, 2.0)
    value, error, status, _, _ = combine(F[:len(X)], x, np.zeros(n), t, plan, "complex-step", p, "", 3.0)
    if not np.iscomplexobj(F):
        return value, error, nfev, status
    with np.errstate(all="ignore"):
        D = F[len(X):].imag.reshape(-1, n) / t
        sens = np.max(np.abs(D - value), axis=0) / COND_REL
        curve = np.abs(D[0] - 2 * value + D[-1]) / np.sqrt(6.0)  # noise per value, or curvature
    cond = COND_ULPS * EPS * np.where(np.isfinite(sens), sens, 0.0)
    if np.any(curve > error + cond):  # read as noise, it would raise the estimate: measure it
        [floor], m = measure(fun, x, [optimal_step(x, "central", 1)], 0.0, t, [0.0])
        nfev += m
        value, error, status, _, _ = combine(F[:len(X)], x, np.zeros(n), t, plan, "complex-step", p, "", 3.0,
                                             floor=floor)
    return value, error + cond, nfev, status
