"""Vector-valued functions F: R^n -> R^m, written ``"[x*y, sin(x) + y**2]"``, as a list of SymPy
expressions (or texts), or as a Python function returning an array.

Each component is a scalar ``Function`` over the *same* variables, so everything a scalar already has
(removable points compiled exactly, poles and kinks in words, the mpmath reference, the stable form)
applies per component; a Jacobian row is a component's gradient.  Opaque Python code that cannot be
traced stays one callable: the AD engines and finite differences differentiate it, the symbolic
route and the reference need expressions and say so.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import sympy

import difflab.numpy as dnp
from difflab.errors import DifflabError, InputError, ParseError
from difflab.expr.function import Function, install_vector_constructor, parse_point
from difflab.expr.parse import parse_expr_safe


def split_components(text: str) -> list[tuple[int, str]]:
    """``"[a, f(b, c)]"`` -> ``[(offset, "a"), (offset, " f(b, c)")]``: commas at bracket depth 1 only."""
    body = text.strip()
    start = text.index("[") + 1
    if not body.endswith("]"):
        raise ParseError("a vector of expressions must end with ']'", text, len(text.rstrip()) - 1)
    parts, depth, begin = [], 0, start
    for i in range(start, len(text.rstrip()) - 1):
        c = text[i]
        if c in "([":
            depth += 1
        elif c in ")]":
            depth -= 1
        elif c == "," and depth == 0:
            parts.append((begin, text[begin:i]))
            begin = i + 1
    parts.append((begin, text[begin:len(text.rstrip()) - 1]))
    if parts[-1][1].strip() == "" and len(parts) > 1:
        parts.pop()  # a trailing comma, as Python allows
    for offset, part in parts:
        if not part.strip():
            raise ParseError("empty component in the vector", text, offset)
    return parts


def is_vector_source(source: Any) -> bool:
    """Text in brackets, a list/tuple of expressions, or a SymPy matrix: a vector-valued function."""
    if isinstance(source, str):
        return source.strip().startswith("[")
    if isinstance(source, sympy.MatrixBase):
        return True
    return isinstance(source, (list, tuple))


_LIST = "lists are not allowed"  # the safe parser's word for a well-formed list: then split it


def _parse_text(text: str, let: Mapping[str, str] | None) -> list[sympy.Expr]:
    """The whole text goes through the safe parser first: anything but a plain list (a comprehension, a
    syntax error) gets the parser's own message and position; a list is parsed component by component."""
    try:
        parse_expr_safe(text)
    except ParseError as err:
        if err.reason != _LIST:
            raise
    exprs = []
    for offset, part in split_components(text):
        try:
            exprs.append(parse_expr_safe(part, let))
        except ParseError as err:
            position = None if err.position is None else err.position + offset
            raise ParseError(err.reason, text, position, err.hint) from None
    return exprs


