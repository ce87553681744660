"""The optional SymEngine accelerator (``pip install 'difflab[fast]'``): the first partial derivatives of
the terms of large expressions computed by SymEngine (C++), returned as the very SymPy expressions that
SymPy's route builds.

Why this shape:

* **Differentiation only.** The derivatives come back as SymPy expressions over the Function's own
  (real) symbols and are compiled by the same printer, so every compiled value is identical with or
  without SymEngine (a test runs both routes). SymEngine's own ``Lambdify`` was not taken: it
  evaluates in an order of its own, an ulp away from the NumPy code here and there, and its CSE grows
  faster than linearly (10 s for the Rosenbrock gradient and Hessian at n = 1000).
* **Term by term.** SymEngine's ``diff`` of a whole sum walks the sum once per variable (22 s for the
  Rosenbrock gradient at n = 1000); ``expr.derivatives.Differentiator`` hands it one term of a sum at a
  time, with only the variables that term contains, so the work stays linear.
* **Only heads that mean the same.** Sums, products, powers with rational exponents, integers,
  rationals and the elementary functions below differentiate identically in both systems on the
  reals; anything else (abs, sign, max, piecewise, floats, difflab's fused functions such as sigmoid,
  whose stable derivatives live in the rule table) stays with SymPy.
* **Only large expressions** (at least ``MIN_NODES`` nodes): below that, converting to SymEngine and
  back costs about what it saves. ``DIFFLAB_SYMENGINE=0`` turns it off (the test and the benchmark
  compare both routes in one process with ``use(False)``).

What it buys, measured (CPU time, n = 200 / 1000): the Hessian expressions of a sum of heavy terms
(``exp(sin(x_i x_j)) log(1 + x_i^2) atan(x_j - x_i)^3 / (1 + x_j^2)``) ~25% faster; the extended
Rosenbrock setup about even (its terms are tiny: converting them back to SymPy costs what SymEngine
saves). The rest of a setup -- parsing into SymPy objects and printing the compiled code -- it does
not touch.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from contextlib import contextmanager
from functools import cache

import sympy

MIN_NODES = 2000  # an expression smaller than this is differentiated by SymPy alone
_ON = [os.environ.get("DIFFLAB_SYMENGINE", "1") != "0"]
_HEADS = (sympy.Add, sympy.Mul, sympy.Pow, sympy.exp, sympy.log, sympy.sin, sympy.cos, sympy.tan,
          sympy.sinh, sympy.cosh, sympy.tanh, sympy.asin, sympy.acos, sympy.atan)


@cache
def _symengine():
    """symengine's converter from SymPy objects (it parses no text, unlike its ``sympify``) and the
    symbol type that converts back to a given SymPy symbol, or None when symengine is not installed."""
    try:
        # deferred: optional accelerator (extra difflab[fast]); SymPy alone when it is absent
        from symengine.lib.symengine_wrapper import Symbol, sympy2symengine
    except ImportError:
        return None

    class Twin(Symbol):
        """A SymEngine symbol that converts back to the SymPy symbol it stands for, assumptions and all
        (SymEngine has none: a plain round trip would lose ``real=True``)."""

        def __init__(self, target: sympy.Symbol):
            super().__init__(target.name)
            self.target = target

        def _sympy_(self):
            return self.target

    return sympy2symengine, Twin


@cache
def _twin(symbol: sympy.Symbol):
    """One twin per SymPy symbol for the life of the process: SymEngine keeps a subclassed symbol alive
    (its own reference cycle), so twins are made once and reused rather than leaked per Function."""
    return _symengine()[1](symbol)


def available() -> bool:
    """SymEngine is installed and not turned off (``DIFFLAB_SYMENGINE=0`` or ``use(False)``)."""
    return _ON[0] and _symengine() is not None


@contextmanager
def use(on: bool):
    """Turn the accelerator on or off inside a block (results are identical either way)."""
    before, _ON[0] = _ON[0], on
    try:
        yield
    finally:
        _ON[0] = before


def large(expr: sympy.Basic) -> bool:
    """At least ``MIN_NODES`` nodes (the walk stops there)."""
    seen = 0
    for _ in sympy.preorder_traversal(expr):
        seen += 1
        if seen >= MIN_NODES:
            return True
    return False


def supported(expr: sympy.Basic) -> bool:
    """Every node is a symbol, an integer or rational, or one of the heads SymEngine shares."""
    for node in sympy.preorder_traversal(expr):
        if not (node.is_Symbol or node.is_Rational or type(node) in _HEADS):
            return False
        if node.is_Pow and not node.exp.is_Rational:  # x**y: SymEngine writes x**(y - 1)*y, SymPy x**y*y/x
            return False
    return True


class TermDifferentiator:
    """Partial derivatives of one term at a time in SymEngine, back as SymPy over the original symbols."""

    def __init__(self, symbols: Sequence[sympy.Symbol]):
        self.convert = _symengine()[0]

    def partials(self, term: sympy.Basic, variables: Sequence[sympy.Symbol]) -> dict:
        t = self.convert(term)
        twins = {self.convert(s): _twin(s) for s in term.free_symbols}
        t = t.xreplace(twins)
        return {s: t.diff(_twin(s))._sympy_() for s in variables}
