"""Issue 19: a ``ReportData`` (what ``dl.report`` returns) prints like the tools users know -- a one-line
repr, the tables as text, and in a notebook styled tables with each sweep's plot inline (SVG)."""

from __future__ import annotations

import math
import re

import pytest

from difflab.reports.data import build_report

F = "exp(x)*sin(x)"


def _closed_form(x: float) -> float:
    return math.exp(x) * (math.sin(x) + math.cos(x))  # d/dx e^x sin x


@pytest.fixture(scope="module")
def two_points():
    return build_report(F, [[1.0], [-0.5]])


def test_repr_is_one_short_line_naming_the_worst_method(two_points):
    text = repr(two_points)
    worst = max((r for p in two_points.points for t in p.tables for r in t.rows), key=lambda r: r.max_rel_error)
    at = next(k for k, p in enumerate(two_points.points) for t in p.tables for r in t.rows if r is worst)
    assert "\n" not in text and len(text) < 160
    assert text.startswith(f"<ReportData gradient of {F} at 2 points: 9 methods, worst {worst.method} ")
    assert text.endswith(f"{worst.max_rel_error:.2g} at point {at + 1}>")


def test_str_has_the_summary_and_each_point_s_reference_against_the_closed_form(two_points):
    text = str(two_points)
    assert text.startswith(f"report: f = {F}   (gradient; 2 points)")
    assert "summary over the points:" in text
    headings = re.findall(r"^== point (\d) of 2: x=(\S+) ==$", text, flags=re.M)
    assert headings == [("1", "1"), ("2", "-0.5")]
    references = [float(v) for v in re.findall(r"^reference \(gradient, mpmath\): \[(\S+)\]$", text, flags=re.M)]
    assert references == pytest.approx([_closed_form(1.0), _closed_form(-0.5)], rel=1e-15)
    for scheme in ("forward", "central", "richardson"):  # each point's sweep is there too
        assert len(re.findall(rf"^{scheme}: ", text, flags=re.M)) == 2


def test_html_has_the_tables_and_one_inline_plot_per_sweep(two_points):
    html = two_points._repr_html_()
    assert html.count("<svg") == 2  # one error-versus-step plot per point, no plotting package needed
    assert "summary over the points" in html and "point 2 of 2: x=-0.5" in html
    for method in ("symbolic", "reverse", "fd-central", "complex-step"):
        assert f">{method}<" in html


def test_one_point_at_a_kink_says_it_once_and_counts_the_methods():
    data = build_report("abs(x - 1) + x**2", [1.0])
    assert repr(data).startswith("<ReportData gradient of abs(x - 1) + x**2 at x=1: 9 methods, worst ")
    text = str(data)
    assert "summary over the points" not in text  # one point: its tables say it all
    # the kink's one-sided slopes 1 (left) and 3 (right): worded once by the table, not repeated as a point note
    assert text.count("the one-sided derivatives are 1 from the left and 3 from the right") == 1
    assert "from the left and 3 from the right" in data._repr_html_()
