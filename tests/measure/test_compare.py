"""compare(): every method against the reference, with the accuracy each method must reach.

The truth here is independent of difflab: derivatives written out by hand and evaluated in mpmath at
60 digits, at the exact binary value of the point.
"""

from __future__ import annotations

import mpmath
import numpy as np
import pytest

import difflab as dl
from difflab.measure.comparison import rel_error

# Function text, point, and the hand-written gradient as mpmath lambdas (x = tuple of mpf).
CASES = [
    ("exp(x)*sin(x)", [1.0], lambda x: [mpmath.exp(x[0]) * (mpmath.sin(x[0]) + mpmath.cos(x[0]))]),
    ("exp(x)*sin(y) - x*y", [1.0, -2.0],
     lambda x: [mpmath.exp(x[0]) * mpmath.sin(x[1]) - x[1], mpmath.exp(x[0]) * mpmath.cos(x[1]) - x[0]]),
    ("100*(y - x**2)**2 + (1 - x)**2", [-1.2, 1.0],
     lambda x: [-400 * x[0] * (x[1] - x[0] ** 2) - 2 * (1 - x[0]), 200 * (x[1] - x[0] ** 2)]),
    ("log(1 + x**2)*cos(y) + sqrt(x**2 + y**2 + 1)", [0.7, 0.4],
     lambda x: [2 * x[0] / (1 + x[0] ** 2) * mpmath.cos(x[1]) + x[0] / mpmath.sqrt(x[0] ** 2 + x[1] ** 2 + 1),
                -mpmath.log(1 + x[0] ** 2) * mpmath.sin(x[1]) + x[1] / mpmath.sqrt(x[0] ** 2 + x[1] ** 2 + 1)]),
    ("tanh(a*b) + a/(1 + b**2) + exp(-c)*a", [0.3, 1.5, 2.0],
     lambda x: [x[1] * mpmath.sech(x[0] * x[1]) ** 2 + 1 / (1 + x[1] ** 2) + mpmath.exp(-x[2]),
                x[0] * mpmath.sech(x[0] * x[1]) ** 2 - 2 * x[0] * x[1] / (1 + x[1] ** 2) ** 2,
                -mpmath.exp(-x[2]) * x[0]]),
]

# The accuracy targets (maximum relative error per entry).
TARGETS = {"symbolic": 1e-14, "forward": 1e-14, "reverse": 1e-14, "complex-step": 1e-14,
           "richardson": 1e-12, "fd-five-point": 1e-11, "fd-central": 1e-9,
           "fd-forward": 1e-6, "fd-backward": 1e-6}


def true_gradient(grad, point) -> np.ndarray:
    with mpmath.workdps(60):
        return grad([mpmath.mpf(float(v)) for v in point])


@pytest.mark.parametrize(("text", "point", "grad"), CASES, ids=[c[0][:25] for c in CASES])
def test_every_method_meets_its_target_and_reports_its_true_error(text, point, grad):
    table = dl.compare(dl.Function(text), at=point)
    truth = true_gradient(grad, point)
    assert {row.method for row in table.rows} == set(TARGETS)
    for row in table.rows:
        assert row.estimate.status == "ok", (row.method, row.estimate.status)
        # Independent check of the reported error: recompute it from the hand-written derivative.
        with mpmath.workdps(60):
            independent = max(float(abs(mpmath.mpf(float(v)) - t) / max(abs(mpmath.mpf(float(v))), abs(t)))
                              if (v != 0 or t != 0) else 0.0
                              for v, t in zip(row.estimate.value, truth, strict=True))
        # The table measures against the reference rounded to double: it may differ from the true error
        # by one rounding of the reference (eps/2 relative), no more.
        assert abs(row.max_rel_error - independent) <= 1.2e-16 * (1 + independent), row.method
        assert row.max_rel_error <= TARGETS[row.method], (row.method, row.max_rel_error)
        assert row.honest, (row.method, row.estimate.error_estimate, row.abs_error)


def test_worst_entry_is_named():
    table = dl.compare(dl.Function("exp(x)*sin(y) - x*y"), at=[1.0, -2.0], methods=["fd-forward"])
    row = table.rows[0]
    i = int(np.argmax(row.rel_error))
    assert row.worst.index == (i,)
    assert row.worst.value == row.estimate.value[i] and row.worst.rel_error == row.rel_error[i]


def test_hessian_comparison():
    f = dl.Function("x**4 + 0.8*y**4 + 4*x**2 + 2*y**2 - x*y - 0.2*x**2*y")
    table = dl.compare(f, at=[4.0, 4.0], order=2, methods=["symbolic", "forward", "reverse", "fd-central"])
    assert np.allclose(table.reference, [[198.4, -2.6], [-2.6, 157.6]], rtol=1e-15, atol=0)
    for row in table.rows:
        limit = 1e-6 if row.method == "fd-central" else 1e-14
        assert row.max_rel_error <= limit, (row.method, row.max_rel_error)


@pytest.mark.parametrize(("a", "b", "expected"), [
    (1.0, 1.0, 0.0), (0.0, 0.0, 0.0), (1.0, 0.0, 1.0), (-1.0, 1.0, 2.0), (3.0, 4.0, 0.25), (1e-300, 0.0, 1.0),
])
def test_rel_error_definition(a, b, expected):
    """|a-b| / max(|a|,|b|), both zero exact: symmetric and scale-free."""
    assert rel_error(np.array([a]), np.array([b]))[0] == pytest.approx(expected, rel=1e-15)
    assert rel_error(np.array([b]), np.array([a]))[0] == pytest.approx(expected, rel=1e-15)


