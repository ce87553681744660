"""Tour: the seed notes' derivations checked one by one -- which are right, which are wrong, and where.

Every derivative the seed notes state (000: perceptrons, sigmoid, the 2-2-1 network; 002: the same
worked through, with gradient-descent updates and Newton's method; 003: backpropagation's key
equations on a small chain; 004: the squared-error slope) is put to ``dl.check``. ``SEED_CLAIMS``
records for each what the seed writes and the verdict read by hand from the chain rule (the tests
assert difflab reaches the same verdicts). Update rules ``w -> w - alpha*G`` are read as the claim
``dL/dw = G``.
"""

from __future__ import annotations

import pathlib
import time
from collections.abc import Callable

import numpy as np

import difflab.numpy as dnp
from difflab.claims.derivation import check_derivation, examples
from difflab.claims.verdict import check
from difflab.cli.output import table
from difflab.testing.gradient_check import gradcheck

TITLE = "Derivations: the seed's chain rules, checked (and the wrong ones caught)"

LOSS = "-y*log(yh) - (1 - y)*log(1 - yh)"
SQUARE = "(1/2)*(y - yh)**2"
REG = {"yh": "x1*w1 + x2*w2 + b"}
CLF = {"yh": "sigmoid(x1*w1 + x2*w2 + b)"}
NET = {"yh": "sigmoid(a1*w1 + a2*w2 + b)", "a1": "sigmoid(x1*w11 + x2*w21 + b1)",
       "a2": "sigmoid(x1*w12 + x2*w22 + b2)"}
QUARTIC = "x**4 + 0.8*y**4 + 4*x**2 + 2*y**2 - x*y - 0.2*x**2*y"
CHAIN = {"a1": "sigmoid(w1*x + b1)", "a2": "sigmoid(w2*a1 + b2)",
         "delta2": "a2*(1 - a2)*(a2 - y)", "delta1": "w2*a1*(1 - a1)*delta2"}

