"""HTML rendering of a ``ReportData``: one self-contained file, plots embedded as data URIs.

Formatting only (see ``difflab.reports.rows``); every piece of text is escaped, since expressions and statuses
come from users.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from html import escape

from difflab.reports import rows as rr
from difflab.reports.data import ReportData

CSS = """
body { font-family: -apple-system, "Segoe UI", "DejaVu Sans", Helvetica, Arial, sans-serif; margin: 2em auto;
       max-width: 1200px; padding: 0 1em; color: #222; line-height: 1.45; }
h1 { font-size: 1.5em; margin-bottom: 0.2em; } h2 { font-size: 1.25em; margin-top: 2em;
     border-bottom: 1px solid #ddd; padding-bottom: 0.2em; } h3 { font-size: 1.05em; margin-top: 1.4em; }
code, pre, td.num { font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; }
.expr { background: #f4f4f4; padding: 0.1em 0.4em; border-radius: 3px; }
table { border-collapse: collapse; margin: 0.6em 0; font-size: 0.76em; width: 100%; }
th, td { border: 1px solid #ddd; padding: 0.25em 0.35em; text-align: left; vertical-align: top;
         overflow-wrap: anywhere; white-space: pre-line; }
th { background: #f2f4f7; overflow-wrap: normal; hyphens: auto; }
tr:nth-child(even) td { background: #fafafa; }
td.num { text-align: right; white-space: pre; overflow-wrap: normal; } td.nowrap { overflow-wrap: normal; }
td.bad { color: #b00020; font-weight: bold; } td.good { color: #1b7f3b; }
.muted { color: #666; font-size: 0.9em; } .notes li { margin: 0.2em 0; }
.status { color: #b00020; font-weight: bold; }
img.plot { max-width: 100%; border: 1px solid #eee; }
@media (max-width: 900px) { body { padding: 0 0.6em; } table { font-size: 0.7em; }
                            th, td { padding: 0.2em 0.25em; } }
pre { background: #f6f8fa; padding: 0.8em; overflow-x: auto; font-size: 0.82em; border-radius: 4px; }
"""

_NUMERIC = {"value", "relative error per entry", "est. abs. error", "evals", "time (ms)", "basin middle",
            "smoothed error", "lowest measured (at step)", "model step", "theory step",
            "error at theory step",
            "worst relative error", "evals (total)", "time (ms, total)", "failures", "at point"}
_NOWRAP = {"method", "scheme", "truncation"}


def _cell(header: str, text: str) -> str:
    cls = ""
    if header in _NUMERIC:
        cls = "num"
    elif header in _NOWRAP:
        cls = "nowrap"
    if header in ("honest", "status", "failures"):
        bad = (header == "honest" and text == "NO") or (header == "status" and text != "ok") or \
              (header == "failures" and text not in ("0", "-"))
        good = header == "honest" and text == "yes"
        cls = (cls + " " if cls else "") + ("bad" if bad else "good" if good else "")
    return f"<td class=\"{cls.strip()}\">{escape(text)}</td>" if cls.strip() else f"<td>{escape(text)}</td>"


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]], row_ids: Sequence[str] = ()) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = []
    for k, row in enumerate(rows):
        rid = f" id=\"{escape(row_ids[k])}\"" if k < len(row_ids) else ""
        body.append(f"<tr{rid}>" + "".join(_cell(h, c) for h, c in zip(headers, row, strict=True)) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _img(png: bytes | None, alt: str) -> list[str]:
    if not png:
        return []
    uri = "data:image/png;base64," + base64.b64encode(png).decode("ascii")
    return [f"<img class=\"plot\" alt=\"{escape(alt)}\" src=\"{uri}\">"]


def render_html(data: ReportData, images: Sequence[Sequence[bytes | None] | None],
                table_images: Sequence[Sequence[bytes | None]] | None = None) -> str:
    """The report as one HTML page; ``images[k][j]`` is the PNG of point k's j-th sweep (or None),
    ``table_images[k][t]`` the plot of its t-th table (orders and Jacobians; None for the others)."""
    out = ["<!DOCTYPE html>", "<html lang=\"en\"><head><meta charset=\"utf-8\">",
           f"<title>difflab report: {escape(data.function)}</title>", f"<style>{CSS}</style></head><body>",
           f"<h1>difflab report: <span class=\"expr\">f = {escape(data.function)}</span></h1>",
           f"<p class=\"muted\">variables {escape(', '.join(data.variables))}; "
           f"{len(data.points)} point{'s' if len(data.points) != 1 else ''}; "
           f"{escape(rr.contents(data))}.</p>",
           f"<p class=\"muted\">{escape(rr.LEAD)}</p>"]
    out += [f"<p class=\"status\">{escape(n)}</p>" for n in data.notes]
    if len(data.points) > 1:
        out += ["<h2>Summary over all points</h2>", _table(rr.SUMMARY_HEADERS, rr.summary_rows(data))]
    for k, p in enumerate(data.points):
        out.append(f"<h2 id=\"point-{k + 1}\">{escape(rr.point_title(data, k, p))}</h2>")
        if p.status != "ok":
            out.append(f"<p class=\"status\">{escape(p.status)}</p>")
        if rr.value_text(p):
            out.append(f"<p><code>{escape(rr.value_text(p))}</code></p>")
        for t, table in enumerate(p.tables):
            what = rr.title(table.what)
            out += [f"<h3>{escape(what)}: every method against the reference</h3>",
                    f"<p><code>{escape(rr.reference_text(table))}</code></p>",
                    _table(rr.METHOD_HEADERS, rr.method_rows(table),
                           [f"p{k + 1}-o{table.order}-{r.method}" for r in table.rows])]
            pngs = table_images[k] if table_images and k < len(table_images) else []
            out += _img(pngs[t] if t < len(pngs) else None, f"{what}: errors per method at point {k + 1}")
        for j, result in enumerate(p.sweeps):
            what = result.what
            out.append(f"<h3>Error versus step ({escape(what)}): every finite-difference scheme</h3>")
            pngs = images[k] if k < len(images) and images[k] else []
            out += _img(pngs[j] if j < len(pngs) else None, f"{what} error versus step at point {k + 1}")
            if result.status != "ok":
                out.append(f"<p class=\"status\">{escape(result.status)}</p>")
            out.append(_table(rr.SWEEP_HEADERS, rr.sweep_rows(result)))
        if p.notes:
            out += ["<h3>Notes</h3>", "<ul class=\"notes\">"]
            out += [f"<li>{escape(n)}</li>" for n in p.notes]
            out.append("</ul>")
    if data.code:
        out.append("<h2>Generated code of the compiled derivatives</h2>")
        for title, source in data.code:
            out += [f"<h3>{escape(title)}</h3>", f"<pre><code>{escape(source)}</code></pre>"]
    out += ["<h2>How to read this report</h2>", f"<p>{escape(rr.READING)}</p>", "</body></html>"]
    return "\n".join(out) + "\n"
