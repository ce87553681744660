"""Jacobian and order-k routes of the methods (the registry pairs them with names; nothing here knows one).

* **Jacobian routes** ``(F, point) -> Routed`` with an (m, n) value: symbolic (all m*n entries compiled
  in one lambdify, so common subexpressions are shared across components; a component with removable
  points uses its own branch-aware gradient), forward (n tangents in one batched pass), reverse (one
  recorded pass, m pullbacks), finite differences and complex step (each component's gradient by
  ``finite_diff``, with its error estimate), and mpmath (each component's exact gradient).
* **Order-k routes** ``(f, point, order) -> Routed`` with value ``[f, f', ..., f^(k)]`` for a function of
  one variable: symbolic (``sympy.diff`` k times, compiled together), Taylor mode (``engines.taylor``),
  finite differences (``engines.fd_orders``), and mpmath (the same exact derivatives at raised, adaptive
  precision).  At a removable singularity symbolic and mpmath differentiate the cancelled form or read
  the series the singular analysis computed.  A method that cannot give an order says so in words.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace

import mpmath
import numpy as np
import sympy

from difflab.engines import fd_orders, finite_diff, jacobians, reverse, taylor
from difflab.errors import InputError
from difflab.expr import budget
from difflab.expr.compile import compiled_form, to_mpmath, to_numpy
from difflab.expr.derivatives import gradient_exprs, require_expression
from difflab.expr.function import Function
from difflab.expr.rounding import radius_program
from difflab.expr.vector import VectorFunction
from difflab.lazy import now
from difflab.methods.reference import ReferenceUnavailable, reference_gradient
from difflab.methods.routes import Routed, exact_error, rounding_bound
from difflab.methods.symbolic import compile_gradient, has_branches, in_branch, radius_at, value_bound
from difflab.singular.analysis import point_at
from difflab.singular.programs import program_at

EPS = float(np.finfo(float).eps)
REFERENCE_DPS = 50
MAX_ORDER = fd_orders.MAX_ORDER


def _rounding(value: np.ndarray, scale: float) -> np.ndarray:
    return scale * EPS * np.abs(value)


# -- Jacobians -----------------------------------------------------------------------------------

def _components(F) -> list[Function]:
    return [F.component(i) for i in range(F.m)]


def _joint_jacobian(F) -> tuple:
    """(rows compiled together, their joint compiled entries, rows with removable points), cached."""
    comps = F.components
    if comps is None:
        require_expression(F.component(0))  # the message: symbolic needs an expression
    cache = comps[0].caches.derivatives
    if "jacobian_rows" not in cache:  # the compiled Jacobian hangs off the first component's caches
        special = [has_branches(c) for c in comps]
        plain = [i for i, s in enumerate(special) if not s]
        entries = [e for i in plain for e in _stable_gradient(comps[i])]
        joint = to_numpy(entries, F.symbols) if entries else None
        cache["jacobian_rows"] = (plain, joint, [i for i, s in enumerate(special) if s])
    return cache["jacobian_rows"]


def symbolic_jacobian(F, x: np.ndarray) -> Routed:
    comps = F.components
    plain, joint, special = _joint_jacobian(F)
    J = np.empty((len(comps), F.n))
    if joint is not None:
        J[plain] = np.reshape(np.asarray(joint(*x), dtype=float), (len(plain), F.n))
    for i in special:
        J[i] = np.asarray(compile_gradient(comps[i])(*x), dtype=float)
    return Routed(J, _jacobian_error(F, x, J, "compiled", 8.0), 1)


def _jacobian_error(F, x: np.ndarray, J: np.ndarray, how: str, ulps: float) -> np.ndarray:
    """Row i: the running error bound of component i's gradient (``routes.exact_error``); a few ulps for
    Python code and for a component whose compiled gradient takes a series branch at x."""
    if F.components is None:
        return _rounding(J, ulps)
    return np.array([_rounding(J[i], ulps) if how == "compiled" and in_branch(c, x, 1)
                     else now(exact_error(c, x, 1, J[i], how, ulps)) for i, c in enumerate(F.components)])


def _stable_gradient(f: Function) -> list[sympy.Expr]:
    expr = f.stable
    return list(gradient_exprs(f)) if expr == f.expr else [sympy.diff(expr, s) for s in f.symbols]


def _engine_jacobian(engine: Callable) -> Callable:
    def route(F, x: np.ndarray) -> Routed:
        value, J = engine(F.ops, x)
        J = np.asarray(J, dtype=float)
        return Routed(J, _jacobian_error(F, x, J, "rules", 16.0), 1,
                      fx=float(np.max(np.abs(value))) if value.size else 0.0)
    return route


forward_jacobian = _engine_jacobian(jacobians.forward_jacobian)
reverse_jacobian = _engine_jacobian(jacobians.reverse_jacobian)


def fd_jacobian(scheme: str) -> Callable:
    """Each component's gradient by one finite-difference scheme, with its own error estimate."""
    def route(F, x: np.ndarray) -> Routed:
        rows, errors, nfev, status = [], [], 0, "ok"
        for i in range(F.m):
            r = finite_diff.gradient(lambda X, i=i: F.batch(X)[:, i], x, scheme)
            rows.append(r.value)
            errors.append(r.error)
            nfev += r.nfev
            if r.status != "ok" and status == "ok":
                status = f"component {i}: {r.status}"
        return Routed(np.array(rows), np.array(errors), nfev, status)
    return route


