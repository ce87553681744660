"""Quickstart: one function, every method, against the mpmath reference.

Run: python examples/quickstart.py
"""

import difflab as dl
import difflab.numpy as dnp

# The seed course's Newton example, written as text...
f = dl.Function("x**4 + 0.8*y**4 + 4*x**2 + 2*y**2 - x*y - 0.2*x**2*y")
print("gradient at (4, 4):", dl.gradient(f, [4, 4], method="reverse").value)   # [277.6, 213.6]
print("Hessian at (4, 4):\n", dl.hessian(f, [4, 4], method="symbolic").value)  # [[198.4,-2.6],[-2.6,157.6]]

# ... or as Python code over difflab.numpy (the same function, traced for the symbolic method).
g = dl.Function(lambda x, y: x**4 + 0.8 * y**4 + 4 * x**2 + 2 * y**2 - x * y - 0.2 * x**2 * y)
for method in ("symbolic", "forward", "reverse", "fd-central", "complex-step", "richardson"):
    est = dl.gradient(g, [4, 4], method=method)
    print(f"{method:13} {est.value}  error estimate {est.error_estimate.max():.1e}  ({est.nfev} evaluations)")

# Every method against mpmath, relative error per entry, the worst entry named.
table = dl.compare(dl.Function("exp(x)*sin(x)"), at=[1.0])
for row in table.rows:
    print(f"{row.method:13} max rel error {row.max_rel_error:.2e}  honest estimate: {row.honest}")

# A network-style loss over arrays, differentiated by reverse mode with respect to a dict of parameters.
params = {"W": dnp.asarray([[0.3, -0.7], [0.55, 0.25]]), "b": dnp.asarray([0.1, -0.2])}


X = dnp.asarray([0.8, -0.45])


def loss(p, x=X):
    return dnp.sum(dnp.sigmoid(p["W"] @ x + p["b"]) ** 2)


print("reverse-mode gradient of a small layer:", dl.grad(loss)(params))
