"""Frozen result objects shared by every method, comparison, report and solver.

One shape for every method is what lets ``compare``, reports and solvers treat a finite difference, an
AD engine and the symbolic route alike: they read ``value``, ``error_estimate``, ``nfev``, ``method`` and
``status`` and never ask which method produced them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Estimate:
    """A derivative (or value) computed by one method.

    ``error_estimate`` is the method's own bound on the absolute error per entry (0 for exact methods
    up to rounding, ``None`` when the method cannot say). ``status`` is ``"ok"`` or a sentence saying
    what went wrong (a pole, a kink, a probe that hit nan) -- never a bare nan without words.
    """

    value: np.ndarray
    error_estimate: np.ndarray | None
    nfev: int
    method: str
    status: str = "ok"
    notes: tuple[str, ...] = ()
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.status == "ok"


@dataclass(frozen=True)
class WorstEntry:
    """The entry with the largest relative error: where it is and both values."""

    index: tuple[int, ...]
    value: float
    reference: float
    rel_error: float


@dataclass(frozen=True)
class MethodRow:
    """One method's line in an ``ErrorTable``."""

    method: str
    estimate: Estimate
    rel_error: np.ndarray          # per entry, against the reference
    max_rel_error: float
    worst: WorstEntry | None
    abs_error: np.ndarray          # per entry
    honest: bool | None            # error_estimate >= actual absolute error (None: no estimate given)


@dataclass(frozen=True)
class ErrorTable:
    """Every method's derivative at one point against the mpmath reference (pure data)."""

    function: str
    variables: tuple[str, ...]
    point: tuple[float, ...]
    order: int                      # 1 = gradient, 2 = Hessian (Jacobian: 1; derivatives: k)
    reference: np.ndarray
    rows: tuple[MethodRow, ...]
    value: float | None = None
    notes: tuple[str, ...] = ()
    kind: str = ""                  # "jacobian" | "derivatives" (f, f', ..., f^(k)); "" = by order

    @property
    def quantity(self) -> str:
        """What was compared: "gradient", "hessian", "jacobian" or "derivatives"."""
        return self.kind or ("gradient" if self.order == 1 else "hessian")

    def row(self, method: str) -> MethodRow:
        for r in self.rows:
            if r.method == method:
                return r
        raise KeyError(method)


@dataclass(frozen=True)
class CheckResult:
    """Verdict on a claimed derivative: does d f / d wrt equal the claim?"""

    holds: bool
    proof: str | None                   # "symbolic" | "numeric" | None when it does not hold
    difference: str                     # simplified truth - claim, as text
    counterexample: dict[str, Any] | None
    detail: str = ""
    steps: tuple[dict[str, Any], ...] = ()


@dataclass(frozen=True)
class SolverResult:
    """What a solver found, and whether it honestly converged (``reason`` says why or why not)."""

    x: np.ndarray
    iterates: tuple[np.ndarray, ...]
    converged: bool
    reason: str
    classification: str | None = None
    method: str = ""
    history: dict[str, list[float]] = field(default_factory=dict)
    nit: int = 0
