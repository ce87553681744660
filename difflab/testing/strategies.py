"""Hypothesis strategies for differentiable functions: ``expressions()``, ``points()``, ``functions()``.

In Hypothesis' own style: plural nouns, keyword-only options, and every option accepts either a value
or a strategy (``max_depth=st.integers(1, 4)``).  Expressions are drawn from the rule table
(``difflab.primitives.table``): each node is a row callable from expression text (or an arithmetic operator),
built
with that row's SymPy twin, so whatever the table can differentiate can be drawn and nothing else.

Domain information is used at both ends:

* ``expressions()`` builds arguments that are inside the domain *for every real input* unless
  ``allow_singular=True``: the argument of ``log``/``sqrt``/a fractional power, and a denominator, is
  drawn from positive forms (``u**2 + c``, ``exp(u)``, ``cosh(u)``, ``softplus(u) + c`` with ``c > 0``),
  and ``tan`` gets a bounded argument (``tan(sin(u))``, ``tan(u/(u**2 + 1))``), so points are almost
  never rejected.
* ``points(f)`` draws points inside the box and keeps only those safely inside the domain of every
  subexpression (a margin from poles, kinks and domain edges; intermediate values below a magnitude
  cap), checked by walking the tree in mpmath (``difflab.testing.domain``).

Shrinking: every choice shrinks toward a leaf, the first variable, the first function and small
constants, and floats toward 0 and integers, so a failing case shrinks to something like
``log(x**2 + 1)`` at ``x=1.0``.

>>> from hypothesis import given, settings
>>> from difflab.testing.strategies import expressions, functions
>>> expressions(variables=("x", "y"), max_depth=2).example()  # doctest: +SKIP
sin(x) + exp(y)
>>> @settings(max_examples=5, deadline=None)
... @given(functions(variables=("x",), max_depth=2))
... def test_symbolic_matches_reverse(case):
...     f, x = case
...     import difflab as dl
...     a = dl.gradient(f, x, method="symbolic").value
...     b = dl.gradient(f, x, method="reverse").value
...     assert abs(a[0] - b[0]) <= 1e-9 * max(1.0, abs(a[0]))
>>> test_symbolic_matches_reverse()
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np
import sympy
from hypothesis import assume
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument
from hypothesis.strategies import SearchStrategy

from difflab.expr.function import Function
from difflab.primitives.table import RULES, expression_functions, kinked_rows, smooth_rows
from difflab.testing.domain import domain_check

SMOOTH_FUNCTIONS = smooth_rows()
"""Rows drawn by default: the table's expression rows that are smooth on their (open) domains."""
KINKED_FUNCTIONS = kinked_rows()
"""Rows with kinks (``abs``, ``max``, ``min``): ask for them with ``functions=``; ``points()`` keeps a
margin from the kinks."""

OPERATORS = ("add", "multiply", "subtract", "divide", "power", "negative")
_CONSTANTS = tuple(sympy.Integer(k) for k in (2, 3, -1, -2)) + (sympy.Rational(1, 2), sympy.Rational(3, 2),
                                                              sympy.Rational(-1, 2))
_EXPONENTS = (sympy.Integer(2), sympy.Integer(3), sympy.Integer(-1), sympy.Rational(1, 2),
              sympy.Rational(3, 2), sympy.Integer(-2), sympy.Rational(-1, 2))
_NEEDS_POSITIVE = {"positive", "nonnegative"}
_NEEDS_OFFSET = {"gt_minus_one", "nonzero"}


class FunctionAt(NamedTuple):
    """A drawn function and a point inside its domain (what ``functions()`` yields)."""

    function: Function
    point: np.ndarray

    def __repr__(self) -> str:
        pairs = zip(self.function.variables, self.point, strict=True)
        where = ", ".join(f"{v}={float(p)!r}" for v, p in pairs)
        return f"FunctionAt({str(self.function.expr)!r}, {where})"


def _option(draw, value: Any) -> Any:
    """An option given as a value or as a strategy."""
    return draw(value) if isinstance(value, SearchStrategy) else value


