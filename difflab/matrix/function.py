"""``ArrayFunction``: a function of named vectors and matrices, differentiated at the array level.

``dl.Function("0.25*sum((A@x)**4) + 0.5*sum(x**2)", shapes={"A": "n,n", "x": "n"}, wrt="x")`` builds
one of these: names with a shape are arrays, every other name a real scalar. Its derivatives are
formulas (``formula("gradient")`` is ``A.T @ (A @ x)**3 + x``), derived once for every size, compiled to
NumPy and evaluated on data given as ``{"A": A, "x": x}``. Sizes may be names (``"m,n"``): they are read
from the data, which must agree on them.

Data are validated here and only here, with exact messages (tests assert them).
"""

from __future__ import annotations

import math
import numbers
import re
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

import difflab.numpy as dnp
from difflab.errors import InputError
from difflab.expr.function import Function, FunctionCaches
from difflab.matrix import algebra as a
from difflab.matrix import derive
from difflab.matrix.algebra import Node, Shape, free_names
from difflab.matrix.contract import Contraction, NotLinear
from difflab.matrix.parse import parse_array, parse_shape
from difflab.matrix.printer import formula
from difflab.matrix.program import Program, compile_program, evaluate

KINDS = ("value", "gradient", "jacobian", "hessian")
DIRECTIONAL = {"gradient": "jvp", "hessian": "hvp"}  # a derivative -> its action on a direction
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class ArrayFunction(Function):
    """An expression over named arrays, with derivatives as array formulas (see module docstring)."""

    is_array = True

    def __init__(self, source: str, variables=None, let: Mapping[str, str] | None = None, *,
                 shapes: Mapping[str, Any] | None = None, wrt: str | None = None):
        if not isinstance(source, str):
            raise InputError(f"an array Function needs expression text, not {type(source).__name__}")
        if let:
            raise InputError("let= abbreviations cannot be combined with shapes=")
        if not isinstance(shapes, Mapping):
            raise InputError("shapes= must map array names to shapes, e.g. {'A': (3, 3), 'x': (3,)}")
        for name in shapes:
            if not isinstance(name, str) or not _IDENTIFIER.fullmatch(name):
                raise InputError(f"'{name}' is not a valid array name")
        self.caches = FunctionCaches()  # declared by Function; the scalar caches stay empty here
        self.shapes: dict[str, Shape] = {name: parse_shape(name, v) for name, v in shapes.items()}
        self.text = source.strip()
        self.node = parse_array(source, self.shapes)
        self.inputs: dict[str, Shape] = dict(sorted(free_names(self.node).items()))
        if wrt is None and variables is not None:
            wrt = variables if isinstance(variables, str) else ",".join(variables)
        self.wrt = self._choose_wrt(wrt)
        self.var = a.sym(self.wrt, self.inputs[self.wrt])
        # what scalar-route code reads from a Function: it never sees an expression or a callable
        self.expr, self._callable, self.symbols = None, None, ()
        self.variables = (self.wrt,)
        self.n = math.prod(d for d in self.var.shape if isinstance(d, int)) if all(
            isinstance(d, int) for d in self.var.shape) else None
        self._derived: dict[str, Node | None] = {}
        self._programs: dict[str, Program | Contraction | None] = {}

    def _choose_wrt(self, wrt: str | None) -> str:
        names = ", ".join(self.inputs)
        if wrt is None:
            if len(self.inputs) != 1:
                raise InputError(f"say which input to differentiate with respect to: wrt=... (inputs: "
                                 f"{names})")
            return next(iter(self.inputs))
        if isinstance(wrt, str) and wrt.strip() in self.shapes and wrt.strip() not in self.inputs:
            # declared but unused: f is constant in it, and its derivatives are zero formulas
            self.inputs = dict(sorted({**self.inputs, wrt.strip(): self.shapes[wrt.strip()]}.items()))
        if not isinstance(wrt, str) or wrt.strip() not in self.inputs:
            raise InputError(f"wrt={wrt!r} does not appear in the expression (inputs: {names})")
        return wrt.strip()

    def __repr__(self) -> str:
        shapes = ", ".join(f"{k}: {a.shape_text(v)}" for k, v in self.inputs.items())
        return f"Function({self.text!r}, shapes={{{shapes}}}, wrt={self.wrt!r})"

    # -- formulas -------------------------------------------------------------------------------------
    @property
    def direction(self) -> Node:
        """The direction ``V`` of a directional form ``H[V]`` / ``J[V]`` (a name not already used)."""
        name = next(n for n in (f"d{self.wrt}", "V", f"d{self.wrt}_", "V_") if n not in self.inputs)
        return a.sym(name, self.var.shape)

    def derivative(self, kind: str) -> Node | None:
        """The IR of ``kind``; ``None`` for a derivative without matrix form (see ``formula``)."""
        if kind not in self._derived:
            self._derived[kind] = self._derive(kind)
        return self._derived[kind]

    def _derive(self, kind: str) -> Node | None:
        if kind == "value":
            return self.node
        if kind in ("gradient", "jacobian"):
            if not self.node.shape:
                return derive.gradient(self.node, self.var)
            try:
                return derive.jacobian(self.node, self.var)
            except derive.NotMatrixForm:
                return None
        if kind == "hessian":
            self._scalar_only("Hessian")
            try:
                return derive.jacobian(self.derivative("gradient"), self.var)
            except derive.NotMatrixForm:
                return None
        if kind in DIRECTIONAL.values():
            of = self.derivative("gradient") if kind == "hvp" else self.node
            if kind == "hvp":
                self._scalar_only("Hessian")
            return derive.directional(of, self.var, self.direction)
        raise InputError(f"unknown formula '{kind}'; choose one of: {', '.join(KINDS)}")

    def directional(self, kind: str) -> str:
        """The kind whose formula is ``kind``'s action on a direction (``hessian`` -> ``hvp``)."""
        return DIRECTIONAL["gradient" if kind == "jacobian" else kind]

    def _scalar_only(self, what: str) -> None:
        if self.node.shape:
            raise InputError(f"the {what} needs a scalar expression; this one has shape "
                             f"{a.shape_text(self.node.shape)}")

    def formula(self, kind: str = "gradient") -> str:
        """The derivative as text in array notation (parseable back as a Function).

        A Hessian with respect to a matrix is a 4-index tensor, and so is the Jacobian of a vector with
        respect to a matrix: each is given as its action on a direction ``V`` shaped like the variable,
        ``H[V] = ...`` or ``J[V] = ...``; ``source`` shows the einsum calls that evaluate all of it.
        """
        node = self.derivative(kind)
        identity = "eye" if "I" in self.inputs else "I"
        if node is None:
            letter = "H" if kind == "hessian" else "J"
            return f"{letter}[{self.direction.data}] = " \
                   f"{formula(self.derivative(self.directional(kind)), identity)}"
        return formula(node, identity)

    def program(self, kind: str) -> Program:
        """The compiled NumPy program of ``kind``; for a derivative in directional form, of its action
        on one direction (the direction one more input)."""
        if kind not in self._programs:
            node = self.derivative(kind)
            names = list(self.inputs)
            if node is None:
                node = self.derivative(self.directional(kind))
                names.append(self.direction.data)
            self._programs[kind] = compile_program([node], names, kind)
        return self._programs[kind]

    def source(self, kind: str) -> str:
        """The generated code of ``kind`` as ``--verbose`` shows it: what ``evaluate`` runs."""
        if self.derivative(kind) is None and self.contraction(kind) is not None:
            return self.contraction(kind).source
        return self.program(kind).source

    # -- data -----------------------------------------------------------------------------------------
    def bind(self, data: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, int]]:
        """Validate data for the inputs -> (float arrays by name, sizes by name)."""
        names = ", ".join(self.inputs)
        if not isinstance(data, Mapping):
            raise InputError(f"data must map each input to its value ({names}), not "
                             f"{type(data).__name__}")
        for key in data:
            if key not in self.inputs:
                raise InputError(f"unknown input '{key}' (inputs: {names})")
        env: dict[str, Any] = {}
        dims: dict[str, int] = {}
        owner: dict[str, str] = {}
        for name, shape in self.inputs.items():
            if name not in data:
                raise InputError(f"missing value for '{name}' (inputs: {names})")
            value = _numbers(name, data[name])
            if value.ndim != len(shape):
                raise InputError(f"'{name}' must have shape {a.shape_text(shape)}, got "
                                 f"{a.shape_text(value.shape)}")
            for d, got in zip(shape, value.shape, strict=True):
                if isinstance(d, int) and d != got:
                    raise InputError(f"'{name}' must have shape {a.shape_text(shape)}, got "
                                     f"{a.shape_text(value.shape)}")
                if isinstance(d, str):
                    if d in dims and dims[d] != got:
                        raise InputError(f"size '{d}' is {dims[d]} for '{owner[d]}' but {got} for '{name}'")
                    dims[d], owner[d] = got, name
            env[name] = value if value.ndim else float(value)
        return env, dims

    def evaluate(self, kind: str, data: Mapping[str, Any]) -> np.ndarray:
        """``kind`` at the data, by the compiled formula; a Hessian is shaped ``var.shape * 2``, a
        Jacobian ``value.shape + var.shape``."""
        env, dims = self.bind(data)
        return np.asarray(self.compiled(kind)(env, dims), dtype=float)

    def compiled(self, kind: str) -> Callable[[dict, dict], Any]:
        """``(env, dims) -> kind`` on data already bound (``bind``): what ``evaluate`` runs, without the
        validation (for timing it against hand-written code, or calling it in a loop)."""
        if kind != "value" and self.derivative(kind) is None:
            return lambda env, dims: self._tensor(kind, env, dims)
        program = self.program(kind)
        return lambda env, dims: program(env, dims)[0]

    def contraction(self, kind: str = "hessian") -> Contraction | None:
        """A derivative without matrix form as einsum terms over factor arrays (``contract.py``):
        ``None`` if its directional form falls outside the contraction rules."""
        key = f"{kind}-contraction"
        if key not in self._programs:
            try:
                self._programs[key] = Contraction(self.derivative(self.directional(kind)), self.direction,
                                                  self.inputs, kind)
            except NotLinear:
                self._programs[key] = None
        return self._programs[key]

    def _tensor(self, kind: str, env: dict, dims: dict) -> np.ndarray:
        """The full tensor of a derivative in directional form: the structured contraction, or else
        its action on one basis direction at a time."""
        contraction = self.contraction(kind)
        if contraction is not None:
            return contraction.tensor(env, dims)
        shape = tuple(np.shape(env[self.wrt]))
        size = math.prod(shape)
        program = self.program(kind)
        columns = [np.asarray(program({**env, self.direction.data: d}, dims)[0], dtype=float)
                   for d in np.eye(size).reshape((size,) + shape)]
        return np.moveaxis(np.array(columns), 0, -1).reshape(np.shape(columns[0]) + shape)

    def traced(self, env: dict, dims: dict, roots: tuple[Node, ...] | None = None) -> Callable:
        """``v -> value`` over ``difflab.numpy`` with the variable flattened (what the AD engines take)."""
        roots = roots or (self.node,)
        shape = tuple(np.shape(env[self.wrt]))

        def fn(v):
            x = dnp.reshape(v, shape) if shape else v[0] if np.ndim(v) else v
            return evaluate(roots, {**env, self.wrt: x}, dims, "dnp")[0]
        return fn


def _numbers(name: str, value: Any) -> np.ndarray:
    if isinstance(value, bool) or isinstance(value, str):
        raise InputError(f"value for '{name}' is not numbers: {value!r}")
    try:
        array = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise InputError(f"value for '{name}' is not numbers: {type(value).__name__}") from None
    if isinstance(value, numbers.Complex) and not isinstance(value, numbers.Real):
        raise InputError(f"value for '{name}' is complex; inputs are real")
    if not np.all(np.isfinite(array)):
        raise InputError(f"value for '{name}' has entries that are not finite")
    return array
