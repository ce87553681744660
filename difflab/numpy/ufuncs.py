"""Elementwise functions of ``difflab.numpy`` that are compositions of the table's rows, written the way
NumPy computes them so values agree bit for bit (``logaddexp`` is NumPy's ``max + log1p(exp(-|d|))``,
``deg2rad`` multiplies by the double nearest pi/180; ``sinc`` is a row of the table).  Piecewise-constant
functions (round, mod's floor) take their value from NumPy on the primal values; their derivative is 0
where defined."""

from __future__ import annotations

import math

import numpy as np

from difflab.numpy.reductions import primal
from difflab.primitives.dispatch import Box, ops

__all__ = ["angle", "around", "clip", "conj", "conjugate", "deg2rad", "degrees", "fabs", "fmax", "fmin",
           "fmod", "frexp", "imag", "logaddexp", "logaddexp2", "mod", "nan_to_num", "rad2deg", "radians",
           "real", "real_if_close", "remainder", "round", "square"]

_LOG2E = 1.0 / math.log(2.0)


def square(x):
    return x * x


def fabs(x):
    return ops.abs(x)


def deg2rad(x):
    return x * (math.pi / 180.0)


def rad2deg(x):
    return x * (180.0 / math.pi)


radians, degrees = deg2rad, rad2deg


def logaddexp(x1, x2):
    return ops.maximum(x1, x2) + ops.log1p(ops.exp(-ops.abs(x1 - x2)))


def logaddexp2(x1, x2):
    return ops.maximum(x1, x2) + ops.log1p(ops.exp2(-ops.abs(x1 - x2))) * _LOG2E


def fmax(x1, x2):
    """maximum, except that a nan loses to a number (NumPy's fmax)."""
    return ops.where(np.isnan(primal(x2)), x1, ops.where(np.isnan(primal(x1)), x2, ops.maximum(x1, x2)))


def fmin(x1, x2):
    return ops.where(np.isnan(primal(x2)), x1, ops.where(np.isnan(primal(x1)), x2, ops.minimum(x1, x2)))


def clip(a, a_min=None, a_max=None, out=None):
    if out is not None:
        raise TypeError("difflab.numpy.clip: out= cannot store a differentiable result; use the return value")
    if a_min is not None:
        a = ops.maximum(a, a_min)
    return a if a_max is None else ops.minimum(a, a_max)


def _constant_from_numpy(fn, *args):
    return fn(*[primal(a) for a in args])


def remainder(x1, x2):
    """x1 - floor(x1/x2)*x2 in value NumPy's own; derivative 1 and -floor(x1/x2) between the jumps."""
    q = _constant_from_numpy(np.floor_divide, x1, x2)
    traced = x1 - q * x2
    if not isinstance(traced, Box):
        return np.remainder(x1, x2)
    return _constant_from_numpy(np.remainder, x1, x2) + (traced - (primal(x1) - q * primal(x2)))


mod = remainder


def fmod(x1, x2):
    q = np.trunc(_constant_from_numpy(np.divide, x1, x2))
    traced = x1 - q * x2
    if not isinstance(traced, Box):
        return np.fmod(x1, x2)
    return _constant_from_numpy(np.fmod, x1, x2) + (traced - (primal(x1) - q * primal(x2)))


def round(a, decimals=0, out=None):  # noqa: A001 -- NumPy's name
    """Piecewise constant: NumPy's value, derivative 0."""
    if out is not None:
        raise TypeError("difflab.numpy.round: out= cannot store a differentiable result")
    return _constant_from_numpy(lambda v: np.round(v, decimals), a)


around = round


def frexp(x):
    """NumPy's ``(mantissa, exponent)``.  The exponent is an integer, piecewise constant: no derivative flows
    through it.  The mantissa is ``x * 2**-e`` with e held constant -- exact in floating point, so NumPy's
    value bit for bit -- and its derivative is ``2**-e`` (it jumps where |x| crosses a power of two)."""
    exponent = np.frexp(primal(x))[1]
    return x * np.ldexp(1.0, -exponent), exponent


def nan_to_num(x, copy=True, nan=0.0, posinf=None, neginf=None):
    p = np.asarray(primal(x))
    big = np.finfo(float).max
    out = ops.where(np.isnan(p), nan, x)
    out = ops.where(np.isposinf(p), big if posinf is None else posinf, out)
    return ops.where(np.isneginf(p), -big if neginf is None else neginf, out)


def real(val):
    """Real values only (complex inputs are out of scope): the value itself."""
    return val


def imag(val):
    return np.zeros(np.shape(primal(val)))


def conj(x):
    return x


conjugate = conj
real_if_close = real


def angle(z, deg=False):
    p = primal(z)
    return np.where(np.asarray(p) < 0, 180.0 if deg else math.pi, 0.0)
