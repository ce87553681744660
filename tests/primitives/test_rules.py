"""Every row of the rule table against SymPy and mpmath, through the one generic checker (rulecheck.py)."""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
import sympy
from rulecheck import check_array_rule, check_rule, rel

import difflab.numpy as dnp
from difflab.engines import forward, reverse
from difflab.primitives.sympy_twins import log_sigmoid, sigmoid, softplus
from difflab.primitives.table import RULES, expression_functions, sample_domain

ELEMENTWISE = sorted(n for n, r in RULES.items() if r.mpmath is not None and r.jvp is not None)
CONSTANT = sorted(n for n, r in RULES.items() if r.jvp is None)


def _rng(name: str) -> np.random.Generator:
    return np.random.default_rng(sum(map(ord, name)))


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_elementwise_row(name):
    assert check_rule(RULES[name], _rng(name)) <= 1e-13


@pytest.mark.parametrize("name", CONSTANT)
def test_piecewise_constant_row(name):
    """Values match mpmath, and both engines treat the output as a constant (zero derivative)."""
    rule = RULES[name]
    rng = _rng(name)
    for _ in range(5):
        point = [float(p) for p in (sample_domain("nonzero", rng) for _ in range(rule.arity))]
        assert float(rule.numpy(*point)) == float(rule.mpmath(*point))

    def fn(v):
        return dnp.apply(rule, *[v[i] for i in range(rule.arity)]) * v[0]
    x = np.array([1.5, -0.5][: rule.arity])
    expected = [float(rule.numpy(*x))] + [0.0] * (rule.arity - 1)
    assert np.array_equal(forward.gradient(fn, x)[1], expected)
    assert np.array_equal(reverse.grad(fn)(x), expected)


def _mp_elementwise(f):
    return np.frompyfunc(f, 1, 1)


def _mp_lse(x, axis=None, keepdims=False):
    return _mp_elementwise(mpmath.log)(np.sum(_mp_elementwise(mpmath.exp)(x), axis=axis, keepdims=keepdims))


def _mp_softmax(x, axis=-1):
    e = _mp_elementwise(mpmath.exp)(x)
    return e / np.sum(e, axis=axis, keepdims=True)


def _mp_log_softmax(x, axis=-1):
    return x - _mp_lse(x, axis=axis, keepdims=True)


def _untake_mp(g, idx, shape):
    return RULES["untake"].numpy(g, idx, shape)


_R = np.random.default_rng(7)
A34, A234, A4, A3 = _R.normal(size=(3, 4)), _R.normal(size=(2, 3, 4)), _R.normal(size=4), _R.normal(size=3)
MASK = A34 > 0
# (row, mp implementation, args, kw, differentiable argument positions)
def _mp_matrix(a):
    return mpmath.matrix(np.asarray(a, dtype=object).tolist())


def _mp_inv(a):
    return np.array(_mp_matrix(a) ** -1, dtype=object).reshape(np.shape(a))


def _mp_solve(a, b):
    return np.array(mpmath.lu_solve(_mp_matrix(a), mpmath.matrix(list(b))), dtype=object).reshape(np.shape(b))


def _mp_logabsdet(a):
    return mpmath.log(abs(mpmath.det(_mp_matrix(a))))


M3 = np.eye(3) * 2.0 + 0.3 * _R.normal(size=(3, 3))
S3 = M3 @ M3.T  # symmetric positive definite, distinct eigenvalues
_V0 = np.linalg.eigh(S3)[1]


def _mp_sym(a):
    """cholesky and eigh differentiate the function of the symmetric part (A + A^T)/2."""
    m = _mp_matrix(a)
    return (m + m.T) / 2


def _mp_cholesky(a):
    return np.array(mpmath.cholesky(_mp_sym(a)).tolist(), dtype=object)


