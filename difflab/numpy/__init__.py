"""The differentiable namespace: ``import difflab.numpy as dnp``.

Every function here is one row of ``difflab.primitives.table`` applied through ``apply``, which
dispatches on its
arguments: plain floats/ndarrays go straight to NumPy; SymPy objects get the row's SymPy twin (so a Python
function over ``dnp`` can be traced into a SymPy expression); boxed values (``forward.Dual``,
``reverse.Node``) are handed to their engine, the most recently started trace first (``level``), which is
what makes nested differentiation (forward-over-reverse, nested duals) correct without per-operation code.
"""

from __future__ import annotations

import math
import sys

import numpy as np

from difflab.primitives.table import RULES

_PLAIN = frozenset({float, int, bool, np.ndarray, np.float64, np.float32, np.int64, np.bool_,
                    complex, np.complex128, list, tuple, type(None)})


class Box:
    """A value traced by an engine: ``value`` is the primal (itself possibly a Box of an outer trace)."""

    __slots__ = ("value", "level")
    __array_ufunc__ = None  # make ndarray operators defer to ours
    __array_priority__ = 1000.0

    def lift(self, rule, args, kw):  # pragma: no cover - overridden
        raise NotImplementedError

    shape = property(lambda self: shape(self.value))
    ndim = property(lambda self: ndim(self.value))
    size = property(lambda self: int(np.prod(shape(self.value))))
    dtype = property(lambda self: getattr(self.value, "dtype", np.dtype(float)))
    T = property(lambda self: transpose(self))

    def __len__(self):
        return shape(self.value)[0]

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    def __add__(self, o):
        return apply(_ADD, self, o)

    def __radd__(self, o):
        return apply(_ADD, o, self)

    def __sub__(self, o):
        return apply(_SUB, self, o)

    def __rsub__(self, o):
        return apply(_SUB, o, self)

    def __mul__(self, o):
        return apply(_MUL, self, o)

    def __rmul__(self, o):
        return apply(_MUL, o, self)

    def __truediv__(self, o):
        return apply(_DIV, self, o)

    def __rtruediv__(self, o):
        return apply(_DIV, o, self)

    def __pow__(self, o):
        return apply(_POW, self, o)

    def __rpow__(self, o):
        return apply(_POW, o, self)

    def __matmul__(self, o):
        return apply(_MATMUL, self, o)

    def __rmatmul__(self, o):
        return apply(_MATMUL, o, self)

    def __neg__(self):
        return apply(_NEG, self)

    def __pos__(self):
        return self

    def __abs__(self):
        return apply(RULES["abs"], self)

    def __gt__(self, o):
        return apply(RULES["greater"], self, o)

    def __ge__(self, o):
        return apply(RULES["greater_equal"], self, o)

    def __lt__(self, o):
        return apply(RULES["less"], self, o)

    def __le__(self, o):
        return apply(RULES["less_equal"], self, o)

    def __getitem__(self, idx):
        return apply(RULES["getitem"], self, idx=idx)

    def sum(self, axis=None, keepdims=False):
        return sum(self, axis=axis, keepdims=keepdims)

    def mean(self, axis=None, keepdims=False):
        return mean(self, axis=axis, keepdims=keepdims)

    def reshape(self, *shape_):
        return reshape(self, shape_[0] if len(shape_) == 1 else shape_)

    def ravel(self):
        return reshape(self, (-1,))

    def dot(self, o):
        return dot(self, o)


def _is_sympy(a) -> bool:
    """A SymPy object (never loads SymPy: if it is not imported, nothing can be one)."""
    sp = sys.modules.get("sympy")
    return sp is not None and isinstance(a, sp.Basic)


def apply(rule, *args, **kw):
    """Apply one rule row to arguments of any kind (see module docstring).

    Plain NumPy arguments are the hot path (every VJP in a backward pass lands here), so it is tried
    first; an object array of SymPy expressions that NumPy cannot handle falls through to the twin.
    """
    for a in args:
        if type(a) not in _PLAIN:
            break
    else:
        try:
            return rule.numpy(*args, **kw)
        except (TypeError, AttributeError):
            if any(type(a) is np.ndarray and a.dtype.hasobject for a in args) and rule.sympy is not None:
                return rule.sympy(*args, **kw)
            raise
    top = None
    for a in args:
        if isinstance(a, Box):
            if top is None or a.level > top.level:
                top = a
        elif type(a) not in _PLAIN and _is_sympy(a):
            return rule.sympy(*args, **kw)
    if top is None:
        return rule.numpy(*args, **kw)
    return top.lift(rule, args, kw)


def shape(x) -> tuple:
    """Shape of a float, ndarray or Box (the primal's shape)."""
    t = type(x)
    if t is np.ndarray or t is Shaped:
        return x.shape
    if t is float or t is np.float64 or t is int:
        return ()
    if isinstance(x, Box):
        return shape(x.value)
    return np.shape(x)


class Shaped:
    """Stands in for an array whose values a VJP does not read: only ``shape`` (and ``ndim``) remain."""

    __slots__ = ("shape",)

    def __init__(self, shape_: tuple):
        self.shape = shape_

    ndim = property(lambda self: len(self.shape))


def ndim(x) -> int:
    return len(shape(x))


def _bind(name: str):
    rule = RULES[name]

    def fn(*args, **kw):
        return apply(rule, *args, **kw)
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"Differentiable ``{name}`` (rule row ``{name}`` of difflab.primitives.table)."
    return fn


