"""Reports render from pure data: HTML embeds its plot and names every method, Markdown links its PNG,
several points give one table each and a summary, and the renderer only formats what it is given."""

from __future__ import annotations

import base64
import json
import re
import sys
from dataclasses import replace

import numpy as np
import pytest

from difflab.cli.entry import main
from difflab.cli.tour import reports as tour_reports
from difflab.errors import DifflabError, InputError
from difflab.measure.comparison import DEFAULT_METHODS
from difflab.reports.data import ReportData, ReportPoint, SummaryRow, build_report
from difflab.reports.html import render_html
from difflab.reports.markdown import render_markdown
from difflab.reports.writer import report, write_report
from difflab.result import ErrorTable, Estimate, MethodRow, WorstEntry

PNG = b"\x89PNG\r\n\x1a\n"
SEED_F = "x**4 + 0.8*y**4 + 4*x**2 + 2*y**2 - x*y - 0.2*x**2*y"


@pytest.fixture(scope="module")
def seed_data():
    return build_report(SEED_F, [[4.0, 4.0], [-1.0, 0.5]], order=2)


def _embedded_pngs(html: str) -> list[bytes]:
    return [base64.b64decode(m) for m in re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', html)]


def test_html_embeds_the_plot_and_every_methods_row(seed_data, tmp_path):
    path = tmp_path / "seed.html"
    assert write_report(seed_data, path) == [path]
    html = path.read_text()
    pngs = _embedded_pngs(html)
    assert len(pngs) == 4 and all(p.startswith(PNG) for p in pngs)  # gradient and Hessian, per point
    for k in (1, 2):
        for order in (1, 2):
            for method in DEFAULT_METHODS:
                assert f'id="p{k}-o{order}-{method}"' in html
    assert html.count("<h3>Gradient: every method against the reference</h3>") == 2
    assert html.count("<h3>Hessian: every method against the reference</h3>") == 2
    assert "<h2>Summary over all points</h2>" in html
    assert "Point 2: x = -1, y = 0.5" in html
    # the seed's gradient and Hessian at (4, 4), as the reference line shows them
    assert "[277.6, 213.6]" in html and "[198.4, -2.6; -2.6, 157.6]" in html
    assert "def _lambdifygenerated(" in html  # the compiled derivative's code
    for scheme in ("forward", "backward", "central", "five-point", "complex-step", "richardson"):
        assert re.search(rf"<td[^>]*>{scheme}</td><td[^>]*>h", html)  # its row in the sweep table


def test_markdown_links_its_png_beside_it(tmp_path):
    path = tmp_path / "es.md"
    data = report("exp(x)*sin(x)", 1.0, path)
    image = tmp_path / "es_sweep1.png"
    assert image.read_bytes().startswith(PNG)
    md = path.read_text()
    assert "![gradient error versus step at point 1](es_sweep1.png)" in md
    for method in DEFAULT_METHODS:
        assert re.search(rf"^\| {re.escape(method)} \| ", md, re.M)
    assert "| central | h^2, eps/h |" in md
    assert "```python\ndef _lambdifygenerated(" in md
    assert len(data.points) == 1 and data.points[0].sweep is not None


def test_summary_picks_each_methods_worst_point(seed_data):
    for row in seed_data.summary:
        per_point = [p.tables[row.order - 1].row(row.method).max_rel_error for p in seed_data.points]
        assert row.worst_rel_error == max(per_point)
        assert row.worst_point == int(np.argmax(per_point))
        assert row.points == 2


def _hand_made() -> ReportData:
    """A report built by hand: the renderer must show exactly these numbers and words."""
    ref = np.array([2.0, -3.0])
    good = Estimate(np.array([2.0, -3.0]), np.array([0.0, 0.0]), 1, "symbolic")
    bad = Estimate(np.array([2.5, -3.0]), np.array([1e-9, 1e-9]), 4, "fd-central",
                   status="probe <x> gave nan")
    rows = (MethodRow("symbolic", good, np.zeros(2), 0.0, None, np.zeros(2), True),
            MethodRow("fd-central", bad, np.array([0.2, 0.0]), 0.2, WorstEntry((0,), 2.5, 2.0, 0.2),
                      np.array([0.5, 0.0]), False))
    table = ErrorTable("a*b", ("a", "b"), (1.0, 2.0), 1, ref, rows, value=2.0)
    point = ReportPoint((1.0, 2.0), (table,), (), ("kink at a = 1 <careful>",))
    summary = (SummaryRow("fd-central", 1, 0.2, 0, 0, 1, 1, 4, 0.001, 1),)
    code = (("compiled gradient", "def f(a, b):\n  return b"),)
    return ReportData("a*b", ("a", "b"), 1, (point,), summary, code)


def test_renderers_only_format_the_data_they_are_given():
    data = _hand_made()
    html = render_html(data, [None])
    assert "d/da: 2.5 vs 2.0</td>" in html
    assert '<td class="bad">NO</td>' in html and '<td class="good">yes</td>' in html
    assert "probe &lt;x&gt; gave nan" in html and "<x>" not in html  # user text is escaped
    assert "kink at a = 1 &lt;careful&gt;" in html
    assert "0.2, 0" in html  # relative error per entry
    assert "data:image" not in html  # no sweep, no plot
    md = render_markdown(data, [None])
    assert "| fd-central | 2.5, -3 | 0.2, 0 | d/da: 2.5 vs 2.0 | 1.0e-09 | NO | 4 |" in md
    assert "- kink at a = 1 <careful>" in md
    assert "```python\ndef f(a, b):\n  return b\n```" in md


def test_a_pole_is_reported_in_words(tmp_path):
    path = tmp_path / "pole.html"
    assert main(["report", "1/x", "--at", "x=0", "--at", "x=2", "-o", str(path), "--json"]) == 1
    html = path.read_text()
    assert "the reference has no value at x=0.0: x=0 is a pole" in html
    assert len(_embedded_pngs(html)) == 1  # the good point still has its plot


def test_cli_json_is_quiet_and_lists_files(tmp_path, capsys):
    path = tmp_path / "r.md"
    assert main(["report", "sin(x)*y", "--at", "x=0.5,y=2", "-o", str(path), "--json",
                 "--methods", "symbolic,fd-central"]) == 0
    out = capsys.readouterr()
    assert out.err == ""
    data = json.loads(out.out)
    assert data["files"] == [str(path), str(tmp_path / "r_sweep1.png")]
    assert [s["method"] for s in data["summary"]] == ["symbolic", "fd-central"]


def test_cli_progress_goes_to_stderr(tmp_path, capsys):
    assert main(["report", "x**2", "--at", "x=1", "--at", "x=3", "-o", str(tmp_path / "p.html"),
                 "--methods", "symbolic"]) == 0
    out = capsys.readouterr()
    assert "point 2 of 2" in out.err and "sweep central" in out.err
    assert "report written:" in out.out


def test_bad_file_name_is_refused_before_any_work(capsys):
    with pytest.raises(InputError, match=r"^report file must end in \.html or \.md; got 'out\.pdf'$"):
        report("x", 1.0, "out.pdf")
    assert main(["report", "x", "--at", "x=1", "-o", "out.txt"]) == 2
    assert "report file must end in .html or .md; got 'out.txt'" in capsys.readouterr().err


def test_missing_matplotlib_says_how_to_install(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(DifflabError, match=r"reports need matplotlib .*pip install 'difflab\[report\]'"):
        report("x**2", 1.0, tmp_path / "r.html")


def test_tour_section_writes_the_seed_reports(tmp_path):
    said: list[str] = []
    tour_reports.run(tmp_path, said.append)
    seed = (tmp_path / "report_newton_seed.html").read_text()
    assert len(_embedded_pngs(seed)) == 2 and "[277.6, 213.6]" in seed  # gradient and Hessian sweeps
    assert "Hessian: every method" in seed
    assert (tmp_path / "report_exp_sin.html").exists()
    assert any("written: report_exp_sin.html" in s for s in said)


def test_a_kink_is_worded_once_and_rows_point_to_the_notes(tmp_path):
    path = tmp_path / "kink.md"
    report("abs(x - 1) + x**2", 1.0, path, methods=["symbolic", "fd-forward", "fd-central"])
    md = path.read_text()
    assert md.count("one-sided derivatives are 1 from the left and 3 from the right") == 1
    assert re.search(r"^\| fd-forward \| 3\.0000000298 \| 0\.33 \| .* \| see notes \|$", md, re.M)


def test_row_notes_group_statuses_and_name_dishonest_estimates():
    from difflab.reports.data import _row_notes

    table = _hand_made().points[0].tables[0]
    ok_status = replace(table.rows[1], estimate=replace(table.rows[1].estimate, status="ok"))
    dishonest = replace(table, rows=(table.rows[0], ok_status))
    assert _row_notes(dishonest, []) == [
        "fd-central (gradient): its error estimate 1e-09 is below its actual error 0.5 (not honest)"]
    assert _row_notes(table, []) == ["fd-central (gradient): probe <x> gave nan"]
    assert _row_notes(table, ["already said: probe <x> gave nan"]) == []


def test_dl_report_and_sweep_call_the_functions_even_after_their_modules_are_imported(tmp_path):
    import difflab as dl
    import difflab.measure.step_sweep  # noqa: F401
    import difflab.reports.writer  # noqa: F401  (sets the package attribute to the module)

    data = dl.report("x**3", 2.0, tmp_path / "r.html", methods=["symbolic"])
    assert data.points[0].tables[0].reference.tolist() == [12.0]
    assert dl.sweep("x**3", 2.0, schemes=["central"]).scheme("central").theory_step > 0


def test_an_opaque_python_function_is_refused_with_the_reason(tmp_path):
    import difflab.numpy as dnp
    from difflab.expr.function import Function
    from difflab.measure.step_sweep import sweep

    def g(x, y):
        return dnp.sin(x) * y if x > 0 else x * y  # control flow: not traceable

    f = Function(g)
    with pytest.raises(InputError, match="^a report measures every method against the mpmath reference"):
        report(f, [0.5, 2.0], tmp_path / "g.html")
    with pytest.raises(InputError, match="^a sweep measures errors against the mpmath reference"):
        sweep(f, [0.5, 2.0])


def test_a_missing_folder_is_refused_before_any_work(tmp_path, capsys):
    missing = tmp_path / "nope" / "r.html"
    assert main(["report", "x**2", "--at", "x=1", "-o", str(missing)]) == 2
    err = capsys.readouterr().err
    assert err.strip() == f"difflab report: error: folder '{missing.parent}' does not exist"


def test_order_2_markdown_links_the_hessian_sweep_too(tmp_path):
    path = tmp_path / "h.md"
    report("exp(x)*sin(y)", [1.0, 0.5], path, methods=["symbolic", "fd-central"], order=2)
    md = path.read_text()
    assert "![Hessian error versus step at point 1](h_sweep1_hessian.png)" in md
    assert (tmp_path / "h_sweep1_hessian.png").read_bytes().startswith(PNG)
    assert "### Error versus step (Hessian): every finite-difference scheme" in md
    assert "| central | h^2, eps/h^2 |" in md  # a second difference: rounding grows like eps/h^2