# (seed, what the seed states, function, wrt, claim, abbreviations, right according to the chain rule)
SEED_CLAIMS: tuple[tuple[str, str, str, str, str, dict, bool], ...] = (
    ("000", "regression dL/db", SQUARE, "b", "-(y - yh)", REG, True),
    ("000", "regression dL/dw1", SQUARE, "w1", "-(y - yh)*x1", REG, True),
    ("000", "regression dL/dw2", SQUARE, "w2", "-(y - yh)*x2", REG, True),
    ("000", "sigmoid' = sigma(1 - sigma)", "sigmoid(z)", "z", "sigmoid(z)*(1 - sigmoid(z))", {}, True),
    ("000", "classification dL/db", LOSS, "b", "-(y - yh)", CLF, True),
    ("000", "classification dL/dw1", LOSS, "w1", "-(y - yh)*x1", CLF, True),
    ("000", "classification dL/dw2", LOSS, "w2", "-(y - yh)*x2", CLF, True),
    ("000", "2-2-1 dL/dw11", LOSS, "w11", "-x1*w1*a1*(1 - a1)*(y - yh)", NET, True),
    ("002", "dL/dyh (square loss)", SQUARE, "yh", "-(y - yh)", {}, True),
    ("002", "sigmoid' = e^-z/(1 + e^-z)^2", "1/(1 + exp(-z))", "z", "exp(-z)/(1 + exp(-z))**2", {}, True),
    ("002", "dL/dyh (log-loss)", LOSS, "yh", "-(y - yh)/(yh*(1 - yh))", {}, True),
    ("002", "log-loss middle line", LOSS, "yh", "(-y + y**2 + yh - yh**2)/(yh*(1 - yh))", {}, False),
    ("002", "dyh/dw1 = yh(1 - yh) x1", "yh", "w1", "yh*(1 - yh)*x1", CLF, True),
    ("002", "dyh/db = yh(1 - yh)", "yh", "b", "yh*(1 - yh)", CLF, True),
    ("002", "dL/db = -(y - yh)/(yh(1 - yh))", LOSS, "b", "-(y - yh)/(yh*(1 - yh))", CLF, False),
    ("002", "dL/dw1 = -(y - yh)/(yh(1 - yh))", LOSS, "w1", "-(y - yh)/(yh*(1 - yh))", CLF, False),
    ("002", "dL/dw2 = -(y - yh)/(yh(1 - yh))", LOSS, "w2", "-(y - yh)/(yh*(1 - yh))", CLF, False),
    ("002", "2-2-1 dL/dw11", LOSS, "w11", "-x1*w1*a1*(1 - a1)*(y - yh)", NET, True),
    ("002", "update w11 -= a*x1 w1 a1(1-a1)(y-yh)", LOSS, "w11", "x1*w1*a1*(1 - a1)*(y - yh)", NET, False),
    ("002", "update w21 -= a*x2 w2 a1(1-a1)(y-yh)", LOSS, "w21", "x2*w2*a1*(1 - a1)*(y - yh)", NET, False),
    ("002", "dL/dw21 by analogy: -x2 w2 a1(1-a1)(y-yh)", LOSS, "w21", "-x2*w2*a1*(1 - a1)*(y - yh)", NET,
     False),
    ("002", "update b1 -= a*a1(1-a1)(y-yh)", LOSS, "b1", "a1*(1 - a1)*(y - yh)", NET, False),
    ("002", "dL/dw1 middle: a1 yh(1-yh)(y-yh)/(yh(1-yh))", LOSS, "w1", "a1*(y - yh)", NET, False),
    ("002", "dL/dw1 = -a1(y - yh)", LOSS, "w1", "-a1*(y - yh)", NET, True),
    ("002", "dL/db middle: (y - yh)", LOSS, "b", "y - yh", NET, False),
    ("002", "dL/db = -(y - yh)", LOSS, "b", "-(y - yh)", NET, True),
    ("002", "update w2 += a*a2(y - yh)", LOSS, "w2", "-a2*(y - yh)", NET, True),
    ("002", "g' = e^x - 1/x", "exp(x) - log(x)", "x", "exp(x) - 1/x", {}, True),
    ("002", "g'' = e^x + 1/x^2", "exp(x) - log(x)", "x,x", "exp(x) + 1/x**2", {}, True),
    ("002", "d/dx (x^2 + y^2) = 2x", "x**2 + y**2", "x", "2*x", {}, True),
    ("002", "H12 of 2x^2 + 3y^2 - xy = -1", "2*x**2 + 3*y**2 - x*y", "x,y", "-1", {}, True),
    ("002", "grad_x of -2x^2 - 3y^2 - xy + 15", "-2*x**2 - 3*y**2 - x*y + 15", "x", "-4*x - y", {}, True),
    ("002", "grad_y of 2x^2 - 2y^2", "2*x**2 - 2*y**2", "y", "-4*y", {}, True),
    ("002", "quartic F_x", QUARTIC, "x", "4*x**3 + 8*x - y - 0.4*x*y", {}, True),
    ("002", "quartic F_y", QUARTIC, "y", "3.2*y**3 + 4*y - x - 0.2*x**2", {}, True),
    ("002", "quartic F_xx = 12x^2 + 8 - 0.4xy", QUARTIC, "x,x", "12*x**2 + 8 - 0.4*x*y", {}, False),
    ("002", "quartic F_xy = -1 - 0.4x", QUARTIC, "x,y", "-1 - 0.4*x", {}, True),
    ("002", "quartic F_yy = 9.6y^2 + 4", QUARTIC, "y,y", "9.6*y**2 + 4", {}, True),
    ("003", "(31) dz2/dz1 = w2 sigma'(z1)", "w2*sigmoid(z1) + b2", "z1",
     "w2*sigmoid(z1)*(1 - sigmoid(z1))", {}, True),
    ("003", "(34) dE/dw1 = a0 delta1", "(1/2)*(a2 - y)**2", "w1", "x*delta1", CHAIN, True),
    ("003", "(34) dE/dw2 = a1 delta2", "(1/2)*(a2 - y)**2", "w2", "a1*delta2", CHAIN, True),
    ("004", "slope = 2 * error * input", "(x1*w1 + x2*w2 + x3*w3 - t)**2", "w2",
     "2*(x1*w1 + x2*w2 + x3*w3 - t)*x2", {}, True),
)


def _claims(say: Callable[[str], None]) -> tuple[list, int]:
    rows, agree = [], 0
    for seed, what, f, wrt, claim, let, right in SEED_CLAIMS:
        start = time.perf_counter()
        r = check(f, wrt, claim, let)
        seconds = time.perf_counter() - start
        agree += r.holds == right
        if r.holds:
            evidence = f"{r.proof} proof"
        else:
            cex = r.counterexample or {}
            evidence = cex.get("hint") or f"truth - claim = {r.difference}"
        rows.append([seed, what, "right" if r.holds else "WRONG", evidence[:60], f"{seconds:.2f}"])
    return rows, agree


def _derivations(say: Callable[[str], None]) -> list:
    rows = []
    for path in examples():
        r = check_derivation(path)
        wrong = [s["step"] for s in r.steps if s["status"] == "wrong"]
        first = wrong[0] if wrong else 0
        back = [s["step"] for s in r.steps if s["step"] > first and s["equals_derivative"]]
        rows.append([path.name, len(r.steps), "all ok" if r.holds else f"step {wrong[0]}",
                     f"step {back[0]}" if wrong and back else "-"])
    return rows


