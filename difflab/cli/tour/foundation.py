"""Tour, part 1: one function, every method, against the mpmath reference (seed 000's Newton example).

Why this opens the tour: every later section (singularities, solvers, reports) rests on two facts shown
here -- the exact methods agree with the reference to the last bit, and each finite-difference scheme
misses by about what its own error estimate says.
"""

from __future__ import annotations

import pathlib
from collections.abc import Callable

import sympy

from difflab.cli.output import fmt, table
from difflab.errors import ParseError
from difflab.expr.function import Function
from difflab.expr.parse import parse_expr_safe
from difflab.measure.comparison import compare
from difflab.methods.reference import reference_value
from difflab.methods.registry import gradient, hessian

TITLE = "Foundation: one function, every method, one reference"

SEED_F = "x**4 + 0.8*y**4 + 4*x**2 + 2*y**2 - x*y - 0.2*x**2*y"


def _method_table(result) -> str:
    rows = []
    for r in result.rows:
        est = "-" if r.estimate.error_estimate is None else fmt(float(r.estimate.error_estimate.max()), 2)
        rows.append([r.method, fmt(r.max_rel_error, 3), est, {True: "yes", False: "NO", None: "-"}[r.honest],
                     r.estimate.nfev])
    return table(["method", "max rel err", "est. abs err", "honest", "evals"], rows)


def run(out_dir: pathlib.Path, say: Callable[[str], None]) -> None:
    f = Function(SEED_F)
    say(f"Seed 000 (Newton's method in 2-D): f(x, y) = {SEED_F}")
    g = gradient(f, [4, 4]).value
    H = hessian(f, [4, 4]).value
    say(f"symbolic gradient at (4, 4): [{fmt(g[0])}, {fmt(g[1])}]   (seed: [277.6, 213.6])")
    say(f"symbolic Hessian at (4, 4): [[{fmt(H[0, 0])}, {fmt(H[0, 1])}], [{fmt(H[1, 0])}, {fmt(H[1, 1])}]]"
        "   (seed: [[198.4, -2.6], [-2.6, 157.6]])")
    say("\nEvery method at (4, 4), relative error per entry against mpmath at 50 digits:\n")
    say("```\n" + _method_table(compare(f, at=[4, 4])) + "\n```")

    e = Function("exp(x)*sin(x)")
    say("\nexp(x)*sin(x) at x = 1: the finite-difference ladder (forward ~1e-8, central ~1e-11, "
        "five-point ~1e-13, Richardson and complex step near machine precision):\n")
    say("```\n" + _method_table(compare(e, at=[1.0])) + "\n```")

    say("\nThe reference adapts its precision. -log(1 - 1/(1 + exp(-z))) at z = 800 is 800:")
    z = sympy.Symbol("z")
    naive = float((-sympy.log(1 - 1 / (1 + sympy.exp(-z)))).subs(z, 800).evalf())
    say(f"  SymPy's default evalf: {fmt(naive)}   difflab's reference: "
        f"{fmt(float(reference_value(Function('-log(1 - 1/(1 + exp(-z)))'), [800.0])))}")

    say("\nExpression text goes through difflab's own parser, never eval:")
    for text in ("x^2 + y", "2x + 1", "__import__('os')", "9**9**9**9"):
        try:
            parse_expr_safe(text)
        except ParseError as err:
            say(f"  {text!r:22} -> {err}")