def _names(functions: Sequence[str]) -> tuple[str, ...]:
    table = expression_functions()
    known = set(table) | set(OPERATORS)
    bad = [f for f in functions if f not in known]
    if bad:
        raise InvalidArgument(f"unknown function {bad[0]!r} for expressions(); choose from: "
                              f"{', '.join(sorted(known))}")
    return tuple(dict.fromkeys(table[f].name if f in table else f for f in functions))


def _symbols(variables: Sequence[str] | str) -> tuple[sympy.Symbol, ...]:
    if isinstance(variables, str):
        variables = [v.strip() for v in variables.split(",") if v.strip()]
    if not variables:
        raise InvalidArgument("expressions() needs at least one variable")
    return tuple(sympy.Symbol(v, real=True) for v in variables)


def _ranged(names: tuple[str, ...], low: float, high: float) -> tuple[str, ...]:
    """Allowed one-argument rows defined on all reals whose values lie in [low, high] (``Rule.image``)."""
    return tuple(n for n in names if n in RULES and RULES[n].arity == 1 and RULES[n].jvp is not None
                 and RULES[n].domain in ("real", "wide") and low <= RULES[n].image[0]
                 and RULES[n].image[1] <= high)


def _positive(draw, inner: SearchStrategy, names: tuple[str, ...]) -> sympy.Expr:
    """A form positive for every real ``u`` (at least 1/2): safe under log, sqrt, division.

    ``u**2 + c`` always; ``f(u) + c`` for an allowed row whose values are never negative (``exp``,
    ``softplus``, ...), or ``f(u)`` alone when they are at least 1/2 (``cosh``)."""
    u = draw(inner)
    c = draw(st.sampled_from((sympy.Integer(1), sympy.Rational(1, 2), sympy.Integer(2))))
    form = draw(st.sampled_from(("square",) + _ranged(names, 0.0, np.inf)))
    if form == "square":
        return u ** 2 + c
    rule = RULES[form]
    return rule.sympy(u) if rule.image[0] >= 0.5 else rule.sympy(u) + c


def _bounded(draw, inner: SearchStrategy, names: tuple[str, ...], scale: sympy.Expr) -> sympy.Expr:
    """A form with ``|value| <= scale`` for every real ``u``: ``scale*u/(u**2 + 1)`` or ``scale*f(u)``
    for an allowed row with values in [-1, 1] (``sin``, ``tanh``, ...)."""
    u = draw(inner)
    form = draw(st.sampled_from(("ratio",) + _ranged(names, -1.0, 1.0)))
    return scale * (u / (u ** 2 + 1) if form == "ratio" else RULES[form].sympy(u))


def _argument(draw, domain: str, inner: SearchStrategy, singular: bool, names: tuple[str, ...]) -> sympy.Expr:
    """An argument for a slot with the given domain (``inner`` draws an unrestricted subexpression)."""
    if singular or domain in ("real", "wide"):
        return draw(inner)
    if domain in _NEEDS_POSITIVE | _NEEDS_OFFSET:
        return _positive(draw, inner, names)
    if domain == "cos_nonzero":  # |value| <= 1 < pi/2
        return _bounded(draw, inner, names, sympy.Integer(1))
    if domain == "unit_open":  # |value| <= 9/10 < 1
        return _bounded(draw, inner, names, sympy.Rational(9, 10))
    if domain == "gt_one":
        return 1 + _positive(draw, inner, names)
    if domain == "order":  # an integer parameter, not a function of the variables
        return sympy.Integer(draw(st.integers(0, 2)))
    raise InvalidArgument(f"no safe argument form for the domain {domain!r}")


_BAD_CONSTANTS = (sympy.zoo, sympy.nan, sympy.oo, -sympy.oo)


@st.composite
def _tree(draw, symbols, depth: int, names: tuple[str, ...], constants: bool, singular: bool) -> sympy.Expr:
    """One node; with ``allow_singular`` a constant subtree can leave the reals (``log(-1)``, ``1/0``):
    such draws are rejected, since there is no real function to differentiate."""
    try:
        expr = _node(draw, symbols, depth, names, constants, singular)
    except (ValueError, TypeError):  # SymPy refuses Max(I*pi, x): not comparable
        assume(False)
    if expr.is_number and (expr.is_extended_real is False or expr.has(*_BAD_CONSTANTS)):
        assume(False)
    return expr


