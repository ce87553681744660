"""Error versus step size for every finite-difference scheme: the picture behind "which step?".

For each scheme the derivative is taken at relative steps h from 1e-1 down to 1e-16 (the step for
variable i is ``h * max(|x_i|, 1)``, the same scaling ``finite_diff.optimal_step`` uses, so one
relative step means the same thing for every variable) and measured against the mpmath reference.
Large steps lose to truncation (slope h**p: 1 forward/backward, 2 central, 4 five-point, 8 Richardson),
small ones to rounding (slope eps/h**k for a k-th derivative); the minimum sits where they cross.

Why fitted model lines rather than a priori ones: the a priori constants need higher derivatives of f
that nobody has at hand (that is the point of differentiating numerically). Each line has the
theoretical *slope* and a constant fitted (median on a log scale) to the measured errors well away from
the optimum, so the plot shows whether the measurements follow the model, and their crossing is the
"model" optimum. The "theory" optimum is ``finite_diff.optimal_step`` (sqrt(eps), eps**(1/3),
eps**(1/5) times stencil constants), the step the library actually uses by default.

Complex step has no subtractive cancellation: its error falls as h**2 and stays at the rounding floor
for every smaller step, so it has no roundoff line; its theoretical step (1e-100) lies far below the
sweep, which the verdict says in words.

Everything here is pure data (``SweepResult``); reports draw it without computing anything.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from difflab import display as d
from difflab.engines import finite_diff as fd
from difflab.errors import InputError
from difflab.expr.vector import VectorFunction
from difflab.measure import sweep_view
from difflab.measure.comparison import rel_error
from difflab.measure.sweep_probes import (
    Plan,
    check_schemes,
    jacobian_plan,
    orders_plan,
    require_order,
    scalar_plan,
)
from difflab.methods.reference import ReferenceUnavailable
from difflab.methods.registry import as_function
from difflab.singular.notes import no_derivative, notes_at_point

EPS = fd.EPS
PLATEAU = 2.0  # steps whose error is within this factor of the best one form the "good" range
LINE_REACH = 30.0  # a model line is drawn up to this factor past the optimum, into the other side
EXACT = 1e-10  # a flat error below this up to the largest step: the stencil is exact for f
MARGIN = 10.0  # model lines are fitted on steps at least this far from the measured optimum


@dataclass(frozen=True)
class SchemeSweep:
    """One scheme's errors over the steps, its model lines and its optimum (found, model, theory).

    Arrays run over ``steps`` (relative steps, largest first). ``rel_error`` is the worst relative
    error over the entries (nan where a probe failed), ``abs_error`` the worst absolute one,
    ``estimate`` the scheme's own largest error estimate (absolute) at that step. ``truncation`` and
    ``roundoff`` are the fitted model lines over ``steps`` (relative error; nan where the other term
    dominates, beyond LINE_REACH past the optimum), or None when there was nothing to fit or no such term.
    """

    scheme: str
    steps: np.ndarray
    rel_error: np.ndarray
    abs_error: np.ndarray
    estimate: np.ndarray
    nfev: int                          # evaluations per step
    truncation_power: int
    roundoff_power: int | None
    truncation: np.ndarray | None
    roundoff: np.ndarray | None
    best_step: float                   # measured optimum (relative step): middle of the error basin
    best_error: float                  # the error trend there (median of five neighbouring steps)
    good_range: tuple[float, float]    # the basin: smallest and largest step whose trend is within
                                       # PLATEAU of the best
    model_step: float | None           # where the fitted lines cross
    theory_step: float                 # finite_diff.optimal_step / max(|x|, 1)
    default_error: float               # relative error at the library's default step
    verdict: str                       # the comparison of the optima in words
    notes: tuple[str, ...] = ()
    worst_entry: tuple[int, ...] | None = None  # the entry whose error is the curve at the basin middle

    @property
    def lowest(self) -> tuple[float | None, float]:
        """(step, error) of the lowest error actually measured (``best_*`` is the smoothed basin middle)."""
        return sweep_view.lowest(self.rel_error, self.steps)

    def __repr__(self) -> str:
        return (f"SchemeSweep({self.scheme!r}, basin middle {self.best_step:.2g} "
                f"(error {self.best_error:.2g}), theory step {self.theory_step:.2g})")


@dataclass(frozen=True)
class SweepResult:
    """Every scheme's sweep at one point (pure data). ``status`` is "ok" or why there is no sweep."""

    function: str
    variables: tuple[str, ...]
    point: tuple[float, ...]
    order: int
    reference: np.ndarray | None
    schemes: tuple[SchemeSweep, ...]
    status: str = "ok"
    notes: tuple[str, ...] = ()
    kind: str = ""                  # "jacobian", "derivatives" (order = K: the K-th derivative), "" by order

    @property
    def what(self) -> str:
        """What the curves measure, in words."""
        return sweep_view.what(self)

    def scheme(self, name: str) -> SchemeSweep:
        for s in self.schemes:
            if s.scheme == name:
                return s
        raise KeyError(name)

    def __repr__(self) -> str:
        point = ", ".join(f"{k}={d.fmt(v)}" for k, v in zip(self.variables, self.point, strict=True))
        tail = f"{len(self.schemes)} schemes" if self.status == "ok" else self.status
        return f"<SweepResult {self.what} of {self.function} at {point}: {tail}>"

    def __str__(self) -> str:
        return sweep_view.text(self)

    def _repr_html_(self) -> str:
        return sweep_view.html(self)


