"""Turning SymPy expressions into callables: NumPy (fast), difflab.numpy (for the AD engines), mpmath.

This is the only module that calls ``lambdify``. Why one place: the generated source is kept (``--verbose``
shows it), integer inputs are cast to float once, constant derivatives are broadcast to the input shape,
and the mapping of difflab's fused SymPy functions (sigmoid, softplus, ...) to their stable NumPy and
mpmath twins is made from the rule table in one spot.

``to_ops`` does not generate source: it flattens the expression DAG into a list of instructions once
(shared subexpressions become one instruction, i.e. common-subexpression elimination for free) and runs
them on whatever the inputs are -- floats, arrays, dual numbers or tape nodes -- through the table's
differentiable operations (the ones ``difflab.numpy`` exports). No engine needs to know SymPy.
"""

from __future__ import annotations

import inspect
import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np
import sympy

from difflab.errors import InputError
from difflab.expr.constants import inexact_big, numeric_constants
from difflab.expr.stable import numeric_form, rewrite
from difflab.primitives.heads import mpmath_namespace, numpy_namespace, ops_table


@dataclass(frozen=True)
class Branch:
    """Where variable ``index`` is within ``radius`` of ``center``, the outputs come from ``evaluate``.

    ``evaluate(h)`` receives ``h = v - center`` (1-D, only the masked entries; the center is kept as a
    double-double ``center + center_lo`` so ``h`` is exact near an irrational point like pi) and returns
    the outputs in the same layout as the compiled function (a list when ``outputs`` > 0). ``radius`` 0
    means the exact point only. Why masks: the ordinary formula is evaluated only where no branch
    applies, so the 0/0 at the point is never computed and nothing is evaluated twice (unlike
    ``numpy.select`` over every branch).
    """

    index: int
    center: float
    radius: float
    evaluate: Callable[[np.ndarray], object]
    description: str
    center_lo: float = 0.0

    def mask(self, flat: list[np.ndarray]) -> np.ndarray:
        """Which entries this branch takes; radius 0 is the point within 4 ulps (pi/2 is no double)."""
        v = flat[self.index]
        if self.radius == 0:
            if not self.center_lo:
                return v == self.center
            return np.abs(v - self.center) <= 4 * np.finfo(float).eps * max(1.0, abs(self.center))
        if v.dtype.kind == "c":
            return np.abs(v - self.center) < self.radius
        # two comparisons on the inputs: no float temporaries for the common all-outside case
        return (v > self.center - self.radius) & (v < self.center + self.radius)

    def run(self, flat: list[np.ndarray], m: np.ndarray):
        return self.evaluate((flat[self.index][m] - self.center) - self.center_lo)


@dataclass(frozen=True)
class Region:
    """A branch of several variables: where ``select(inputs)`` holds, the outputs come from
    ``evaluate(inputs)`` (both get one flat array per variable; ``evaluate`` only the selected entries)
    in the compiled function's layout. ``singular.several`` builds them near removable singular sets."""

    select: Callable[[list[np.ndarray]], np.ndarray]
    evaluate: Callable[[list[np.ndarray]], object]
    description: str

    def mask(self, flat: list[np.ndarray]) -> np.ndarray:
        return self.select(flat)

    def run(self, flat: list[np.ndarray], m: np.ndarray):
        return self.evaluate([a[m] for a in flat])


