"""``gradcheck`` / ``assert_gradient``: is a hand-written gradient of Python code right?

    report = dl.gradcheck(loss, loss_grad, params, args=(X, y))
    dl.testing.assert_gradient(loss, loss_grad, params, args=(X, y))     # pytest-friendly

Why not "compare with central differences at rtol=1e-5" like most checkers: a fixed tolerance is too
loose where a bug is small in absolute terms and too tight where differences are noisy. Measured on the
issue's example, a sigmoid derivative written ``s*(1+s)`` passes every such checker at points with
x <= -9 because ``s`` is tiny there, although its relative error is ``2s`` -- enormous next to
rounding. So here:

* **Reference.** Exact where possible: reverse mode (the code runs on ``difflab.numpy``), else the
  complex step (plain NumPy code that is analytic runs in complex arithmetic), else Richardson
  extrapolated central differences with their own error estimate. An exact reference is accepted only
  after it agrees with a central difference along two random directions (within that difference's
  error estimate): ``abs`` under a complex step, or plain NumPy fed tape nodes, fall through to the next.
* **Tolerance per entry** from error estimates: the reference's estimate (twice), the rounding noise
  of the reference and of the claimed gradient (how much each jumps when x moves by tiny amounts:
  ``log(1 - sigmoid(30))`` loses digits in any code, ``1 - tanh(10)**2`` loses digits in a correct
  formula), ``128 eps`` relative and ``8 eps`` of the largest entry absolute. Nothing else is
  forgiven; points where the tolerance is looser than 1e-6 relative are named in the notes.
* **Points.** The given point, two random points near it and two saturated points (coordinates near
  -10 and +10, where sigmoid/tanh derivatives are tiny and relative errors show); points where the
  function is not finite are skipped and listed.
* **Report.** Per entry: point, index, claimed, reference, relative error ``|a-b|/max(|a|,|b|)``, worst
  first, compact ("3 mismatches of 40 entries at 5 points, showing 3"), and which points were tried.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from difflab.engines import finite_diff, pytree, reverse
from difflab.errors import DifflabError, InputError
from difflab.testing.gradcheck_report import GradcheckReport, Mismatch, short_point

EPS = float(np.finfo(float).eps)
REL_ULPS = 128.0          # relative slack for a correct formula evaluated differently (~2.8e-14)
ABS_ULPS = 8.0            # absolute slack, in eps of the largest gradient entry at the point
SATURATION = 10.0         # |coordinate| of the saturated probes
DIRECTIONS = 2            # random directions for accepting an exact reference
JITTER_SCALES = (2.0**-30, 2.0**-18)


class _Problem:
    """The user's fn and grad_fn seen as functions of one flat float vector."""

    def __init__(self, fn: Callable, grad_fn: Callable, x: Any, args: Sequence[Any]):
        self.fn, self.grad_fn, self.args = fn, grad_fn, tuple(args)
        try:
            self.x, self.unravel = pytree.ravel(x)
        except (TypeError, ValueError):
            raise InputError(f"x must be an array, a number or a list/tuple/dict of arrays, not "
                             f"{type(x).__name__}") from None
        if self.x.size == 0:
            raise InputError("x has no entries")
        if not np.all(np.isfinite(self.x)):
            raise InputError("x must be finite")
        self.labels = _labels(x)

    def value(self, v: np.ndarray) -> complex | float:
        out = np.asarray(self.fn(self.unravel(v), *self.args))
        if out.size != 1:
            raise InputError(f"fn must return a scalar; it returned shape {out.shape}")
        return out.reshape(()).item()

    def claimed(self, v: np.ndarray) -> np.ndarray:
        out = self.grad_fn(self.unravel(v), *self.args)
        try:
            flat, _ = pytree.ravel(out)
        except (TypeError, ValueError):
            raise InputError(f"grad_fn returned {type(out).__name__}, not arrays shaped like x") from None
        if flat.size != self.x.size:
            raise InputError(f"grad_fn returned {flat.size} values; x has {self.x.size}")
        return flat

    def batch(self, X: np.ndarray) -> np.ndarray:
        return np.array([self.value(row) for row in np.asarray(X)])