def _mp_eigh(a):
    """Eigenvalues ascending and eigenvectors as columns, each signed like NumPy's at S3 (the gauge)."""
    E, Q = mpmath.eigsy(_mp_sym(a))
    order = sorted(range(len(E)), key=lambda k: E[k])
    w = np.array([E[k] for k in order], dtype=object)
    V = np.array([[Q[i, k] for k in order] for i in range(len(E))], dtype=object)
    for j in range(len(E)):
        if sum(float(V[i, j]) * _V0[i, j] for i in range(len(E))) < 0:
            V[:, j] = -V[:, j]
    return w, V


ARRAY_CASES = [
    ("concatenate", lambda *xs, axis=0: np.concatenate(xs, axis=axis), [A34, A34[:, :2]], {"axis": 1}, (0, 1)),
    ("cumsum", lambda x, axis=0: np.cumsum(x, axis=axis), [A34], {"axis": 1}, (0,)),
    ("inv", _mp_inv, [M3], {}, (0,)),
    ("solve", _mp_solve, [M3, A3], {}, (0, 1)),
    ("det", lambda a: mpmath.det(_mp_matrix(a)), [M3], {}, (0,)),
    ("logabsdet", _mp_logabsdet, [M3], {}, (0,)),
    ("cholesky", _mp_cholesky, [S3], {}, (0,)),
    ("eigh_values", lambda a: _mp_eigh(a)[0], [S3], {}, (0,)),
    ("eigh_vectors", lambda a: _mp_eigh(a)[1], [S3], {}, (0,)),
    ("sum", np.sum, [A34], {}, (0,)),
    ("sum", np.sum, [A34], {"axis": 0}, (0,)),
    ("sum", np.sum, [A234], {"axis": (0, -1), "keepdims": True}, (0,)),
    ("mean", np.mean, [A34], {}, (0,)),
    ("mean", np.mean, [A234], {"axis": 1}, (0,)),
    ("broadcast_to", np.broadcast_to, [A34[:, :1]], {"shape": (2, 3, 4)}, (0,)),
    ("reshape", np.reshape, [A34], {"shape": (2, 6)}, (0,)),
    ("reshape", np.reshape, [A234], {"shape": (-1,)}, (0,)),
    ("transpose", np.transpose, [A234], {"axes": (1, 2, 0)}, (0,)),
    ("transpose", np.transpose, [A34], {"axes": None}, (0,)),
    ("getitem", lambda x, idx: x[idx], [A34], {"idx": (1, slice(None, None, 2))}, (0,)),
    ("getitem", lambda x, idx: x[idx], [A234], {"idx": (Ellipsis, 1)}, (0,)),
    ("getitem", lambda x, idx: x[idx], [A4], {"idx": np.array([0, 2, 2, 3])}, (0,)),
    ("getitem", lambda x, idx: x[idx], [A34], {"idx": MASK}, (0,)),
    ("getitem", lambda x, idx: x[idx], [A34], {"idx": (slice(1, 3), None)}, (0,)),
    ("untake", _untake_mp, [A3], {"idx": np.array([0, 2, 2]), "shape": (4,)}, (0,)),
    ("untake", _untake_mp, [A34[:2]], {"idx": slice(1, 3), "shape": (4, 4)}, (0,)),
    ("matmul", np.matmul, [A34, _R.normal(size=(4, 2))], {}, (0, 1)),
    ("matmul", np.matmul, [A4, _R.normal(size=(4, 2))], {}, (0, 1)),
    ("matmul", np.matmul, [A34, A4], {}, (0, 1)),
    ("matmul", np.matmul, [A4, _R.normal(size=4)], {}, (0, 1)),
    ("matmul", np.matmul, [A234, _R.normal(size=(4, 2))], {}, (0, 1)),
    ("matmul", np.matmul, [A34, _R.normal(size=(2, 4, 2))], {}, (0, 1)),
    ("matmul", np.matmul, [A4, _R.normal(size=(2, 4, 2))], {}, (0, 1)),
    ("matmul", np.matmul, [A234, A4], {}, (0, 1)),
    ("where", np.where, [MASK, A34, _R.normal(size=(1, 4))], {}, (1, 2)),
    ("stack", lambda *xs, axis=0: np.stack(xs, axis=axis), [A3, A3 * 2, A3 - 1], {"axis": 0}, (0, 1, 2)),
    ("stack", lambda *xs, axis=0: np.stack(xs, axis=axis), [A34, A34 + 1], {"axis": -1}, (0, 1)),
    ("logsumexp", _mp_lse, [A34], {}, (0,)),
    ("logsumexp", _mp_lse, [A234], {"axis": -1}, (0,)),
    ("logsumexp", _mp_lse, [A34], {"axis": 0, "keepdims": True}, (0,)),
    ("softmax", _mp_softmax, [A34], {}, (0,)),
    ("softmax", _mp_softmax, [A234], {"axis": 1}, (0,)),
    ("log_softmax", _mp_log_softmax, [A34], {}, (0,)),
    ("log_softmax", _mp_log_softmax, [A234], {"axis": 0}, (0,)),
]


