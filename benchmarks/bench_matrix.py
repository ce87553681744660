"""Array-level symbolic derivatives (difflab.matrix) against hand-written NumPy formulas.

    OPENBLAS_NUM_THREADS=1 python benchmarks/bench_matrix.py      # about a minute on a quiet machine

For each problem -- the dense quartic 1/4 sum((A x)^4) + 1/2 |x|^2 at n = 100, least squares and logistic
regression (X 500 x 100), and a 2-layer network's squared loss with respect to its first weight matrix
(V 3x20, W 20x10, X 10x200; and, beyond the goals, W 30x20 with 400 samples) -- it prints, all
measured in this run:

* setup: parse + gradient and Hessian formulas + compiled NumPy programs + one evaluation of each;
* the compiled gradient and Hessian against the hand-written formulas: best-of-30 time ratio (timed
  round-robin, so a busy neighbour slows both alike), the median of 3 such runs, and the max-norm
  relative difference. The network's hand-written Hessian is the careful one: P X formed once and one
  BLAS contraction over the samples (``np.tensordot``), V^T V applied in place, the diagonal blocks
  added through an index -- not an ``np.einsum`` that searches its path on every call;
* each goal (setup <= 5 s, Hessian time <= 1.5x hand-written, both equal to 1e-12) with its verdict;
* the scalar route for contrast: the quartic written out entry by entry and differentiated by SymPy
  (difflab's symbolic method) at n = 5 and 10 -- expression size and time.
"""

from __future__ import annotations

import os
import pathlib
import sys
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
import sympy  # noqa: E402

from difflab.expr.derivatives import hessian_exprs  # noqa: E402
from difflab.matrix import ArrayFunction  # noqa: E402
from difflab.matrix.scalar import scalar_function  # noqa: E402
from difflab.methods.symbolic import compile_hessian  # noqa: E402

ROUNDS = 30
REPEATS = 3  # the reported pair is the one with the median ratio


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def quartic(rng):
    n = 100
    A, x = rng.standard_normal((n, n)) / np.sqrt(n), rng.standard_normal(n)

    def grad(A, x):
        return A.T @ (A @ x) ** 3 + x

    def hess(A, x):
        return A.T @ ((3 * (A @ x) ** 2)[:, None] * A) + np.eye(len(x))
    return ("quartic n=100", "0.25*sum((A@x)**4) + 0.5*sum(x**2)", {"A": "n,n", "x": "n"}, "x",
            {"A": A, "x": x}, grad, hess)


def least_squares(rng):
    X, w, y = rng.standard_normal((500, 100)), rng.standard_normal(100), rng.standard_normal(500)
    return ("least squares 500x100", "sum((X@w - y)**2)", {"X": "m,n", "w": "n", "y": "m"}, "w",
            {"X": X, "w": w, "y": y},
            lambda X, w, y: 2 * X.T @ (X @ w - y), lambda X, w, y: 2 * X.T @ X)


def logistic(rng):
    X, w = rng.standard_normal((500, 100)) / 10, rng.standard_normal(100)
    y = rng.choice([-1.0, 1.0], 500)

    def grad(X, w, y):
        return -X.T @ (y * sigmoid(-y * (X @ w)))

    def hess(X, w, y):
        s = sigmoid(-y * (X @ w))
        return X.T @ ((s * (1 - s))[:, None] * X)
    return ("logistic 500x100", "sum(softplus(-y*(X@w)))", {"X": "m,n", "w": "n", "y": "m"}, "w",
            {"X": X, "w": w, "y": y}, grad, hess)


def mlp(rng, h=20, d=10, k=200):
    V, W = rng.standard_normal((3, h)) / 4, rng.standard_normal((h, d)) / 3
    X, Y = rng.standard_normal((d, k)), rng.standard_normal((3, k))

    def grad(V, W, X, Y):
        S = np.tanh(W @ X)
        return ((V.T @ (V @ S - Y)) * (1 - S**2)) @ X.T

    def hess(V, W, X, Y):
        """d^2 L / dW_ab dW_cd by hand: (V^T V)_ac sum_k P_ak X_bk P_ck X_dk + delta_ac sum_k Q_ak X_bk X_dk,
        P = 1 - S^2, Q = -2 S P (V^T R): one BLAS contraction over the samples for each term."""
        S = np.tanh(W @ X)
        P = 1 - S**2
        Q = -2 * S * P * (V.T @ (V @ S - Y))
        h, d = W.shape
        PX = P[:, :, None] * X.T[None]                      # (h, k, d)
        out = np.tensordot(PX, PX, axes=([1], [1]))         # (h, d, h, d): sum_k PX[a,k,b] PX[c,k,d]
        out *= (V.T @ V)[:, None, :, None]
        out[np.arange(h), :, np.arange(h), :] += (Q[:, None, :] * X[None]) @ X.T  # (h, d, d)
        return out
    return (f"2-layer MLP wrt W ({h}x{d}, {k} samples)", "0.5*sum((V @ tanh(W @ X) - Y)**2)",
            {"V": "o,h", "W": "h,d", "X": "d,k", "Y": "o,k"}, "W", {"V": V, "W": W, "X": X, "Y": Y},
            grad, hess)


