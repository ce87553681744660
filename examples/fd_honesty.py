"""How honest are the finite-difference error estimates? (The issue's criterion, measured.)

For 16 smooth, well-scaled functions, every finite-difference gradient is compared with the mpmath
reference; per scheme we print the worst relative error and the range of estimate / actual error over
all entries. Honest means estimate >= actual (ratio >= 1), and useful means not more than ~1000x above.
Entries whose actual error is exactly 0 carry no ratio.

Run: python examples/fd_honesty.py
"""

import numpy as np

import difflab as dl

CASES = [
    ("exp(x)*sin(x)", [1.0]), ("exp(x)*sin(x)", [0.0]), ("x**4 - 3*x**3 + 2*x - 1", [0.7]),
    ("log(x)", [2.5]), ("log(x)", [50.0]), ("atan(x)", [0.3]), ("1/(1 + x**2)", [0.9]),
    ("sqrt(x)*cos(x)", [1.7]), ("exp(-x*x)", [0.6]),
    ("x**4 + 0.8*y**4 + 4*x**2 + 2*y**2 - x*y - 0.2*x**2*y", [4.0, 4.0]),
    ("(1 - x)**2 + 100*(y - x**2)**2", [-1.2, 1.0]),
    ("x*y*z + sin(x*y) + exp(z)", [0.5, 1.2, -0.3]), ("exp(x*y)*cos(z)", [0.4, -0.9, 0.7]),
    ("log(1 + x*x + y*y + z*z)", [0.3, -0.8, 1.1]), ("atan(x*y) + x*z*z", [1.3, 0.4, -0.6]),
    ("tanh(x + 2*y - z)*y", [0.2, 0.1, 0.5]),
]
SCHEMES = ["fd-forward", "fd-backward", "fd-central", "fd-five-point", "complex-step", "richardson"]

stats = {s: {"worst": 0.0, "ratios": [], "dishonest": 0} for s in SCHEMES}
for text, point in CASES:
    table = dl.compare(dl.Function(text), at=point, methods=SCHEMES)
    for row in table.rows:
        s = stats[row.method]
        s["worst"] = max(s["worst"], row.max_rel_error)
        actual, estimate = row.abs_error, row.estimate.error_estimate
        s["dishonest"] += int(np.sum(estimate < actual))
        s["ratios"] += list(estimate[actual > 0] / actual[actual > 0])

print(f"{len(CASES)} functions, {sum(len(p) for _, p in CASES)} gradient entries per scheme\n")
print(f"{'scheme':14} {'worst rel err':>13} {'est/actual: min':>15} {'median':>7} {'max':>8} {'> 1000':>6} "
      f"{'estimate < actual':>18}")
for name, s in stats.items():
    r = np.array(s["ratios"]) if s["ratios"] else np.array([np.nan])
    print(f"{name:14} {s['worst']:13.2e} {r.min():15.3g} {np.median(r):7.3g} {r.max():8.3g} "
          f"{int(np.sum(r > 1000)):6d} {s['dishonest']:18d}")
