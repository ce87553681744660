"""JAX's conventions for dl.grad / value_and_grad / jacobian / hessian / jvp / vjp / hvp, and their errors.

Values are closed forms worked by hand; each error message is asserted exactly (one line, names the problem).
"""

from __future__ import annotations

import numpy as np
import pytest
from rulecheck import rel

import difflab as dl
import difflab.numpy as dnp
from difflab.errors import InputError
from difflab.result import Estimate

X = np.array([0.5, -1.2, 2.0])


def f3(a, b, c):
    return a * b ** 2 + dnp.sin(c) * a


@pytest.mark.parametrize("method", ["reverse", "forward", "fd-five-point"])
def test_argnums_int_tuple_and_negative(method):
    a, b, c = 1.5, -0.5, 0.3
    assert rel(dl.grad(f3, argnums=1, method=method)(a, b, c), 2 * a * b) <= 1e-9
    assert rel(dl.grad(f3, argnums=-1, method=method)(a, b, c), np.cos(c) * a) <= 1e-9
    ga, gc = dl.grad(f3, argnums=(0, 2), method=method)(a, b, c)
    assert rel([ga, gc], [b ** 2 + np.sin(c), np.cos(c) * a]) <= 1e-9


def test_has_aux_returns_the_aux_undifferentiated():
    def loss(w, x):
        pred = dnp.tanh(w * x)
        return dnp.sum(pred ** 2), {"pred": pred}
    (value, aux), g = dl.value_and_grad(loss, has_aux=True)(0.7, X)
    assert rel(value, np.sum(np.tanh(0.7 * X) ** 2)) <= 1e-15
    assert type(aux["pred"]) is np.ndarray and rel(aux["pred"], np.tanh(0.7 * X)) <= 1e-15
    assert rel(g, np.sum(2 * np.tanh(0.7 * X) * (1 - np.tanh(0.7 * X) ** 2) * X)) <= 1e-14
    g2, aux2 = dl.grad(loss, has_aux=True, method="forward")(0.7, X)
    assert rel(g2, g) <= 1e-14 and rel(aux2["pred"], aux["pred"]) == 0.0


def test_method_name_in_second_position_still_works():
    assert rel(dl.grad(lambda u: dnp.sum(u ** 3), "forward")(X), 3 * X ** 2) <= 1e-15


def test_jacobian_of_a_python_function_is_jacfwd_and_jacrev():
    def F(x):
        return dnp.stack([x[0] * x[1], dnp.exp(x[2]) + x[0] ** 2])
    J = np.array([[X[1], X[0], 0.0], [2 * X[0], 0.0, np.exp(X[2])]])
    for method in ("forward", "reverse"):
        assert rel(dl.jacobian(F, method=method)(X), J) <= 1e-15


def test_jacobian_pytree_layout_is_jaxs():
    """Per output leaf, the input's structure, each array shaped out.shape + in.shape."""
    def F(p):
        return {"u": p["a"] * p["b"], "v": dnp.sum(p["a"] ** 2)}
    p = {"a": np.array([1.0, 2.0]), "b": 3.0}
    for method in ("forward", "reverse"):
        J = dl.jacobian(F, method=method)(p)
        assert rel(J["u"]["a"], 3.0 * np.eye(2)) == 0 and rel(J["u"]["b"], [1.0, 2.0]) == 0
        assert rel(J["v"]["a"], [2.0, 4.0]) == 0 and np.shape(J["v"]["b"]) == ()


def test_jacobian_and_hessian_of_a_function_at_a_point_are_unchanged():
    est = dl.jacobian("[x*y, sin(x) + y**2]", [1.0, 2.0], method="symbolic")
    assert isinstance(est, Estimate) and rel(est.value, [[2.0, 1.0], [np.cos(1.0), 4.0]]) <= 1e-15
    est = dl.hessian("x**2*y", [1.0, 3.0], method="reverse")
    assert isinstance(est, Estimate) and rel(est.value, [[6.0, 2.0], [2.0, 0.0]]) <= 1e-15


