"""Tour section: the seeds' solvers -- gradient descent, Newton, perceptrons, networks -- method by method.

Every solver takes a method name and never asks which one it got; so each worked example below is run
with several methods side by side, and the differences are the methods' own errors: none for the exact
ones (symbolic, forward, reverse, mpmath), a measurable drift for finite differences.
"""

from __future__ import annotations

import csv
import pathlib
from collections.abc import Callable

import mpmath
import numpy as np

from difflab.cli.output import fmt, table
from difflab.methods.registry import gradient, names
from difflab.solvers import (
    Network,
    classify,
    curve_agreement,
    datasets,
    fit_classifier,
    fit_regression,
    gradient_descent,
    newton,
    predict_linear,
    predict_proba,
    rosenblatt,
    train,
)
from difflab.solvers.network import gradient as net_gradient

TITLE = "Solvers: gradient descent, Newton, perceptrons and networks with every method"

SEED_2D = "x**4 + 0.8*y**4 + 4*x**2 + 2*y**2 - x*y - 0.2*x**2*y"
SEED004 = "(w0*1 + w1*2 + w2*3 - 0)**2"
NEWTON_METHODS = ("symbolic", "forward", "reverse", "mpmath", "complex-step", "fd-central", "fd-five-point",
                  "fd-forward")


def _block(say, text: str) -> None:
    say("```\n" + text + "\n```")


def _gradient_descent(say) -> None:
    say("### Seed 004: one gradient-descent step\n")
    say("preds = (input * weights).sum() with input [1, 2, 3], weights [0, 2, 1], target 0; "
        "loss = error^2, slope = 2 * error * input; learning rate 0.01.\n")
    rows = []
    for m in names():
        slope = gradient(SEED004, datasets.SEED004_WEIGHTS, method=m).value
        r = gradient_descent(SEED004, datasets.SEED004_WEIGHTS, method=m, lr=datasets.SEED004_LEARNING_RATE,
                             max_iter=1)
        err = float(r.iterates[1] @ datasets.SEED004_INPUT) - datasets.SEED004_TARGET
        rows.append([m, " ".join(fmt(float(s), 15) for s in slope), fmt(err, 15), fmt(abs(err - 5.04), 2)])
    _block(say, table(["method", "slope (seed: 14 28 42)", "error after step (seed: 7 -> 5.04)", "|diff|"],
                      rows))


