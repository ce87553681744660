"""Elementwise rows: unary functions, arithmetic, max/min, and the piecewise-constant comparisons.

Each row is built by a helper that turns a *local derivative* into both rules: ``_unary`` from
``deriv(x, ans)`` gives ``jvp = t * deriv`` and ``vjp = g * deriv``; ``_binary`` from two partials adds
broadcasting (tangents padded, cotangents summed back).  Rules use ``ops`` (late-bound rows), never raw
NumPy, so they are differentiable themselves.  Order matters only for test generators (rows are drawn in
table order, so shrinking prefers the first).
"""

from __future__ import annotations

import operator

import mpmath
import numpy as np

from difflab.primitives import kernels as K
from difflab.primitives.dispatch import Box, Rule, ndim, ops, shape
from difflab.primitives.tangents import fit, pad, sum_tangents, unbroadcast

INF = float("inf")


def fused_twin(name: str):
    """A SymPy class of ``sympy_twins`` as a row's twin, imported only when SymPy input arrives."""
    def twin(*args, **kwargs):
        from difflab.primitives import sympy_twins  # SymPy is heavy: engines must not load it

        return getattr(sympy_twins, name)(*args)
    twin.__name__ = f"sympy_{name}"
    return twin


def unary_row(name, np_fn, sym, mp, deriv, domain="real", expr=True, vjp=None, fwd=None, **more) -> Rule:
    """Elementwise f(x) with local derivative ``deriv(x, ans)``: jvp = t*d, vjp = g*d."""
    return Rule(name, np_fn, K.sym_elementwise(sym, 1), mp,
                jvp=lambda ts, ans, x: ts[0] * deriv(x, ans),
                vjp=(vjp or (lambda g, ans, x: g * deriv(x, ans)),),
                domain=domain, arity=1, in_expressions=expr, fwd=fwd, **more)


def _sigmoid_d(x, ans):
    """sigmoid' = s(x) s(-x): the textbook s(1-s) loses all relative accuracy once s rounds to 1.

    Traced (to be differentiated again), |x| < 1 uses (1 - t^2)/4 with t = tanh(x/2): the derivative of
    s(x) s(-x) is a difference of two nearly equal products there, 1 - t*t's is -2 t t' (exact).
    """
    if not isinstance(x, Box) and not isinstance(ans, Box):
        return ans * ops.sigmoid(-x)
    t = ops.tanh(0.5 * x)
    return ops.where(ops.abs(x) < 1.0, 0.25 * (1.0 - t * t), ans * ops.sigmoid(-x))


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
    if not isinstance(x, Box) and not isinstance(ans, Box):
        return K.np_sech2(x)
    return ops.where(ops.abs(x) < 1.0, 1.0 - ans * ans,
                     4.0 * ops.sigmoid(2.0 * x) * ops.sigmoid(-2.0 * x))


def binary_row(name, np_fn, sym, mp, d0, d1, domain="real,real", expr=False, **more) -> Rule:
    """Elementwise f(x, y) with broadcasting; partials ``d0(x, y, ans)`` and ``d1(x, y, ans)``."""
    def jvp(ts, ans, x, y):
        nd = ndim(ans)
        return sum_tangents([None if ts[0] is None else pad(ts[0], nd) * d0(x, y, ans),
                             None if ts[1] is None else pad(ts[1], nd) * d1(x, y, ans)])
    return Rule(name, np_fn, K.sym_elementwise(sym, 2), mp, jvp=jvp,
                vjp=(lambda g, ans, x, y: unbroadcast(g * d0(x, y, ans), shape(x)),
                     lambda g, ans, x, y: unbroadcast(g * d1(x, y, ans), shape(y))),
                domain=domain, arity=2, in_expressions=expr, **more)


