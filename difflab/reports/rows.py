"""The report's tables as rows of text, shared by the HTML and Markdown renderers (formatting only).

Why one place: both formats must show the same columns with the same words; only the markup differs.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from difflab.measure.step_sweep import SweepResult
from difflab.reports.data import ReportData, ReportPoint
from difflab.result import ErrorTable, MethodRow

MAX_STATUS = 40  # longer statuses are shown in the notes only (a kink's words in every row drown the table)
MAX_ENTRIES = 16  # values and per-entry errors are listed up to 4x4; beyond, the worst one names it

METHOD_HEADERS = ("method", "value", "relative error per entry", "worst entry: value vs reference",
                  "est. abs. error", "honest",
                  "evals", "time (ms)", "status")
SWEEP_HEADERS = ("scheme", "truncation", "basin middle", "smoothed error", "lowest measured (at step)",
                 "model step", "theory step", "error at theory step", "what the sweep says")
SUMMARY_HEADERS = ("method", "derivative", "worst relative error", "at point", "honest estimates",
                   "evals (total)", "time (ms, total)", "failures")


def num(value: float | None, digits: int = 2) -> str:
    """A number as a person reads it: 2 significant digits for errors, '-' for none, words for 0/nan."""
    if value is None:
        return "-"
    v = float(value)
    if v != v:
        return "nan"
    if v == 0:
        return "0"
    return f"{v:.{digits}g}" if 1e-3 <= abs(v) < 1e5 else f"{v:.{max(digits - 1, 0)}e}"


def sci(value: float | None) -> str:
    """Steps and errors in one column all in scientific notation (0.0012 next to 5.6e-09 misleads)."""
    if value is None:
        return "-"
    v = float(value)
    return "nan" if v != v else "0" if v == 0 else f"{v:.1e}"


def point_text(variables: Sequence[str], point: Sequence[float]) -> str:
    return ", ".join(f"{v} = {x:.10g}" for v, x in zip(variables, point, strict=True))


def entry_name(table: ErrorTable, index: tuple[int, ...]) -> str:
    return table.entry_name(index)


def title(what: str) -> str:
    """A table's or sweep's name at the start of a heading: "Gradient", "Jacobian", "f, f', ..., f^(6)"."""
    return what if what.startswith("f") else what[:1].upper() + what[1:]


def contents(data: ReportData) -> str:
    """What the report compares: "gradient", "gradient and Hessian", "Jacobian", "f, f', ..., f^(6)"."""
    for p in data.points:
        if p.tables:
            return " and ".join(t.what for t in p.tables)
    return "gradient and Hessian" if data.order == 2 else "gradient"


def _per_entry(table: ErrorTable, row: MethodRow) -> str:
    errors = np.asarray(row.rel_error)
    if errors.size > MAX_ENTRIES or (errors.ndim == 2 and max(errors.shape) > 4):
        return f"({errors.size} entries; worst shown)"
    if errors.ndim == 2:  # a Hessian or Jacobian: a matrix row per line, one digit (the size is what counts)
        sep = ", " if errors.shape[1] <= 3 else ","  # 4 columns fit a 760 px page only without spaces
        return ";\n".join(sep.join(num(float(v), 1) for v in line) for line in errors)
    flat = [num(float(v)) for v in errors.ravel()]
    return ",\n".join(", ".join(flat[k:k + 3]) for k in range(0, len(flat), 3))  # fits a narrow page


def _value(row: MethodRow) -> str:
    v = np.asarray(row.estimate.value, dtype=float)
    if v.size > MAX_ENTRIES or (v.ndim == 2 and max(v.shape) > 4):
        return f"({'x'.join(map(str, v.shape))} entries)"
    if v.ndim == 2:
        digits = 6 if v.shape[1] <= 3 else 4  # a 4-column matrix in one cell: fewer digits (worst entry: all)
        sep = ", " if v.shape[1] <= 3 else ","
        return ";\n".join(sep.join(f"{float(a):.{digits}g}" for a in line) for line in v)
    flat = [f"{float(a):.12g}" for a in v.ravel()]
    return ",\n".join(", ".join(flat[k:k + 2]) for k in range(0, len(flat), 2))


def method_rows(table: ErrorTable) -> list[list[str]]:
    rows = []
    for r in table.rows:
        worst = "-"
        if r.worst is not None and r.max_rel_error > 0:
            worst = f"{entry_name(table, r.worst.index)}: {r.worst.value!r} vs {r.worst.reference!r}"
        est = "-" if r.estimate.error_estimate is None else num(float(np.max(r.estimate.error_estimate)))
        honest = {True: "yes", False: "NO", None: "-"}[r.honest]
        status = r.estimate.status
        if len(status) > MAX_STATUS:
            status = "see notes"  # the report's notes hold every status in full, once
        rows.append([r.method, _value(r), _per_entry(table, r), worst, est, honest, str(r.estimate.nfev),
                     f"{r.estimate.seconds * 1e3:.2f}", status])
    return rows


def reference_text(table: ErrorTable) -> str:
    ref = np.asarray(table.reference, dtype=float)
    what = table.what
    if ref.ndim == 2:
        body = "[" + "; ".join(", ".join(repr(float(v)) for v in row) for row in ref) + "]"
    else:
        body = "[" + ", ".join(repr(float(v)) for v in ref.ravel()) + "]"
    return f"reference {what} (mpmath at 50 digits, rounded to double): {body}"


def sweep_rows(result: SweepResult) -> list[list[str]]:
    return [[s.scheme, _power("h", s.truncation_power) + ("" if s.roundoff_power is None else
                                                         ", eps/" + _power("h", s.roundoff_power)),
             sci(s.best_step), sci(s.best_error), _lowest(s), sci(s.model_step), sci(s.theory_step),
             sci(s.default_error), s.verdict] for s in result.schemes]


def _lowest(s) -> str:
    step, err = s.lowest
    return "-" if step is None else f"{sci(err)}\n(at {sci(step)})"


def _power(base: str, p: int) -> str:
    return base if p == 1 else f"{base}^{p}"


def summary_rows(data: ReportData) -> list[list[str]]:
    rows = []
    for s in data.summary:
        rows.append([s.method, s.what or ("gradient" if s.order == 1 else "Hessian"), num(s.worst_rel_error),
                     str(s.worst_point + 1), f"{s.honest} of {s.estimated}" if s.estimated else "-",
                     str(s.evaluations), f"{s.seconds * 1e3:.2f}", str(s.failures)])
    return rows


def point_title(data: ReportData, k: int, p: ReportPoint) -> str:
    return f"Point {k + 1}: {point_text(data.variables, p.point)}"


def value_text(p: ReportPoint) -> str:
    if not p.tables or p.tables[0].value is None:
        return ""
    return f"f = {p.tables[0].value:.17g}"


LEAD = ("Errors are relative per entry against the mpmath reference at 50 digits; a method's error "
        "estimate is honest when it covers its actual error. How to read the plot: at the end.")

READING = ("Errors are relative per entry, |a - b| / max(|a|, |b|) (both zero counts as exact), against the "
           "mpmath reference at 50 significant digits. An estimate is honest when it is at least the actual "
           "absolute error of every entry. Sweep steps are relative: variable i moves by h * max(|x_i|, 1). "
           "Dashed lines are the truncation (slope h^p) and roundoff (slope eps/h) models with constants "
           "fitted to the measurements away from the optimum; the star is the measured optimum (the basin "
           "middle: the middle of the steps whose running-median error is within 2x of the lowest; 'smoothed"
           " error' is that median, and the lowest single measurement is shown beside it), the triangle the "
           "theoretical step the library uses by default; errors of exactly 0 are open markers along the "
           "bottom. For f, f', ..., f^(K) the plot after the table shows each method's relative error "
           "against the order (dashed: its own estimate as a relative error; a line ends where a method "
           "declines an order) and the sweep follows f^(K), whose rounding grows like eps/h^K; for a "
           "Jacobian one heat map per method shows the error of every entry, and the sweep follows the worst"
           " entry at each step.")
