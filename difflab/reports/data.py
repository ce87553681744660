"""A report as data (the bottom of ``difflab.reports``): every method against the reference, the step
sweep, notes and code, measured at one point or several.

``build_report`` does all the numerical work -- ``compare`` (an ``ErrorTable`` per point and order),
``sweep`` (a ``SweepResult`` per point), the point notes, a summary over the points -- and returns
pure data (``ReportData``). ``rows``, ``html``, ``markdown`` and ``plot`` only format and draw that
data, and ``writer`` (the top) puts the pieces into files: no numerics above this module, so what a
report shows is exactly what the tables and sweeps measured, and the same data can be rendered twice.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from difflab.errors import DifflabError, InputError
from difflab.expr.vector import VectorFunction
from difflab.measure.comparison import compare
from difflab.measure.step_sweep import SweepResult
from difflab.measure.step_sweep import sweep as sweep_of
from difflab.measure.sweep_probes import require_order
from difflab.methods.higher_routes import higher_source
from difflab.methods.higher_tensors import third_source
from difflab.methods.reference import ReferenceUnavailable
from difflab.methods.registry import as_function
from difflab.methods.symbolic import generated_source
from difflab.reports import data_view
from difflab.result import ErrorTable
from difflab.singular.notes import point_notes

NEEDS_EXPRESSION = ("a report measures every method against the mpmath reference, which needs an expression; "
                    "this Python function could not be traced into one (it uses control flow or array "
                    "operations): pass expression text, or compare methods with dl.gradient")


@dataclass(frozen=True)
class ReportPoint:
    """Everything measured at one point. ``tables`` and ``sweeps`` hold the gradient's and, for order 2,
    the Hessian's; ``status`` is "ok" or why nothing could be measured (a pole, outside the domain)."""

    point: tuple[float, ...]
    tables: tuple[ErrorTable, ...]
    sweeps: tuple[SweepResult, ...]
    notes: tuple[str, ...]
    status: str = "ok"

    @property
    def sweep(self) -> SweepResult | None:
        """The gradient's sweep (None when there is none)."""
        return self.sweeps[0] if self.sweeps else None


@dataclass(frozen=True)
class SummaryRow:
    """One method over all points: its worst relative error (and where), honesty, cost."""

    method: str
    order: int
    worst_rel_error: float
    worst_point: int                 # index into ReportData.points
    honest: int                      # points where the estimate covered the actual error
    estimated: int                   # points where the method gave an estimate at all
    points: int
    evaluations: int
    seconds: float
    failures: int                    # points where the status was not "ok"
    what: str = ""                   # "gradient", "Hessian", "Jacobian" or "f, f', ..., f^(K)"
    worst_entry: str = ""            # the entry with the worst error there, in words ("df1/dx", "f^(6)")


@dataclass(frozen=True)
class ReportData:
    """A whole report as data: the function, the points, the summary and the generated code."""

    function: str
    variables: tuple[str, ...]
    order: int
    points: tuple[ReportPoint, ...]
    summary: tuple[SummaryRow, ...]
    code: tuple[tuple[str, str], ...]   # (title, source) of each compiled derivative
    notes: tuple[str, ...] = ()

    def __repr__(self) -> str:
        return data_view.short(self)

    def __str__(self) -> str:
        return data_view.text(self)

    def _repr_html_(self) -> str:
        return data_view.html(self)


def _row_notes(table: ErrorTable, known: Sequence[str]) -> list[str]:
    """One note per distinct status (naming every method that has it) and per dishonest estimate.

    A status already said by a point note (the singularity analysis words a kink once for all
    methods) is not repeated.
    """
    what = table.what
    by_status: dict[str, list[str]] = {}
    out = []
    for r in table.rows:
        if r.estimate.status != "ok":
            by_status.setdefault(r.estimate.status, []).append(r.method)
        elif r.honest is False:
            out.append(f"{r.method} ({what}): its error estimate "
                       f"{float(r.estimate.error_estimate.max()):.2g} is below its actual error "
                       f"{float(r.abs_error.max()):.2g} (not honest)")
    for status, names in by_status.items():
        if not any(status in k for k in known):
            out.insert(0, f"{', '.join(names)} ({what}): {status}")
    return out


def _orders(f, order: int, sweeps: bool = False) -> list[int]:
    """The tables (or sweeps) of a report: gradient (a vector function: its Jacobian), gradient and
    Hessian (order 2), one table of f, f', ..., f^(K) and the sweep of f^(K) (order K >= 3, one
    variable), or gradient, Hessian and third derivatives (order 3, several variables; the sweeps of
    the first two)."""
    if isinstance(f, VectorFunction):
        return [1]
    if order > 2 and f.n == 1:
        return [order]
    return list(range(1, min(order, 2) + 1)) if sweeps else list(range(1, order + 1))


