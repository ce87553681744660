"""``dl.value_and_grad(fn, replay=True)``: recorded once per signature, replayed without a tape.

Every replayed number is checked against the taped one (identical for these rows) and against an
independent reference: SymPy's derivatives, closed forms, a hand-written backprop.  The safety cases:
value-dependent control flow, conversions and data-dependent indexing fall back to the tape for good
(with a ``ReplayWarning``); a new shape or Python scalar retraces; arguments are read afresh; outputs are
never rewritten by a later call, also not from another thread.
"""

from __future__ import annotations

import threading

import numpy as np
import pytest
from rulecheck import ENGINE_CASES, entrywise_rel, symbolic_derivatives

import difflab as dl
import difflab.numpy as dnp
from difflab.engines import program
from difflab.engines.replay import ReplayWarning
from difflab.errors import InputError
from difflab.primitives.table import RULES, kinked_rows, sample_domain, smooth_rows

BATCH = 256  # the benchmark's batch (benchmarks/bench_autodiff.py)


def make_net(sizes, rng):
    params = []
    for m, n in zip(sizes[:-1], sizes[1:], strict=True):
        params += [rng.normal(0, 1 / np.sqrt(m), (m, n)), rng.normal(0, 0.1, n)]
    X = rng.normal(size=(BATCH, sizes[0]))
    Y = (rng.integers(0, 2, (BATCH, 1)).astype(float) if sizes[-1] == 1
         else np.eye(sizes[-1])[rng.integers(0, sizes[-1], BATCH)])
    return params, X, Y


def net_loss(params, X, Y):
    h = X
    for i in range(0, len(params) - 2, 2):
        h = dnp.sigmoid(h @ params[i] + params[i + 1])
    z = h @ params[-2] + params[-1]
    if Y.shape[1] == 1:
        return dnp.sum(dnp.softplus(z) - Y * z) / BATCH
    return -dnp.sum(dnp.log_softmax(z) * Y) / BATCH


def backprop(params, X, Y):
    """Independent reference: the textbook chain rule, layer by layer, with s' = s (1 - s)."""
    acts = [X]
    for W, b in zip(params[0:-2:2], params[1:-2:2], strict=True):
        acts.append(1.0 / (1.0 + np.exp(-(acts[-1] @ W + b))))
    z = acts[-1] @ params[-2] + params[-1]
    if Y.shape[1] == 1:
        loss = np.sum(np.logaddexp(0.0, z) - Y * z) / BATCH
        delta = (1.0 / (1.0 + np.exp(-z)) - Y) / BATCH
    else:
        shifted = z - z.max(axis=1, keepdims=True)
        p = np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)
        loss = -np.sum((shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))) * Y) / BATCH
        delta = (p - Y) / BATCH
    grads = []
    for layer in range(len(acts) - 1, -1, -1):
        W = params[2 * layer]
        grads = [acts[layer].T @ delta, delta.sum(axis=0)] + grads
        a = acts[layer]
        delta = (delta @ W.T) * a * (1.0 - a)
    return loss, grads


def rel(a, b) -> float:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(a)), np.max(np.abs(b))))


@pytest.mark.parametrize("sizes", [(2, 2, 1), (64, 128, 128, 10), (784, 256, 128, 10), (30, 64, 16, 10)])
def test_networks_replay_the_taped_numbers_and_match_backprop(sizes):
    rng = np.random.default_rng(sum(sizes))
    params, X, Y = make_net(sizes, rng)
    taped, replayed = dl.value_and_grad(net_loss), dl.value_and_grad(net_loss, replay=True)
    for call in range(3):  # trace, first replay (buffers planned), replay with buffers
        params = [p + 0.01 * call for p in params]
        v, g = replayed(params, X, Y)
        vt, gt = taped(params, X, Y)
        vh, gh = backprop(params, X, Y)
        assert v == vt and all(np.array_equal(a, b) for a, b in zip(g, gt, strict=True))
        assert rel(v, vh) <= 1e-13
        assert max(rel(a, b) for a, b in zip(g, gh, strict=True)) <= 1e-12
    assert replayed.replay.traces == 1 and replayed.replay.refused is None


