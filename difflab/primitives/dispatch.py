"""The bottom of difflab: the ``Rule`` row type, ``apply`` (one row on any kind of argument) and ``ops``.

Why this module exists: a row's derivative rules are written with differentiable operations (``ops.exp``,
``ops.sum``, ...), so that rules applied to traced values are traced again (Hessians by nesting engines).
Those operations are the rows themselves.  If the rows called ``difflab.numpy`` -- which is built from the
rows -- the table and the namespace would import each other.  Instead:

* this module defines ``Rule``, ``Box`` (the base class of every traced value: an engine *registers* its
  traced type by subclassing ``Box`` and implementing ``lift``), ``apply`` and an empty namespace ``ops``;
* ``difflab.primitives.table`` builds the rows (their rules refer to ``ops.<row>`` and resolve it only
  when they run) and then calls ``register(rules)``, which fills ``ops`` with one bound function per row;
* ``difflab.numpy`` re-exports ``ops`` plus a few compositions.

So imports go one way (dispatch <- rows <- table <- numpy <- engines) and nothing outside
``difflab.primitives`` knows a primitive by name.  This module imports nothing of difflab.
"""

from __future__ import annotations

import inspect
import math
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

_PLAIN = frozenset({float, int, bool, np.ndarray, np.float64, np.float32, np.int64, np.bool_,
                    complex, np.complex128, list, tuple, type(None)})


@dataclass(frozen=True)
class Rule:
    """One primitive, declared once (conventions for ``jvp``/``vjp``/``fwd``/``saves``: see table.py).

    Besides the implementations and derivative rules a row says how every consumer reaches it:
    ``aliases`` (more names in expression text), ``numpy_aliases`` (more names in ``difflab.numpy``),
    ``call`` (the NumPy-style signature: maps a user's call to the row's positional arguments and
    keyword parameters; None when they are the same), ``kinks`` (SymPy-level: the expressions whose real
    zeros are kinks or jumps of the row, given its SymPy arguments), ``branch`` (for a row with kinks:
``branch(values, *args)`` is the smooth expression the row equals near a point off its kinks, given
the arguments' values there -- |u| is ``-u`` where u < 0), ``poles`` (SymPy-level, like ``kinks``: the
    expressions whose real zeros are poles of the row -- tan(u): cos(u)), ``image`` (the closed interval its
    values lie in over its domain, so test generators can build safe arguments from it), and
    ``numeric_twin`` (a compile-only SymPy head that stands for the row in generated code, e.g. log1p's
    ``dl_log1p``, whose class also recognises the naive form ``log(1 + u)``).
    """

    name: str
    numpy: Callable
    sympy: Callable | None
    mpmath: Callable | None
    jvp: Callable | None
    vjp: Any  # sequence of per-argument callables (or None entries), or None
    domain: str = "real"
    arity: int = 1
    in_expressions: bool = False
    fwd: Callable | None = None  # optional NumPy forward returning (ans, residual) for the VJPs
    saves: str = "args,ans"  # what the VJPs read: "args", "ans", both, or "" (shapes only)
    aliases: tuple[str, ...] = ()
    numpy_aliases: tuple[str, ...] = ()
    call: Callable | None = None
    kinks: Callable | None = None
    poles: Callable | None = None  # SymPy-level: expressions whose real zeros are poles (tan: cos(u))
    branch: Callable | None = None
    kink_words: str = "argument is within {m:g} of its kink at 0"  # after the SymPy head's name
    image: tuple[float, float] = (-np.inf, np.inf)
    numeric_twin: Callable | None = None
    drawn_by_default: bool = True  # test generators draw it unless asked for a list (see table.smooth_rows)
    text_arities: tuple[int, ...] = ()  # argument counts accepted in expression text (default: arity)
    bare_is_variable: bool = False  # the bare name is a plain variable (``gamma``), only a call is the row

    def domains(self) -> tuple[str, ...]:
        """One domain name per argument."""
        parts = tuple(p.strip() for p in self.domain.split(","))
        return parts if len(parts) == self.arity else parts[:1] * self.arity

    @property
    def smooth(self) -> bool:
        """Differentiable on its open domain: has derivative rules and no kinks."""
        return self.jvp is not None and self.kinks is None


