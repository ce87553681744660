"""The symbolic method's compiled derivatives: ``expr.derivatives`` compiled once per Function, with the
masked branches of ``singular`` at removable points (exact limits where the formula is 0/0).

The expressions themselves live in ``expr.derivatives`` (below the singularity analysis, which needs
them); this module is above it. It imports no engine (forward/reverse): the symbolic route stands on its
own. Loading it installs the branch-aware compiler as ``Function.numpy``'s (``import difflab`` does).
"""

from __future__ import annotations

from difflab.expr.compile import Compiled, to_numpy
from difflab.expr.derivatives import (
    compile_exprs,
    derivative_exprs,
    gradient_exprs,
    hessian_exprs,
    stable_expr,
)
from difflab.expr.function import Function, install_value_compiler
from difflab.singular.analysis import branches

__all__ = ["compile_gradient", "compile_hessian", "compile_value", "derivative_exprs", "generated_source",
           "gradient_exprs", "hessian_exprs", "stable_expr"]


def _compiled(f: Function, order: int) -> Compiled:
    """Compile with the masked branches of ``singular`` (removable points; none for ordinary f)."""
    cache = f.caches.compiled
    key = (order, "numpy")
    if key not in cache:
        base = to_numpy(compile_exprs(f, order), f.symbols)
        cache[key] = base.with_branches(branches(f, order, base.outputs))
    return cache[key]


def compile_value(f: Function) -> Compiled:
    return _compiled(f, 0)


def compile_gradient(f: Function) -> Compiled:
    return _compiled(f, 1)


def compile_hessian(f: Function) -> Compiled:
    return _compiled(f, 2)


def generated_source(f: Function, order: int = 1) -> str:
    """The Python source lambdify generated for the compiled derivative (``--verbose`` prints it)."""
    return _compiled(f, order).source


install_value_compiler(compile_value)
