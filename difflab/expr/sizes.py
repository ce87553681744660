"""Sizes of exact constants without computing them in full: log10 |c| of a SymPy number of any size,
the size of a power from the sizes of its parts, a cheap 20-digit value of a constant whose parts are
already known to be in range. Used by the parser to refuse constants that doubles cannot hold before
SymPy spends minutes building them.
"""

from __future__ import annotations

import math

import mpmath
import sympy

LARGEST_LOG10 = math.log10(1.7976931348623157e308)   # doubles reach about 1.8e308 ...
SMALLEST_LOG10 = math.log10(5e-324)                  # ... and 4.9e-324 (subnormal)
RANGE_WORDS = "about 4.9e-324 to 1.8e308"


def log10_abs(value: object) -> float:
    """log10 |value| of a nonzero real number of any size, without converting it to a float."""
    if isinstance(value, sympy.Rational):
        value = mpmath.mpf(int(value.p)) / int(value.q)
    return float(mpmath.log10(abs(mpmath.mpf(value))))


def scaled(log_size: float, exponent_log_size: float, sign: float) -> float:
    """log10 |base ** exponent| from log10 |base| and log10 |exponent| (inf-safe: no overflow)."""
    if log_size == 0:
        return 0.0
    magnitude = math.log10(abs(log_size)) + exponent_log_size
    if magnitude > 300:
        return math.copysign(math.inf, log_size * sign)
    return sign * log_size * 10 ** exponent_log_size


def approximate(constant: sympy.Expr) -> mpmath.mpc | None:
    """A 20-digit value of a constant whose parts are in range (so evaluating it is cheap), or None."""
    if isinstance(constant, sympy.Rational):
        return mpmath.mpc(mpmath.mpf(int(constant.p)) / int(constant.q))
    try:
        value = constant.evalf(20)
        re, im = value.as_real_imag()
        if not (re.is_Number and im.is_Number):
            return None
        return mpmath.mpc(mpmath.mpf(re._to_mpmath(70)), mpmath.mpf(im._to_mpmath(70)))
    except (TypeError, ValueError, AttributeError, ArithmeticError):
        return None


def short(expr: sympy.Expr) -> str:
    text = str(expr)
    if isinstance(expr, sympy.Rational) and len(text) > 20:
        return mpmath.nstr(mpmath.mpf(int(expr.p)) / int(expr.q), 3)
    return text if len(text) <= 40 else text[:37] + "..."