@dataclass(frozen=True)
class Compiled:
    """A compiled NumPy function of the variables and the source lambdify generated for it."""

    fn: Callable[..., object]
    source: str
    outputs: int           # 0 for a scalar expression, else the length of the list compiled
    branches: tuple[Branch | Region, ...] = ()

    def __call__(self, *args):
        arrays = [_as_float(a) for a in args]
        shape = np.broadcast_shapes(*(np.shape(a) for a in arrays)) if arrays else ()
        if self.branches:
            masked = self._masked(arrays, shape)
            if masked is not None:
                return masked
        with np.errstate(all="ignore"):
            out = self.fn(*arrays)
        if self.outputs:
            return [_broadcast(o, shape) for o in out]
        return _broadcast(out, shape)

    def at(self, point: np.ndarray) -> np.ndarray | float:
        """The value at one validated point (a 1-D float array, one entry per variable): the generated
        function called on its entries, the outputs gathered into one float array -- no per-argument
        conversion or broadcasting, which cost more than the arithmetic for a gradient of 100 entries."""
        if self.branches:
            out = self(*point)
            return np.array(out, dtype=float).ravel() if self.outputs else out
        with np.errstate(all="ignore"):
            try:  # Python floats first: their arithmetic is several times cheaper than NumPy scalars'
                out = self.fn(*point.tolist())
                return np.array(out, dtype=float) if self.outputs else float(out)
            except (ArithmeticError, TypeError, ValueError):
                pass  # 1/0.0, an overflowing **, a complex power of a negative: NumPy's inf/nan rules
            out = self.fn(*point)
        return np.array(out, dtype=float) if self.outputs else out

    def with_branches(self, branches: Sequence[Branch | Region]) -> Compiled:
        """The same function with masked branches (shown in ``source`` as comments)."""
        if not branches:
            return self
        notes = "".join(f"# branch: {b.description}\n" for b in branches)
        return replace(self, branches=tuple(branches), source=notes + self.source)

    def _masked(self, arrays: list, shape: tuple):
        """Evaluate with the branches; None when no input falls in any branch (the common case)."""
        flat = [np.broadcast_to(a, shape).reshape(-1) for a in arrays]
        masks = []
        hit = None
        for b in self.branches:
            m = b.mask(flat)
            masks.append((b, m))
            hit = m if hit is None else hit | m
        if hit is None or not hit.any():
            return None
        dtype = np.result_type(*flat, np.float64)
        count = self.outputs or 1
        outs = [np.empty(hit.shape, dtype=dtype) for _ in range(count)]
        rest = ~hit
        if rest.any():
            with np.errstate(all="ignore"):
                got = self.fn(*[a[rest] for a in flat])
            self._store(outs, rest, got)
        taken = np.zeros_like(hit)
        for b, m in masks:
            m = m & ~taken
            if m.any():
                with np.errstate(all="ignore"):
                    self._store(outs, m, b.run(flat, m))
                taken |= m
        outs = [o.reshape(shape) if o.ndim else o for o in outs]
        outs = [o if o.ndim else o[()] for o in outs]
        return outs if self.outputs else outs[0]

    def _store(self, outs: list, mask: np.ndarray, got) -> None:
        got = got if self.outputs else [got]
        for o, g in zip(outs, got, strict=True):
            o[mask] = np.broadcast_to(np.asarray(g), (int(mask.sum()),))


def _as_float(a):
    """Integers and bools become float64 (integer powers and divisions must not wrap or floor)."""
    arr = np.asarray(a)
    if arr.dtype.kind in "biu":
        return arr.astype(np.float64)
    return arr if arr.ndim else arr[()]


def _broadcast(value, shape):
    value = np.asarray(value)
    if value.shape == tuple(shape):
        return value if value.ndim else value[()]
    return np.broadcast_to(value, shape).copy()


def _numpy_modules() -> list:
    """The rows' NumPy kernels by their SymPy names (they continue |x|, max, min analytically, so
    compiled code is complex-step friendly), then plain NumPy."""
    return [numpy_namespace(), "numpy"]


def _mpmath_modules() -> list:
    return [mpmath_namespace(), "mpmath"]


def _step_derivative(d: sympy.Derivative) -> sympy.Expr:
    """d/dv sign(u) = 2 DiracDelta(u) du/dv (Heaviside: half that), then any further variables."""
    head, (u,) = d.expr.func, d.expr.args
    variables = [v for v, n in d.variable_count for _ in range(n)]
    out = (2 if head is sympy.sign else 1) * sympy.DiracDelta(u) * sympy.diff(u, variables[0])
    return sympy.diff(out, *variables[1:]) if variables[1:] else out


def resolve_derivatives(expr: sympy.Expr) -> sympy.Expr:
    """Evaluate the derivatives SymPy leaves unevaluated, or refuse in words before compiling.

    SymPy does not differentiate sign(u) of a non-symbol u, so a kink under a power (abs(log(y))**1 at
    order 2) left ``Derivative(sign(log(y)), y)``, which no printer compiles. Its value is a delta at the
    kink (0 off it, undefined on it), like every other derivative of a step.
    """
    if not isinstance(expr, sympy.Basic) or not expr.has(sympy.Derivative):
        return expr
    expr = expr.replace(lambda e: isinstance(e, sympy.Derivative) and isinstance(e.expr, (sympy.sign,
                                                                                            sympy.Heaviside))
                        and len(e.expr.args) == 1, _step_derivative)
    left = expr.atoms(sympy.Derivative)
    if left:
        raise InputError(f"SymPy cannot differentiate {sorted(map(str, left))[0]}: no derivative to compile")
    return expr


