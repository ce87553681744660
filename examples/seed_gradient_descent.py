"""Seed 004: the slope of a squared error and one gradient-descent step, by several methods.

Run: python examples/seed_gradient_descent.py
"""

from difflab.methods.registry import gradient
from difflab.solvers import datasets, gradient_descent

loss = "(w0*1 + w1*2 + w2*3 - 0)**2"  # preds = (input * weights).sum(); error = preds - target
for method in ("symbolic", "forward", "reverse", "fd-central", "complex-step"):
    slope = gradient(loss, datasets.SEED004_WEIGHTS, method=method).value
    r = gradient_descent(loss, datasets.SEED004_WEIGHTS, method=method, lr=0.01, max_iter=1)
    before = r.iterates[0] @ datasets.SEED004_INPUT - datasets.SEED004_TARGET
    after = r.iterates[1] @ datasets.SEED004_INPUT - datasets.SEED004_TARGET
    print(f"{method:13} slope {slope.round(10).tolist()}  error {before:g} -> {after:.12g}")

# "slope = 2 * -4 * 3 = -24; new weight 2 - 0.01(-24) = 2.24"
r = gradient_descent("(3*w - 10)**2", [2.0], lr=0.01, max_iter=1)
print("single weight:", r.iterates[0][0], "->", r.iterates[1][0])
