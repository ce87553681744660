"""Jacobians of vector-valued functions and the third-derivative tensor, built on the two engines.

* ``forward_jacobian``: the n tangents of the identity travel in one batched pass (column blocks when n
  is large, as for gradients): J = tangent block transposed.
* ``reverse_jacobian``: one recorded pass, then m pullbacks of the unit cotangents on the kept tape.
* ``third``: T[i, j, k] of a scalar function by three nested duals (forward over forward over forward),
  which works because every jvp rule is written with differentiable operations.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from difflab.engines.forward import Dual, _blocks, _check_scalar, _split, _vector, new_level
from difflab.engines.reverse import vjp
from difflab.numpy import shape


def forward_jacobian(fn: Callable, x) -> tuple[np.ndarray, np.ndarray]:
    """Value (m,) and Jacobian (m, n) of a vector-valued ``fn``: the n tangents in one batched pass."""
    x = _vector(x)
    n = x.size
    value, rows = None, []
    with np.errstate(all="ignore"):
        for _, block in _blocks(n, n):
            lvl = new_level()
            value, t = _split(fn(Dual(x, block, lvl)), lvl, block.shape[0])
            rows.append(np.reshape(t, (block.shape[0], -1)))
        value = np.reshape(np.asarray(value, dtype=float), (-1,))
    return value, np.concatenate(rows).T.reshape(value.size, n)


def third(fn: Callable, x) -> np.ndarray:
    """The tensor of third derivatives T[i, j, k] of a scalar ``fn`` by three nested duals (n**3 tangents)."""
    x = _vector(x)
    n = x.size
    eye = np.eye(n)
    levels = [new_level() for _ in range(3)]
    with np.errstate(all="ignore"):
        out = fn(Dual(Dual(Dual(x, eye, levels[0]), eye, levels[1]), eye, levels[2]))
        _check_scalar(out.value if isinstance(out, Dual) else out, "third derivatives")
        t = out
        for lvl in reversed(levels):  # innermost trace first: gradient, then its derivatives, twice
            t = _split(t, lvl, n)[1]
    return np.reshape(np.asarray(t, dtype=float), (n, n, n))


def reverse_jacobian(fn: Callable, x) -> tuple[np.ndarray, np.ndarray]:
    """Value (m,) and Jacobian (m, n) of a vector-valued ``fn`` of a 1-D x: one recorded pass, m pullbacks."""
    x = _vector(x)
    raw, pullback = vjp(fn, x)
    value = np.reshape(np.asarray(raw, dtype=float), (-1,))
    rows = [np.reshape(pullback(np.reshape(e, shape(raw))), (-1,)) for e in np.eye(value.size)]
    return value, np.array(rows).reshape(value.size, x.size)