def compiled_form(expr: sympy.Expr, numeric: bool = True) -> sympy.Expr:
    """What is printed for ``expr``: derivatives resolved, big numbers as doubles, constant calls NumPy
    lacks as their value and (``numeric``) the ``log1p``/``expm1`` forms of ``stable.numeric_form``."""
    expr = resolve_derivatives(expr)
    return numeric_constants(inexact_big(numeric_form(expr) if numeric else expr))


def to_numpy(expr: sympy.Expr | Sequence[sympy.Expr], symbols: Sequence[sympy.Symbol],
             cse: bool = True) -> Compiled:
    """Compile an expression (or a list of them, sharing subexpressions) to a vectorized NumPy function."""
    many = isinstance(expr, list | tuple)
    body = [compiled_form(e) for e in expr] if many else compiled_form(expr)
    modules = _numpy_modules()
    printer = _numpy_printer(modules) if len(symbols) > SORTED_TERMS_UP_TO else None
    fn = sympy.lambdify(list(symbols), body, modules=modules, cse=shared_subexpressions if cse else False,
                        printer=printer)
    return Compiled(fn, _source(fn), len(expr) if many else 0)


SORTED_TERMS_UP_TO = 32  # variables; above, the terms of a sum are printed as stored (see _numpy_printer)


def _numpy_printer(modules: list):
    """SymPy's NumPy printer with the terms of a sum printed as stored. Why: sorting them for display (the
    default) costs O(terms x variables) per sum -- quadratic for a sum over many variables (most of the
    compile of the extended Rosenbrock function at n = 1000). The stored order is canonical too, but it
    sums in another order, so functions of few variables keep the display order (and their last bits)."""
    from sympy.printing.numpy import NumPyPrinter  # SymPy's own printer module, loaded by lambdify anyway

    return NumPyPrinter({"fully_qualified_modules": False, "inline": True, "allow_unknown_functions": True,
                         "user_functions": {k: k for k in modules[0]}, "order": "none"})


def program_to_numpy(program: Sequence[tuple[sympy.Symbol, sympy.Expr]], outputs: Sequence[sympy.Expr],
                     symbols: Sequence[sympy.Symbol]) -> Compiled:
    """A straight-line program -- temporaries assigned in order, then the outputs -- compiled like
    ``to_numpy`` (stable numeric forms, big numbers as doubles), e.g. ``adjoint``'s reverse sweep."""
    steps = [(t, compiled_form(e)) for t, e in program]
    outs = [compiled_form(e) for e in outputs]
    modules = _numpy_modules()
    fn = sympy.lambdify(list(symbols), outs, modules=modules, cse=lambda _: (steps, outs),
                        printer=_numpy_printer(modules))
    return Compiled(fn, _source(fn), len(outs))


def to_mpmath(expr: sympy.Expr | Sequence[sympy.Expr], symbols: Sequence[sympy.Symbol]) -> Callable:
    """Compile to an mpmath function; the caller sets ``mpmath.mp.dps`` (see reference.py)."""
    many = isinstance(expr, list | tuple)
    body = [resolve_derivatives(e) for e in expr] if many else resolve_derivatives(expr)
    return sympy.lambdify(list(symbols), body, modules=_mpmath_modules(), cse=shared_subexpressions)