def _labels(x: Any) -> list[str]:
    """A name per flat entry: "[3]", "[0, 2]", "W[0, 2]", "[1][4]"."""
    out: list[str] = []

    def walk(node: Any, prefix: str) -> None:
        if isinstance(node, dict):
            for k in node:
                walk(node[k], f"{prefix}{k}" if not prefix else f"{prefix}[{k!r}]")
        elif isinstance(node, list | tuple):
            for i, c in enumerate(node):
                walk(c, f"{prefix}[{i}]")
        else:
            a = np.asarray(node)
            if a.ndim == 0:
                out.append(prefix or "[0]")
            else:
                out.extend(f"{prefix}[{', '.join(map(str, idx))}]" for idx in np.ndindex(a.shape))

    walk(x, "")
    return out


def _reverse(p: _Problem, v: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    try:
        value, g = reverse.value_and_grad(lambda tree: p.fn(tree, *p.args))(p.unravel(v))
        flat = pytree.ravel(g)[0]
        value = float(np.reshape(np.asarray(getattr(value, "value", value), dtype=float), ()))
    except Exception:  # noqa: BLE001 -- code not written over difflab.numpy: try the next reference
        return None
    expected = float(np.real(p.value(v)))
    if flat.shape != v.shape or not np.all(np.isfinite(flat)) or not np.isclose(value, expected, rtol=1e-12):
        return None
    return flat, np.zeros_like(flat), np.ones_like(flat)


def _finite_diff(p: _Problem, v: np.ndarray, scheme: str) -> tuple[np.ndarray, np.ndarray] | None:
    try:
        with np.errstate(all="ignore"):
            r = finite_diff.gradient(p.batch, v, scheme)
    except Exception:  # noqa: BLE001 -- e.g. code that refuses complex input
        return None
    if r.status != "ok" or not np.all(np.isfinite(r.value)) or not np.all(np.isfinite(r.error)):
        return None
    return np.asarray(r.value, dtype=float), np.asarray(r.error, dtype=float), np.asarray(r.step, dtype=float)


def _directions_agree(p: _Problem, v: np.ndarray, g: np.ndarray, rng: np.random.Generator) -> bool:
    """Does ``g`` predict the slope along random directions (Richardson, within its own error)?"""
    for _ in range(DIRECTIONS):
        d = rng.standard_normal(v.size)
        d /= np.linalg.norm(d)

        def line(T, d=d):
            return p.batch(v[None, :] + np.asarray(T)[:, :1] * d[None, :])

        with np.errstate(all="ignore"):
            r = finite_diff.gradient(line, np.zeros(1), "richardson")
        slope, err = float(r.value[0]), float(r.error[0])
        if r.status != "ok" or not np.isfinite(slope):
            continue
        predicted = float(g @ d)
        if abs(predicted - slope) > 8 * err + REL_ULPS * EPS * float(np.abs(g) @ np.abs(d)) + 1e-300:
            return False
    return True


def _reference(p: _Problem, v: np.ndarray, rng: np.random.Generator, notes: list[str], vetted: dict):
    """(value, error estimate, noise, method name) of the best reference that passes the direction test.

    Whether the code runs on the tape is a property of the code, so reverse mode is accepted or
    rejected at the first point. When it disagrees with the directional differences at a later point
    after agreeing earlier, the *function* loses digits there (``log(1 - sigmoid(30))`` in double is
    off by 1e-3 relative) and neither reference can be trusted: "noisy", the point is skipped and
    said. The complex step is vetted at every point (``abs`` breaks it only for negative arguments).
    """
    exact = []
    for name, get in (("reverse mode", lambda: _reverse(p, v)),
                      ("complex step", lambda: _finite_diff(p, v, "complex-step"))):
        if vetted.get(name) is False:
            continue
        got = get()
        if got is None:
            continue
        if _directions_agree(p, v, got[0], rng):
            exact.append((name, got))
            if name == "reverse mode":
                vetted[name] = True
            break  # the first exact reference that passes is used; no need to compute the next
        else:
            if vetted.get(name):
                return "noisy"
            if name == "reverse mode":
                vetted[name] = False
            note = f"{name} disagreed with central differences along a random direction and was not used"
            if note not in notes:
                notes.append(note)
    if exact:
        name, (value, error) = exact[0][0], exact[0][1][:2]

        def again(u):
            got = _reverse(p, u) if name == "reverse mode" else _finite_diff(p, u, "complex-step")
            return got[0] if got is not None else np.full_like(value, np.nan)

        return value, error, _jitter(again, v, value, rng), name
    got = _finite_diff(p, v, "richardson")
    if got is None:
        return None
    noise = _value_noise(p, v, rng) / got[2]
    return got[0], got[1] + noise, np.zeros_like(got[0]), "Richardson central differences"


def _value_noise(p: _Problem, v: np.ndarray, rng: np.random.Generator) -> float:
    """Rounding noise of fn itself near v (differences cannot be more accurate than noise / step).

    Why: ``log(1 - sigmoid(30))`` in double carries a relative error near 1e-3; finite differences of
    such a function are that noisy, and their tolerance must say so rather than blame the gradient.
    """
    return float(_jitter(lambda u: np.real(p.value(u)), v, np.real(p.value(v)), rng))


def _claimed_noise(p: _Problem, v: np.ndarray, claimed: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The claimed gradient's own rounding noise: second differences under tiny moves of x.

    Why: a correct formula can lose digits by itself (``s*(1 - s)`` at s = 1 - 2e-5 has a relative
    error near 1e-11 from ``1 - s``); that is rounding, not a wrong derivative. Tiny moves of x cross
    rounding boundaries, and the symmetric second difference
    ``(c(x+d) + c(x-d))/2 - c(x)`` cancels the smooth change, so what remains is the jumping of the
    rounding. A wrong derivative (``s*(1 + s)``) does not jump.
    """
    return _jitter(p.claimed, v, claimed, rng)


def _jitter(fun: Callable, v: np.ndarray, at_v: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Rounding noise of ``fun`` near v: residuals of a quadratic fit along a line through v.

    ``fun`` is evaluated at v + t*d for t = -3..3 and d a random sign vector of relative size 2**-30
    and 2**-18; a quadratic in t absorbs the smooth change, so what is left is the jumping of the
    rounding (doubled: residuals understate it). Two scales: an intermediate value that barely moves
    with x (tanh(10) moves 1e-9 as fast as x) only crosses rounding boundaries under the larger move;
    the smooth part left there (cubic term) is ~1e-11 relative, far below any wrong derivative.
    """
    at_v = np.asarray(at_v, dtype=float)
    t = np.arange(-3.0, 4.0)
    basis = np.vander(t, 3)
    spread = np.zeros_like(at_v)
    for scale in JITTER_SCALES:
        d = (np.abs(v) + 1) * scale * rng.choice([-1.0, 1.0], v.size)
        with np.errstate(all="ignore"):
            rows = [at_v if k == 0 else np.asarray(fun(v + k * d), dtype=float) for k in t]
        F = np.reshape(np.array(rows), (len(t), -1))
        if not np.all(np.isfinite(F)):
            continue
        coef = np.linalg.lstsq(basis, F, rcond=None)[0]
        residual = np.max(np.abs(F - basis @ coef), axis=0).reshape(at_v.shape)
        spread = np.maximum(spread, 2 * residual)
    return spread


def _probes(x: np.ndarray, rng: np.random.Generator) -> list[tuple[str, np.ndarray]]:
    near = [("near " + str(k + 1), x + 0.3 * (1 + np.abs(x)) * rng.standard_normal(x.size)) for k in range(2)]
    sat = [(f"saturated {s}", sign * SATURATION * (1 + 0.1 * rng.random(x.size)))
           for s, sign in (("-", -1), ("+", 1))]
    return [("given", x.copy()), *near, *sat]


def gradcheck(fn: Callable, grad_fn: Callable, x: Any, *, args: Sequence[Any] = (),
              points: Sequence[Any] | None = None, probe: bool = True, seed: int = 0,
              max_show: int = 10, raise_on_failure: bool = False) -> GradcheckReport:
    """Compare ``grad_fn(x, *args)`` with the gradient of ``fn(x, *args)`` at x and at probe points.

    ``x`` is a number, an array or a list/tuple/dict of arrays; ``grad_fn`` returns the same shape.
    ``points`` adds points of the same shape; ``probe=False`` checks only the given point(s).
    The report is truthy exactly when the check passed; ``raise_on_failure=True`` raises
    ``AssertionError`` with the per-entry report instead of returning a failed one (as in pytest).
    """
    __tracebackhide__ = True  # a raised failure shows the caller's line and the report, not this frame
    p = _Problem(fn, grad_fn, x, args)
    rng = np.random.default_rng(seed)
    todo = _probes(p.x, rng) if probe else [("given", p.x.copy())]
    for k, extra in enumerate(points or (), 1):
        flat = pytree.ravel(extra)[0]
        if flat.shape != p.x.shape:
            raise InputError(f"point {k} has {flat.size} values; x has {p.x.size}")
        todo.append((f"point {k}", flat))
    compared, refs, skipped, notes, found, vetted = [], [], [], [], [], {}
    entries, worst = 0, 0.0
    for label, v in todo:
        try:
            with np.errstate(all="ignore"):
                value = p.value(v)
        except DifflabError:
            raise
        except Exception as err:  # noqa: BLE001 -- a probe outside what the user's code accepts
            if label == "given":
                raise
            skipped.append(f"{label} {short_point(v)}: fn raised {type(err).__name__}: {err}")
            continue
        if not np.isfinite(value):
            skipped.append(f"{label} {short_point(v)}: fn is not finite there")
            continue
        ref = _reference(p, v, rng, notes, vetted)
        if ref == "noisy":
            skipped.append(f"{label} {short_point(v)}: reverse mode agrees with central differences "
                           "elsewhere but not here: fn loses digits to rounding at this point, so nothing "
                           "here can be checked reliably")
            continue
        if ref is None:
            skipped.append(f"{label} {short_point(v)}: no reference gradient could be computed")
            continue
        g, err, noise, name = ref
        if not np.all(np.isfinite(g)):
            skipped.append(f"{label} {short_point(v)}: the reference gradient is not finite there")
            continue
        try:
            claimed = p.claimed(v)
        except DifflabError:
            raise
        except Exception as err:  # noqa: BLE001
            if label == "given":
                raise
            skipped.append(f"{label} {short_point(v)}: grad_fn raised {type(err).__name__}: {err}")
            continue
        jitter = _claimed_noise(p, v, claimed, rng)
        scale = float(np.max(np.abs(g)))
        tol = (2 * err + 4 * (noise + jitter) + REL_ULPS * EPS * np.maximum(np.abs(g), np.abs(claimed))
               + ABS_ULPS * EPS * scale)
        loose = float(np.max(tol / np.maximum(np.abs(g), 1e-6 * scale + 1e-300)))
        if loose > 1e-6:
            notes.append(f"at {label} the function or the gradients lose digits to rounding; entries there "
                         f"are checked only to {loose:.1e} relative")
        gap = np.abs(claimed - g)
        big = np.maximum(np.abs(claimed), np.abs(g))
        with np.errstate(all="ignore"):
            rel = np.where(big > 0, gap / np.where(big > 0, big, 1.0), 0.0)
        rel = np.where(np.isfinite(claimed), rel, np.inf)
        compared.append((label, v))
        refs.append(name)
        entries += v.size
        worst = max(worst, float(np.max(rel)))
        for i in np.flatnonzero(~(gap <= tol)):
            found.append(Mismatch(label, p.labels[i], float(claimed[i]), float(g[i]), float(rel[i]),
                                  float(tol[i])))
    found.sort(key=lambda m: -m.rel_error)
    ok = bool(compared) and not found
    report = GradcheckReport(ok, tuple(compared), tuple(refs), entries, tuple(found), tuple(skipped),
                             tuple(notes), worst, max_show)
    if raise_on_failure and not ok:
        raise AssertionError(report.text())
    return report


def assert_gradient(fn: Callable, grad_fn: Callable, x: Any, **options: Any) -> GradcheckReport:
    """``gradcheck`` that raises ``AssertionError`` with the report when any entry disagrees."""
    __tracebackhide__ = True  # pytest shows the caller's line and the report, not this frame
    return gradcheck(fn, grad_fn, x, **options, raise_on_failure=True)
