"""SymPy classes of the rows SymPy has no function for: ``sigmoid``, ``softplus``, ``log_sigmoid`` (fused
network primitives), ``sincpi`` (NumPy's sinc), ``real_cbrt`` and the compile-only heads ``dl_log1p``,
``dl_expm1``.

They are real ``sympy.Function`` classes rather than their exp/log compositions so that a symbolic
derivative stays short and readable (``sigmoid' = sigmoid*(1 - sigmoid)``, exactly what the course notes
write) and so that ``lambdify`` prints a call by name, which is mapped onto the numerically stable NumPy
implementation from the rule table (``{cls.__name__: implementation}``).  ``rewrite(sympy.exp)`` gives the
composition (used to check these classes against plain SymPy), and ``evalf`` goes through mpmath at any
precision, so the mpmath reference of an expression containing them is as precise as any other.

Each class also carries its row's *stable rewrite*: ``recognize(e)`` returns the class's form of ``e``
when ``e`` (whose arguments are already rewritten) is the naive composition at its root, else None;
``triggers`` are the SymPy heads such a composition contains (a cheap pre-check).  ``expr.stable`` applies
the ``stable`` layer (fused functions, exact identities) before differentiating and the ``numeric`` layer
(log1p, expm1) only when compiling; it finds the recognisers through the table, not by name.
"""

from __future__ import annotations

import mpmath
import sympy
from sympy.core.function import ArgumentIndexError

from difflab.primitives.kernels import mp_log_sigmoid, mp_sigmoid, mp_softplus


class _Fused(sympy.Function):
    """Shared machinery: one real argument, real values for real arguments, mpmath evalf."""

    nargs = 1
    _mp = None  # the mpmath twin, set by subclasses
    layer = "stable"
    triggers: tuple = ()

    @classmethod
    def recognize(cls, e: sympy.Expr) -> sympy.Expr | None:  # pragma: no cover - overridden
        return None

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

    _mp = staticmethod(mp_sigmoid)

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


    @classmethod
    def recognize(cls, e):
        """``1/(1 + e^-v)``, ``e^v/(1 + e^v)`` and ``1 - sigmoid(v)`` (no cancellation near 1)."""
        if isinstance(e, sympy.Pow) and e.exp == -1:
            v = _one_plus_exp(e.base)
            return None if v is None else cls(-v)
        if isinstance(e, sympy.Mul):  # e^v/(1 + e^v): its 1/(1 + e^v) is already sigmoid(-v)
            for factor in e.args:
                if isinstance(factor, cls) and sympy.exp(-factor.args[0]) in e.args:
                    v = -factor.args[0]
                    rest = [a for a in e.args if a is not factor and a != sympy.exp(v)]
                    return sympy.Mul(*rest) * cls(v)
            return None
        if isinstance(e, sympy.Add) and sympy.S.One in e.args:
            for term in e.args:
                if (isinstance(term, sympy.Mul) and len(term.args) == 2 and term.args[0] == -1
                        and isinstance(term.args[1], cls)):
                    rest = [a for a in e.args if a is not term and a != 1]
                    return sympy.Add(*rest) + cls(-term.args[1].args[0])
        return None

    def _eval_is_positive(self):
        if self.args[0].is_extended_real and self.args[0].is_finite:
            return True
        return None


sigmoid.triggers = (sympy.exp, sigmoid)  # its patterns contain an exp, or (1 - sigmoid) sigmoid itself


class softplus(_Fused):  # noqa: N801
    """``log(1 + e^x)`` (NumPy: ``logaddexp(0, x)``); derivative ``sigmoid(x)``."""

    _mp = staticmethod(mp_softplus)

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

    triggers = (sympy.log,)

    @classmethod
    def recognize(cls, e):
        """``log(1 + e^u)`` and ``log(e^a + e^b) = a + softplus(b - a)``."""
        if not isinstance(e, sympy.log):
            return None
        u = e.args[0]
        v = _one_plus_exp(u)
        if v is not None:
            return cls(v)
        if isinstance(u, sympy.Add) and len(u.args) == 2 and all(isinstance(a, sympy.exp) for a in u.args):
            a, b = (t.args[0] for t in u.args)
            return a + cls(b - a)
        return None

    def _eval_is_positive(self):
        if self.args[0].is_extended_real and self.args[0].is_finite:
            return True
        return None


class log_sigmoid(_Fused):  # noqa: N801
    """``log(sigmoid(x)) = -softplus(-x)``; derivative ``sigmoid(-x) = 1 - sigmoid(x)``."""

    _mp = staticmethod(mp_log_sigmoid)

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

    triggers = (sigmoid,)

    @classmethod
    def recognize(cls, e):
        """``log(sigmoid(u))`` (so ``-log(sigmoid(z))`` is ``softplus(-z)``, finite in the tails)."""
        if isinstance(e, sympy.log) and isinstance(e.args[0], sigmoid):
            return cls(e.args[0].args[0])
        return None

    def _eval_is_negative(self):
        if self.args[0].is_extended_real and self.args[0].is_finite:
            return True
        return None


def _mp_real_cbrt(x):
    return mpmath.sign(x) * mpmath.cbrt(abs(x))


