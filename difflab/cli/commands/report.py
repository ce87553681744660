"""``difflab report EXPR --at ... [--at ...] -o FILE.html|FILE.md [--order K] [--methods a,b] [--json]``.

A vector ``"[f1, f2]"`` reports its Jacobian (per-entry errors, a heat map per method, the sweep of the
worst entry); ``--order K`` (3..10, one variable) f, f', ..., f^(K) (error against the order per
method with its estimate, and the sweep of f^(K)).

Every method against the reference (one table per point, and a summary over several), the error-vs-step
sweep with its plot, notes on singular points and kinks, and the generated code of the compiled
derivative. HTML embeds the plots; Markdown writes ``FILE_sweepK.png`` beside itself and links them.
The command prints what it wrote (with ``--json``: ``{"files": [...], "points": N, "summary": [...]}``);
progress goes to stderr unless ``--json``.
"""

from __future__ import annotations

import argparse

from difflab.cli.commands.sweep import progress_printer
from difflab.cli.output import add_function_arguments, emit, fmt, function_from_args, points_from_args, table
from difflab.reports.data import build_report
from difflab.reports.files import check_destination
from difflab.reports.plot import require_matplotlib
from difflab.reports.writer import report_format, write_report


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_function_arguments(parser)
    parser.add_argument("-o", "--output", required=True, metavar="FILE",
                        help="report file: .html (self-contained) or .md (plots saved beside it)")
    parser.add_argument("--order", type=int, default=1, metavar="K",
                        help="1: gradient (a vector function '[f1, f2]': its Jacobian), 2: gradient and "
                             "Hessian, K = 3..10 (one variable): f, f', ..., f^(K) and the sweep of f^(K)")
    parser.add_argument("--methods", metavar="A,B", help="methods to compare (default: all)")


def run(args: argparse.Namespace) -> int:
    report_format(args.output)  # a bad file name or an unwritable destination is refused before any work
    check_destination(args.output)
    require_matplotlib()
    f = function_from_args(args)
    points = points_from_args(f, args)
    methods = [m.strip() for m in args.methods.split(",") if m.strip()] if args.methods else None
    say = progress_printer(args, True)
    data = build_report(f, points, methods=methods, order=args.order, progress=say)
    files = write_report(data, args.output)
    summary = [{"method": s.method, "order": s.order, "derivative": s.what,
                "worst_rel_error": s.worst_rel_error, "worst_point": s.worst_point + 1,
                "worst_entry": s.worst_entry or None,
                "honest": s.honest, "estimated": s.estimated,
                "evaluations": s.evaluations, "seconds": s.seconds, "failures": s.failures}
               for s in data.summary]
    status = [p.status for p in data.points]
    rows = [[s["method"], s["derivative"], fmt(s["worst_rel_error"], 2), s["worst_point"],
             s["worst_entry"] or "", f"{s['honest']}/{s['estimated']}", s["failures"]] for s in summary]
    headers = ["method", "derivative", "worst rel err", "at point", "worst entry", "honest", "not ok"]
    text = "\n".join([f"report written: {', '.join(str(p) for p in files)}", "",
                      table(headers, rows),
                      *[f"point {k + 1}: {s}" for k, s in enumerate(status) if s != "ok"]])
    emit(args, {"files": [str(p) for p in files], "points": len(data.points), "status": status,
                "summary": summary}, text)
    return 0 if all(s == "ok" for s in status) else 1
