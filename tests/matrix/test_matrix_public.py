"""The array route through the public interface: dl.Function(shapes=...), dl.gradient, dl.hessian,
dl.compare, and the command line (--shape, --wrt, --data)."""

from __future__ import annotations

import json

import numpy as np
import pytest

import difflab as dl
from difflab.cli.entry import main
from difflab.errors import InputError

LSQ = ["sum((X@w - y)**2)", "--shape", "X=m,n", "--shape", "w=n", "--shape", "y=m", "--wrt", "w"]


@pytest.fixture
def lsq_data(tmp_path):
    rng = np.random.default_rng(0)
    data = {"X": rng.standard_normal((6, 3)), "w": rng.standard_normal(3), "y": rng.standard_normal(6)}
    path = tmp_path / "lsq.npz"
    np.savez(path, **data)
    return data, str(path)


def test_function_with_shapes_is_an_array_function():
    n = 4
    f = dl.Function("0.25*sum((A@x)**4) + 0.5*sum(x**2)", shapes={"A": (n, n), "x": (n,)}, wrt="x")
    assert isinstance(f, dl.Function)
    assert f.formula("gradient") == "A.T @ (A @ x)**3 + x"
    rng = np.random.default_rng(1)
    A, x = rng.standard_normal((n, n)), rng.standard_normal(n)
    g = dl.gradient(f, {"A": A, "x": x}, method="symbolic")
    H = dl.hessian(f, {"A": A, "x": x}, method="reverse")
    assert g.value.shape == (n,) and H.value.shape == (n, n)
    assert np.allclose(g.value, A.T @ (A @ x) ** 3 + x, rtol=1e-14, atol=0)
    assert np.allclose(H.value, A.T @ (3 * (A @ x)[:, None] ** 2 * A) + np.eye(n), rtol=1e-13, atol=1e-14)


def test_wrt_without_shapes_is_refused():
    with pytest.raises(InputError, match=r"^wrt= goes with shapes= \(the arrays' shapes\); for scalar "
                                         r"variables use variables=\[\.\.\.\]$"):
        dl.Function("x**2", wrt="x")


def test_compare_runs_every_method_on_an_array_function(lsq_data):
    data, _ = lsq_data
    f = dl.Function("sum((X@w - y)**2)", shapes={"X": "m,n", "w": "n", "y": "m"}, wrt="w")
    table = dl.compare(f, data, order=2)
    assert np.allclose(table.reference, 2 * data["X"].T @ data["X"], rtol=1e-15)
    assert {r.method for r in table.rows} >= {"symbolic", "forward", "reverse", "fd-central"}
    for row in table.rows:
        assert row.estimate.ok and row.honest, row.method
        assert row.max_rel_error < (1e-14 if row.method in ("symbolic", "forward", "reverse") else 1e-4)
    assert table.point == tuple(data["w"])


def test_cli_diff_prints_the_formulas(capsys):
    assert main(["diff", *LSQ]) == 0
    out = capsys.readouterr().out
    assert "gradient = 2*X.T @ (X @ w - y)" in out
    assert "Hessian  = 2*X.T @ X" in out