def mpmath_jacobian(F, x: np.ndarray) -> Routed:
    J = np.array([[float(v) for v in reference_gradient(c, x)] for c in _components(F)])
    return Routed(J, 0.5 * EPS * np.abs(J), 0)


# -- derivatives of order k ------------------------------------------------------------------------

def _one_variable(f: Function, order: int) -> None:
    if f.n != 1:
        raise InputError(f"derivatives of order k need a function of one variable; this one has {f.n} "
                         f"({', '.join(f.variables)}): use gradient, hessian, jacobian or third_derivatives "
                         "(order 3)")
    if isinstance(order, bool) or not isinstance(order, int) or not 0 <= order <= MAX_ORDER:
        raise InputError(f"the order must be an integer from 0 to {MAX_ORDER}; got {order!r}")


def _removable(f: Function, x: np.ndarray):
    """The removable point at x (exactly there), or None."""
    if f.expr is None:
        return None
    p, exact = point_at(f, float(x[0]))
    return p if exact and p is not None and p.kind == "removable" else None


def repeated_derivatives(expr: sympy.Expr, x: sympy.Symbol, order: int) -> list[sympy.Expr]:
    out = [expr]
    for _ in range(order):
        out.append(sympy.diff(out[-1], x))
    return out


def derivative_exprs_upto(f: Function, order: int, plain: bool = False) -> list[sympy.Expr]:
    """[f, f', ..., f^(order)] of the stable form (``plain``: as written), each differentiated from the
    previous one, cached. Why under the budget: each order can multiply the size of the expression
    (sin(exp(sinh(x*cos(x))))/(1+x**2) did not reach order 10 in two minutes); the budget's worker is
    stopped at the deadline and ``budget.OverBudget`` says so."""
    key = "orders-plain" if plain else "orders"
    cache = f.caches.derivatives.get(key)
    if cache is None or len(cache) <= order:
        start = f.expr if plain else f.stable
        cache = budget.within(budget.settings()["total"], repeated_derivatives, start, f.symbols[0], order)
        f.caches.derivatives[key] = cache
    return cache[:order + 1]


def _too_large(order: int, err: Exception) -> str:
    return (f"the symbolic derivatives up to order {order} grow too large to derive in the budget ({err}); "
            "Taylor mode ('forward') gives them, --budget gives SymPy more time")


