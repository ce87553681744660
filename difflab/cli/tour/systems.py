"""Tour section: seed 001's systems -- Jacobians, derivatives of any order, Newton on F(x) = 0, the SVM
with its Heaviside-switched margin penalty, and classical optimisation through a network's fixed layers.

Every solver takes any method's name; each example runs with several side by side.
"""

from __future__ import annotations

import pathlib
from collections.abc import Callable

import numpy as np

from difflab.cli.output import fmt, table
from difflab.expr.function import Function
from difflab.measure.comparison import compare
from difflab.methods.higher import derivatives
from difflab.solvers import Network, newton
from difflab.solvers.inverse import jacobian_wrt_input, match_output, network_output
from difflab.solvers.svm import train_svm
from difflab.solvers.systems import gradient_system

TITLE = "Systems: Jacobians, any order, Newton on F(x) = 0, the SVM, inputs through fixed layers"

SYSTEM = "[x**2 + y**2 - 4, exp(x) + y - 1]"
SEED_2D = "x**4 + 0.8*y**4 + 4*x**2 + 2*y**2 - x*y - 0.2*x**2*y"
SVM_X = np.array([[1.0, 1.0], [-1.0, 2.0], [1.0, -1.0], [-1.0, -2.0], [0.5, 3.0], [0.0, -2.5]])
SVM_Y = np.array([1, 1, -1, -1, 1, -1.0])


def _jacobians(say: Callable[[str], None]) -> None:
    say(f"Jacobian of F = {SYSTEM} at x=1, y=-1.5, every method against mpmath (per entry, worst named):")
    t = compare(Function(SYSTEM), [1.0, -1.5])
    rows = [[r.method, fmt(r.max_rel_error, 3), str(list(r.worst.index)) if r.worst else "",
             "-" if r.estimate.error_estimate is None else fmt(float(np.max(r.estimate.error_estimate)), 2),
             {True: "yes", False: "NO", None: "-"}[r.honest]] for r in t.rows]
    say(table(["method", "max rel err", "worst", "est. abs err", "honest"], rows))
    f = Function("exp(x)*sin(x)")
    say("\nDerivatives f, f', ..., f^(8) of exp(x)*sin(x) at x = 1 (Taylor mode is the forward method's):")
    ests = {m: derivatives(f, 1.0, 8, m) for m in ("symbolic", "forward", "richardson", "fd-central",
                                                   "complex-step")}
    rows = [[k] + [fmt(float(e.value[k]), 12) for e in ests.values()] for k in range(9)]
    say(table(["k"] + list(ests), rows))
    say(f"complex-step says: {ests['complex-step'].status}")


def _newton_systems(say: Callable[[str], None]) -> None:
    say(f"\nNewton on F = {SYSTEM} = 0 from x=1, y=-1.5:")
    rows = []
    for m in ("symbolic", "forward", "reverse", "fd-central", "mpmath"):
        r = newton(SYSTEM, [1.0, -1.5], method=m, mode="root")
        rows.append([m, r.nit, fmt(float(r.x[0]), 16), fmt(float(r.x[1]), 16), r.reason.split(":")[0]])
    say(table(["method", "iterations", "x", "y", "result"], rows))
    r = newton("[x - y, x - y + 3]", [1.0, 0.5], mode="root")
    say(f"a singular system says why: {r.reason}")
    G = gradient_system(SEED_2D)
    root = newton(G, [4.0, 4.0], mode="root")
    direct = newton(SEED_2D, [4.0, 4.0], mode="minimize")
    same = np.allclose(np.array(root.iterates), np.array(direct.iterates), rtol=1e-12)
    say(f"\nSeed 001's route: minimise f = {SEED_2D} by solving grad f = 0 (Jacobian of the gradient = "
        f"Hessian): {root.nit} Newton iterations to ({fmt(float(root.x[0]))}, {fmt(float(root.x[1]))}); the "
        f"iterates {'are' if same else 'are NOT'} those of Newton's minimisation of f itself.")


def _svm(say: Callable[[str], None]) -> None:
    say("\nSeed 001's SVM: the margin constraints y_i (c.x_i - b) >= 1 folded in by Heaviside switches")
    for penalty, lam, lr in (("heaviside", 10.0, 0.01), ("hinge", 1.0, 0.05)):
        rows = []
        for m in ("reverse", "fd-central"):
            r = train_svm(SVM_X, SVM_Y, penalty=penalty, lam=lam, method=m, lr=lr, steps=4000, tol=1e-9)
            rows.append([m, fmt(float(r.c[0]), 6), fmt(float(r.c[1]), 10), fmt(r.b, 6),
                         ", ".join(map(str, r.support_vectors)), fmt(r.width, 6)])
        cost = "|c|^2/2 + lam sum " + ("H(m_i) m_i^2" if penalty == "heaviside" else "max(0, m_i)")
        say(f"\n{penalty} penalty, {cost}, lam = {lam:g}  (closed form for this data: c = (0, "
            f"{'40/41' if penalty == 'heaviside' else '1'}), b = 0)")
        say(table(["method", "c1", "c2", "b", "support vectors", "margin width"], rows))
        for k in r.kinks[:3]:
            say(f"kink: {k}")


def _inverse(say: Callable[[str], None]) -> None:
    net = Network((2, 3, 2), hidden="tanh", output="sigmoid", loss="squared")
    params = [(np.array([[1.0, 0.5], [-0.3, 0.8], [0.4, -1.1]]), np.array([0.1, -0.2, 0.05])),
              (np.array([[0.9, -0.4, 0.6], [0.2, 1.3, -0.7]]), np.array([0.0, 0.1]))]
    target = np.array([0.6, 0.45])
    say("\nClassical optimisation (seed 001): the 2-3-2 network's weights are locked; its input X1 moves "
        f"until the output matches X_target = {target.tolist()} (Newton with the Jacobian w.r.t. the input):")
    rows = []
    for m in ("forward", "reverse", "fd-central", "symbolic"):
        r = match_output(net, params, target, [0.0, 0.0], method=m)
        out = np.asarray(network_output(net, params, r.x))
        miss = float(np.max(np.abs(out - target)))
        rows.append([m, r.nit, fmt(float(r.x[0]), 14), fmt(float(r.x[1]), 14), fmt(miss, 2)])
    say(table(["method", "iterations", "X1[0]", "X1[1]", "|out - target|"], rows))
    J = jacobian_wrt_input(net, params, r.x, "reverse").value
    say(f"d output / d X1 there (reverse mode, 2 cotangents): {np.round(J, 6).tolist()}")


def run(out_dir: pathlib.Path, say: Callable[[str], None]) -> None:
    _jacobians(say)
    _newton_systems(say)
    _svm(say)
    _inverse(say)
