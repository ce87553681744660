"""THE primitive table: one ``Rule`` row per primitive, feeding every method.

A row carries the NumPy implementation, the SymPy twin (so a Python function over ``difflab.numpy`` can be
traced into a SymPy expression and every rule can be checked against ``sympy.diff``), a scalar mpmath twin
(the high-precision oracle), and the two derivative rules:

* ``jvp(tangents, ans, *args, **params)`` -- forward rule.  ``tangents[i]`` is ``None`` (argument constant)
  or a *batched* tangent of shape ``(k,) + shape(args[i])``: the leading axis carries k directions at once,
  which is how the forward engine gets a whole gradient in one pass.  Rules therefore address axes with
  negative numbers (invariant under a leading batch axis) and pad lower-rank tangents with ``_pad``.
* ``vjp[i](g, ans, *args, **params)`` -- reverse rule for argument i: the cotangent, shaped like
  ``args[i]`` (broadcast axes summed by ``_unbroadcast``).  ``None`` entries mark arguments that are not
  differentiable (a ``where`` condition).

Both are written with ``difflab.numpy`` functions and Python operators, never raw NumPy, so they are
themselves differentiable: forward-over-reverse Hessians and nested duals fall out with no extra code.
A row may also give ``fwd(*args, **params) -> (ans, residual)``: the reverse engine, recording plain
arrays, then calls the VJPs with ``residual=`` -- a quantity of the forward pass worth keeping (sigmoid
keeps ``e^-x``, so its exact derivative costs no second exponential) -- and ``ans`` only.
``saves`` says which values the VJPs read (``"args"``, ``"ans"``, both, or ``""``); the reverse engine
keeps just those (shapes stand in for the rest), so dead intermediates are freed as the forward pass runs.
A row whose ``jvp``/``vjp`` is ``None`` is piecewise constant (``sign``, comparisons): engines return its
output as a plain constant.  ``domain`` names where the row is smooth, one entry per argument separated
by commas (``"positive,real"`` for ``pow``); ``sample_domain`` draws test points from it.
Fused rows (sigmoid, softplus, log_sigmoid, logsumexp, softmax, log_softmax) exist for speed and stability
only; tests check them against the composition of simpler rows.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import mpmath
import numpy as np

from difflab.primitives import kernels as K
from difflab.primitives.kernels import lambdify_numpy  # noqa: F401 -- part of this module's API


@dataclass(frozen=True)
class Rule:
    """One primitive: implementations and derivative rules (see module docstring for conventions)."""

    name: str
    numpy: Callable
    sympy: Callable | None
    mpmath: Callable | None
    jvp: Callable | None
    vjp: Any  # sequence of per-argument callables (or None entries), or None
    domain: str = "real"
    arity: int = 1
    in_expressions: bool = False
    fwd: Callable | None = None  # optional NumPy forward returning (ans, residual) for the VJPs
    saves: str = "args,ans"  # what the VJPs read: "args", "ans", both, or "" (shapes only)

    def domains(self) -> tuple[str, ...]:
        """One domain name per argument."""
        parts = tuple(p.strip() for p in self.domain.split(","))
        return parts if len(parts) == self.arity else parts[:1] * self.arity


# ----------------------------------------------------------------------------------- domains
DOMAINS: dict[str, tuple[float, float, str]] = {
    # name: (low, high, description) -- test points are drawn from the open interval, kept off kinks
    "real": (-3.0, 3.0, "any real number"),
    "positive": (0.05, 4.0, "x > 0"),
    "nonnegative": (0.05, 4.0, "x >= 0 (derivative needs x > 0)"),
    "gt_minus_one": (-0.95, 3.0, "x > -1"),
    "nonzero": (0.1, 3.0, "x != 0 (either sign)"),
    "cos_nonzero": (-1.5, 1.5, "cos(x) != 0"),
    "unit_open": (-0.95, 0.95, "|x| < 1"),
    "wide": (-40.0, 40.0, "any real number, tails included"),
}


def sample_domain(domain: str, rng: np.random.Generator, size: int | tuple = ()) -> np.ndarray:
    """Random points strictly inside a named domain (``nonzero`` gets a random sign)."""
    low, high, _ = DOMAINS[domain]
    x = rng.uniform(low, high, size)
    if domain == "nonzero":
        x = x * rng.choice([-1.0, 1.0], size)
    return x


# ------------------------------------------------------------------------------- helpers
def _pad(t, nd):
    """Batched tangent ``(k,) + s`` padded with unit axes to ``(k,) + (1,)*(nd-len(s)) + s``."""
    extra = nd - (dnp.ndim(t) - 1)
    if extra <= 0:
        return t
    s = dnp.shape(t)
    return dnp.reshape(t, (s[0],) + (1,) * extra + s[1:])


def _fit(t, ans):
    """A batched tangent broadcast to the output's shape (a broadcast operand's tangent is smaller)."""
    s, ts = dnp.shape(ans), dnp.shape(t)
    if ts[1:] == s:
        return t
    return dnp.broadcast_to(_pad(t, len(s)), ts[:1] + s)


def _unbroadcast(g, shape):
    """Sum a cotangent over the axes broadcasting added or stretched, back to ``shape``."""
    gs = g.shape if type(g) is np.ndarray else dnp.shape(g)
    if gs == shape:
        return g
    lead = len(gs) - len(shape)
    axes = tuple(range(lead)) + tuple(lead + i for i, n in enumerate(shape) if n == 1 and gs[lead + i] != 1)
    if axes:
        g = dnp.sum(g, axis=axes)
    return dnp.reshape(g, shape) if dnp.shape(g) != shape else g


def _neg_axes(axis, nd):
    """Axes as negative numbers, which mean the same for an array and its batched tangent."""
    if axis is None:
        return tuple(range(-nd, 0))
    axes = axis if isinstance(axis, tuple) else (axis,)
    return tuple(a % nd - nd for a in axes)


def _keepdims_shape(shape, axis):
    axes = {a % len(shape) for a in (range(len(shape)) if axis is None else
                                     (axis if isinstance(axis, tuple) else (axis,)))}
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


def _restore(g, x, axis, keepdims):
    """Cotangent of a reduction, broadcast back over the reduced axes of x."""
    xs = dnp.shape(x)
    if not keepdims and axis is not None:
        g = dnp.reshape(g, _keepdims_shape(xs, axis))
    return dnp.broadcast_to(g, xs)


def _count(x, axis):
    xs = dnp.shape(x)
    if axis is None:
        return math.prod(xs)
    return math.prod(xs[a] for a in (axis if isinstance(axis, tuple) else (axis,)))


def _sum_tangents(parts):
    parts = [p for p in parts if p is not None]
    out = parts[0]
    for p in parts[1:]:
        out = out + p
    return out


# ---------------------------------------------------------------------------- row builders
def _unary(name, np_fn, sym, mp, deriv, domain="real", expr=True, vjp=None, fwd=None) -> Rule:
    """Elementwise f(x) with local derivative ``deriv(x, ans)``: jvp = t*d, vjp = g*d."""
    return Rule(name, np_fn, K.sym_elementwise(sym, 1), mp,
                jvp=lambda ts, ans, x: ts[0] * deriv(x, ans),
                vjp=(vjp or (lambda g, ans, x: g * deriv(x, ans)),),
                domain=domain, arity=1, in_expressions=expr, fwd=fwd)


def _sigmoid_d(x, ans):
    """sigmoid' = s(x) s(-x): the textbook s(1-s) loses all relative accuracy once s rounds to 1.

    Traced (to be differentiated again), |x| < 1 uses (1 - t^2)/4 with t = tanh(x/2): the derivative of
    s(x) s(-x) is a difference of two nearly equal products there, 1 - t*t's is -2 t t' (exact).
    """
    if not isinstance(x, dnp.Box) and not isinstance(ans, dnp.Box):
        return ans * dnp.sigmoid(-x)
    t = dnp.tanh(0.5 * x)
    return dnp.where(dnp.abs(x) < 1.0, 0.25 * (1.0 - t * t), ans * dnp.sigmoid(-x))


def _sigmoid_vjp(g, ans, x, residual=None):
    """g s(x) s(-x) = g s (s e) with e = e^-x kept from the forward pass: the hot spot of a network's
    backward, three passes in one buffer like the textbook g s (1-s), but exact in the tails."""
    if residual is None:
        return g * _sigmoid_d(x, ans)
    t = ans * residual  # s e = e/(1+e) = s(-x): accurate, finite (e is capped)
    if type(t) is np.ndarray and type(g) is np.ndarray and g.shape == t.shape:
        t *= ans
        t *= g
        return t
    return g * (t * ans)


def _tanh_d(x, ans):
    """tanh' = sech^2 x, accurate to a few ulps for every x and differentiable again without nan.

    Why not 1/cosh^2: cosh overflows past |x| ~ 710 and differentiating the rule once more gives
    0 * inf = nan for tanh'' (which is 0 there). On traced values the rule is 1 - a*a with a = tanh x
    for |x| < 1 (its derivative -2 a a' keeps full relative accuracy near 0) and 4 s(2x) s(-2x) (s the
    sigmoid, exact in the tails) beyond; both branches and their derivatives are finite everywhere, so
    the branch not taken contributes 0, never nan. Plain arrays take the one-kernel fast path.
    """
    if not isinstance(x, dnp.Box) and not isinstance(ans, dnp.Box):
        return K.np_sech2(x)
    return dnp.where(dnp.abs(x) < 1.0, 1.0 - ans * ans,
                     4.0 * dnp.sigmoid(2.0 * x) * dnp.sigmoid(-2.0 * x))


def _binary(name, np_fn, sym, mp, d0, d1, domain="real,real", expr=False) -> Rule:
    """Elementwise f(x, y) with broadcasting; partials ``d0(x, y, ans)`` and ``d1(x, y, ans)``."""
    def jvp(ts, ans, x, y):
        nd = dnp.ndim(ans)
        return _sum_tangents([None if ts[0] is None else _pad(ts[0], nd) * d0(x, y, ans),
                              None if ts[1] is None else _pad(ts[1], nd) * d1(x, y, ans)])
    return Rule(name, np_fn, K.sym_elementwise(sym, 2), mp, jvp=jvp,
                vjp=(lambda g, ans, x, y: _unbroadcast(g * d0(x, y, ans), dnp.shape(x)),
                     lambda g, ans, x, y: _unbroadcast(g * d1(x, y, ans), dnp.shape(y))),
                domain=domain, arity=2, in_expressions=expr)


def _linear_binary(name, np_fn, sym, mp, s1) -> Rule:
    """add (s1=+1) and subtract (s1=-1): no multiplications in either rule."""
    def jvp(ts, ans, x, y):
        nd = dnp.ndim(ans)
        a = None if ts[0] is None else _pad(ts[0], nd)
        b = None if ts[1] is None else _pad(ts[1], nd)
        if b is not None and s1 < 0:
            b = -b
        return _fit(_sum_tangents([a, b]), ans)
    return Rule(name, np_fn, sym, mp, jvp=jvp,
                vjp=(lambda g, ans, x, y: _unbroadcast(g, dnp.shape(x)),
                     (lambda g, ans, x, y: _unbroadcast(g, dnp.shape(y))) if s1 > 0 else
                     (lambda g, ans, x, y: -_unbroadcast(g, dnp.shape(y)))),
                domain="real,real", arity=2)


def _const(name, np_fn, sym, mp, arity=1, domain="real") -> Rule:
    """Piecewise-constant primitive: no derivative rules, engines treat its output as a constant."""
    return Rule(name, np_fn, K.sym_elementwise(sym, arity), mp, jvp=None, vjp=None, domain=domain,
                arity=arity)


# ------------------------------------------------------------------------------ pow partials
def _pow_d0(x, y, ans):
    """d(x**y)/dx; exact shortcuts for the common constant exponents, and 0 (not 0*inf) when y == 0."""
    if isinstance(y, (int, float)):
        if y == 0:
            return 0.0
        if y == 1:
            return 1.0
        if y == 2:
            return 2.0 * x
        return y * x ** (y - 1)
    return dnp.where(dnp.equal(y, 0.0), 0.0, y * x ** (y - 1))


def _pow_d1(x, y, ans):
    """d(x**y)/dy = x**y log x, taken as 0 at x == 0 (where x**y is constant 0 for y > 0)."""
    return ans * dnp.log(dnp.where(dnp.equal(x, 0.0), 1.0, x))


def _max_d0(x, y, ans):
    return (dnp.sign(x - y) + 1.0) * 0.5  # 1, 1/2 at a tie (as SymPy's Heaviside(0)), 0


def _max_d1(x, y, ans):
    return (dnp.sign(y - x) + 1.0) * 0.5


_ROWS: list[Rule] = [
    # elementwise unary (callable from expression text)
    _unary("exp", np.exp, K.sym("exp"), mpmath.exp, lambda x, a: a),
    _unary("log", np.log, K.sym("log"), mpmath.log, lambda x, a: 1.0 / x, domain="positive"),
    _unary("log1p", np.log1p, lambda x, **k: K.sym("log")(1 + x), mpmath.log1p,
           lambda x, a: 1.0 / (1.0 + x), domain="gt_minus_one"),
    _unary("expm1", np.expm1, lambda x, **k: K.sym("exp")(x) - 1, mpmath.expm1, lambda x, a: dnp.exp(x)),
    _unary("sqrt", np.sqrt, K.sym("sqrt"), mpmath.sqrt, lambda x, a: 0.5 / a, domain="nonnegative"),
    _unary("sin", np.sin, K.sym("sin"), mpmath.sin, lambda x, a: dnp.cos(x)),
    _unary("cos", np.cos, K.sym("cos"), mpmath.cos, lambda x, a: -dnp.sin(x)),
    _unary("tan", np.tan, K.sym("tan"), mpmath.tan, lambda x, a: 1.0 + a * a, domain="cos_nonzero"),
    _unary("atan", np.arctan, K.sym("atan"), mpmath.atan, lambda x, a: 1.0 / (1.0 + x * x)),
    _unary("sinh", np.sinh, K.sym("sinh"), mpmath.sinh, lambda x, a: dnp.cosh(x)),
    _unary("cosh", np.cosh, K.sym("cosh"), mpmath.cosh, lambda x, a: dnp.sinh(x)),
    _unary("tanh", np.tanh, K.sym("tanh"), mpmath.tanh, _tanh_d),
    _unary("abs", K.np_abs, K.sym("Abs"), abs, lambda x, a: dnp.sign(x), domain="nonzero"),
    _unary("sigmoid", K.np_sigmoid, K.fused_sym("sigmoid"), K.mp_sigmoid, _sigmoid_d, domain="wide",
           vjp=_sigmoid_vjp, fwd=K.np_sigmoid_fwd),
    _unary("softplus", K.np_softplus, K.fused_sym("softplus"), K.mp_softplus, lambda x, a: dnp.sigmoid(x),
           domain="wide"),
    _unary("log_sigmoid", K.np_log_sigmoid, K.fused_sym("log_sigmoid"), K.mp_log_sigmoid,
           lambda x, a: dnp.sigmoid(-x), domain="wide"),
    _binary("maximum", K.np_maximum, K.sym("Max"), max, _max_d0, _max_d1, expr=True),
    _binary("minimum", K.np_minimum, K.sym("Min"), min, _max_d1, _max_d0, expr=True),
    # arithmetic (operators in expression text)
    _linear_binary("add", np.add, operator.add, operator.add, +1),
    _linear_binary("subtract", np.subtract, operator.sub, operator.sub, -1),
    _binary("multiply", np.multiply, operator.mul, operator.mul,
            lambda x, y, a: y, lambda x, y, a: x),
    _binary("divide", np.divide, operator.truediv, operator.truediv,
            lambda x, y, a: 1.0 / y, lambda x, y, a: -a / y, domain="real,nonzero"),
    _binary("power", np.power, operator.pow, mpmath.power, _pow_d0, _pow_d1, domain="positive,real"),
    Rule("negative", np.negative, operator.neg, operator.neg,
         jvp=lambda ts, ans, x: -ts[0], vjp=(lambda g, ans, x: -g,)),
    _unary("reciprocal", lambda x: 1.0 / x, lambda x: 1 / x, lambda x: 1 / x, lambda x, a: -a * a,
           domain="nonzero", expr=False),
    # piecewise constant
    _const("sign", K.np_sign, K.sym("sign"), mpmath.sign),
    _const("greater", np.greater, K.sym("Gt"), operator.gt, arity=2),
    _const("greater_equal", np.greater_equal, K.sym("Ge"), operator.ge, arity=2),
    _const("less", np.less, K.sym("Lt"), operator.lt, arity=2),
    _const("less_equal", np.less_equal, K.sym("Le"), operator.le, arity=2),
    _const("equal", np.equal, K.sym("Eq"), operator.eq, arity=2),
    _const("not_equal", np.not_equal, K.sym("Ne"), operator.ne, arity=2),
]


# ------------------------------------------------------------------ array rows (shape-changing)
def _sum_jvp(ts, ans, x, axis=None, keepdims=False):
    return dnp.sum(ts[0], axis=_neg_axes(axis, dnp.ndim(x)), keepdims=keepdims)


def _mean_jvp(ts, ans, x, axis=None, keepdims=False):
    return dnp.mean(ts[0], axis=_neg_axes(axis, dnp.ndim(x)), keepdims=keepdims)


def _mean_vjp(g, ans, x, axis=None, keepdims=False):
    return _restore(g / _count(x, axis), x, axis, keepdims)


def _bcast_jvp(ts, ans, x, shape):
    t = _pad(ts[0], len(shape))
    return dnp.broadcast_to(t, dnp.shape(t)[:1] + tuple(shape))


def _transpose_axes(x, axes):
    nd = dnp.ndim(x)
    return tuple(reversed(range(nd))) if axes is None else tuple(a % nd for a in axes)


def _idx_tuple(idx):
    return (slice(None),) + (idx if isinstance(idx, tuple) else (idx,))


def _lse_kd(ans, x, axis, keepdims):
    return ans if keepdims else dnp.reshape(ans, _keepdims_shape(dnp.shape(x), axis))


def _matmul_jvp(ts, ans, a, b):
    """Batched tangents through matmul; a 1-D operand is a row/column, never a batch of the tangent."""
    na, nb = dnp.ndim(a), dnp.ndim(b)
    parts = []
    if ts[0] is not None:
        if na == 1 and nb >= 2:  # (k, n) -> (k, 1.., 1, n): a row vector per direction
            parts.append(dnp.matmul(_pad(dnp.expand_dims(ts[0], -2), nb), b)[..., 0, :])
        else:
            parts.append(dnp.matmul(_pad(ts[0], max(na, nb)) if na >= 2 else ts[0], b))
    if ts[1] is not None:
        if nb == 1:  # (k, n) -> (k, 1.., n, 1): a column vector per direction
            parts.append(dnp.matmul(a, _pad(ts[1][..., None], na))[..., 0])
        else:
            parts.append(dnp.matmul(a, _pad(ts[1], max(na, nb))))
    return _sum_tangents(parts)


def _mT(x):
    return dnp.transpose(x) if dnp.ndim(x) == 2 else dnp.swapaxes(x, -1, -2)


def _matmul_vjp_a(g, ans, a, b):
    na, nb = dnp.ndim(a), dnp.ndim(b)
    if nb == 1:
        ga = g * b if na == 1 else g[..., None] * b
    elif na == 1:
        ga = dnp.matmul(b, g[..., None])[..., 0]
    else:
        ga = dnp.matmul(g, _mT(b))
    return _unbroadcast(ga, dnp.shape(a))


def _matmul_vjp_b(g, ans, a, b):
    na, nb = dnp.ndim(a), dnp.ndim(b)
    if na == 1:
        gb = g * a if nb == 1 else a[:, None] * g[..., None, :]
    elif nb == 1:
        gb = dnp.matmul(_mT(a), g[..., None])[..., 0]
    else:
        gb = dnp.matmul(_mT(a), g)
    return _unbroadcast(gb, dnp.shape(b))


def _where_jvp(ts, ans, c, a, b):
    nd = dnp.ndim(ans)
    ta = 0.0 if ts[1] is None else _pad(ts[1], nd)
    tb = 0.0 if ts[2] is None else _pad(ts[2], nd)
    return _fit(dnp.where(c, ta, tb), ans)


def _stack_jvp(ts, ans, *xs, axis=0):
    k = next(dnp.shape(t)[0] for t in ts if t is not None)
    ax = axis if axis < 0 else axis - dnp.ndim(ans)
    parts = [np.zeros((k,) + dnp.shape(x)) if t is None else t for t, x in zip(ts, xs, strict=True)]
    return dnp.stack(parts, axis=ax)


class _StackVJP:
    """Per-argument VJPs of a variadic row: argument i receives slice i along the stacking axis."""

    def __getitem__(self, i):
        return lambda g, ans, *xs, axis=0: g[(slice(None),) * (axis % dnp.ndim(ans)) + (i,)]


_ROWS += [
    Rule("sum", K.np_sum, K.sym_sum, None, jvp=_sum_jvp,
         vjp=(lambda g, ans, x, axis=None, keepdims=False: _restore(g, x, axis, keepdims),)),
    Rule("mean", K.np_mean, K.sym_mean, None, jvp=_mean_jvp, vjp=(_mean_vjp,)),
    Rule("broadcast_to", K.np_broadcast_to, np.broadcast_to, None, jvp=_bcast_jvp,
         vjp=(lambda g, ans, x, shape: _unbroadcast(g, dnp.shape(x)),)),
    Rule("reshape", np.reshape, np.reshape, None,
         jvp=lambda ts, ans, x, shape: dnp.reshape(ts[0], dnp.shape(ts[0])[:1] + dnp.shape(ans)),
         vjp=(lambda g, ans, x, shape: dnp.reshape(g, dnp.shape(x)),)),
    Rule("transpose", np.transpose, np.transpose, None,
         jvp=lambda ts, ans, x, axes=None: dnp.transpose(
             ts[0], (0,) + tuple(a + 1 for a in _transpose_axes(x, axes))),
         vjp=(lambda g, ans, x, axes=None: dnp.transpose(
             g, tuple(int(i) for i in np.argsort(_transpose_axes(x, axes)))),)),
    Rule("getitem", lambda x, idx: x[idx], lambda x, idx: x[idx], None,
         jvp=lambda ts, ans, x, idx: ts[0][_idx_tuple(idx)],
         vjp=(lambda g, ans, x, idx: dnp.untake(g, idx, dnp.shape(x)),)),
    Rule("untake", K.np_untake, None, None,
         jvp=lambda ts, ans, g, idx, shape: dnp.untake(ts[0], _idx_tuple(idx),
                                                      dnp.shape(ts[0])[:1] + tuple(shape)),
         vjp=(lambda c, ans, g, idx, shape: c[idx],)),
    Rule("matmul", np.matmul, np.matmul, None, jvp=_matmul_jvp, vjp=(_matmul_vjp_a, _matmul_vjp_b),
         arity=2),
    Rule("where", np.where, K.sym_elementwise(K.sym_where, 3), None, jvp=_where_jvp,
         vjp=(None,
              lambda g, ans, c, a, b: _unbroadcast(dnp.where(c, g, 0.0), dnp.shape(a)),
              lambda g, ans, c, a, b: _unbroadcast(dnp.where(c, 0.0, g), dnp.shape(b))),
         arity=3),
    Rule("stack", lambda *xs, axis=0: np.stack(xs, axis=axis),
         lambda *xs, axis=0: np.stack([np.asarray(x, dtype=object) for x in xs], axis=axis),
         None, jvp=_stack_jvp, vjp=_StackVJP(), arity=-1),
    # fused, numerically stable reductions
    Rule("logsumexp", K.np_logsumexp, K.sym_lse, None,
         jvp=lambda ts, ans, x, axis=None, keepdims=False: dnp.sum(
             ts[0] * dnp.exp(x - _lse_kd(ans, x, axis, keepdims)), axis=_neg_axes(axis, dnp.ndim(x)),
             keepdims=keepdims),
         vjp=(lambda g, ans, x, axis=None, keepdims=False: _restore(g, x, axis, keepdims)
              * dnp.exp(x - _lse_kd(ans, x, axis, keepdims)),)),
    Rule("softmax", K.np_softmax, K.sym_softmax, None,
         jvp=lambda ts, ans, x, axis=-1: ans * (ts[0] - dnp.sum(
             ts[0] * ans, axis=_neg_axes(axis, dnp.ndim(x)), keepdims=True)),
         vjp=(lambda g, ans, x, axis=-1: ans * (g - dnp.sum(g * ans, axis=axis, keepdims=True)),)),
    Rule("log_softmax", K.np_log_softmax, K.sym_log_softmax, None,
         jvp=lambda ts, ans, x, axis=-1: ts[0] - dnp.sum(
             dnp.exp(ans) * ts[0], axis=_neg_axes(axis, dnp.ndim(x)), keepdims=True),
         vjp=(lambda g, ans, x, axis=-1, residual=None: g - (dnp.exp(ans) if residual is None else residual)
              * dnp.sum(g, axis=axis, keepdims=True),), fwd=K.np_log_softmax_fwd),
]

# What each VJP reads (Rule.saves); rows not listed keep arguments and output.
_SAVES = {**dict.fromkeys(("add", "subtract", "negative", "sum", "mean", "broadcast_to", "reshape",
                           "transpose", "getitem", "untake", "stack"), ""),
          **dict.fromkeys(("multiply", "matmul", "maximum", "minimum", "where", "log", "log1p", "expm1",
                           "sin", "cos", "atan", "sinh", "cosh", "tanh", "abs", "softplus", "log_sigmoid"),
                          "args"),
          **dict.fromkeys(("exp", "sqrt", "tan", "reciprocal", "softmax", "log_softmax"), "ans")}
RULES: dict[str, Rule] = {r.name: replace(r, saves=_SAVES.get(r.name, r.saves)) for r in _ROWS}

# Names accepted in expression text besides the row names (all point at one implementation).
EXPRESSION_ALIASES: dict[str, str] = {"max": "maximum", "min": "minimum", "arctan": "atan"}


def expression_functions() -> dict[str, Rule]:
    """Functions callable by name in expression text: ``{text name: rule}``, aliases included."""
    table = {name: rule for name, rule in RULES.items() if rule.in_expressions}
    table.update({alias: RULES[target] for alias, target in EXPRESSION_ALIASES.items()})
    return table


import difflab.numpy as dnp  # noqa: E402  -- rules call dnp at run time; dnp needs RULES at import