def best_pair(fa, fb):
    ta, tb = [], []
    for _ in range(ROUNDS):
        t = time.perf_counter()
        fa()
        ta.append(time.perf_counter() - t)
        t = time.perf_counter()
        fb()
        tb.append(time.perf_counter() - t)
    return min(ta), min(tb)


def median_pair(fa, fb):
    """Median over REPEATS of (best-of-ROUNDS time of fa, of fb), and the ratio taken from the medians."""
    pairs = sorted((best_pair(fa, fb) for _ in range(REPEATS)), key=lambda p: p[0] / p[1])
    return pairs[len(pairs) // 2]


def rel(a, b):
    return float(np.max(np.abs(a - b)) / np.max(np.abs(b)))


def verdict(ok: bool) -> str:
    return "MET" if ok else "MISSED"


def run(problem) -> bool:
    name, text, shapes, wrt, data, grad, hess = problem
    start = time.perf_counter()
    f = ArrayFunction(text, shapes=shapes, wrt=wrt)
    f.formula("gradient")
    f.formula("hessian")
    g = f.evaluate("gradient", data)
    H = f.evaluate("hessian", data)
    setup = time.perf_counter() - start
    args = [data[k] for k in f.inputs]
    g_hand, H_hand = grad(*args), hess(*args)
    eg, eh = rel(g, g_hand), rel(H, H_hand)
    env, dims = f.bind(data)
    hessian, gradient = f.compiled("hessian"), f.compiled("gradient")
    t_ours, t_hand = median_pair(lambda: hessian(env, dims), lambda: hess(*args))
    tg_ours, tg_hand = median_pair(lambda: gradient(env, dims), lambda: grad(*args))
    print(f"\n== {name}: f = {text}   (d/d{wrt})")
    print(f"   gradient = {f.formula('gradient')}")
    print(f"   Hessian  = {f.formula('hessian')}")
    print(f"   setup {setup:.3f} s; gradient {tg_ours * 1e6:.0f} us vs hand {tg_hand * 1e6:.0f} us "
          f"(x{tg_ours / tg_hand:.2f}); Hessian {t_ours * 1e6:.0f} us vs hand {t_hand * 1e6:.0f} us "
          f"(x{t_ours / t_hand:.2f})")
    goals = [(f"setup {setup:.3f} s <= 5 s", setup <= 5.0),
             (f"Hessian time x{t_ours / t_hand:.2f} <= 1.5x hand-written", t_ours <= 1.5 * t_hand),
             (f"gradient rel. diff {eg:.1e} <= 1e-12", eg <= 1e-12),
             (f"Hessian rel. diff {eh:.1e} <= 1e-12", eh <= 1e-12)]
    for goal, ok in goals:
        print(f"   goal: {goal:48s} {verdict(ok)}")
    return all(ok for _, ok in goals)


def scalar_route():
    print("\n== the scalar route for contrast: the quartic entry by entry, SymPy Hessian compiled")
    for n in (5, 10):
        rng = np.random.default_rng(0)
        A, x = rng.standard_normal((n, n)), rng.standard_normal(n)
        f = ArrayFunction("0.25*sum((A@x)**4) + 0.5*sum(x**2)", shapes={"A": "n,n", "x": "n"}, wrt="x")
        start = time.perf_counter()
        g = scalar_function(f, {"A": A, "x": x})
        H = hessian_exprs(g)
        compile_hessian(g)
        seconds = time.perf_counter() - start
        size = sum(sympy.count_ops(e) for row in H for e in row)
        start = time.perf_counter()
        f.evaluate("hessian", {"A": A, "x": x})
        array_seconds = time.perf_counter() - start
        print(f"   n={n:3d}: scalar route {seconds:6.2f} s, Hessian {size} operations; array route "
              f"{array_seconds * 1e3:.1f} ms, formula {f.formula('hessian')}")


def main() -> int:
    print(f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS')}, numpy {np.__version__}")
    rng = np.random.default_rng(2026)
    print(f"load average at start: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    results = [run(make(rng)) for make in (quartic, least_squares, logistic, mlp)]
    run(mlp(rng, 30, 20, 400))  # a larger network: not one of the goals, the same mechanism at scale
    scalar_route()
    print(f"\nload average at end: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    print(f"all goals met: {all(results)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
