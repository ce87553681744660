"""Solvers as a whole: each runs with several methods and never branches on which one it was given."""

from __future__ import annotations

import ast
import pathlib

import mpmath
import numpy as np
import pytest

from difflab.methods import registry as methods
from difflab.solvers import (
    Network,
    datasets,
    fit_classifier,
    fit_regression,
    gradient_descent,
    newton,
    rosenblatt,
    train,
)

SOLVERS = pathlib.Path(__file__).parents[2] / "difflab" / "solvers"
THREE_PLUS = ("symbolic", "reverse", "forward", "fd-central")


@pytest.mark.parametrize("module", ["gd.py", "newton_method.py", "network.py", "perceptron.py", "activations.py"])
def test_solvers_never_branch_on_the_method(module):
    """No comparison, match or dict lookup against a method name; no engine imported directly.

    Only the registry (``methods.registry``) maps a method name to a route (default argument values are allowed)."""
    tree = ast.parse((SOLVERS / module).read_text())
    names = set(methods.names())
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            for part in [node.left, *node.comparators]:
                assert not (isinstance(part, ast.Constant) and part.value in names), (module, node.lineno)
        if isinstance(node, ast.Match):
            raise AssertionError(f"{module}:{node.lineno}: match statement")
        if isinstance(node, ast.Dict):
            keys = {k.value for k in node.keys if isinstance(k, ast.Constant)}
            assert not keys & names, (module, node.lineno)
        if isinstance(node, ast.ImportFrom) and node.module:
            engines = {"forward", "reverse", "finite_diff", "functional"}
            assert node.module.split(".")[-1] not in engines, module
        if isinstance(node, ast.Import):
            for alias in node.names:
                assert alias.name.split(".")[-1] not in {"forward", "reverse", "finite_diff"}, module


def _runs(fn):
    return {m: fn(m) for m in THREE_PLUS}


def _agree(runs, key=lambda r: r.x, exact_tol=1e-12, fd_tol=1e-6):
    ref = np.asarray(key(runs["reverse"]), dtype=float)
    for m, r in runs.items():
        tol = exact_tol if methods.get(m).exact else fd_tol
        got = np.asarray(key(r), dtype=float)
        assert np.max(np.abs(got - ref)) <= tol * max(1.0, float(np.max(np.abs(ref)))), m


def test_every_solver_with_four_methods():
    _agree(_runs(lambda m: gradient_descent("x**2 + 3*y**2 + x*y", [1.0, 2.0], method=m, lr=0.1,
                                            max_iter=50)))
    _agree(_runs(lambda m: newton("exp(x) - log(x)", 0.05, method=m)), fd_tol=1e-9)
    _agree(_runs(lambda m: newton("x**4 + 0.8*y**4 + 4*x**2 + 2*y**2 - x*y", [4, 4], method=m)), fd_tol=1e-9)
    _agree(_runs(lambda m: fit_regression(datasets.HOUSES.X, datasets.HOUSES.y, method=m)), fd_tol=1e-9)
    _agree(_runs(lambda m: fit_classifier(datasets.SENTIMENT.X, datasets.SENTIMENT.y, method=m, epochs=100)))
    net = Network((2, 3, 1), hidden="tanh")
    _agree(_runs(lambda m: train(net, net.init(2), datasets.SENTIMENT.X, datasets.SENTIMENT.y, method=m,
                                 lr=0.5, epochs=60)),
           key=lambda r: r.history["loss"], exact_tol=1e-13, fd_tol=1e-9)


@pytest.mark.parametrize("method", methods.names())
def test_every_method_drives_newton_and_training(method):
    r = newton("(x - 1)**2 + (y + 2)**4 + y**2", [0.5, 0.5], method=method)
    assert r.converged, r.reason
    y_star = float(mpmath.findroot(lambda y: 4 * (y + 2) ** 3 + 2 * y, -1))  # d/dy = 0, by hand
    assert r.x == pytest.approx([1.0, y_star], abs=1e-6)
    assert r.classification == "minimum"
    net = Network((2, 2, 1))
    t = train(net, net.init(0), datasets.SENTIMENT.X, datasets.SENTIMENT.y, method=method, lr=1.0, epochs=5)
    assert t.history["loss"][-1] < t.history["loss"][0]


def test_rosenblatt_needs_no_derivative():
    # The step activation has derivative 0 wherever it exists: Rosenblatt's rule is not gradient descent
    # on it, and it takes no method.
    r = rosenblatt(datasets.SENTIMENT_PM.X, datasets.SENTIMENT_PM.y)
    assert r.method == "rosenblatt" and r.converged


def test_tour_section_gradient_descent_part():
    from difflab.cli.tour import solvers

    said: list[str] = []
    solvers._gradient_descent(said.append)
    text = "\n".join(said)
    for m in methods.names():
        assert f"\n{m} " in text
    assert text.count(" 5.04 ") + text.count(" 5.04") >= len(methods.names())


@pytest.mark.slow
def test_tour_section_runs(tmp_path):
    from difflab.cli.tour import solvers

    said: list[str] = []
    solvers.run(tmp_path, said.append)
    text = "\n".join(said)
    assert "0.09724764704479" in text and "2.58273866418" in text
    assert (tmp_path / "solvers_loss_curves.csv").exists()
