"""``Function``: one validated function that every method differentiates, and all input validation.

A Function is built once from expression text (through the safe parser), a SymPy expression, or a Python
callable over ``difflab.numpy``. A callable is traced into a SymPy expression when it is plain scalar
code (``difflab.numpy`` dispatches on SymPy objects), so symbolic derivatives and the mpmath reference
work for it too; code that cannot be traced stays an opaque callable and only the numeric methods and
the AD engines apply.

Validation of points lives here and only here, with exact messages (tests assert them).
"""

from __future__ import annotations

import inspect
import math
import numbers
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sympy

from difflab.errors import DifflabError, InputError
from difflab.expr.compile import to_numpy, to_ops
from difflab.expr.parse import MAX_LENGTH, parse_expr_safe
from difflab.expr.stable import rewrite

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


NEEDS_EXPRESSION = ("the symbolic method needs an expression; this Python function could not be traced "
                    "into one (it uses control flow or array operations): use 'forward', 'reverse' or a "
                    "finite-difference method")


@dataclass
class FunctionCaches:
    """Everything worked out once per Function, declared here so no module adds attributes to it.

    Each field names the module that fills it. They are caches only: clearing them changes no result.
    """

    stable: sympy.Expr | None = None            # Function.stable: the stable form (stable.rewrite)
    derivatives: dict[str, Any] = field(default_factory=dict)   # expr.derivatives: gradient, Hessian rows
    compiled: dict[tuple[int, str], Any] = field(default_factory=dict)  # (order, "numpy"|"mpmath") -> fn
    ops: Callable[..., Any] | None = None      # the function over difflab.numpy (compile.to_ops)
    analysis: Any = None                        # singular.analysis: removable points and poles
    specials: tuple | None = None               # singular.notes: kink and domain-edge candidates
    special_words: dict[tuple[str, Any], Any] = field(default_factory=dict)  # singular.notes: their words
    several: Any = None                         # singular.several: singular sets of several variables
    quiet: bool | None = None                   # singular.notes: nothing special anywhere
    reverse_calls: int = 0                      # methods.routes: reverse gradients asked of this Function


ValueCompiler = Callable[["Function"], Callable[..., Any]]


def _plain_value(f: Function) -> Callable[..., Any]:
    """The stable form compiled without singularity branches (until ``methods.symbolic`` installs its own)."""
    return to_numpy(f.stable, f.symbols)


_value_compiler: list[ValueCompiler] = [_plain_value]


def install_value_compiler(build: ValueCompiler) -> None:
    """Let a higher layer supply how ``Function.numpy`` is compiled (``methods.symbolic``: with the masked
    branches of ``singular`` at removable points). Why a hook and not an import: the singularity analysis
    stands above Function in the layers; Function must not import it."""
    _value_compiler[0] = build


_array_functions: list[type] = []


def install_array_functions(cls: type) -> None:
    """Let ``difflab.matrix`` build the Functions declared with ``shapes=`` (arrays, array-level
    derivatives). Why a hook and not an import: matrix calculus stands above Function in the layers."""
    _array_functions[:] = [cls]


VectorConstructor = Callable[[Any, Any, Any], Any]
_vector_constructor: list[VectorConstructor | None] = [None]


def install_vector_constructor(build: VectorConstructor) -> None:
    """Let ``expr.vector`` build vector-valued functions from ``Function("[f1, f2]")`` (a hook, not an
    import: the vector module builds on Function, so Function must not import it)."""
    _vector_constructor[0] = build


