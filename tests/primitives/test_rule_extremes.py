"""Every elementwise rule's first and second derivative at extreme arguments, by every engine nesting.

The random points of test_rules.py stay in modest ranges; here each argument of each row goes to
+-1e3, +-1e300 and tiny values (1e-8, 1e-300) wherever the row's domain allows, the other argument held
at 1.5, and the derivatives by forward, reverse, forward-over-reverse, reverse-over-reverse (and the two
other nestings) are compared with SymPy's derivative of the row's twin evaluated at 60 digits (more for tiny arguments). A true
value that is finite as a double must come out finite (no 0 * inf = nan from an overflowing
intermediate, as tanh'' = d/dx 1/cosh^2 gave at x = 1e3) and accurate.
"""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest
import sympy

import difflab.numpy as dnp
from difflab.engines import forward, reverse
from difflab.primitives.table import DOMAINS, RULES

ELEMENTWISE = sorted(n for n, r in RULES.items() if r.mpmath is not None and r.jvp is not None
                     and r.arity in (1, 2))
EXTREMES = (1e3, -1e3, 1e300, -1e300, 1e-8, -1e-8, 1e-300, -1e-300)
OTHER = 1.5  # the argument not being swept


def _inside(domain: str, x: float) -> bool:
    """The table's own domain (``Domain.inside``), read with mpmath at the double x."""
    inside = DOMAINS[domain].inside
    return inside is None or bool(inside(mpmath.mpf(x)) > 0)

DPS = 60
REL_TOL = 1e-11
TINY = 1e-305  # below this an underflowed result counts as exact


def _one_variable(rule, i, x0):
    """The row as a function of argument i alone (the other at OTHER)."""
    def f(x):
        args = [OTHER if rule.vjp[j] is not None else 1.0 for j in range(rule.arity)]  # an order: 1
        args[i] = x
        return dnp.apply(rule, *args)
    return f


def _truth(rule, i, x0, order: int) -> float | None:
    """The order-th derivative by SymPy at DPS digits, as a double; None when not finite as a double."""
    # Enough digits to survive the cancellation of terms of size ~1 in a result of size ~x0 (tiny x0).
    dps = DPS + 2 * int(abs(math.log10(abs(x0))))
    t = sympy.Symbol("t", real=True)
    args = [sympy.Float(OTHER, dps) if rule.vjp[j] is not None else sympy.Integer(1) for j in range(rule.arity)]
    args[i] = t
    d = sympy.diff(rule.sympy(*args), t, order)
    value = d.subs(t, sympy.Float(x0, dps)).evalf(dps)
    if not value.is_real or not value.is_finite:
        return None
    v = float(value)
    return v if math.isfinite(v) else None


def _first(engine, f):
    if engine == "forward":
        return lambda x: forward.jvp(f, x, np.ones_like(x))[1]
    return reverse.grad(f)


NESTINGS = [("forward", None), ("reverse", None), ("forward", "forward"), ("forward", "reverse"),
            ("reverse", "forward"), ("reverse", "reverse")]


def _cases():
    for name in ELEMENTWISE:
        rule = RULES[name]
        for i, domain in enumerate(rule.domains()):
            for x0 in EXTREMES:
                if rule.vjp[i] is not None and _inside(domain, x0):  # parameters are not swept
                    yield pytest.param(name, i, x0, id=f"{name}[{i}]@{x0:g}")


@pytest.mark.parametrize(("name", "i", "x0"), list(_cases()))
def test_derivatives_at_extreme_arguments(name, i, x0):
    rule = RULES[name]
    f = _one_variable(rule, i, x0)
    x = np.array(x0)
    bad = []
    for outer, inner in NESTINGS:
        order = 1 if inner is None else 2
        truth = _truth(rule, i, x0, order)
        if truth is None:
            continue
        d = _first(outer, f) if inner is None else _first(outer, _first(inner, f))
        with np.errstate(all="ignore"):
            got = float(d(x))
        label = outer if inner is None else f"{outer}-over-{inner}"
        if not math.isfinite(got):
            bad.append(f"{label}: {got} where the truth is {truth!r}")
        elif abs(got - truth) > REL_TOL * abs(truth) + TINY:
            bad.append(f"{label}: {got!r} vs {truth!r} (rel {abs(got - truth) / max(abs(truth), TINY):.1e})")
    assert not bad, f"{name} argument {i} at {x0:g}: " + "; ".join(bad)


def test_the_sweep_covers_every_elementwise_row():
    """Each elementwise row has at least one swept argument (a new row cannot slip past)."""
    swept = {c.values[0] for c in _cases()}
    assert swept == set(ELEMENTWISE)
