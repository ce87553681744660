"""Cases ported from numdifftools' own derivative tests, scored against that suite's accuracy.

Each case names the numdifftools test it comes from (numdifftools/tests/*.py), the function written in
difflab's expression language, the point, and the tolerance that test asserts (``rtol``/``atol`` of its
``assert_allclose``, or ``decimal`` of ``assert_array_almost_equal``: |error| < 1.5 * 10**-decimal).
The truth is never numdifftools' output nor difflab's: it is SymPy's exact derivative of the same text
evaluated at 40 digits (``truth``), so the score does not depend on the code it judges.

One-sided first-order differences (fd-forward, fd-backward: O(h), about 1e-8 relative at best) cannot
meet a 1e-7 tolerance that numdifftools' forward/backward methods meet by Richardson extrapolation; they
are held to the allowance numdifftools' own tests give its one-sided methods where they test them at
default steps (``atol = 100 * error_estimate`` in test_derivative_of_cos_x and test_fixed_step).

A (case, method) pair *passes* when the method's status is "ok", every entry meets the tolerance and
every entry's error estimate covers the actual error (an honest estimate), with a floor of 4 ulps of
the entry -- the rounding of the reference itself.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import mpmath
import numpy as np
import sympy

FD_METHODS = ("fd-forward", "fd-backward", "fd-central", "fd-five-point", "complex-step", "richardson")
EXACT_METHODS = ("symbolic", "forward", "reverse")
METHODS = EXACT_METHODS + FD_METHODS
ONE_SIDED = ("fd-forward", "fd-backward")


@dataclass(frozen=True)
class Case:
    source: str            # the numdifftools test it comes from
    expr: str
    point: tuple[float, ...]
    order: int             # 1: gradient, 2: Hessian
    rtol: float = 0.0
    atol: float = 0.0
    est_atol: float = 0.0  # the test's own allowance: atol += est_atol * max(error estimate)

    @property
    def name(self) -> str:
        return f"{self.source}: {self.expr} at {list(self.point)} (order {self.order})"


def _decimal(d: int) -> float:
    return 1.5 * 10.0**-d


# numdifftools/example_functions.py: the 19 functions of test_example_functions at x = 0.5 (first
# derivative to 7 decimals in test_first_order_derivative; the second to at least 4 decimals, the
# central floor of test_high_order_derivative's min_dm). arcsin, arccos, arcsinh, log10, log2 and exp2
# written with difflab's primitives.
_EXAMPLES = {
    "cos": "cos(x)", "sin": "sin(x)", "tan": "tan(x)", "cosh": "cosh(x)", "sinh": "sinh(x)",
    "tanh": "tanh(x)", "arcsinh": "log(x + sqrt(x**2 + 1))", "exp": "exp(x)", "expm1": "expm1(x)",
    "exp2": "exp(x*log(2))", "square": "x**2", "sqrt": "sqrt(x)", "log": "log(x)", "log1p": "log1p(x)",
    "log10": "log(x)/log(10)", "log2": "log(x)/log(2)", "arccos": "pi/2 - atan(x/sqrt(1 - x**2))",
    "arcsin": "atan(x/sqrt(1 - x**2))", "arctan": "atan(x)",
}

_HAM_C = 1.602176634e-19**2 / (4 * math.pi * 8.8541878128e-12)   # e^2 / (4 pi eps0), SI
_HAM_M = 39.96 * 1.66e-27
_HAM_W = 2 * math.pi * 1e6
# The equilibrium of two ions: m w^2 a = C / (2a)^2 at x = (-a, a), so a = (C / (4 m w^2))**(1/3) ~ 2.8e-6
_HAM_A = (_HAM_C / (4 * _HAM_M * _HAM_W**2)) ** (1 / 3)
HAMILTONIAN = f"0.5*{_HAM_M!r}*{_HAM_W!r}**2*(x0**2 + x1**2) + {_HAM_C!r}/abs(x0 - x1)"


def cases() -> list[Case]:
    out: list[Case] = []
    for name, expr in _EXAMPLES.items():
        out.append(Case(f"test_example_functions[{name}]", expr, (0.5,), 1, atol=_decimal(7)))
        out.append(Case(f"test_example_functions[{name}] n=2", expr, (0.5,), 2, atol=_decimal(4)))
    for x in (7.6564547238847105, 8.9428143931508, 2.2204460492503134e-14):  # its @example points
        out.append(Case("test_derivative_of_cos_x", "cos(x)", (x,), 1, rtol=1e-6, atol=1e-14, est_atol=100))
        out.append(Case("test_derivative_of_cos_x n=2", "cos(x)", (x,), 2, rtol=1e-6, atol=1e-14, est_atol=100))
    out.append(Case("test_high_order_derivative_cos", "cos(x)", (math.pi / 2,), 1, atol=1e-4))
    out.append(Case("test_high_order_derivative_cos n=2", "cos(x)", (math.pi / 2,), 2, atol=1e-4))
    out.append(Case("test_derivative_cube", "x*x*x", (2.0,), 1, rtol=1e-8))
    out.append(Case("test_derivative_exp", "exp(x)", (0.0,), 1, rtol=1e-8))
    for k in range(13):
        out.append(Case("test_derivative_sin", "sin(x)", (2 * math.pi * k / 12,), 1, atol=1e-8))
    out.append(Case("test_backward_derivative_on_sinh", "sinh(x)", (0.0,), 1, rtol=1e-7))
    out.append(Case("test_central_and_forward_derivative_on_log", "log(x)", (0.001,), 1, rtol=1e-7))
    out.append(Case("test_fun_with_additional_parameters", "2*x*x*x", (0.0,), 1, atol=1e-13))
    out.append(Case("test_fun_with_additional_parameters", "2*x*x*x", (1.0,), 1, rtol=1e-7))
    out.append(Case("test_fun_with_additional_parameters (Hessian)", "2*x*x*x", (0.0,), 2, atol=1e-13))
    out.append(Case("test_fun_with_additional_parameters (Hessian)", "2*x*x*x", (1.0,), 2, rtol=1e-7))
    for v in (-1000.0, 0.0, 3.5):
        for p in ("x", "x**2", "x**3"):
            out.append(Case("test_scalar_to_vector", p, (v,), 1, rtol=1e-3, atol=1e-6))
    out.append(Case("Jacobian test_on_scalar_function", "x*y*z + exp(x)*y", (3.0, 5.0, 7.0), 1, rtol=1e-7))
    for pt in ((1.0, 2.0), (3.0, 4.0)):
        out.append(Case("test_on_matrix_valued_function f0", "x**2 + y**2", pt, 1, rtol=1e-7))
        out.append(Case("test_on_matrix_valued_function f1", "x**3 + y**3", pt, 1, rtol=1e-7))
    for xd in (0.1, 0.5, 0.9):   # squared residuals of an exact fit y = 1 + 2 exp(0.75 x): Jacobian 0
        out.append(Case("Jacobian test_on_vector_valued_function",
                        f"(a + b*exp(c*{xd!r}) - 1 - 2*exp(0.75*{xd!r}))**2", (1.0, 2.0, 0.75), 1, atol=1e-12))
    out.append(Case("test_jacobian_fulloutput", "x + y", (1.0, 3.0), 1, rtol=1e-7))
    out.append(Case("test_issue_39", "1/(exp(x) + cos(y) + 10)", (1.0, 2.0), 1, rtol=1e-7))
    out.append(Case("test_directional_diff (rosen)", "(1 - x)**2 + 105*(y - x**2)**2", (2.0, 3.0), 1,
                    rtol=1e-7))
    out.append(Case("TestGradient.test_gradient", "x**2 + y**2 + z**2", (1.0, 2.0, 3.0), 1, rtol=1e-7))
    hess = "x + y**2 + z**3"
    for pt in ((1.0, 2.0, 3.0), (0.0, 16.003907623933742, 68.02057249966789),
               (1.2009289063e-314, 1.2009289063e-314, 1.2009289063e-314),
               (88.01663712016305, 88.01663712016305, 88.01663712016305),
               (0.0, 19.945812226807096, 54.11322414875562)):
        out.append(Case("TestHessdiag.test_fixed_step", hess, pt, 2, rtol=1e-5, est_atol=100))
    out.append(Case("test_run_hamiltonian", HAMILTONIAN, (-_HAM_A, _HAM_A), 2, rtol=1e-4))
    out.append(Case("test_hessian_cos_x_y_at_0_0", "cos(x - y)", (0.0, 0.0), 2, rtol=1e-7))
    out.append(Case("TestHessian.test_on_scalar_function", "x*y*z + exp(x)*y", (3.0, 5.0, 7.0), 2, atol=1e-4))
    out.append(Case("TestHessian.test_on_vector_valued_function f0", "cos(x*y)", (3.0, 5.0), 2, atol=1e-4))
    out.append(Case("TestHessian.test_on_vector_valued_function f1", "sin(x*y)", (3.0, 5.0), 2, atol=1e-4))
    return out


def truth(case: Case) -> np.ndarray:
    """The exact derivative (SymPy's diff of the same text, evaluated at 40 digits)."""
    names = {"expm1": lambda u: sympy.exp(u) - 1, "log1p": lambda u: sympy.log(1 + u)}
    expr = sympy.sympify(case.expr, locals=names, rational=True)  # 0.9 is 9/10: the fit is exact
    expr = expr.xreplace({s: sympy.Symbol(s.name, real=True) for s in expr.free_symbols})
    symbols = sorted(expr.free_symbols, key=lambda s: s.name)
    with mpmath.workdps(40):
        at = {s: sympy.Float(mpmath.mpf(v), 40) for s, v in zip(symbols, case.point, strict=True)}
        if case.order == 1:
            return np.array([float(sympy.diff(expr, s).subs(at).evalf(40)) for s in symbols])
        return np.array([[float(sympy.diff(expr, s, t).subs(at).evalf(40)) for t in symbols]
                         for s in symbols])


def score(case: Case, method: str, expected: np.ndarray) -> tuple[bool, str]:
    """(passes, why not) for one (case, method) pair."""
    import difflab as dl

    f = dl.Function(case.expr)
    est = (dl.gradient if case.order == 1 else dl.hessian)(f, list(case.point), method=method)
    if est.status != "ok":
        return False, f"status: {est.status}"
    value = np.asarray(est.value, dtype=float)
    err = np.abs(value - expected)
    bound = np.asarray(est.error_estimate if est.error_estimate is not None else np.zeros_like(value), dtype=float)
    allowance = 100.0 if method in ONE_SIDED else case.est_atol
    tol = case.atol + case.rtol * np.abs(expected) + allowance * float(np.max(bound))
    if not np.all(err <= tol):
        return False, f"inaccurate: {value.tolist()} vs {expected.tolist()}"
    floor = 4 * np.finfo(float).eps * np.abs(expected) + 1e-35  # + the 40-digit truth's own noise
    if not np.all(err <= np.maximum(bound, floor)):
        i = int(np.argmax(err - np.maximum(bound, floor)))
        return False, f"estimate {bound.ravel()[i]:.3g} below the actual error {err.ravel()[i]:.3g}"
    return True, ""


def run(methods: tuple[str, ...] = METHODS) -> tuple[int, int, list[str]]:
    """(passed, total, failures in words) over every case and method."""
    passed, total, failures = 0, 0, []
    for case in cases():
        expected = truth(case)
        for method in methods:
            ok, why = score(case, method, expected)
            total += 1
            passed += ok
            if not ok:
                failures.append(f"{method:13s} {case.name}: {why}")
    return passed, total, failures
