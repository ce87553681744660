"""``assert_methods_agree``: do several differentiation methods give the same derivative at a point?

For users' own (Hypothesis) tests.  The tolerance between two methods is built from what each method
says about itself rather than one global number: entry by entry,

    |a - b| <= err_a + err_b + rtol * max(|a|, |b|, scale)

where ``err_a`` is method a's own absolute error estimate (``Estimate.error_estimate``: a few ulps for
the exact methods, the measured truncation plus rounding bound for finite differences) and ``scale`` is
the running rounding-error scale of the exact derivative at the point (``fuzz_domain.rounding_scale``):
why the scale -- a derivative that is a small difference of large terms (``cos(x) - 1`` near 0) carries
rounding of the size of the terms in every method that evaluates in doubles, so the relative slack
``rtol`` is taken against the terms, not against the small result.

>>> import difflab as dl
>>> from difflab.testing.agreement import assert_methods_agree
>>> estimates = assert_methods_agree(dl.Function("exp(x)*sin(y)"), [1.0, 2.0])
>>> sorted(estimates)
['complex-step', 'forward', 'reverse', 'richardson', 'symbolic']
>>> agree = assert_methods_agree(dl.Function("x**3"), [1.0], methods=("symbolic", "fd-forward"), rtol=0.0)
>>> agree["fd-forward"].ok
True
>>> assert_methods_agree(dl.Function("log(x)"), [-1.0])  # doctest: +ELLIPSIS
Traceback (most recent call last):
AssertionError: symbolic: f is not finite at x=-1 (f = nan): outside the domain or at a pole; ...
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from difflab.methods import registry
from difflab.methods.symbolic import gradient_exprs, hessian_exprs
from difflab.result import Estimate
from difflab.testing.domain import rounding_scale

DEFAULT_METHODS = ("symbolic", "forward", "reverse", "complex-step", "richardson")


@dataclass(frozen=True)
class Disagreement:
    """The worst pair of methods: entry, both values, the allowed and the actual difference."""

    first: str
    second: str
    index: tuple[int, ...]
    values: tuple[float, float]
    difference: float
    tolerance: float

    def __str__(self) -> str:
        a, b = self.values
        return (f"{self.first} and {self.second} disagree at entry {list(self.index)}: {a!r} vs {b!r} "
                f"(difference {self.difference:.3g} > tolerance {self.tolerance:.3g})")


def derivative_scale(f: registry.Function, x: np.ndarray, order: int) -> np.ndarray:
    """Rounding scale of each exact derivative entry at x (0 when f has no expression to inspect)."""
    shape = (f.n,) if order == 1 else (f.n, f.n)
    if f.expr is None:
        return np.zeros(shape)

    exprs = gradient_exprs(f) if order == 1 else [e for row in hessian_exprs(f) for e in row]
    scale = np.array(rounding_scale(exprs, f.symbols, x)).reshape(shape)
    return np.where(np.isfinite(scale), scale, 0.0)  # no scale: judge against the values alone (stricter)


def disagreements(estimates: dict[str, Estimate], scale: np.ndarray, rtol: float) -> list[Disagreement]:
    """Every pair of estimates that differs beyond the tolerance, worst entry per pair."""
    out = []
    names = list(estimates)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            ea, eb = estimates[a], estimates[b]
            va, vb = np.asarray(ea.value, float), np.asarray(eb.value, float)
            err_a = np.zeros_like(va) if ea.error_estimate is None else ea.error_estimate
            err_b = np.zeros_like(vb) if eb.error_estimate is None else eb.error_estimate
            with np.errstate(all="ignore"):
                diff = np.abs(va - vb)
                tol = err_a + err_b + rtol * np.maximum(np.maximum(np.abs(va), np.abs(vb)), scale)
                excess = np.where(np.isfinite(diff), diff - tol, np.inf)
            excess = np.where(va == vb, -np.inf, excess)
            k = np.unravel_index(int(np.argmax(excess)), va.shape)
            if excess[k] > 0:
                out.append(Disagreement(a, b, tuple(int(j) for j in k), (float(va[k]), float(vb[k])),
                                        float(diff[k]), float(tol[k])))
    return out


def assert_methods_agree(f: Any, x: Any, methods: Sequence[str] = DEFAULT_METHODS, *,
                         rtol: float = 1e-12, order: int = 1) -> dict[str, Estimate]:
    """Raise ``AssertionError`` unless every pair of ``methods`` agrees at ``x``; return the estimates.

    ``order`` 1 compares gradients, 2 Hessians.  A method whose ``status`` is not ``"ok"`` (a pole,
    a point outside the domain) fails the assertion with its own words.
    """
    if order not in (1, 2):
        raise registry.InputError(f"order must be 1 or 2, not {order}")
    f = registry.as_function(f)
    point = f.point(x)
    run = registry.gradient if order == 1 else registry.hessian
    estimates = {name: run(f, point, method=name) for name in methods}
    trouble = [f"{name}: {e.status}" for name, e in estimates.items() if not e.ok]
    if trouble:
        raise AssertionError("; ".join(trouble))
    scale = derivative_scale(f, point, order) if rtol else np.zeros(())
    bad = disagreements(estimates, scale, rtol)
    if bad:
        where = ", ".join(f"{v}={float(p)!r}" for v, p in zip(f.variables, point, strict=True))
        raise AssertionError(f"{f.text} at {where}: " + "; ".join(str(d) for d in bad))
    return estimates
