"""The Rosenbrock function's analytic gradient, the baseline both benchmark scripts measure against."""

from __future__ import annotations

import numpy as np


def rosen_der(x: np.ndarray) -> np.ndarray:
    """Analytic gradient (the scipy.optimize.rosen_der formula), variables in natural order."""
    xm, xm_m1, xm_p1 = x[1:-1], x[:-2], x[2:]
    der = np.zeros_like(x)
    der[1:-1] = 200 * (xm - xm_m1 ** 2) - 400 * (xm_p1 - xm ** 2) * xm - 2 * (1 - xm)
    der[0] = -400 * x[0] * (x[1] - x[0] ** 2) - 2 * (1 - x[0])
    der[-1] = 200 * (x[-1] - x[-2] ** 2)
    return der