def _linear_binary(name, np_fn, sym, mp, s1) -> Rule:
    """add (s1=+1) and subtract (s1=-1): no multiplications in either rule."""
    def jvp(ts, ans, x, y):
        nd = ndim(ans)
        a = None if ts[0] is None else pad(ts[0], nd)
        b = None if ts[1] is None else pad(ts[1], nd)
        if b is not None and s1 < 0:
            b = -b
        return fit(sum_tangents([a, b]), ans)
    return Rule(name, np_fn, sym, mp, jvp=jvp,
                vjp=(lambda g, ans, x, y: unbroadcast(g, shape(x)),
                     (lambda g, ans, x, y: unbroadcast(g, shape(y))) if s1 > 0 else
                     (lambda g, ans, x, y: -unbroadcast(g, shape(y)))),
                domain="real,real", arity=2)


def constant_row(name, np_fn, sym, mp, arity=1, domain="real", **more) -> Rule:
    """Piecewise-constant primitive: no derivative rules, engines treat its output as a constant."""
    return Rule(name, np_fn, K.sym_elementwise(sym, arity), mp, jvp=None, vjp=None, domain=domain,
                arity=arity, **more)


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
    return ops.where(ops.equal(y, 0.0), 0.0, y * x ** (y - 1))


def _pow_d1(x, y, ans):
    """d(x**y)/dy = x**y log x, taken as 0 at x == 0 (where x**y is constant 0 for y > 0)."""
    return ans * ops.log(ops.where(ops.equal(x, 0.0), 1.0, x))


def _max_d0(x, y, ans):
    return (ops.sign(x - y) + 1.0) * 0.5  # 1, 1/2 at a tie (as SymPy's Heaviside(0)), 0


def _max_d1(x, y, ans):
    return (ops.sign(y - x) + 1.0) * 0.5


def at_zero(u, *_parameters):
    """Kinks/jumps where the argument is 0 (abs, sign, Heaviside; SymPy may add H0 or an order)."""
    return [u]


def _ties(*args):
    """Kinks of an n-ary max/min: where two arguments tie."""
    return [args[i] - args[j] for i in range(len(args)) for j in range(i + 1, len(args))]


def side(values) -> int:
    return 1 if values[0] > 0 else -1


def _pick(choose):
    """Branch of max/min: the argument that wins at the point."""
    return lambda values, *args: args[values.index(choose(values))]