def _point(f, x, methods, order: int, sweep_it: bool, progress) -> ReportPoint:
    parts = list(f.components) if isinstance(f, VectorFunction) else [f]
    notes = [n for c in parts for n in point_notes(c, x)]
    tables = []
    try:
        for k in _orders(f, order):
            if progress:
                what = "Jacobian" if isinstance(f, VectorFunction) else {1: "gradient", 2: "Hessian"}.get(
                    k, f"f, f', ..., f^({k})" if f.n == 1 else "third derivatives")
                progress(f"compare: {what} by every method")
            tables.append(compare(f, x, methods=methods, order=k))
    except ReferenceUnavailable as err:
        return ReportPoint(tuple(float(v) for v in x), tuple(tables), (), tuple(notes), str(err))
    for t in tables:
        notes += _row_notes(t, notes)
    sweeps = (tuple(sweep_of(f, x, order=k, progress=progress) for k in _orders(f, order, sweeps=True))
              if sweep_it else ())
    for result in sweeps:
        notes += [n for n in [*result.notes, *sorted({n for s in result.schemes for n in s.notes})]
                  if n not in notes]
    return ReportPoint(tuple(float(v) for v in x), tuple(tables), sweeps, tuple(notes))


def _summary(points: Sequence[ReportPoint]) -> tuple[SummaryRow, ...]:
    acc: dict[tuple[str, int], dict[str, Any]] = {}
    for i, p in enumerate(points):
        for table in p.tables:
            for r in table.rows:
                a = acc.setdefault((r.method, table.order), {"worst": -1.0, "at": i, "honest": 0, "est": 0,
                                                             "n": 0, "nfev": 0, "sec": 0.0, "fail": 0})
                a["what"] = table.what
                if r.max_rel_error > a["worst"]:
                    a["worst"], a["at"] = r.max_rel_error, i
                    named = r.worst is not None and r.max_rel_error > 0
                    a["entry"] = table.entry_name(r.worst.index) if named else ""
                a["honest"] += r.honest is True
                a["est"] += r.honest is not None
                a["n"] += 1
                a["nfev"] += r.estimate.nfev
                a["sec"] += r.estimate.seconds
                a["fail"] += r.estimate.status != "ok"
    return tuple(SummaryRow(m, k, a["worst"], a["at"], a["honest"], a["est"], a["n"], a["nfev"], a["sec"],
                            a["fail"], a["what"], a.get("entry", "")) for (m, k), a in acc.items())


def _code(f, order: int) -> tuple[tuple[str, str], ...]:
    if isinstance(f, VectorFunction) or (order > 2 and f.n == 1):
        what = "Jacobian (all entries in one function)" if isinstance(f, VectorFunction) else \
            f"f, f', ..., f^({order})"
        try:
            return ((f"compiled {what}", higher_source(f, order)),)
        except DifflabError as err:
            return ((f"compiled {what}", f"# not available: {err}"),)
    out = []
    for k in range(1, order + 1):
        what = {1: "gradient", 2: "Hessian (upper triangle, row by row)",
                3: "third derivatives (i <= j <= k)"}[k]
        try:
            out.append((f"compiled {what}", generated_source(f, k) if k < 3 else third_source(f)))
        except DifflabError as err:
            out.append((f"compiled {what}", f"# not available: {err}"))
    return tuple(out)


def build_report(f: Any, at: Sequence[Any] | Any, methods: Sequence[str] | None = None, order: int = 1,
                 sweep: bool = True, progress: Callable[[str], None] | None = None) -> ReportData:
    """Measure everything a report shows, at one point or several (``at`` a list of points).

    ``order`` 2 adds the Hessian's table and sweep. ``progress`` (a printer to stderr, say) is told
    what is running.
    """
    f = f if isinstance(f, VectorFunction) else as_function(f)
    vector = isinstance(f, VectorFunction)
    require_order(order, vector, "report")
    if not (f.components is not None if vector else f.has_expression):
        raise InputError(NEEDS_EXPRESSION)
    many = isinstance(at, list | tuple) and len(at) > 0 and not isinstance(at[0], numbers.Real)
    xs = [f.point(a) for a in (at if many else [at])]
    points = []
    for k, x in enumerate(xs):
        if progress and len(xs) > 1:
            progress(f"point {k + 1} of {len(xs)}")
        points.append(_point(f, x, methods, order, sweep, progress))
    return ReportData(f.text, f.variables, order, tuple(points), _summary(points), _code(f, order))
