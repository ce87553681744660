"""Markdown rendering of a ``ReportData``: pipe tables, plots linked as PNG files beside the report.

Formatting only (see ``difflab.reports.rows``). Cells escape '|' so a status or expression cannot break
a table.
"""

from __future__ import annotations

from collections.abc import Sequence

from difflab.reports import rows as rr
from difflab.reports.data import ReportData


def _cell(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(_cell(h) for h in headers) + " |",
             "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def render_markdown(data: ReportData, images: Sequence[Sequence[str | None] | None],
                    table_images: Sequence[Sequence[str | None]] | None = None) -> str:
    """The report as Markdown; ``images[k][j]`` is the file name of point k's j-th sweep plot (or None),
    ``table_images[k][t]`` that of its t-th table's plot (orders and Jacobians)."""
    what = rr.contents(data)
    out = [f"# difflab report: `f = {data.function}`", "",
           f"Variables {', '.join(data.variables)}; {len(data.points)} point"
           f"{'s' if len(data.points) != 1 else ''}; {what}.",
           "", rr.LEAD, ""]
    out += [f"**{n}**\n" for n in data.notes]
    if len(data.points) > 1:
        out += ["## Summary over all points", "", _table(rr.SUMMARY_HEADERS, rr.summary_rows(data)), ""]
    for k, p in enumerate(data.points):
        out += [f"## {rr.point_title(data, k, p)}", ""]
        if p.status != "ok":
            out += [f"**{p.status}**", ""]
        if rr.value_text(p):
            out += [f"`{rr.value_text(p)}`", ""]
        for t, table in enumerate(p.tables):
            what = rr.title(table.what)
            out += [f"### {what}: every method against the reference", "",
                    f"`{rr.reference_text(table)}`", "", _table(rr.METHOD_HEADERS, rr.method_rows(table)), ""]
            names = table_images[k] if table_images and k < len(table_images) else []
            if t < len(names) and names[t]:
                out += [f"![{what}: errors per method at point {k + 1}]({names[t]})", ""]
        for j, result in enumerate(p.sweeps):
            what = result.what
            out += [f"### Error versus step ({what}): every finite-difference scheme", ""]
            names = images[k] if k < len(images) and images[k] else []
            name = names[j] if j < len(names) else None
            if name:
                out += [f"![{what} error versus step at point {k + 1}]({name})", ""]
            if result.status != "ok":
                out += [f"**{result.status}**", ""]
            out += [_table(rr.SWEEP_HEADERS, rr.sweep_rows(result)), ""]
        if p.notes:
            out += ["### Notes", ""] + [f"- {n}" for n in p.notes] + [""]
    if data.code:
        out += ["## Generated code of the compiled derivatives", ""]
        for title, source in data.code:
            out += [f"### {title}", "", "```python", source.rstrip(), "```", ""]
    out += ["## How to read this report", "", rr.READING, ""]
    return "\n".join(out)
