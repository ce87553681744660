"""Plots of an ``ErrorTable`` of order k or of a Jacobian (matplotlib, the ``report`` extra).

Drawing only: every number plotted was measured in ``difflab.measure.comparison``. What is drawn, and why:

* **Derivatives f, f', ..., f^(K)**: relative error against the order, one line per method (solid), and
  each method's own estimate as a relative error (dashed, same colour).  A numerical analyst asks two
  things of order k: how fast does each method lose digits as k grows (finite differences lose about
  a k-th of the digits per order, Taylor mode and symbolic none), and does the estimate follow the
  error up (a dashed line below its solid line is a dishonest estimate).  Declined orders (complex step
  above 1, reverse above 2) end the line: nothing is drawn where nothing was claimed.
* **Jacobians**: one panel per method, the relative error of every entry as a heat map (log10), rows =
  components, columns = variables.  Which entry is hard for which method is the question a Jacobian
  adds to a gradient (a component with large |f|/|f'| loses digits to rounding in every difference
  scheme); the step sweep shows the worst entry against the step, these panels show all entries at
  the default step.
"""

from __future__ import annotations

import io
import math

import numpy as np

from difflab.reports.plot import FLOOR, png_bytes, require_matplotlib
from difflab.result import ErrorTable

ANNOTATE = 36  # Jacobians with up to this many entries get their numbers written in the cells
EXACT_LEVEL = math.log10(FLOOR)  # an error of exactly 0 is shown at the floor (the colour bar says so)


def table_png(table: ErrorTable, dpi: int = 110) -> bytes | None:
    """The plot for a derivatives or Jacobian table, or None for gradients and Hessians (their sweep
    plot says it)."""
    if table.quantity == "derivatives":
        return _orders(table, dpi)
    if table.quantity == "jacobian":
        return _entries(table, dpi)
    return None


def _orders(table: ErrorTable, dpi: int) -> bytes:
    plt = require_matplotlib()
    fig, ax = plt.subplots(figsize=(8.6, 4.8), dpi=dpi)
    ref = np.abs(np.asarray(table.reference, dtype=float))
    orders = np.arange(ref.size)
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for i, row in enumerate(table.rows):
        color = colors[i % len(colors)]
        e = np.asarray(row.rel_error, dtype=float)
        err = np.where(np.isnan(e), np.nan, np.where(e > 0, e, FLOOR * 2))  # nan: declined, the line ends
        ax.semilogy(orders, err, "-o", color=color, ms=3.5, lw=1.4, label=row.method)
        if row.estimate.error_estimate is not None:
            with np.errstate(all="ignore"):
                scale = np.where(ref > 0, ref, np.nan)
                rel_est = np.asarray(row.estimate.error_estimate, dtype=float) / scale
            ax.semilogy(orders, np.clip(rel_est, FLOOR * 2, None), "--", color=color, lw=0.9, alpha=0.7)
    ax.axhline(np.finfo(float).eps, color="gray", lw=0.8, ls=":")
    ax.set_xticks(orders)
    ax.set_xticklabels([table.entry_name((int(k),)) for k in orders], fontsize=8)
    ax.set_ylim(FLOOR, 10.0)
    ax.set_xlabel("derivative")
    ax.set_ylabel("relative error")
    point = ", ".join(f"{v}={x:g}" for v, x in zip(table.variables, table.point, strict=True))
    ax.set_title(f"error against the order at {point} (solid: measured, dashed: the method's estimate)",
                 fontsize=10)
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8.5, frameon=False,
              title="error 0: bottom row\nline ends: order declined", title_fontsize=8)
    return png_bytes(fig, plt, dpi)


def _entries(table: ErrorTable, dpi: int) -> bytes:
    plt = require_matplotlib()
    rows = table.rows
    cols = min(len(rows), 3)
    lines = math.ceil(len(rows) / cols)
    m, n = np.asarray(table.reference).shape
    fig, axes = plt.subplots(lines, cols, figsize=(3.2 * cols + 1.2, 2.6 * lines + 0.6), dpi=dpi,
                             squeeze=False, layout="constrained")
    image = None
    for k, ax in enumerate(axes.ravel()):
        if k >= len(rows):
            ax.axis("off")
            continue
        r = rows[k]
        e = np.asarray(r.rel_error, dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            levels = np.log10(np.where(e > 0, e, FLOOR))
        shown = np.ma.masked_invalid(np.where(np.isnan(e), np.nan, np.clip(levels, EXACT_LEVEL, 0.0)))
        cmap = plt.get_cmap("viridis").with_extremes(bad="#dddddd")  # grey: an entry the method did not give
        image = ax.imshow(shown, vmin=EXACT_LEVEL, vmax=0.0, cmap=cmap, aspect="auto")
        if m * n <= ANNOTATE:  # small Jacobians: the number in each cell, as the table has it
            for (i, j), v in np.ndenumerate(e):
                label = "-" if np.isnan(v) else "0" if v == 0 else f"{v:.0e}"
                ax.text(j, i, label, ha="center", va="center", fontsize=7,
                        color="white" if np.isnan(v) or v < 1e-6 else "black")
        ax.set_title(r.method, fontsize=9)
        ax.set_xticks(range(n))
        ax.set_xticklabels([f"d/d{v}" for v in table.variables][:n], fontsize=7)
        ax.set_yticks(range(m))
        ax.set_yticklabels([f"f{i}" for i in range(m)], fontsize=7)
    if image is not None:
        bar = fig.colorbar(image, ax=axes.ravel().tolist(), shrink=0.9)
        bar.set_label("log10 relative error (bottom: exactly 0; grey: not given)", fontsize=8)
    fig.suptitle("Jacobian: relative error per entry, per method (default steps)", fontsize=10)
    buf = io.BytesIO()
    try:
        fig.savefig(buf, format="png", dpi=dpi)
        return buf.getvalue()
    finally:
        plt.close(fig)
