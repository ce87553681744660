"""Rows of the special functions: erf, erfc, gamma, lgamma, digamma and polygamma.

NumPy has none of them, and difflab does not depend on SciPy, so the kernels apply C's libm (``math``:
erf, erfc, gamma, within an ulp or two) elementwise, and mpmath for complex input (the complex step
needs the analytic continuation), for lgamma (libm's is tens of ulps off near its minimum) and for
polygamma, whose values near the zero of digamma (x = 1.4616...) a short series would only give to an
absolute, not a relative, accuracy.  Slower than a ufunc (a Python call per entry), exact to the ulp.
Poles (gamma at 0, -1, -2, ...) give nan; overflow gives inf, as NumPy's own functions do.
``polygamma(n, x)``'s order ``n`` is a parameter (a non-negative integer, never differentiated): the
derivative of each row is the next polygamma, so derivatives of any order stay inside the table.
"""

from __future__ import annotations

import math

import mpmath
import numpy as np

from difflab.primitives import kernels as K
from difflab.primitives.dispatch import Box, Rule, ndim, ops, shape
from difflab.primitives.elementwise import INF, unary_row
from difflab.primitives.tangents import pad, unbroadcast

_TWO_OVER_ROOT_PI = 2.0 / math.sqrt(math.pi)


def _guarded(fn):
    """A libm function returning nan at a pole or outside its domain and inf on overflow (never raising)."""
    def safe(v):
        try:
            return fn(v)
        except OverflowError:
            return math.inf
        except ValueError:
            return math.nan
    return safe


def _continued(mp_fn, z: complex) -> complex:
    """``mp_fn`` at a complex point, its imaginary part correct *relative to itself*.

    Why: the complex step evaluates f(x + ih) with h ~ 1e-20 and reads Im f / h. At double precision
    mpmath's erf(1 + 1e-200i) has an imaginary part wrong by ~1e-33 (rounding relative to |f|), which the
    step turns into 1e+67. The working precision is therefore raised by the bits |Im z| is below |z|."""
    extra = 0 if z.imag == 0 else max(0, int(-math.log2(abs(z.imag) / max(abs(z), 1.0))))
    with mpmath.workprec(53 + extra + 20):
        return complex(mp_fn(mpmath.mpc(z.real, z.imag)))


def _elementwise(real_fn, mp_fn):
    """Kernel: ``real_fn`` on doubles, ``mp_fn`` on complex values; scalars in, scalars out."""
    real = np.frompyfunc(_guarded(real_fn), 1, 1)
    cplx = np.frompyfunc(lambda z: _continued(mp_fn, z), 1, 1)

    def kernel(x):
        a = np.asarray(x)
        out = np.asarray(cplx(a), dtype=complex) if a.dtype.kind == "c" else np.asarray(
            real(a.astype(float)), dtype=float)
        return out if out.ndim else out[()]
    return kernel


def _order(n) -> int:
    if n != int(n) or n < 0:
        raise ValueError(f"polygamma's order must be a non-negative integer, got {n}")
    return int(n)


def _mp_elementwise(mp_fn):
    """Kernel by mpmath at double precision (a correctly rounded result where libm's is a few ulps off:
    lgamma near its minimum, glibc 2.x, is 30 ulps off at x = 1.678)."""
    def value(v):
        try:
            return _continued(mp_fn, v) if isinstance(v, complex) else float(mp_fn(v))
        except (ValueError, ZeroDivisionError):
            return math.nan
    fn = np.frompyfunc(value, 1, 1)

    def kernel(x):
        out = np.asarray(fn(x), dtype=complex if np.iscomplexobj(x) else float)
        return out if out.ndim else out[()]
    return kernel


def _mp_polygamma(n, x):
    n = _order(n)
    try:
        return mpmath.polygamma(n, x)
    except (ValueError, ZeroDivisionError):
        return mpmath.nan


_POLYGAMMA = np.frompyfunc(lambda n, x: _continued(lambda z: _mp_polygamma(n, z), x) if isinstance(x, complex)
                           else float(_mp_polygamma(n, x)), 2, 1)


def np_polygamma(n, x):
    """The n-th derivative of digamma, elementwise (mpmath at double precision)."""
    out = np.asarray(_POLYGAMMA(n, x), dtype=complex if np.iscomplexobj(x) else float)
    return out if out.ndim else out[()]


def _polygamma_jvp(ts, ans, n, x):
    if ts[1] is None:
        return None
    return pad(ts[1], ndim(ans)) * ops.polygamma(n + 1, x)


def _polygamma_vjp(g, ans, n, x):
    return unbroadcast(g * ops.polygamma(n + 1, x), shape(x))


def _primal(x):
    while isinstance(x, Box):
        x = x.value
    return x


def _gauss(x):
    """exp(-x^2) to full relative accuracy: x = h + l with h = x rounded to 24 bits, so h*h is exact and
    exp(-x^2) = exp(-h^2) exp(-(x - h)(x + h)).  (exp(-(x*x)) carries x*x's rounding error times x^2:
    3e-14 relative at x = 23; |x| > 30 underflows to 0 either way.)  h is a constant, so the derivative
    of the product is exp(-x^2) * -2x."""
    h = np.asarray(np.clip(_primal(x), -30.0, 30.0), dtype=np.float32).astype(float)  # beyond: exp(-x^2) = 0
    return np.exp(-(h * h)) * ops.exp(-((x - h) * (x + h)))


def _erf_d(x, a):
    return _TWO_OVER_ROOT_PI * _gauss(x)


ROWS: list[Rule] = [
    unary_row("erf", _elementwise(math.erf, mpmath.erf), K.sym("erf"), mpmath.erf, _erf_d, domain="wide",
              image=(-1.0, 1.0)),
    unary_row("erfc", _elementwise(math.erfc, mpmath.erfc), K.sym("erfc"), mpmath.erfc,
              lambda x, a: -_erf_d(x, a), domain="wide", image=(0.0, 2.0)),
    unary_row("gamma", _elementwise(math.gamma, mpmath.gamma), K.sym("gamma"), mpmath.gamma,
              lambda x, a: a * ops.polygamma(0, x), domain="positive", bare_is_variable=True),
    unary_row("lgamma", _mp_elementwise(mpmath.loggamma), K.sym("loggamma"), mpmath.loggamma,
              lambda x, a: ops.polygamma(0, x), domain="positive", aliases=("loggamma",)),
    unary_row("digamma", lambda x: np_polygamma(0, x), lambda x: K.sym("polygamma")(0, x),
              mpmath.digamma, lambda x, a: ops.polygamma(1, x), domain="positive", aliases=("psi",)),
    Rule("polygamma", np_polygamma, K.sym_elementwise(K.sym("polygamma"), 2), _mp_polygamma,
         jvp=_polygamma_jvp, vjp=(None, _polygamma_vjp), domain="order,positive", arity=2,
         in_expressions=True, image=(-INF, INF)),
]
