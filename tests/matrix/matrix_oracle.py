"""The scalar route as an independent oracle for the array formulas.

An array expression is expanded entry by entry into plain SymPy (object arrays of symbols, the table's
SymPy twins elementwise), differentiated with ``sympy.diff`` and evaluated with mpmath at 30 digits.
Nothing here uses difflab.matrix's derivative rules, printer or compiler: only its parse tree, walked
with SymPy operations.
"""

from __future__ import annotations

import mpmath
import numpy as np
import sympy

from difflab.matrix.algebra import postorder
from difflab.primitives.table import RULES


def _sympy_value(node, shape, *xs):
    op = node.op
    if op == "add":
        out = xs[0]
        for x in xs[1:]:
            out = out + x
        return out
    if op == "mul":
        out = xs[0]
        for x in xs[1:]:
            out = out * x
        return out
    if op == "pow":
        return np.frompyfunc(lambda b, e: b ** e, 2, 1)(xs[0], xs[1])
    if op == "func":
        return np.frompyfunc(RULES[node.data].sympy, 1, 1)(xs[0])
    if op == "matmul":
        return np.dot(xs[0], xs[1])
    if op == "transpose":
        return np.transpose(xs[0])
    if op == "sum":
        return sympy.Add(*np.ravel(xs[0]))
    if op == "diag":
        return np.diag(xs[0])
    if op == "outer":
        return np.multiply.outer(xs[0], xs[1])
    if op == "inv":
        m = sympy.Matrix(xs[0].tolist()).inv()
        return np.array(m.tolist(), dtype=object)
    if op == "num":
        return sympy.Rational(node.data.numerator, node.data.denominator)
    if op == "const":
        return sympy.pi if node.data == "pi" else sympy.E
    if op == "eye":
        return np.array(sympy.eye(shape[0]).tolist(), dtype=object)
    if op in ("ones", "zero"):
        return np.full(shape, sympy.Integer(1 if op == "ones" else 0), dtype=object)
    raise AssertionError(op)


def expand(node, symbols: dict, dims: dict):
    """The expression with every input an object array of SymPy symbols."""
    values = {}
    for n in postorder(node):
        if n.op == "sym":
            values[id(n)] = symbols[n.data]
        else:
            shape = tuple(d if isinstance(d, int) else dims[d] for d in n.shape)
            values[id(n)] = _sympy_value(n, shape, *[values[id(x)] for x in n.args])
    return values[id(node)]


def scalar_route(f, data: dict, order: int) -> np.ndarray:
    """Gradient (order 1) or Hessian (order 2) of an ArrayFunction by SymPy on the expanded entries."""
    env, dims = f.bind(data)
    symbols, subs = {}, {}
    for name, value in env.items():
        arr = np.asarray(value, dtype=float)
        syms = np.array([sympy.Symbol(f"{name}_{i}", real=True) for i in range(arr.size)],
                        dtype=object).reshape(arr.shape)
        symbols[name] = syms if arr.ndim else syms.item()
        for s, v in zip(np.ravel(syms), np.ravel(arr), strict=True):
            subs[s] = sympy.Float(float(v), 30)
    expr = expand(f.node, symbols, dims)
    var = np.ravel(np.asarray(symbols[f.wrt], dtype=object))
    shape = np.shape(env[f.wrt])
    outs = np.ravel(np.asarray(expr, dtype=object))
    if order == 1:
        rows = [[sympy.diff(o, v) for v in var] for o in outs]
        out_shape = np.shape(expr) + shape
    else:
        (o,) = outs
        rows = [[sympy.diff(o, v, w) for w in var] for v in var]
        out_shape = shape + shape
    values = [[float(sympy.N(e.xreplace(subs), 30)) for e in row] for row in rows]
    return np.array(values, dtype=float).reshape(out_shape)


def mp_derivative(name: str, x: float, k: int = 1) -> float:
    """k-th derivative of the table row's mpmath twin at x (mpmath's own numerical differentiation)."""
    with mpmath.workdps(40):
        return float(mpmath.diff(RULES[name].mpmath, mpmath.mpf(x), k))
