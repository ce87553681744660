"""THE primitive table: one ``Rule`` row per primitive, the only place difflab knows a primitive by name.

A row (``dispatch.Rule``) carries the NumPy kernel, the SymPy twin (so a Python function over
``difflab.numpy`` can be traced into a SymPy expression and every rule checked against ``sympy.diff``), a
scalar mpmath twin (the high-precision oracle), the two derivative rules, its domain, its kinks, the
interval its values lie in, its names (expression text and ``difflab.numpy`` aliases) and, where a naive
formula loses accuracy, a stable form (``numeric_twin`` or a fused SymPy class that recognises the naive
composition).  Consumers read the table, never a name: the parser (``expression_functions``),
compile/to_ops/stable forms/the mpmath reference/domain walker (``primitives.heads``, the table seen from
SymPy), the engines (through ``apply``), test generators and fuzzing (``smooth_rows``/``kinked_rows``).
Adding a primitive = adding a row in ``elementwise.py`` or ``arrays.py`` (and its tests).

Rule conventions:

* ``jvp(tangents, ans, *args, **params)`` -- forward rule.  ``tangents[i]`` is ``None`` (argument constant)
  or a *batched* tangent of shape ``(k,) + shape(args[i])``: the leading axis carries k directions at once,
  which is how the forward engine gets a whole gradient in one pass.  Rules therefore address axes with
  negative numbers (invariant under a leading batch axis) and pad lower-rank tangents (``tangents.pad``).
* ``vjp[i](g, ans, *args, **params)`` -- reverse rule for argument i: the cotangent, shaped like
  ``args[i]`` (broadcast axes summed by ``tangents.unbroadcast``).  ``None`` entries mark arguments that
  are not differentiable (a ``where`` condition).

Both are written with ``dispatch.ops`` (the rows themselves) and Python operators, never raw NumPy, so
they are differentiable: forward-over-reverse Hessians and nested duals fall out with no extra code.
A row may also give ``fwd(*args, **params) -> (ans, residual)``: the reverse engine, recording plain
arrays, then calls the VJPs with ``residual=`` -- a quantity of the forward pass worth keeping (sigmoid
keeps ``e^-x``, so its exact derivative costs no second exponential) -- and ``ans`` only.
``saves`` says which values the VJPs read (``"args"``, ``"ans"``, both, or ``""``); the reverse engine
keeps just those (shapes stand in for the rest), so dead intermediates are freed as the forward pass runs.
A row whose ``jvp``/``vjp`` is ``None`` is piecewise constant (``sign``, comparisons): engines return its
output as a plain constant.  ``domain`` names where the row is smooth, one entry per argument separated
by commas (``"positive,real"`` for ``pow``); ``sample_domain`` draws test points from it.
Fused rows (sigmoid, softplus, log_sigmoid, logsumexp, softmax, log_softmax) exist for speed and stability
only; tests check them against the composition of simpler rows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import NamedTuple

import mpmath
import numpy as np

from difflab.primitives import arrays, elementwise, exp_log_steps, inverse_trig, linalg, special
from difflab.primitives.dispatch import Rule, register

__all__ = ["DOMAINS", "EXPRESSION_ALIASES", "RULES", "Rule", "expression_functions", "kinked_rows",
           "sample_domain", "smooth_rows"]


class Domain(NamedTuple):
    """Where a row's argument may lie: a sampling interval and the distance to the domain's edge.

    ``inside(u)`` is positive inside (and measures how far inside, in the units a margin is given in),
    so a domain walker can demand ``inside(u) > margin`` without knowing which row it is looking at;
    ``words`` says what failed (``{name}`` the row, ``{m}`` the margin)."""

    low: float
    high: float
    description: str
    inside: Callable | None = None  # None: no edge (every real number)
    words: str = ""


DOMAINS: dict[str, Domain] = {
    # name: test points are drawn from the open interval (low, high), kept off kinks
    "real": Domain(-3.0, 3.0, "any real number"),
    "positive": Domain(0.05, 4.0, "x > 0", lambda u: u, "{name} argument is not above {m:g}"),
    "nonnegative": Domain(0.05, 4.0, "x >= 0 (derivative needs x > 0)", lambda u: u,
                          "{name} argument is not above {m:g}"),
    "gt_minus_one": Domain(-0.95, 3.0, "x > -1", lambda u: u + 1, "{name} argument is not above -1 + {m:g}"),
    "nonzero": Domain(0.1, 3.0, "x != 0 (either sign)", abs, "{name} argument is within {m:g} of 0"),
    "cos_nonzero": Domain(-1.5, 1.5, "cos(x) != 0", lambda u: abs(mpmath.cos(u)),
                          "|cos| of the {name} argument is not above {m:g}"),
    "unit_open": Domain(-0.95, 0.95, "|x| < 1", lambda u: 1 - abs(u),
                        "|{name} argument| is not below 1 - {m:g}"),
    "wide": Domain(-40.0, 40.0, "any real number, tails included"),
    "gt_one": Domain(1.05, 4.0, "x > 1", lambda u: u - 1, "{name} argument is not above 1 + {m:g}"),
    "order": Domain(0.0, 3.0, "a derivative order 0, 1, 2, ... (an integer parameter)"),
}


def sample_domain(domain: str, rng: np.random.Generator, size: int | tuple = ()) -> np.ndarray:
    """Random points strictly inside a named domain (``nonzero`` gets a random sign)."""
    low, high = DOMAINS[domain][:2]
    x = rng.uniform(low, high, size)
    if domain == "nonzero":
        x = x * rng.choice([-1.0, 1.0], size)
    if domain == "order":
        x = np.floor(x)
    return x


# What each VJP reads (Rule.saves); rows not listed keep arguments and output.
_SAVES = {**dict.fromkeys(("add", "subtract", "negative", "sum", "mean", "broadcast_to", "reshape",
                           "transpose", "getitem", "untake", "stack", "concatenate", "cumsum"), ""),
          **dict.fromkeys(("multiply", "matmul", "maximum", "minimum", "where", "log", "log1p", "expm1",
                           "sin", "cos", "atan", "sinh", "cosh", "tanh", "abs", "softplus", "log_sigmoid"),
                          "args"),
          **dict.fromkeys(("exp", "sqrt", "tan", "reciprocal", "softmax", "log_softmax"), "ans")}
RULES: dict[str, Rule] = {r.name: replace(r, saves=_SAVES.get(r.name, r.saves))
                          for r in elementwise.ROWS + inverse_trig.ROWS + special.ROWS + exp_log_steps.ROWS
                          + arrays.ROWS + linalg.ROWS}
register(RULES)


EXPRESSION_ALIASES: dict[str, str] = {alias: r.name for r in RULES.values() if r.in_expressions
                                      for alias in r.aliases}
"""Names accepted in expression text besides the row names (read off the rows' ``aliases``)."""


def expression_functions() -> dict[str, Rule]:
    """Functions callable by name in expression text: ``{text name: rule}``, aliases included."""
    table: dict[str, Rule] = {}
    for rule in RULES.values():
        if rule.in_expressions:
            for name in (rule.name, *rule.aliases):
                if name in table:
                    raise ValueError(f"two rows claim the name '{name}' in expression text")
                table[name] = rule
    return table


def smooth_rows() -> tuple[str, ...]:
    """Expression rows that are smooth on their open domains (what generators draw by default)."""
    return tuple(r.name for r in RULES.values() if r.in_expressions and r.smooth and r.drawn_by_default)


def kinked_rows() -> tuple[str, ...]:
    """Expression rows with kinks but a derivative elsewhere (abs, max, min): drawn when asked for."""
    return tuple(r.name for r in RULES.values() if r.in_expressions and r.kinks and r.jvp is not None
                 and r.drawn_by_default)
