"""SymPy twins of the fused network primitives: ``sigmoid``, ``softplus``, ``log_sigmoid``.

They are real ``sympy.Function`` classes rather than their exp/log compositions so that a symbolic
derivative stays short and readable (``sigmoid' = sigmoid*(1 - sigmoid)``, exactly what the course notes
write) and so that ``lambdify`` prints a call by name, which is mapped onto the numerically stable NumPy
implementation from the rule table (``{cls.__name__: implementation}``).  ``rewrite(sympy.exp)`` gives the
composition (used to check these classes against plain SymPy), and ``evalf`` goes through mpmath at any
precision, so the mpmath reference of an expression containing them is as precise as any other.
"""

from __future__ import annotations

import mpmath
import sympy
from sympy.core.function import ArgumentIndexError


def _mp_sigmoid(x):
    """Sigmoid in mpmath; written as ``1/(1+e^-x)`` or ``e^x/(1+e^x)`` so neither side overflows."""
    x = mpmath.mpmathify(x)
    if x >= 0:
        return 1 / (1 + mpmath.exp(-x))
    ex = mpmath.exp(x)
    return ex / (1 + ex)


def _mp_softplus(x):
    """``log(1 + e^x)`` without overflow: ``max(x, 0) + log1p(e^-|x|)``."""
    x = mpmath.mpmathify(x)
    return max(x, 0) + mpmath.log1p(mpmath.exp(-abs(x)))


def _mp_log_sigmoid(x):
    """``log(sigmoid(x)) = -softplus(-x)``."""
    return -_mp_softplus(-mpmath.mpmathify(x))


class _Fused(sympy.Function):
    """Shared machinery: one real argument, real values for real arguments, mpmath evalf."""

    nargs = 1
    _mp = None  # the mpmath twin, set by subclasses

    def _eval_is_extended_real(self):
        return self.args[0].is_extended_real

    def _eval_is_finite(self):
        arg = self.args[0]
        if arg.is_finite and arg.is_extended_real:
            return True
        return None

    def _eval_evalf(self, prec):
        arg = self.args[0]
        if not arg.is_number:
            return None
        try:
            with mpmath.workprec(prec):
                value = type(self)._mp(arg._to_mpmath(prec))
        except (TypeError, ValueError, AttributeError):
            return None
        if isinstance(value, mpmath.mpc):
            return None
        return sympy.Float._new(value._mpf_, prec)


class sigmoid(_Fused):  # noqa: N801 -- lambdify prints the class name, which must equal the rule name
    """The logistic function ``1/(1 + e^-x)``; derivative ``sigmoid*(1 - sigmoid)``."""

    _mp = staticmethod(_mp_sigmoid)

    @classmethod
    def eval(cls, x):
        if x.is_zero:
            return sympy.S.Half
        if x is sympy.S.Infinity:
            return sympy.S.One
        if x is sympy.S.NegativeInfinity:
            return sympy.S.Zero
        return None

    def fdiff(self, argindex=1):
        if argindex != 1:
            raise ArgumentIndexError(self, argindex)
        return self * (1 - self)

    def _eval_rewrite_as_exp(self, x, **kwargs):
        return 1 / (1 + sympy.exp(-x))

    def _eval_is_positive(self):
        if self.args[0].is_extended_real and self.args[0].is_finite:
            return True
        return None


class softplus(_Fused):  # noqa: N801
    """``log(1 + e^x)`` (NumPy: ``logaddexp(0, x)``); derivative ``sigmoid(x)``."""

    _mp = staticmethod(_mp_softplus)

    @classmethod
    def eval(cls, x):
        if x.is_zero:
            return sympy.log(2)
        if x is sympy.S.Infinity:
            return sympy.S.Infinity
        if x is sympy.S.NegativeInfinity:
            return sympy.S.Zero
        return None

    def fdiff(self, argindex=1):
        if argindex != 1:
            raise ArgumentIndexError(self, argindex)
        return sigmoid(self.args[0])

    def _eval_rewrite_as_exp(self, x, **kwargs):
        return sympy.log(1 + sympy.exp(x))

    def _eval_is_positive(self):
        if self.args[0].is_extended_real and self.args[0].is_finite:
            return True
        return None


class log_sigmoid(_Fused):  # noqa: N801
    """``log(sigmoid(x)) = -softplus(-x)``; derivative ``sigmoid(-x) = 1 - sigmoid(x)``."""

    _mp = staticmethod(_mp_log_sigmoid)

    @classmethod
    def eval(cls, x):
        if x.is_zero:
            return -sympy.log(2)
        if x is sympy.S.Infinity:
            return sympy.S.Zero
        if x is sympy.S.NegativeInfinity:
            return sympy.S.NegativeInfinity
        return None

    def fdiff(self, argindex=1):
        if argindex != 1:
            raise ArgumentIndexError(self, argindex)
        return sigmoid(-self.args[0])

    def _eval_rewrite_as_exp(self, x, **kwargs):
        return -sympy.log(1 + sympy.exp(-x))

    def _eval_is_negative(self):
        if self.args[0].is_extended_real and self.args[0].is_finite:
            return True
        return None


FUSED = {cls.__name__: cls for cls in (sigmoid, softplus, log_sigmoid)}