def test_cli_diff_with_data_json(capsys, lsq_data):
    data, path = lsq_data
    assert main(["diff", *LSQ, "--data", path, "--order", "2", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    X, w, y = data["X"], data["w"], data["y"]
    assert out["formulas"] == {"gradient": "2*X.T @ (X @ w - y)", "hessian": "2*X.T @ X"}
    assert out["shapes"] == {"X": ["m", "n"], "w": ["n"], "y": ["m"]} and out["wrt"] == "w"
    assert np.allclose(out["gradient"], 2 * X.T @ (X @ w - y), rtol=1e-14)
    assert np.allclose(out["hessian"], 2 * X.T @ X, rtol=1e-14)
    assert out["value"] == pytest.approx(float(np.sum((X @ w - y) ** 2)), rel=1e-14)


def test_cli_diff_verbose_shows_the_compiled_code(capsys, lsq_data):
    _, path = lsq_data
    assert main(["diff", *LSQ, "--data", path, "--verbose"]) == 0
    assert "def gradient(X, w, y):\n    return 2 * (X.T @ (X @ w - y))" in capsys.readouterr().out


def test_cli_compare_with_data(capsys, lsq_data):
    _, path = lsq_data
    assert main(["compare", *LSQ, "--data", path, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out["point"]) == {"w"} and len(out["point"]["w"]) == 3
    assert out["methods"]["symbolic"]["max_rel_error"] < 1e-14
    assert out["methods"]["fd-central"]["status"] == "ok"


@pytest.mark.parametrize(("argv", "message"), [
    (["compare", *LSQ], "difflab compare: error: compare with --shape needs --data FILE.npz (the arrays to "
                        "evaluate at)\n"),
    (["diff", *LSQ, "--data", "missing.npz"], "difflab diff: error: --data file 'missing.npz' does not exist\n"),
    (["diff", "sum(x**2)", "--wrt", "x"], "difflab diff: error: --wrt and --data go with --shape NAME=DIMS "
                                          "(declare the arrays first)\n"),
    (["diff", "sum(x**2)", "--shape", "x"], "difflab diff: error: --shape needs NAME=DIMS, e.g. X=m,n, got "
                                            "'x'\n"),
    (["diff", "sum(x**2)"], "difflab diff: error: --at is required (e.g. --at x=1,y=2), or --shape NAME=DIMS "
                            "for arrays\n"),
    (["diff", "sum(A @ x)", "--shape", "A=2,3", "--shape", "x=2", "--wrt", "x"],
     "difflab diff: error: cannot parse expression at position 7: cannot multiply (2, 3) @ (2,): inner "
     "dimensions 3 and 2 differ\n"),
])
def test_cli_bad_input_is_one_line_exit_2(capsys, argv, message):
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.err == message and captured.out == ""


def test_cli_data_with_wrong_shapes(capsys, tmp_path):
    path = tmp_path / "bad.npz"
    np.savez(path, X=np.ones((6, 3)), w=np.ones(4), y=np.ones(6))
    assert main(["diff", *LSQ, "--data", str(path)]) == 2
    assert capsys.readouterr().err == "difflab diff: error: size 'n' is 3 for 'X' but 4 for 'w'\n"


def test_tour_section_prints_the_formulas_and_the_comparison(tmp_path):
    from difflab.cli.tour import matrix as section

    said: list[str] = []
    section.run(tmp_path, said.append)
    text = "\n".join(said)
    assert "| `A.T @ (A @ x)**3 + x` | `3*A.T @ diag((A @ x)**2) @ A + I` |" in text
    assert "| `2*X.T @ (X @ w - y)` | `2*X.T @ X` |" in text
    rows = [line for line in said if line.startswith("| dense quartic |")]
    assert len(rows) == 1 and "operations" in rows[0]


def test_cli_jacobian_wrt_a_matrix_every_method(capsys, tmp_path):
    """tanh(W x) w.r.t. W: J[i, a, b] = delta_ia (1 - tanh(W x)_i^2) x_b, by hand."""
    rng = np.random.default_rng(6)
    W, x = rng.standard_normal((2, 3)), rng.standard_normal(3)
    np.savez(tmp_path / "jw.npz", W=W, x=x)
    argv = ["tanh(W @ x)", "--shape", "W=h,d", "--shape", "x=d", "--wrt", "W", "--data", str(tmp_path / "jw.npz")]
    want = np.einsum("ia,i,b->iab", np.eye(2), 1 - np.tanh(W @ x) ** 2, x)
    assert main(["diff", *argv, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["formulas"] == {"gradient": "J[dW] = (dW @ x)*(1 - tanh(W @ x)**2)"}
    assert np.allclose(out["gradient"], want, rtol=1e-14, atol=0)
    assert main(["compare", *argv, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert np.allclose(out["reference"]["gradient"], want, rtol=1e-14, atol=0)
    for name, row in out["methods"].items():
        assert row["status"] == "ok", name
        assert np.allclose(row["gradient"], want, rtol=1e-6, atol=1e-8), name