@pytest.mark.parametrize("name", sorted(ENGINE_CASES))
def test_engine_cases_against_sympy(name):
    fn, x = ENGINE_CASES[name]
    value, grad, _ = symbolic_derivatives(fn, x, order=1)
    g = dl.grad(fn, replay=True)
    g(np.array(x) + 0.5)  # traced at another point: the replay must not remember its values
    assert entrywise_rel(g(np.array(x)), grad) <= 1e-13
    assert g.replay.traces == 1 and g.replay.refused is None


@pytest.mark.filterwarnings("ignore::difflab.engines.replay.ReplayWarning")  # erf's VJP reads values
@pytest.mark.parametrize("name", [n for n in smooth_rows() + kinked_rows() if RULES[n].arity == 1])
def test_every_unary_row_replays_the_tape(name):
    # traced at one point, replayed at another: a value frozen into the trace would show
    fn = getattr(dnp, name)
    rng = np.random.default_rng(17)
    x1, x2 = (sample_domain(RULES[name].domain, rng, 5) for _ in range(2))
    g = dl.value_and_grad(lambda x: dnp.sum(fn(x) * np.arange(1.0, 6.0)), replay=True)
    taped = dl.value_and_grad(lambda x: dnp.sum(fn(x) * np.arange(1.0, 6.0)))
    g(x1)
    for x in (x2, x1):
        (v, gr), (vt, gt) = g(x), taped(x)
        assert v == vt and entrywise_rel(gr, gt) <= 1e-14, (name, gr, gt)
    assert g.replay.refused is None or "decision taken on the plain value" in g.replay.refused


_BINARY = [r.name for r in RULES.values() if r.arity == 2 and r.jvp is not None
           and r.name not in ("matmul", "solve", "polygamma")]  # elementwise pairs; the rest below


@pytest.mark.filterwarnings("ignore::difflab.engines.replay.ReplayWarning")
@pytest.mark.parametrize("name", _BINARY)
def test_every_binary_row_replays_the_tape(name):
    rule, rng = RULES[name], np.random.default_rng(19)
    points = [[sample_domain(d, rng, 4) for d in rule.domains()] for _ in range(2)]
    f = getattr(dnp, name)
    g = dl.grad(lambda a, b: dnp.sum(f(a, b) * np.arange(1.0, 5.0)), argnums=(0, 1), replay=True)
    g(*points[0])
    for a, b in points[1], points[0]:
        got, want = g(a, b), dl.grad(lambda a, b: dnp.sum(f(a, b) * np.arange(1.0, 5.0)), argnums=(0, 1))(a, b)
        assert all(entrywise_rel(u, v) <= 1e-14 for u, v in zip(got, want, strict=True)), name


_ARRAY_FUNCTIONS = {
    "sum_mean_axes": lambda x: dnp.sum(dnp.mean(x ** 2, axis=0) * dnp.sum(x, axis=1, keepdims=True)),
    "reshape_transpose_getitem": lambda x: dnp.sum(dnp.reshape(x.T, (-1,))[2:9] * x[1, :][None, :3].sum()),
    "matmul_solve_det": lambda x: dnp.sum(dnp.linalg.solve(x @ x.T + 3 * np.eye(3), x[:, 0]))
    + dnp.linalg.det(x[:, :3] + 2 * np.eye(3)),
    "inv_cholesky_eigh": lambda x: dnp.sum(dnp.linalg.inv(x[:, :3] @ x[:, :3].T + np.eye(3)))
    + dnp.sum(dnp.linalg.cholesky(x @ x.T + np.eye(3))) + dnp.sum(dnp.linalg.eigh(x @ x.T)[0]),
    "where_stack_concatenate_cumsum": lambda x: dnp.sum(dnp.cumsum(dnp.concatenate(
        [dnp.where(x > 0.1, x, dnp.sin(x)), dnp.stack([x[0], x[2]])], axis=0), axis=1) ** 2),
    "softmax_family": lambda x: dnp.sum(dnp.softmax(x, axis=1) * dnp.log_softmax(x, axis=0))
    + dnp.logsumexp(x),
}


