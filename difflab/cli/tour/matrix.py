"""Tour section: derivatives at the array level -- one readable formula instead of n^2 scalar expressions.

Four objectives written with vectors and matrices (the dense quartic, least squares, logistic regression,
a 2-layer network's loss with respect to its first weight matrix) are differentiated by ``difflab.matrix``:
gradient and Hessian as array formulas, compiled to NumPy, checked against the hand-written formulas and
timed against them. Next to each, the scalar route: the same objective written out entry by entry at a
small size and differentiated by SymPy -- the size of its Hessian and the time it takes.
"""

from __future__ import annotations

import pathlib
import time
from collections.abc import Callable

import numpy as np
import sympy

from difflab.expr.derivatives import hessian_exprs
from difflab.matrix import ArrayFunction
from difflab.matrix.scalar import scalar_function
from difflab.methods.symbolic import compile_hessian

TITLE = "Matrix calculus: gradients and Hessians as array formulas"


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def _mlp_hessian(V, W, X, Y):
    """d^2 L / dW_ab dW_cd written by hand: (V^T V)_ac sum_k P_ak X_bk P_ck X_dk + delta_ac sum_k Q_ak X_bk
    X_dk with S = tanh(W X), P = 1 - S^2, Q = -2 S P (V^T (V S - Y)); one BLAS contraction per term."""
    S = np.tanh(W @ X)
    P = 1 - S**2
    Q = -2 * S * P * (V.T @ (V @ S - Y))
    h = W.shape[0]
    PX = P[:, :, None] * X.T[None]
    out = np.tensordot(PX, PX, axes=([1], [1]))
    out *= (V.T @ V)[:, None, :, None]
    out[np.arange(h), :, np.arange(h), :] += (Q[:, None, :] * X[None]) @ X.T
    return out


def _quartic_hessian(A, x):
    s = A @ x
    return A.T @ (3 * s[:, None] ** 2 * A) + np.eye(len(x))


def _logistic_hessian(X, w, y):
    s = _sigmoid(-y * (X @ w))
    return X.T @ ((s * (1 - s))[:, None] * X)


def _problems(rng: np.random.Generator, small: bool):
    """(name, text, shapes, wrt, data, hand-written gradient, hand-written Hessian as a function of the
    inputs in name order)."""
    n, m = (4, 6) if small else (100, 500)
    A, x = rng.standard_normal((n, n)) / np.sqrt(n), rng.standard_normal(n)
    X, w, y = rng.standard_normal((m, n)) / np.sqrt(n), rng.standard_normal(n), rng.choice([-1.0, 1.0], m)
    h, d, k = (2, 2, 2) if small else (20, 10, 200)
    V, W, Xn, Y = (rng.standard_normal(s) / 3 for s in ((3, h), (h, d), (d, k), (3, k)))
    hidden = np.tanh(W @ Xn)
    return [
        ("dense quartic", "0.25*sum((A@x)**4) + 0.5*sum(x**2)", {"A": "n,n", "x": "n"}, "x", {"A": A, "x": x},
         A.T @ (A @ x)**3 + x, _quartic_hessian),
        ("least squares", "sum((X@w - y)**2)", {"X": "m,n", "w": "n", "y": "m"}, "w",
         {"X": X, "w": w, "y": y}, 2 * X.T @ (X @ w - y), lambda X, w, y: 2 * X.T @ X),
        ("logistic regression", "sum(softplus(-y*(X@w)))", {"X": "m,n", "w": "n", "y": "m"}, "w",
         {"X": X, "w": w, "y": y}, -X.T @ (y * _sigmoid(-y * (X @ w))), _logistic_hessian),
        ("2-layer network, d/dW", "0.5*sum((V @ tanh(W @ X) - Y)**2)",
         {"V": "o,h", "W": "h,d", "X": "d,k", "Y": "o,k"}, "W", {"V": V, "W": W, "X": Xn, "Y": Y},
         ((V.T @ (V @ hidden - Y)) * (1 - hidden**2)) @ Xn.T, _mlp_hessian),
    ]


def _best(fn: Callable, rounds: int = 15) -> float:
    best = np.inf
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def _rel(a, b) -> float:
    return float(np.max(np.abs(np.asarray(a) - b)) / np.max(np.abs(b)))


def run(out_dir: pathlib.Path, say: Callable[[str], None]) -> None:
    big = _problems(np.random.default_rng(0), small=False)
    small = _problems(np.random.default_rng(0), small=True)
    say("| objective | gradient formula | Hessian formula |")
    say("|---|---|---|")
    for name, text, shapes, wrt, *_ in big:
        f = ArrayFunction(text, shapes=shapes, wrt=wrt)
        say(f"| {name}: `{text}` (d/d{wrt}) | `{f.formula('gradient')}` | `{f.formula('hessian')}` |")
    say("\nThe array route at full size (quartic n=100, regressions 500x100, network W 20x10, 200 samples) "
        "against the hand-written NumPy formulas, and the scalar route (every entry a SymPy expression, "
        "SymPy's Hessian compiled) at a small size of the same problem:\n")
    say("| objective | setup | gradient vs hand | Hessian vs hand | Hessian time / hand | scalar route at "
        "small size: Hessian operations, time |")
    say("|---|---|---|---|---|---|")
    for (name, text, shapes, wrt, data, grad, hess), small_case in zip(big, small, strict=True):
        start = time.perf_counter()
        f = ArrayFunction(text, shapes=shapes, wrt=wrt)
        g, H = f.evaluate("gradient", data), f.evaluate("hessian", data)
        setup = time.perf_counter() - start
        env, dims = f.bind(data)
        args = [data[k] for k in f.inputs]
        ratio = f"{_time_ratio(f, env, dims, hess, args):.2f}"
        hess_diff = f"{_rel(H, hess(*args)):.0e}"
        sname, stext, sshapes, swrt, sdata, *_ = small_case
        sf = ArrayFunction(stext, shapes=sshapes, wrt=swrt)
        start = time.perf_counter()
        scalar = scalar_function(sf, sdata)
        exprs = hessian_exprs(scalar)
        compile_hessian(scalar)
        seconds = time.perf_counter() - start
        ops = sum(int(sympy.count_ops(e)) for row in exprs for e in row)
        size = "x".join(str(v) for v in np.shape(sdata[swrt]))
        say(f"| {name} | {setup * 1e3:.0f} ms | {_rel(g, grad):.0e} | {hess_diff} | {ratio} | "
            f"{swrt} of size {size}: {ops} operations, {seconds:.2f} s |")
    say("\nOne formula serves every size; the scalar route's Hessian grows like n^3 operations for the "
        "quartic (the benchmark `benchmarks/bench_matrix.py` times both routes and prints the goals).")


def _time_ratio(f: ArrayFunction, env: dict, dims: dict, hand: Callable, args: list) -> float:
    """Best time of the compiled Hessian over the best time of the hand-written one."""
    compiled = f.compiled("hessian")
    return _best(lambda: compiled(env, dims)) / _best(lambda: hand(*args))