def test_hessian_of_a_python_function_with_argnums_tuple():
    H = dl.hessian(lambda a, b: a ** 2 * b ** 3, argnums=(0, 1))(2.0, 3.0)
    truth = [[2 * 27.0, 3 * 2 * 2 * 9.0], [3 * 2 * 2 * 9.0, 4 * 6 * 3.0]]
    assert rel([[H[0][0], H[0][1]], [H[1][0], H[1][1]]], truth) <= 1e-15


def test_jvp_vjp_hvp_closed_forms():
    out, t = dl.jvp(lambda a, b: a * dnp.sin(b), (2.0, 0.5), (1.0, 3.0))
    assert rel(out, 2 * np.sin(0.5)) == 0 and rel(t, np.sin(0.5) + 2 * np.cos(0.5) * 3.0) <= 1e-15
    out, pullback = dl.vjp(lambda a, b: (a * b, a + b), 2.0, 3.0)
    ga, gb = pullback((1.0, 10.0))
    assert rel(out, (6.0, 5.0)) == 0 and rel([ga, gb], [3.0 + 10.0, 2.0 + 10.0]) == 0
    v = np.array([1.0, -2.0, 0.5])
    H = np.diag(-np.sin(X)) + 2.0  # f = sum(sin x) + (sum x)^2
    for method in dl.methods.transforms.nestings():
        hv = dl.hvp(lambda x: dnp.sum(dnp.sin(x)) + dnp.sum(x) ** 2, (X,), (v,), method=method)
        assert rel(hv, H @ v) <= 1e-15, method


@pytest.mark.parametrize(("call", "message"), [
    (lambda: dl.grad(f3, argnums=3)(1.0, 2.0, 3.0),
     "grad: argnums=3 is out of range: the function was called with 3 positional arguments"),
    (lambda: dl.grad(f3, argnums=(0, 5))(1.0, 2.0, 3.0),
     "grad: argnums=(0, 5) is out of range: the function was called with 3 positional arguments"),
    (lambda: dl.grad(f3, argnums=1.5),
     "grad: argnums must be an int or a non-empty tuple of ints; got 1.5"),
    (lambda: dl.grad(lambda x: dnp.sum(x), has_aux=True)(X),
     "grad(has_aux=True): the function must return a pair (output, aux); it returned shape ()"),
    (lambda: dl.grad(lambda x: x * 2.0)(X),
     "grad needs a scalar-valued function; <lambda> returned shape (3,) (dl.jacobian takes vector outputs)"),
    (lambda: dl.grad(lambda x: None)(X),
     "grad: <lambda> returned None; it must return a number (a missing 'return'?)"),
    (lambda: dl.grad(lambda x: "loss", method="forward")(X),
     "grad: <lambda> returned a string ('loss'); it must return a number"),
    (lambda: dl.grad(lambda x: dl.grad(lambda y: dnp.sin(y), method="fd-central")(x), method="reverse")(0.3),
     "grad: method 'fd-central' works on numbers and cannot run inside another forward/reverse transform "
     "(its argument is traced); use 'forward' or 'reverse' for the inner derivative"),
    (lambda: dl.jacobian(lambda x: x, method="fd-central"),
     "jacobian of a Python function: method must be 'forward' (jacfwd) or 'reverse' (jacrev); got 'fd-central'"),
    (lambda: dl.jacobian("[x, y]"),
     "jacobian: a Function or an expression needs a point: dl.jacobian(F, x)"),
    (lambda: dl.hessian(lambda x: x, method="sideways"),
     "hessian: unknown method 'sideways'; choose one of: forward-over-forward, forward-over-reverse, "
     "reverse-over-forward, reverse-over-reverse, forward, reverse"),
    (lambda: dl.jvp(lambda x: x, X, X),
     "jvp: primals must be a tuple with one entry per argument of the function; got shape (3,)"),
    (lambda: dl.jvp(lambda x: x, (X,), (X[:2],)),
     "jvp: a tangent has shape (2,), its primal has shape (3,)"),
    (lambda: dl.jacobian(lambda x: x, tolerance=1e-3),
     "jacobian of a Python function: unknown option(s) tolerance"),
    (lambda: dl.jacobian(lambda x: None)(X),
     "jacobian: <lambda> returned None; it must return a number (a missing 'return'?)"),
])
def test_errors_are_one_line_and_name_the_problem(call, message):
    with pytest.raises(InputError) as info:
        call()
    assert str(info.value) == message
