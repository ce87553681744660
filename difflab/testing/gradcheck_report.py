"""What ``gradcheck`` found: every entry outside its tolerance (worst first), and where it looked.

A report is truthy exactly when the check passed, so ``assert dl.gradcheck(...)`` fails on a wrong
gradient; ``str`` is the text a failing ``assert_gradient`` shows, ``_repr_html_`` the same as a table.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from difflab import display as d


@dataclass(frozen=True)
class Mismatch:
    """One gradient entry outside its tolerance."""

    point: str                 # label of the point ("given", "near 1", "saturated -", ...)
    index: str                 # entry, e.g. "[3]", "W[0, 2]"
    claimed: float
    reference: float
    rel_error: float
    tolerance: float           # absolute tolerance that was exceeded


@dataclass(frozen=True)
class GradcheckReport:
    """What was compared where, against what, and every entry that disagrees (worst first)."""

    ok: bool
    points: tuple[tuple[str, np.ndarray], ...]     # (label, flat point) actually compared
    references: tuple[str, ...]                    # reference method per compared point
    entries: int                                   # entries compared in total
    mismatches: tuple[Mismatch, ...]
    skipped: tuple[str, ...] = ()                  # points not compared, and why
    notes: tuple[str, ...] = ()
    max_rel_error: float = 0.0
    max_show: int = 10

    def __bool__(self) -> bool:
        """True exactly when every compared entry agrees (and at least one point was compared)."""
        return bool(self.ok)

    def __str__(self) -> str:
        return self.text()

    def __repr__(self) -> str:
        worst = f", worst={self.mismatches[0].index} at {self.mismatches[0].point}" if self.mismatches else ""
        return (f"GradcheckReport(ok={self.ok}, entries={self.entries}, points={len(self.points)}, "
                f"mismatches={len(self.mismatches)}{worst})")

    def _repr_html_(self) -> str:
        head = self.text().splitlines()[0]
        rows = [[m.point, m.index, f"{m.claimed:.10g}", f"{m.reference:.10g}", f"{m.rel_error:.2e}",
                 f"{m.tolerance:.2e}"] for m in self.mismatches[:self.max_show]]
        table = d.html_table(["point", "entry", "claimed", "reference", "rel. error", "tolerance"], rows,
                             bad=[(i, 4) for i in range(len(rows))]) if rows else ""
        tried = [f"{label} {short_point(p)} ({ref})" for (label, p), ref
                 in zip(self.points, self.references, strict=True)]
        notes = [f"points tried: {'; '.join(tried)}", *[f"skipped: {s}" for s in self.skipped], *self.notes]
        return d.html_block(head, table, notes=notes)

    def text(self) -> str:
        n = len(self.points)
        refs = ", ".join(sorted(set(self.references))) or "none"
        if self.ok:
            head = (f"gradcheck passed: {self.entries} entries at {n} point{'s' * (n != 1)} agree "
                    f"(reference: {refs}; largest relative error {self.max_rel_error:.2e})")
        elif not self.points:
            head = "gradcheck failed: no point could be compared"
        else:
            shown = min(len(self.mismatches), self.max_show)
            head = (f"gradcheck failed: {len(self.mismatches)} mismatch{'es' * (len(self.mismatches) != 1)} "
                    f"of {self.entries} entries at {n} point{'s' * (n != 1)}, showing {shown} (worst first; "
                    f"reference: {refs})")
        lines = [head]
        if self.mismatches:
            rows = [("point", "entry", "claimed", "reference", "rel. error", "tolerance")]
            rows += [(m.point, m.index, f"{m.claimed:.10g}", f"{m.reference:.10g}", f"{m.rel_error:.2e}",
                      f"{m.tolerance:.2e}") for m in self.mismatches[:self.max_show]]
            widths = [max(len(r[i]) for r in rows) for i in range(6)]
            lines += ["  " + "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
                      for r in rows]
        lines.append("points tried: " + "; ".join(f"{label} {short_point(p)} ({ref})" for (label, p), ref
                                                  in zip(self.points, self.references, strict=True)))
        lines += [f"skipped: {s}" for s in self.skipped] + [f"note: {s}" for s in self.notes]
        return "\n".join(lines)


def short_point(p: np.ndarray) -> str:
    """A point as its entries (up to 6) or its size and largest magnitude."""
    if p.size <= 6:
        return "[" + ", ".join(f"{v:.4g}" for v in p) + "]"
    return f"({p.size} values, |x| <= {np.max(np.abs(p)):.3g})"