class _NoFiniteStep(Exception):
    """A scheme whose every step hit a non-finite probe (its sweep is left out, with a note)."""


def default_steps(per_decade: int = 4, largest: float = 1e-1, smallest: float = 1e-16) -> np.ndarray:
    """Relative steps from ``largest`` down to ``smallest``, ``per_decade`` per factor of ten."""
    if isinstance(per_decade, bool) or not isinstance(per_decade, int) or not 1 <= per_decade <= 50:
        raise InputError(f"steps per decade must be an integer from 1 to 50; got {per_decade!r}")
    if not (0 < smallest < largest <= 1):
        raise InputError(f"steps must satisfy 0 < smallest < largest <= 1; got {smallest!r}, {largest!r}")
    decades = np.log10(largest) - np.log10(smallest)
    count = int(round(decades * per_decade)) + 1
    return np.logspace(np.log10(largest), np.log10(smallest), count)


def steps_for(order: int, per_decade: int = 4) -> np.ndarray:
    """The default steps of a sweep: 1e-1..1e-16 for gradients and Hessians (``default_steps``); for the
    K-th derivative (K >= 3) from 1 down to the decade below eps**(1/K), where rounding alone reaches
    100% (below it every scheme returns noise), at twice the density (fewer decades to show)."""
    if order <= 2:
        return default_steps(per_decade)
    default_steps(per_decade)  # the same refusal of a bad density
    return default_steps(min(2 * per_decade, 50), largest=1.0,
                         smallest=10.0 ** np.floor(np.log10(EPS) / order))


def _fit(steps: np.ndarray, err: np.ndarray, power: int, keep: np.ndarray) -> np.ndarray | None:
    """The line c * steps**power with log c the median of log(err / steps**power) over ``keep``."""
    use = keep & np.isfinite(err) & (err > 0)
    if not use.any():
        return None
    logc = float(np.median(np.log(err[use]) - power * np.log(steps[use])))
    return np.exp(logc + power * np.log(steps))


def _trend(err: np.ndarray) -> np.ndarray:
    """Running median of log10 errors over five neighbouring steps (inf where the error is not finite).

    Why a median: below the optimum the error is rounding noise, and one or two lucky steps can land
    100 times under their neighbours; the trend is what a user can rely on, not such an accident.
    An error of exactly 0 is the extreme accident (the rounding errors happened to cancel) and is
    left out; a curve that is 0 everywhere has the trend 0 (log -inf) at every step.
    """
    if not np.any(err > 0):
        return np.where(err == 0, -np.inf, np.inf)
    with np.errstate(divide="ignore", invalid="ignore"):
        logs = np.where(np.isfinite(err) & (err > 0), np.log10(np.where(err > 0, err, 1.0)), np.nan)
    trend = np.full(err.size, np.inf)
    for i in np.flatnonzero(np.isfinite(err)):
        window = logs[max(i - 2, 0):i + 3]
        if np.isfinite(window).any():
            trend[i] = np.median(window[np.isfinite(window)])
    return trend


