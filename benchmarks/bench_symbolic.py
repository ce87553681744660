"""Symbolic setup and per-call overhead on the extended Rosenbrock function, measured in one run.

Run:  python benchmarks/bench_symbolic.py [--quick]      (~2 minutes; --quick skips plain SymPy's Hessian)

Every goal of issue 17 that concerns the symbolic route and the call overhead prints its goal and a
verdict; every ratio is against a baseline measured in the same run on the same machine:

1. setup n=100 (fresh process: parse, first symbolic gradient and Hessian, compiled) against plain SymPy
   in a fresh process (build the sum, ``diff`` per variable, ``hessian``, ``lambdify(cse=True)`` of both);
2. setup n=1000 against difflab's own n=100;
3. ``dl.gradient(f, x, method="symbolic")`` on a prepared Function at n=100 against SymPy's own
   lambdified gradient (``lambdify(cse=True)`` of the same expressions, called with the same floats);
4. ``dl.gradient(f, x, method="reverse")`` on the same Function against the analytic ``rosen_der``;
5. ``fd-central``: the share of its time spent evaluating f.
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import json  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run from a checkout without installing

import numpy as np  # noqa: E402


def rosenbrock_text(n: int) -> str:
    return "+".join(f"100*(x{i + 1}-x{i}**2)**2+(1-x{i})**2" for i in range(1, n))


def rosen_der(x: np.ndarray) -> np.ndarray:
    """Analytic gradient (the scipy.optimize.rosen_der formula), variables in natural order."""
    xm, xm_m1, xm_p1 = x[1:-1], x[:-2], x[2:]
    der = np.zeros_like(x)
    der[1:-1] = 200 * (xm - xm_m1 ** 2) - 400 * (xm_p1 - xm ** 2) * xm - 2 * (1 - xm)
    der[0] = -400 * x[0] * (x[1] - x[0] ** 2) - 2 * (1 - x[0])
    der[-1] = 200 * (x[-1] - x[-2] ** 2)
    return der


# -- fresh-process setups (each child prints one JSON line) ------------------------------------------
CHILD_DIFFLAB = """
import json, sys, time
t0 = time.perf_counter()
import numpy as np
import difflab as dl
t1 = time.perf_counter()
n = int(sys.argv[1])
text = "+".join(f"100*(x{i + 1}-x{i}**2)**2+(1-x{i})**2" for i in range(1, n))
f = dl.Function(text, variables=[f"x{i}" for i in range(1, n + 1)], max_length=10**8)
t2 = time.perf_counter()
x = np.linspace(-1.2, 1.2, n)
g = dl.gradient(f, x, method="symbolic")
t3 = time.perf_counter()
H = dl.hessian(f, x, method="symbolic")
t4 = time.perf_counter()
assert g.ok and H.ok
print(json.dumps({"import": t1 - t0, "parse": t2 - t1, "gradient": t3 - t2, "hessian": t4 - t3,
                  "setup": t4 - t1}))
"""

CHILD_SYMPY = """
import json, sys, time
t0 = time.perf_counter()
import sympy
t1 = time.perf_counter()
n = int(sys.argv[1])
x = sympy.symbols(f"x1:{n + 1}", real=True)
f = sympy.Add(*[100*(x[i + 1] - x[i]**2)**2 + (1 - x[i])**2 for i in range(n - 1)])
t2 = time.perf_counter()
g = [sympy.diff(f, v) for v in x]
t3 = time.perf_counter()
H = sympy.hessian(f, x) if sys.argv[2] == "hessian" else None
t4 = time.perf_counter()
gf = sympy.lambdify(x, g, cse=True)
Hf = sympy.lambdify(x, H, cse=True) if H is not None else None
t5 = time.perf_counter()
print(json.dumps({"import": t1 - t0, "build": t2 - t1, "gradient": t3 - t2, "hessian": t4 - t3,
                  "lambdify": t5 - t4, "setup": t5 - t1}))
