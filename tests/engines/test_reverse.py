"""Reverse mode: the tape, pytrees, VJPs, HVPs and Hessians; the seed 2-2-1 network's chain rule."""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
from rulecheck import ENGINE_CASES, entrywise_rel, rel, symbolic_derivatives

import difflab.numpy as dnp
from difflab.engines import forward, reverse
from difflab.errors import InputError


@pytest.mark.parametrize("name", sorted(ENGINE_CASES))
def test_reverse_matches_symbolic_and_forward(name):
    fn, x = ENGINE_CASES[name]
    value, grad, hess = symbolic_derivatives(fn, x)
    v, g = reverse.value_and_grad(fn)(np.array(x))
    assert entrywise_rel(v, value) <= 1e-13
    assert entrywise_rel(g, grad) <= 1e-13, (g, grad)
    assert entrywise_rel(g, forward.gradient(fn, x)[1]) <= 1e-13
    v2, g2, h = reverse.hessian(fn, x)
    assert entrywise_rel(g2, grad) <= 1e-13
    assert entrywise_rel(h, hess) <= 1e-13, (h, hess)
    assert entrywise_rel(h, forward.hessian(fn, x)[2]) <= 1e-13


def test_seed_numbers():
    fn, x = ENGINE_CASES["seed"]
    value, grad, hess = reverse.hessian(fn, x)
    assert entrywise_rel(grad, [277.6, 213.6]) <= 1e-13
    assert entrywise_rel(hess, [[198.4, -2.6], [-2.6, 157.6]]) <= 1e-13


# ------------------------------------------------------------------------ seed 2-2-1 network
X1, X2, Y = 0.8, -0.45, 1.0
PARAMS = {"w11": 0.3, "w21": -0.7, "b1": 0.1, "w12": 0.55, "w22": 0.25, "b2": -0.2,
          "w1": 1.2, "w2": -0.8, "b": 0.05}


def network_loss(p, x1=X1, x2=X2, y=Y):
    """Seed 002: z1 = x1 w11 + x2 w21 + b1, a = sigmoid, z = a1 w1 + a2 w2 + b, log-loss."""
    a1 = dnp.sigmoid(x1 * p["w11"] + x2 * p["w21"] + p["b1"])
    a2 = dnp.sigmoid(x1 * p["w12"] + x2 * p["w22"] + p["b2"])
    yhat = dnp.sigmoid(a1 * p["w1"] + a2 * p["w2"] + p["b"])
    return -y * dnp.log(yhat) - (1 - y) * dnp.log(1 - yhat)


def _seed_formulas():
    """The seed notes' chain-rule results, evaluated independently in mpmath."""
    with mpmath.workdps(40):
        p = {k: mpmath.mpf(v) for k, v in PARAMS.items()}
        x1, x2, y = mpmath.mpf(X1), mpmath.mpf(X2), mpmath.mpf(Y)
        s = lambda t: 1 / (1 + mpmath.exp(-t))  # noqa: E731
        a1 = s(x1 * p["w11"] + x2 * p["w21"] + p["b1"])
        a2 = s(x1 * p["w12"] + x2 * p["w22"] + p["b2"])
        yhat = s(a1 * p["w1"] + a2 * p["w2"] + p["b"])
        return {
            "w11": float(-x1 * p["w1"] * a1 * (1 - a1) * (y - yhat)),   # seed 000 and 002
            "b1": float(-p["w1"] * a1 * (1 - a1) * (y - yhat)),
            "w1": float(-a1 * (y - yhat)),
            "w2": float(-a2 * (y - yhat)),
            "b": float(-(y - yhat)),
            "w21": float(-x2 * p["w1"] * a1 * (1 - a1) * (y - yhat)),   # corrected (seed writes w2)
            "w21_as_written": float(-x2 * p["w2"] * a1 * (1 - a1) * (y - yhat)),
        }


def test_network_gradient_equals_seed_chain_rule():
    value, grads = reverse.value_and_grad(network_loss)(PARAMS)
    assert set(grads) == set(PARAMS)
    seed = _seed_formulas()
    for name in ("w11", "b1", "w1", "w2", "b", "w21"):
        assert rel(grads[name], seed[name]) <= 1e-14, (name, grads[name], seed[name])


def test_network_catches_the_seed_w21_mistake():
    """Seed 002's dL/dw21 uses w2 where the chain rule through a1 gives w1: AD disagrees with it."""
    grads = reverse.grad(network_loss)(PARAMS)
    seed = _seed_formulas()
    assert rel(grads["w21"], seed["w21_as_written"]) > 0.1


def test_network_reverse_equals_forward_on_flat_parameters():
    names = list(PARAMS)
    x = np.array([PARAMS[k] for k in names])

    def flat(v):
        return network_loss(dict(zip(names, v, strict=True)))
    g = reverse.grad(network_loss)(PARAMS)
    assert entrywise_rel([g[k] for k in names], forward.gradient(flat, x)[1]) <= 1e-14