@pytest.mark.parametrize("name", sorted(_ARRAY_FUNCTIONS))
def test_array_rows_replay_the_tape(name):
    fn, rng = _ARRAY_FUNCTIONS[name], np.random.default_rng(23)
    g = dl.value_and_grad(fn, replay=True)
    points = [rng.normal(size=(3, 4)) for _ in range(3)]
    g(points[0])
    for x in points[1:] + points[:1]:
        (v, gr), (vt, gt) = g(x), dl.value_and_grad(fn)(x)
        assert entrywise_rel(v, vt) <= 1e-15 and entrywise_rel(gr, gt) <= 1e-13, name
    assert g.replay.traces == 1 and g.replay.refused is None


def test_closed_forms_and_traced_rows_replayed():
    rng = np.random.default_rng(3)
    A = rng.normal(size=(6, 6))
    quad = dl.grad(lambda x, A: x @ A @ x, replay=True)
    tanh2 = dl.grad(lambda x: dnp.sum(dnp.tanh(x) ** 2), replay=True)
    lse = dl.grad(lambda x: dnp.logsumexp(x), replay=True)
    for _ in range(3):
        x = rng.normal(size=6)
        assert rel(quad(x, A), (A + A.T) @ x) <= 1e-14
        # tanh's VJP replays its traced form: equal to the tape's to a few ulps, not bit for bit
        assert rel(tanh2(x), 2 * np.tanh(x) / np.cosh(x) ** 2) <= 1e-14
        assert rel(lse(x), np.exp(x) / np.exp(x).sum()) <= 1e-15


def test_where_on_a_traced_condition_is_replayed():
    g = dl.grad(lambda x: dnp.sum(dnp.where(x > 0, x ** 2, dnp.sin(x))), replay=True)
    x = np.array([1.5, -0.5, 2.0, -3.0])
    for point in (x, -x, x[::-1].copy()):
        assert rel(g(point), np.where(point > 0, 2 * point, np.cos(point))) <= 1e-15
    assert g.replay.traces == 1 and g.replay.refused is None


def _branchy(x):
    if dnp.sum(x) > 0:
        return dnp.sum(x ** 2)
    return dnp.sum(dnp.sin(x))


def _float_scaled(x):
    return dnp.sum(x) * float(x[0])


def _indexed(x, i):
    return dnp.sum(x[i] ** 2)


def test_value_dependent_control_flow_falls_back_for_good():
    vg = dl.value_and_grad(_branchy, replay=True)
    x = np.array([1.0, 2.0, -0.5])
    with pytest.warns(ReplayWarning, match=r"bool\(\) of a traced value"):
        v, g = vg(x)
    assert v == pytest.approx(5.25, rel=1e-15) and np.array_equal(g, 2 * x)
    v, g = vg(-x)  # the other branch: a frozen trace would have said 5.25 and 2x
    assert v == pytest.approx(float(np.sum(np.sin(-x))), rel=1e-15)
    assert rel(g, np.cos(-x)) <= 1e-15
    assert vg.replay.traces == 1 and "bool()" in vg.replay.refused


def test_conversions_and_data_dependent_indexing_fall_back():
    x = np.array([2.0, 3.0])
    g = dl.grad(_float_scaled, replay=True)
    with pytest.warns(ReplayWarning, match=r"float\(\)"), pytest.raises(TypeError):
        g(x)  # the tape refuses float() of a traced value itself
    gi = dl.grad(_indexed, replay=True)
    with pytest.warns(ReplayWarning, match="use as an index|parameter of getitem"):
        assert np.array_equal(gi(x, np.array([1, 1])), [0.0, 12.0])
    assert np.array_equal(gi(x, np.array([0, 0])), [8.0, 0.0])


