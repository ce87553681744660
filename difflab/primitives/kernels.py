"""Implementations behind the rule table: NumPy kernels, SymPy twins, mpmath twins.

Kept apart from ``difflab.primitives.table`` so that the table itself reads as data (one row per
primitive with its
derivative rules).  The NumPy kernels are numerically stable and accept complex input where the
complex step needs an analytic continuation: ``abs``, ``maximum``, ``minimum`` and ``sign`` follow the
real part (``|x|`` continued as ``x*sign(Re x)``), so ``Im f(x + ih)/h`` still gives their derivative.
SymPy is imported lazily inside the twins, so the engines that import the table never load SymPy.
The mpmath twins of the fused rows live here too (``sympy_twins`` evaluates its classes with them).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable

import mpmath
import numpy as np


def np_sigmoid(x):
    """``1/(1+e^-x)`` is accurate to a few ulps everywhere; only e^-x may overflow (to a correct 0)."""
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(-x))


def np_sech2(x):
    """sech^2 x = 4 e^-2|x| / (1 + e^-2|x|)^2: no overflow, full relative accuracy in the tails."""
    if np.iscomplexobj(x):
        with np.errstate(over="ignore"):
            return 1.0 / np.cosh(x) ** 2
    t = np.exp(-2.0 * np.abs(x))
    return 4.0 * t / ((1.0 + t) * (1.0 + t))


_DBL_MAX = float(np.finfo(float).max)


def np_sigmoid_fwd(x):
    """``np_sigmoid`` (bit for bit) and the ``e^-x`` it computed, kept for the VJP.

    Where e^-x overflowed (x < -709) the kept copy is capped at the largest double, so the VJP's
    ``s * e`` is 0 there (the true derivative underflows too), never ``0 * inf``.
    """
    overflow = []
    with np.errstate(over="call", call=lambda *_: overflow.append(True)):
        if type(x) is np.ndarray and x.ndim:  # in place; a 0-d array's ufunc results are scalars
            e = np.negative(x)
            np.exp(e, out=e)
            s = e + 1.0
            np.reciprocal(s, out=s)
        else:
            e = np.exp(-x)
            s = 1.0 / (1.0 + e)
    if overflow:
        e = np.minimum(e, _DBL_MAX)
    return s, e


def np_softplus(x):
    """``logaddexp(0, x)`` for real input; an analytic branch form for complex input (complex step)."""
    if np.iscomplexobj(x):
        with np.errstate(over="ignore", invalid="ignore"):
            return np.where(np.real(x) > 0, x + np.log1p(np.exp(-x)), np.log1p(np.exp(x)))
    return np.logaddexp(0.0, x)


def np_log_sigmoid(x):
    return -np_softplus(-x)


def np_logsumexp(x, axis=None, keepdims=False):
    x = np.asarray(x)
    m = np.max(np.real(x), axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0.0)
    with np.errstate(divide="ignore"):
        out = np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True)) + m
    return out if keepdims else np.squeeze(out, axis=axis)


def np_softmax(x, axis=-1):
    x = np.asarray(x)
    e = np.exp(x - np.max(np.real(x), axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def np_log_softmax(x, axis=-1):
    return x - np_logsumexp(x, axis=axis, keepdims=True)


def np_log_softmax_fwd(x, axis=-1):
    """``log_softmax`` and the softmax probabilities it passes through, kept for the VJP."""
    x = np.asarray(x)
    m = np.max(np.real(x), axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0.0)
    z = x - m
    e = np.exp(z)
    s = np.add.reduce(e, axis=axis, keepdims=True)
    with np.errstate(divide="ignore"):
        z -= np.log(s)
    e /= s
    return z, e


def np_sum(x, axis=None, keepdims=False):
    """``numpy.sum`` without its Python-level wrapper (the ufunc reduction directly: half the overhead)."""
    return np.add.reduce(x, axis=axis, keepdims=keepdims)


def np_mean(x, axis=None, keepdims=False):
    shape = np.shape(x)
    count = math.prod(shape) if axis is None else math.prod(
        shape[a] for a in (axis if isinstance(axis, tuple) else (axis,)))
    return np.add.reduce(x, axis=axis, keepdims=keepdims) / count


def np_broadcast_to(x, shape):
    """A writable, owned broadcast copy: cheap for the small arrays VJPs broadcast, and accumulable."""
    if type(x) is np.ndarray:
        if x.shape == shape:
            return x
        dtype = x.dtype if x.dtype.kind in "fc" else np.float64
    elif shape == ():
        return x
    else:
        dtype = np.complex128 if isinstance(x, complex) or np.iscomplexobj(x) else np.float64
    out = np.empty(shape, dtype=dtype)
    out[...] = x
    return out


def np_untake(g, idx, shape):
    """Adjoint of indexing: scatter ``g`` into zeros of ``shape``, adding repeated indices."""
    z = np.zeros(shape, dtype=np.result_type(g, np.float64))
    items = idx if isinstance(idx, tuple) else (idx,)
    if all(isinstance(i, (int, np.integer, slice)) or i is None or i is Ellipsis for i in items):
        z[idx] = g  # basic indexing: no repeated positions
    else:
        np.add.at(z, idx, g)
    return z


def sympy_module():
    """SymPy, imported on first use: heavy, and the engines that import this table never need it."""
    import sympy  # heavy: loaded only when a row meets SymPy input

    return sympy


def sym(name: str) -> Callable:
    """SymPy twin resolved lazily, so engines importing this table never import SymPy."""
    def twin(*args, **kwargs):
        return getattr(sympy_module(), name)(*args)
    twin.__name__ = f"sympy_{name}"
    return twin


def sym_elementwise(fn, nin):
    """SymPy twin that also maps over object arrays of SymPy expressions (parameters passed along)."""
    def twin(*args, **kwargs):
        f = functools.partial(fn, **kwargs) if kwargs else fn
        if any(isinstance(a, np.ndarray) for a in args):
            return np.frompyfunc(f, nin, 1)(*args)
        return f(*args)
    return twin


def mp_sigmoid(x):
    """Sigmoid in mpmath; written as ``1/(1+e^-x)`` or ``e^x/(1+e^x)`` so neither side overflows."""
    x = mpmath.mpmathify(x)
    if x >= 0:
        return 1 / (1 + mpmath.exp(-x))
    ex = mpmath.exp(x)
    return ex / (1 + ex)


def mp_softplus(x):
    """``log(1 + e^x)`` without overflow: ``max(x, 0) + log1p(e^-|x|)``."""
    x = mpmath.mpmathify(x)
    return max(x, 0) + mpmath.log1p(mpmath.exp(-abs(x)))


def mp_log_sigmoid(x):
    """``log(sigmoid(x)) = -softplus(-x)``."""
    return -mp_softplus(-mpmath.mpmathify(x))


def np_heaviside(x, h0=0.5):
    """The unit step, 1/2 at 0 like SymPy's ``Heaviside`` (the real part decides for complex input)."""
    return np.heaviside(np.real(x), h0)


