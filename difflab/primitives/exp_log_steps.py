"""Rows of the base-2/base-10 exponentials and logarithms, the real cube root, and the step-like
functions: floor, ceil, relu, leaky_relu.

log2/log10/exp2 are separate rows (not ``log(x)/log(2)``) so ``difflab.numpy`` returns NumPy's own
correctly rounded kernels bit for bit; in SymPy they are the compositions, which the symbolic route
differentiates exactly.  ``cbrt`` is the *real* cube root (SymPy's ``cbrt`` of a negative number is the
complex principal root): the SymPy class ``real_cbrt``, whose derivative is ``1/(3 real_cbrt(x)**2)``.
floor and ceil are piecewise constant with jumps at the integers (``kinks``: the zeros of
``sin(pi*x)``).  relu and leaky_relu are names for ``max(x, 0)`` and ``max(x, slope*x)``
(0 < slope < 1), with the derivative 1/2 at the kink that SymPy's ``Heaviside(0)`` gives, like
``maximum``.
"""

from __future__ import annotations

import math

import mpmath
import numpy as np

from difflab.primitives import kernels as K
from difflab.primitives.dispatch import Rule, is_sympy, ops
from difflab.primitives.elementwise import INF, at_zero, constant_row, fused_twin, unary_row

_LN2, _LN10 = math.log(2.0), math.log(10.0)


def _sym_log_base(base):
    def twin(x, **kw):
        sympy = K.sympy_module()
        return sympy.log(x) / sympy.log(base)
    return twin


def _mp_cbrt(x):
    return mpmath.sign(x) * mpmath.cbrt(abs(x))


def _integer_jumps(u, *_parameters):
    """Zeros at the integers: ``sin(pi*u)`` in SymPy or mpmath, whichever ``u`` is."""
    if is_sympy(u):
        sympy = K.sympy_module()
        return [sympy.sin(sympy.pi * u)]
    return [mpmath.sin(mpmath.pi * u)]


def _step(values) -> float:
    return 0.5 * (np.sign(float(values[0])) + 1.0)


def _sym_relu(x, **kw):
    return K.sym("Max")(x, 0)


def _sym_leaky_relu(x, slope=0.01, **kw):
    sympy = K.sympy_module()
    s = sympy.nsimplify(slope) if isinstance(slope, float) else slope
    return sympy.Max(x, s * x)


def np_leaky_relu(x, slope=0.01):
    return np.where(np.real(x) > 0, x, slope * x)


def _mp_leaky_relu(x, slope=None):
    slope = mpmath.mpf(1) / 100 if slope is None else slope  # exactly the SymPy twin's 1/100
    return x if x > 0 else slope * x


def _leaky_d(x, slope):
    return ops.where(x > 0, 1.0, ops.where(x < 0, slope, 0.5 * (1.0 + slope)))


ROWS: list[Rule] = [
    unary_row("log2", np.log2, _sym_log_base(2), lambda x: mpmath.log(x, 2), lambda x, a: 1.0 / (x * _LN2),
              domain="positive"),
    unary_row("log10", np.log10, _sym_log_base(10), mpmath.log10, lambda x, a: 1.0 / (x * _LN10),
              domain="positive"),
    unary_row("exp2", np.exp2, lambda x, **k: 2 ** x, lambda x: mpmath.power(2, x), lambda x, a: a * _LN2,
              image=(0.0, INF)),
    unary_row("cbrt", K.np_cbrt, fused_twin("real_cbrt"), _mp_cbrt, lambda x, a: 1.0 / (3.0 * a * a),
              domain="nonzero"),
    constant_row("floor", np.floor, K.sym("floor"), mpmath.floor, kinks=_integer_jumps, in_expressions=True,
                 branch=lambda values, u: math.floor(float(values[0]))),
    constant_row("ceil", np.ceil, K.sym("ceiling"), mpmath.ceil, kinks=_integer_jumps, in_expressions=True,
                 branch=lambda values, u: math.ceil(float(values[0])), aliases=("ceiling",)),
    Rule("relu", lambda x: np.maximum(x, 0.0), K.sym_elementwise(_sym_relu, 1), lambda x: max(x, 0),
         jvp=lambda ts, ans, x: ts[0] * (0.5 * (ops.sign(x) + 1.0)),
         vjp=(lambda g, ans, x: g * (0.5 * (ops.sign(x) + 1.0)),), domain="nonzero", in_expressions=True,
         kinks=at_zero, branch=lambda values, u: _step(values) * u, image=(0.0, INF)),
    Rule("leaky_relu", np_leaky_relu, K.sym_elementwise(_sym_leaky_relu, 1), _mp_leaky_relu,
         jvp=lambda ts, ans, x, slope=0.01: ts[0] * _leaky_d(x, slope),
         vjp=(lambda g, ans, x, slope=0.01: g * _leaky_d(x, slope),), domain="nonzero", in_expressions=True,
         kinks=at_zero, text_arities=(1, 2), call=lambda x, slope=0.01: ((x,), {"slope": slope}),
         branch=lambda values, u, *rest: u if values[0] > 0 else u * (rest[0] if rest else 0.01)),
]
