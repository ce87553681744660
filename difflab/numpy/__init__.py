"""The differentiable namespace: ``import difflab.numpy as dnp``.

A thin layer: every primitive is a row of ``difflab.primitives.table`` and arrives here from the table's
operations namespace (``primitives.dispatch.ops``: one function per row name and NumPy alias, with the
NumPy signature the row declares), so this module names no primitive.  It adds only compositions that are
not primitives (``dot``, ``square``, ``swapaxes``, ``array``, ...).  Calls dispatch on their arguments
(``primitives.dispatch.apply``): plain floats/ndarrays go straight to NumPy; SymPy objects get the row's
SymPy twin (so a Python function over ``dnp`` traces into a SymPy expression); traced values
(``forward.Dual``, ``reverse.Node``, subclasses of ``Box``) go to their engine, the most recently started
trace first, which makes nested differentiation correct without per-operation code.
"""

from __future__ import annotations

import numpy as np

from difflab.primitives.dispatch import Box, Shaped, apply, dot, is_sympy, ndim, ops, shape  # noqa: F401 -- re-exported
from difflab.primitives.table import RULES

globals().update(ops.names())  # one function per row (exp, sum, reshape, ..., arctan, absolute, ...)

__all__ = sorted({*ops.names(), "Box", "Shaped", "apply", "ndim", "shape", "swapaxes", "expand_dims", "dot",
                  "square", "array", "asarray", "zeros_like", "ones_like"})
_ROWS = RULES  # kept importable for introspection: which rows back this namespace


def swapaxes(x, axis1, axis2):
    """Differentiable ``numpy.swapaxes`` (a transpose)."""
    nd = ndim(x)
    axes = list(range(nd))
    axes[axis1 % nd], axes[axis2 % nd] = axes[axis2 % nd], axes[axis1 % nd]
    return ops.transpose(x, axes)


def expand_dims(x, axis):
    """Differentiable ``numpy.expand_dims`` (a reshape)."""
    s = list(shape(x))
    s.insert(axis % (len(s) + 1), 1)
    return ops.reshape(x, s)


def square(x):
    return x * x


def _has_box(obj) -> bool:
    if isinstance(obj, (list, tuple)):
        return any(_has_box(o) for o in obj)
    return isinstance(obj, Box) or is_sympy(obj)


def array(obj, dtype=None):
    """``numpy.array``; a (nested) list holding traced values becomes a differentiable ``stack``."""
    if isinstance(obj, Box):
        return obj
    if isinstance(obj, (list, tuple)) and _has_box(obj):
        return ops.stack([array(o) if isinstance(o, (list, tuple)) else o for o in obj])
    return np.array(obj, dtype=dtype)


asarray = array


def zeros_like(x):
    """A constant array of zeros shaped like ``x`` (no derivative flows through it)."""
    return np.zeros(shape(x))


def ones_like(x):
    return np.ones(shape(x))
