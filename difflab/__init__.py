"""difflab: one function, differentiated every way, side by side, against an mpmath reference.

    import difflab as dl
    f = dl.Function("exp(x)*sin(y)")
    dl.gradient(f, [1.0, 2.0], method="reverse")   # Estimate(value, error_estimate, nfev, method, status)
    dl.compare(f, at=[1.0, 2.0])                     # ErrorTable against mpmath
"""

from __future__ import annotations

# First: a signal to the ``difflab`` script while it is still importing ends it in one line (_startup.py).
from difflab import _startup  # noqa: F401 -- imported for its effect, before anything slow

# Public names only (this module re-exports; nothing in difflab imports it). No submodule is named like a
# function it exports (tests/test_architecture.py), so importing a submodule never hides a function here.
from difflab.claims.entries import check
from difflab.errors import DifflabError, InputError, ParseError
from difflab.expr.function import Function
from difflab.expr.parse import parse_expr_safe
from difflab.expr.vector import VectorFunction
from difflab.measure.comparison import compare, rel_error
from difflab.measure.step_sweep import sweep
from difflab.methods.higher import derivatives, third_derivatives
from difflab.methods.registry import gradient
from difflab.methods.transforms import grad, hessian, hvp, jacobian, jvp, value_and_grad, vjp
from difflab.reports.writer import report
from difflab.result import CheckResult, ErrorTable, Estimate, SolverResult
from difflab.solvers import newton
from difflab.testing import gradcheck  # also makes dl.testing.assert_gradient reachable

__all__ = ["CheckResult", "DifflabError", "ErrorTable", "Estimate", "Function", "InputError", "ParseError",
           "SolverResult", "VectorFunction", "check", "compare", "derivatives", "gradcheck", "gradient",
           "grad", "hessian", "hvp", "jacobian", "jvp", "newton", "parse_expr_safe", "rel_error", "report",
           "sweep", "third_derivatives", "value_and_grad", "vjp"]