@pytest.mark.parametrize("case", ARRAY_CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(ARRAY_CASES)])
def test_array_row(case):
    name, mp_fn, args, kw, diff = case
    assert check_array_rule(RULES[name], mp_fn, args, kw, diff, _rng(name)) <= 1e-13


def test_every_row_is_checked():
    covered = set(ELEMENTWISE) | set(CONSTANT) | {c[0] for c in ARRAY_CASES}
    assert covered == set(RULES), f"rows without a check: {set(RULES) - covered}"


def test_expression_functions():
    table = expression_functions()
    required = {"exp", "log", "log1p", "expm1", "sqrt", "sin", "cos", "tan", "atan", "sinh", "cosh", "tanh",
                "abs", "max", "maximum", "min", "minimum", "sigmoid", "softplus", "log_sigmoid",
                # issue 14's names
                "asin", "acos", "atan2", "asinh", "acosh", "atanh", "erf", "erfc", "gamma", "lgamma", "digamma",
                "log2", "log10", "exp2", "cbrt", "hypot", "sinc", "sign", "floor", "ceil", "Heaviside", "relu",
                "leaky_relu"}
    assert required <= set(table)
    assert table["max"] is table["maximum"] is RULES["maximum"]
    assert table["min"] is RULES["minimum"]
    assert all(rule.in_expressions for rule in table.values())
    assert "add" not in table and "sum" not in table


# ---------------------------------------------------------------------------- pow edge cases
@pytest.mark.parametrize(("x", "y", "dx"), [(-1.5, 3.0, 6.75), (-2.0, 2.0, -4.0), (0.0, 2.0, 0.0),
                                            (0.0, 1.0, 1.0), (0.0, 0.0, 0.0), (0.0, 3.0, 0.0)])
def test_pow_constant_exponent(x, y, dx):
    """Negative bases with integer exponents, and x = 0: exact values, never 0*inf = nan."""
    for fn in (lambda v: v[0] ** y, lambda v: dnp.power(v[0], np.float64(y)), lambda v: v[0] ** np.array(y)):
        assert forward.gradient(fn, [x])[1][0] == dx
        assert reverse.grad(fn)(np.array([x]))[0] == dx


def test_pow_variable_exponent():
    """d/dy x**y = x**y log x; at x = 0 (y > 0) the function is constant 0, so 0."""
    g = reverse.grad(lambda v: v[0] ** v[1])(np.array([2.5, 1.5]))
    assert rel(g, [1.5 * 2.5 ** 0.5, 2.5 ** 1.5 * np.log(2.5)]) <= 1e-15
    g0 = forward.gradient(lambda v: v[0] ** v[1], [0.0, 2.0])[1]
    assert np.array_equal(g0, [0.0, 0.0])