def _newton(say) -> None:
    say("\n### Seed 002: Newton minimization of g(x) = e^x - log(x) from x0 = 0.05\n")
    omega = float(mpmath.lambertw(1))
    rows = []
    for m in NEWTON_METHODS:
        r = newton("exp(x) - log(x)", 0.05, method=m)
        xs = [float(v[0]) for v in r.iterates]
        rows.append([m, fmt(xs[1], 13), fmt(xs[2], 12), fmt(float(r.x[0]), 15), r.nit,
                     fmt(abs(float(r.x[0]) - omega), 2), "yes" if r.converged else "NO"])
    _block(say, table(["method", "x1 (seed 0.0972476470448)", "x2 (seed 0.183176666784)", "x*", "iter",
                       "|x* - W(1)|", "conv"], rows))
    r = newton("exp(x) - log(x)", 0.05, method="richardson")
    say(f"richardson: {r.reason}\n(its widest probe steps across x = 0, where log is undefined: an honest "
        "refusal, not a wrong number)")

    say(f"\n### Seed 002: Newton in 2-D on f = {SEED_2D} from (4, 4)\n")
    rows = []
    for m in ("symbolic", "reverse", "forward", "fd-central"):
        r = newton(SEED_2D, [4, 4], method=m)
        rows.append([m, fmt(float(r.iterates[1][0]), 12), fmt(float(r.iterates[1][1]), 12),
                     f"({fmt(float(r.iterates[2][0]), 4)}, {fmt(float(r.iterates[2][1]), 4)})", r.nit,
                     fmt(float(np.max(np.abs(r.x))), 2), r.classification])
    _block(say, table(["method", "x1 (seed 2.58273866418)", "y1 (seed 2.62128883583)",
                       "x2 (seed (1.59, 1.67))", "iter", "|x*|", "class"], rows))
    say("Seed corrections: H_yy at (2.58, 2.62) is 9.6 y^2 + 4 = 69.90 (seed: 69.39); f_y at x1 is 64.20 "
        "(seed: 63.4); f_xx is 12x^2 + 8 - 0.4y (seed's formula: -0.4xy, though its number uses -0.4y).")

    say("\n### Seed 002: classifying (0, 0) by the Hessian's eigenvalues\n")
    rows = []
    for expr, seed in (("2*x**2 + 3*y**2 - x*y", "min, 6.41 and 3.59"),
                       ("-2*x**2 - 3*y**2 - x*y + 15", "max, -3.49 (wrong: -3.59) and -6.41"),
                       ("2*x**2 - 2*y**2", "saddle, -4 and 4"), ("x**4 + y**4", "(not in the seed)")):
        for m in ("symbolic", "fd-central"):
            kind, eig = classify(expr, [0, 0], method=m)
            rows.append([expr, m, kind, ", ".join(fmt(float(e), 6) for e in eig), seed])
    _block(say, table(["f", "method", "class", "eigenvalues", "seed"], rows))
    say("(the seed's characteristic polynomial for the minimum, l^2 + 10 l + 23, is l^2 - 10 l + 23)")

    say("\n### Failures are results\n")
    rows = []
    for expr, x0, mode, kw in (("x**2 + 1", 0.5, "root", {}), ("x**2 - 1", 0.0, "root", {}),
                               ("atan(x)", 1.5, "root", {}), ("atan(x)", 1.5, "root", {"line_search": True}),
                               ("x**2 + y", [1, 1], "minimize", {}), ("x**4", 1.0, "minimize", {})):
        r = newton(expr, x0, mode=mode, **kw)
        rows.append([expr + (" (line search)" if kw else ""), mode, "yes" if r.converged else "NO", r.reason])
    _block(say, table(["f", "mode", "conv", "reason"], rows))


def _perceptrons(say) -> None:
    say("\n### Seed 002: the house table by a regression perceptron\n")
    rows = []
    for m in ("symbolic", "reverse", "forward", "fd-central", "complex-step"):
        r = fit_regression(datasets.HOUSES.X, datasets.HOUSES.y, method=m)
        pred = predict_linear(r.x, [[1500, 3]])[0]
        rows.append([m, " ".join(fmt(float(v), 8) for v in r.x), fmt(float(pred), 12), r.nit,
                     "yes" if r.converged else "NO"])
    _block(say, table(["method", "w_size w_rooms b", "price(1500 m2, 3 rooms)", "steps", "conv"], rows))
    say("(rooms = size/500 in every row: the features are collinear; every fit has "
        "w_size + w_rooms/500 = 50)")

    say("\n### Seed 002: the sentiment table (aack, beep -> happy) by a sigmoid perceptron, log-loss\n")
    rows = []
    for m in ("symbolic", "reverse", "forward", "fd-central"):
        r = fit_classifier(datasets.SENTIMENT.X, datasets.SENTIMENT.y, method=m, epochs=500)
        p = predict_proba(r.x, datasets.SENTIMENT.X)
        rows.append([m, " ".join(fmt(float(v), 3) for v in p), fmt(r.history["loss"][-1], 10)])
    _block(say, table(["method", "P(happy) per row (labels 1 0 0 1)", "loss after 500 steps"], rows))
    say(f"reason: {r.reason} -- separable data: the log-loss has no minimizer, the weights grow forever.")

    say("\n### Seed 003: Rosenblatt's rule\n")
    for tab in (datasets.SENTIMENT_PM, datasets.XOR):
        r = rosenblatt(tab.X, tab.y)
        say(f"- {tab.name}: w, b = {r.x.tolist()}, mistakes per epoch {r.history['mistakes']}: {r.reason}")