def _optimum(steps: np.ndarray, err: np.ndarray) -> tuple[int, float, tuple[float, float]]:
    """The measured optimum: the middle of the basin where the error trend is within PLATEAU of its
    minimum, the trend's error level there, and the basin (smallest and largest step).

    Why the middle of the basin, not the smallest point: near the optimum the curve is flat and noisy,
    and which step happens to be lowest is chance; the middle of the flat part is reproducible.
    """
    trend = _trend(err)
    i = int(np.argmin(trend))
    limit = trend[i] + np.log10(PLATEAU)  # -inf stays -inf: an all-zero curve's basin is all of it
    lo = hi = i
    while hi > 0 and trend[hi - 1] <= limit:  # steps run largest first: smaller index = larger step
        hi -= 1
    while lo < steps.size - 1 and trend[lo + 1] <= limit:
        lo += 1
    centre = np.sqrt(steps[lo] * steps[hi])
    k = hi + int(np.argmin(np.abs(np.log(steps[hi:lo + 1] / centre))))
    return k, float(10 ** trend[k]), (float(steps[lo]), float(steps[hi]))


def _verdict(best: float, best_err: float, theory: float, good: tuple[float, float], model: float | None,
             steps: np.ndarray, no_derivative: bool = False) -> str:
    smallest, largest = float(steps[-1]), float(steps[0])
    if no_derivative:
        # No derivative exists here (a kink, a jump): the reference is a convention, so a small error is
        # agreement with that convention, not accuracy, and a large one does not shrink with the step.
        if best_err < EXACT:
            return ("agrees with the reference, but the derivative does not exist here (see the note): a "
                    "symmetric stencil returns the average of the one-sided slopes at every step")
        return (f"the error stays near {best_err:.2g} at every step: the derivative does not exist here "
                "(see the note) and this stencil returns a one-sided slope or a mix of the two")
    model_text = "" if model is None else f"; the fitted model lines cross at {model:.1e}"
    flat = f"the error stays within {PLATEAU:g}x of its best from step {good[1]:.1e} down to {good[0]:.1e}"
    if good[0] == good[1]:
        flat = f"the error is within {PLATEAU:g}x of its best only at step {good[1]:.1e}"
    if theory < smallest:
        return f"theory step {theory:.0e} is below the sweep; {flat}"
    if good[1] == largest and best_err < EXACT:
        return (f"no truncation error visible up to step {largest:.0e} (the stencil is exact or nearly so "
                f"for this function): {flat} (theory step {theory:.1e})")
    if good[1] / good[0] > 100:
        inside = "inside" if good[0] <= theory <= good[1] else "outside"
        return f"{flat} (theory step {theory:.1e} is {inside} that range){model_text}"
    return f"the basin middle {best:.1e} is {best / theory:.2g} x the theoretical {theory:.1e}{model_text}"


