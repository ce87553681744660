"""Symbolic setup and per-call overhead on the extended Rosenbrock function, measured in one run.

Run:  python benchmarks/bench_symbolic.py [--quick] [--repeat N]
(~4 minutes per repeat under light load; --quick skips plain SymPy's Hessian; ratios are the median over
the repeats, each repeat measuring numerator and baseline in the same run)

Every goal of issue 17 that concerns the symbolic route and the call overhead prints its goal and a
verdict; every ratio is against a baseline measured in the same run on the same machine:

1. setup n=100 (fresh process: parse, first symbolic gradient and Hessian, compiled) against plain SymPy
   in a fresh process (build the sum, ``diff`` per variable, ``hessian``, ``lambdify(cse=True)`` of both);
2. setup n=1000 against difflab's own n=100;
3. ``dl.gradient(f, x, method="symbolic")`` on a prepared Function at n=100 against SymPy's own
   lambdified gradient (``lambdify(cse=True)`` of the same expressions, called with the same floats);
4. ``dl.gradient(f, x, method="reverse")`` on the same Function against the analytic ``rosen_der``;
5. ``fd-central``: the share of its time spent evaluating f.

With symengine importable (the ``fast`` extra) the setups also run with the SymEngine accelerator
(``DIFFLAB_SYMENGINE=1``) as an extra column; the goals are judged on SymPy's route, the default.
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import json  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run from a checkout without installing

import numpy as np  # noqa: E402
from rosenbrock import rosen_der  # noqa: E402  (benchmarks/, the script's own folder)


def rosenbrock_text(n: int) -> str:
    return "+".join(f"100*(x{i + 1}-x{i}**2)**2+(1-x{i})**2" for i in range(1, n))


# -- fresh-process setups (each child prints one JSON line) ------------------------------------------
CHILD_DIFFLAB = """
import json, sys, time
t0 = time.process_time()
import numpy as np
import difflab as dl
t1 = time.process_time()
n = int(sys.argv[1])
text = "+".join(f"100*(x{i + 1}-x{i}**2)**2+(1-x{i})**2" for i in range(1, n))
f = dl.Function(text, variables=[f"x{i}" for i in range(1, n + 1)], max_length=10**8)
t2 = time.process_time()
x = np.linspace(-1.2, 1.2, n)
g = dl.gradient(f, x, method="symbolic")
t3 = time.process_time()
H = dl.hessian(f, x, method="symbolic")
t4 = time.process_time()
assert g.ok and H.ok
print(json.dumps({"import": t1 - t0, "parse": t2 - t1, "gradient": t3 - t2, "hessian": t4 - t3,
                  "setup": t4 - t1}))
"""

CHILD_SYMPY = """
import json, sys, time
t0 = time.process_time()
import sympy
t1 = time.process_time()
n = int(sys.argv[1])
x = sympy.symbols(f"x1:{n + 1}", real=True)
f = sympy.Add(*[100*(x[i + 1] - x[i]**2)**2 + (1 - x[i])**2 for i in range(n - 1)])
t2 = time.process_time()
g = [sympy.diff(f, v) for v in x]
t3 = time.process_time()
H = sympy.hessian(f, x) if sys.argv[2] == "hessian" else None
t4 = time.process_time()
gf = sympy.lambdify(x, g, cse=True)
Hf = sympy.lambdify(x, H, cse=True) if H is not None else None
t5 = time.process_time()
print(json.dumps({"import": t1 - t0, "build": t2 - t1, "gradient": t3 - t2, "hessian": t4 - t3,
                  "lambdify": t5 - t4, "setup": t5 - t1}))