def shared_subexpressions(exprs):
    """Common-subexpression elimination in linear time: every subexpression that occurs more than once
    (structurally equal SymPy nodes hash alike) becomes one temporary, computed once.

    Why not ``sympy.cse``: its optimisation passes and tree matching took 1.4 s of the 3.3 s compile of
    the extended Rosenbrock gradient at n = 100 and grow faster than the expression; the derivatives
    built by ``expr.derivatives`` already share their repeated pieces as identical nodes, which is all
    this needs to find. Same signature as ``sympy.cse`` for ``lambdify(cse=...)``: (replacements,
    reduced expressions). Only expression nodes are replaced (conditions of a Piecewise stay whole).
    """
    many = isinstance(exprs, list | tuple)
    roots = list(exprs) if many else [exprs]
    count: dict[sympy.Basic, int] = {}
    order: list[sympy.Basic] = []
    stack: list[tuple[sympy.Basic, bool]] = [(e, False) for e in reversed(roots)]
    while stack:
        node, done = stack.pop()
        if done:
            order.append(node)
            continue
        if not isinstance(node, sympy.Expr) or node.is_Atom or not node.args:
            continue
        seen = count.get(node, 0)
        count[node] = seen + 1
        if not seen:
            stack.append((node, True))
            stack.extend((a, False) for a in reversed(node.args))
    taken = {s.name for e in roots if isinstance(e, sympy.Basic) for s in e.free_symbols}
    names = (f"x{k}" for k in itertools.count())  # as sympy.cse names them (skipping the variables)
    new: dict[sympy.Basic, sympy.Basic] = {}
    replacements = []
    for node in order:
        args = node.args
        changed = [new.get(a, a) for a in args]
        rebuilt = node.func(*changed) if any(c is not a for c, a in zip(changed, args, strict=True)) else node
        if count[node] > 1:
            name = next(names)
            while name in taken:
                name = next(names)
            temp = sympy.Symbol(name)
            replacements.append((temp, rebuilt))
            new[node] = temp
        elif rebuilt is not node:
            new[node] = rebuilt
    reduced = [new.get(e, e) for e in roots]
    return replacements, reduced if many else reduced[0]


def _source(fn: Callable) -> str:
    try:
        return inspect.getsource(fn)
    except (OSError, TypeError):
        return "<source unavailable>"


# ---------------------------------------------------------------------------------------------------
# to_ops: the expression as a straight-line program over difflab.numpy


@dataclass(frozen=True)
class OpsProgram:
    """Straight-line program: ``steps[k] = (callable, argument slots)``; slots < n are the inputs."""

    n: int
    constants: tuple[tuple[int, float], ...]
    steps: tuple[tuple[Callable, tuple[int, ...]], ...]
    result: int

    def __call__(self, *args):
        values: list = list(args) + [None] * (len(self.constants) + len(self.steps))
        for slot, c in self.constants:
            values[slot] = c
        base = self.n + len(self.constants)
        for k, (fn, slots) in enumerate(self.steps):
            values[base + k] = fn(*[values[s] for s in slots])
        return values[self.result]


def to_ops(expr: sympy.Expr, symbols: Sequence[sympy.Symbol]) -> OpsProgram:
    """Flatten ``expr`` into a program over difflab.numpy (runs on floats, arrays, duals, tape nodes).

    The expression is first put in stable form (``stable.rewrite``: softplus, sigmoid, log_sigmoid for
    their overflowing compositions; ``log1p``/``expm1``), so the AD engines differentiate the stable
    formula and ``log(1 + exp(x))`` has derivative 1, not nan, at x = 1000.
    """
    expr = numeric_form(rewrite(expr)) if isinstance(expr, sympy.Expr) else expr

    table = ops_table()
    slots: dict[sympy.Basic, int] = {s: i for i, s in enumerate(symbols)}
    constants: list[tuple[sympy.Basic, float]] = []
    steps: list[tuple[Callable, tuple[int, ...], sympy.Basic]] = []

    numbers = sorted({a for a in sympy.preorder_traversal(expr) if a.is_number and not a.free_symbols},
                     key=sympy.default_sort_key)
    for number in numbers:
        constants.append((number, float(number.evalf(20))))

    def visit(node: sympy.Basic) -> int:
        if node in slots:
            return slots[node]
        if node.is_number:
            raise AssertionError("numbers are placed in constants")
        args = [visit(a) for a in node.args]
        fn = _op_for(node, table)
        slots[node] = len(symbols) + len(constants) + len(steps)
        steps.append((fn, tuple(args), node))
        return slots[node]

    for c, _ in constants:
        slots[c] = len(symbols) + constants.index((c, _))
    if expr.is_number:
        result = slots[expr]
    else:
        for free in expr.free_symbols - set(symbols):
            raise ValueError(f"symbol {free} is not among the variables")
        result = visit(expr)
    const_slots = tuple((len(symbols) + i, v) for i, (_, v) in enumerate(constants))
    return OpsProgram(len(symbols), const_slots, tuple((f, a) for f, a, _ in steps), result)


def _op_for(node: sympy.Basic, table: dict) -> Callable:
    """The differentiable operation of one SymPy node (n-ary Add/Mul/Max/Min are folded pairwise)."""
    fn = table.get(node.func)
    if fn is None:
        name = getattr(node.func, "__name__", str(node.func))
        raise ValueError(f"no difflab.numpy operation for SymPy function '{name}'")
    return fn