def _networks(say, out_dir: pathlib.Path) -> None:
    say("\n### Seed 003: the (3, 3, 2, 1) network, gradient by every method against the mpmath backprop\n")
    net = Network((3, 3, 2, 1))
    rng = np.random.default_rng(5)
    X = rng.standard_normal((8, 3))
    Y = (X[:, 0] * X[:, 1] > 0).astype(float)
    params = net.init(6)

    def flat(g):
        return np.concatenate([np.concatenate([W.ravel(), b]) for W, b in g])

    _, ref = net_gradient(net, params, X, Y, "mpmath")
    rows = []
    for m in names():
        _, g = net_gradient(net, params, X, Y, m)
        rows.append([m, fmt(float(np.max(np.abs(flat(g) - flat(ref))) / np.max(np.abs(flat(ref)))), 3)])
    _block(say, table(["method", "max rel error vs mpmath (23 parameters)"], rows))

    say("\nSeed 002's 2-2-1 network trained on the sentiment table (sigmoid units, log-loss, 400 steps):\n")
    small = Network((2, 2, 1))
    runs = {m: train(small, small.init(1), datasets.SENTIMENT.X, datasets.SENTIMENT.y, method=m, lr=1.0,
                     epochs=400) for m in ("symbolic", "reverse", "forward", "fd-central")}
    agree = curve_agreement({m: r.history["loss"] for m, r in runs.items()}, "reverse")
    rows = [[m, fmt(r.history["loss"][-1], 14), fmt(agree[m], 3)] for m, r in runs.items()]
    _block(say, table(["method", "final loss", "max |loss - reverse's|"], rows))

    say("\nTraining the (3, 3, 2, 1) network for 300 full-batch steps (lr 0.8) with each method, same start, "
        "same data:\n")
    curves = {m: train(net, params, X, Y, method=m, lr=0.8, epochs=300).history["loss"]
              for m in ("symbolic", "reverse", "forward", "complex-step", "fd-five-point", "fd-central",
                        "fd-forward")}
    drift = curve_agreement(curves, "reverse")
    rows = [[m, fmt(c[0], 10), fmt(c[-1], 14), fmt(drift[m], 3)] for m, c in curves.items()]
    _block(say, table(["method", "loss at step 0", "loss at step 300",
                       "max |loss - reverse's| over the curve"], rows))
    online = {m: train(net, params, X, Y, method=m, lr=0.3, epochs=50, batch_size=1).history["loss"]
              for m in ("symbolic", "reverse", "forward")}
    say(f"Seed 003's Algorithm 3 (an update after every pattern, batch_size=1), 50 epochs = "
        f"{len(online['reverse']) - 1} steps: symbolic vs reverse differ by at most "
        f"{fmt(curve_agreement(online, 'reverse')['symbolic'], 3)}, forward by "
        f"{fmt(curve_agreement(online, 'reverse')['forward'], 3)}.")
    dropped = Network((3, 3, 2, 1), dropout=0.3)
    runs = {m: train(dropped, params, X, Y, method=m, lr=0.8, epochs=100, seed=7).history["loss"]
            for m in ("symbolic", "reverse")}
    say(f"With dropout 0.3 (same masks for every method): symbolic vs reverse differ by at most "
        f"{fmt(curve_agreement(runs, 'reverse')['symbolic'], 3)} over 100 steps.")
    path = out_dir / "solvers_loss_curves.csv"
    with path.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["step", *curves])
        for k in range(len(curves["reverse"])):
            w.writerow([k, *(repr(c[k]) for c in curves.values())])
    say(f"(curves written to {path.name})")


def run(out_dir: pathlib.Path, say: Callable[[str], None]) -> None:
    _gradient_descent(say)
    _newton(say)
    _perceptrons(say)
    _networks(say, out_dir)
