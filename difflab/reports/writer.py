"""Writing a report to a file (the top of ``difflab.reports``): ``dl.report(f, at, path)``.

``.html`` embeds each plot as a data URI (one self-contained file to mail around), ``.md`` saves the
PNGs beside the file and links them. The numbers come from ``data.build_report``; the markup from
``html``/``markdown``; the pictures from ``plot``.
"""

from __future__ import annotations

import pathlib
from collections.abc import Callable, Sequence
from typing import Any

from difflab.errors import InputError
from difflab.reports.data import ReportData, build_report
from difflab.reports.files import check_destination, write_atomic
from difflab.reports.html import render_html
from difflab.reports.markdown import render_markdown
from difflab.reports.plot import require_matplotlib, sweep_png
from difflab.reports.plot_tables import table_png

FORMATS = {".html": "html", ".htm": "html", ".md": "markdown", ".markdown": "markdown"}


def report_format(path: str | pathlib.Path) -> str:
    """'html' or 'markdown' from the file name (refused otherwise); the folder must exist.

    Checked before any work, so a typo costs nothing.
    """
    path = pathlib.Path(path)
    if path.suffix.lower() not in FORMATS:
        raise InputError(f"report file must end in .html or .md; got '{path.name}'")
    if not path.parent.is_dir():
        raise InputError(f"folder '{path.parent}' does not exist")
    return FORMATS[path.suffix.lower()]


def write_report(data: ReportData, path: str | pathlib.Path) -> list[pathlib.Path]:
    """Render ``data`` to ``path`` (HTML or Markdown by suffix); returns every file written."""
    path = pathlib.Path(path)
    kind = report_format(path)
    check_destination(path)
    images = [[sweep_png(r) if r.schemes else None for r in p.sweeps] for p in data.points]
    tables = [[table_png(t) for t in p.tables] for p in data.points]
    if kind == "html":
        write_atomic(path, render_html(data, images, tables))
        return [path]
    written = [path]
    names: list[list[str | None]] = []
    for k, pngs in enumerate(images):
        names.append([])
        for r, png in zip(data.points[k].sweeps, pngs, strict=True):
            if png is None:
                names[-1].append(None)
                continue
            tail = {"": "" if r.order == 1 else "_hessian", "jacobian": "_jacobian"}.get(r.kind,
                                                                                      f"_order{r.order}")
            image = path.with_name(f"{path.stem}_sweep{k + 1}{tail}.png")
            write_atomic(image, png)
            written.append(image)
            names[-1].append(image.name)
    table_names: list[list[str | None]] = []
    for k, pngs in enumerate(tables):
        table_names.append([])
        for t, png in zip(data.points[k].tables, pngs, strict=True):
            if png is None:
                table_names[-1].append(None)
                continue
            image = path.with_name(f"{path.stem}_errors{k + 1}_{t.quantity}.png")
            write_atomic(image, png)
            written.append(image)
            table_names[-1].append(image.name)
    write_atomic(path, render_markdown(data, names, table_names))  # last: the images it links are in place
    return written


def report(f: Any, at: Sequence[Any] | Any, path: str | pathlib.Path, methods: Sequence[str] | None = None,
           order: int = 1, progress: Callable[[str], None] | None = None) -> ReportData:
    """Build the report of ``f`` at ``at`` (one point or a list) and write it to ``path``."""
    report_format(path)  # refuse a bad file name before the work, not after
    require_matplotlib()
    data = build_report(f, at, methods=methods, order=order, progress=progress)
    write_report(data, path)
    return data