"""


def child(code: str, *args: str) -> dict:
    out = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, check=True,
                         cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    return json.loads(out.stdout.strip().splitlines()[-1])


def verdict(value: float, goal: float, smaller_is_better: bool = True) -> str:
    ok = value <= goal if smaller_is_better else value >= goal
    return "meets goal" if ok else "MISSES goal"


def best(fn, rounds: int = 7, min_time: float = 0.05) -> float:
    """Best per-call time over ``rounds`` loops of about ``min_time`` seconds each."""
    fn()
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < min_time / 5:
        fn()
        n += 1
    n = max(1, 5 * n)
    out = float("inf")
    for _ in range(rounds):
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        out = min(out, (time.perf_counter() - t0) / n)
    return out


def setups(quick: bool) -> None:
    print("1-2. Symbolic setup of the extended Rosenbrock function, each in a fresh process "
          "(seconds after import)")
    ours = {n: child(CHILD_DIFFLAB, str(n)) for n in (100, 1000)}
    for n, r in ours.items():
        print(f"  difflab n={n:<5} parse {r['parse']:6.2f}  gradient {r['gradient']:6.2f}  "
              f"Hessian {r['hessian']:6.2f}  total {r['setup']:6.2f}   (import {r['import']:.2f})")
    plain = child(CHILD_SYMPY, "100", "gradient" if quick else "hessian")
    print(f"  plain SymPy n=100   build {plain['build']:6.2f}  diff {plain['gradient']:6.2f}  "
          f"hessian {plain['hessian']:6.2f}  lambdify(cse) {plain['lambdify']:6.2f}  "
          f"total {plain['setup']:6.2f}"
          + ("   (--quick: no Hessian, the ratio flatters SymPy)" if quick else ""))
    ratio = ours[100]["setup"] / plain["setup"]
    print(f"  goal: difflab n=100 <= 0.05 x plain SymPy: {ratio:.3f} x -> {verdict(ratio, 0.05)}")
    scale = ours[1000]["setup"] / ours[100]["setup"]
    print(f"  goal: difflab n=1000 <= 12 x its n=100: {scale:.1f} x -> {verdict(scale, 12.0)}")
    try:
        import symengine  # noqa: F401
        print("  (symengine is importable; difflab's route is SymPy's -- see README)")
    except ImportError:
        pass


def calls() -> None:
    import sympy

    import difflab as dl
    from difflab.expr.derivatives import gradient_exprs

    n = 100
    names = [f"x{i}" for i in range(1, n + 1)]
    f = dl.Function(rosenbrock_text(n), variables=names)
    x = np.linspace(-1.2, 1.2, n)
    sym = sympy.lambdify(f.symbols, gradient_exprs(f), cse=True)
    ref = rosen_der(x)
    for method, tol in (("symbolic", 1e-14), ("reverse", 1e-14), ("fd-central", 1e-6)):
        got = dl.gradient(f, x, method=method).value
        err = float(np.max(np.abs(got - ref)) / np.max(np.abs(ref)))
        assert err <= tol, f"{method}: {err:.1e}"
    err = float(np.max(np.abs(np.array(sym(*x), dtype=float) - ref)) / np.max(np.abs(ref)))
    assert err <= 1e-14, f"SymPy's lambdified gradient: {err:.1e}"

    print("\n3-5. Calls on a prepared Function, n=100 (best per-call time)")
    t_sym = best(lambda: sym(*x))
    t_ours = best(lambda: dl.gradient(f, x, method="symbolic"))
    r = t_ours / t_sym
    print(f"  SymPy's lambdified gradient {t_sym * 1e6:8.1f} us   "
          f"dl.gradient symbolic {t_ours * 1e6:8.1f} us")
    print(f"  goal: symbolic <= 3 x SymPy's own lambdified gradient: {r:.2f} x -> {verdict(r, 3.0)}")
    t_der = best(lambda: rosen_der(x))
    t_rev = best(lambda: dl.gradient(f, x, method="reverse"), rounds=3, min_time=0.3)
    r = t_rev / t_der
    print(f"  rosen_der {t_der * 1e6:8.1f} us   dl.gradient reverse {t_rev * 1e6:8.1f} us")
    print(f"  goal: reverse <= 20 x rosen_der: {r:.0f} x -> {verdict(r, 20.0)}")

    spent = [0.0]
    batch = f.batch

    def timed_batch(X):
        t0 = time.perf_counter()
        try:
            return batch(X)
        finally:
            spent[0] += time.perf_counter() - t0

    f.batch = timed_batch  # instrumenting the benchmark's own Function instance
    rounds = 20
    dl.gradient(f, x, method="fd-central")
    spent[0] = 0.0
    t0 = time.perf_counter()
    for _ in range(rounds):
        dl.gradient(f, x, method="fd-central")
    total = time.perf_counter() - t0
    share = spent[0] / total
    print(f"  fd-central {total / rounds * 1e3:8.2f} ms per gradient, "
          f"evaluating f {spent[0] / rounds * 1e3:8.2f} ms")
    print(f"  goal: fd-central time dominated by evaluations of f (>= 50%): {100 * share:.0f}% -> "
          f"{verdict(share, 0.5, smaller_is_better=False)}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="skip plain SymPy's Hessian (about a minute)")
    args = parser.parse_args(argv)
    print(f"numpy {np.__version__}, python {sys.version.split()[0]}, "
          f"OPENBLAS_NUM_THREADS={os.environ['OPENBLAS_NUM_THREADS']}\n", flush=True)
    setups(args.quick)
    calls()
    return 0


if __name__ == "__main__":
    sys.exit(main())
