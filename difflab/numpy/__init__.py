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

from difflab.numpy import contractions, linalg, reductions, shapes, ufuncs
from difflab.primitives.dispatch import (  # noqa: F401 -- re-exported
    Box,
    Shaped,
    apply,
    dot,
    is_sympy,
    ndim,
    ops,
    register_namespace,
    shape,
)
from difflab.primitives.table import RULES

_COMPOSITIONS = {name: getattr(module, name) for module in (shapes, reductions, ufuncs, contractions)
                 for name in module.__all__}
globals().update(ops.names())  # one function per row (exp, sum, reshape, ..., arctan, absolute, ...)
globals().update(_COMPOSITIONS)  # NumPy-signature compositions (sum with where=, max, vstack, einsum, ...)

__all__ = sorted({*ops.names(), *_COMPOSITIONS, "Box", "Shaped", "apply", "ndim", "shape", "array", "asarray",
                  "zeros_like", "ones_like", "linalg"})
_ROWS = RULES  # kept importable for introspection: which rows back this namespace


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


register_namespace({**{n: globals()[n] for n in __all__ if n != "linalg" and callable(globals()[n])},
                    **{n: getattr(linalg, n) for n in linalg.__all__}})
