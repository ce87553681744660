"""The scalar route of an array Function: every entry written out as one SymPy expression.

This is what the symbolic method would have to differentiate without array-level rules: the quartic's
``sum((A @ x)**4)`` becomes n fourth powers of n-term sums, and its Hessian n^2 expressions of ~n terms
each. The tour and the benchmark print its size and time next to the array formula's; nothing in the
array route uses it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import sympy

from difflab.expr.function import Function
from difflab.matrix.algebra import Node, postorder
from difflab.matrix.function import ArrayFunction
from difflab.primitives.table import RULES


def _entrywise(node: Node, shape: tuple, *xs):
    op = node.op
    if op in ("add", "mul"):
        out = xs[0]
        for x in xs[1:]:
            out = out + x if op == "add" else out * x
        return out
    simple = {
        "pow": lambda: np.frompyfunc(lambda b, e: b ** e, 2, 1)(xs[0], xs[1]),
        "func": lambda: np.frompyfunc(RULES[node.data].sympy, 1, 1)(xs[0]),
        "matmul": lambda: np.dot(xs[0], xs[1]),
        "transpose": lambda: np.transpose(xs[0]),
        "sum": lambda: sympy.Add(*np.ravel(xs[0])),
        "diag": lambda: np.diag(xs[0]),
        "outer": lambda: np.multiply.outer(xs[0], xs[1]),
        "inv": lambda: np.array(sympy.Matrix(xs[0].tolist()).inv().tolist(), dtype=object),
        "num": lambda: sympy.Rational(node.data.numerator, node.data.denominator),
        "const": lambda: sympy.pi if node.data == "pi" else sympy.E,
        "eye": lambda: np.array(sympy.eye(shape[0]).tolist(), dtype=object),
        "ones": lambda: np.full(shape, sympy.Integer(1), dtype=object),
        "zero": lambda: np.full(shape, sympy.Integer(0), dtype=object),
    }
    return simple[op]()


def scalar_function(f: ArrayFunction, data: Mapping[str, Any]) -> Function:
    """A scalar ``Function`` of the variable's entries (``x_0, x_1, ...``) with the other inputs fixed to
    ``data`` (SymPy Floats of their double values)."""
    if f.node.shape:
        raise ValueError("the scalar route is for scalar expressions")
    env, dims = f.bind(data)
    values: dict[int, Any] = {}
    names: list[str] = []
    for node in postorder(f.node):
        shape = tuple(d if isinstance(d, int) else dims[d] for d in node.shape)
        if node.op == "sym":
            arr = np.asarray(env[node.data], dtype=float)
            if node.data == f.wrt:
                names = [f"{node.data}_{i}" for i in range(arr.size)]
                entries = [sympy.Symbol(n, real=True) for n in names]
            else:
                entries = [sympy.Float(float(v)) for v in np.ravel(arr)]
            values[id(node)] = np.array(entries, dtype=object).reshape(arr.shape) if arr.ndim else entries[0]
        else:
            values[id(node)] = _entrywise(node, shape, *[values[id(x)] for x in node.args])
    return Function(values[id(f.node)], variables=names)