def _sweep_scheme(plan: Plan, scheme: str, steps: np.ndarray, no_derivative: bool = False) -> SchemeSweep:
    reference = plan.reference
    rel = np.full(steps.size, np.nan)
    ab = np.full(steps.size, np.nan)
    est = np.full(steps.size, np.nan)
    worst_at: list[tuple[int, ...] | None] = [None] * steps.size
    notes: list[str] = []
    nfev = 0
    for k, h in enumerate(steps):
        value, error, nfev, status = plan.probe(scheme, float(h))
        if not np.all(np.isfinite(value)):
            if not notes:
                notes.append(f"at step {h:.1e}: {status}")
            continue
        if status != "ok" and "raised" in status and not any("raised" in n for n in notes):
            notes.append(f"at step {h:.1e}: {status}")
        errors = rel_error(value, reference)
        rel[k] = float(np.max(errors))
        worst_at[k] = tuple(int(i) for i in np.unravel_index(int(np.argmax(errors)), errors.shape))
        with np.errstate(all="ignore"):
            ab[k] = float(np.max(np.abs(value - reference)))
        est[k] = float(np.max(error))
    p, q = plan.powers(scheme)
    finite = np.isfinite(rel)
    if not finite.any():
        raise _NoFiniteStep(f"{scheme}: no step gave a finite derivative"
                            + (f" ({notes[0]})" if notes else ""))
    ib, best_err, good_range = _optimum(steps, rel)
    best = float(steps[ib])
    trunc = round_ = None
    for margin in (MARGIN, MARGIN**0.5):  # nearer the optimum only when the sweep ends too soon
        trunc = trunc if trunc is not None else _fit(steps, rel, p, (steps >= best * margin) & (rel < 0.1))
        if q is not None and round_ is None:
            round_ = _fit(steps, rel, -q, (steps <= best / margin) & (rel < 0.1))
    model = None
    if trunc is not None and round_ is not None:
        ct, cr = trunc[0] / steps[0] ** p, round_[0] * steps[0] ** q  # c_t h**p + c_r h**-q
        model = float((q * cr / (p * ct)) ** (1.0 / (p + q)))
    # Each line is shown on its own side of the optimum only (nan elsewhere): beyond it the other term
    # dominates and the line would only clutter the plot.
    if trunc is not None:
        trunc = np.where(steps >= best / LINE_REACH, trunc, np.nan)
    if round_ is not None:
        round_ = np.where(steps <= best * LINE_REACH, round_, np.nan)
    theory = plan.theory(scheme)
    default_err = float(np.max(rel_error(plan.probe(scheme, None)[0], reference)))
    verdict = _verdict(best, best_err, theory, good_range, model, steps, no_derivative)
    return SchemeSweep(scheme, steps, rel, ab, est, nfev, p, q, trunc, round_, best, best_err, good_range,
                       model, theory, default_err, verdict, tuple(notes), worst_at[ib])


def sweep(f: Any, at: Any, schemes: Sequence[str] | None = None, steps: Sequence[float] | None = None,
          order: int = 1, progress: Callable[[str], None] | None = None) -> SweepResult:
    """Error against the mpmath reference over ``steps`` (default 1e-1..1e-16) for each scheme.

    ``f`` is a ``Function`` (a vector-valued one sweeps its Jacobian) or expression text; ``at`` a
    point; ``order`` 1 (gradient), 2 (Hessian) or 3..10 (the K-th derivative of a function of one
    variable). A point where the reference has no value (a pole, outside the domain) gives a result
    whose ``status`` says so and no schemes. ``progress`` is told when each scheme starts.
    """
    f = f if isinstance(f, VectorFunction) else as_function(f)
    x = f.point(at)
    vector = isinstance(f, VectorFunction)
    require_order(order, vector, "sweep")
    if not (f.components is not None if vector else f.has_expression):
        raise InputError("a sweep measures errors against the mpmath reference, which needs an expression; "
                         "this Python function could not be traced into one (it uses control flow or array "
                         "operations): pass expression text instead")
    grid = steps_for(order) if steps is None else np.asarray(steps, dtype=float)
    if grid.ndim != 1 or grid.size == 0 or not np.all(np.isfinite(grid) & (grid > 0)):
        raise InputError("steps must be a non-empty list of positive finite numbers")
    grid = np.sort(grid)[::-1]
    head = (f.text, tuple(f.variables), tuple(float(v) for v in x), order)
    kind = "jacobian" if vector else ("derivatives" if order > 2 else "")
    try:
        plan = jacobian_plan(f, x) if vector else orders_plan(f, x, order) if order > 2 else \
            scalar_plan(f, x, order)
    except ReferenceUnavailable as err:
        return SweepResult(*head, None, (), f"no sweep: {err}", kind=kind)
    names = list(schemes) if schemes else list(plan.schemes)
    check_schemes(plan, names, order)
    # The point's own words (a kink, a removable singularity) are said once, as the sweep's notes.
    parts = list(f.components) if vector else [f]
    notes = [f"component {i}: {n}" if vector else n
             for i, c in enumerate(parts) for n in notes_at_point(c, x)]
    missing = any(no_derivative(c, x, "Hessian" if order == 2 else "gradient") is not None for c in parts)
    if kind == "derivatives" and not schemes:
        notes.append(f"complex step gives first derivatives only: not swept at order {order}")
    out = []
    for name in names:
        if progress:
            progress(f"sweep {name}: {grid.size} steps")
        try:
            out.append(_sweep_scheme(plan, name, grid, missing))
        except _NoFiniteStep as err:
            notes.append(str(err))
    return SweepResult(*head, plan.reference, tuple(out), notes=tuple(notes), kind=kind)
