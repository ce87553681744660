"""How a ``ReportData`` looks in Python: a one-line ``repr``, the text of ``str`` and a notebook's HTML.

Formatting only, duck-typed on the report's attributes (no import of ``data``, which uses this). A
report is made of results that already know how they look -- each ``ErrorTable`` and ``SweepResult``
prints its table and draws its plot (inline SVG, so a notebook needs no plotting package) -- so this
only adds what belongs to the whole: the summary over the points, the point headings and the notes
that none of the parts already says. The files ``dl.report`` writes are ``reports.html``/``markdown``.
"""

from __future__ import annotations

import re
from typing import Any

from difflab import display as d

SUMMARY_HEADERS = ("method", "derivative", "worst rel err", "at point", "honest", "evals", "ms", "failures")


def _what(order: int) -> str:
    return "gradient" if order == 1 else "Hessian"


def point_text(data: Any, k: int) -> str:
    return ", ".join(f"{v}={d.fmt(x)}" for v, x in zip(data.variables, data.points[k].point, strict=True))


def _worst(data: Any) -> Any:
    return max(data.summary, key=lambda s: s.worst_rel_error, default=None)


def short(data: Any) -> str:
    """``<ReportData gradient of f at x=1: 9 methods, worst fd-forward 1.7e-08>`` (one line)."""
    n = len(data.points)
    where = point_text(data, 0) if n == 1 else f"{n} points"
    methods = len({s.method for s in data.summary})
    worst = _worst(data)
    tail = ""
    if worst is not None:
        tail = f", worst {worst.method} ({_what(worst.order)}) {worst.worst_rel_error:.2g}"
        tail += f" at point {worst.worst_point + 1}" if n > 1 else ""
    missing = sum(p.status != "ok" for p in data.points)
    tail += f", {missing} point{'s' if missing != 1 else ''} not measured" if missing else ""
    what = "gradient and Hessian" if data.order == 2 else "gradient"
    return f"<ReportData {what} of {data.function} at {where}: {methods} methods{tail}>"


def summary_rows(data: Any) -> list[list[str]]:
    return [[s.method, _what(s.order), d.fmt(s.worst_rel_error, 3), str(s.worst_point + 1),
             f"{s.honest}/{s.estimated}", str(s.evaluations), f"{s.seconds * 1e3:.2f}", str(s.failures)]
            for s in data.summary]


def _heading(data: Any, k: int) -> str:
    return f"point {k + 1} of {len(data.points)}: {point_text(data, k)}"


def _unsaid(notes: Any, said: str) -> list[str]:
    """The point's notes that its tables and sweeps have not already printed."""
    return [n for n in notes if n not in said]


def _once(parts: list[str], pattern: str) -> list[str]:
    """Each note said once per point: a table and a sweep at the same kink both word it; the later
    part's copy (a ``pattern`` match: its note line or list item) is dropped."""
    seen: set[str] = set()

    def keep(match: re.Match) -> str:
        said = match.group(0).strip()
        if said in seen:
            return ""
        seen.add(said)
        return match.group(0)

    return [re.sub(pattern, keep, part, flags=re.M) for part in parts]


def text(data: Any) -> str:
    """The summary over the points (several), then per point every table and sweep, then the notes."""
    lines = [f"report: f = {data.function}   ({'gradient and Hessian' if data.order == 2 else 'gradient'}; "
             f"{len(data.points)} point{'s' if len(data.points) != 1 else ''})"]
    lines += [f"note: {n}" for n in data.notes]
    if len(data.points) > 1:
        lines += ["", "summary over the points:", "", d.table(SUMMARY_HEADERS, summary_rows(data))]
    for k, p in enumerate(data.points):
        parts = _once([str(t) for t in p.tables] + [str(s) for s in p.sweeps], r"^note: .*\n?")
        said = "\n".join(parts)
        lines += ["", f"== {_heading(data, k)} =="]
        if p.status != "ok":
            lines.append(p.status)
        for part in parts:
            lines += ["", part]
        extra = _unsaid(p.notes, said + p.status)
        if extra:
            lines += ["", *[f"note: {n}" for n in extra]]
    return "\n".join(lines)


def html(data: Any) -> str:
    """The notebook's view: the summary table, then per point its tables and sweeps (plots inline, SVG)."""
    parts = []
    if len(data.points) > 1:
        bad = [(i, 7) for i, s in enumerate(data.summary) if s.failures]
        parts.append(d.html_table(SUMMARY_HEADERS, summary_rows(data), caption="summary over the points",
                                  bad=bad))
    for k, p in enumerate(data.points):
        pieces = _once([t._repr_html_() for t in p.tables] + [s._repr_html_() for s in p.sweeps],
                       r"<li>.*?</li>")
        said = "\n".join([*(str(t) for t in p.tables), *(str(s) for s in p.sweeps), p.status])
        status = [] if p.status == "ok" else [d.html_text(p.status)]
        parts.append(d.html_block(_heading(data, k), *status, *pieces, notes=_unsaid(p.notes, said)))
    title = f"difflab report: f = {data.function}"
    return d.html_block(title, *parts, notes=list(data.notes))