def _node(draw, symbols, depth: int, names: tuple[str, ...], constants: bool, singular: bool) -> sympy.Expr:
    kind = 0 if depth <= 0 else draw(st.integers(0, 2))  # 0 leaf, 1 one argument, 2 two
    if kind == 0:  # a variable three times in four (a constant leaf rarely makes a better test)
        if constants and draw(st.integers(0, 3)) == 3:
            return draw(st.sampled_from(_CONSTANTS))
        return draw(st.sampled_from(symbols))
    sub = _tree(symbols, depth - 1, names, constants, singular)
    unary = [n for n in names if n == "negative" or (n in RULES and RULES[n].arity == 1
                                                     and n not in OPERATORS)]
    binary = [n for n in names if n not in unary]
    pool = (unary if kind == 1 else binary) or unary or binary
    name = draw(st.sampled_from(pool))
    if name == "negative":
        return -draw(sub)
    if name in ("add", "subtract", "multiply"):
        a, b = draw(sub), draw(sub)
        return RULES[name].sympy(a, b)
    if name == "divide":
        return draw(sub) / _argument(draw, "nonzero", sub, singular, names)
    if name == "power":
        expo = draw(st.sampled_from(_EXPONENTS))
        slot = "real" if expo.is_integer and expo > 0 else "positive"
        return _argument(draw, slot, sub, singular, names) ** expo
    rule = RULES[name]
    if rule.kinks is not None:  # any argument: points() keeps the margin from the kinks
        return rule.sympy(*[draw(sub) for _ in rule.domains()])
    args = [_argument(draw, d, sub, singular, names) for d in rule.domains()]
    return rule.sympy(*args)


@st.composite
def expressions(draw, *, variables: Sequence[str] | SearchStrategy = ("x", "y"),
                max_depth: int | SearchStrategy = 3,
                functions: Sequence[str] | SearchStrategy | None = None,
                allow_constants: bool | SearchStrategy = True,
                allow_singular: bool | SearchStrategy = False) -> sympy.Expr:
    """SymPy expressions over real ``variables`` built from rule-table rows, at most ``max_depth`` deep.

    ``functions``: names from the rule table (text names such as ``max`` or ``arctan`` too) and the
    operators ``add multiply subtract divide power negative``; default ``SMOOTH_FUNCTIONS`` plus all
    operators.  ``allow_singular=True`` lets arguments leave the domain for some inputs (``log(x)``,
    ``1/(x - 1)``); ``points()`` then keeps to the inside.  The tree may fold (SymPy evaluates
    ``x - x`` to 0), so an expression can be simpler than its draw.

    >>> from difflab.testing.strategies import expressions
    >>> e = expressions(variables=("x",), max_depth=2, functions=("log", "add")).example()
    >>> sorted(s.name for s in e.free_symbols) in ([], ["x"])
    True
    """
    symbols = _symbols(_option(draw, variables))
    depth = _option(draw, max_depth)
    if not isinstance(depth, int) or depth < 0:
        raise InvalidArgument(f"max_depth must be a non-negative integer, got {depth!r}")
    names = _names(_option(draw, functions) or SMOOTH_FUNCTIONS + OPERATORS)
    return draw(_tree(symbols, depth, names, bool(_option(draw, allow_constants)),
                      bool(_option(draw, allow_singular))))


def _as_function(function: Function | sympy.Expr | str) -> Function:
    return function if isinstance(function, Function) else Function(function)