def test_compositions_that_decide_from_values_fall_back():
    # max averages the slopes of tied entries, sort takes NumPy's order: both read the plain values
    gmax = dl.grad(lambda x: dnp.max(x) * 2.0, replay=True)
    with pytest.warns(ReplayWarning, match="a decision taken on the plain value"):
        assert np.array_equal(gmax(np.array([1.0, 3.0, 2.0])), [0.0, 2.0, 0.0])
    assert np.array_equal(gmax(np.array([5.0, 3.0, 5.0])), [1.0, 0.0, 1.0])
    gsort = dl.grad(lambda x: dnp.sum(dnp.sort(x) * np.array([1.0, 2.0, 3.0])), replay=True)
    with pytest.warns(ReplayWarning):
        assert np.array_equal(gsort(np.array([3.0, 1.0, 2.0])), [3.0, 1.0, 2.0])
    assert np.array_equal(gsort(np.array([1.0, 3.0, 2.0])), [1.0, 3.0, 2.0])


def _count_positive(x):
    return dnp.sum(x) * len(dnp.where(x > 0)[0])  # np.where(c) alone: indices, their number from values


def test_a_shape_that_depends_on_values_falls_back():
    g = dl.grad(_count_positive, replay=True)
    with pytest.warns(ReplayWarning, match="where called with 1 arguments instead of 3"):
        assert np.array_equal(g(np.array([1.0, -1.0, 2.0])), [2.0, 2.0, 2.0])
    assert np.array_equal(g(np.array([1.0, 1.0, 2.0])), [3.0, 3.0, 3.0])


def test_a_method_only_arrays_have_falls_back_once_the_tape_succeeds():
    g = dl.grad(lambda x, X: dnp.sum(x * np.asarray(X.tolist())), replay=True)
    x, X = np.array([1.0, 2.0]), np.array([3.0, 4.0])
    with pytest.warns(ReplayWarning, match="AttributeError"):
        assert np.array_equal(g(x, X), X)
    assert np.array_equal(g(x, 2 * X), 2 * X)


def test_new_shapes_and_python_scalars_retrace_and_arguments_are_read_afresh():
    g = dl.grad(lambda x, X, c: dnp.sum((X @ x) ** 2) * c, replay=True)
    rng = np.random.default_rng(5)
    for n, c in [(3, 1.0), (3, 1.0), (4, 1.0), (4, -0.0), (4, 2.5), (3, 1.0)]:
        x, X = rng.normal(size=n), rng.normal(size=(5, n))
        assert rel(g(x, X, c), 2 * c * X.T @ (X @ x)) <= 1e-14 if c else np.all(g(x, X, c) == 0)
    assert g.replay.traces == 4  # (3, 1.0), (4, 1.0), (4, -0.0), (4, 2.5); (3, 1.0) is remembered
    x, X = rng.normal(size=3), rng.normal(size=(3, 5)).T  # same shape, another layout: recorded anew
    assert rel(g(x, X, 1.0), 2 * X.T @ (X @ x)) <= 1e-14 and g.replay.traces == 5


def test_pytrees_argnums_and_aux():
    def loss(p, X, y):
        z = X @ p["w"] + p["b"][0]
        return dnp.mean((z - y) ** 2), {"z": z, "calls": "one"}
    rng = np.random.default_rng(7)
    p = {"w": rng.normal(size=4), "b": (0.3,)}
    X, y = rng.normal(size=(9, 4)), rng.normal(size=9)
    vg = dl.value_and_grad(loss, argnums=(0, 2), has_aux=True, replay=True)
    for _ in range(2):
        (v, aux), (gp, gy) = vg(p, X, y)
        r = X @ p["w"] + 0.3 - y
        assert v == pytest.approx(np.mean(r ** 2), rel=1e-14) and aux["calls"] == "one"
        assert rel(aux["z"], X @ p["w"] + 0.3) <= 1e-15
        assert rel(gp["w"], 2 * X.T @ r / 9) <= 1e-14 and rel(gp["b"][0], 2 * r.mean()) <= 1e-14
        assert isinstance(gp["b"], tuple) and rel(gy, -2 * r / 9) <= 1e-14
        p = {"w": p["w"] + 1.0, "b": p["b"]}
    grad_aux = dl.grad(loss, has_aux=True, replay=True)(p, X, y)
    assert rel(grad_aux[0]["w"], 2 * X.T @ (X @ p["w"] + 0.3 - y) / 9) <= 1e-14


