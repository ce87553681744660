"""Frozen result objects shared by every method, comparison, report and solver.

One shape for every method is what lets ``compare``, reports and solvers treat a finite difference, an
AD engine and the symbolic route alike: they read ``value``, ``error_estimate``, ``nfev``, ``method`` and
``status`` and never ask which method produced them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from difflab import display as d
from difflab.lazy import ComputedOnRead, computed_state

MAX_STATUS = 40  # a longer status is said once as a note and the rows point to it


@dataclass(frozen=True)
class Estimate:
    """A derivative (or value) computed by one method.

    ``error_estimate`` is the method's own bound on the absolute error per entry (0 for exact methods
    up to rounding, ``None`` when the method cannot say); it may be given as a ``lazy.Later``, computed
    on first read (the exact methods' rounding bound costs more than the derivative). ``status`` is
    ``"ok"`` or a sentence saying what went wrong (a pole, a kink, a probe that hit nan) -- never a bare
    nan without words.
    """

    value: np.ndarray
    error_estimate: np.ndarray | None = ComputedOnRead()  # type: ignore[assignment]
    nfev: int
    method: str
    status: str = "ok"
    notes: tuple[str, ...] = ()
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def __getstate__(self) -> dict[str, Any]:
        return computed_state(self)  # a worker process or Dask gets the bound, not its closure

    def __repr__(self) -> str:
        est = None if self.error_estimate is None else float(np.max(self.error_estimate, initial=0.0))
        return (f"Estimate(method={self.method!r}, value={d.short_repr(self.value)}, "
                f"error_estimate={'None' if est is None else f'{est:.2g}'}, nfev={self.nfev}, "
                f"status={self.status!r})")

    def _pairs(self) -> list[tuple[str, str]]:
        est = "-" if self.error_estimate is None else d.entries(self.error_estimate, 2)
        return [("method", self.method), ("value", d.entries(self.value, 15)), ("error estimate", est),
                ("evaluations", str(self.nfev)), ("status", self.status)]

    def __str__(self) -> str:
        return d.lines_text(self._pairs()) + "".join(f"\nnote: {n}" for n in self.notes)

    def _repr_html_(self) -> str:
        return d.html_block(f"Estimate by {self.method}", d.html_table(["", ""], self._pairs()),
                            notes=self.notes)


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

    @property
    def largest_estimate(self) -> float:
        """The largest error estimate over the entries the method gave (nan: none given, or no estimate).

        Entries a method declined (nan, its status says why: "complex step: first derivatives only")
        have no estimate either; they are left out here as they are from ``max_rel_error``."""
        e = self.estimate.error_estimate
        if e is None:
            return float("nan")
        given = np.isfinite(np.asarray(self.estimate.value, dtype=float))
        e = np.asarray(e, dtype=float)[given]
        return float(np.max(e)) if e.size else float("nan")


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
    kind: str = ""                  # "jacobian" | "derivatives" (f, f', ..., f^(k)) | "third_derivatives"
                                    # (the (n, n, n) tensor); "" = by order

    @property
    def quantity(self) -> str:
        """What was compared: "gradient", "hessian", "jacobian" or "derivatives"."""
        return self.kind or ("gradient" if self.order == 1 else "hessian")

    def row(self, method: str) -> MethodRow:
        for r in self.rows:
            if r.method == method:
                return r
        raise KeyError(method)

    @property
    def what(self) -> str:
        if self.kind == "jacobian":
            return "Jacobian"
        if self.kind == "derivatives":
            return f"f, f', ..., f^({self.order})"
        if self.kind == "third_derivatives":
            return "third derivatives"
        return {1: "gradient", 2: "Hessian"}.get(self.order, f"order {self.order}")

    def entry_name(self, index: tuple[int, ...]) -> str:
        """An entry in words: d/dx, d2/dxdy, df1/dy (Jacobian), f^(7) (``display.entry_name``)."""
        return d.entry_name(self.quantity, self.variables, index)

    def point_text(self) -> str:
        if len(self.variables) != len(self.point):  # an array variable: its entries, flattened
            return f"{', '.join(self.variables)} = {d.entries(self.point, 8)}"
        return ", ".join(f"{k}={d.fmt(v)}" for k, v in zip(self.variables, self.point, strict=True))

    def __repr__(self) -> str:
        worst = max(self.rows, key=lambda r: r.max_rel_error, default=None)
        tail = "" if worst is None else f", worst={worst.method} {worst.max_rel_error:.2g}"
        return (f"<ErrorTable {self.what} of {self.function} at {self.point_text()}: {len(self.rows)} methods"
                f"{tail}>")

    def row_status(self, r: MethodRow) -> str:
        """A row's status, or "see note" when a note already says it (a kink is worded once, not per row)."""
        status = r.estimate.status
        if status != "ok" and (len(status) > MAX_STATUS or any(status in n for n in self.notes)):
            return "see note"
        return status

    def all_notes(self) -> list[str]:
        """The table's notes, then each long status once (naming the methods that have it)."""
        out = list(self.notes)
        by_status: dict[str, list[str]] = {}
        for r in self.rows:
            if r.estimate.status != "ok" and not any(r.estimate.status in n for n in self.notes):
                by_status.setdefault(r.estimate.status, []).append(r.method)
        out += [f"{', '.join(m)}: {s}" for s, m in by_status.items() if len(s) > MAX_STATUS]
        return out

    def _rows(self) -> list[list[Any]]:
        rows = []
        for r in self.rows:
            est = "-" if r.estimate.error_estimate is None else d.fmt(r.largest_estimate, 2)
            honest = {True: "yes", False: "NO", None: "-"}[r.honest]
            worst = "" if r.worst is None or r.estimate.value.size == 1 or r.max_rel_error == 0 \
                else self.entry_name(r.worst.index)
            digits = 10 if np.ndim(r.estimate.value) <= 1 else 6  # a matrix in one cell: fewer digits
            given = int(np.sum(np.isfinite(r.estimate.value)))
            err = d.fmt(r.max_rel_error, 3) + ("" if given == r.estimate.value.size else
                                               f" ({given} of {r.estimate.value.size} entries)")
            rows.append([r.method, d.entries(r.estimate.value, digits), err, worst, est,
                         honest, r.estimate.nfev, f"{r.estimate.seconds * 1e3:.2f}", self.row_status(r)])
        return rows

    HEADERS = ("method", "value", "max rel err", "worst", "est. abs err", "honest", "evals", "ms", "status")

    def __str__(self) -> str:
        lines = [f"f = {self.function}   at {self.point_text()}",
                 f"reference ({self.what}, mpmath): {d.entries(self.reference, 17)}", "",
                 d.table(self.HEADERS, self._rows())]
        notes = self.all_notes()
        return "\n".join(lines + ([""] + [f"note: {n}" for n in notes] if notes else []))

    def _repr_html_(self) -> str:
        rows = self._rows()
        bad = [(i, 5) for i, r in enumerate(rows) if r[5] == "NO"]
        return d.html_block(f"{self.what} of {self.function} at {self.point_text()}; reference (mpmath) "
                            f"{d.entries(self.reference, 12)}",
                            d.html_table(self.HEADERS, rows, bad=bad), notes=self.all_notes())


@dataclass(frozen=True)
class CheckResult:
    """Verdict on a claimed derivative: does d f / d wrt equal the claim?"""

    holds: bool
    proof: str | None                   # "symbolic" | "numeric" | None when it does not hold
    difference: str                     # simplified truth - claim, as text
    counterexample: dict[str, Any] | None
    detail: str = ""
    steps: tuple[dict[str, Any], ...] = ()
    # A claim about several entries (a gradient, a Jacobian row, the Jacobian): each entry's verdict.
    entries: tuple[dict[str, Any], ...] = ()
    # What was checked: function, wrt, claim, abbreviations (and title, source, file of a derivation).
    context: dict[str, Any] = field(default_factory=dict, compare=False)

    def __bool__(self) -> bool:
        """True exactly when the claim holds: ``assert dl.check(...)`` fails on a wrong derivative."""
        return bool(self.holds)

    def __repr__(self) -> str:
        what = f", first_wrong_step={self.first_wrong_step}" if self.steps and not self.holds else ""
        return f"CheckResult(holds={self.holds}, proof={self.proof!r}, difference={self.difference!r}{what})"

    @property
    def first_wrong_entry(self) -> str | None:
        """The first entry of a list claim that does not hold, in words ("df1/dx"), or None."""
        wrong = [e["entry"] for e in self.entries if not e["holds"]]
        return wrong[0] if wrong else None

    @property
    def first_wrong_step(self) -> int | None:
        wrong = [s["step"] for s in self.steps if s.get("status") == "wrong"]
        return wrong[0] if wrong else None

    def _entry_rows(self) -> list[list[str]]:
        return [[e["entry"], e["claim"], "holds" if e["holds"] else "WRONG",
                 "0" if e["holds"] else e["difference"]] for e in self.entries]

    def __str__(self) -> str:
        from_text = d.lines_text(self._pairs())
        if self.entries:
            table = d.table(["entry", "claim", "verdict", "truth - claim"], self._entry_rows())
            return "\n".join([table, "", from_text] + (["", self.detail] if self.detail else []))
        if self.steps:
            head = [self.context.get("title") or self.context.get("file") or "derivation"]
            head += [f"({self.context['source']})"] if self.context.get("source") else []
            head += [self._derivative_text()] if self.context.get("function") else []
            head += [f"  {k} = {v}" for k, v in (self.context.get("abbreviations") or {}).items()]
            head += ["", d.table(["step", "status", "= derivative", "expression"], self._step_rows()), ""]
            return "\n".join(head) + "\n" + from_text + ("\n\n" + self.detail if self.detail else "")
        return from_text + ("\n\n" + self.detail if self.detail else "")

    def _repr_html_(self) -> str:
        parts = []
        if self.entries:
            rows = self._entry_rows()
            parts.append(d.html_table(["entry", "claim", "verdict", "truth - claim"], rows,
                                      bad=[(i, 2) for i, r in enumerate(rows) if r[2] == "WRONG"]))
        if self.steps:
            steps = self._step_rows()
            parts.append(d.html_table(["step", "status", "= derivative", "expression"], steps,
                                      bad=[(i, 1) for i, r in enumerate(steps) if r[1] == "WRONG"]))
        parts.append(d.html_table(["", ""], self._pairs(), bad=[] if self.holds else [(len(
            self._pairs_head()), 1)]))
        title = self.context.get("title") or (self._derivative_text() if self.context.get("function") else
                                               "check")
        return d.html_block(title, *parts, d.html_text(self.detail))

    def verdict(self) -> str:
        if self.holds:
            return f"HOLDS ({self.proof} proof)" if self.proof == "symbolic" else "HOLDS (numerically)"
        return "DOES NOT HOLD" if self.counterexample else "NOT SHOWN TO HOLD"

    def _derivative_text(self) -> str:
        if self.context.get("derivative"):  # a list claim says what its entries are
            return f"{self.context['derivative']} of {self.context.get('function', '')}"
        names = [w.strip() for w in str(self.context.get("wrt", "")).split(",") if w.strip()]
        if len(names) == 1:
            dd = f"d/d{names[0]}"
        elif names and len(set(names)) == 1:
            dd = f"d{len(names)}/d{names[0]}{len(names)}"
        else:
            dd = f"d{len(names)}/" + " ".join(f"d{n}" for n in names)
        return f"{dd} of {self.context.get('function', '')}"

    def _pairs_head(self) -> list[tuple[str, str]]:
        if self.steps or "claim" not in self.context:
            return []
        rows = [("derivative", self._derivative_text()), ("claim", str(self.context["claim"]))]
        return rows + [(f"  {k}", f"= {v}") for k, v in (self.context.get("abbreviations") or {}).items()]

    def _pairs(self) -> list[tuple[str, str]]:
        rows = self._pairs_head() + [("verdict", self.verdict())]
        cex = self.counterexample or {}
        step = cex.get("step") if self.steps else None
        if self.steps:
            if self.holds:
                return rows
            rows += [("first wrong step", str(step) if step else "-"), ("difference", self.difference)]
        else:
            shown = self.difference
            if self.holds and self.proof == "numeric":
                shown = f"0 numerically (SymPy's best form: {shown})"
            rows.append(("truth - claim", shown))
        if not cex or "point" not in cex:
            return rows
        truth_word = "true value"
        if self.steps:
            truth_word = f"step {step - 1}" if step and step > 1 else "derivative"
        claim_word = f"step {step}" if step else "claimed value"
        rows.append(("counterexample", ", ".join(f"{k}={d.fmt(v)}" for k, v in cex["point"].items())))
        rows += [(f"  {k}", f"{d.fmt(v)} (abbreviation)")
                 for k, v in (cex.get("abbreviations") or {}).items()]
        rows.append((f"  {truth_word}", cex.get("true_value_digits") or d.fmt(cex.get("true_value"))))
        claimed = cex.get("claimed_value_digits")
        rows.append((f"  {claim_word}",
                     claimed if claimed is not None else "undefined (not real or not finite)"))
        if cex.get("hint"):
            rows.append(("hint", cex["hint"]))
        return rows

    def _step_rows(self) -> list[list[str]]:
        return [[s["step"], "ok" if s["status"] == "ok" else "WRONG",
                 "yes" if s["equals_derivative"] else "no",
                 s["expr"] + (f"   # {s['note']}" if s.get("note") else "")] for s in self.steps]


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
    function: str = ""                  # what was solved (for the printed forms)
    variables: tuple[str, ...] = ()
    mode: str = ""
    solver: str = ""                    # e.g. "Newton", "gradient descent"

    def __bool__(self) -> bool:
        """True exactly when the solver converged: ``assert dl.newton(...)`` fails on a runaway."""
        return bool(self.converged)

    def __repr__(self) -> str:
        cls = f", classification={self.classification!r}" if self.classification else ""
        return (f"SolverResult(converged={self.converged}, x={d.short_repr(self.x)}, nit={self.nit}, "
                f"method={self.method!r}{cls}, reason={self.reason!r})")

    def _names(self) -> list[str]:
        n = int(np.asarray(self.x).size)
        return list(self.variables) if len(self.variables) == n else [f"x{i}" for i in range(n)]

    def _iterate_rows(self, limit: int = 0) -> list[list[Any]]:
        rows = [[k] + [d.fmt(float(v), 15) for v in np.ravel(it)] for k, it in enumerate(self.iterates)]
        if limit and len(rows) > limit:
            rows = rows[: limit // 2] + [["..."] + [""] * (len(rows[0]) - 1)] + rows[-(limit // 2):]
        return rows

    def _summary(self) -> list[str]:
        x = np.ravel(self.x)
        where = ", ".join(f"{n}={d.fmt(float(v), 15)}" for n, v in zip(self._names(), x, strict=True)) \
            if x.size <= 16 else d.entries(x)
        out = [f"{'converged' if self.converged else 'NOT converged'}: {where}", f"reason: {self.reason}"]
        if self.classification is not None:
            eig = ", ".join(d.fmt(float(e), 6) for e in self.history.get("eigenvalues", []))
            out.append(f"classification: {self.classification} (Hessian eigenvalues {eig})")
        return out

    def _title(self) -> str:
        mode = f"{self.mode}, " if self.mode else ""
        on = f" on f = {self.function}" if self.function else ""
        return f"{self.solver or 'solver'} ({mode}{self.method}){on}"

    def __str__(self) -> str:
        small = np.asarray(self.x).size <= 16
        parts = [self._title(), ""]
        if small and self.iterates:
            parts += [d.table(["k", *self._names()], self._iterate_rows(limit=40)), ""]
        return "\n".join(parts + self._summary())

    def _repr_html_(self) -> str:
        small = np.asarray(self.x).size <= 16
        table = (d.html_table(["k", *self._names()], self._iterate_rows(limit=20))
                 if small and self.iterates else "")
        return d.html_block(self._title(), table, d.html_text("\n".join(self._summary())))