def _series_values(p, x_symbol, order: int, dps: int | None) -> list:
    """Derivatives at a removable point: of the cancelled form, or k! times the series coefficients."""
    if p.factored is not None:
        exprs = [sympy.diff(p.factored, x_symbol, k) for k in range(order + 1)]
        return [e.subs(x_symbol, p.center).evalf(dps or 30) for e in exprs]
    if len(p.coeffs) <= order:
        raise ReferenceUnavailable(f"the series at the removable point {x_symbol}={p.center} has only "
                                   f"{len(p.coeffs)} terms; order {order} needs {order + 1}")
    return [sympy.Float(p.coeffs[k], 30) * math.factorial(k) for k in range(order + 1)]


def symbolic_derivatives(f: Function, x: np.ndarray, order: int) -> Routed:
    _one_variable(f, order)
    require_expression(f)
    p = _removable(f, x)
    if p is not None:
        value = np.array([float(v) for v in _series_values(p, f.symbols[0], order, None)])
        return Routed(value, _rounding(value, 8.0), 1)
    cache = f.caches.compiled
    key = (order, "orders")
    if key not in cache:
        try:
            cache[key] = to_numpy(derivative_exprs_upto(f, order), f.symbols)
        except budget.OverBudget as err:
            return Routed(np.full(order + 1, np.nan), None, 0, _too_large(order, err))
        except RecursionError:  # Python's compiler recurses once per nesting level of the generated code
            return Routed(np.full(order + 1, np.nan), None, 0,
                          f"the symbolic derivatives up to order {order} are nested too deeply to compile "
                          "(over Python's recursion limit); Taylor mode ('forward') gives them")
    value = np.asarray(cache[key](*x), dtype=float).reshape(order + 1)
    return Routed(value, _rounding(value, 8.0), 1)


def taylor_derivatives(f: Function, x: np.ndarray, order: int) -> Routed:
    """Taylor mode along t, and along s*t for s = 3/4 and 5/4 (coefficient k scales by s**k exactly in
    exact arithmetic, while the rounding of the series recurrences differs): four times the largest
    disagreement bounds that rounding (cancellation in a quotient's series can cost many digits at
    high k: the estimate shows it, ulps otherwise)."""
    _one_variable(f, order)
    fn = program_at(f, x, order) or f.ops  # near a removable point: its Taylor polynomial, not the 0/0
    value = taylor.derivatives(fn, x, order)
    spread = np.zeros(order + 1)
    for s in (0.75, 1.25):
        scaled = taylor.directional(fn, x, np.array([s]), order) / s ** np.arange(order + 1)
        spread = np.maximum(spread, np.abs(value - scaled))
    return Routed(value, 4.0 * spread + _rounding(value, 16.0), 3, fx=float(value[0]))


FINER = 0.25  # a refined first-order step this far below the model's: f varies on a finer scale


def fd_derivatives(scheme: str) -> Callable:
    """Finite differences of order k, with steps on f's own scale.

    Why: the order-k steps come from a model of f on the scale max(|x|, 1); sin(exp(sinh(x))) at 3 turns
    2.2e5 radians per unit of x, and its f'' by forward differences averaged over oscillations (5.4e8 +-
    7.3e8 against 4.18e10). When the refined first-order central step is well below the model's (and
    the model's f' is not resolved), every order's step shrinks by the same ratio."""
    def route(f: Function, x: np.ndarray, order: int) -> Routed:
        _one_variable(f, order)
        noise = value_bound(f, x)  # one value's rounding, which the engines' probes cannot see at x = 0

        def orders(scale: float) -> fd_orders.OrdersResult:
            return fd_orders.derivatives(f.batch, float(x[0]), order, scheme, scale=scale, value_noise=noise)
        r = orders(1.0)
        if not order:
            return Routed(r.value, r.error, r.nfev, r.status)
        first = finite_diff.gradient(f.batch, x, "central", noise=noise)
        nfev = first.nfev
        ratio = float(first.step[0]) / fd_orders.step(float(x[0]), "central", 1)
        if first.status == "ok" and np.isfinite(ratio) and 0 < ratio < FINER and not _resolves(r, first):
            nfev += r.nfev
            r = orders(ratio)
        return Routed(r.value, r.error, r.nfev + nfev, r.status)
    return route