# -------------------------------------------------------------- fused rows against compositions
COMPOSED = {
    "sigmoid": (dnp.sigmoid, lambda x: 1.0 / (1.0 + dnp.exp(-x))),
    "softplus": (dnp.softplus, lambda x: dnp.log1p(dnp.exp(x))),
    "log_sigmoid": (dnp.log_sigmoid, lambda x: -dnp.log1p(dnp.exp(-x))),
    "logsumexp": (lambda x: dnp.logsumexp(x, axis=-1), lambda x: dnp.log(dnp.sum(dnp.exp(x), axis=-1))),
    "softmax": (dnp.softmax, lambda x: dnp.exp(x) / dnp.sum(dnp.exp(x), axis=-1, keepdims=True)),
    "log_softmax": (dnp.log_softmax, lambda x: x - dnp.log(dnp.sum(dnp.exp(x), axis=-1, keepdims=True))),
}


@pytest.mark.parametrize("name", sorted(COMPOSED))
def test_fused_row_matches_composition(name):
    """Value, gradient and Hessian of sum(w * f(x)) through both engines, fused vs simple primitives."""
    fused, composed = COMPOSED[name]
    rng = _rng(name)
    x = rng.uniform(-4, 4, 6)
    w = rng.normal(size=6)

    weights = w[:2] if name == "logsumexp" else w

    def wrap(f):
        return lambda v: dnp.sum(dnp.reshape(f(dnp.reshape(v, (2, 3))), (-1,)) * weights)
    for engine in (reverse.hessian, forward.hessian):
        a, b = engine(wrap(fused), x), engine(wrap(composed), x)
        for u, v in zip(a, b, strict=True):
            assert rel(u, v) <= 1e-13


def test_fused_rows_are_stable_in_the_tails():
    """Where the compositions overflow or lose everything, the fused rows keep full relative accuracy."""
    x = np.array([-800.0, -40.0, 40.0, 800.0])
    with mpmath.workdps(50):
        for name, mp in [("sigmoid", lambda t: 1 / (1 + mpmath.exp(-t))),
                         ("softplus", lambda t: mpmath.log(1 + mpmath.exp(t))),
                         ("log_sigmoid", lambda t: -mpmath.log(1 + mpmath.exp(-t)))]:
            got = RULES[name].numpy(x)
            for gv, xv in zip(got, x, strict=True):
                ref = float(mp(mpmath.mpf(xv)))
                assert rel(gv, ref) <= 1e-15 or (ref < 1e-300 and gv == 0.0), (name, xv, gv, ref)
    big = np.array([[1000.0, 999.0, -1000.0]])
    assert rel(RULES["logsumexp"].numpy(big), 1000.0 + np.log1p(np.exp(-1.0))) <= 1e-15
    assert np.all(np.isfinite(RULES["log_softmax"].numpy(big)))
    g = reverse.grad(lambda v: dnp.sum(dnp.log_sigmoid(v)))(np.array([-800.0, 800.0]))
    assert np.array_equal(g, [1.0, 0.0])


# ------------------------------------------------------------------------ the SymPy fused classes
@pytest.mark.parametrize("cls", [sigmoid, softplus, log_sigmoid])
def test_sympy_fused_class(cls):
    x = sympy.Symbol("x", real=True)
    f = cls(x)
    assert f.is_real
    composed = f.rewrite(sympy.exp)
    assert not composed.has(cls)
    d = sympy.diff(f, x)
    assert not d.has(sympy.exp)  # written in terms of the fused functions themselves
    for value in ("-7.25", "0.3", "12.5"):
        point = {x: sympy.Float(value, 60)}
        d_composed = sympy.diff(composed, x).subs(point).evalf(50)
        assert abs(d.subs(point).evalf(50) - d_composed) < sympy.Float("1e-45")
        assert abs(f.subs(point).evalf(50) - composed.subs(point).evalf(50)) < sympy.Float("1e-45")
    assert cls(0).evalf(30) == composed.subs(x, 0).evalf(30)