class Box:
    """A value traced by an engine: ``value`` is the primal (itself possibly a Box of an outer trace).

    Engines subclass it and implement ``lift(rule, args, kw)``; ``apply`` hands a row to the Box of the
    most recently started trace (highest ``level``), which is what makes nesting correct.
    """

    __slots__ = ("value", "level")
    __array_priority__ = 1000.0

    # NumPy's dispatch protocols: unmodified NumPy code (np.sin(x), np.sum(x, axis=0), np.concatenate)
    # on traced values runs the differentiable namespace's function of the same name; a NumPy function
    # it lacks is refused by name (never a silent conversion to a constant).
    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        if method == "__call__" and not kwargs:  # the hot path: ``X @ w``, ``Y * z`` with X, Y arrays
            fn = NUMPY_UFUNCS.get(ufunc)
            if fn is not None:
                return fn(*inputs)
        name = ufunc.__name__ if method == "__call__" else f"{ufunc.__name__}.{method}"
        if kwargs.get("out") is not None:
            raise TypeError(f"numpy.{name}(..., out=...) cannot store a traced value in an array; drop out=")
        fn = NUMPY_NAMESPACE.get(_UFUNC_METHODS.get(name, name))
        if fn is None:
            raise TypeError(f"difflab cannot differentiate numpy.{name}: it has no rule")
        return fn(*inputs, **{k: v for k, v in kwargs.items() if k != "out"})

    def __array_function__(self, func, types, args, kwargs):
        fn = NUMPY_NAMESPACE.get(func.__name__)
        if fn is None:
            raise TypeError(f"difflab cannot differentiate numpy.{func.__name__}: it has no rule")
        return fn(*args, **kwargs)

    def lift(self, rule, args, kw):  # pragma: no cover - overridden
        raise NotImplementedError

    def concrete(self):
        """The traced value, read to decide something from it (see ``primal``)."""
        return self.value

    shape = property(lambda self: shape(self.value))
    ndim = property(lambda self: ndim(self.value))
    size = property(lambda self: int(np.prod(shape(self.value))))
    dtype = property(lambda self: getattr(self.value, "dtype", np.dtype(float)))
    T = property(lambda self: ops.transpose(self))

    def __len__(self):
        return shape(self.value)[0]

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    # Python's operator protocol, mapped onto rows (the only place operators meet row names)
    def __add__(self, o):
        return ops.add(self, o)

    def __radd__(self, o):
        return ops.add(o, self)

    def __sub__(self, o):
        return ops.subtract(self, o)

    def __rsub__(self, o):
        return ops.subtract(o, self)

    def __mul__(self, o):
        return ops.multiply(self, o)

    def __rmul__(self, o):
        return ops.multiply(o, self)

    def __truediv__(self, o):
        return ops.divide(self, o)

    def __rtruediv__(self, o):
        return ops.divide(o, self)

    def __pow__(self, o):
        return ops.power(self, o)

    def __rpow__(self, o):
        return ops.power(o, self)

    def __matmul__(self, o):
        return ops.matmul(self, o)

    def __rmatmul__(self, o):
        return ops.matmul(o, self)

    def __neg__(self):
        return ops.negative(self)

    def __pos__(self):
        return self

    def __abs__(self):
        return ops.abs(self)

    def __gt__(self, o):
        return ops.greater(self, o)

    def __ge__(self, o):
        return ops.greater_equal(self, o)

    def __lt__(self, o):
        return ops.less(self, o)

    def __le__(self, o):
        return ops.less_equal(self, o)

    def __getitem__(self, idx):
        return ops.getitem(self, idx)

    def sum(self, axis=None, keepdims=False):
        return ops.sum(self, axis=axis, keepdims=keepdims)

    def mean(self, axis=None, keepdims=False):
        return ops.mean(self, axis=axis, keepdims=keepdims)

    def reshape(self, *shape_):
        return ops.reshape(self, shape_[0] if len(shape_) == 1 else shape_)

    def ravel(self):
        return ops.reshape(self, (-1,))

    def dot(self, o):
        return dot(self, o)


def is_sympy(a) -> bool:
    """A SymPy object (never loads SymPy: if it is not imported, nothing can be one)."""
    sp = sys.modules.get("sympy")
    return sp is not None and isinstance(a, sp.Basic)


