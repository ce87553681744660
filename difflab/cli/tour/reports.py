"""Tour: error-analysis reports for the seed examples, written as HTML beside the tour log.

Why at the end of the tour: a report gathers what the earlier sections showed one at a time -- every
method against the reference, how each finite-difference scheme's error moves with the step, and where
the textbook step sits -- into one page a person can look at.
"""

from __future__ import annotations

import pathlib
from collections.abc import Callable

from difflab.reports.data import build_report
from difflab.reports.writer import write_report

TITLE = "Reports: every method, the step sweep and its plot, for the seed examples"

SEED_F = "x**4 + 0.8*y**4 + 4*x**2 + 2*y**2 - x*y - 0.2*x**2*y"
EXAMPLES = (
    ("seed 000, Newton's method in 2-D", SEED_F, [[4.0, 4.0]], 2, "report_newton_seed.html"),
    ("the finite-difference ladder", "exp(x)*sin(x)", [[1.0]], 1, "report_exp_sin.html"),
)


def run(out_dir: pathlib.Path, say: Callable[[str], None]) -> None:
    for title, expr, points, order, name in EXAMPLES:
        data = build_report(expr, points, order=order)
        files = write_report(data, out_dir / name)
        p = data.points[0]
        where = ", ".join(f"{v}={x:g}" for v, x in zip(data.variables, p.point, strict=True))
        say(f"{title}: f = {expr} at {where}")
        for result in p.sweeps:
            say(f"  {'gradient' if result.order == 1 else 'Hessian'} sweep:")
            for s in result.schemes:
                say(f"    {s.scheme:13} error {s.best_error:.1e} at best; {s.verdict}")
        for table in p.tables:
            what = "gradient" if table.order == 1 else "Hessian"
            worst = max(table.rows, key=lambda r: r.max_rel_error)
            dishonest = [r.method for r in table.rows if r.honest is False]
            say(f"  {what}: worst method {worst.method} (relative error {worst.max_rel_error:.1e}); "
                f"error estimates {'all honest' if not dishonest else 'NOT honest: ' + ', '.join(dishonest)}")
        say(f"  written: {', '.join(f.name for f in files)}")
