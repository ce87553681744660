"""The command line on vector-valued functions and derivatives of order k (the JSON keys are a contract)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from difflab.cli.entry import main


def run(capsys, *argv: str):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_diff_vector_json(capsys):
    code, out, err = run(capsys, "diff", "[x*y, sin(x) + y**2]", "--at", "x=1,y=2", "--json")
    data = json.loads(out)
    assert code == 0 and err == ""
    assert data["value"] == [2.0, math.sin(1) + 4]
    assert np.allclose(data["jacobian"], [[2.0, 1.0], [math.cos(1), 4.0]], rtol=1e-15)
    assert data["variables"] == ["x", "y"] and data["method"] == "symbolic"


def test_diff_vector_table(capsys):
    code, out, _ = run(capsys, "diff", "[x*y, sin(x) + y**2]", "--at", "x=1,y=2", "--method", "reverse")
    assert code == 0 and "Jacobian (reverse)" in out and "F1" in out


def test_diff_order_k_json(capsys):
    code, out, _ = run(capsys, "diff", "exp(x)*sin(x)", "--at", "x=1", "--order", "6", "--json")
    data = json.loads(out)
    e, s = math.e, math.sin(1)
    # (e^x sin x)^(k) = 2^(k/2) e^x sin(x + k pi/4)
    expected = [2 ** (k / 2) * e * math.sin(1 + k * math.pi / 4) for k in range(7)]
    assert code == 0 and len(data["derivatives"]) == 7
    assert np.allclose(data["derivatives"], expected, rtol=1e-13)
    assert data["value"] == data["derivatives"][0] and abs(data["value"] - e * s) < 1e-15


def test_diff_orders_1_and_2_keep_gradient_and_hessian(capsys):
    _, out, _ = run(capsys, "diff", "exp(x)*sin(x)", "--at", "x=1", "--order", "2", "--json")
    data = json.loads(out)
    assert "gradient" in data and "hessian" in data and "derivatives" not in data


def test_compare_vector_json(capsys):
    code, out, _ = run(capsys, "compare", "[x*y, sin(x) + y**2]", "--at", "x=1,y=2", "--json")
    data = json.loads(out)
    assert code == 0 and list(data["reference"]) == ["jacobian"]
    assert np.allclose(data["reference"]["jacobian"], [[2.0, 1.0], [math.cos(1), 4.0]], rtol=1e-15)
    row = data["methods"]["fd-central"]
    assert {"jacobian", "max_rel_error", "error_estimate", "seconds", "status", "worst"} <= set(row)
    assert len(row["worst"]["index"]) == 2 and row["honest"] is True
    assert data["methods"]["reverse"]["max_rel_error"] <= 1e-13


def test_compare_order_k_json(capsys):
    code, out, _ = run(capsys, "compare", "exp(x)*sin(x)", "--at", "x=1", "--order", "5", "--json")
    data = json.loads(out)
    assert code == 0 and len(data["reference"]["derivatives"]) == 6
    assert data["methods"]["forward"]["max_rel_error"] <= 1e-12
    assert data["methods"]["complex-step"]["status"] == "complex step: first derivatives only"
    assert all(m["honest"] in (True, None) for m in data["methods"].values())


def test_newton_system_json_and_exit_codes(capsys):
    code, out, _ = run(capsys, "newton", "[x**2 + y**2 - 4, exp(x) + y - 1]", "--at", "x=1,y=-1.5",
                       "--mode", "root", "--json")
    data = json.loads(out)
    assert code == 0 and data["converged"] and len(data["x"]) == 2 and data["iterates"][0] == [1.0, -1.5]
    assert abs(data["x"][0] ** 2 + data["x"][1] ** 2 - 4) < 1e-14
    code, out, _ = run(capsys, "newton", "[x - y, x - y + 3]", "--at", "x=1,y=0", "--mode", "root", "--json")
    assert code == 1 and json.loads(out)["reason"].startswith("singular Jacobian")


def test_bad_orders_and_shapes_exit_2(capsys):
    code, _, err = run(capsys, "diff", "exp(x)", "--at", "x=1", "--order", "11")
    assert code == 2 and err.strip() == "difflab diff: error: --order must be from 1 to 10; got 11"
    code, _, err = run(capsys, "diff", "[x, y]", "--at", "x=1,y=2", "--order", "2")
    assert code == 2 and err.count("\n") == 1 and "--order applies to scalar functions" in err
    code, _, err = run(capsys, "newton", "[x, y]", "--at", "x=1,y=2")
    assert code == 2 and "minimize needs a scalar function" in err


def test_compare_json_per_entry_errors_estimates_and_the_worst_entry_named(capsys):
    """rel_errors and error_estimates per entry (null where a method declined), the worst entry named."""
    code, out, _ = run(capsys, "compare", "exp(x)*sin(x)", "--at", "x=1", "--order", "4", "--methods",
                       "complex-step,fd-central", "--json")
    data = json.loads(out)
    exact = [2 ** (k / 2) * math.e * math.sin(1 + k * math.pi / 4) for k in range(5)]
    cs, fd = data["methods"]["complex-step"], data["methods"]["fd-central"]
    assert code == 0 and cs["rel_errors"][2:] == [None, None, None] and cs["error_estimates"][2:] == [None] * 3
    assert cs["max_rel_error"] <= 1e-15 and cs["error_estimate"] is not None
    assert fd["worst"]["entry"] == "f^(4)" and fd["worst"]["index"] == [4]
    assert fd["worst"]["reference"] == pytest.approx(exact[4], rel=1e-14)
    v4 = fd["derivatives"][4]
    assert fd["rel_errors"][4] == pytest.approx(abs(v4 - exact[4]) / max(abs(v4), abs(exact[4])), rel=1e-6)
    assert all(abs(v - t) <= e for v, t, e in zip(fd["derivatives"], exact, fd["error_estimates"], strict=True))
    _, out, _ = run(capsys, "compare", "[x*y, sin(x) + y**2]", "--at", "x=1,y=2", "--methods", "fd-forward",
                    "--json")
    worst = json.loads(out)["methods"]["fd-forward"]["worst"]
    assert worst["entry"] == "df1/dx" and worst["index"] == [1, 0]
