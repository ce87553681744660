"""Seeds 000/002: Newton's method for minimization in 1-D and 2-D, and the Hessian classification table.

Run: python examples/seed_newton.py
"""

import mpmath

from difflab.solvers import classify, newton

# g(x) = e^x - log(x) from x0 = 0.05 (seed: x1 = 0.097, x2 = 0.183, ..., 0.567)
for method in ("symbolic", "reverse", "fd-central"):
    r = newton("exp(x) - log(x)", 0.05, method=method)
    print(f"{method:11} iterates:", ", ".join(f"{float(v[0]):.12g}" for v in r.iterates))
print("W(1) =", mpmath.lambertw(1).real, "(the minimum solves x e^x = 1)\n")

# f(x, y) from (4, 4) (seed: x1 = (2.58, 2.62), x2 = (1.59, 1.67), ... -> (0, 0))
r = newton("x**4 + 0.8*y**4 + 4*x**2 + 2*y**2 - x*y - 0.2*x**2*y", [4, 4])
for k, v in enumerate(r.iterates[:4]):
    print(f"k={k}: ({v[0]:.12g}, {v[1]:.12g})")
print(f"... -> {r.x.tolist()}: {r.classification}; {r.reason}\n")

for f in ("2*x**2 + 3*y**2 - x*y", "-2*x**2 - 3*y**2 - x*y + 15", "2*x**2 - 2*y**2"):
    kind, eig = classify(f, [0, 0])
    print(f"{f:30} at (0, 0): {kind:8} eigenvalues {eig.round(4).tolist()}")

# Failures are results, not exceptions
for f, x0 in (("x**2 + 1", 0.5), ("x**2 - 1", 0.0), ("atan(x)", 1.5)):
    r = newton(f, x0, mode="root")
    print(f"root of {f} from {x0}: converged={r.converged}: {r.reason}")
