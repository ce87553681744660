"""``difflab.strategies``: the Hypothesis strategies of ``difflab.testing.strategies`` under a short name."""

from difflab.testing.strategies import (
    OPERATORS,
    SMOOTH_FUNCTIONS,
    FunctionAt,
    expressions,
    functions,
    points,
)

__all__ = ["OPERATORS", "SMOOTH_FUNCTIONS", "FunctionAt", "expressions", "functions", "points"]
