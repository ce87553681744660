"""Forward mode: dual numbers over arrays, driven entirely by the ``jvp`` column of the
primitive table (``difflab.primitives.table``).

A ``Dual`` carries a primal array and a *batched* tangent of shape ``(k,) + primal.shape``: k directions
travel together, so a gradient is one vectorized pass with an (n, n) identity tangent block instead of n
Python passes (split into column blocks when n is large).  The Hessian uses nested duals: an inner
trace's tangents are themselves duals of an outer trace, which works because every jvp rule is written
with ``difflab.numpy`` operations.  No SymPy here, and no per-operation code: ``Dual.lift`` is the whole
engine.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable

import numpy as np

from difflab.errors import InputError
from difflab.numpy import Box, apply, shape

_levels = itertools.count(1)  # shared with reverse.py through new_level()
BLOCK_ELEMENTS = 1 << 18  # entries per tangent array: 2 MiB blocks stay in cache (faster than n^2 at once)


def new_level() -> int:
    """A fresh trace level; later traces are higher and are unwrapped first."""
    return next(_levels)


class Dual(Box):
    """Primal ``value`` with tangent block ``tangent`` (k directions) belonging to trace ``level``."""

    __slots__ = ("tangent",)

    def __init__(self, value, tangent, level: int):
        self.value = value
        self.tangent = tangent
        self.level = level

    def __repr__(self) -> str:
        return f"Dual(value={self.value!r}, tangent={self.tangent!r}, level={self.level})"

    def lift(self, rule, args, kw):
        lvl = self.level
        primals, tangents = [], []
        boxed = False  # does a primal still hold an outer trace's box?
        for a in args:
            if type(a) is Dual and a.level == lvl:
                tangents.append(a.tangent)
                a = a.value
            else:
                tangents.append(None)
            if not boxed and isinstance(a, Box):
                boxed = True
            primals.append(a)
        ans = apply(rule, *primals, **kw) if boxed else rule.numpy(*primals, **kw)
        if rule.jvp is None:
            return ans
        t = rule.jvp(tuple(tangents), ans, *primals, **kw)
        return ans if t is None else Dual(ans, t, lvl)


def _input(x):
    return x if isinstance(x, Box) else np.asarray(x, dtype=float)


def _split(out, lvl: int, k: int):
    """Primal and tangent block of a traced output (a zero tangent if it did not depend on the input)."""
    if isinstance(out, Dual) and out.level == lvl:
        return out.value, out.tangent
    return out, np.zeros((k,) + shape(out))


def jvp(fn: Callable, x, v) -> tuple:
    """``(fn(x), J(x) v)`` in one forward pass."""
    x, v = _input(x), np.asarray(v, dtype=float)
    if v.shape != shape(x):
        raise InputError(f"tangent has shape {v.shape}, the point has shape {shape(x)}")
    lvl = new_level()
    with np.errstate(all="ignore"):
        value, t = _split(fn(Dual(x, v[None], lvl)), lvl, 1)
    return value, t[0]


def _check_scalar(value, what: str):
    if shape(value) not in ((), (1,)):
        raise InputError(f"{what} needs a function returning a scalar; it returned shape {shape(value)}")
    return value


def _vector(x) -> np.ndarray:
    x = np.asarray(x, dtype=float)
    if x.ndim != 1:
        raise InputError(f"the point must be a 1-D vector, got shape {x.shape}")
    return x


def _blocks(n: int, per_column: int):
    """Column blocks [j, j+b) of the identity sized so a tangent block stays under BLOCK_ELEMENTS."""
    b = max(1, min(n, BLOCK_ELEMENTS // max(per_column, 1)))
    for j in range(0, n, b):
        yield j, np.eye(min(b, n - j), n, j)


def gradient(fn: Callable, x) -> tuple[float, np.ndarray]:
    """Value and gradient of a scalar ``fn`` of one 1-D vector: tangent blocks of the identity."""
    x = _vector(x)
    n = x.size
    grad = np.zeros(n)
    value = None
    with np.errstate(all="ignore"):
        for j, block in _blocks(n, n):
            lvl = new_level()
            value, t = _split(fn(Dual(x, block, lvl)), lvl, block.shape[0])
            _check_scalar(value, "gradient")
            grad[j:j + block.shape[0]] = np.reshape(t, (block.shape[0],))
        if value is None:
            value = fn(x)
    return float(np.reshape(_check_scalar(value, "gradient"), ())), grad


def hessian(fn: Callable, x) -> tuple[float, np.ndarray, np.ndarray]:
    """Value, gradient and Hessian by nested duals (forward over forward), outer directions in blocks.

    The inner trace differentiates along all n axes at once (tangent = identity); its tangents are
    duals of the outer trace, whose tangent block holds b outer directions, so one pass yields b rows.
    Memory is b*n per intermediate entry, hence blocks of b = BLOCK_ELEMENTS/n^2 rows.
    """
    x = _vector(x)
    n = x.size
    hess = np.zeros((n, n))
    eye = np.eye(n)
    value, grad = None, np.zeros(n)
    with np.errstate(all="ignore"):
        for j, block in _blocks(n, n * n):
            b = block.shape[0]
            outer, inner = new_level(), new_level()
            out = fn(Dual(Dual(x, block, outer), eye, inner))
            val_outer, tan = _split(out, inner, n)  # primal (a Dual of outer) and tangent (grad, a Dual)
            value = val_outer.value if isinstance(val_outer, Dual) else val_outer
            _check_scalar(value, "hessian")
            g, rows = _split(tan, outer, b)
            grad = np.reshape(g, (n,))
            hess[j:j + b] = np.reshape(rows, (b, n))
        if value is None:
            value = fn(x)
    return float(np.reshape(_check_scalar(value, "hessian"), ())), grad, hess

