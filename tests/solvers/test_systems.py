"""Newton on systems F(x) = 0: converges with every Jacobian method; failures said in words."""

from __future__ import annotations

import mpmath
import numpy as np
import pytest

import difflab as dl
from difflab.errors import InputError
from difflab.solvers.systems import gradient_system

SYSTEM = "[x**2 + y**2 - 4, exp(x) + y - 1]"


def mp_root():
    with mpmath.workdps(40):
        r = mpmath.findroot([lambda x, y: x**2 + y**2 - 4, lambda x, y: mpmath.exp(x) + y - 1], (1, -1.5))
        return np.array([float(v) for v in r])


@pytest.mark.parametrize("method", ["symbolic", "forward", "reverse", "fd-central", "complex-step", "mpmath"])
def test_converges_to_mpmaths_root(method):
    r = dl.newton(SYSTEM, "x=1,y=-1.5", method=method, mode="root")
    assert r.converged and r.reason.startswith("converged")
    assert np.allclose(r.x, mp_root(), rtol=1e-14, atol=0)
    assert r.nit <= 8


def test_line_search_rescues_a_far_start():
    """From (4, 4) plain Newton overshoots; backtracking on |F| keeps every residual decreasing."""
    r = dl.newton(SYSTEM, [4.0, 4.0], mode="root", line_search=True)
    assert r.converged
    res = r.history["residual"]
    assert all(b < a for a, b in zip(res, res[1:], strict=False))


def test_failures_in_words():
    singular = dl.newton("[x - y, x - y + 3]", [1.0, -1.5], mode="root")
    assert not singular.converged and singular.reason.startswith("singular Jacobian at x=1, y=-1.5")
    stalled = dl.newton("[x**2 + y**2 + 1, x - y]", [1.0, 0.5], mode="root")
    assert not stalled.converged and stalled.reason.startswith("no progress: |F| has stayed near")
    ill = dl.newton("[x**2, y]", [1.0, 0.5], mode="root")
    assert ill.converged and "ill-conditioned" in ill.reason
    off = dl.newton("[log(x), y]", [-1.0, 0.0], mode="root")
    assert not off.converged and off.reason.startswith("F is not finite at x=-1")


def test_bad_shapes_and_modes():
    with pytest.raises(InputError, match="as many equations as unknowns: 1 equation, 2 unknowns"):
        dl.newton("[x + y]", [1, 2], mode="root")
    with pytest.raises(InputError, match="minimize needs a scalar function; this one has 2 components"):
        dl.newton("[x, y]", [1, 2], mode="minimize")


def test_minimise_by_solving_grad_f_equals_0():
    """Seed 001's route: grad f = 0 by Newton, whose Jacobian is the Hessian -- the same iterates as
    Newton's minimisation of f itself."""
    f = "x**4 + 0.8*y**4 + 4*x**2 + 2*y**2 - x*y - 0.2*x**2*y"
    G = gradient_system(f)
    root = dl.newton(G, [4.0, 4.0], mode="root")
    direct = dl.newton(f, [4.0, 4.0], mode="minimize")
    assert root.converged and direct.converged
    assert np.allclose(np.array(root.iterates), np.array(direct.iterates), rtol=1e-12, atol=1e-15)
    H = dl.hessian(f, root.x).value
    J = dl.jacobian(G, root.x, "forward").value
    assert np.allclose(H, J, rtol=1e-13)
