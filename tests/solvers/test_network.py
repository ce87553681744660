"""Networks: seed 002's 2-2-1 partials (corrected), seed 003's (3,3,2,1) backprop against an independent
mpmath oracle, every method through the provider interface, loss-curve agreement, dropout, heads."""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from difflab.errors import InputError
from difflab.methods import registry as methods
from difflab.methods.registry import provider
from difflab.solvers import activations as acts
from difflab.solvers.network import Network, curve_agreement, gradient, train, unflatten

EXACT = [m for m in methods.names() if methods.get(m).exact]
TOL = {"fd-forward": 1e-6, "fd-backward": 1e-6, "fd-central": 1e-8, "fd-five-point": 1e-10,
       "richardson": 1e-10, "complex-step": 1e-12}


def _flat(grads) -> np.ndarray:
    return np.concatenate([np.concatenate([W.ravel(), b.ravel()]) for W, b in grads])


def _rel(a, b) -> float:
    return float(np.max(np.abs(np.asarray(a) - np.asarray(b))) / np.max(np.abs(b)))


# ------------------------------------------------------------------------------- seed 002: 2-2-1
def _seed002_partials(x1, x2, y, w11, w21, w12, w22, b1, b2, w1, w2, b):
    """The chain rule by hand in mpmath (seed 002's notation: z1 = x1 w11 + x2 w21 + b1, ...)."""
    mpmath.mp.dps = 40
    s = lambda t: 1 / (1 + mpmath.exp(-t))  # noqa: E731
    a1, a2 = s(x1 * w11 + x2 * w21 + b1), s(x1 * w12 + x2 * w22 + b2)
    yh = s(a1 * w1 + a2 * w2 + b)
    r = y - yh
    out = {"w11": -x1 * w1 * a1 * (1 - a1) * r,   # seed: -x1 w1 a1 (1-a1)(y - yh), correct
           # Seed 002 writes w21 -> w21 - alpha x2 w2 a1 (1-a1)(y - yh); w21 feeds z1 -> a1 -> w1, so the
           # chain rule gives w1, not w2 (corrected here; the seed's version is checked to differ below).
           "w21": -x2 * w1 * a1 * (1 - a1) * r,
           "w12": -x1 * w2 * a2 * (1 - a2) * r, "w22": -x2 * w2 * a2 * (1 - a2) * r,
           # Seed 002 writes b1 -> b1 - alpha a1 (1-a1)(y - yh): the factor w1 is missing (and the sign of
           # the update is flipped, as for w11); the corrected partial is -w1 a1 (1-a1)(y - yh).
           "b1": -w1 * a1 * (1 - a1) * r, "b2": -w2 * a2 * (1 - a2) * r,
           "w1": -a1 * r, "w2": -a2 * r, "b": -r}
    seed_w21 = -x2 * w2 * a1 * (1 - a1) * r
    loss = -y * mpmath.log(yh) - (1 - y) * mpmath.log(1 - yh)
    mpmath.mp.dps = 15
    return out, seed_w21, loss


@pytest.mark.parametrize("method", methods.names())
def test_seed002_221_partials_every_method(method):
    rng = np.random.default_rng(2)
    w11, w21, w12, w22, b1, b2, w1, w2, b = rng.standard_normal(9)
    x1, x2, y = 2.0, 1.0, 1.0  # seed 002: "Aack beep aack!" -> happy
    net = Network((2, 2, 1))
    params = [(np.array([[w11, w21], [w12, w22]]), np.array([b1, b2])), (np.array([[w1, w2]]), np.array([b]))]
    value, ((W1, c1), (W2, c2)) = gradient(net, params, [[x1, x2]], [y], method)
    hand, seed_w21, loss = _seed002_partials(*(mpmath.mpf(float(v)) for v in
                                              (x1, x2, y, w11, w21, w12, w22, b1, b2, w1, w2, b)))
    got = {"w11": W1[0, 0], "w21": W1[0, 1], "w12": W1[1, 0], "w22": W1[1, 1], "b1": c1[0], "b2": c1[1],
           "w1": W2[0, 0], "w2": W2[0, 1], "b": c2[0]}
    tol = TOL.get(method, 1e-13)
    assert value == pytest.approx(float(loss), rel=1e-14)
    for name, v in got.items():
        assert v == pytest.approx(float(hand[name]), rel=tol, abs=tol * 1e-2), name
    assert abs(float(seed_w21) - got["w21"]) > 0.05 * abs(got["w21"])  # the seed's w2 is wrong


