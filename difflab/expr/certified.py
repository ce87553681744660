"""mpmath evaluation with a running error bound: the precision follows the cancellation that happens.

Why not "two precisions agree": after a cancellation both can be equally wrong. At x = 1e-100 the
derivative of (1-cos(x))/x**2 is sin(x)/x**2 - 2*(1-cos(x))/x**3; at 60 and at 120 digits
``1 - cos(1e-100)`` is 0, both give 1e+100, they agree, and the truth is -8.3e-102.

Here every node of the expression DAG is evaluated at ``prec`` bits together with a bound on its
absolute error (first order, the standard running error analysis):

* a sum: the errors of its terms add, plus one rounding of the result -- so ``1 - cos(x)`` is 0 with an
  error of ~2**-prec, and the quotient by x**3 turns that into an error of 2**-prec * 1e300 that the
  loop sees;
* a product: ``sum_i err_i * prod_{j != i} |v_j|`` plus a rounding;
* a node whose formula is not finite at this precision (a division by a value rounded to 0) is retried
  with twice the bits up to POLE_BITS, then reported as not finite (a pole or 0/0: the caller turns to
  limits);
* any other node (a power, a function of the rule table, ``Max``/``Abs``...): its arguments are moved by
  their error bounds, one at a time, and the node is re-evaluated 32 bits more precisely; the change is
  its propagated error (this needs no derivative rule, follows kinks, and a move across a domain edge
  gives a huge or complex change, which is what it should give), plus a rounding of the node.

The loop raises the precision by the bits that are missing (log2 of error / (|value| * 10**-dps)) until
every output has ``dps`` correct digits (doubling while not one digit is known). An output still
below its own error bound at ZERO_BITS (about 1230 digits) is 0 to within that bound -- an absolute
error of about 10**-1200 times its terms, below anything a double can show (exp(0) - 1, or the
second derivative of (t**2-4)/(t-2), which is t + 2, are such zeros).

Magnitudes are capped at 10**±MAX_LOG10: beyond it a transcendental's argument reduction alone
would need more digits than any budget has (``exp(exp(exp(exp(5))))``), so the evaluation stops and
says which value was too large.

Runs inside the hard budget (``expr.budget``): the inputs are plain SymPy expressions, so the warm
worker takes them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import mpmath
import sympy

from difflab.expr.compile import resolve_derivatives, to_mpmath

MAX_LOG10 = 10_000        # |log10| of any intermediate value
MAX_BITS = 40_000         # working precision cap
GUARD_BITS = 20
MOVE_BITS = 32            # extra precision of the moved re-evaluation
POLE_BITS = 8192          # a value still not finite at this precision is taken as a pole / 0/0
ZERO_BITS = 4096          # a value still below its error bound at this precision is taken as 0


class TooLarge(Exception):
    """An intermediate value beyond 10**±MAX_LOG10 (the message names it)."""


class Unresolved(Exception):
    """The error bound did not shrink below the requested digits within the precision cap."""


_HEADS: dict[tuple, Callable] = {}


def _head(node: sympy.Basic) -> Callable:
    """The mpmath function of one node's head (the rule table's twins via compile.to_mpmath), cached."""
    key = (node.func, len(node.args))
    if key not in _HEADS:
        dummies = [sympy.Dummy(f"a{i}") for i in range(len(node.args))]
        _HEADS[key] = to_mpmath(node.func(*dummies, evaluate=False) if node.args else node, dummies)
    return _HEADS[key]


def _finite(v) -> bool:
    return mpmath.isfinite(v.real) and (not isinstance(v, mpmath.mpc) or mpmath.isfinite(v.imag))


class _Pass:
    """One evaluation of a DAG at ``prec`` bits: values and absolute error bounds per node."""

    def __init__(self, point: dict, prec: int):
        self.point, self.prec = point, prec
        self.unit = mpmath.mpf(2) ** (-prec)
        self.memo: dict[sympy.Basic, tuple] = {}

    def __call__(self, node: sympy.Basic) -> tuple:
        got = self.memo.get(node)
        if got is None:
            got = self.memo[node] = self._node(node)
            v = got[0]
            if v != 0 and _finite(v) and abs(mpmath.log10(abs(v))) > MAX_LOG10:
                raise TooLarge(f"{_short(node)} is about 10**{mpmath.nstr(mpmath.log10(abs(v)), 3)}, "
                               f"beyond the 10**±{MAX_LOG10} the reference evaluates")
        return got

    def _node(self, node: sympy.Basic) -> tuple:
        if node in self.point:
            return self.point[node], mpmath.mpf(0)
        if isinstance(node, sympy.Integer):
            v = mpmath.mpf(int(node))
            return v, (abs(v) * self.unit if int(node).bit_length() > self.prec else mpmath.mpf(0))
        if isinstance(node, sympy.Rational):
            v = mpmath.mpf(int(node.p)) / int(node.q)
            return v, abs(v) * self.unit
        if not node.args:  # pi, E, ...
            v = mpmath.mpmathify(_head(node)())
            return v, abs(v) * self.unit
        parts = [self(a) for a in node.args]
        values = [p[0] for p in parts]
        if not any(e for _, e in parts):
            exact = _exact(node, values, self.prec)
            if exact is not None:
                return exact, mpmath.mpf(0)
        if isinstance(node, sympy.Add):
            v = mpmath.fsum(values)
            return v, mpmath.fsum(p[1] for p in parts) + abs(v) * self.unit
        if isinstance(node, sympy.Mul):
            v = mpmath.fprod(values)
            err = mpmath.mpf(0)
            for i, (_, e) in enumerate(parts):
                if e:
                    err += e * mpmath.fprod(abs(w) for j, w in enumerate(values) if j != i)
            return v, err + abs(v) * self.unit * len(values)
        if not all(_finite(w) for w in values):
            return mpmath.nan, mpmath.inf
        fn = _head(node)
        try:
            v = mpmath.mpmathify(fn(*values))
        except (ZeroDivisionError, ValueError, OverflowError):
            return mpmath.nan, mpmath.inf
        err = abs(v) * self.unit * 4 if _finite(v) else mpmath.inf
        for i, (a, e) in enumerate(parts):
            if e and _finite(v):
                err += self._moved(fn, values, i, a, e, v)
        return v, err

    def _moved(self, fn: Callable, values: list, i: int, a, e, v):
        """How far the node moves when argument ``i`` moves by its error bound (either way)."""
        worst = mpmath.mpf(0)
        with mpmath.extraprec(MOVE_BITS):
            for moved in (a + e, a - e):
                try:
                    w = mpmath.mpmathify(fn(*values[:i], moved, *values[i + 1:]))
                except (ZeroDivisionError, ValueError, OverflowError):
                    return mpmath.inf
                if not _finite(w):
                    return mpmath.inf
                worst = max(worst, abs(w - v))
        return worst


EXACT_ARGUMENT = 2 ** 10  # |argument| up to which a function's exact value is asked of SymPy


def _exact(node: sympy.Basic, values: list, prec: int) -> mpmath.mpf | None:
    """The node's value at exact arguments when it is exact too and fits in ``prec`` bits, else None.

    Why: an exact zero of a derivative -- the factor 1 - exp(x) at x = 0 -- would otherwise carry a
    rounding of exp(0) that only ZERO_BITS of precision shrink below the target, and one polygamma at
    4096 bits took seconds. Sums and products of exact numbers are formed exactly; any other head is
    evaluated by SymPy at the rational arguments (exp(0) = 1, log(1) = 0, sigmoid(0) = 1/2, (-1)**2 = 1),
    which is exact where it gives a dyadic rational; small arguments only (gamma(2**20) is exact too,
    and a 20-million-bit integer)."""
    if not all(isinstance(w, mpmath.mpf) and mpmath.isfinite(w) for w in values):
        return None
    if isinstance(node, sympy.Add | sympy.Mul):
        step = mpmath.fadd if isinstance(node, sympy.Add) else mpmath.fmul
        out = values[0]
        for w in values[1:]:
            out = step(out, w, exact=True)
        return out if _fits(out, prec) else None
    if any(abs(w) > EXACT_ARGUMENT or not _fits(w, 64) for w in values):
        return None
    try:
        got = node.func(*[_rational(w) for w in values])
    except (ValueError, TypeError, ArithmeticError, NotImplementedError):
        return None
    if not (isinstance(got, sympy.Rational) and int(got.q) & (int(got.q) - 1) == 0
            and int(got.p).bit_length() <= prec):
        return None
    return mpmath.ldexp(mpmath.mpf(int(got.p)), -(int(got.q).bit_length() - 1))  # p/2**k: exact


def _rational(w: mpmath.mpf) -> sympy.Rational:
    man, exp = w.man_exp  # the mantissa without its sign
    r = sympy.Integer(int(man)) * sympy.Rational(2) ** int(exp)
    return -r if w < 0 else r


def _fits(v: mpmath.mpf, bits: int) -> bool:
    return not v or int(v.man).bit_length() <= bits


def _short(node: sympy.Basic) -> str:
    text = str(node)
    return text if len(text) <= 60 else text[:57] + "..."


def bounds(exprs: Sequence[sympy.Expr], symbols: Sequence[sympy.Symbol], point: Sequence, prec: int) -> list:
    """(value, absolute error bound) of each expression at ``point`` (numbers or decimal text, taken as
    exact at ``prec`` bits) evaluated at ``prec`` bits; raises ``TooLarge``."""
    with mpmath.workprec(prec):
        step = _Pass({s: mpmath.mpf(v) for s, v in zip(symbols, point, strict=True)}, prec)
        return [step(e) for e in exprs]


def evaluate(exprs: Sequence[sympy.Expr], symbols: Sequence[sympy.Symbol], x: Sequence[float],
             dps: int, checked: int = 0) -> list:
    """Each expression at ``x`` to ``dps`` correct digits (mpf, or mpc when it is not real).

    The first ``checked`` expressions are only checked (finite? real?), their digits are not required:
    a derivative's reference evaluates f too, to see that x is inside the domain, and an f that is
    exactly 0 there (``exp(x*psi(x**2 + 1)) - 1`` at 0) would otherwise drive the precision to ZERO_BITS,
    where one polygamma takes seconds, for a number nobody reads.

    Raises ``TooLarge``, ``Unresolved``, or returns a non-finite value where the formula has none."""
    exprs = [resolve_derivatives(e) for e in exprs]  # d/dx sign(u(x)), which SymPy leaves unevaluated
    target = mpmath.mpf(10) ** (-dps)
    prec = int(dps * 3.33) + GUARD_BITS
    while True:
        with mpmath.workprec(prec):
            point = {s: mpmath.mpf(float(v)) for s, v in zip(symbols, x, strict=True)}
            step = _Pass(point, prec)
            results = [step(e) for e in exprs]
        if any(not _finite(v) for v, _ in results):
            # not finite: a pole or a 0/0 of the formula -- or a rounding to 0 that more bits undo
            # (1 - 1/(1 + exp(-800)) is 0 below 350 digits)
            if prec >= POLE_BITS:
                return [v for v, _ in results]
            prec *= 2
            continue
        missing = 0
        for k, (v, err) in enumerate(results):
            if k < checked or err == 0 or (v != 0 and err <= abs(v) * target):
                continue
            if abs(v) <= err:           # not one digit known yet
                if prec >= ZERO_BITS:
                    results[k] = (mpmath.mpf(0), err)
                    continue
                missing = max(missing, prec)
            else:
                missing = max(missing, int(mpmath.log(err / (abs(v) * target), 2)) + GUARD_BITS)
        if not missing:
            return [v for v, _ in results]   # at the working precision (no rounding to 53 bits)
        if prec >= MAX_BITS:
            worst = max(range(len(results)), key=lambda k: results[k][1] / max(abs(results[k][0]), target))
            v, err = results[worst]
            raise Unresolved(f"after {prec} bits, entry {worst} is {mpmath.nstr(v, 5)} with an error bound "
                             f"of {mpmath.nstr(err, 3)} (the cancellation is deeper than the precision cap)")
        prec = min(max(prec + missing, prec + prec // 4), MAX_BITS)