class real_cbrt(_Fused):  # noqa: N801 -- sympy.cbrt is the principal (complex) root of a negative number
    """The real cube root; derivative ``1/(3 real_cbrt(x)**2)``.  A class, not ``x*|x|**(-2/3)``: SymPy
    differentiates |u| of an argument it cannot prove real (asin(u)**2 + 1) into re/im parts and leaves
    ``Derivative(sign(u), x)`` unevaluated, which no numeric evaluation can take."""

    _mp = staticmethod(_mp_real_cbrt)
    layer = None  # no rewrite recognises it: it is only ever written by name

    @classmethod
    def eval(cls, x):
        if x.is_zero:
            return sympy.S.Zero
        if x.is_Number and x.is_extended_real:
            return sympy.sign(x) * sympy.Abs(x) ** sympy.Rational(1, 3)
        return None

    def fdiff(self, argindex=1):
        if argindex != 1:
            raise ArgumentIndexError(self, argindex)
        return 1 / (3 * self ** 2)

    def _eval_rewrite_as_Abs(self, x, **kwargs):
        return x * sympy.Abs(x) ** sympy.Rational(-2, 3)


class sincpi(_Fused):  # noqa: N801 -- not "sinc": SymPy's printers treat a class named sinc as theirs
    """NumPy's normalised sinc, ``sin(pi x)/(pi x)`` with value 1 at 0 (SymPy's ``sinc`` is unnormalised);
    derivative ``(cos(pi x) - sincpi(x))/x``, which cancels near 0 (the engines' rule uses a series there)."""

    _mp = staticmethod(mpmath.sincpi)
    layer = None  # no rewrite recognises it: it is only ever written by name

    @classmethod
    def eval(cls, x):
        if x.is_zero:
            return sympy.S.One
        if x.is_integer and x.is_nonzero:
            return sympy.S.Zero
        return None

    def fdiff(self, argindex=1):
        if argindex != 1:
            raise ArgumentIndexError(self, argindex)
        x = self.args[0]
        return (sympy.cos(sympy.pi * x) - self) / x

    def _eval_rewrite_as_sin(self, x, **kwargs):
        return sympy.sin(sympy.pi * x) / (sympy.pi * x)


def _one_plus_exp(u: sympy.Basic) -> sympy.Expr | None:
    """``v`` when ``u`` is ``1 + exp(v)``, else None."""
    if isinstance(u, sympy.Add) and len(u.args) == 2 and sympy.S.One in u.args:
        other = u.args[0] if u.args[1] == 1 else u.args[1]
        return other.args[0] if isinstance(other, sympy.exp) else None
    return None


class dl_log1p(sympy.Function):  # noqa: N801 -- lambdify prints the class name; the compiler maps it
    """``log(1 + x)`` evaluated as ``numpy.log1p`` (compile-time only: the log1p row's numeric twin)."""

    nargs = 1
    layer = "numeric"
    triggers = (sympy.log,)

    def _eval_evalf(self, prec):  # a constant dl_log1p(2) must still evaluate (to_ops folds constants)
        if not self.args[0].is_number:
            return None
        return sympy.log(1 + self.args[0]).evalf(sympy.core.evalf.prec_to_dps(prec))

    @classmethod
    def recognize(cls, e):
        if isinstance(e, sympy.log):
            u = e.args[0]
            if isinstance(u, sympy.Add) and sympy.S.One in u.args:
                return cls(u - 1)
        return None


class dl_expm1(sympy.Function):  # noqa: N801
    """``exp(x) - 1`` evaluated as ``numpy.expm1`` (compile-time only: the expm1 row's numeric twin)."""

    nargs = 1
    layer = "numeric"
    triggers = (sympy.exp,)

    def _eval_evalf(self, prec):
        if not self.args[0].is_number:
            return None
        return (sympy.exp(self.args[0]) - 1).evalf(sympy.core.evalf.prec_to_dps(prec))

    @classmethod
    def recognize(cls, e):
        if isinstance(e, sympy.Add) and sympy.S.NegativeOne in e.args:
            exps = [a for a in e.args if isinstance(a, sympy.exp)]
            if len(exps) == 1:
                rest = [a for a in e.args if a is not exps[0] and a != -1]
                return sympy.Add(*rest) + cls(exps[0].args[0])
        return None


FUSED = {cls.__name__: cls for cls in (sigmoid, softplus, log_sigmoid)}


class dl_hypot(sympy.Function):  # noqa: N801
    """``sqrt(x**2 + y**2)`` evaluated as ``numpy.hypot`` (compile-time only: the hypot row's numeric twin):
    the naive form overflows once ``|x|`` passes 1e154 although the result is representable."""

    nargs = 2
    layer = "numeric"
    triggers = ()  # only where log/exp already trigger the numeric layer (a Pow is in nearly everything)

    def _eval_evalf(self, prec):
        if not all(a.is_number for a in self.args):
            return None
        x, y = self.args
        return sympy.sqrt(x ** 2 + y ** 2).evalf(sympy.core.evalf.prec_to_dps(prec))

    @classmethod
    def recognize(cls, e):
        if not (isinstance(e, sympy.Pow) and e.exp == sympy.S.Half and isinstance(e.base, sympy.Add)):
            return None
        terms = e.base.args
        if len(terms) == 2 and all(isinstance(t, sympy.Pow) and t.exp == 2 for t in terms):
            return cls(*(t.base for t in terms))
        return None
