"""Rows of the special functions: sinc (NumPy's, normalised), erf, erfc, gamma, lgamma, digamma, polygamma.

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
from difflab.primitives.dispatch import Rule, ndim, ops, primal, shape
from difflab.primitives.elementwise import INF, fused_twin, unary_row
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


def _gauss(x):
    """exp(-x^2) to full relative accuracy: x = h + l with h = x rounded to 24 bits, so h*h is exact and
    exp(-x^2) = exp(-h^2) exp(-(x - h)(x + h)).  (exp(-(x*x)) carries x*x's rounding error times x^2:
    3e-14 relative at x = 23; |x| > 30 underflows to 0 either way.)  h is a constant, so the derivative
    of the product is exp(-x^2) * -2x."""
    h = np.asarray(np.clip(primal(x), -30.0, 30.0), dtype=np.float32).astype(float)  # beyond: exp(-x^2) = 0
    return np.exp(-(h * h)) * ops.exp(-((x - h) * (x + h)))


def _erf_d(x, a):
    return _TWO_OVER_ROOT_PI * _gauss(x)


# sinc'(x) = pi s'(y), y = pi x, s(y) = sin(y)/y: s'(y) = sum_k (-1)^k 2k y^(2k-1)/(2k+1)! for |y| < 1 (ten
# terms: 4e-19 relative), (cos(pi x) - sinc(x))/x beyond (loses at most a digit or two for |y| >= 1)
_SINC_SERIES = [(-1) ** k * 2 * k / math.factorial(2 * k + 1) for k in range(1, 11)]


def _even_part(x):
    """2 round(x/2) of the plain value: x minus it is exact and sin(pi x), cos(pi x) are periodic in it."""
    return 2.0 * np.round(np.real(primal(x)) / 2.0)


def np_sinc(x):
    """NumPy's normalised sinc, sin(pi x)/(pi x), with the argument of sin reduced exactly first.

    Why not ``numpy.sinc``: it forms ``pi*x`` rounded, so sin(pi*x) near a nonzero integer is wrong in
    every digit (np.sinc(1000.0) is -3.9e-17, not 0) and 1e-14 off near 2; the reduced form is within a
    few ulps everywhere (complex input too: the complex step)."""
    x = np.asarray(x)
    zero = x == 0
    out = np.sin(np.pi * (x - _even_part(x))) / (np.pi * np.where(zero, 1.0, x))
    out = np.where(zero, 1.0, out)
    return out if out.ndim else out[()]


def _sinc_d(x, ans):
    """The derivative on both sides of |pi x| = 1, each branch fed a safe argument so the branch not
    taken is finite (a where's derivative multiplies it by 0: inf there would give nan)."""
    near = ops.abs(x) < 1.0 / math.pi
    ys = math.pi * ops.where(near, x, 0.0)
    z = ys * ys
    poly = _SINC_SERIES[-1]
    for c in reversed(_SINC_SERIES[:-1]):
        poly = poly * z + c
    xf = ops.where(near, 1.0, x)
    reduced = math.pi * (xf - _even_part(xf))  # pi x up to a multiple of 2 pi, exact
    far = (ops.cos(reduced) - ops.sin(reduced) / (math.pi * xf)) / xf
    return ops.where(near, math.pi * ys * poly, far)


ROWS: list[Rule] = [
    # not drawn by default: its symbolic derivative (cos(pi x) - sinc x)/x cancels near 0, where only the
    # engines' rule switches to the series -- the exact methods would disagree there by design
    unary_row("sinc", np_sinc, fused_twin("sincpi"), mpmath.sincpi, _sinc_d, domain="real",
              aliases=("sincpi",), image=(-0.2173, 1.0), drawn_by_default=False),
    unary_row("erf", _elementwise(math.erf, mpmath.erf), K.sym("erf"), mpmath.erf, _erf_d, domain="wide",
              image=(-1.0, 1.0)),
    # erfc and lgamma are not drawn by default (difflab fuzz): generators build 2 - erfc(u) from erfc's
    # image, which cancels for u << 0 below what the finite-difference error estimates see; rational forms
    # reach lgamma's exact zeros (lgamma(1) = lgamma(2) = 0), where finite differences of a value rounded
    # flat to 0 estimate no error and the reference runs out of budget.  Asked for by name, they are drawn.
    unary_row("erfc", _elementwise(math.erfc, mpmath.erfc), K.sym("erfc"), mpmath.erfc,
              lambda x, a: -_erf_d(x, a), domain="wide", image=(0.0, 2.0), drawn_by_default=False),
    unary_row("gamma", _elementwise(math.gamma, mpmath.gamma), K.sym("gamma"), mpmath.gamma,
              lambda x, a: a * ops.polygamma(0, x), domain="positive", bare_is_variable=True),
    unary_row("lgamma", _mp_elementwise(mpmath.loggamma), K.sym("loggamma"), mpmath.loggamma,
              lambda x, a: ops.polygamma(0, x), domain="positive", aliases=("loggamma",),
              drawn_by_default=False),
    unary_row("digamma", lambda x: np_polygamma(0, x), lambda x: K.sym("polygamma")(0, x),
              mpmath.digamma, lambda x, a: ops.polygamma(1, x), domain="positive", aliases=("psi",)),
    Rule("polygamma", np_polygamma, K.sym_elementwise(K.sym("polygamma"), 2), _mp_polygamma,
         jvp=_polygamma_jvp, vjp=(None, _polygamma_vjp), domain="order,positive", arity=2,
         in_expressions=True, image=(-INF, INF)),
]