def test_unknown_method_is_refused_with_the_list():
    with pytest.raises(dl.InputError, match=r"unknown method 'nope'; choose one of: symbolic, forward, reverse"):
        dl.compare(dl.Function("x"), at=[1.0], methods=["nope"])


def test_compare_validates_the_point_once(monkeypatch):
    """Issue 12: the point is checked once per compare, not once per method and note."""
    from difflab.expr import function

    calls = []
    real = function.parse_point
    monkeypatch.setattr(function, "parse_point", lambda x, variables: calls.append(x) or real(x, variables))
    table = dl.compare(dl.Function("exp(x)*sin(y)"), at="x=1,y=2")
    assert len(table.rows) == 9 and len(calls) == 1


def test_jacobian_table_per_entry_errors_and_the_worst_entry_named():
    """Errors per entry against closed forms (not difflab's reference); the worst entry is the largest of
    those (here sin(x) + y**2's d/dx: |f|/|f'| = 9 makes the forward difference's rounding largest)."""
    F = dl.Function("[x*y, sin(x) + y**2, exp(3*x)]")
    x, y = 1.0, 2.0
    J = np.array([[y, x], [np.cos(x), 2 * y], [3 * np.exp(3 * x), 0.0]])
    table = dl.compare(F, [x, y], methods=["fd-forward", "reverse"])
    assert table.quantity == "jacobian" and table.what == "Jacobian"
    assert np.allclose(table.reference, J, rtol=1e-15)
    row = table.row("fd-forward")
    assert row.rel_error.shape == (3, 2)
    independent = rel_error(row.estimate.value, J)
    assert np.allclose(row.rel_error, independent, rtol=1e-6, atol=1e-18)
    worst = np.unravel_index(np.argmax(independent), J.shape)
    assert row.worst.index == worst == (1, 0) and table.entry_name(row.worst.index) == "df1/dx"
    assert row.worst.reference == pytest.approx(np.cos(1.0), rel=1e-15)
    assert row.honest is True and table.row("reverse").max_rel_error <= 1e-15
    assert "df1/dx" in str(table)


def test_orders_table_leaves_declined_orders_out_and_names_the_worst_order():
    """(e^x sin x)^(k) = 2^(k/2) e^x sin(x + k pi/4): complex step gives f and f' and declines the rest
    (nan errors, not inf); a finite difference's worst entry is its highest order."""
    x = 1.0
    exact = np.array([2 ** (k / 2) * np.e * np.sin(x + k * np.pi / 4) for k in range(6)])
    table = dl.compare("exp(x)*sin(x)", [x], methods=["complex-step", "fd-central", "forward"], order=5)
    assert table.quantity == "derivatives" and np.allclose(table.reference, exact, rtol=1e-14)
    cs = table.row("complex-step")
    assert np.all(np.isnan(cs.rel_error[2:])) and np.all(cs.rel_error[:2] <= 1e-15)
    assert cs.max_rel_error <= 1e-15 and cs.honest is True and np.isfinite(cs.largest_estimate)
    assert "2 of 6 entries" in str(table)
    fd = table.row("fd-central")
    assert table.entry_name(fd.worst.index) == "f^(5)"
    assert fd.max_rel_error == pytest.approx(abs(fd.estimate.value[5] - exact[5]) / abs(exact[5]), rel=1e-6)
    assert table.row("forward").max_rel_error <= 1e-13


FD_METHODS = ["fd-forward", "fd-backward", "fd-central", "fd-five-point", "complex-step", "richardson"]


@pytest.mark.parametrize(("text", "at", "order", "closed"), [
    ("x - sin(x)", [0.0], 2, lambda x: [[mpmath.sin(x[0])]]),
    ("x - sin(x)", [1e-3], 1, lambda x: [1 - mpmath.cos(x[0])]),
    ("x - sin(x)", [1e-3], 2, lambda x: [[mpmath.sin(x[0])]]),
    ("x*y - sin(x*y)", [0.0, 0.0], 2, lambda x: [[0, 0], [0, 0]]),
    ("(x*y - sin(x*y))*1.37", [0.0, 0.0], 2, lambda x: [[0, 0], [0, 0]]),  # values a few ulps of x*y
    ("x*y - sin(x*y)", [0.5, 1e-3], 1, lambda x: [x[1] * (1 - mpmath.cos(x[0] * x[1])),
                                                  x[0] * (1 - mpmath.cos(x[0] * x[1]))]),
])
def test_finite_differences_see_cancellation_inside_f(text, at, order, closed):
    # issue 13: `difflab compare "x - sin(x)" --at x=0 --order 2` gave fd-forward 2.3e-8 +- 2.5e-23
    # against 0 (and fd-backward -2.3e-8): the rounding model saw u*|f| where f's intermediates round
    # at u*h. The reference is checked against the closed form first (60 digits, exact binary point).
    table = dl.compare(dl.Function(text), at=at, order=order, methods=FD_METHODS)
    with mpmath.workdps(60):
        truth = np.array(closed([mpmath.mpf(v) for v in at]), dtype=float)
    assert np.array_equal(table.reference, truth)
    for row in table.rows:
        assert row.estimate.status == "ok" and row.honest, (row.method, row.estimate.error_estimate, row.abs_error)