def _resolves(r: fd_orders.OrdersResult, first: finite_diff.FDResult) -> bool:
    """Whether the orders on the model's scale resolve f: their f' agrees with the refined central
    difference to RESOLVED, within both estimates (at x = 2e-119 the refined step is x's own scale:
    shrinking every order by 1e-100 put f'' at 1.3e88 +- 1.7e122; the model's steps give 0 +- 1.9e-7)."""
    d, e = float(r.value[1]), float(r.error[1])
    g, eg = float(first.value[0]), float(first.error[0])
    return r.status == "ok" and abs(d - g) <= e + eg and e <= RESOLVED * abs(g)


RESOLVED = 1e-6  # relative accuracy of f' by which the model's steps resolve f

def limited(top: int, what: str, lower: Callable[[Function, np.ndarray], Routed]) -> Callable:
    """A method whose derivatives stop at order ``top``: ``lower(f, x)`` gives orders 0..top (value and
    error); asked for more, the entries above are nan and the status says why -- never a wrong number."""
    def route(f: Function, x: np.ndarray, order: int) -> Routed:
        _one_variable(f, order)
        got = lower(f, x)
        value, error = np.full(order + 1, np.nan), np.full(order + 1, np.nan)
        k = min(order, top) + 1
        value[:k], error[:k] = np.asarray(got.value)[:k], np.asarray(got.error)[:k]
        status = got.status if order <= top else what
        return Routed(value, error, got.nfev, status)
    return route


def complex_step_upto_first(f: Function, x: np.ndarray) -> Routed:
    r = finite_diff.gradient(f.batch, x, "complex-step")
    fx = float(np.real(f.numpy(*x)))
    return Routed(np.array([fx, r.value[0]]), np.array([EPS * abs(fx), r.error[0]]), r.nfev + 1, r.status)


def reverse_upto_second(f: Function, x: np.ndarray) -> Routed:
    fx, g, H = reverse.hessian(f.ops, x)
    value = np.array([fx, g[0], H[0, 0]])
    return Routed(value, _rounding(value, 16.0), 1)


def bounded(route: Callable, how: str) -> Callable:
    """``route`` with its entries' error estimates raised to the running rounding bound (``expr.rounding``)
    of the formulas evaluated in doubles, where f has an expression.

    Why: every method evaluates f itself in doubles, and the exact methods evaluate formulas for its
    derivatives; their conditioning, not a few ulps, bounds the rounding (sin(exp(sinh(x))) at 3 loses
    eleven digits of f before any derivative is taken, and as many of f^(3)). ``how``: ``"compiled"``
    (the symbolic method's compiled formulas), ``"rules"`` (Taylor mode and the AD engines: the same
    formulas, each function's partial by its row, times ``AD_FACTOR``, as ``routes.exact_error``), or
    ``"value"``: entry 0 only (finite differences bound their derivatives themselves), or ``"value
    first"``: also f' by forward mode's bound (the complex step: see ``routes.with_forward_bound``). An
    entry a method declines (nan) stays declined; a bound that cannot be built or is not finite leaves
    the estimate."""
    def run(f: Function, x: np.ndarray, order: int) -> Routed:
        got = route(f, x, order)
        if f.expr is None or got.error is None:
            return got
        top = 0 if how.startswith("value") else order
        radius = _orders_radius(f, x, top, how)
        if radius is None:
            return got
        if how == "rules":  # f', f'': also the sums the engines form, which SymPy's formulas may cancel
            for k in range(1, min(top, 2) + 1):
                radius[k] = np.fmax(radius[k], _sweep_radius(f, x, k))
        value = np.asarray(got.value, dtype=float).reshape(-1)[:top + 1]
        error = np.array(now(got.error), dtype=float).reshape(-1)
        bound = rounding_bound(radius, value, engines=how == "rules")
        use = np.isfinite(bound) & np.isfinite(value)
        error[:top + 1] = np.where(use, np.fmax(error[:top + 1], bound), error[:top + 1])
        if how == "value first" and order >= 1 and np.isfinite(got.value[1]):  # complex step: forward mode's
            first = rounding_bound(_sweep_radius(f, x, 1), abs(float(got.value[1])), engines=True)
            error[1] = np.fmax(error[1], first)
        return replace(got, error=error)
    return run