class VectorFunction:
    """F: R^n -> R^m: m scalar components over one list of variables (``components`` when traceable)."""

    def __init__(self, source: str | Sequence | sympy.MatrixBase | Callable[..., Any],
                 variables: Sequence[str] | str | None = None, let: Mapping[str, str] | None = None):
        self._callable: Callable[..., Any] | None = None
        exprs: list[sympy.Expr] | None
        if isinstance(source, str):
            self.text = source.strip()
            exprs = _parse_text(source, let)
        elif isinstance(source, sympy.MatrixBase):
            exprs = list(source)
            self.text = "[" + ", ".join(str(e) for e in exprs) + "]"
        elif isinstance(source, (list, tuple)):
            exprs = [parse_expr_safe(e, let) if isinstance(e, str) else _number(e) for e in source]
            for e in exprs:
                if not isinstance(e, sympy.Expr):
                    raise InputError(f"a vector component must be expression text or a SymPy expression, "
                                     f"not {type(e).__name__}")
            self.text = "[" + ", ".join(str(e) for e in exprs) + "]"
        elif callable(source):
            self._callable = source
            self.text = getattr(source, "__name__", "function")
            names = variables or list(inspect.signature(source).parameters)
            exprs = _trace_vector(source, names)
        else:
            raise InputError(f"a vector-valued Function needs '[f1, f2, ...]' text, a list of expressions or "
                             f"a callable, not {type(source).__name__}")
        if exprs is not None and not exprs:
            raise InputError("a vector-valued function needs at least one component")
        if variables is None and exprs is not None:
            variables = sorted({s.name for e in exprs for s in e.free_symbols})
            if not variables:
                raise InputError("the function has no variables; give variables=[...] explicitly")
        elif variables is None:
            variables = list(inspect.signature(source).parameters)
        probe = Function("0", variables=variables)  # validates the names with Function's messages
        self.variables = probe.variables
        self.n = len(self.variables)
        self.components: tuple[Function, ...] | None = None
        if exprs is not None:
            self.components = tuple(Function(e, variables=self.variables) for e in exprs)
            self.symbols = self.components[0].symbols
        else:
            self.symbols = probe.symbols
        self._m = None if self.components is None else len(self.components)

    def __repr__(self) -> str:
        return f"Function({self.text!r}, variables={list(self.variables)})"

    @property
    def has_expression(self) -> bool:
        return self.components is not None

    @property
    def m(self) -> int:
        """Number of components (an opaque callable is evaluated once at 1, 1, ... to find it)."""
        if self._m is None:
            self._m = int(np.size(self._callable(*np.ones(self.n))))
        return self._m

    def point(self, x: Any) -> np.ndarray:
        return parse_point(x, self.variables)

    def numpy(self, *args) -> np.ndarray:
        """Values (m,) at one point, or (m, ...) broadcast over array arguments."""
        if self.components is None:
            return np.asarray(self._callable(*args), dtype=complex if _any_complex(args) else float)
        return np.array([np.broadcast_to(c.numpy(*args), np.broadcast(*args).shape) for c in self.components])

    def value(self, x: Any) -> np.ndarray:
        return np.real(np.reshape(self.numpy(*self.point(x)), (-1,)))

    def batch(self, X: np.ndarray) -> np.ndarray:
        """Values at the rows of ``X`` (p, n) -> (p, m); complex X for the complex step."""
        X = np.asarray(X)
        if self.components is None:
            return np.array([np.reshape(self._callable(*row), (-1,)) for row in X])
        return np.stack([np.broadcast_to(c.batch(X), (X.shape[0],)) for c in self.components], axis=1)

    def component(self, i: int) -> Function:
        """Component i as a scalar Function (for gradients, the reference and the singularity analysis)."""
        if not 0 <= i < self.m:
            raise InputError(f"component {i} does not exist; the function has {self.m} components "
                             f"(0..{self.m - 1})")
        if self.components is not None:
            return self.components[i]
        fn = self._callable

        def part(*args):
            return fn(*args)[i]
        part.__name__ = f"{self.text}[{i}]"
        return Function(part, variables=self.variables)

    def ops(self, v):
        """F over ``difflab.numpy`` of one vector v: the components stacked (duals, tape nodes, series)."""
        if self.components is None:
            out = self._callable(*[v[i] for i in range(self.n)])
            return dnp.stack(list(out)) if isinstance(out, (list, tuple)) else out
        return dnp.stack([c.ops(v) for c in self.components])


def _number(e: Any) -> Any:
    """A Python number as a SymPy number (anything else is returned for the caller to check)."""
    if isinstance(e, bool) or not isinstance(e, (int, float)):
        return e
    return sympy.Integer(e) if isinstance(e, int) else sympy.Float(e)


def _any_complex(args) -> bool:
    return any(np.iscomplexobj(a) for a in args)


def _trace_vector(fn: Callable[..., Any], names: Sequence[str]) -> list[sympy.Expr] | None:
    """Components as SymPy expressions when ``fn`` runs on symbols and returns a sequence of them."""
    symbols = [sympy.Symbol(str(n), real=True) for n in names]
    try:
        out = fn(*symbols)
    except (DifflabError, TypeError, ValueError, AttributeError, IndexError, NotImplementedError,
            AssertionError, ZeroDivisionError, RecursionError):
        return None
    vector = isinstance(out, (list, tuple, np.ndarray))
    items = list(np.asarray(out, dtype=object).ravel()) if vector else None
    if items is None or not all(isinstance(e, (sympy.Expr, int, float)) for e in items):
        return None
    return [_number(e) for e in items]


def returns_vector(fn: Callable[..., Any]) -> bool:
    """Does a Python function return several values? (traced on symbols, else run at 1, 1, ...)."""
    names = list(inspect.signature(fn).parameters)
    traced = _trace_vector(fn, names)
    if traced is not None:
        return True
    try:
        out = fn(*[sympy.Symbol(n, real=True) for n in names])
        if isinstance(out, sympy.Expr):
            return False
    except Exception:  # noqa: BLE001 -- any failure on symbols: decide numerically below
        pass
    try:
        return np.size(fn(*np.ones(len(names)))) > 1
    except Exception:  # noqa: BLE001 -- user code that fails here fails again, with its own error, later
        return False


def _construct(source: Any, variables: Any, let: Any) -> VectorFunction | None:
    """What ``Function(source)`` builds when the source is vector-valued (installed into Function)."""
    if is_vector_source(source) or (callable(source) and not isinstance(source, (str, sympy.Basic))
                                    and returns_vector(source)):
        return VectorFunction(source, variables, let)
    return None


install_vector_constructor(_construct)