def mp_heaviside(x, h0=0.5):
    return mpmath.mpf(1 if x > 0 else 0 if x < 0 else h0)


def np_dirac(x, k=0):
    """d/dx of a step (the Hessian of abs or relu): 0 off the kink, undefined -- nan -- on it."""
    x = np.asarray(x)
    return np.where(x == 0, np.nan, np.zeros(x.shape, dtype=np.result_type(x, float)))


def mp_dirac(x, k=0):
    """mpmath twin of ``np_dirac``: 0 off the kink, nan on it."""
    return 0 * x if x != 0 else x * float("nan")


def sym_where(c, a, b):
    sympy = sympy_module()
    return sympy.Piecewise((a, c), (b, True))


def sym_sum(x, axis=None, keepdims=False):
    sympy = sympy_module()
    return sympy.Add(*np.asarray(x, dtype=object).ravel())


def sym_mean(x, axis=None, keepdims=False):
    items = np.asarray(x, dtype=object).ravel()
    return sym_sum(items) / len(items)


def sym_lse(x, axis=None, keepdims=False):
    sympy = sympy_module()
    return sympy.log(sympy.Add(*[sympy.exp(v) for v in np.asarray(x, dtype=object).ravel()]))


def sym_softmax(x, axis=-1):
    sympy = sympy_module()
    e = [sympy.exp(v) for v in np.asarray(x, dtype=object).ravel()]
    return np.array([v / sympy.Add(*e) for v in e], dtype=object)


def sym_log_softmax(x, axis=-1):
    return np.asarray(x, dtype=object) - sym_lse(x)


def np_abs(x):
    if np.iscomplexobj(x):
        return np.where(np.real(x) < 0, -x, x)
    return np.abs(x)


def np_maximum(a, b):
    if np.iscomplexobj(a) or np.iscomplexobj(b):
        return np.where(np.real(a) >= np.real(b), a, b)
    return np.maximum(a, b)


def np_minimum(a, b):
    if np.iscomplexobj(a) or np.iscomplexobj(b):
        return np.where(np.real(a) <= np.real(b), a, b)
    return np.minimum(a, b)


def np_sign(x):
    return np.sign(np.real(x)) if np.iscomplexobj(x) else np.sign(x)


def fold(fn: Callable) -> Callable:
    """A binary operation applied left to right over any number of arguments (SymPy's n-ary Add, Max)."""
    def folded(*args):
        out = args[0]
        for a in args[1:]:
            out = fn(out, a)
        return out
    return folded


def np_atan2(y, x):
    """arctan2; for complex input (the complex step) its first-order continuation: the real part is
    arctan2 of the real parts, the imaginary part (x_r y_i - y_r x_i) / (x_r^2 + y_r^2)."""
    if not (np.iscomplexobj(y) or np.iscomplexobj(x)):
        return np.arctan2(y, x)
    yr, yi, xr, xi = np.real(y), np.imag(y), np.real(x), np.imag(x)
    return np.arctan2(yr, xr) + 1j * (xr * yi - yr * xi) / (xr * xr + yr * yr)


def np_hypot(x, y):
    """hypot; for complex input (the complex step, through the compiled form of sqrt(a**2 + b**2)) its
    first-order continuation: the real part is hypot of the real parts, the imaginary part
    (x_r x_i + y_r y_i) / hypot(x_r, y_r)."""
    if not (np.iscomplexobj(x) or np.iscomplexobj(y)):
        return np.hypot(x, y)
    xr, xi, yr, yi = np.real(x), np.imag(x), np.real(y), np.imag(y)
    h = np.hypot(xr, yr)
    return h + 1j * (xr * xi + yr * yi) / h


def np_cbrt(x):
    """The real cube root; for complex input (the complex step) its first-order continuation:
    cbrt(x_r) + i x_i / (3 cbrt(x_r)**2)."""
    if not np.iscomplexobj(x):
        return np.cbrt(x)
    c = np.cbrt(np.real(x))
    return c + 1j * np.imag(x) / (3.0 * c * c)