@st.composite
def points(draw, function: Function | sympy.Expr | str, *, min_value: float | SearchStrategy = -3.0,
           max_value: float | SearchStrategy = 3.0, min_margin: float | SearchStrategy = 0.05,
           max_magnitude: float | SearchStrategy = 1e6, clearance: float | SearchStrategy = 0.0,
           allow_singular: bool | SearchStrategy = False) -> np.ndarray:
    """Points (float arrays, one entry per variable) in ``[min_value, max_value]`` inside the domain.

    "Inside" means every subexpression is defined at least ``min_margin`` away from a domain edge,
    pole or kink, and every intermediate value is at most ``max_magnitude`` in size.  ``clearance``
    asks the same of the cube of half-width ``clearance * max(|x_i|, 1)`` around the point (its
    corners and axis points, all on the point's side of every kink): room for a finite-difference
    stencil, whose reach (Richardson's Hessian: five steps of 1.4% in two directions) would otherwise
    cross a kink the point itself keeps clear of.  With ``allow_singular=True`` any point of the box
    is drawn (for testing how methods report trouble).

    >>> import sympy
    >>> from difflab.testing.strategies import points
    >>> x = sympy.Symbol("x", real=True)
    >>> p = points(sympy.log(x), min_value=-2.0, max_value=2.0).example()
    >>> bool(0.05 < p[0] <= 2.0)
    True
    """
    f = _as_function(function)
    lo, hi = float(_option(draw, min_value)), float(_option(draw, max_value))
    if not lo <= hi:
        raise InvalidArgument(f"min_value={lo!r} must not exceed max_value={hi!r}")
    coord = st.floats(lo, hi, allow_nan=False, allow_infinity=False, allow_subnormal=False)
    x = np.array(draw(st.lists(coord, min_size=f.n, max_size=f.n)), dtype=float)
    if not _option(draw, allow_singular) and f.expr is not None:
        margin, cap = float(_option(draw, min_margin)), float(_option(draw, max_magnitude))
        problem, sides = domain_check(f.expr, f.symbols, x, margin, cap)
        assume(problem is None)
        reach = float(_option(draw, clearance)) * np.maximum(np.abs(x), 1.0)
        for probe in _neighbours(x, reach) if reach.any() else []:
            assume(domain_check(f.expr, f.symbols, probe, margin, cap) == (None, sides))
    return x


def _neighbours(x: np.ndarray, reach: np.ndarray) -> list[np.ndarray]:
    """The 2n axis points and the 2**n corners of the cube ``x +- reach`` (n <= 3 in practice)."""
    n = x.size
    out = [x + s * reach[i] * np.eye(n)[i] for i in range(n) for s in (-1.0, 1.0)]
    signs = np.array(np.meshgrid(*[[-1.0, 1.0]] * n)).reshape(n, -1).T
    return out + [x + s * reach for s in signs] if n <= 4 else out


@st.composite
def functions(draw, *, variables: Sequence[str] | SearchStrategy = ("x", "y"),
              max_depth: int | SearchStrategy = 3,
              functions: Sequence[str] | SearchStrategy | None = None,
              allow_constants: bool | SearchStrategy = True,
              allow_singular: bool | SearchStrategy = False,
              min_value: float | SearchStrategy = -3.0, max_value: float | SearchStrategy = 3.0,
              min_margin: float | SearchStrategy = 0.05,
              max_magnitude: float | SearchStrategy = 1e6,
              clearance: float | SearchStrategy = 0.0) -> FunctionAt:
    """A ``difflab.Function`` drawn by ``expressions()`` and a point drawn by ``points()`` for it.

    The Function's variables are all of ``variables`` (in that order), even when the drawn
    expression happens not to use one, so a gradient always has one entry per variable.

    >>> from difflab.testing.strategies import functions
    >>> case = functions(variables=("x", "y"), max_depth=2).example()
    >>> case.function.variables, case.point.shape
    (('x', 'y'), (2,))
    """
    names = _option(draw, variables)
    symbols = _symbols(names)
    expr = draw(expressions(variables=tuple(s.name for s in symbols), max_depth=max_depth,
                            functions=functions, allow_constants=allow_constants,
                            allow_singular=allow_singular))
    assume(expr.free_symbols)  # a constant has nothing to differentiate
    f = Function(expr, variables=[s.name for s in symbols])
    x = draw(points(f, min_value=min_value, max_value=max_value, min_margin=min_margin,
                    max_magnitude=max_magnitude, clearance=clearance))
    return FunctionAt(f, x)
