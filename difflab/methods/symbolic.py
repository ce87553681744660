"""The symbolic method's compiled derivatives: ``expr.derivatives`` compiled once per Function, with the
masked branches of ``singular`` at removable points (exact limits where the formula is 0/0).

The expressions themselves live in ``expr.derivatives`` (below the singularity analysis, which needs
them); this module is above it. It imports no engine (forward/reverse): the symbolic route stands on its
own. Loading it installs the branch-aware compiler as ``Function.numpy``'s (``import difflab`` does).

The Hessian compiles only its nonzero upper-triangle entries: a sparse problem (the extended Rosenbrock
function: 3n - 2 of n^2 entries) would otherwise generate, and return per call, n(n+1)/2 literal zeros.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from difflab.errors import InputError
from difflab.expr.adjoint import Sweep, hessian_sweep, reverse_sweep
from difflab.expr.compile import Compiled, compiled_form, to_numpy
from difflab.expr.derivatives import (
    compile_exprs,
    compile_hessian_nonzeros,
    derivative_exprs,
    gradient_exprs,
    hessian_exprs,
    stable_expr,
)
from difflab.expr.function import Function, install_value_compiler
from difflab.expr.rounding import U, radius_program, sweep_radius_program
from difflab.singular.analysis import analyze, branches
from difflab.singular.several import regions, singular_sets

__all__ = ["HessianCompiled", "compile_bound", "compile_gradient", "compile_hessian", "compile_value",
           "derivative_exprs", "in_branch", "radius_at",
           "generated_source", "has_branches", "gradient_exprs", "hessian_exprs", "stable_expr", "with_value"]


@dataclass(frozen=True)
class HessianCompiled:
    """The compiled nonzero entries ``(rows[k], cols[k])`` of the Hessian's upper triangle."""

    entries: Compiled
    rows: np.ndarray
    cols: np.ndarray
    n: int

    @property
    def source(self) -> str:
        return self.entries.source

    @property
    def branches(self):
        return self.entries.branches

    def matrix(self, point: np.ndarray) -> np.ndarray:
        """The symmetric (n, n) Hessian at one point."""
        return self.assemble(self.entries.at(point))

    def assemble(self, values: np.ndarray) -> np.ndarray:
        """The symmetric (n, n) matrix from the compiled entries' values."""
        H = np.zeros((self.n, self.n))
        H[self.rows, self.cols] = values
        H[self.cols, self.rows] = values
        return H

    def __call__(self, *args) -> list:
        """Every upper-triangle entry in row order, broadcast over the arguments (zeros included)."""
        values = self.entries(*args)
        shape = np.shape(values[0])
        upper = [np.zeros(shape)[()] for _ in range(self.n * (self.n + 1) // 2)]
        n = self.n
        for r, c, v in zip(self.rows.tolist(), self.cols.tolist(), values, strict=True):
            upper[r * n - r * (r - 1) // 2 + (c - r)] = v
        return upper


def _compile(f: Function, order: int) -> Compiled:
    """Compile with the masked branches of ``singular`` (removable points and sets; none for ordinary f)."""
    base = to_numpy(compile_exprs(f, order), f.symbols)
    return base.with_branches(branches(f, order, base.outputs) + regions(f, order, base.outputs))


def compile_value(f: Function) -> Compiled:
    cache = f.caches.compiled
    if (0, "numpy") not in cache:
        cache[0, "numpy"] = _compile(f, 0)
    return cache[0, "numpy"]


def compile_gradient(f: Function) -> Compiled:
    cache = f.caches.compiled
    if (1, "numpy") not in cache:
        cache[1, "numpy"] = _compile(f, 1)
    return cache[1, "numpy"]


def _hessian_entries(f: Function) -> tuple[list, np.ndarray, np.ndarray]:
    """The nonzero upper-triangle entries and their rows and columns (one entry at least)."""
    exprs, rows, cols = compile_hessian_nonzeros(f)
    return exprs, np.array(rows, dtype=int), np.array(cols, dtype=int)


def compile_hessian(f: Function) -> HessianCompiled:
    cache = f.caches.compiled
    if (2, "numpy") not in cache:
        exprs, rows, cols = _hessian_entries(f)
        base = to_numpy(exprs, f.symbols)
        pairs = list(zip(rows.tolist(), cols.tolist(), strict=True))
        entries = base.with_branches(branches(f, 2, base.outputs) + regions(f, 2, base.outputs, pairs))
        cache[2, "numpy"] = HessianCompiled(entries, rows, cols, f.n)
    return cache[2, "numpy"]


def has_branches(f: Function) -> bool:
    """Whether f has removable points, poles or singular sets (masked branches in its compiled code)."""
    return bool(analyze(f).points or singular_sets(f).factors)


def with_value(f: Function, order: int) -> Compiled | HessianCompiled | None:
    """f and its gradient (order 1) or Hessian entries (order 2) from ONE generated function, f first.

    Why: every Estimate checks f at the point (a derivative can be finite where f is not); compiled
    together, f shares its subexpressions with the derivative and costs almost nothing, where a separate
    call of the compiled f cost as much as the gradient itself. None when f has masked branches
    (removable points): then the separate compiled functions, which carry them, are used.
    """
    cache = f.caches.compiled
    key = (order, "numpy with value")
    if key not in cache:
        if has_branches(f):
            cache[key] = None
        elif order == 1:
            cache[key] = to_numpy([f.stable, *compile_exprs(f, 1)], f.symbols)
        else:
            exprs, rows, cols = _hessian_entries(f)
            cache[key] = HessianCompiled(to_numpy([f.stable, *exprs], f.symbols), rows, cols, f.n)
    return cache[key]


BOUNDS = ("compiled", "written", "rules")


def compile_bound(f: Function, order: int, how: str = "compiled") -> Compiled | HessianCompiled:
    """The running error bound (``expr.rounding``, in units of u) of the gradient (order 1) or of the
    Hessian's compiled entries (order 2, as a ``HessianCompiled``), for a derivative evaluated ``how``:

    * ``"compiled"``: the formula as compiled, with its ``log1p``/``expm1`` forms (the symbolic method);
    * ``"written"``: the chain rule's sums as written (d/dx of ``expm1(x) - x`` is ``exp(x) + (-1)``) with
      SymPy's local partials (tanh' as ``1 - tanh**2``): the compiled reverse sweep (``expr.adjoint``);
    * ``"rules"``: the same sums, each function's local partial by its row's rule as one accurate
      operation (``radius_program(rules=True)``): forward mode and the taped reverse mode.

    A gradient's ``"written"`` and ``"rules"`` bounds are of the reverse sweep itself (``reverse_sweep``:
    the compiled one, and one with a temporary per node as the tape runs it), a Hessian's ``"rules"``
    bound of forward mode over that sweep (``hessian_sweep``, up to SWEEP_STEPS), not of SymPy's formula:
    SymPy collects and cancels terms while it differentiates (d/du of atan2(u, u/5) is 0 to it) that the
    engines add up in doubles (-1.1e-16 on the tape), and a bound of the simplified formula was 1e-32.
    """
    if how not in BOUNDS:
        raise ValueError(f"how must be one of {BOUNDS}, not {how!r}")
    cache = f.caches.compiled
    key = (order, f"bound {how}")
    if key not in cache:
        cache[key] = _build_bound(f, order, how)
    return cache[key]


def _build_bound(f: Function, order: int, how: str) -> Compiled | HessianCompiled:
    if how != "compiled":
        sweep = reverse_sweep(f.stable, f.symbols, every_node=how == "rules")
        if order == 1:
            return _sweep_bound(sweep, f.symbols)
        if how == "rules" and f.n * len(sweep.program) <= SWEEP_STEPS:
            rows, cols = np.triu_indices(f.n)
            hessian = hessian_sweep(sweep, f.symbols)
            entries = [hessian.outputs[1 + i * f.n + j] for i, j in zip(rows, cols, strict=True)]
            return HessianCompiled(_sweep_bound(replace(hessian, outputs=[hessian.outputs[0], *entries]),
                                                f.symbols), rows, cols, f.n)
    exprs, rows, cols = (compile_exprs(f, 1), None, None) if order == 1 else _hessian_entries(f)
    outputs = [compiled_form(e, numeric=how == "compiled") for e in exprs]
    program = radius_program(outputs, f.symbols, rules=how == "rules", primal=f.stable)
    return program if order == 1 else HessianCompiled(program, rows, cols, f.n)


SWEEP_STEPS = 12_000
"""Above this many steps (n times the sweep's), an AD Hessian's bound is of SymPy's Hessian formula."""


def _sweep_bound(sweep: Sweep, symbols) -> Compiled:
    steps = [(t, compiled_form(e, numeric=False)) for t, e in sweep.program]
    outputs = [compiled_form(e, numeric=False) for e in sweep.outputs[1:]]
    return sweep_radius_program(steps, outputs, symbols, sweep.partials)


def value_bound(f: Function, point: np.ndarray) -> float:
    """How far one double evaluation of f near ``point`` can be from f: u times the running error bound
    of its compiled formula (``expr.rounding``). 0 where there is none to give: Python code, or f with
    masked branches (near a removable point the branch is accurate where the formula cancels).

    For the finite differences, whose probes of a black box cannot see rounding inside f where x is 0:
    psi(sigmoid(x - c) + 1) rounds sigmoid(-c) + 1 ~ 1.3 at every probe, not eps * |x| (``finite_diff``,
    ``noise``)."""
    if f.expr is None or has_branches(f):
        return 0.0
    cache = f.caches.compiled
    if (0, "bound compiled") not in cache:
        try:
            cache[0, "bound compiled"] = radius_program([compiled_form(f.stable)], f.symbols)
        except (InputError, NotImplementedError):
            cache[0, "bound compiled"] = None
    program = cache[0, "bound compiled"]
    if program is None:
        return 0.0
    with np.errstate(all="ignore"):
        radius = float(np.reshape(np.asarray(program.at(point), dtype=float), -1)[0])
    return U * radius if np.isfinite(radius) else 0.0


def radius_at(f: Function, point: np.ndarray, order: int, how: str = "compiled") -> np.ndarray:
    """``compile_bound`` at one point, shaped like the gradient (order 1) or the Hessian (order 2)."""
    bound = compile_bound(f, order, how)
    return np.asarray(bound.at(point) if order == 1 else bound.matrix(point), dtype=float)


def in_branch(f: Function, point: np.ndarray, order: int) -> bool:
    """Whether the compiled derivative takes one of its masked branches (a series, a limit) at ``point``
    rather than the formula there."""
    if not has_branches(f):
        return False
    compiled = compile_gradient(f) if order == 1 else compile_hessian(f).entries
    flat = [np.array([v], dtype=float) for v in point]
    return any(bool(np.any(b.mask(flat))) for b in compiled.branches)


def generated_source(f: Function, order: int = 1) -> str:
    """The Python source lambdify generated for the compiled derivative (``--verbose`` prints it)."""
    return {0: compile_value, 1: compile_gradient, 2: compile_hessian}[order](f).source


install_value_compiler(compile_value)
