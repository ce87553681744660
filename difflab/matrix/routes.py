"""Every differentiation method on an ``ArrayFunction``, each answering with an ``Estimate``.

``symbolic`` evaluates the compiled array formula; ``forward``/``reverse`` run the AD engines over the
original expression interpreted with ``difflab.numpy`` (not over our formula, so they are independent
checks of it); the finite-difference schemes probe the compiled value; ``mpmath`` evaluates the array
formula in mpmath at two precisions (30 and 60 digits, more while they disagree) as the reference. The
variable is flattened for the numeric engines and every result is reshaped like the variable
(gradient ``x.shape``, Jacobian ``F.shape + x.shape``, Hessian ``x.shape + x.shape``).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from typing import Any

import mpmath
import numpy as np

from difflab.engines import finite_diff, forward, reverse
from difflab.errors import InputError
from difflab.matrix.function import ArrayFunction
from difflab.matrix.program import evaluate, to_mpmath
from difflab.result import Estimate

EPS = float(np.finfo(float).eps)
FD_SCHEMES = ("fd-forward", "fd-backward", "fd-central", "fd-five-point", "complex-step", "richardson")
MAX_DPS = 480


def rounding(value: np.ndarray) -> np.ndarray:
    """Error bound of an exact formula in doubles: a few ulps of each entry and of the largest entry
    (a matrix product rounds at the scale of its largest terms, so small entries get that floor)."""
    scale = float(np.max(np.abs(value), initial=0.0)) if np.all(np.isfinite(value)) else 0.0
    return EPS * (8.0 * np.abs(value) + 8.0 * scale)


ShapedRoute = Callable[[ArrayFunction, dict, dict, int], tuple]


def symbolic(f: ArrayFunction, env: dict, dims: dict, order: int) -> tuple:
    """The compiled array formula."""
    value = f.evaluate("gradient" if order == 1 else "hessian", env)
    return value, rounding(value), 1, "ok"


def ad(engine: str) -> ShapedRoute:
    """Forward or reverse mode over the expression itself (interpreted with ``difflab.numpy``)."""
    def route(f: ArrayFunction, env: dict, dims: dict, order: int) -> tuple:
        value = _ad(f, env, dims, engine, order)
        return value, 2.0 * rounding(value), 1, "ok"
    return route


def fd(scheme: str) -> ShapedRoute:
    """A finite-difference scheme of ``engines.finite_diff`` on the compiled value."""
    def route(f: ArrayFunction, env: dict, dims: dict, order: int) -> tuple:
        return _fd(f, env, dims, scheme, order)
    return route


def mpmath_reference(f: ArrayFunction, env: dict, dims: dict, order: int) -> tuple:
    value = reference(f, env, order)
    return value, 0.5 * EPS * np.abs(value), 0, "ok"


ROUTES: dict[str, ShapedRoute] = {"symbolic": symbolic, "forward": ad("forward"), "reverse": ad("reverse"),
                                  **{name: fd(name.removeprefix("fd-")) for name in FD_SCHEMES},
                                  "mpmath": mpmath_reference}


def estimate(f: ArrayFunction, data: Mapping[str, Any], method: str = "symbolic", order: int = 1,
             route: ShapedRoute | None = None) -> Estimate:
    """The gradient (order 1; Jacobian for a vector expression) or Hessian (order 2) by ``method``
    (``route``: how that method computes, as the registry pairs it; default: ``ROUTES[method]``)."""
    if route is None:
        if method not in ROUTES:
            raise InputError(f"unknown method '{method}'; choose one of: {', '.join(ROUTES)}")
        route = ROUTES[method]
    if order not in (1, 2):
        raise InputError(f"order must be 1 or 2 for an array function, got {order}")
    env, dims = f.bind(data)
    if order == 2:
        f.derivative("hessian") if f.node.shape == () else f._scalar_only("Hessian")
    shape = np.shape(env[f.wrt])
    out_shape = (tuple(np.shape(f.program("value")(env, dims)[0])) + shape) if order == 1 else shape * 2
    start = time.perf_counter()
    with np.errstate(all="ignore"):
        value, error, nfev, status = route(f, env, dims, order)
    seconds = time.perf_counter() - start
    value = np.asarray(value, dtype=float).reshape(out_shape)
    error = np.asarray(error, dtype=float)
    error = error.reshape(out_shape) if error.size == value.size else np.broadcast_to(error, out_shape).copy()
    fx = np.asarray(f.program("value")(env, dims)[0], dtype=float)
    what = "gradient" if order == 1 else "Hessian"
    if status == "ok" and not np.all(np.isfinite(fx)):
        status = f"f is not finite at the data (f = {fx}): outside the domain or at a pole; the {what} " \
                 f"there means nothing"
    elif status == "ok" and not np.all(np.isfinite(value)):
        bad = tuple(int(i) for i in np.argwhere(~np.isfinite(value))[0])
        status = f"the {what} is not finite at the data (entry {bad}: {value[bad]}): a pole, a kink or " \
                 f"a point outside the domain"
    return Estimate(value, error, int(nfev), method, status, (), seconds)


def _ad(f: ArrayFunction, env: dict, dims: dict, method: str, order: int) -> np.ndarray:
    fn = f.traced(env, dims)
    v = np.ravel(np.asarray(env[f.wrt], dtype=float))
    if order == 2:
        return (reverse if method == "reverse" else forward).hessian(fn, v)[2]
    if f.node.shape:  # a Jacobian: one pullback per output entry
        out, pullback = reverse.vjp(fn, v)
        size = int(np.size(out))
        rows = [np.ravel(pullback(np.eye(size)[i].reshape(np.shape(out)))) for i in range(size)]
        return np.array(rows)
    if method == "reverse":
        return np.ravel(reverse.value_and_grad(fn)(v)[1])
    return forward.gradient(fn, v)[1]


def _fd(f: ArrayFunction, env: dict, dims: dict, name: str, order: int):
    """The scheme on the compiled value; for a vector or matrix expression, each entry's gradient (one
    row of the Jacobian) with its own error estimate."""
    shape = np.shape(env[f.wrt])
    program = f.program("value")

    def batch(X: np.ndarray) -> np.ndarray:
        return np.array([np.ravel(program({**env, f.wrt: row.reshape(shape)}, dims)[0]) for row in X])

    x = np.ravel(np.asarray(env[f.wrt], dtype=float))
    if f.node.shape:
        rows = [finite_diff.gradient(lambda X, i=i: batch(X)[:, i], x, name)
                for i in range(math.prod(np.shape(program(env, dims)[0])))]
        status = next((f"entry {i}: {r.status}" for i, r in enumerate(rows) if r.status != "ok"), "ok")
        return (np.array([r.value for r in rows]), np.array([r.error for r in rows]),
                sum(r.nfev for r in rows), status)
    result = (finite_diff.gradient if order == 1 else finite_diff.hessian)(lambda X: batch(X)[:, 0], x, name)
    return result.value, result.error, result.nfev, result.status


def reference(f: ArrayFunction, data: Mapping[str, Any], order: int = 1, dps: int = 30) -> np.ndarray:
    """The derivative formula evaluated in mpmath, precision doubled until two runs agree to 17 digits."""
    env, dims = f.bind(data)
    previous = None
    while dps <= MAX_DPS:
        with mpmath.workdps(dps):
            value = _mp_derivative(f, env, dims, order)
        if previous is not None and _agree(previous, value):
            return np.array(value, dtype=float)
        previous, dps = value, dps * 2
    raise InputError(f"the mpmath reference did not settle by {MAX_DPS} digits")


def _mp_derivative(f: ArrayFunction, env: dict, dims: dict, order: int) -> np.ndarray:
    menv = {k: to_mpmath(v) for k, v in env.items()}
    kind = "gradient" if order == 1 else "hessian"
    node = f.derivative(kind)
    if node is not None:
        return np.asarray(evaluate([node], menv, dims, "mpmath")[0], dtype=object)
    shape = np.shape(env[f.wrt])
    size = int(np.prod(shape))
    columns = []
    for k in range(size):  # a derivative in directional form: its action on each basis direction
        basis = np.zeros(size)
        basis[k] = 1.0
        direction = to_mpmath(basis.reshape(shape))
        out = evaluate([f.derivative(f.directional(kind))], {**menv, f.direction.data: direction}, dims,
                       "mpmath")[0]
        columns.append(np.asarray(out, dtype=object))
    return np.moveaxis(np.array(columns, dtype=object), 0, -1).reshape(np.shape(columns[0]) + shape)


def _agree(a: np.ndarray, b: np.ndarray) -> bool:
    a, b = np.ravel(np.asarray(a, dtype=object)), np.ravel(np.asarray(b, dtype=object))
    scale = max((abs(v) for v in b), default=mpmath.mpf(0))
    return all(abs(x - y) <= mpmath.mpf(10) ** -17 * max(abs(y), scale * mpmath.mpf(10) ** -3)
               for x, y in zip(a, b, strict=True))