ROWS: list[Rule] = [
    # smooth functions callable from expression text (the order test generators draw them in)
    unary_row("exp", np.exp, K.sym("exp"), mpmath.exp, lambda x, a: a, image=(0.0, INF)),
    unary_row("log", np.log, K.sym("log"), mpmath.log, lambda x, a: 1.0 / x, domain="positive",
              text_arities=(1, 2)),  # log(x, base) in expression text
    unary_row("sin", np.sin, K.sym("sin"), mpmath.sin, lambda x, a: ops.cos(x), image=(-1.0, 1.0)),
    unary_row("cos", np.cos, K.sym("cos"), mpmath.cos, lambda x, a: -ops.sin(x), image=(-1.0, 1.0)),
    unary_row("sqrt", np.sqrt, K.sym("sqrt"), mpmath.sqrt, lambda x, a: 0.5 / a, domain="nonnegative",
           image=(0.0, INF)),
    unary_row("tanh", np.tanh, K.sym("tanh"), mpmath.tanh, _tanh_d, image=(-1.0, 1.0)),
    unary_row("atan", np.arctan, K.sym("atan"), mpmath.atan, lambda x, a: 1.0 / (1.0 + x * x),
           aliases=("arctan",), numpy_aliases=("arctan",), image=(-np.pi / 2, np.pi / 2)),
    unary_row("log1p", np.log1p, lambda x, **k: K.sym("log")(1 + x), mpmath.log1p,
           lambda x, a: 1.0 / (1.0 + x), domain="gt_minus_one", numeric_twin=fused_twin("dl_log1p")),
    unary_row("expm1", np.expm1, lambda x, **k: K.sym("exp")(x) - 1, mpmath.expm1, lambda x, a: ops.exp(x),
           numeric_twin=fused_twin("dl_expm1"), image=(-1.0, INF)),
    unary_row("sinh", np.sinh, K.sym("sinh"), mpmath.sinh, lambda x, a: ops.cosh(x)),
    unary_row("cosh", np.cosh, K.sym("cosh"), mpmath.cosh, lambda x, a: ops.sinh(x), image=(1.0, INF)),
    unary_row("tan", np.tan, K.sym("tan"), mpmath.tan, lambda x, a: 1.0 + a * a, domain="cos_nonzero",
              poles=lambda u: [K.sym("cos")(u)]),
    unary_row("sigmoid", K.np_sigmoid, fused_twin("sigmoid"), K.mp_sigmoid, _sigmoid_d, domain="wide",
           vjp=_sigmoid_vjp, fwd=K.np_sigmoid_fwd, image=(0.0, 1.0)),
    unary_row("softplus", K.np_softplus, fused_twin("softplus"), K.mp_softplus, lambda x, a: ops.sigmoid(x),
           domain="wide", image=(0.0, INF)),
    unary_row("log_sigmoid", K.np_log_sigmoid, fused_twin("log_sigmoid"), K.mp_log_sigmoid,
           lambda x, a: ops.sigmoid(-x), domain="wide", image=(-INF, 0.0)),
    # with kinks
    unary_row("abs", K.np_abs, K.sym("Abs"), abs, lambda x, a: ops.sign(x), domain="nonzero",
           numpy_aliases=("absolute",), kinks=at_zero, image=(0.0, INF),
           branch=lambda values, u: side(values) * u),
    binary_row("maximum", K.np_maximum, K.sym("Max"), max, _max_d0, _max_d1, expr=True, aliases=("max",),
            kinks=_ties, branch=_pick(max), kink_words="arguments are within {m:g} of a tie (a kink)"),
    binary_row("minimum", K.np_minimum, K.sym("Min"), min, _max_d1, _max_d0, expr=True, aliases=("min",),
            kinks=_ties, branch=_pick(min), kink_words="arguments are within {m:g} of a tie (a kink)"),
    # arithmetic (operators in expression text)
    _linear_binary("add", np.add, operator.add, operator.add, +1),
    _linear_binary("subtract", np.subtract, operator.sub, operator.sub, -1),
    binary_row("multiply", np.multiply, operator.mul, operator.mul,
            lambda x, y, a: y, lambda x, y, a: x),
    binary_row("divide", np.divide, operator.truediv, operator.truediv,
            lambda x, y, a: 1.0 / y, lambda x, y, a: -a / y, domain="real,nonzero",
            numpy_aliases=("true_divide",)),
    binary_row("power", np.power, operator.pow, mpmath.power, _pow_d0, _pow_d1, domain="positive,real"),
    Rule("negative", np.negative, operator.neg, operator.neg,
         jvp=lambda ts, ans, x: -ts[0], vjp=(lambda g, ans, x: -g,)),
    unary_row("reciprocal", lambda x: 1.0 / x, lambda x: 1 / x, lambda x: 1 / x, lambda x, a: -a * a,
           domain="nonzero", expr=False),
    # piecewise constant: engines treat the output as a constant
    constant_row("sign", K.np_sign, K.sym("sign"), mpmath.sign, kinks=at_zero, image=(-1.0, 1.0),
           in_expressions=True, branch=lambda values, *args: side(values)),
    constant_row("heaviside", K.np_heaviside, K.sym("Heaviside"), K.mp_heaviside, kinks=at_zero,
           image=(0.0, 1.0), in_expressions=True, aliases=("Heaviside",),
           branch=lambda values, *args: (side(values) + 1) // 2),
    constant_row("dirac_delta", K.np_dirac, K.sym("DiracDelta"), K.mp_dirac, kinks=at_zero, domain="nonzero",
           branch=lambda values, *args: 0),
    constant_row("greater", np.greater, K.sym("Gt"), operator.gt, arity=2),
    constant_row("greater_equal", np.greater_equal, K.sym("Ge"), operator.ge, arity=2),
    constant_row("less", np.less, K.sym("Lt"), operator.lt, arity=2),
    constant_row("less_equal", np.less_equal, K.sym("Le"), operator.le, arity=2),
    constant_row("equal", np.equal, K.sym("Eq"), operator.eq, arity=2),
    constant_row("not_equal", np.not_equal, K.sym("Ne"), operator.ne, arity=2),
]