"""


def child(code: str, *args: str, symengine: bool = False) -> dict:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DIFFLAB_SYMENGINE": "1" if symengine else "0"}
    out = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, check=True,
                         cwd=ROOT, env=env)
    return json.loads(out.stdout.strip().splitlines()[-1])


def verdict(value: float, goal: float, smaller_is_better: bool = True) -> str:
    ok = value <= goal if smaller_is_better else value >= goal
    return "meets goal" if ok else "MISSES goal"


def best(fn, rounds: int = 7, min_time: float = 0.05) -> float:
    """Best per-call time over ``rounds`` loops of about ``min_time`` seconds each."""
    fn()
    n, t0 = 0, time.process_time()
    while time.process_time() - t0 < min_time / 5:
        fn()
        n += 1
    n = max(1, 5 * n)
    out = float("inf")
    for _ in range(rounds):
        t0 = time.process_time()
        for _ in range(n):
            fn()
        out = min(out, (time.process_time() - t0) / n)
    return out


def have_symengine() -> bool:
    try:
        import symengine  # noqa: F401
    except ImportError:
        return False
    return True


def setups(quick: bool, repeat: int) -> None:
    print("1-2. Symbolic setup of the extended Rosenbrock function, each in a fresh process "
          "(CPU seconds after import: robust to a busy shared machine, which wall time is not)")
    fast = have_symengine()
    to_sympy, scales, accel = [], [], []
    for r in range(repeat):
        ours = {n: child(CHILD_DIFFLAB, str(n)) for n in (100, 1000)}
        for n, got in ours.items():
            print(f"  [{r + 1}] difflab n={n:<5} parse {got['parse']:6.2f}  gradient {got['gradient']:6.2f}  "
                  f"Hessian {got['hessian']:6.2f}  total {got['setup']:6.2f}   (import {got['import']:.2f})")
        plain = child(CHILD_SYMPY, "100", "gradient" if quick else "hessian")
        print(f"  [{r + 1}] plain SymPy n=100   build {plain['build']:6.2f}  diff {plain['gradient']:6.2f}  "
              f"hessian {plain['hessian']:6.2f}  lambdify(cse) {plain['lambdify']:6.2f}  "
              f"total {plain['setup']:6.2f}" + ("   (--quick: no Hessian, flatters SymPy)" if quick else ""))
        to_sympy.append(ours[100]["setup"] / plain["setup"])
        scales.append(ours[1000]["setup"] / ours[100]["setup"])
        if fast:
            se = {n: child(CHILD_DIFFLAB, str(n), symengine=True) for n in (100, 1000)}
            accel.append((se[100]["setup"] / ours[100]["setup"], se[1000]["setup"] / ours[1000]["setup"]))
            print(f"  [{r + 1}] with SymEngine      n=100 total {se[100]['setup']:6.2f} "
                  f"({accel[-1][0]:.2f} x SymPy's route)   n=1000 total {se[1000]['setup']:6.2f} "
                  f"({accel[-1][1]:.2f} x)")
    ratio, scale = statistics.median(to_sympy), statistics.median(scales)
    runs = lambda xs: ", ".join(f"{v:.3g}" for v in xs)  # noqa: E731
    print(f"  goal: difflab n=100 <= 0.05 x plain SymPy: median {ratio:.3f} x ({runs(to_sympy)}) -> "
          f"{verdict(ratio, 0.05)}")
    print(f"  goal: difflab n=1000 <= 12 x its n=100: median {scale:.1f} x ({runs(scales)}) -> "
          f"{verdict(scale, 12.0)}")
    if fast:
        small, big = statistics.median(a for a, _ in accel), statistics.median(b for _, b in accel)
        print(f"  SymEngine accelerator (difflab[fast]): setup median {small:.2f} x "
              f"SymPy's route at n=100, {big:.2f} x at n=1000 "
              "(identical derivatives; no goal)")
    else:
        print("  (symengine not importable: the accelerator column is skipped; pip install 'difflab[fast]')")


def calls(repeat: int) -> None:
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

    print("\n3-5. Calls on a prepared Function, n=100 (best per-call time; median ratio over the repeats)")
    sym_r, rev_r, shares = [], [], []
    for k in range(repeat):
        t_sym = best(lambda: sym(*x))
        t_ours = best(lambda: dl.gradient(f, x, method="symbolic"))
        sym_r.append(t_ours / t_sym)
        t_der = best(lambda: rosen_der(x))
        t_rev = best(lambda: dl.gradient(f, x, method="reverse"), rounds=3, min_time=0.3)
        rev_r.append(t_rev / t_der)
        print(f"  [{k + 1}] SymPy's lambdified gradient {t_sym * 1e6:7.1f} us   dl.gradient symbolic "
              f"{t_ours * 1e6:7.1f} us   rosen_der {t_der * 1e6:6.1f} us   dl.gradient reverse "
              f"{t_rev * 1e6:7.1f} us")
    r = statistics.median(sym_r)
    print(f"  goal: symbolic <= 3 x SymPy's own lambdified gradient: median {r:.2f} x -> {verdict(r, 3.0)}")
    r = statistics.median(rev_r)
    print(f"  goal: reverse <= 20 x rosen_der: median {r:.1f} x -> {verdict(r, 20.0)}")

    spent = [0.0]
    batch = f.batch

    def timed_batch(X):
        t0 = time.process_time()
        try:
            return batch(X)
        finally:
            spent[0] += time.process_time() - t0

    f.batch = timed_batch  # instrumenting the benchmark's own Function instance
    rounds = 50
    dl.gradient(f, x, method="fd-central")
    for k in range(repeat):
        spent[0] = 0.0
        t0 = time.process_time()  # CPU time, numerator and denominator alike
        for _ in range(rounds):
            dl.gradient(f, x, method="fd-central")
        total = time.process_time() - t0
        shares.append(spent[0] / total)
        print(f"  [{k + 1}] fd-central {total / rounds * 1e3:6.2f} ms per gradient, "
              f"evaluating f (800 probes, one batched call) {spent[0] / rounds * 1e3:6.2f} ms")
    share = statistics.median(shares)
    print(f"  goal: fd-central time dominated by evaluations of f (>= 50%): median {100 * share:.0f}% -> "
          f"{verdict(share, 0.5, smaller_is_better=False)}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="skip plain SymPy's Hessian (about a minute)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement; medians are reported")
    args = parser.parse_args(argv)
    print(f"numpy {np.__version__}, python {sys.version.split()[0]}, "
          f"OPENBLAS_NUM_THREADS={os.environ['OPENBLAS_NUM_THREADS']}, load average {load()}\n", flush=True)
    setups(args.quick, args.repeat)
    calls(args.repeat)
    print(f"\nload average at the end: {load()} (a shared machine: above ~3, absolute times are inflated)")
    return 0


def load() -> str:
    return " ".join(f"{v:.2f}" for v in os.getloadavg())


if __name__ == "__main__":
    sys.exit(main())
