"""How often are finite-difference estimates of orders 6..10 below the true error? (property-based)

    OPENBLAS_NUM_THREADS=1 python benchmarks/fd_orders_honesty.py [--functions 90] [--seed 15] [-v]

Draws smooth functions of one variable with ``difflab.strategies`` (depth 3, points inside the domain),
differentiates each to order 10 by every scheme of ``engines.fd_orders`` and counts the (function,
scheme, order 6..10) cases whose value is finite and whose estimate is below the true error
|value - f^(k)|, with f^(k) from mpmath's Taylor coefficients of the mpmath-compiled expression at 60
digits (an independent route: no SymPy derivative, no difflab stencil).  90 functions x 5 schemes x 5
orders = 2250 cases.  ``-v`` lists the dishonest ones with the ratio true error / estimate.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import mpmath  # noqa: E402 -- after the path set-up above
import numpy as np  # noqa: E402
from hypothesis import HealthCheck, given, seed, settings  # noqa: E402

from difflab.engines import fd_orders  # noqa: E402
from difflab.expr.compile import to_mpmath  # noqa: E402
from difflab.testing.strategies import functions  # noqa: E402

ORDERS = range(6, 11)


def draw_cases(count: int, at_seed: int) -> list:
    """``count`` (Function, point) pairs, the same for the same seed."""
    out: list = []

    @seed(at_seed)
    @settings(max_examples=count, database=None, deadline=None, derandomize=False,
              suppress_health_check=list(HealthCheck))
    @given(functions(variables=("x",), max_depth=3, min_value=-2.0, max_value=2.0, min_margin=0.3))
    def collect(case):
        if len(out) < count:
            out.append(case)
    collect()
    return out


def truth(f, x: float, order: int) -> np.ndarray | None:
    fn = to_mpmath(f.expr, f.symbols)
    with mpmath.workdps(60):
        try:
            coeffs = mpmath.taylor(fn, mpmath.mpf(x), order)
        except (ValueError, ZeroDivisionError, OverflowError, TypeError):
            return None
        values = [c * mpmath.factorial(k) for k, c in enumerate(coeffs)]
        if not all(isinstance(v, mpmath.mpf) and mpmath.isfinite(v) for v in values):
            return None
        return np.array([float(v) for v in values])


def measure(cases: list, verbose: bool = False) -> tuple[int, int, float, list[str]]:
    """(dishonest, judged, worst ratio true error / estimate, lines describing each dishonest case, and
    estimate / true error of every case with a finite estimate: how generous the estimates are)."""
    bad, judged, worst, lines, over = 0, 0, 0.0, [], []
    for case in cases:
        f, x = case.function, float(case.point[0])
        exact = truth(f, x, max(ORDERS))
        if exact is None:
            continue
        for scheme in fd_orders.ORDER_SCHEMES:
            r = fd_orders.derivatives(lambda X, f=f: f.batch(X), x, max(ORDERS), scheme)
            for k in ORDERS:
                if not np.isfinite(r.value[k]):
                    continue
                judged += 1
                err = abs(r.value[k] - exact[k])
                if err > 0 and np.isfinite(r.error[k]):
                    over.append(r.error[k] / err)
                if err > r.error[k]:
                    bad += 1
                    ratio = err / r.error[k] if r.error[k] > 0 else np.inf
                    worst = max(worst, ratio)
                    lines.append(f"{f.text} at x={x!r}, {scheme}, order {k}: true error {err:.3g}, "
                                 f"estimate {r.error[k]:.3g} ({ratio:.3g}x under)")
    return bad, judged, worst, lines, over


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--functions", type=int, default=90)
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("-v", action="store_true")
    args = parser.parse_args()
    cases = draw_cases(args.functions, args.seed)
    bad, judged, worst, lines, over = measure(cases)
    print(f"fd orders 6..10: {bad}/{judged} (function, scheme, order) cases with the estimate below the "
          f"true error over {len(cases)} functions; worst {worst:.3g}x under")
    q = np.percentile(over, [50, 90]) if over else [np.nan, np.nan]
    print(f"estimate / true error: median {q[0]:.3g}, 90th percentile {q[1]:.3g} ({len(over)} cases)")
    if args.v:
        print("\n".join(lines))


if __name__ == "__main__":
    main()