def test_outputs_are_never_rewritten_by_a_later_call():
    rng = np.random.default_rng(11)
    W = rng.normal(size=(40, 60))

    def loss(W, X):
        Z = X @ W  # a large ufunc result: written into a kept buffer from the second call on
        H = dnp.sigmoid(Z)
        return dnp.sum(H * H), Z.T  # aux: a transposed view of it
    vg = dl.value_and_grad(loss, has_aux=True, replay=True)
    X1, X2 = rng.normal(size=(80, 40)), rng.normal(size=(80, 40))
    outs = [vg(W, X) for X in (X1, X2, X1, X2)]
    assert program.BUFFER_SIZE <= 80 * 60 and any("out" in step[2] for step in
                                                  next(iter(vg.replay.programs.values()))[0].buffered)
    (_, Z1), g1 = outs[0]
    H_true = 1.0 / (1.0 + np.exp(-(X1 @ W)))
    assert rel(Z1, (X1 @ W).T) <= 1e-15 and rel(g1, X1.T @ (2 * H_true * H_true * (1 - H_true))) <= 1e-13
    (_, Z3), g3 = outs[2]  # the same input again
    assert np.array_equal(Z1, Z3) and np.array_equal(g1, g3)
    arrays = [a for (_, Z), g in outs for a in (Z, g)]
    assert not any(np.shares_memory(a, b) for i, a in enumerate(arrays) for b in arrays[i + 1:])


def test_a_gradient_folded_to_a_constant_is_a_fresh_array_each_call():
    c = np.array([1.0, -2.0, 3.0])
    g = dl.grad(lambda x: dnp.sum(x * c), replay=True)
    first = g(np.zeros(3))
    first *= 100.0  # the caller owns what it was given
    assert np.array_equal(g(np.ones(3)), c) and np.array_equal(c, [1.0, -2.0, 3.0])


def test_threads_replaying_one_program_get_their_own_numbers():
    rng = np.random.default_rng(13)
    params, X, Y = make_net((8, 64, 10), rng)
    vg = dl.value_and_grad(net_loss, replay=True)
    vg(params, X, Y)
    points = [[p * (1 + 0.1 * k) for p in params] for k in range(4)]
    expected = [backprop(p, X, Y)[1] for p in points]
    wrong = []

    def work(k):
        for _ in range(15):
            g = vg(points[k], X, Y)[1]
            if max(rel(a, b) for a, b in zip(g, expected[k], strict=True)) > 1e-12:
                wrong.append(k)
    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not wrong


def test_nesting_and_closures_over_outer_traces():
    third = dl.grad(dl.grad(lambda x: x ** 3, replay=True))  # the inner one sees traced input: taped
    assert third(2.0) == pytest.approx(12.0, rel=1e-15)

    def outer(y):
        return dl.grad(lambda x: x * y ** 2, replay=True)(1.0)
    with pytest.warns(ReplayWarning, match="another transform"):
        assert dl.grad(outer)(3.0) == pytest.approx(6.0, rel=1e-15)
    assert dl.grad(lambda x: x, replay=True)(3.0) == 1.0


def test_bad_requests_are_named():
    with pytest.raises(InputError, match="replay=True replays the reverse engine's trace; method='forward'"):
        dl.grad(lambda x: x, method="forward", replay=True)
    with pytest.raises(InputError, match="replay must be True or False; got 'yes'"):
        dl.value_and_grad(lambda x: x, replay="yes")
    g = dl.grad(lambda x, X: dnp.sum(X), replay=True)
    with pytest.raises(InputError, match="does not depend on the differentiated argument"), \
            pytest.warns(ReplayWarning, match="does not depend"):
        g(np.ones(2), np.ones(3))