class Function:
    """A scalar function of named real variables, ready for every differentiation method.

    With ``shapes={"A": (n, n), "x": (n,)}`` (and ``wrt="x"``) the names with a shape are arrays and the
    Function is a ``difflab.matrix.ArrayFunction``: derivatives as array formulas, data as arrays.
    ``Function("[f1, f2]")``, a list of expressions, or a callable returning several values builds a
    ``VectorFunction`` instead (``expr.vector``), whose components are scalar Functions.
    """

    def __new__(cls, *args: Any, shapes: Mapping[str, Any] | None = None, wrt: str | None = None,
                **kwargs: Any):
        if shapes is not None and cls is Function:
            if not _array_functions:
                raise InputError("Functions with shapes= need difflab.matrix (import difflab)")
            return super().__new__(_array_functions[0])
        build = _vector_constructor[0]
        if cls is Function and build is not None and args and wrt is None:
            vector = build(args[0], args[1] if len(args) > 1 else kwargs.get("variables"),
                           args[2] if len(args) > 2 else kwargs.get("let"))
            if vector is not None:
                return vector
        return super().__new__(cls)

    def __init__(self, source: str | sympy.Expr | Callable[..., Any],
                 variables: Sequence[str] | str | None = None,
                 let: Mapping[str, str] | None = None, max_length: int = MAX_LENGTH, *,
                 shapes: Mapping[str, Any] | None = None, wrt: str | None = None):
        """``max_length``: the longest expression text accepted (10,000 characters by default, a guard
        for untrusted text); raise it explicitly for large generated expressions. Construction is linear
        in the size of the expression: its free symbols are collected once."""
        if shapes is not None or wrt is not None:
            raise InputError("wrt= goes with shapes= (the arrays' shapes); for scalar variables use "
                             "variables=[...]")
        self._callable: Callable[..., Any] | None = None
        self.caches = FunctionCaches()
        if isinstance(source, str):
            self.text = source.strip()
            self.expr: sympy.Expr | None = parse_expr_safe(source, let, max_length=max_length)
        elif isinstance(source, sympy.Basic):
            self.expr = source
            self.text = str(self.expr)
        elif callable(source):
            self._callable = source
            self.expr = None
            self.text = getattr(source, "__name__", "function")
        else:
            raise InputError(f"a Function needs expression text, a SymPy expression or a callable, "
                             f"not {type(source).__name__}")
        free = self.expr.free_symbols if self.expr is not None else set()
        self.variables = self._variables(variables, free)
        by_name = {s.name: s for s in free}
        self.symbols = tuple(by_name.get(v) or sympy.Symbol(v, real=True) for v in self.variables)
        self.n = len(self.variables)
        if self._callable is not None:
            self.expr = _trace(self._callable, self.symbols)
            free = self.expr.free_symbols if self.expr is not None else set()
        if self.expr is not None:
            self._check_expression(free)

    # -- construction helpers ------------------------------------------------------------------
    def _variables(self, variables: Sequence[str] | str | None, free: set) -> tuple[str, ...]:
        if isinstance(variables, str):
            variables = [v.strip() for v in variables.split(",") if v.strip()]
        if variables is None:
            if self.expr is not None:
                names = sorted(s.name for s in free)
            else:
                names = list(inspect.signature(self._callable).parameters)
            if not names:
                raise InputError("the function has no variables; give variables=[...] explicitly")
            return tuple(names)
        names = tuple(str(v) for v in variables)
        for name in names:
            if not _IDENTIFIER.fullmatch(name):
                raise InputError(f"'{name}' is not a valid variable name")
        if len(set(names)) != len(names):
            repeated = sorted({n for n in names if names.count(n) > 1})
            raise InputError(f"variables are repeated: {', '.join(repeated)}")
        if not names:
            raise InputError("the function has no variables; give variables=[...] explicitly")
        return names

    def _check_expression(self, free: set) -> None:
        known = set(self.symbols)
        extra = sorted(s.name for s in free if s not in known)
        if extra:
            raise InputError(f"the expression uses {', '.join(repr(e) for e in extra)}, which "
                             f"{'is' if len(extra) == 1 else 'are'} not among the variables "
                             f"({', '.join(self.variables)})")

    def __repr__(self) -> str:
        return f"Function({self.text!r}, variables={list(self.variables)})"

    # -- evaluation ------------------------------------------------------------------------------
    @property
    def has_expression(self) -> bool:
        return self.expr is not None

    @property
    def stable(self) -> sympy.Expr:
        """The expression in stable form (``stable.rewrite``): what is compiled and differentiated."""
        if self.caches.stable is None:
            if self.expr is None:
                raise InputError(NEEDS_EXPRESSION)
            self.caches.stable = rewrite(self.expr)
        return self.caches.stable

    @property
    def compiled(self):
        """The compiled NumPy value function (with ``singular``'s branches once ``methods.symbolic`` is
        loaded, which ``import difflab`` does); compiled once and cached."""
        fn = self.caches.compiled.get((0, "numpy"))
        if fn is None:
            fn = self.caches.compiled[0, "numpy"] = _value_compiler[0](self)
        return fn

    def numpy(self, *args):
        """Vectorized value: one argument per variable, broadcast together."""
        if self.expr is None:
            return self._callable(*args)
        return self.compiled(*args)

    def batch(self, X: np.ndarray) -> np.ndarray:
        """Values at the rows of ``X`` (shape (m, n)); complex ``X`` is allowed for the complex step."""
        X = np.asarray(X)
        if self.expr is None:
            return np.asarray([self._callable(*row) for row in X])
        return np.asarray(self.compiled(*[X[:, i] for i in range(self.n)]))

    @property
    def _ops(self) -> Callable[..., Any]:
        if self._callable is not None:
            return self._callable
        if self.caches.ops is None:
            self.caches.ops = to_ops(self.expr, self.symbols)
        return self.caches.ops

    def ops(self, v):
        """The function over ``difflab.numpy`` taking one vector ``v`` (array, dual or tape node)."""
        return self._ops(*[v[i] for i in range(self.n)])

    def value(self, x) -> float:
        return self.value_at(self.point(x))

    def value_at(self, point: np.ndarray) -> float:
        """f at a point already validated by ``point`` (no second check, no broadcasting)."""
        if self.expr is None:
            return float(np.real(self._callable(*point)))
        return float(np.real(self.compiled.at(point)))

    # -- validation ------------------------------------------------------------------------------
    def point(self, x: Any) -> np.ndarray:
        """Validate a point (dict, sequence, scalar when n == 1, or text "x=1,y=2") -> float array (n,)."""
        return parse_point(x, self.variables)


