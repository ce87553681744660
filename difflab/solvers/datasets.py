"""The seed notes' data tables, as arrays (the solvers' worked examples and the tour use them).

Each table keeps where it comes from. Seed 002 prints the sentiment table twice; the second print
("Aack aack aack! 3 0 Happy", ...) is the one whose counts match its sentences, so it is the one kept
(the first print's sentences are garbled in the notes and cannot be checked against its counts).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Table:
    """Features ``X`` (rows are samples), targets ``y``, column names and the source."""

    name: str
    columns: tuple[str, ...]
    target: str
    X: np.ndarray
    y: np.ndarray
    source: str

    def rows(self) -> list[list[float]]:
        return [list(map(float, x)) + [float(t)] for x, t in zip(self.X, self.y, strict=True)]


def _table(name, columns, target, rows, source) -> Table:
    data = np.array(rows, dtype=float)
    X, y = data[:, :-1].copy(), data[:, -1].copy()
    X.setflags(write=False)
    y.setflags(write=False)
    return Table(name, tuple(columns), target, X, y, source)


# Seed 002, "Regression with a perceptron": size of a house (m^2), number of rooms -> price ($).
# Every row has price = 50 * size and rooms = size / 500: the two features are collinear.
HOUSES = _table("houses", ("size_m2", "rooms"), "price",
                [[1000, 2, 50_000], [2000, 4, 100_000], [3000, 6, 150_000]], "seed 002")

# Seed 002, "Classification problem motivation": counts of the words "aack" and "beep" -> happy (1) / sad (0).
SENTIMENT = _table("sentiment", ("aack", "beep"), "happy",
                   [[3, 0, 1], [0, 2, 0], [1, 3, 0], [2, 1, 1]], "seed 002")

# The sentiment table with Rosenblatt's labels (seed 003: the step activation returns -1 or +1).
SENTIMENT_PM = Table("sentiment (+-1)", SENTIMENT.columns, "happy", SENTIMENT.X, 2 * SENTIMENT.y - 1,
                     "seed 002 labels mapped to seed 003's -1/+1")

# Exclusive or: the textbook data no single perceptron separates (Rosenblatt's rule cannot stop on it).
XOR = _table("xor", ("x1", "x2"), "label", [[0, 0, -1], [0, 1, 1], [1, 0, 1], [1, 1, -1]], "textbook")

# Seed 004, "Coding how weight changes affect accuracy": one linear unit, squared error (no 1/2).
SEED004_INPUT = np.array([1.0, 2.0, 3.0])
SEED004_WEIGHTS = np.array([0.0, 2.0, 1.0])
SEED004_TARGET = 0.0
SEED004_LEARNING_RATE = 0.01

# Seed 004's two-layer linear network (inputs [0, 3], hidden weights per node, target 3).
SEED004_NET_INPUT = np.array([0.0, 3.0])
SEED004_NET_WEIGHTS = {"weight_0": np.array([2.0, 1.0]), "weight_1": np.array([1.0, 2.0]),
                       "output": np.array([1.0, 1.0])}
SEED004_NET_UPDATED = {"weight_0": np.array([2.0, 1.0]), "weight_1": np.array([1.0, 1.0]),
                       "output": np.array([0.5, 0.5])}
SEED004_NET_TARGET = 3.0


def seed004_network_output(inputs: np.ndarray, weights: dict[str, np.ndarray]) -> float:
    """Seed 004's ``calc_nodes``: two linear hidden nodes, a linear output node."""
    hidden = np.array([(inputs * weights["weight_0"]).sum(), (inputs * weights["weight_1"]).sum()])
    return float((hidden * weights["output"]).sum())