def _sweep_radius(f: Function, x: np.ndarray, k: int) -> float:
    """The written-out AD sweep's radius of f^(k), k = 1, 2 (``symbolic.compile_bound``); nan if none."""
    try:
        return float(np.reshape(radius_at(f, x, k, "rules"), -1)[0])
    except (InputError, NotImplementedError):
        return math.nan


def _orders_radius(f: Function, x: np.ndarray, order: int, how: str) -> np.ndarray | None:
    """The radii (units of u) of [f, f', ..., f^(order)] as ``how`` evaluates them, compiled once per
    Function; None when the formulas cannot be had in the budget or compiled."""
    cache = f.caches.compiled
    key = (order, f"orders bound {how}")
    if key not in cache:
        try:
            exprs = [f.stable] if order == 0 else derivative_exprs_upto(f, order)
            outputs = [compiled_form(e, numeric=how != "rules") for e in exprs]
            cache[key] = radius_program(outputs, f.symbols, rules=how == "rules", primal=f.stable)
        except (budget.OverBudget, InputError, NotImplementedError, RecursionError):
            cache[key] = None
    program = cache[key]
    if program is None:
        return None
    with np.errstate(all="ignore"):
        return np.asarray(program.at(x), dtype=float).reshape(order + 1)


def mpmath_derivatives(f: Function, x: np.ndarray, order: int, dps: int = REFERENCE_DPS) -> Routed:
    """Exact derivatives evaluated with mpmath at ``dps`` digits, again at twice the precision until they
    agree (so a precision that was not enough is noticed, as in ``reference.evaluate``)."""
    _one_variable(f, order)
    require_expression(f)
    p = _removable(f, x)
    if p is not None:
        values = _series_values(p, f.symbols[0], order, dps)
        value = np.array([float(v) for v in values])
        return Routed(value, 0.5 * EPS * np.abs(value), 0)
    try:
        fn = to_mpmath(derivative_exprs_upto(f, order, plain=True), f.symbols)
    except budget.OverBudget as err:
        raise ReferenceUnavailable(_too_large(order, err)) from None
    level, previous = dps + 10, None
    while level <= 6400:
        with mpmath.workdps(level):
            try:
                current = [mpmath.mpmathify(v) for v in fn(mpmath.mpf(float(x[0])))]
            except (ZeroDivisionError, ValueError, OverflowError, TypeError):
                current = None
            if current is not None and all(isinstance(v, mpmath.mpf) and mpmath.isfinite(v) for v in current):
                if previous is not None and all(abs(a - b) <= mpmath.mpf(10) ** -dps * max(abs(a), abs(b))
                                                for a, b in zip(previous, current, strict=True)):
                    value = np.array([float(v) for v in current])
                    return Routed(value, 0.5 * EPS * np.abs(value), 0)
                previous = current
            else:
                previous = None
        level *= 2
    where = f"{f.variables[0]}={float(x[0])!r}"
    raise ReferenceUnavailable(f"the exact derivatives have no finite value at {where} (a pole, a point "
                               "outside the domain, or an unresolved 0/0)")


def higher_source(f, order: int) -> str:
    """The source lambdify generated for a vector function's compiled Jacobian (all entries in one
    function, common subexpressions shared) or for f, f', ..., f^(order) (reports show it)."""
    if isinstance(f, VectorFunction):
        _, joint, special = _joint_jacobian(f)
        notes = "".join(f"# component {i}: its own branch-aware gradient (removable points)\n"
                        for i in special)
        return notes + ("" if joint is None else joint.source)
    _one_variable(f, order)
    require_expression(f)
    key = (order, "orders")
    if key not in f.caches.compiled:
        f.caches.compiled[key] = to_numpy(derivative_exprs_upto(f, order), f.symbols)
    return f.caches.compiled[key].source


