"""Finite differences with exact stencils, principled steps and an honest error estimate per entry.

* **Exact stencils.** ``stencil`` solves the Vandermonde moment system in ``Fraction`` arithmetic, so
  a centre weight of -5/2 is exactly that (a float solve leaves residues like -2.4e-16 that multiply
  |f| and cost digits); weights become floats only when they multiply function values.
* **Steps.** For weights ``w`` (``S = sum|w|``), truncation ``C h**p f^(p+k)`` of a k-th derivative,
  the error ``eps*S*|f|/h**k + |C|*h**p*|f^(p+k)|`` with ``|f^(m)| ~ |f|/typ**m`` is minimal at the
  textbook ``typ * (k*eps*S/(p*|C|))**(1/(p+k))`` (``(3 eps)**(1/3)`` for central), where
  ``typ = max(|x_i|, 1)`` (absolute step at x = 0). For Richardson's order-8 stencil that model is
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
  difference along each line of probes if larger (catches cancellation inside f; capped at 30
  times the model, beyond which the difference is the smooth part, not noise). Summed with the
  effective weights of the reported value, it enters with the factor ``1 + 4*kappa``: the noise
  in D(h) - D(2h) cannot hide truncation.
* **Complex step** ``Im f(x + i t e_i)/t`` has no subtractive cancellation, so ``t = 1e-100 * typ``
  is exact to rounding; a second probe at 3t (not 2t, which would repeat every rounding) measures
  that rounding. The Hessian applies it in x_i and the five-point stencil in x_j to the gradient
  values: error O(d**4) + eps/d, estimated as above.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from functools import cache
from math import factorial

import numpy as np

from difflab.errors import InputError

SCHEMES = ("forward", "backward", "central", "five-point", "complex-step", "richardson")
EPS = float(np.finfo(float).eps)
ROUND_ULPS = 1.0  # evaluation error of one real probe, in units of eps * (|f| + sum |x_j g_j|)
COMPLEX_ULPS = 2.0  # the same for Im f / t, in units of eps * (|Im f / t| + |Re f| / typ)
NOISE_FACTOR = 2.0  # measured noise level (``_noise``) -> bound on the error of one probe value
NOISE_CAP = 30.0  # measured noise is trusted up to 30 times the ulp model (beyond: smooth part)
UNDERFLOW_ULPS = 8.0  # intermediate imaginary parts that may each lose up to the smallest normal number
TINY = float(np.finfo(float).tiny)
COND_ULPS = 4.0  # complex step: rounding of f's real intermediates, in units of eps * |sum_j x_j dD/dx_j|
COND_REL = 2.0**-27  # relative shift of x that measures that sensitivity (linear regime, above the noise)
COMPLEX_STEP = 1e-100  # relative imaginary step: h**2 f'''/6 vanishes unless |f'''/f'| > 1e180
RICHARDSON_STEPS = (5, 4, 3, 2, 1)  # central differences at k*h: value (order 8) from 1..4, check 2..5
_RICHARDSON_KAPPA = Fraction(1, 24)  # |C_value| / |C_value - C_check| = 1 / (5**2 - 1)

_FIRST = {"forward": (0, 1), "backward": (0, -1), "central": (-1, 1), "five-point": (-2, -1, 0, 1, 2),
          "richardson": (-1, 1), "complex-step": (-2, -1, 0, 1, 2)}
_SECOND = {"forward": (0, 1, 2), "backward": (0, -1, -2), "central": (-1, 0, 1),
           "five-point": (-2, -1, 0, 1, 2), "richardson": (-1, 0, 1)}


@dataclass(frozen=True)
class FDResult:
    """A finite-difference gradient (n,) or Hessian (n, n) with its absolute error estimate per entry.

    ``nfev`` counts the probe points evaluated (including those used only for the error estimate);
    ``step`` is the step per variable (the smallest one for Richardson, the imaginary one for a
    complex-step gradient, the real one for a complex-step Hessian).
    """

    value: np.ndarray
    error: np.ndarray
    nfev: int
    step: np.ndarray
    status: str = "ok"


def _check_scheme(scheme: str) -> None:
    if scheme not in SCHEMES:
        raise InputError(f"unknown finite-difference scheme {scheme!r}; choose one of: {', '.join(SCHEMES)}")


@cache
def _solve_weights(d: int, offsets: tuple[Fraction, ...]) -> tuple[Fraction, ...]:
    m = len(offsets)
    rows = [[o**k for o in offsets] + [Fraction(factorial(d) if k == d else 0)] for k in range(m)]
    for col in range(m):  # Gauss-Jordan in exact arithmetic; Vandermonde with distinct nodes is regular
        piv = next(r for r in range(col, m) if rows[r][col] != 0)
        rows[col], rows[piv] = rows[piv], rows[col]
        rows[col] = [v / rows[col][col] for v in rows[col]]
        for r in range(m):
            if r != col and rows[r][col] != 0:
                rows[r] = [a - rows[r][col] * b for a, b in zip(rows[r], rows[col], strict=True)]
    return tuple(rows[j][m] for j in range(m))


def stencil(derivative_order: int, offsets: Sequence[int | float | Fraction]) -> tuple[Fraction, ...]:
    """Exact weights w with f^(d)(x) ~ h**-d * sum_j w_j f(x + o_j h) of the highest possible order.

    Solves ``sum_j w_j o_j**k = k! [k == d]`` for k = 0..m-1 in rational arithmetic (floats convert
    exactly), e.g. ``stencil(2, (-1, 0, 1)) == (1, -2, 1)``.
    """
    if isinstance(derivative_order, bool) or not isinstance(derivative_order, int) or derivative_order < 0:
        raise InputError(f"derivative order must be a non-negative integer; got {derivative_order!r}")
    try:
        offs = tuple(Fraction(o) for o in offsets)
    except (TypeError, ValueError) as exc:
        raise InputError(f"stencil offsets must be finite rational numbers; got {offsets!r}") from exc
    if len(set(offs)) != len(offs):
        raise InputError(f"stencil offsets must be distinct; got {[str(o) for o in offs]}")
    if len(offs) <= derivative_order:
        raise InputError(f"a derivative of order {derivative_order} needs at least {derivative_order + 1} "
                         f"offsets; got {len(offs)}")
    return _solve_weights(derivative_order, offs)


def _truncation(d: int, offsets: tuple[int, ...]) -> tuple[int, Fraction, Fraction]:
    """(order p, leading coefficient C, S = sum|w|): D(h) - f^(d) ~ C h**p f^(d+p)."""
    w = stencil(d, offsets)
    for m in range(d + 1, len(offsets) + 4):
        c = sum((wj * Fraction(o) ** m for wj, o in zip(w, offsets, strict=True)), Fraction(0)) / factorial(m)
        if c != 0:
            return m - d, c, sum((abs(v) for v in w), Fraction(0))
    raise AssertionError("a stencil with finitely many points has a nonzero truncation moment")


def optimal_step(x: np.ndarray, scheme: str, order: int = 1) -> np.ndarray:
    """The theoretical step per variable, scaled to ``max(|x_i|, 1)`` (see the module docstring).

    ``order`` is 1 for gradients and 2 for Hessians. The model's derivative sizes are a guess, which is
    why the error estimate is measured rather than taken from it. Richardson: its smallest step h (the
    model on its effective 9-point stencil, Cauchy-scaled); complex step: the tiny imaginary step for
    gradients, the real five-point step for Hessians.
    """
    _check_scheme(scheme)
    if order not in (1, 2):
        raise InputError(f"derivative order must be 1 (gradient) or 2 (Hessian); got {order!r}")
    typ = np.maximum(np.abs(np.asarray(x, dtype=float)), 1.0)
    if scheme == "complex-step" and order == 1:
        return COMPLEX_STEP * typ
    k = 1 if scheme == "complex-step" else order
    offsets = _FIRST[scheme] if k == 1 else _SECOND[scheme]
    if scheme == "richardson":  # the effective stencil of its value: offsets -4..4
        offsets = tuple(o for o in range(-RICHARDSON_STEPS[1], RICHARDSON_STEPS[1] + 1) if o or k == 2)
    p, c, s = _truncation(k, offsets)
    growth = factorial(p + k) if scheme == "richardson" else 1
    return float(k * EPS * s / (p * abs(c) * growth)) ** (1.0 / (p + k)) * typ


class _Plan:
    """Deduplicated probe points and the linear functionals mapping their values to derivatives.

    A probe key is ``((imag_dir, imag_mult), ((i, k), ...))``: the point x + sum k*h_i*e_i (k integer,
    so k*h_i is exact) plus ``i*imag_mult*t_dir`` in one direction for complex steps. A term
    ``(group, entry, probe, weight)`` contributes ``weight * value(probe) / den[group, entry]``.
    """

    def __init__(self, ngroups: int, nentries: int):
        self.keys: dict[tuple, int] = {}
        self.terms: list[tuple[int, int, int, float]] = []
        self.aux: list[tuple[int, int, float]] = []  # (variable, probe, weight/h): a gradient for |x g|
        self.den = np.ones((ngroups, nentries))

    def probe(self, real: Sequence[tuple[int, int]], imag: tuple[int, int] = (-1, 0)) -> int:
        key = (imag, tuple(sorted((i, k) for i, k in real if k != 0)))
        return self.keys.setdefault(key, len(self.keys))

    def line(self, g: int, e: int, i: int, d: int, offsets: tuple[int, ...], mult: int,
             imag: tuple[int, int] = (-1, 0)) -> None:
        for o, w in zip(offsets, stencil(d, offsets), strict=True):
            if w:
                self.terms.append((g, e, self.probe([(i, o * mult)], imag), float(w)))

    def cross(self, g: int, e: int, i: int, j: int, offsets: tuple[int, ...], mult: int) -> None:
        w1 = stencil(1, offsets)
        for a, wa in zip(offsets, w1, strict=True):
            for b, wb in zip(offsets, w1, strict=True):
                if wa and wb:
                    self.terms.append((g, e, self.probe([(i, a * mult), (j, b * mult)]), float(wa * wb)))


def _prepare(x, scheme: str, step, order: int) -> tuple[np.ndarray, np.ndarray, str]:
    """Validate x and step; return x, the representable step per variable, and a note (or "")."""
    _check_scheme(scheme)
    try:
        x = np.atleast_1d(np.asarray(x, dtype=float))
    except (TypeError, ValueError) as exc:
        raise InputError(f"x must be an array of real numbers; got {x!r}") from exc
    if x.ndim != 1 or x.size == 0:
        raise InputError(f"x must be a non-empty 1-D array; got shape {x.shape}")
    if not np.all(np.isfinite(x)):
        raise InputError(f"x must be finite; got {x.tolist()}")
    if step is None:  # default steps keep 32 significant bits: k*h is exact for every multiple k <= 5
        mant, expo = np.frexp(optimal_step(x, scheme, order))
        h0 = np.ldexp(np.round(mant * 2.0**32) / 2.0**32, expo)
    else:
        bad_step = f"step must be a positive float or {x.size} positive floats; got {step!r}"
        try:
            h0 = np.array(np.broadcast_to(np.asarray(step, dtype=float), x.shape))
        except (TypeError, ValueError) as exc:
            raise InputError(bad_step) from exc
        if not np.all(np.isfinite(h0) & (h0 > 0)):
            raise InputError(bad_step)
    if scheme == "complex-step" and order == 1:
        return x, h0, ""  # the imaginary step needs no representability trick
    h = (x + h0) - x  # the exact spacing of x and the representable probe x + h; forced steps as given
    note = ""
    if np.any(h == 0):
        i = int(np.argmax(h == 0))
        h = np.where(h == 0, (x + np.spacing(np.abs(x))) - x, h)
        note = (f"step for x_{i + 1} raised from {float(h0[i])!r} to {float(h[i])!r}, the float "
                f"spacing at x_{i + 1} = {float(x[i])!r}")
    return x, h, note


def _describe(key: tuple, x: np.ndarray, h: np.ndarray, t: np.ndarray | None) -> str:
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


def _neville(rows: list, exact: bool = False) -> tuple:
    """Richardson extrapolation in h**2 to 0 of rows at steps ``RICHARDSON_STEPS`` (Neville's table).

    Returns the order-8 value from the four smallest steps and the same from the four largest. With
    ``exact`` (rows = exact unit vectors) these are the effective weights of the rows.
    """
    col, steps = list(rows), RICHARDSON_STEPS
    for m in range(1, len(rows) - 1):
        dens = [Fraction(steps[j], steps[j + m]) ** 2 - 1 for j in range(len(col) - 1)]
        col = [col[j + 1] + (col[j + 1] - col[j]) / (d if exact else float(d)) for j, d in enumerate(dens)]
    return col[-1], col[-2]


def _noise(keys: list, v: np.ndarray, bad: np.ndarray) -> float:
    """Noise of one probe value, measured by the highest difference along each line of probes.

    On a line of m probes ``x + o_k h e_j`` the (m-1)-th difference ``sum w_k v_k`` is
    ``h**(m-1) f^(m-1)`` (tiny at these steps) plus noise; over ``||w||_2`` it is the noise per value
    (Hamming's difference table, More and Wild's ECnoise). It sees what the ulp model cannot:
    cancellation inside f. The largest over all lines is used for every probe.
    """
    lines: dict[tuple, list[tuple[int, int]]] = {}
    for r, (imag, real) in enumerate(keys):
        if len(real) == 1:
            lines.setdefault((imag, real[0][0]), []).append((real[0][1], r))
        elif not real:  # complex-step gradient: Im f / t at t and 3t differ by noise alone
            lines.setdefault(((imag[0], 0), -1), []).append((imag[1], r))
    centre = {imag: r for r, (imag, real) in enumerate(keys) if not real}
    level = 0.0
    for (imag, _), pts in lines.items():
        pts = pts + ([(0, centre[imag])] if imag in centre and imag[0] < 0 else [])
        if len(pts) >= (3 if imag[1] or imag[0] < 0 else 2) and not bad[[r for _, r in pts]].any():
            offs, rows = zip(*sorted(pts), strict=True)
            w = np.array([float(c) for c in stencil(len(offs) - 1, offs)])
            level = max(level, float(abs(w @ v[list(rows)]) / np.linalg.norm(w)))
    return level


def _run(fun: Callable, x: np.ndarray, h: np.ndarray, t: np.ndarray | None, plan: _Plan, scheme: str,
         p: np.ndarray, note: str, ratio: float = 2.0) -> tuple[np.ndarray, np.ndarray, int, str]:
    """Evaluate every probe in one call and combine: (value, error, nfev, status) per entry."""
    keys = list(plan.keys)
    m, n = len(keys), x.size
    cplx = scheme == "complex-step"
    X = np.tile(x, (m, 1)).astype(complex if cplx else float)
    idir, imult = np.array([key[0] for key in keys]).T
    for r, (_, real) in enumerate(keys):
        for i, k in real:
            X[r, i] = x[i] + k * h[i]
    if cplx:
        X[np.arange(m), idir] += 1j * imult * t[idir]
    with np.errstate(all="ignore"):
        F = np.asarray(fun(X))
    if F.shape != (m,):
        raise InputError(f"fun must map an (m, n) array to m values; got shape {F.shape} "
                         f"for X of shape {X.shape}")
    ng, ne = plan.den.shape
    if cplx and not np.iscomplexobj(F):
        nan = np.full(ne, np.nan)
        return nan, nan, m, ("the function returned real values for complex input; complex step needs an "
                             "analytic function evaluated in complex arithmetic")
    typ = np.maximum(np.abs(x), 1.0)
    with np.errstate(all="ignore"):
        v = F.imag / (imult * t[idir]) if cplx else F.astype(float)
        base = np.abs(v) + (np.abs(F.real) / typ[idir] if cplx else 0.0)
        bad = ~(np.isfinite(v) & np.isfinite(base))
        v0, base = np.where(bad, 0.0, v), np.where(bad, 0.0, base)
        G, E, P, W = np.array(plan.terms).T
        G, E, P = G.astype(int), E.astype(int), P.astype(int)
        D = np.bincount(G * ne + E, W * v0[P], minlength=ng * ne).reshape(ng, ne) / plan.den
        coef, kappa = np.eye(ng)[0], 1 / (ratio**p - 1)  # kappa = |C(h)| / |C(h) - C(ratio*h)|
        if scheme == "richardson":
            D = np.array(_neville(list(D)))
            units = [np.array([Fraction(int(g == k)) for g in range(ng)], dtype=object) for k in range(ng)]
            coef = np.array([float(c) for c in _neville(units, exact=True)[0]])
            kappa = float(_RICHARDSON_KAPPA)
        value = D[0]
        trunc = 2 * kappa * np.abs(D[0] - D[1]) if ng > 1 else np.zeros(ne)
        fac = 1 + 4 * kappa
        if not cplx:  # rounding of f's intermediates propagates like |x_j g_j|
            g = value
            if plan.aux:  # Hessians: a gradient from the probes already there
                I, Pa, Wa = np.array(plan.aux).T
                I, Pa = I.astype(int), Pa.astype(int)
                g = np.where(np.bincount(I, bad[Pa], n) > 0, np.nan, np.bincount(I, Wa * v0[Pa], n))
            base = base + np.sum(np.abs(x * g)[np.isfinite(g)])
        ulps = COMPLEX_ULPS if cplx else ROUND_ULPS
        model = ulps * EPS * base
        if cplx:  # Im parts below the normal range underflow (2*x*t with x = 1e-303): f' * t lost to ~tiny
            model = model + UNDERFLOW_ULPS * TINY / np.abs(imult * t[idir])
        level = min(_noise(keys, v, bad), NOISE_CAP * model.max())
        noise = np.maximum(model, NOISE_FACTOR * level)
        uniq, inv = np.unique(E * m + P, return_inverse=True)
        weff = np.bincount(inv, coef[G] * W / plan.den[G, E])
        rnd = np.bincount(uniq // m, np.abs(weff) * noise[uniq % m], minlength=ne)
        error = trunc + fac * rnd
    status = note
    if bad.any():
        badt = bad[P]
        value = np.where(np.bincount(E[badt & (coef[G] != 0)], minlength=ne) > 0, np.nan, value)
        error = np.where(np.bincount(E[badt], minlength=ne) > 0, np.nan, error)
        first = int(np.argmax(bad))
        status += ("; " if status else "") + f"probe {_describe(keys[first], x, h, t)} gave {F[first]}"
        if bad.sum() > 1:
            status += f" ({int(bad.sum()) - 1} more of the {m} probes were not finite)"
        status += "; the entries that use it are nan"
    return value, error, m, status or "ok"


def _order(scheme: str, k: int) -> int:
    """Truncation order of the reported value (k = 1: first-derivative stencil, 2: diagonal one)."""
    if scheme == "richardson":
        return 2 * (len(RICHARDSON_STEPS) - 1)
    return _truncation(k, (_FIRST if k == 1 else _SECOND)[scheme])[0]


def _shifted_rows(x: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Complex-step probes of the gradient at two slightly shifted copies of x (see ``gradient``)."""
    n = x.size
    shifted = [x * (1 + COND_REL), x * (1 + COND_REL * (-1.0) ** np.arange(n))]
    X = np.concatenate([np.tile(xs, (n, 1)).astype(complex) for xs in shifted])
    X[np.arange(2 * n), np.tile(np.arange(n), 2)] += 1j * np.tile(t, 2)
    return X


def gradient(fun: Callable[[np.ndarray], np.ndarray], x: np.ndarray, scheme: str = "central",
             step: float | np.ndarray | None = None) -> FDResult:
    """Gradient of a batch-vectorized ``fun`` ((m, n) -> (m,)) at x, all probes in one call.

    ``step`` (float or (n,)) forces the step; None takes ``optimal_step``. The probes at twice the step
    that measure the truncation error are counted in ``nfev`` (central: 4n, forward/backward: 2n+1,
    five-point: 6n, Richardson: 10n, complex step: 4n -- half of them measure its rounding sensitivity).
    """
    x, h, note = _prepare(x, scheme, step, 1)
    n = x.size
    if scheme == "complex-step":
        levels = [1, 3]  # 3t, not 2t: a power of two would repeat every rounding and hide the noise
        plan = _Plan(len(levels), n)
        for g, s in enumerate(levels):
            for i in range(n):
                plan.terms.append((g, i, plan.probe((), (i, s)), 1.0))
        # Im f(x + it)/t has no cancellation of its own, but f's *real* intermediates are rounded (exp(4)
        # to eps), and that reaches the imaginary part like a relative shift of x of about eps: near a
        # zero of cos in sin(exp(2x)) it costs digits. Shifting x by a small relative amount (two sign
        # patterns, so shifts of different coordinates cannot cancel in both) measures that sensitivity,
        # in the same batched call as the other probes.
        extra = _shifted_rows(x, h)
        tail: list[np.ndarray] = []

        def joint(X: np.ndarray) -> np.ndarray:
            F = np.asarray(fun(np.concatenate([X, extra])))
            tail.append(F[len(X):])
            return F[:len(X)]

        value, error, nfev, status = _run(joint, x, np.zeros(n), h, plan, scheme, np.full(n, 2.0), note, 3.0)
        if tail and np.iscomplexobj(tail[0]):
            with np.errstate(all="ignore"):
                D = tail[0].imag.reshape(2, n) / h
                sens = np.max(np.abs(D - value), axis=0) / COND_REL
            error = error + COND_ULPS * EPS * np.where(np.isfinite(sens), sens, 0.0)
        return FDResult(value, error, nfev + len(extra), h, status)
    levels = list(RICHARDSON_STEPS) if scheme == "richardson" else [1, 2]
    plan = _Plan(len(levels), n)
    for g, s in enumerate(levels):
        for i in range(n):
            plan.line(g, i, i, 1, _FIRST[scheme], s)
            plan.den[g, i] = s * h[i]
    p = np.full(n, float(_order(scheme, 1)))
    value, error, nfev, status = _run(fun, x, h, None, plan, scheme, p, note)
    return FDResult(value, error, nfev, h, status)


def hessian(fun: Callable[[np.ndarray], np.ndarray], x: np.ndarray, scheme: str = "central",
            step: float | np.ndarray | None = None) -> FDResult:
    """Symmetric Hessian of a batch-vectorized ``fun`` at x, all probes in one call.

    Diagonal entries use the scheme's second-derivative stencil, off-diagonal ones the tensor product
    of its first-derivative stencil (4 probes per pair for central, 16 for five-point); only i <= j is
    computed. Complex step: ``d/dx_j Im f(x + i t e_i + d e_j) / t`` by the five-point stencil in d.
    """
    x, h, note = _prepare(x, scheme, step, 2)
    n = x.size
    upper = np.triu_indices(n)
    pairs = list(zip(*upper, strict=True))
    levels = list(RICHARDSON_STEPS) if scheme == "richardson" else [1, 2]
    plan = _Plan(len(levels), len(pairs))
    t = None
    if scheme == "complex-step":
        t = COMPLEX_STEP * np.maximum(np.abs(x), 1.0)
        for g, s in enumerate(levels):
            for e, (i, j) in enumerate(pairs):
                plan.line(g, e, j, 1, _FIRST[scheme], s, imag=(i, 1))
                plan.den[g, e] = s * h[j]
        p = np.full(len(pairs), float(_truncation(1, _FIRST[scheme])[0]))
    else:
        for g, s in enumerate(levels):
            for e, (i, j) in enumerate(pairs):
                if i == j:
                    plan.line(g, e, i, 2, _SECOND[scheme], s)
                else:
                    plan.cross(g, e, i, j, _FIRST[scheme], s)
                plan.den[g, e] = s * s * h[i] * h[j]
        for i in range(n):
            for o, w in zip(_FIRST[scheme], stencil(1, _FIRST[scheme]), strict=True):
                if w:
                    plan.aux.append((i, plan.probe([(i, o)]), float(w) / h[i]))
        p1, p2 = float(_order(scheme, 1)), float(_order(scheme, 2))
        p = np.array([p2 if i == j else p1 for i, j in pairs])
    value, error, nfev, status = _run(fun, x, h, t, plan, scheme, p, note)
    H, Herr = np.empty((n, n)), np.empty((n, n))
    H[upper], H.T[upper], Herr[upper], Herr.T[upper] = value, value, error, error
    return FDResult(H, Herr, nfev, h, status)
