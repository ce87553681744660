"""Seed 001's SVM (Heaviside-switched penalty and hinge) and classical optimisation through fixed layers."""

from __future__ import annotations

import numpy as np
import pytest

from difflab.errors import InputError
from difflab.solvers import Network
from difflab.solvers.inverse import jacobian_wrt_input, match_output, network_output
from difflab.solvers.svm import train_svm

# symmetric in x1, so the optimum has c1 = 0 and b = 0; samples 0 and 2 are the closest to the plane
X = np.array([[1.0, 1.0], [-1.0, 2.0], [1.0, -1.0], [-1.0, -2.0], [0.5, 3.0], [0.0, -2.5]])
Y = np.array([1, 1, -1, -1, 1, -1.0])


@pytest.mark.parametrize("method", ["reverse", "forward", "fd-central"])
def test_heaviside_penalty_reaches_its_closed_form(method):
    """|c|^2/2 + lam sum H(m) m^2: only samples 0 and 2 violate at the optimum, each m = 1 - c2, so
    c2 = 4 lam (1 - c2) -> c2 = 4 lam / (1 + 4 lam) = 40/41 for lam = 10."""
    r = train_svm(X, Y, penalty="heaviside", lam=10.0, method=method, lr=0.01, steps=4000, tol=1e-9)
    assert r.solver.converged
    assert np.allclose(r.c, [0.0, 40 / 41], atol=1e-8) and abs(r.b) < 1e-8
    assert r.support_vectors == (0, 2)
    assert any("crossed sample 0's margin" in k for k in r.kinks)  # the switches the descent went through
    assert np.array_equal(r.predict(X), Y)


def test_hinge_lands_on_its_kink():
    """|c|^2/2 + sum max(0, m): the optimum c = (0, 1), b = 0 puts samples 0 and 2 exactly on their margins,
    where the hinge has its kink; the subgradient iterates hover there and the kinks are named."""
    r = train_svm(X, Y, penalty="hinge", lam=1.0, method="reverse", lr=0.05, steps=4000)
    assert np.allclose(r.c, [0.0, 1.0], atol=5e-3) and abs(r.b) < 5e-3
    assert r.support_vectors == (0, 2)
    on_margin = [k for k in r.kinks if "sits on its margin" in k]
    assert len(on_margin) == 2 and on_margin[0].startswith("sample 0") and "kink" in on_margin[0]
    assert abs(r.width - 2.0) < 1e-2


def test_svm_bad_input():
    with pytest.raises(InputError, match="the labels y must be -1 or \\+1"):
        train_svm(X, np.arange(6.0))
    with pytest.raises(InputError, match="penalty must be one of heaviside, hinge; got 'l1'"):
        train_svm(X, Y, penalty="l1")


def trained_square_network():
    """A 2-3-2 network with fixed weights (the parameters are locked; only the input moves)."""
    net = Network((2, 3, 2), hidden="tanh", output="sigmoid", loss="squared")
    W1 = np.array([[1.0, 0.5], [-0.3, 0.8], [0.4, -1.1]])
    W2 = np.array([[0.9, -0.4, 0.6], [0.2, 1.3, -0.7]])
    return net, [(W1, np.array([0.1, -0.2, 0.05])), (W2, np.array([0.0, 0.1]))]


@pytest.mark.parametrize("method", ["forward", "reverse", "fd-central", "symbolic"])
def test_input_moves_until_output_matches(method):
    net, params = trained_square_network()
    target = np.array([0.6, 0.45])
    r = match_output(net, params, target, [0.0, 0.0], method=method)
    assert r.converged
    assert np.allclose(np.asarray(network_output(net, params, r.x)), target, rtol=0, atol=1e-13)


def test_input_jacobian_against_the_chain_rule():
    """d out / d x = diag(s') W2 diag(tanh') W1, written out by hand."""
    net, params = trained_square_network()
    (W1, b1), (W2, b2) = params
    x = np.array([0.3, -0.2])
    h = np.tanh(W1 @ x + b1)
    o = 1 / (1 + np.exp(-(W2 @ h + b2)))
    J = np.diag(o * (1 - o)) @ W2 @ np.diag(1 - h**2) @ W1
    for method in ("forward", "reverse", "symbolic"):
        assert np.allclose(jacobian_wrt_input(net, params, x, method).value, J, rtol=1e-13, atol=1e-16)


def test_more_inputs_than_outputs_by_gauss_newton_or_descent():
    net = Network((3, 4, 1), hidden="tanh", output="sigmoid", loss="squared")
    params = net.init(2)
    gn = match_output(net, params, [0.6], [0.0, 0.0, 0.0], method="reverse")
    assert gn.converged and abs(float(np.asarray(network_output(net, params, gn.x))[0]) - 0.6) < 1e-13
    gd = match_output(net, params, [0.55], [0.0, 0.0, 0.0], method="forward", mode="descent", lr=2.0, steps=4000,
                      tol=1e-9)
    assert abs(float(np.asarray(network_output(net, params, gd.x))[0]) - 0.55) < 1e-6
    with pytest.raises(InputError, match="the network maps 3 inputs to 1 outputs; got an input of 2"):
        match_output(net, params, [0.6], [0.0, 0.0])


def test_tour_section_runs(tmp_path, capsys):
    """The seed 001 section of the tour: every example converges and the closed forms appear."""
    from difflab.cli.entry import main

    code = main(["tour", "--only", "systems", "-o", str(tmp_path)])
    out = capsys.readouterr().out
    assert code == 0 and "SECTION FAILED" not in out
    assert "0.9756097561" in out and "the iterates are those of Newton's minimisation" in out
    assert "complex step: first derivatives only" in out and "sits on its margin" in out


def test_an_svm_result_prints_its_plane_and_support_vectors_and_is_truthy_when_converged():
    r = train_svm(X, Y, penalty="heaviside", lam=10.0, method="reverse", lr=0.01, steps=4000, tol=1e-9)
    assert r and r.solver.converged
    text = repr(r)
    assert "\n" not in text and "support_vectors=[0, 2]" in text and "converged=True" in text
    c = [float(v) for v in text.split("c=[")[1].split("]")[0].split(",")]
    assert c == pytest.approx([0.0, 40 / 41], abs=1e-8)  # the closed form (test above), 8 digits shown
    shown = str(r)
    assert "margin width     2/|c| = 2.05" in shown  # 2 / (40/41)
    assert "support vectors  0 (" in shown and ", 2 (" in shown
    assert "crossed sample 0&#x27;s margin" in r._repr_html_() and "<table" in r._repr_html_()
    stopped = train_svm(X, Y, penalty="heaviside", lam=10.0, method="reverse", lr=0.01, steps=3, tol=1e-9)
    assert not stopped and "converged=False" in repr(stopped)
