"""examples/lab.ipynb runs top to bottom in a real Python kernel and shows what the seed notes say
(nbclient + ipykernel, the ``notebook`` extra; skipped without them)."""

from __future__ import annotations

import pathlib

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

NOTEBOOK = pathlib.Path(__file__).parent.parent / "examples" / "lab.ipynb"


def _outputs(cell) -> tuple[str, str]:
    plain = html = ""
    for out in cell.get("outputs", []):
        data = out.get("data", {})
        plain += data.get("text/plain", "") + out.get("text", "")
        html += data.get("text/html", "")
    return plain, html


@pytest.fixture(scope="module")
def executed():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    client = nbclient.NotebookClient(nb, timeout=300, kernel_name="python3",
                                     resources={"metadata": {"path": str(NOTEBOOK.parent)}})
    client.execute()
    return {i: _outputs(c) for i, c in enumerate(nb.cells) if c.cell_type == "code"}


def _cell(executed, source_start: str) -> tuple[str, str]:
    nb = nbformat.read(NOTEBOOK, as_version=4)
    for i, c in enumerate(nb.cells):
        if c.cell_type == "code" and c.source.startswith(source_start):
            return executed[i]
    raise KeyError(source_start)


def test_the_seed_gradient_and_hessian_show_the_seed_numbers(executed):
    plain, html = _cell(executed, 'f = dl.Function')
    # d/dx = 4x**3 + 8x - y - 0.4xy = 256 + 32 - 4 - 6.4 = 277.6; d/dy = 3.2y**3 + 4y - x - 0.2x**2 = 213.6
    assert "277.6" in plain and "213.6" in plain and "<table" in html
    plain, _ = _cell(executed, 'dl.hessian')
    # d2/dx2 = 12x**2 + 8 - 0.4y = 198.4; d2/dxdy = -1 - 0.4x = -2.6; d2/dy2 = 9.6y**2 + 4 = 157.6
    assert "198.4" in plain and "-2.6" in plain and "157.6" in plain


def test_compare_newton_check_sweep_and_gradcheck_render_as_tables(executed):
    _, html = _cell(executed, "table = dl.compare")
    assert "<table" in html and "reverse" in html and "fd-central" in html
    plain, html = _cell(executed, "result = dl.newton")
    assert "0.56714329040978" in plain + html          # W(1), the omega constant
    plain, html = _cell(executed, "claim = dl.check")
    assert "HOLDS" in html
    plain, _ = _cell(executed, "wrong = dl.check")
    assert plain.strip() == "False"
    _, html = _cell(executed, "sweep = dl.sweep")
    assert "<svg" in html and "basin middle" in html
    _, html = _cell(executed, "def loss")
    assert "gradcheck failed" in html