def test_seed002_sigmoid_derivative_is_derived_not_assumed():
    # Seed 002: d sigma / dz = sigma (1 - sigma); SymPy derives exactly that from the sigmoid row.
    assert acts.derivative_text("sigmoid") == "(1 - sigmoid(z))*sigmoid(z)"
    assert acts.derivative_text("tanh") == "1 - tanh(z)**2"
    assert acts.derivative_text("softplus") == "sigmoid(z)"


# ------------------------------------------------------------------------- seed 003: (3, 3, 2, 1)
def _mp_loss(theta, X, Y):
    """Seed 003's forward propagation written out with scalar loops in mpmath (the oracle)."""
    s = lambda t: 1 / (1 + mpmath.exp(-t))  # noqa: E731
    sizes, k, total = (3, 3, 2, 1), 0, mpmath.mpf(0)
    layers = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:], strict=True):
        W = [[theta[k + j * n_in + i] for i in range(n_in)] for j in range(n_out)]
        k += n_in * n_out
        layers.append((W, theta[k:k + n_out]))
        k += n_out
    for x, y in zip(X, Y, strict=True):
        a = [mpmath.mpf(v) for v in x]
        for W, b in layers:
            a = [s(sum(W[j][i] * a[i] for i in range(len(a))) + b[j]) for j in range(len(b))]
        total += -y * mpmath.log(a[0]) - (1 - y) * mpmath.log(1 - a[0])
    return total / len(X)


@pytest.fixture(scope="module")
def seed003():
    net = Network((3, 3, 2, 1))
    params = net.init(3)
    rng = np.random.default_rng(4)
    X, Y = rng.standard_normal((4, 3)), np.array([1.0, 0.0, 0.0, 1.0])
    theta = [mpmath.mpf(float(v)) for v in _flat(params)]
    with mpmath.workdps(30):
        oracle = []
        for i in range(len(theta)):
            def along(t, i=i):
                th = list(theta)
                th[i] = t
                return _mp_loss(th, X, Y)
            oracle.append(float(mpmath.diff(along, theta[i])))
    return net, params, X, Y, np.array(oracle)


def test_seed003_shapes(seed003):
    net, params, *_ = seed003
    assert [W.shape for W, _ in params] == [(3, 3), (2, 3), (1, 2)]  # W^L is s(L) x s(L-1)
    assert len(_flat(params)) == 23


@pytest.mark.parametrize("method", methods.names())
def test_seed003_backprop_every_method_against_mpmath_oracle(seed003, method):
    # Seed 003's Algorithm 2 loops "for L = LL-2 to 2", which never forms delta for layer LL-1 (here the
    # 2-unit layer, W^3); the backprop runs every layer below the output, and W^3's gradient is checked too.
    net, params, X, Y, oracle = seed003
    value, grads = gradient(net, params, X, Y, method)
    with mpmath.workdps(30):
        assert value == pytest.approx(float(_mp_loss([mpmath.mpf(float(v)) for v in _flat(params)], X, Y)),
                                      rel=1e-14)
    assert [g.shape for g, _ in grads] == [(3, 3), (2, 3), (1, 2)]
    assert _rel(_flat(grads), oracle) <= TOL.get(method, 1e-13)


def test_every_method_has_a_provider():
    for name in methods.names():
        p = provider(name)
        assert p.name == name and p.exact == methods.get(name).exact
    with pytest.raises(InputError, match="unknown method 'sgd'"):
        provider("sgd")


