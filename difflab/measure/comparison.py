"""Every method at a point, measured against the mpmath reference: pure data (an ``ErrorTable``).

Errors are relative per entry, ``|a-b| / max(|a|, |b|)`` with both zero counting as exact, because an
absolute difference hides wrong derivatives in saturated regions (a sigmoid derivative of 1e-5 that is
off by 100% is an absolute error of 1e-5). The table names the worst entry with both values.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from difflab.expr.vector import VectorFunction
from difflab.matrix.function import ArrayFunction
from difflab.matrix.routes import reference as array_reference
from difflab.methods import higher, higher_routes, higher_tensors, registry
from difflab.methods.reference import reference_gradient, reference_hessian
from difflab.result import ErrorTable, Estimate, MethodRow, WorstEntry
from difflab.singular.notes import notes_at_point, trusted_value

DEFAULT_METHODS = ("symbolic", "forward", "reverse", "fd-forward", "fd-backward", "fd-central",
                   "fd-five-point", "complex-step", "richardson")


def rel_error(a: Any, b: Any) -> np.ndarray:
    """Per-entry relative error |a-b|/max(|a|,|b|); both zero -> 0; a non-finite entry -> inf."""
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    with np.errstate(all="ignore"):
        scale = np.maximum(np.abs(a), np.abs(b))
        err = np.where(scale == 0, 0.0, np.abs(a - b) / np.where(scale == 0, 1.0, scale))
    err = np.where(np.isfinite(a) & np.isfinite(b), err, np.inf)
    return np.where((a == b), 0.0, err)


def worst_entry(value: np.ndarray, reference: np.ndarray, errors: np.ndarray) -> WorstEntry | None:
    """The entry with the largest relative error among those judged (a nan error: not given, never worst)."""
    if errors.size == 0 or np.all(np.isnan(errors)):
        return None
    flat = int(np.argmax(np.where(np.isnan(errors), -np.inf, errors)))
    index = tuple(int(i) for i in np.unravel_index(flat, errors.shape))
    return WorstEntry(index, float(value[index]), float(reference[index]), float(errors[index]))


def row_for(estimate: Estimate, reference: np.ndarray) -> MethodRow:
    """Measure one estimate against the reference (used by compare, reports and the fuzzer).

    Entries a method did not give (nan, with its status saying why: an order it cannot reach, a probe
    outside the domain) are not judged: their relative error is nan (null in JSON), and the largest
    error, the worst entry and honesty are over the entries it gave -- an "infinite" error for an
    order complex step never claimed would be a wrong number. Nothing given: ``max_rel_error`` is nan.
    """
    value = np.asarray(estimate.value, dtype=float)
    given = np.isfinite(value)
    errors = np.where(given, rel_error(value, reference), np.nan)
    with np.errstate(all="ignore"):
        abs_err = np.abs(value - reference)
    honest = None
    if estimate.error_estimate is not None and np.any(given):
        bound = np.asarray(estimate.error_estimate, dtype=float)
        honest = bool(np.all(((abs_err <= bound) | (errors == 0))[given]))
    worst = worst_entry(value, reference, errors)
    max_err = float(np.max(errors[given])) if np.any(given) else (0.0 if errors.size == 0 else float("nan"))
    return MethodRow(estimate.method, estimate, errors, max_err, worst, abs_err, honest)


def compare(f: Any, at: Any, methods: Sequence[str] | None = None, order: int = 1) -> ErrorTable:
    """Run ``methods`` (default: all but the reference) at ``at`` and measure them against mpmath.

    The point is validated once, here; the methods get the validated array (``Method.gradient_at``).
    A vector-valued f compares Jacobians; ``order`` above 2 (one variable) compares f, f', ..., f^(k);
    ``order`` 3 of several variables compares the tensors of third derivatives.
    """
    f = f if isinstance(f, VectorFunction) else registry.as_function(f)
    names = list(methods) if methods else [m for m in DEFAULT_METHODS if m in registry.names()]
    if isinstance(f, ArrayFunction):
        return _compare_arrays(f, at, names, order)
    x = f.point(at)
    if isinstance(f, VectorFunction) or order > 2:
        return _compare_higher(f, x, names, order)
    if order == 1:
        reference = np.array([float(v) for v in reference_gradient(f, x)])
    else:
        reference = np.array([[float(v) for v in row] for row in reference_hessian(f, x)])
    rows = []
    for name in names:
        method = registry.get(name)
        estimate = method.gradient_at(f, x) if order == 1 else method.hessian_at(f, x)
        rows.append(row_for(estimate, reference))
    value = trusted_value(f, x) if f.has_expression else None
    # The point's own words (a kink, a removable singularity) once for the table, not in every row.
    notes = tuple(notes_at_point(f, x)) if f.has_expression else ()
    return ErrorTable(f.text, f.variables, tuple(float(v) for v in x), order, reference, tuple(rows), value,
                      notes)


def _compare_arrays(f: ArrayFunction, data: Any, names: Sequence[str], order: int) -> ErrorTable:
    """The same table for an array Function at data ``{name: array}``: the reference is its formula in
    mpmath; ``point`` holds the variable's entries (flattened), the rows' values are shaped like it."""
    reference = array_reference(f, data, order)
    rows = tuple(row_for(registry.get(name).shaped_estimate(f, data, order), reference) for name in names)
    env, dims = f.bind(data)
    point = tuple(float(v) for v in np.ravel(env[f.wrt]))
    value = float(f.program("value")(env, dims)[0]) if not f.node.shape else None
    return ErrorTable(f.text, f.variables, point, order, reference, rows, value)


def _compare_higher(f: Any, x: np.ndarray, names: list[str], order: int) -> ErrorTable:
    """Jacobians of a vector-valued f, or derivatives of order 0..k of a function of one variable."""
    if isinstance(f, VectorFunction):
        kind, order = "jacobian", 1
        reference = np.asarray(higher_routes.mpmath_jacobian(f, x).value, dtype=float)
        rows = [row_for(higher.jacobian(f, x, name), reference) for name in names]
        value = None
    elif order == 3 and f.n > 1:
        kind = "third_derivatives"
        reference = np.asarray(higher_tensors.mpmath_third(f, x).value, dtype=float)
        rows = [row_for(higher.third_derivatives(f, x, name), reference) for name in names]
        value = f.value_at(x)
    else:
        kind = "derivatives"
        reference = np.asarray(higher_routes.mpmath_derivatives(f, x, order).value, dtype=float)
        rows = [row_for(higher.derivatives(f, x, order, name), reference) for name in names]
        value = float(reference[0])
    return ErrorTable(f.text, f.variables, tuple(float(v) for v in x), order, reference, tuple(rows), value,
                      kind=kind)
