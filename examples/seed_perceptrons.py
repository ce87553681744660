"""Seed 002/003: the house table (regression perceptron), the sentiment table (sigmoid perceptron with the
log-loss) and Rosenblatt's rule on separable and non-separable data.

Run: python examples/seed_perceptrons.py
"""

from difflab.solvers import (
    datasets,
    fit_classifier,
    fit_regression,
    predict_linear,
    predict_proba,
    rosenblatt,
)

for method in ("symbolic", "reverse", "fd-central"):
    r = fit_regression(datasets.HOUSES.X, datasets.HOUSES.y, method=method)
    print(f"{method:10} w_size, w_rooms, b = {r.x.round(6).tolist()}; "
          f"price of 1500 m2 / 3 rooms = {predict_linear(r.x, [[1500, 3]])[0]:.6f} ({r.reason})")

r = fit_classifier(datasets.SENTIMENT.X, datasets.SENTIMENT.y, method="reverse", epochs=500)
print("\nP(happy) per row:", predict_proba(r.x, datasets.SENTIMENT.X).round(4).tolist(),
      "labels", datasets.SENTIMENT.y.tolist())
print("  ", r.reason)

for table in (datasets.SENTIMENT_PM, datasets.XOR):
    r = rosenblatt(table.X, table.y)
    print(f"\nRosenblatt on {table.name}: w, b = {r.x.tolist()}; {r.reason}")