# ----------------------------------------------------------------------------- loss curves
@pytest.fixture(scope="module")
def curves():
    net = Network((3, 3, 2, 1))
    rng = np.random.default_rng(5)
    X = rng.standard_normal((8, 3))
    Y = (X[:, 0] * X[:, 1] > 0).astype(float)
    params = net.init(6)
    out = {m: train(net, params, X, Y, method=m, lr=0.8, epochs=150).history["loss"]
           for m in ("symbolic", "reverse", "forward", "fd-central", "fd-forward")}
    out["mpmath"] = train(net, params, X, Y, method="mpmath", lr=0.8, epochs=25).history["loss"]
    return out


def test_exact_methods_give_the_same_loss_curve(curves):
    drift = curve_agreement({m: curves[m] for m in ("symbolic", "reverse", "forward")}, "reverse")
    assert max(drift.values()) <= 1e-10
    assert curves["reverse"][-1] < 0.8 * curves["reverse"][0]  # it did learn
    # The mpmath route (backprop at 50 digits) agrees with the float routes over its 26 points.
    assert np.max(np.abs(np.array(curves["mpmath"]) - curves["reverse"][:26])) <= 1e-12


def test_finite_difference_drift_is_measured(curves):
    drift = curve_agreement(curves, "reverse")
    # Central differences (O(h^2)) drift far less than forward differences (O(h)); both are visible.
    assert 0 < drift["fd-central"] < 1e-8
    assert drift["fd-central"] < drift["fd-forward"] < 1e-5


def test_seed003_algorithm3_online_updates(seed003):
    # Algorithm 3 updates W and b after every pattern: one epoch with batch_size=1 is m single-sample steps,
    # here replayed by hand with the mpmath route's gradients.
    net, params, X, Y, _ = seed003
    lr = 0.3
    r = train(net, params, X, Y, method="symbolic", lr=lr, epochs=1, batch_size=1)
    p = params
    for i in range(len(X)):
        _, g = gradient(net, p, X[i:i + 1], Y[i:i + 1], "mpmath")
        p = [(W - lr * gW, b - lr * gb) for (W, b), (gW, gb) in zip(p, g, strict=True)]
    assert r.nit == len(X) and len(r.history["loss"]) == len(X) + 1
    assert np.max(np.abs(r.x - _flat(p))) <= 1e-14
    online = {m: train(net, params, X, Y, method=m, lr=lr, epochs=20, batch_size=2).history["loss"]
              for m in ("symbolic", "reverse", "forward")}
    assert max(curve_agreement(online, "reverse").values()) <= 1e-12
    with pytest.raises(InputError, match=r"^batch_size must be a whole number from 1 to 4 \(the number of "):
        train(net, params, X, Y, batch_size=5)


def test_dropout_same_masks_for_every_method():
    net = Network((2, 4, 1), hidden="tanh", dropout=0.5)
    rng = np.random.default_rng(7)
    X, Y = rng.standard_normal((6, 2)), np.array([1, 0, 1, 0, 1, 1.0])
    params = net.init(1)
    runs = {m: train(net, params, X, Y, method=m, lr=0.5, epochs=40, seed=3).history["loss"]
            for m in ("symbolic", "reverse", "forward")}
    assert max(curve_agreement(runs, "reverse").values()) <= 1e-12
    plain = train(Network((2, 4, 1), hidden="tanh"), params, X, Y, lr=0.5, epochs=40).history["loss"]
    assert np.max(np.abs(np.array(plain) - runs["reverse"])) > 1e-3  # dropout changed the descent
    masks = net.masks(np.random.default_rng(0), 6)
    assert set(np.unique(masks[0])) <= {0.0, 2.0}


