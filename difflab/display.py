"""How results look to a person: aligned text tables, styled HTML tables, array entries, small SVG plots.

Formatting only, no numerics, and no import of any other difflab module: every result type (at the
bottom, in ``result.py``, or higher up: sweeps, reports, gradchecks) uses these for its ``__str__``
(the table the command line prints) and ``_repr_html_`` (what a notebook shows), so the terminal and
the notebook say the same thing in the same words.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape
from typing import Any

import numpy as np

MAX_SIDE = 4        # matrices up to 4x4 and vectors up to 16 entries are shown entry by entry

_TABLE = "border-collapse:collapse;margin:0.4em 0;font-size:0.9em"
_TH = "border:1px solid #ddd;padding:0.25em 0.6em;background:#f2f4f7;text-align:left"
_TD = "border:1px solid #ddd;padding:0.25em 0.6em;text-align:left;vertical-align:top"
_NUM = _TD.replace("text-align:left", "text-align:right") + ";font-family:monospace;white-space:nowrap"


def fmt(value: Any, digits: int = 12) -> str:
    """A float with ``digits`` significant digits; anything else as ``str``."""
    if isinstance(value, float | np.floating):
        return f"{float(value):.{digits}g}"
    return str(value)


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A plain aligned text table (the command line's tables)."""
    cells = [[str(h) for h in headers]] + [[fmt(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def entries(value: Any, digits: int = 6) -> str:
    """Array entries as text: every entry up to 4x4 (16 for a vector), else the shape and extremes.

    Why a limit: a table cell holding a 10x10 Hessian is unreadable; a 3x3 one is what a student
    wants to see (the seed course's Hessians are 2x2 and 3x3).
    """
    a = np.asarray(value, dtype=float)
    if a.ndim == 0:
        return fmt(float(a), digits)
    if a.ndim == 1 and a.size <= MAX_SIDE * MAX_SIDE:
        return "[" + ", ".join(fmt(float(v), digits) for v in a) + "]"
    if a.ndim == 2 and max(a.shape) <= MAX_SIDE:
        return "[" + ", ".join(entries(row, digits) for row in a) + "]"
    finite = a[np.isfinite(a)]
    span = (f"; entries from {fmt(float(finite.min()), 3)} to {fmt(float(finite.max()), 3)}"
            if finite.size else "")
    return f"({'x'.join(map(str, a.shape))} entries{span})"


def short_repr(value: Any) -> str:
    """An array in a ``__repr__``: its entries when small, else its shape."""
    if value is None:
        return "None"
    a = np.asarray(value)
    if a.dtype.kind not in "biufc":
        return repr(value)
    return entries(a, 8) if a.size <= MAX_SIDE * MAX_SIDE else f"<array {'x'.join(map(str, a.shape))}>"


def lines_text(pairs: Sequence[tuple[str, str]]) -> str:
    """``name  value`` lines with the names aligned."""
    width = max((len(k) for k, _ in pairs), default=0)
    return "\n".join(f"{k.ljust(width)}  {v}" for k, v in pairs)


def _is_number(text: str) -> bool:
    try:
        float(text.replace("%", ""))
    except ValueError:
        return False
    return True


def html_table(headers: Sequence[str], rows: Sequence[Sequence[Any]], caption: str = "",
               bad: Sequence[tuple[int, int]] = ()) -> str:
    """A styled HTML table (inline styles, so it looks the same in any notebook); text is escaped.

    Numeric cells are right-aligned in a monospace font; ``bad`` lists (row, column) cells shown in red.
    """
    flagged = set(bad)
    out = [f'<table style="{_TABLE}">']
    if caption:
        out.append(f'<caption style="text-align:left;font-weight:bold;padding:0.2em 0">'
                   f'{escape(caption)}</caption>')
    out.append("<tr>" + "".join(f'<th style="{_TH}">{escape(str(h))}</th>' for h in headers) + "</tr>")
    for i, row in enumerate(rows):
        cells = []
        for j, cell in enumerate(row):
            text = fmt(cell)
            style = _NUM if _is_number(text) else _TD
            if (i, j) in flagged:
                style += ";color:#b00020;font-weight:bold"
            cells.append(f'<td style="{style}">{escape(text)}</td>')
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</table>")
    return "".join(out)


def html_block(title: str, *parts: str, notes: Sequence[str] = ()) -> str:
    """A titled block of HTML parts, then the notes as a list (all text escaped by the callers' helpers)."""
    out = ['<div style="font-family:-apple-system,\'Segoe UI\',\'DejaVu Sans\',sans-serif;line-height:1.4">',
           f'<div style="font-weight:bold;margin:0.3em 0">{escape(title)}</div>', *parts]
    if notes:
        out.append('<ul style="margin:0.3em 0">' + "".join(f"<li>{escape(n)}</li>" for n in notes) + "</ul>")
    out.append("</div>")
    return "".join(out)


def html_text(text: str) -> str:
    """Plain text (e.g. a derivation's detail) as an escaped, wrapped paragraph."""
    return f'<p style="white-space:pre-wrap;margin:0.3em 0">{escape(text)}</p>' if text else ""


COLOURS = ("#1f77b4", "#17becf", "#2ca02c", "#ff7f0e", "#d62728", "#9467bd", "#8c564b", "#e377c2")


def svg_loglog(series: Sequence[tuple[str, Sequence[float], Sequence[float]]], xlabel: str, ylabel: str,
               marks: Sequence[tuple[str, float, float]] = (), width: int = 560, height: int = 320,
               floor: float = 1e-17) -> str:
    """A small log-log line plot as inline SVG: one line per (label, xs, ys); ``marks`` are labelled points.

    Why SVG by hand: a notebook shows it inline with no plotting package installed (matplotlib is an
    optional extra); values <= ``floor`` (an error of exactly 0) are drawn at the floor.
    """
    def logs(vals: Sequence[float]) -> np.ndarray:
        v = np.asarray(vals, dtype=float)
        return np.log10(np.where(np.isfinite(v) & (v > floor), v, floor))

    xs_all = np.concatenate([logs(xs) for _, xs, _ in series]) if series else np.array([0.0, 1.0])
    ys_all = np.concatenate([logs(ys) for _, _, ys in series]) if series else np.array([0.0, 1.0])
    x0, x1 = math.floor(xs_all.min()), math.ceil(xs_all.max())
    y0, y1 = math.floor(ys_all.min()), math.ceil(ys_all.max())
    x1, y1 = max(x1, x0 + 1), max(y1, y0 + 1)
    left, right, top, bottom = 56, 130, 12, 40
    pw, ph = width - left - right, height - top - bottom

    def px(lx: float) -> float:
        return left + (lx - x0) / (x1 - x0) * pw

    def py(ly: float) -> float:
        return top + (y1 - ly) / (y1 - y0) * ph

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'font-family="sans-serif" font-size="11">',
           f'<rect x="{left}" y="{top}" width="{pw}" height="{ph}" fill="white" stroke="#999"/>']
    xstep = max(1, (x1 - x0) // 8)
    ystep = max(1, (y1 - y0) // 8)
    for k in range(x0, x1 + 1, xstep):
        out.append(f'<line x1="{px(k):.1f}" y1="{top}" x2="{px(k):.1f}" y2="{top + ph}" stroke="#eee"/>'
                   f'<text x="{px(k):.1f}" y="{top + ph + 14}" text-anchor="middle">1e{k}</text>')
    for k in range(y0, y1 + 1, ystep):
        out.append(f'<line x1="{left}" y1="{py(k):.1f}" x2="{left + pw}" y2="{py(k):.1f}" stroke="#eee"/>'
                   f'<text x="{left - 4}" y="{py(k) + 4:.1f}" text-anchor="end">1e{k}</text>')
    out.append(f'<text x="{left + pw / 2:.0f}" y="{height - 6}" text-anchor="middle">{escape(xlabel)}</text>')
    out.append(f'<text x="12" y="{top + ph / 2:.0f}" text-anchor="middle" '
               f'transform="rotate(-90 12 {top + ph / 2:.0f})">{escape(ylabel)}</text>')
    for i, (label, xs, ys) in enumerate(series):
        colour = COLOURS[i % len(COLOURS)]
        points = " ".join(f"{px(a):.1f},{py(b):.1f}" for a, b in zip(logs(xs), logs(ys), strict=True))
        out.append(f'<polyline fill="none" stroke="{colour}" stroke-width="1.5" points="{points}"/>')
        ly = top + 14 + 15 * i
        out.append(f'<line x1="{left + pw + 8}" y1="{ly - 4}" x2="{left + pw + 24}" y2="{ly - 4}" '
                   f'stroke="{colour}" stroke-width="2"/>'
                   f'<text x="{left + pw + 28}" y="{ly}">{escape(label)}</text>')
    for label, x, y in marks:
        cx, cy = px(float(logs([x])[0])), py(float(logs([y])[0]))
        out.append(f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="3.5" fill="none" stroke="#222">'
                   f'<title>{escape(label)}</title></circle>')
    out.append("</svg>")
    return "".join(out)


def entry_name(kind: str, variables: Sequence[str], index: Sequence[int]) -> str:
    """An entry of a derivative in words -- one naming for tables, sweeps and reports: ``d/dx``
    (gradient), ``d2/dxdy`` (Hessian), ``df1/dy`` (Jacobian: component 1, counted from 0 as
    ``--component`` counts), ``f'``, ``f''`` or ``f^(7)`` (derivatives of order k), ``d3/dxdydz``
    (third derivatives); otherwise the flat position (an array variable)."""
    index = tuple(int(i) for i in index)
    if kind == "derivatives":
        return "f" + "'" * index[0] if index[0] <= 3 else f"f^({index[0]})"
    if kind == "jacobian" and len(index) == 2 and index[1] < len(variables):
        return f"df{index[0]}/d{variables[index[1]]}"
    if kind == "third_derivatives" and len(index) == 3 and max(index) < len(variables):
        return "d3/" + "".join(f"d{variables[i]}" for i in index)
    if len(index) == 1 and index[0] < len(variables) and kind != "jacobian":
        return f"d/d{variables[index[0]]}"
    if len(index) == 2 and max(index) < len(variables) and kind != "jacobian":
        return f"d2/d{variables[index[0]]}d{variables[index[1]]}"
    return str(list(index))