_ADD, _SUB, _MUL, _DIV, _POW, _NEG, _MATMUL = (
    RULES[n] for n in ("add", "subtract", "multiply", "divide", "power", "negative", "matmul"))

exp = _bind("exp")
log = _bind("log")
log1p = _bind("log1p")
expm1 = _bind("expm1")
sqrt = _bind("sqrt")
sin = _bind("sin")
cos = _bind("cos")
tan = _bind("tan")
atan = arctan = _bind("atan")
sinh = _bind("sinh")
cosh = _bind("cosh")
tanh = _bind("tanh")
abs = absolute = _bind("abs")  # noqa: A001 -- NumPy's name
sigmoid = _bind("sigmoid")
softplus = _bind("softplus")
log_sigmoid = _bind("log_sigmoid")
maximum = _bind("maximum")
minimum = _bind("minimum")
add = _bind("add")
subtract = _bind("subtract")
multiply = _bind("multiply")
divide = true_divide = _bind("divide")
power = _bind("power")
negative = _bind("negative")
reciprocal = _bind("reciprocal")
sign = _bind("sign")
greater = _bind("greater")
greater_equal = _bind("greater_equal")
less = _bind("less")
less_equal = _bind("less_equal")
equal = _bind("equal")
not_equal = _bind("not_equal")
logsumexp = _bind("logsumexp")
softmax = _bind("softmax")
log_softmax = _bind("log_softmax")
where = _bind("where")
matmul = _bind("matmul")
_SUM, _MEAN, _RESHAPE, _TRANSPOSE, _BCAST, _UNTAKE, _STACK = (
    RULES[n] for n in ("sum", "mean", "reshape", "transpose", "broadcast_to", "untake", "stack"))


def sum(x, axis=None, keepdims=False):  # noqa: A001 -- NumPy's name
    """Differentiable ``numpy.sum``."""
    return apply(_SUM, x, axis=axis, keepdims=keepdims)


def mean(x, axis=None, keepdims=False):
    """Differentiable ``numpy.mean``."""
    return apply(_MEAN, x, axis=axis, keepdims=keepdims)


def reshape(x, newshape):
    """Differentiable ``numpy.reshape`` (``-1`` allowed)."""
    newshape = (newshape,) if isinstance(newshape, (int, np.integer)) else tuple(newshape)
    return apply(_RESHAPE, x, shape=newshape)


def transpose(x, axes=None):
    """Differentiable ``numpy.transpose``."""
    return apply(_TRANSPOSE, x, axes=None if axes is None else tuple(axes))


def swapaxes(x, a, b):
    nd = ndim(x)
    axes = list(range(nd))
    axes[a % nd], axes[b % nd] = axes[b % nd], axes[a % nd]
    return transpose(x, axes)


def expand_dims(x, axis):
    s = list(shape(x))
    s.insert(axis % (len(s) + 1), 1)
    return reshape(x, s)


def broadcast_to(x, shape_):
    """Differentiable ``numpy.broadcast_to`` (its VJP sums the broadcast axes back)."""
    return apply(_BCAST, x, shape=tuple(shape_))


def untake(g, idx, shape_):
    """Adjoint of ``x[idx]``: ``g`` scattered (added) into zeros of ``shape_``."""
    return apply(_UNTAKE, g, idx=idx, shape=tuple(shape_))


def stack(xs, axis=0):
    """Differentiable ``numpy.stack`` of a sequence of arrays or scalars."""
    return apply(_STACK, *xs, axis=axis)


def dot(a, b):
    """``numpy.dot`` with NumPy's semantics for every rank, built from differentiable pieces.

    Why not just ``matmul``: for N-D operands ``dot`` sums a's last axis against b's second-to-last and
    keeps *all* other axes (result shape ``a.shape[:-1] + b.shape[:-2] + b.shape[-1:]``), while matmul
    broadcasts the leading axes as a batch. The two agree only when b has at most two axes or a is a
    vector; otherwise b is moved to (n, rest...) and flattened so that one 2-D matmul does the sum.
    """
    na, nb = ndim(a), ndim(b)
    if na == 0 or nb == 0:
        return a * b
    if nb <= 2 or na == 1:
        return matmul(a, b)
    sa, sb = shape(a), shape(b)
    n = sa[-1]
    if sb[-2] != n:
        raise ValueError(f"shapes {sa} and {sb} not aligned: {n} (dim {na - 1}) != {sb[-2]} (dim {nb - 2})")
    axes = (nb - 2, *range(nb - 2), nb - 1)  # the summed axis first, the rest in order
    rest = sb[:-2] + sb[-1:]
    b2 = reshape(transpose(b, axes), (n, math.prod(rest)))
    return reshape(matmul(reshape(a, (math.prod(sa[:-1]), n)), b2), sa[:-1] + rest)


def square(x):
    return x * x


def _has_box(obj) -> bool:
    if isinstance(obj, (list, tuple)):
        return any(_has_box(o) for o in obj)
    return isinstance(obj, Box) or _is_sympy(obj)


def array(obj, dtype=None):
    """``numpy.array``; a (nested) list holding traced values becomes a differentiable ``stack``."""
    if isinstance(obj, Box):
        return obj
    if isinstance(obj, (list, tuple)) and _has_box(obj):
        return stack([array(o) if isinstance(o, (list, tuple)) else o for o in obj])
    return np.array(obj, dtype=dtype)


asarray = array


def zeros_like(x):
    """A constant array of zeros shaped like ``x`` (no derivative flows through it)."""
    return np.zeros(shape(x))


def ones_like(x):
    return np.ones(shape(x))
