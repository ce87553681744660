"""``sign`` and ``sinc`` in expression text: every method against closed forms (sinc is NumPy's normalised
sin(pi x)/(pi x); sign is piecewise constant, its derivative 0 away from 0)."""

from __future__ import annotations

import math

import pytest
from rulecheck import rel

import difflab as dl
from difflab.methods import registry

X, Y = 1.5, 0.37
PY = math.pi * Y
SINC = math.sin(PY) / PY
SINC_D = (math.cos(PY) - SINC) / Y
GRADIENT = [3 * X ** 2, SINC + Y * SINC_D]  # of sign(x - 1)*x**3 + y*sinc(y) at (X, Y)
TOLERANCE = {"fd-forward": 1e-6, "fd-backward": 1e-6, "fd-central": 1e-8, "fd-five-point": 1e-10,
             "richardson": 1e-10}


@pytest.mark.parametrize("method", registry.names())
def test_sign_and_sinc_in_text_by_every_method(method):
    est = dl.gradient("sign(x - 1)*x**3 + y*sinc(y)", [X, Y], method=method)
    assert est.status == "ok" and rel(est.value, GRADIENT) <= TOLERANCE.get(method, 1e-13), (method, est.value)


def test_sinc_at_zero_and_integers():
    assert dl.Function("sinc(x)").value([0.0]) == 1.0
    assert dl.Function("sinc(x)").value([1000.0]) == 0.0  # numpy.sinc(1000.0) is -3.9e-17
    assert rel(dl.gradient("sinc(x)", [0.0], method="forward").value, [0.0]) == 0.0