# --------------------------------------------------------------------------------- pytrees
def test_pytree_structures_come_back():
    params = {"layers": [(np.ones((2, 3)), np.arange(3.0)), (np.full((3, 1), 2.0), np.zeros(1))],
              "scale": 1.5}

    def loss(p):
        total = p["scale"] ** 2
        for W, b in p["layers"]:
            total = total + dnp.sum(W * W) + dnp.sum(b * b * b)
        return total
    value, g = reverse.value_and_grad(loss)(params)
    assert isinstance(g, dict) and isinstance(g["layers"], list) and isinstance(g["layers"][0], tuple)
    assert np.array_equal(g["layers"][0][0], 2 * np.ones((2, 3)))
    assert np.array_equal(g["layers"][0][1], 3 * np.arange(3.0) ** 2)
    assert np.array_equal(g["layers"][1][0], np.full((3, 1), 4.0))
    assert float(g["scale"]) == 3.0
    assert value == 2.25 + 6 + 9 + 12


def test_mlp_with_broadcasting_matches_closed_form():
    rng = np.random.default_rng(3)
    X, W, b = rng.normal(size=(5, 3)), rng.normal(size=(3, 4)), rng.normal(size=4)

    def loss(p, X):
        return dnp.sum(dnp.sigmoid(X @ p[0] + p[1]))
    gW, gb = reverse.grad(loss)([W, b], X)
    s = 1 / (1 + np.exp(-(X @ W + b)))
    d = s * (1 - s)
    assert rel(gW, X.T @ d) <= 1e-14 and rel(gb, d.sum(axis=0)) <= 1e-14


def test_shared_subexpression_accumulates():
    """A node used many times gets every contribution (in-place accumulation must not alias)."""
    def fn(v):
        u = dnp.exp(v)
        return dnp.sum(u * u + u + u * v + dnp.reshape(u, (2, 2)).T.sum(axis=0).sum())
    x = np.array([0.1, -0.3, 0.7, 1.2])
    g = reverse.grad(fn)(x)
    e = np.exp(x)
    assert entrywise_rel(g, 2 * e * e + e + e * x + e + 4 * e) <= 1e-14  # sum of 4 copies of sum(u)


# ------------------------------------------------------------------------------- vjp / hvp
def test_vjp_pullback_called_twice():
    A = np.array([[1.0, 2.0, 0.0], [0.5, -1.0, 3.0]])
    x = np.array([0.3, -0.8, 1.1])
    value, pullback = reverse.vjp(lambda u: A @ dnp.sin(u), x)
    assert rel(value, A @ np.sin(x)) <= 1e-15
    for w in (np.array([1.0, 0.0]), np.array([-2.0, 0.5])):
        assert entrywise_rel(pullback(w), np.cos(x) * (A.T @ w)) <= 1e-15


def test_hvp_matches_hessian():
    fn, x = ENGINE_CASES["mixed"]
    v = np.array([0.3, -1.0, 2.0])
    assert entrywise_rel(reverse.hvp(fn, x, v), reverse.hessian(fn, x)[2] @ v) <= 1e-13


def test_blocks_give_the_same_hessian(monkeypatch):
    fn, x = ENGINE_CASES["vector_ops"]
    full = reverse.hessian(fn, x)[2]
    monkeypatch.setattr(reverse, "BLOCK_ELEMENTS", 4)
    assert np.array_equal(reverse.hessian(fn, x)[2], full)


def test_unused_and_constant_inputs():
    g = reverse.grad(lambda p: p[0] * 2.0)([np.array(3.0), np.ones(2)])
    assert float(g[0]) == 2.0 and np.array_equal(g[1], np.zeros(2))
    v, g = reverse.value_and_grad(lambda x: 7.0)(np.ones(3))
    assert v == 7.0 and np.array_equal(g, np.zeros(3))
    assert np.array_equal(reverse.hessian(lambda v: v[0] - v[1], [1.0, 2.0])[2], np.zeros((2, 2)))


def test_bad_input_messages():
    with pytest.raises(InputError, match=r"grad needs a scalar-valued function; it returned shape \(2,\)"):
        reverse.grad(lambda v: v * 2)(np.array([1.0, 2.0]))
    with pytest.raises(InputError, match=r"the point must be a 1-D vector, got shape \(\)"):
        reverse.hessian(lambda v: v, 1.0)


def test_poles_return_infinities_without_warnings():
    v, g = reverse.value_and_grad(lambda u: dnp.log(u[0]))(np.array([0.0]))
    assert v == -np.inf and g[0] == np.inf


def test_tour_section(tmp_path):
    import json

    from difflab.cli.tour import autodiff

    lines: list[str] = []
    autodiff.run(tmp_path, lines.append)
    text = "\n".join(lines)
    assert text.count(": agrees") == 2 and text.count(": DISAGREES") == 1
    data = json.loads((tmp_path / "autodiff.json").read_text())
    assert data["max_rel_diff"] <= 1e-14
    assert set(data["gradients"]) == {"symbolic", "forward", "reverse"}