@pytest.mark.parametrize("hidden, output, loss, k", [
    ("tanh", "softmax", "cross-entropy", 3), ("relu", "identity", "squared", 2),
    ("leaky_relu", "sigmoid", "squared", 1), ("softplus", "tanh", "squared", 1),
    ("sigmoid", "sigmoid", "log", 1),
])
def test_every_activation_and_head_every_route_agrees(hidden, output, loss, k):
    net = Network((3, 4, k), hidden=hidden, output=output, loss=loss)
    rng = np.random.default_rng(8)
    X = rng.standard_normal((5, 3))
    Y = np.eye(k)[rng.integers(0, k, 5)] if loss == "cross-entropy" else rng.random((5, k))
    params = net.init(9)
    ref_value, ref = gradient(net, params, X, Y, "mpmath")
    for m in ("symbolic", "reverse", "forward", "complex-step", "fd-central"):
        value, g = gradient(net, params, X, Y, m)
        assert value == pytest.approx(ref_value, rel=1e-14)
        assert _rel(_flat(g), _flat(ref)) <= TOL.get(m, 1e-13), m


def test_activation_forms_agree():
    z = np.linspace(-30, 30, 241)
    zs = acts.Z
    from difflab.expr.compile import to_numpy
    for name, a in acts.ACTIVATIONS.items():
        sym = to_numpy(a.sym(zs, 0.01), [zs])(z)
        assert np.allclose(sym, np.asarray(a.ops(z, 0.01)), rtol=1e-15, atol=0), name


def test_relu_kink_same_on_both_routes():
    # At z = 0 exactly, relu' = 1/2 on the symbolic route (Heaviside(0)) and in the rule table (max tie).
    net = Network((1, 1, 1), hidden="relu", output="identity", loss="squared")
    params = [(np.array([[1.0]]), np.array([0.0])), (np.array([[2.0]]), np.array([0.0]))]
    for m in ("symbolic", "reverse", "forward", "mpmath"):
        # x = 0 and b1 = 0 put z1 on the kink; dL/db1 = (yhat - y) * W2 * relu'(0) = -1 * 2 * 1/2.
        _, ((_, gb1), _) = gradient(net, params, [[0.0]], [1.0], m)
        assert gb1[0] == -1.0, m


def test_log_loss_is_stable_for_saturated_outputs():
    # z = +-800: the seed's -y log(yhat) - (1-y) log(1 - yhat) is 0*inf; the softplus form is exact.
    net = Network((1, 1))
    params = [(np.array([[800.0]]), np.array([0.0]))]
    for m in ("symbolic", "reverse", "forward", "mpmath"):
        value, ((gW, gb),) = gradient(net, params, [[1.0], [-1.0]], [0.0, 1.0], m)
        assert value == pytest.approx(800.0, rel=1e-15)
        assert gW[0, 0] == pytest.approx(1.0, rel=1e-15) and gb[0] == pytest.approx(0.0, abs=1e-300)


def test_softmax_cross_entropy_delta_is_softmax_minus_y():
    c = acts.compiled_numpy("sigmoid", "softmax", "cross-entropy", 3, 0.01)
    Z = np.array([[1000.0, 999.0, -5.0], [0.1, 0.2, 0.3]])
    Y = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]])
    with mpmath.workdps(30):
        want = [[float(mpmath.exp(z) / mpmath.fsum(mpmath.exp(t) for t in row)) - y
                 for z, y in zip(row, yr, strict=True)]
                for row, yr in zip(Z.tolist(), Y.tolist(), strict=True)]
    assert c.head_delta(Z, Y) == pytest.approx(np.array(want), abs=1e-15)
    assert np.all(np.isfinite(c.head_value(Z, Y)))


def test_train_result_round_trip_and_xor_is_learned():
    from difflab.solvers.datasets import XOR
    net = Network((2, 3, 1), hidden="tanh")
    y01 = (XOR.y + 1) / 2
    r = train(net, net.init(0), XOR.X, y01, method="reverse", lr=1.0, epochs=1500)
    params = unflatten(net, r.x)
    assert np.array_equal(np.round(net.predict(params, XOR.X)[:, 0]), y01)
    assert r.history["loss"][-1] < 0.05 and not r.converged and "max_iter=1500" in r.reason