def parse_point(x: Any, variables: Sequence[str]) -> np.ndarray:
    """The one place where points are validated; every message here is asserted by a test."""
    n = len(variables)
    if type(x) is np.ndarray and x.dtype.kind == "f" and x.shape == (n,) and np.isfinite(x).all():
        return x.astype(float, copy=True)  # already numbers: the common call from code, checked at C speed
    names = ", ".join(variables)
    if isinstance(x, str):
        x = _point_text(x, variables)
    if isinstance(x, Mapping):
        for key in x:
            if key not in variables:
                raise InputError(f"unknown variable '{key}' (variables: {names})")
        missing = [v for v in variables if v not in x]
        if missing:
            raise InputError(f"missing value for variable '{missing[0]}' (variables: {names})")
        values = [(v, x[v]) for v in variables]
    else:
        if isinstance(x, numbers.Number) or (isinstance(x, np.ndarray) and x.ndim == 0):
            x = [x]
        try:
            seq = list(np.asarray(x, dtype=object).ravel()) if isinstance(x, np.ndarray) else list(x)
        except TypeError:
            raise InputError(f"a point must be numbers for {names}, not {type(x).__name__}") from None
        if len(seq) != n:
            raise InputError(f"expected {n} value{'s' * (n != 1)} ({names}), got {len(seq)}")
        values = list(zip(variables, seq, strict=True))
    out = np.empty(n)
    for i, (name, value) in enumerate(values):
        out[i] = _number(name, value)
    return out


def _number(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real | str | np.generic):
        raise InputError(f"value for '{name}' is not a number: {value!r}")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise InputError(f"value for '{name}' is not a number: {value!r}") from None
    if not math.isfinite(number):
        raise InputError(f"value for '{name}' is not finite: {value!r}")
    return number


def _point_text(text: str, variables: Sequence[str]) -> dict[str, str] | list[str]:
    """Parse "x=1,y=-2" (or "1,-2" in variable order) without evaluating anything."""
    parts = [p.strip() for p in re.split(r"[,;]", text) if p.strip()]
    if not parts:
        raise InputError(f"empty point; give values like {'='.join([variables[0], '1.0'])}")
    if all("=" not in p for p in parts):
        return parts
    out: dict[str, str] = {}
    for part in parts:
        key, sep, value = part.partition("=")
        key = key.strip()
        if not sep or not key:
            raise InputError(f"cannot read '{part}' in the point; write name=value, e.g. x=1.5")
        if key in out:
            raise InputError(f"variable '{key}' is given twice in the point")
        out[key] = value.strip()
    return out


def _trace(fn: Callable[..., Any], symbols: Sequence[sympy.Symbol]) -> sympy.Expr | None:
    """Run a callable on SymPy symbols through difflab.numpy; None when the code is not traceable."""
    try:
        out = fn(*symbols)
    except (DifflabError, TypeError, ValueError, AttributeError, IndexError, NotImplementedError,
            AssertionError, ZeroDivisionError, RecursionError):
        return None
    if isinstance(out, sympy.Expr) and not isinstance(out, sympy.logic.boolalg.Boolean):
        return out
    if isinstance(out, numbers.Real):
        return sympy.Float(out)
    return None
