"""Walk a SymPy expression in mpmath at a point: domain checks and a running rounding-error scale.

Two questions the strategies and the fuzz properties ask of a drawn expression, answered by one walk of
its tree (each subexpression once, however often it is shared):

* **Is the point safely inside the domain?** ``domain_problem`` evaluates every node and checks each
  restricted argument against its rule's domain *with a margin*: a log or a fractional power needs its
  argument above the margin, a denominator and ``abs`` need it away from 0 by the margin, ``tan`` needs
  ``|cos|`` above it, ``max``/``min`` need their arguments apart (a kink).  Why a margin: finite
  differences probe around the point, and a derivative right next to a pole or kink is not a fair test
  of anything.  Every intermediate value must also stay below ``max_magnitude`` (no overflow, no
  ``exp(exp(exp(x)))`` at the edge of double range).

* **How much rounding can a double-precision evaluation of this expression carry?**  ``rounding_scale``
  is a first-order running error bound (Higham, *Accuracy and Stability of Numerical Algorithms*, ch. 3)
  divided by the unit roundoff: each operation contributes ``|its value|`` and propagates the scales of
  its arguments through its local derivative.  For ``cos(x) - 1`` near 0 the value is tiny but the scale
  is about 2, which is what makes a relative error of 1e-12 against the *scale* (not the value) a fair
  target for the exact methods: a derivative that is a small difference of large terms cannot be
  relatively exact in any method that evaluates in doubles.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cache

import mpmath
import sympy

from difflab.expr.compile import to_mpmath
from difflab.primitives.heads import rule_of
from difflab.primitives.table import DOMAINS

WORK_DPS = 30


class Outside(Exception):
    """A node's argument is outside (or too close to the edge of) its domain; the message says which."""


def _number(node: sympy.Basic) -> mpmath.mpf:
    if isinstance(node, sympy.Rational):
        return mpmath.mpf(node.p) / node.q
    return mpmath.mpf(sympy.Float(node, WORK_DPS + 5)._mpf_) if node.is_Float else mpmath.mpf(
        sympy.N(node, WORK_DPS + 5)._mpf_)


@cache
def _local_derivative(head: type) -> Callable:
    """d/du of a one-argument SymPy function class, as an mpmath callable (cached per class)."""
    u = sympy.Symbol("u", real=True)
    return to_mpmath(sympy.diff(head(u), u), [u])


def _check(ok: bool, what: str, node: sympy.Basic, value) -> None:
    if not ok:
        raise Outside(f"{what} in {node} (the argument is {mpmath.nstr(value, 6)})")


class _Walker:
    """One evaluation of a tree at a point (memoized per node): value, and optionally domain checks."""

    def __init__(self, env: dict[sympy.Symbol, mpmath.mpf], margin: float | None, max_magnitude: float):
        self.env = env
        self.margin = margin
        self.max_magnitude = max_magnitude
        self.memo: dict[sympy.Basic, mpmath.mpf] = {}
        self.branches: list[int] = []  # which side of each kink (abs: sign; max/min: winning argument)

    def value(self, node: sympy.Basic) -> mpmath.mpf:
        got = self.memo.get(node)
        if got is None:
            got = self.memo[node] = self._value(node)
            if self.margin is not None and not (mpmath.isfinite(got) and abs(got) <= self.max_magnitude):
                raise Outside(f"|{node}| exceeds {self.max_magnitude:g} (value {mpmath.nstr(got, 6)})")
        return got

    def _value(self, node: sympy.Basic) -> mpmath.mpf:
        if node.is_Symbol:
            return self.env[node]
        if node.is_Number or node.is_NumberSymbol:
            return _number(node)
        args = [self.value(a) for a in node.args]
        m = self.margin
        if node.is_Add:
            return mpmath.fsum(args)
        if node.is_Mul:
            return mpmath.fprod(args)
        if node.is_Pow:
            base, expo = args
            if m is not None:
                if not node.exp.is_integer:
                    _check(base > m, f"base of a fractional power is not above {m:g}", node, base)
                elif node.exp.is_negative:
                    _check(abs(base) > m, f"denominator is within {m:g} of 0", node, base)
            return mpmath.power(base, expo)
        rule = rule_of(node)
        if rule is None or rule.mpmath is None:
            raise Outside(f"no mpmath twin for {type(node).__name__} in the domain walker")
        if m is not None:
            self._check_domain(rule, node, args, m)
        if rule.kinks is not None:  # which side of each kink (for max/min: which argument wins)
            self.branches.extend(int(mpmath.sign(k)) for k in rule.kinks(*args))
        return rule.mpmath(*args)

    def _check_domain(self, rule, node: sympy.Basic, args: list, m: float) -> None:
        """Each argument inside its domain by more than the margin (``Domain.inside``), and every kink
        of the row farther than the margin (``Rule.kinks``): all read from the row."""
        if rule.kinks is not None:
            gap = min(abs(k) for k in rule.kinks(*args))
            _check(gap > m, f"{type(node).__name__} {rule.kink_words.format(m=m)}", node,
                   gap if len(args) > 1 else args[0])
            return
        for value, name in zip(args, rule.domains(), strict=False):
            domain = DOMAINS[name]
            if domain.inside is not None:
                _check(domain.inside(value) > m, domain.words.format(name=rule.name, m=m), node, value)