def test_training_divergence_is_a_result():
    net = Network((2, 1), output="identity", loss="squared")
    for m in ("symbolic", "reverse", "fd-central"):
        r = train(net, net.init(0), [[3.0, 1.0], [1.0, 2.0]], [1.0, -1.0], method=m, lr=10.0, epochs=500)
        assert not r.converged and r.reason.startswith("diverged: the loss grew from"), m
        assert "the learning rate 10 is too large" in r.reason
    kept = train(net, net.init(0), [[3.0, 1.0]], [1.0], lr=0.01, epochs=5, keep_iterates=True)
    assert len(kept.iterates) == 6
    assert len(train(net, net.init(0), [[3.0, 1.0]], [1.0], epochs=5).iterates) == 2


@pytest.mark.parametrize("kwargs, message", [
    ({"sizes": (3,)}, "a network needs at least two layer sizes, all >= 1, got [3]"),
    ({"sizes": (3, 1), "hidden": "swish"}, "unknown activation 'swish'; choose one of: identity, sigmoid"),
    ({"sizes": (3, 2), "loss": "log"}, "the log-loss needs one output unit; use output='softmax'"),
    ({"sizes": (3, 2), "output": "softmax", "loss": "squared"},
     "output 'softmax' with loss 'squared' is not supported; choose one of:"),
    ({"sizes": (3, 1), "dropout": 1.0}, "dropout must be in [0, 1), got 1.0"),
])
def test_bad_network(kwargs, message):
    with pytest.raises(InputError) as err:
        Network(**kwargs)
    assert str(err.value).startswith(message)


def test_bad_data_and_params():
    net = Network((3, 2, 1))
    params = net.init()
    with pytest.raises(InputError, match=r"^X has 2 features per sample but the network takes 3$"):
        gradient(net, params, [[1.0, 2.0]], [1.0])
    with pytest.raises(InputError, match=r"^Y must have shape \(1, 1\), got \(2, 1\)$"):
        gradient(net, params, [[1.0, 2.0, 3.0]], [1.0, 0.0])
    with pytest.raises(InputError, match=r"^layer 2: W must be 1x2 and b of length 1, got W 2x2"):
        gradient(net, [params[0], (np.ones((2, 2)), np.ones(1))], [[1.0, 2.0, 3.0]], [1.0])


_HEADS = sorted(acts.HEADS)


@given(sizes=st.lists(st.integers(1, 4), min_size=2, max_size=4),
       hidden=st.sampled_from(sorted(acts.ACTIVATIONS)), head=st.sampled_from(_HEADS),
       seed=st.integers(0, 2**16), m=st.integers(1, 5))
def test_backprop_equals_reverse_and_forward_for_any_network(sizes, hidden, head, seed, m):
    """Seed 003's backprop (symbolic route) and both AD engines agree to rounding on random networks."""
    output, loss = head
    if loss == "log":
        sizes = sizes[:-1] + [1]
    if loss == "cross-entropy" and sizes[-1] == 1:
        sizes = sizes[:-1] + [2]
    net = Network(tuple(sizes), hidden=hidden, output=output, loss=loss)
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((m, sizes[0]))
    k = sizes[-1]
    Y = np.eye(k)[rng.integers(0, k, m)] if loss == "cross-entropy" else rng.random((m, k))
    params = net.init(seed)
    v_ref, ref = gradient(net, params, X, Y, "reverse")
    scale = max(float(np.max(np.abs(_flat(ref)))), 1e-300)
    for method in ("symbolic", "forward"):
        value, g = gradient(net, params, X, Y, method)
        assert value == pytest.approx(v_ref, rel=1e-13, abs=1e-300)
        assert float(np.max(np.abs(_flat(g) - _flat(ref)))) <= 1e-12 * scale
