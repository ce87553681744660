"""Reports of Jacobians and of derivatives of order K: tables, plots and sweeps, values checked against
closed forms (not difflab's reference)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from difflab.cli.entry import main
from difflab.errors import InputError
from difflab.reports.data import build_report
from difflab.reports.plot_tables import table_png
from difflab.reports.writer import report

PNG = b"\x89PNG"


def test_jacobian_report_tables_heat_map_and_worst_entry(tmp_path):
    path = tmp_path / "jac.md"
    data = report("[x*y, sin(x) + y**2]", [1.0, 2.0], path, methods=["fd-forward", "reverse"])
    (point,) = data.points
    (table,) = point.tables
    assert table.quantity == "jacobian"
    assert np.allclose(table.reference, [[2.0, 1.0], [math.cos(1.0), 4.0]], rtol=1e-15)
    assert point.sweeps[0].kind == "jacobian"
    fd = next(s for s in data.summary if s.method == "fd-forward")
    assert fd.what == "Jacobian" and fd.worst_entry == "df1/dx"  # |f|/|f'| = 9: rounding is largest there
    text = path.read_text()
    assert "### Jacobian: every method against the reference" in text
    assert "### Error versus step (Jacobian)" in text
    assert (tmp_path / "jac_errors1_jacobian.png").read_bytes().startswith(PNG)
    assert (tmp_path / "jac_sweep1_jacobian.png").read_bytes().startswith(PNG)
    assert "df1/dx: " in text  # the worst entry named in the method table, with both values


def test_order_k_report_table_error_plot_and_sweep_of_the_top_order(tmp_path):
    path = tmp_path / "orders.html"
    data = report("exp(x)*sin(x)", [1.0], path, methods=["complex-step", "fd-central", "forward"], order=5)
    (point,) = data.points
    (table,) = point.tables
    exact = [2 ** (k / 2) * math.e * math.sin(1 + k * math.pi / 4) for k in range(6)]
    assert table.quantity == "derivatives" and np.allclose(table.reference, exact, rtol=1e-14)
    assert point.sweeps[0].what == "f^(5)" and point.sweeps[0].order == 5
    cs = next(s for s in data.summary if s.method == "complex-step")
    assert cs.failures == 1 and cs.worst_rel_error <= 1e-15  # declined orders are not judged, said in words
    assert next(s for s in data.summary if s.method == "fd-central").worst_entry == "f^(5)"
    html = path.read_text()
    assert html.count("<img") == 2 and "f, f&#x27;, ..., f^(5): every method" in html
    assert "complex step: first derivatives only" in html


def test_table_plots_only_for_orders_and_jacobians():
    data = build_report("exp(x)*sin(x)", [1.0], methods=["forward"], order=4, sweep=False)
    assert table_png(data.points[0].tables[0]).startswith(PNG)
    plain = build_report("exp(x)*sin(y)", [1.0, 2.0], methods=["forward"], sweep=False)
    assert table_png(plain.points[0].tables[0]) is None


def test_report_order_refusals():
    with pytest.raises(InputError, match=r"^order must be 1 \(gradient or Jacobian\), 2 \(Hessian\) or 3..10 "
                                         r"\(derivatives of one variable\); a Jacobian report has order 1; got 2$"):
        build_report("[x, x*y]", [1.0, 2.0], order=2)
    with pytest.raises(InputError, match=r"^order must be 1 \(gradient\), 2 \(Hessian\) or 3..10 \(derivatives "
                                         r"of one variable\); got 11$"):
        build_report("exp(x)", [1.0], order=11)
    with pytest.raises(InputError, match="^derivatives of order k need a function of one variable; this one has 2"):
        build_report("exp(x)*y", [1.0, 2.0], order=4, sweep=False)


def test_cli_report_order_json(tmp_path, capsys):
    out = tmp_path / "r.md"
    assert main(["report", "exp(x)*sin(x)", "--at", "x=1", "--order", "3", "--methods", "fd-central,forward",
                 "-o", str(out), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    rows = {s["method"]: s for s in data["summary"]}
    assert rows["fd-central"]["derivative"] == "f, f', ..., f^(3)" and rows["fd-central"]["worst_entry"] == "f'''"
    assert rows["forward"]["worst_rel_error"] <= 1e-13
    assert sorted(p.rsplit("/", 1)[1] for p in data["files"]) == ["r.md", "r_errors1_derivatives.png",
                                                                   "r_sweep1_order3.png"]


def test_order_3_of_several_variables_adds_the_third_derivative_table(tmp_path):
    """exp(x*y): d3/dx3 = y**3 e^{xy}, d3/dx2dy = (2y + x y**2) e^{xy} (by hand)."""
    data = build_report("exp(x*y)", [0.5, 1.0], methods=["forward", "fd-central"], order=3, sweep=False)
    tables = data.points[0].tables
    assert [t.quantity for t in tables] == ["gradient", "hessian", "third_derivatives"]
    e = math.exp(0.5)
    assert tables[2].reference[0, 0, 0] == pytest.approx(e, rel=1e-14)
    assert tables[2].reference[0, 0, 1] == pytest.approx(2.5 * e, rel=1e-14)
    assert tables[2].row("fd-central").honest is True
    assert [title for title, _ in data.code][-1] == "compiled third derivatives (i <= j <= k)"
