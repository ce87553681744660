"""What the singularity analysis and the stability rewrites cost, on ordinary and on singular functions.

    OPENBLAS_NUM_THREADS=1 python benchmarks/bench_singular.py

Prints (best of several runs each):
1. compile time of value + gradient + Hessian for ordinary functions, with difflab's compile path
   (stable rewrite, analysis gate, branches) against a bare ``to_numpy`` of the same derivatives;
2. the per-call cost of the notes hook in ``dl.gradient`` (annotate) on an ordinary function;
3. the cost of a compiled call with a branch present, inside and outside the branch, against the raw
   lambdified formula;
4. the one-time analysis of singular one-variable functions.
"""

from __future__ import annotations

import os
import pathlib
import sys
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

import difflab as dl  # noqa: E402
from difflab.expr.compile import to_numpy  # noqa: E402
from difflab.methods import registry as methods  # noqa: E402
from difflab.methods import symbolic
from difflab.singular import analysis as singular

ORDINARY = ["x**3 + sin(x)*exp(y) - x*y", "exp(-x**2)*cos(3*x)", "log(x) + sqrt(x)*tanh(x)",
            "(x - y)**2/(1 + x**2 + y**2)", "sigmoid(w*x + b)*y - log(1 + exp(w))"]
SINGULAR = ["(t**2 - 4)/(t - 2)", "sin(x)/x", "(1 - cos(x))/x**2", "(exp(x) - 1 - x)/x**2", "tan(x)/x",
            "1/sin(x)", "(1 - cos(2*x))/(x*sin(x))", "(x + 1)/(x**5 + x + 1)"]


def best(fn, repeat: int = 7) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def compile_all(f: dl.Function) -> None:
    symbolic.compile_value(f), symbolic.compile_gradient(f), symbolic.compile_hessian(f)


def bare(text: str) -> None:
    f = dl.Function(text)
    n = f.n
    to_numpy(f.expr, f.symbols), to_numpy(symbolic.gradient_exprs(f), f.symbols)
    to_numpy([symbolic.hessian_exprs(f)[i][j] for i in range(n) for j in range(i, n)], f.symbols)


def main() -> None:
    print("1. compile value + gradient + Hessian of ordinary functions (ms)")
    print(f"   {'function':42s} {'bare to_numpy':>14s} {'difflab':>9s} {'overhead':>9s}")
    for text in ORDINARY:
        a = best(lambda text=text: bare(text))
        b = best(lambda text=text: compile_all(dl.Function(text)))
        print(f"   {text:42s} {a * 1e3:14.2f} {b * 1e3:9.2f} {(b - a) * 1e3:+9.2f}")

    f = dl.Function(ORDINARY[0])
    x = np.array([0.3, 0.7])
    dl.gradient(f, x)
    with_hook = best(lambda: [dl.gradient(f, x) for _ in range(500)]) / 500
    original = methods.annotate
    methods.annotate = lambda est, *args: est
    try:
        without = best(lambda: [dl.gradient(f, x) for _ in range(500)]) / 500
    finally:
        methods.annotate = original
    print(f"\n2. dl.gradient on {ORDINARY[0]!r}: {with_hook * 1e6:.1f} us per call with the notes hook, "
          f"{without * 1e6:.1f} us without")

    s = dl.Function("sin(x)/x")
    g = symbolic.compile_gradient(s)
    inside, outside = np.linspace(-0.9, 0.9, 100_001), np.linspace(2.0, 4.0, 100_001)
    print("\n3. sin(x)/x gradient on 100001 points (ms): "
          f"all inside the branch {best(lambda: g(inside), 20) * 1e3:.2f}, "
          f"none inside {best(lambda: g(outside), 20) * 1e3:.2f}, "
          f"raw formula {best(lambda: g.fn(outside), 20) * 1e3:.2f}")

    print("\n4. one-time analysis + compile (value, gradient, Hessian) of singular functions")
    for text in SINGULAR:
        start = time.perf_counter()
        h = dl.Function(text)
        compile_all(h)
        an = singular.analyze(h)
        kinds = ", ".join(f"{p.center}: {p.kind}" for p in an.points[:3])
        kinds += " ..." if len(an.points) > 3 else ""
        print(f"   {text:30s} {(time.perf_counter() - start) * 1e3:7.0f} ms   {kinds}")


if __name__ == "__main__":
    main()