def test_every_nesting_of_the_engines_gives_the_hessian():
    """Levels make nested traces independent: reverse-over-reverse, forward-over-forward and
    reverse-over-forward all reproduce the forward-over-reverse Hessian."""
    fn, x = ENGINE_CASES["mixed"]
    x = np.array(x)
    H = reverse.hessian(fn, x)[2]
    e0 = np.array([1.0, 0.0, 0.0])
    assert entrywise_rel(reverse.grad(lambda u: reverse.grad(fn)(u)[0])(x), H[0]) <= 1e-13
    assert entrywise_rel(forward.jvp(lambda u: forward.jvp(fn, u, e0)[1], x, e0)[1], H[0, 0]) <= 1e-13
    assert entrywise_rel(reverse.grad(lambda u: forward.jvp(fn, u, e0)[1])(x), H[0]) <= 1e-13


# ------------------------------------------------------------- property: engines agree on random trees
from hypothesis import assume, given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_UNARY = ["sin", "cos", "atan", "tanh", "sigmoid", "softplus", "log_sigmoid", "expm1", "sinh"]
_BINARY = ["add", "subtract", "multiply", "maximum", "minimum"]


def _trees():
    leaf = st.sampled_from([("var", 0), ("var", 1), ("var", 2), ("const", 0.7)])
    return st.recursive(leaf, lambda sub: st.one_of(
        st.tuples(st.sampled_from(_UNARY), sub),
        st.tuples(st.sampled_from(_BINARY), sub, sub)), max_leaves=6)


def _build(tree):
    def fn(v):
        def ev(t):
            if t[0] == "var":
                return v[t[1]]
            if t[0] == "const":
                return t[1]
            return getattr(dnp, t[0])(*[ev(a) for a in t[1:]])
        return dnp.add(ev(tree), 0.0 * v[0])
    return fn


@given(_trees(), st.lists(st.floats(-1.5, 1.5), min_size=3, max_size=3))
def test_engines_agree_with_symbolic_on_random_trees(tree, point):
    assume(all(p == 0.0 or abs(p) > 1e-3 for p in point))  # no float-only ties: max(0.7, 0.7 + 1e-40)
    fn, x = _build(tree), np.array(point)
    try:
        value, grad, hess = symbolic_derivatives(fn, x)
    except TypeError:  # a max/min tie: the symbolic Hessian holds DiracDelta(0), no number to compare
        assume(False)
    _, g_rev = reverse.value_and_grad(fn)(x)
    _, g_fwd = forward.gradient(fn, x)
    _, _, h_rev = reverse.hessian(fn, x)
    _, _, h_fwd = forward.hessian(fn, x)
    # relative 1e-13 per entry, plus an absolute floor of a few hundred ulps of the largest entry: a
    # derivative that is a difference of O(1) terms (sinh(sin x)'' near 0) cannot be relatively exact
    for got, ref in ((g_rev, grad), (g_fwd, grad), (h_rev, hess), (h_fwd, hess)):
        floor = 1e-14 * (1.0 + np.max(np.abs(ref)))
        assert np.all(np.abs(got - ref) <= 1e-13 * np.abs(ref) + floor), (got, ref)


@pytest.mark.parametrize("name", ["sigmoid", "log_softmax"])
def test_residual_fast_paths_match_the_generic_rules(name):
    """Rows with a ``fwd`` residual: the reverse engine's plain-array path equals forward mode's."""
    rng = np.random.default_rng(5)
    x, w = rng.uniform(-30, 30, 12), rng.normal(size=12)

    def fn(v):
        return dnp.sum(getattr(dnp, name)(dnp.reshape(v, (3, 4))) * np.reshape(w, (3, 4)))
    assert entrywise_rel(reverse.grad(fn)(x), forward.gradient(fn, x)[1]) <= 1e-14


def test_allocator_policy_is_opt_in_or_scoped():
    """Importing reverse leaves glibc alone; DIFFLAB_KEEP_HEAP=1 or keep_freed_heap() asks it to keep freed
    heap; kept_heap() does so inside a block only; a user's MALLOC_TOP_PAD_ wins."""
    import os
    import platform
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k not in ("MALLOC_TOP_PAD_", "DIFFLAB_KEEP_HEAP")}
    code = "import difflab.engines.reverse, difflab.engines.allocator as a; print(a.state)"

    def state(**extra):
        return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                              env={**env, **extra}).stdout.strip()

    assert state() == "glibc defaults"
    assert state(DIFFLAB_KEEP_HEAP="0") == "glibc defaults"
    if sys.platform.startswith("linux") and platform.libc_ver()[0] == "glibc":
        assert state(DIFFLAB_KEEP_HEAP="1") == "glibc keeps 64 MiB of freed heap (mallopt M_TOP_PAD)"
        scoped = ("import difflab.engines.allocator as a\nwith a.kept_heap(1 << 20) as said: print(said)\n"
                  "print(a.state)")
        out = subprocess.run([sys.executable, "-c", scoped], capture_output=True, text=True, check=True,
                             env=env).stdout.splitlines()
        assert out == ["glibc keeps 1 MiB of freed heap (mallopt M_TOP_PAD)", "glibc defaults"]
    assert state(MALLOC_TOP_PAD_="1000", DIFFLAB_KEEP_HEAP="1") == "MALLOC_TOP_PAD_=1000 (set by the user)"