def apply(rule: Rule, *args, **kw):
    """Apply one row to arguments of any kind.

    Plain floats/ndarrays go straight to the NumPy kernel (the hot path: every VJP in a backward pass
    lands here); an object array of SymPy expressions NumPy cannot handle falls through to the SymPy
    twin, as do SymPy arguments (so a Python function over ``difflab.numpy`` traces into SymPy); boxed
    values go to the engine of the most recent trace.
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
        elif type(a) not in _PLAIN and is_sympy(a):
            return rule.sympy(*args, **kw)
    if top is None:
        return rule.numpy(*args, **kw)
    return top.lift(rule, args, kw)


def primal(x):
    """The plain value under every level of tracing, read to decide something from it (a tie, a sign,
    an order, a nan): through ``Box.concrete``, so a trace that must not depend on values (the reverse
    engine's replay) refuses there instead of freezing the decision."""
    while isinstance(x, Box):
        x = x.concrete()
    return x


class Shaped:
    """Stands in for an array whose values a VJP does not read: only ``shape`` (and ``ndim``) remain."""

    __slots__ = ("shape",)

    def __init__(self, shape_: tuple):
        self.shape = shape_

    ndim = property(lambda self: len(self.shape))


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


def ndim(x) -> int:
    return len(shape(x))


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
        return ops.matmul(a, b)
    sa, sb = shape(a), shape(b)
    n = sa[-1]
    if sb[-2] != n:
        raise ValueError(f"shapes {sa} and {sb} not aligned: {n} (dim {na - 1}) != {sb[-2]} (dim {nb - 2})")
    axes = (nb - 2, *range(nb - 2), nb - 1)  # the summed axis first, the rest in order
    rest = sb[:-2] + sb[-1:]
    b2 = ops.reshape(ops.transpose(b, axes), (n, math.prod(rest)))
    return ops.reshape(ops.matmul(ops.reshape(a, (math.prod(sa[:-1]), n)), b2), sa[:-1] + rest)


NUMPY_NAMESPACE: dict[str, Callable] = {}
"""Name -> differentiable function, filled by ``difflab.numpy`` (``register_namespace``) for the protocols."""

# ufunc methods NumPy code calls, as the namespace's reductions (np.add.reduce(x, axis) is np.sum)
_UFUNC_METHODS = {"add.reduce": "sum", "multiply.reduce": "prod", "maximum.reduce": "max",
                  "minimum.reduce": "min", "add.accumulate": "cumsum"}


NUMPY_UFUNCS: dict[np.ufunc, Callable] = {}
"""NumPy ufunc -> the namespace's function of the same name, so ``ndarray @ traced`` (NumPy calls the
ufunc, whose override lands in ``Box.__array_ufunc__``) costs one dict lookup: building the name and
filtering keywords on every operator call cost the 2-2-1 network's gradient a few per cent."""


def register_namespace(functions: dict[str, Callable]) -> None:
    """``difflab.numpy`` hands over its functions so NumPy's protocols on traced values can find them."""
    NUMPY_NAMESPACE.update(functions)
    NUMPY_UFUNCS.update({u: fn for name, fn in functions.items()
                         if isinstance(u := getattr(np, name, None), np.ufunc)})
    for name, fn in functions.items():  # ndarray methods: x.max(), x.std(ddof=1), x.flatten(), ...
        if hasattr(np.ndarray, name) and not name.startswith("_") and name not in vars(Box):
            attribute = callable(getattr(np.ndarray, name))  # x.real, x.imag are values, not methods
            setattr(Box, name, _method(fn) if attribute else property(fn))


def _method(fn: Callable) -> Callable:
    """``fn`` as a method of traced values.  Installed on the class, not found by ``__getattr__``: a class
    with ``__getattr__`` makes every attribute read of its instances slow (CPython cannot specialise
    ``node.value`` / ``node.level`` then), which cost the engines' inner loops ~5% on small networks."""
    def method(self, *args, **kw):
        return fn(self, *args, **kw)
    method.__name__ = method.__qualname__ = fn.__name__
    method.__doc__ = fn.__doc__
    return method


class Ops:
    """The differentiable operations, one attribute per row name and alias (filled by ``register``)."""

    def _define(self, name: str, fn: Callable) -> None:
        if name in vars(self):
            raise ValueError(f"two rows claim the name '{name}' in difflab.numpy")
        setattr(self, name, fn)

    def names(self) -> dict[str, Callable]:
        """``{name: function}`` for every registered operation (aliases included)."""
        return dict(vars(self))


ops = Ops()


def bind(rule: Rule) -> Callable:
    """The user-facing function of one row: its NumPy-style signature (``rule.call``) then ``apply``."""
    call = rule.call
    if call is None:
        def fn(*args, **kw):
            return apply(rule, *args, **kw)
    else:
        def fn(*args, **kw):
            a, k = call(*args, **kw)
            return apply(rule, *a, **k)
        fn.__signature__ = inspect.signature(call)
    fn.__name__ = fn.__qualname__ = rule.name
    fn.__doc__ = f"Differentiable ``{rule.name}`` (row ``{rule.name}`` of difflab.primitives.table)."
    return fn


def register(rules: dict[str, Rule]) -> None:
    """Fill ``ops`` from the table: each row under its name and its NumPy aliases (once, at import)."""
    for rule in rules.values():
        fn = bind(rule)
        for name in (rule.name, *rule.numpy_aliases):
            ops._define(name, fn)