def test_sympy_fused_evalf_any_precision():
    with mpmath.workdps(80):
        ref = 1 / (1 + mpmath.exp(-mpmath.mpf(1) / 3))
    got = sigmoid(sympy.Rational(1, 3)).evalf(70)
    assert abs(sympy.Float(ref, 80) - got) < sympy.Float("1e-68")
    assert sympy.diff(sigmoid(sympy.Symbol("z")), sympy.Symbol("z")) == sigmoid(sympy.Symbol("z")) * (
        1 - sigmoid(sympy.Symbol("z")))
    assert sympy.diff(softplus(sympy.Symbol("z")), sympy.Symbol("z")) == sigmoid(sympy.Symbol("z"))


def test_dnp_traces_to_sympy():
    x, y = sympy.symbols("x y", real=True)
    expr = dnp.sigmoid(x) * dnp.exp(y) + dnp.maximum(x, y) + dnp.abs(x) + dnp.log(dnp.softplus(y))
    assert expr == sigmoid(x) * sympy.exp(y) + sympy.Max(x, y) + sympy.Abs(x) + sympy.log(softplus(y))
    v = np.array([x, y], dtype=object)
    total = dnp.sum(dnp.exp(v) * v)
    assert sympy.simplify(total - (x * sympy.exp(x) + y * sympy.exp(y))) == 0


def test_sigmoid_derivative_full_relative_accuracy_on_both_engines():
    """s' = s(x)s(-x) to a few ulps everywhere -- the textbook s(1-s) is 100% off once s rounds to 1.
    The reverse engine's fast path (e^-x kept from the forward pass) and the generic rule both."""
    x = np.array([-800.0, -40.0, -5.0, 0.0, 3.0, 20.0, 36.0, 40.0, 700.0])
    with mpmath.workdps(50):
        ref = [float(mpmath.exp(-mpmath.mpf(v)) / (1 + mpmath.exp(-mpmath.mpf(v))) ** 2) for v in x]
    fast = reverse.grad(lambda v: dnp.sum(dnp.sigmoid(v)))(x)
    generic = forward.gradient(lambda v: dnp.sum(dnp.sigmoid(v)), x)[1]
    for got in (fast, generic):
        assert entry_rel(got, ref) <= 4e-16 * 4


def entry_rel(a, b):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    den = np.maximum(np.abs(a), np.abs(b))
    return float(np.max(np.where(den > 0, np.abs(a - b) / np.where(den > 0, den, 1.0), 0.0)))


def test_lambdify_kernels_continue_kinks_for_the_complex_step():
    """|x|, max and min compiled with these kernels give Im f(x+ih)/h = their one-sided derivative."""
    from difflab.primitives.heads import numpy_namespace

    ns, h = numpy_namespace(), 1e-100
    assert np.imag(ns["Abs"](-0.7 + 1j * h)) / h == -1.0
    assert np.imag(ns["Abs"](0.4 + 1j * h)) / h == 1.0
    assert np.imag(ns["Max"](0.4 + 1j * h, 0.1, -3.0)) / h == 1.0
    assert np.imag(ns["Min"](0.4 + 1j * h, 0.1)) / h == 0.0
    assert np.real(ns["Max"](0.4 + 1j * h, 0.1, -3.0)) == 0.4
    z = np.array([-2.0, 0.5]) + 1j * h
    s = RULES["sigmoid"].numpy
    assert rel(np.imag(ns["sigmoid"](z)) / h, [s(-2.0) * s(2.0), s(0.5) * s(-0.5)]) < 1e-15
    assert rel(np.imag(ns["softplus"](np.array([-30.0, 30.0]) + 1j * h)) / h,
               RULES["sigmoid"].numpy(np.array([-30.0, 30.0]))) < 1e-15