def _env(symbols: Sequence[sympy.Symbol], x: Sequence[float]) -> dict[sympy.Symbol, mpmath.mpf]:
    return {s: mpmath.mpf(float(v)) for s, v in zip(symbols, x, strict=True)}


def domain_check(expr: sympy.Expr, symbols: Sequence[sympy.Symbol], x: Sequence[float],
                 margin: float = 0.05, max_magnitude: float = 1e6) -> tuple[str | None, tuple[int, ...]]:
    """``domain_problem`` and the side of every kink (abs, max, min) the point is on.

    Why the sides: points a stencil apart can each keep their margin from a kink and still lie on
    opposite sides of it; equal sides say the function is one smooth piece there.
    """
    with mpmath.workdps(WORK_DPS):
        walker = _Walker(_env(symbols, x), margin, max_magnitude)
        try:
            walker.value(expr)
        except Outside as err:
            return str(err), ()
        except (ZeroDivisionError, ValueError, OverflowError, TypeError) as err:
            return f"cannot evaluate {expr} there ({type(err).__name__}: {err})", ()
    return None, tuple(walker.branches)


def domain_problem(expr: sympy.Expr, symbols: Sequence[sympy.Symbol], x: Sequence[float],
                   margin: float = 0.05, max_magnitude: float = 1e6) -> str | None:
    """None when ``x`` is safely inside the domain of every node of ``expr``; else the reason, in words.

    >>> import sympy
    >>> x = sympy.Symbol("x", real=True)
    >>> domain_problem(sympy.log(x) + 1 / (x - 1), [x], [2.0]) is None
    True
    >>> domain_problem(sympy.log(x), [x], [0.01])
    'log argument is not above 0.05 in log(x) (the argument is 0.01)'
    """
    return domain_check(expr, symbols, x, margin, max_magnitude)[0]


def rounding_scale(exprs: Sequence[sympy.Expr], symbols: Sequence[sympy.Symbol],
                   x: Sequence[float]) -> list[float]:
    """Per expression: first-order running rounding-error bound of a double evaluation, over eps.

    Rules (``s`` the scale of an argument, ``v`` values): a sum adds its arguments' scales and
    ``sum |v_i|``; a product adds ``s_i * |prod of the others|`` and ``|v|``; ``f(u)`` adds
    ``|f'(u)| s_u`` and ``|f(u)|``; a variable is exact (0), a constant contributes ``|c|``.

    >>> import sympy
    >>> x = sympy.Symbol("x", real=True)
    >>> [round(s, 3) for s in rounding_scale([sympy.cos(x) - 1], [x], [1e-4])]
    [3.0]
    """
    with mpmath.workdps(WORK_DPS):
        walker = _Walker(_env(symbols, x), None, mpmath.inf)
        memo: dict[sympy.Basic, mpmath.mpf] = {}

        def scale(node: sympy.Basic) -> mpmath.mpf:
            got = memo.get(node)
            if got is None:
                got = memo[node] = _scale(node)
            return got

        def _scale(node: sympy.Basic) -> mpmath.mpf:
            value = walker.value(node)
            if isinstance(value, mpmath.mpc) and value.imag:
                raise Outside(f"{node} is not real here")
            v = abs(value)
            if node.is_Symbol:
                return mpmath.mpf(0)
            if node.is_Number or node.is_NumberSymbol:
                return mpmath.mpf(0) if node.is_Integer or (node.is_Rational and node.q in (2, 4)) else v
            vals = [walker.value(a) for a in node.args]
            parts = [scale(a) for a in node.args]
            if node.is_Add:
                return mpmath.fsum(parts) + mpmath.fsum(abs(a) for a in vals) + v
            if node.is_Mul:
                return v + mpmath.fsum(p * abs(mpmath.fprod(vals[:i] + vals[i + 1:]))
                                       for i, p in enumerate(parts))
            if node.is_Pow:
                base, expo = vals
                out = v + parts[0] * abs(expo * mpmath.power(base, expo - 1)) if base != 0 else v + parts[0]
                if parts[1]:
                    out += parts[1] * abs(v * mpmath.log(abs(base))) if base != 0 else 0
                return out
            rule = rule_of(node)
            if len(node.args) == 1 and rule is not None and rule.smooth:
                return v + parts[0] * abs(_local_derivative(node.func)(vals[0]))
            return v + max(parts)  # Abs, Max, Min: slope at most 1; steps (sign, Heaviside): constant

        out = []
        for e in exprs:
            try:
                out.append(float(scale(e)))
            except (ZeroDivisionError, ValueError, OverflowError, TypeError, Outside):
                out.append(float("inf"))
        return out
