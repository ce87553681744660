"""How often is a method's error estimate below its actual error? (property-based, every method)

    OPENBLAS_NUM_THREADS=1 python benchmarks/estimates_honesty.py [--functions 300] [--seed 1] [--orders]

Draws functions of 1-3 variables with ``difflab.strategies`` (depth 4, every row the fuzz draws, points
inside the domain with the fuzz's clearance) and counts the estimates that do not cover the actual error:

* default: gradient and Hessian of the exact methods (symbolic, forward, reverse -- twice, the tape and
  then the compiled sweep), against the mpmath reference (``methods.reference``: certified precision);
* ``--orders``: f, f', ..., f'''' of one variable by every method, against the mpmath method, each entry
  allowed the reference's own half ulp.

An estimate is dishonest where |value - reference| > estimate; a crash is counted too. Prints the counts
and each dishonest case (expression, point, method, entry, actual error, estimate). The same seed draws
the same functions.
"""

from __future__ import annotations

import argparse
import os
import sys
import warnings
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402 -- after the path set-up above
from hypothesis import HealthCheck, Phase, given, seed, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import difflab as dl  # noqa: E402
from difflab.methods import registry  # noqa: E402
from difflab.methods.reference import ReferenceUnavailable, reference_gradient, reference_hessian  # noqa: E402
from difflab.testing.properties import CLEARANCE, FUNCTIONS, VARIABLES  # noqa: E402
from difflab.testing.strategies import functions  # noqa: E402

EXACT = ("symbolic", "forward", "reverse", "reverse")  # reverse twice: the tape, then the compiled sweep
ORDER = 4


def _over(value, truth, estimate, slack=0.0) -> tuple[int, float, float] | None:
    """(entry, actual error, estimate) of the worst entry whose error exceeds its estimate, else None."""
    value, estimate = np.ravel(np.asarray(value, float)), np.ravel(np.asarray(estimate, float))
    err = np.abs(value - np.ravel(truth))
    bad = np.isfinite(value) & (err > estimate + slack)
    if not bad.any():
        return None
    k = int(np.argmax(np.where(bad, err - estimate, -np.inf)))
    return k, float(err[k]), float(estimate[k])


def check_exact(f, x) -> tuple[int, list]:
    try:
        truth = {1: np.array([float(v) for v in reference_gradient(f, x)]),
                 2: np.array([[float(v) for v in row] for row in reference_hessian(f, x)])}
    except ReferenceUnavailable:
        return 0, []
    checks, bad = 0, []
    for order, fn in ((1, dl.gradient), (2, dl.hessian)):
        for name in EXACT:
            est = fn(f, x, method=name)
            if not est.ok:
                continue
            checks += 1
            over = _over(est.value, truth[order], est.error_estimate)
            if over:
                bad.append((name, order, *over))
    return checks, bad


def check_orders(f, x) -> tuple[int, list]:
    ref = dl.derivatives(f, x, ORDER, method="mpmath")
    if not ref.ok or not np.all(np.isfinite(ref.value)):
        return 0, []
    checks, bad = 0, []
    for name in registry.names():
        if name == "mpmath":
            continue
        est = dl.derivatives(f, x, ORDER, method=name)
        checks += 1
        over = _over(est.value, ref.value, est.error_estimate, np.asarray(ref.error_estimate))
        if over:
            bad.append((name, ORDER, *over))
    return checks, bad


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--functions", type=int, default=300)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--orders", action="store_true", help="order-k derivatives of one variable")
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore")
    variables = st.just(("x",)) if args.orders else VARIABLES
    check = check_orders if args.orders else check_exact
    total, dishonest, crashes = [0], [], []

    @seed(args.seed)
    @settings(max_examples=args.functions, database=None, deadline=None, derandomize=False,
              suppress_health_check=list(HealthCheck), phases=[Phase.generate])
    @given(functions(variables=variables, max_depth=4, functions=FUNCTIONS, clearance=CLEARANCE))
    def run(case):
        f, x = case
        try:
            checks, bad = check(f, x)
        except Exception as err:  # noqa: BLE001 -- a crash is counted and shown, never hidden
            crashes.append((str(f.expr), list(map(float, x)), repr(err)[:160]))
            return
        total[0] += checks
        dishonest.extend((str(f.expr), list(map(float, x)), *b) for b in bad)

    run()
    what = "order-k derivatives (every method)" if args.orders else "gradients and Hessians (exact methods)"
    print(f"{what}: {len(dishonest)}/{total[0]} estimates below the actual error, {len(crashes)} crashes "
          f"({args.functions} functions, seed {args.seed})")
    for case in dishonest:
        print("  dishonest:", case)
    for case in crashes:
        print("  crash:", case)
    return 1 if dishonest or crashes else 0


if __name__ == "__main__":
    sys.exit(main())