def _gradcheck_demo(say: Callable[[str], None]) -> None:
    def sigmoid_sum(x):
        return dnp.sum(dnp.sigmoid(x))

    def wrong(x):
        s = 1 / (1 + np.exp(-x))
        return s * (1 + s)

    x = np.array([-10.0, -11.0, -12.5, -15.0])
    s = 1 / (1 + np.exp(-x))
    say("\nUser code: sigmoid' written s*(1 + s), checked at x <= -10 only.")
    say(f"  np.allclose(s*(1 + s), s*(1 - s)) (rtol 1e-5, atol 1e-8): {np.allclose(wrong(x), s * (1 - s))}")
    report = gradcheck(sigmoid_sum, wrong, x, probe=False)
    say("  difflab.testing.gradient_check (per-entry relative errors, exact reverse-mode reference):")
    say("```\n" + report.text() + "\n```")

    X = np.array([[3.0, 0.0], [0.0, 2.0], [1.0, 3.0], [2.0, 1.0]])
    y = np.array([1.0, 0.0, 0.0, 1.0])
    params = {"W1": np.array([[0.4, -0.7], [-0.3, 0.5]]), "b1": np.array([0.1, -0.2]),
              "w": np.array([0.8, -0.6]), "b": 0.05}

    def loss(p, X, y):
        a = dnp.sigmoid(dnp.matmul(X, p["W1"]) + p["b1"])
        yh = dnp.sigmoid(dnp.matmul(a, p["w"]) + p["b"])
        return dnp.mean(-y * dnp.log(yh) - (1 - y) * dnp.log(1 - yh))

    def seed_grad(p, X, y):
        """Backprop by hand, with seed 002's w21 mistake (w2 where the chain rule gives w1)."""
        a = 1 / (1 + np.exp(-(X @ p["W1"] + p["b1"])))
        yh = 1 / (1 + np.exp(-(a @ p["w"] + p["b"])))
        dz = (yh - y) / len(y)
        dZ1 = np.outer(dz, p["w"]) * a * (1 - a)
        gW1 = X.T @ dZ1
        gW1[1, 0] = np.sum(X[:, 1] * dz * p["w"][1] * a[:, 0] * (1 - a[:, 0]))
        return {"W1": gW1, "b1": dZ1.sum(axis=0), "w": a.T @ dz, "b": dz.sum()}

    say("\nUser code: the 2-2-1 network's hand-written backprop with seed 002's w21 mistake (W1[1, 0] is "
        "w21), on seed 002's four reviews:")
    say("```\n" + gradcheck(loss, seed_grad, params, args=(X, y)).text() + "\n```")


def run(out_dir: pathlib.Path, say: Callable[[str], None]) -> None:
    say("Every derivative the seed notes state, put to dl.check (function, variable, claim, abbreviations "
        "such as yh = sigmoid(x1*w1 + x2*w2 + b)). 'right'/'WRONG' is difflab's verdict; a wrong claim "
        "comes with a counterexample, and the hint is truth / claim when that ratio is short.\n")
    rows, agree = _claims(say)
    text = table(["seed", "claim", "verdict", "proof / why wrong", "s"], rows)
    say("```\n" + text + "\n```")
    wrong = sum(1 for r in rows if r[2] == "WRONG")
    say(f"\n{len(rows)} claims: {len(rows) - wrong} right, {wrong} wrong; difflab agrees with the hand "
        f"analysis of the chain rule on {agree} of {len(rows)}.")
    example = check(LOSS, "w21", "-x2*w2*a1*(1 - a1)*(y - yh)", NET)
    say("\nThe seed 002 w21 mistake in full (w21 feeds z1 = x1*w11 + x2*w21 + b1, so the chain runs "
        f"through a1 and w1):\n  {example.detail}\n  truth - claim = {example.difference}")

    say("\nDerivation files shipped with difflab (difflab check FILE.toml), first wrong step:\n")
    drows = _derivations(say)
    say("```\n" + table(["file", "steps", "first wrong", "right again at"], drows) + "\n```")
    _gradcheck_demo(say)
    (out_dir / "derivations.md").write_text(
        "# The seed's derivations, checked\n\n```\n" + text + "\n```\n\n```\n"
        + table(["file", "steps", "first wrong", "right again at"], drows) + "\n```\n")
    say(f"\nwritten: {out_dir / 'derivations.md'}")
