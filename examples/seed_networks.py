"""Seeds 002/003: the 2-2-1 network on the sentiment table and the (3, 3, 2, 1) network, trained with
several derivative methods from the same start; exact methods give the same loss curve, finite
differences drift.

Run: python examples/seed_networks.py
"""

import numpy as np

from difflab.solvers import Network, curve_agreement, datasets, gradient, train

net = Network((2, 2, 1))  # sigmoid hidden units, sigmoid output, log-loss (in its stable softplus form)
params = net.init(1)
loss, grads = gradient(net, params, datasets.SENTIMENT.X, datasets.SENTIMENT.y, method="symbolic")
print("2-2-1 loss", loss, "dL/dW1 =", grads[0][0].round(6).tolist())

big = Network((3, 3, 2, 1))
rng = np.random.default_rng(5)
X = rng.standard_normal((8, 3))
Y = (X[:, 0] * X[:, 1] > 0).astype(float)
start = big.init(6)
curves = {m: train(big, start, X, Y, method=m, lr=0.8, epochs=200).history["loss"]
          for m in ("symbolic", "reverse", "forward", "fd-central", "fd-forward")}
for method, drift in curve_agreement(curves, "reverse").items():
    print(f"{method:10} final loss {curves[method][-1]:.15f}   max |loss - reverse's| = {drift:.3g}")
