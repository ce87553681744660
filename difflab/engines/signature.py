"""What a replayed trace may be reused for: the signature of a call's arguments.

A recorded program (``engines.replay``) is valid for every call whose arguments have the same pytree
structure, the same array shapes and dtypes, and the same values of plain Python scalars (those are
read by the function's Python, so they are part of the trace, -0.0 apart from 0.0: ``repr``).  An
array's strides are part of the key too: the layout of a result (and so which BLAS path a product
takes) follows its inputs', and a replay must run the kernels the tape would.  The
differentiated argument's leaves are taken as float arrays, exactly as the tape takes them.  Anything
else -- a traced value of an outer transform, an object, an array subclass, an object array -- has no
signature, and that call is differentiated with the tape.
"""

from __future__ import annotations

import numpy as np

from difflab.numpy import Box

_SCALARS = (float, int, bool, complex, str, type(None))
_FLOAT = np.dtype(np.float64)


def call_key(args: tuple, kw: dict, wrt: list[int]) -> tuple[tuple | None, list]:
    """``(key, leaves)``: a hashable key of the call and its array leaves in flattening order, or
    ``(None, [])`` when a leaf cannot be part of a key."""
    key: list = [tuple(wrt)]
    leaves: list = []
    for i, a in enumerate(args):
        if not _walk(a, i in wrt, key, leaves):
            return None, []
    if kw and not _walk(kw, False, key, leaves):
        return None, []
    return tuple(key), leaves


def _walk(node, wrt: bool, key: list, leaves: list) -> bool:
    t = type(node)
    if t is list or t is tuple:
        key.append((t, len(node)))
        for c in node:
            if type(c) is np.ndarray and c.dtype is _FLOAT:  # the common leaf, inline
                key.append((c.shape, c.strides, _FLOAT))
                leaves.append(c)
            elif not _walk(c, wrt, key, leaves):
                return False
        return True
    if t is np.ndarray or isinstance(node, np.generic):
        if node.dtype.kind not in ("biuf" if wrt else "biufc"):
            return False
        if wrt and (t is not np.ndarray or node.dtype != _FLOAT):
            node = np.asarray(node, dtype=float)
        key.append((node.shape, node.strides, node.dtype))
        leaves.append(node)
        return True
    if t is dict:
        key.append((dict, tuple(node)))
        for c in node.values():
            if not _walk(c, wrt, key, leaves):
                return False
        return True
    if wrt and t in (float, int, bool):
        key.append(((), (), _FLOAT))
        leaves.append(np.asarray(node, dtype=float))
        return True
    if not wrt and t in _SCALARS:
        key.append((t, repr(node)))
        return True
    return False


def holds_box(v) -> bool:
    """A traced value anywhere in a parameter (tuples, lists, dicts and slices looked into)."""
    if isinstance(v, Box):
        return True
    t = type(v)
    if t is tuple or t is list:
        return any(holds_box(c) for c in v)
    if t is dict:
        return any(holds_box(c) for c in v.values())
    if t is slice:
        return holds_box((v.start, v.stop, v.step))
    return False
