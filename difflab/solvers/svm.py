"""Seed 001's linear support vector machine, trained by (sub)gradient descent with any derivative method.

The margin constraints ``g_i(c, b) = y_i (c^T x_i - b) >= 1`` are folded into an unconstrained cost with
the seed's Heaviside switch: ``H(m_i)`` with ``m_i = 1 - y_i (c^T x_i - b)`` is 1 exactly when sample i
violates its constraint, so

* ``penalty="heaviside"``: ``|c|^2/2 + lam * sum_i H(m_i) m_i^2`` -- the switched quadratic penalty; the
  Heaviside row is piecewise constant (its derivative is 0 off the switch and is multiplied by m_i^2 = 0
  on it), so the cost is differentiable once and its *second* derivative jumps where a sample sits on
  its margin (m_i = 0);
* ``penalty="hinge"``: ``|c|^2/2 + lam * sum_i max(0, m_i)`` -- the usual hinge loss, whose *first*
  derivative jumps there (a subgradient is taken: max's row gives 1/2 on the tie).

After training, the samples on or inside their margin are the support vectors (named by index, with
their margins), and every sample whose ``m_i`` is within ``tol`` of 0 is reported as a kink of the cost
in words -- where the derivative (hinge) or the second derivative (Heaviside penalty) is not defined.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

import difflab.numpy as dnp
from difflab import display
from difflab.errors import InputError
from difflab.methods.transforms import value_and_grad
from difflab.result import SolverResult
from difflab.solvers.gd import descend

PENALTIES = ("heaviside", "hinge")


@dataclass(frozen=True)
class SVMResult:
    """The trained plane ``c^T x = b``, its support vectors and kinks in words, and the descent record."""

    c: np.ndarray
    b: float
    support_vectors: tuple[int, ...]
    margins: np.ndarray            # y_i (c^T x_i - b) per sample (>= 1: outside the margin)
    kinks: tuple[str, ...]
    solver: SolverResult
    penalty: str

    @property
    def width(self) -> float:
        """The margin width 2/|c| that the SVM maximises."""
        return 2.0 / float(np.linalg.norm(self.c))

    def predict(self, X) -> np.ndarray:
        return np.where(np.asarray(X, dtype=float) @ self.c - self.b >= 0, 1.0, -1.0)

    def __bool__(self) -> bool:
        """True exactly when the descent converged (as every solver result)."""
        return bool(self.solver)

    def __repr__(self) -> str:
        return (f"SVMResult({self.penalty}, c={display.short_repr(self.c)}, b={display.fmt(self.b, 8)}, "
                f"support_vectors={list(self.support_vectors)}, converged={self.solver.converged})")

    def _lines(self) -> list[tuple[str, str]]:
        return [("plane", f"c.x - b = 0 with c = {display.entries(self.c, 8)}, b = {display.fmt(self.b, 8)}"),
                ("margin width", f"2/|c| = {display.fmt(self.width, 6)}"),
                ("support vectors", ", ".join(f"{i} (y (c.x - b) = {display.fmt(float(self.margins[i]), 6)})"
                                              for i in self.support_vectors) or "none"),
                ("descent", f"{self.solver.reason} ({self.solver.method})")]

    def _title(self) -> str:
        return f"linear SVM ({self.penalty} penalty), trained by (sub)gradient descent"

    def __str__(self) -> str:
        kinks = [""] + [f"kink: {k}" for k in self.kinks] if self.kinks else []
        return "\n".join([self._title(), "", display.lines_text(self._lines()), *kinks])

    def _repr_html_(self) -> str:
        return display.html_block(self._title(), display.html_table(["", "found"], self._lines()),
                                  notes=list(self.kinks))


def svm_cost(params, X: np.ndarray, y: np.ndarray, lam: float, penalty: str):
    """The cost over ``difflab.numpy``; ``params`` is ``(c, b)`` (arrays or traced values)."""
    c, b = params
    m = 1.0 - y * (dnp.matmul(X, c) - b)
    if penalty == "heaviside":
        violated = dnp.heaviside(m, 1.0)
        terms = violated * m * m
    else:
        terms = dnp.maximum(m, 0.0)
    return 0.5 * dnp.sum(c * c) + lam * dnp.sum(terms)


def train_svm(X, y, penalty: str = "heaviside", lam: float = 10.0, method: str = "reverse", lr: float = 0.01,
              steps: int = 5000, tol: float = 1e-6, support_tol: float = 0.02) -> SVMResult:
    """Minimise the SVM cost from c = 0, b = 0 by (sub)gradient descent with the named method.

    Support vectors: margins ``y_i (c^T x_i - b) <= 1 + support_tol`` (with a constant step the hinge's
    subgradient iterates hover around the kink instead of landing on it, hence a tolerance)."""
    X = np.atleast_2d(np.asarray(X, dtype=float))
    y = np.asarray(y, dtype=float).reshape(-1)
    if penalty not in PENALTIES:
        raise InputError(f"penalty must be one of {', '.join(PENALTIES)}; got {penalty!r}")
    if y.shape[0] != X.shape[0]:
        raise InputError(f"X has {X.shape[0]} samples but y has {y.shape[0]} labels")
    if not np.all(np.isin(y, (-1.0, 1.0))):
        raise InputError("the labels y must be -1 or +1")
    d = X.shape[1]
    vg = value_and_grad(lambda p: svm_cost((p[:d], p[d]), X, y, lam, penalty), method=method)
    crossings: list[tuple[int, int, bool]] = []  # (step, sample, switched on): the kinks the descent met
    state = [np.zeros(len(y), dtype=bool)]

    def step(v: np.ndarray, k: int):
        on = 1.0 - y * (X @ v[:d] - v[d]) > 0
        if k:
            crossings.extend((k, int(i), bool(on[i])) for i in np.flatnonzero(on != state[0]))
        state[0] = on
        value, g = vg(v)
        g = np.asarray(g, dtype=float)
        # The hinge has kinks at its optimum: a subgradient method needs steps that shrink (lr/sqrt(k+1)).
        return float(np.real(value)), g if penalty == "heaviside" else g / np.sqrt(k + 1.0)

    result = descend(step, np.zeros(d + 1), lr=lr, max_iter=steps, gtol=tol, method=method,
                     keep_iterates=False)
    c, b = result.x[:d], float(result.x[d])
    margins = y * (X @ c - b)
    support = tuple(int(i) for i in np.flatnonzero(margins <= 1.0 + support_tol))
    kinks = _kinks(margins, penalty, support_tol) + _crossed(crossings)
    return SVMResult(c, b, support, margins, kinks, result, penalty)


def _crossed(crossings: list[tuple[int, int, bool]]) -> tuple[str, ...]:
    """The switches H(m_i) flipped on the way: each flip is the descent crossing a kink of the cost."""
    if not crossings:
        return ()
    per = {}
    for k, i, on in crossings:
        per.setdefault(i, []).append((k, on))
    words = []
    for i, events in sorted(per.items()):
        first = events[0]
        words.append(f"the descent crossed sample {i}'s margin {len(events)} time{'s' * (len(events) != 1)} "
                     f"(first at step {first[0]}, its penalty switched {'on' if first[1] else 'off'}): each "
                     f"crossing is a kink of the cost, where the term's derivative changes")
    return tuple(words)


def _kinks(margins: np.ndarray, penalty: str, tol: float) -> tuple[str, ...]:
    what = ("the hinge term max(0, m) has a kink there (its derivative jumps from 0 to 1; a subgradient "
            "method hovers around it)" if penalty == "hinge" else
            "the switched penalty H(m) m^2 has a kink in its derivative (its second derivative jumps from "
            "0 to 2)")
    return tuple(f"sample {i} sits on its margin (y (c.x - b) = {margins[i]:.6g}, m = {1 - margins[i]:.2g}): "
                 f"{what}" for i in np.flatnonzero(np.abs(1.0 - margins) <= tol))
