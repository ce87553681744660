"""The one generic checker for rows of ``difflab.primitives.table`` (imported by test_rules.py).

``check_rule(rule, rng)`` -- an elementwise row (arity 1 or 2) at random points inside its domain:
  * its NumPy value against its mpmath twin (50 digits),
  * the symbolic partials of its SymPy twin (``sympy.diff``, evaluated at 40 digits) against mpmath's
    numerical derivative of its mpmath twin -- the two twins must agree with each other,
  * its ``jvp`` (batched tangents, one and several directions) and each ``vjp[i]`` against those partials,
  * the same on arrays with broadcasting ((3,1) with (1,4)): VJPs must come back summed to each shape.
``check_array_rule(rule, mp_fn, args, kw, diff)`` -- a shape-changing or fused array row: the full
Jacobian by central differences in mpmath at 50 digits (step 1e-20: truncation 1e-40, rounding 1e-30),
then ``jvp`` (two batched directions) against J v and each ``vjp`` against J^T w.
Both return the largest relative error seen so a test can assert on it and print it.
"""

from __future__ import annotations

import mpmath
import numpy as np
import sympy

from difflab.primitives.table import Rule, sample_domain

DPS = 40


def rel(a, b) -> float:
    """Max-norm relative difference of two arrays (0 when both are zero)."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    scale = max(float(np.max(np.abs(a), initial=0.0)), float(np.max(np.abs(b), initial=0.0)))
    return float(np.max(np.abs(a - b), initial=0.0)) / scale if scale else 0.0


def _points(rule: Rule, rng, size=()):
    return [sample_domain(d, rng, size) for d in rule.domains()]


def differentiable(rule: Rule) -> list[int]:
    """Argument positions the row differentiates (a ``None`` VJP marks a parameter, e.g. an order)."""
    return [i for i in range(rule.arity) if rule.vjp[i] is not None]


def _exact(p: float):
    """A sampled point as SymPy sees it: integers stay integers (an order parameter)."""
    return sympy.Integer(int(p)) if float(p).is_integer() else sympy.Float(float(p), DPS)


def symbolic_partials(rule: Rule, point) -> list[float]:
    """Partials of the SymPy twin at a float point, evaluated at DPS digits (differentiable arguments)."""
    syms = sympy.symbols(f"a0:{rule.arity}", real=True)
    expr = rule.sympy(*syms)
    subs = {s: _exact(p) for s, p in zip(syms, point, strict=True)}
    return [sympy.diff(expr, syms[i]).subs(subs).evalf(DPS) for i in differentiable(rule)]


def mpmath_partials(rule: Rule, point) -> list:
    """Numerical partials of the mpmath twin at DPS digits (differentiable arguments)."""
    out = []
    with mpmath.workdps(DPS):
        for i in differentiable(rule):
            def along(t, i=i):
                args = [mpmath.mpf(float(p)) for p in point]
                args[i] = t
                return rule.mpmath(*args)
            out.append(mpmath.diff(along, mpmath.mpf(float(point[i]))))
    return out


def check_rule(rule: Rule, rng: np.random.Generator, npoints: int = 6, rtol: float = 1e-13) -> float:
    """Check one elementwise row (see module docstring); raises AssertionError, returns the worst error."""
    worst = 0.0
    for _ in range(npoints):
        point = [float(p) for p in _points(rule, rng)]
        # values: NumPy against mpmath
        with mpmath.workdps(50):
            ref_value = float(rule.mpmath(*[mpmath.mpf(p) for p in point]))
        value = rule.numpy(*point)
        err = rel(value, ref_value)
        assert err <= 4e-15 + rtol * 0.05, f"{rule.name}{tuple(point)}: value {value} vs mpmath {ref_value}"
        # the two twins agree on the derivative
        sym = symbolic_partials(rule, point)
        num = mpmath_partials(rule, point)
        for s, m in zip(sym, num, strict=True):
            assert abs(sympy.Float(m, DPS) - s) <= 1e-25 * (1 + abs(s)), f"{rule.name}: {s} vs mpmath {m}"
        ref = np.array([float(s) for s in sym])
        ans = rule.numpy(*point)
        diff = differentiable(rule)
        for k, i in enumerate(diff):
            ts = tuple(np.array([1.0]) if j == i else None for j in range(rule.arity))
            t = np.asarray(rule.jvp(ts, ans, *point))
            assert t.shape == (1,), f"{rule.name}: jvp tangent shape {t.shape}, expected (1,)"
            g = rng.normal()
            c = rule.vjp[i](g, ans, *point)
            worst = max(worst, rel(t[0], ref[k]), rel(c, g * ref[k]))
        # several directions at once: sum of partial * tangent
        dirs = [rng.normal(size=3) if i in diff else None for i in range(rule.arity)]
        t = rule.jvp(tuple(dirs), ans, *point)
        worst = max(worst, rel(t, sum(r * dirs[i] for r, i in zip(ref, diff, strict=True))))
        assert worst <= rtol, f"{rule.name} at {point}: derivative rules off by {worst:.2e} (partials {ref})"
    worst = max(worst, _check_broadcasting(rule, rng))
    assert worst <= rtol, f"{rule.name}: broadcast derivative rules off by {worst:.2e}"
    return worst


def _check_broadcasting(rule: Rule, rng) -> float:
    """Arrays: (3,1) with (1,4) for binary rows; VJPs summed back to each shape, JVPs per direction."""
    shapes = [(3, 1), (1, 4)][: rule.arity] if rule.arity == 2 else [(3, 4)]
    args = [sample_domain(d, rng, s) for d, s in zip(rule.domains(), shapes, strict=True)]
    ans = rule.numpy(*args)
    bargs = np.broadcast_arrays(*args)
    worst = 0.0
    # elementwise partials from the scalar rules (checked above) on the broadcast grid
    partials = {}
    for i in differentiable(rule):
        ts = tuple(np.ones((1,) + a.shape) if j == i else None for j, a in enumerate(bargs))
        partials[i] = np.asarray(rule.jvp(ts, ans, *bargs))[0]
    g = rng.normal(size=ans.shape)
    for i, a in enumerate(args):
        if i not in partials:
            continue
        c = np.asarray(rule.vjp[i](g, ans, *args))
        assert c.shape == a.shape, f"{rule.name}: vjp[{i}] has shape {c.shape}, argument {a.shape}"
        expected = np.sum(g * partials[i], axis=tuple(k for k, n in enumerate(a.shape) if n == 1),
                          keepdims=True)
        worst = max(worst, rel(c, expected))
        ts = tuple(rng.normal(size=(2,) + b.shape) if j == i else None for j, b in enumerate(args))
        t = np.asarray(rule.jvp(ts, ans, *args))
        assert t.shape == (2,) + ans.shape, f"{rule.name}: jvp shape {t.shape}"
        worst = max(worst, rel(t, ts[i] * partials[i]))
    return worst


def _mp_array(x):
    return np.vectorize(lambda v: mpmath.mpf(float(v)), otypes=[object])(np.asarray(x, dtype=float))


def mp_jacobian(mp_fn, args, kw, diff) -> list[np.ndarray]:
    """d out / d args[i] for i in diff, by central differences at 50 digits: arrays out.shape + arg.shape."""
    jac = []
    with mpmath.workdps(50):
        h = mpmath.mpf("1e-20")
        mp_args = [_mp_array(a) if i in diff else a for i, a in enumerate(args)]
        for i in diff:
            base = mp_args[i]
            cols = []
            for j in range(base.size):
                plus, minus = base.copy(), base.copy()
                plus.flat[j] += h
                minus.flat[j] -= h
                fp, fm = (np.asarray(mp_fn(*[p if k == i else a for k, a in enumerate(mp_args)], **kw),
                                     dtype=object) for p in (plus, minus))
                cols.append(np.vectorize(lambda p, m: float((p - m) / (2 * h)), otypes=[float])(fp, fm))
            out_shape = cols[0].shape
            jac.append(np.stack(cols, axis=-1).reshape(out_shape + np.shape(base)))
    return jac


def check_array_rule(rule: Rule, mp_fn, args, kw, diff, rng, rtol: float = 1e-13) -> float:
    """Check an array row's jvp/vjp against the mpmath Jacobian (see module docstring)."""
    args = [np.asarray(a, dtype=float) if i in diff else a for i, a in enumerate(args)]
    ans = rule.numpy(*args, **kw)
    ref_value = np.asarray(mp_fn(*[_mp_array(a) if i in diff else a for i, a in enumerate(args)], **kw),
                           dtype=object)
    worst = rel(ans, np.vectorize(float, otypes=[float])(ref_value))
    jac = mp_jacobian(mp_fn, args, kw, diff)
    out_nd = np.ndim(ans)
    for J, i in zip(jac, diff, strict=True):
        a = args[i]
        v = rng.normal(size=(2,) + a.shape)
        ts = tuple(v if j == i else None for j in range(len(args)))
        t = np.asarray(rule.jvp(ts, ans, *args, **kw))
        assert t.shape == (2,) + np.shape(ans), f"{rule.name}: jvp shape {t.shape} for output {np.shape(ans)}"
        expected = np.stack([np.tensordot(J, vk, axes=a.ndim) for vk in v])
        worst = max(worst, rel(t, expected))
        w = rng.normal(size=np.shape(ans))
        c = np.asarray(rule.vjp[i](w, ans, *args, **kw))
        assert c.shape == a.shape, f"{rule.name}: vjp[{i}] shape {c.shape}, argument {a.shape}"
        worst = max(worst, rel(c, np.tensordot(w, J, axes=out_nd)))
    assert worst <= rtol, f"{rule.name}{kw}: derivative rules off by {worst:.2e}"
    return worst


# ------------------------------------------------------------------ engine test functions
# Functions of one 1-D vector over difflab.numpy (what the engines differentiate), with a point each.
# symbolic_derivatives() traces them into SymPy through the same namespace and differentiates there.

def _seed(v):
    x, y = v[0], v[1]
    return x ** 4 + 0.8 * y ** 4 + 4 * x ** 2 + 2 * y ** 2 - x * y - 0.2 * x ** 2 * y


def _exp_sin(v):
    import difflab.numpy as dnp

    return dnp.exp(v[0]) * dnp.sin(v[1])


def _rosenbrock(v):
    import difflab.numpy as dnp

    return dnp.sum(100.0 * (v[1:] - v[:-1] ** 2) ** 2 + (1.0 - v[:-1]) ** 2)


def _mixed(v):
    import difflab.numpy as dnp

    x, y, z = v
    return (dnp.sigmoid(x * y) + dnp.softplus(x - z) + dnp.log_sigmoid(z) + dnp.tanh(x) * dnp.atan(y)
            + dnp.sqrt(z) + dnp.log1p(z) + dnp.expm1(x / 3) + dnp.cosh(y) / dnp.sinh(z + 2)
            + dnp.tan(x / 2) + dnp.abs(x - y) + dnp.maximum(x, z) + dnp.minimum(y, z) ** 2 + dnp.log(z)
            + dnp.cos(x * z) + 2.0 ** x + 1.0 / (y - 3) - z ** y)


_A = np.array([[0.3, -1.2, 0.5, 0.9], [1.1, 0.4, -0.7, 0.2], [-0.6, 0.8, 1.3, -0.4]])
_W = np.array([0.5, -1.0, 2.0, 0.25])


def _vector_ops(v):
    import difflab.numpy as dnp

    u = _A @ v
    return (dnp.logsumexp(u) + dnp.sum(dnp.softmax(v) * _W) + dnp.mean(dnp.log_softmax(u))
            + dnp.dot(v, v) / 7 + dnp.sum(dnp.where(dnp.greater(v, 0.0), v ** 3, -0.5 * v))
            + v[1:3] @ v[2:] * v[0]
            + dnp.sum(dnp.reshape(v, (2, 2)).T[0] * _W[:2]) + dnp.sum(dnp.stack([v[0] * v[1], v[3]]) ** 2))


ENGINE_CASES = {
    "seed": (_seed, [4.0, 4.0]),
    "exp_sin": (_exp_sin, [1.0, 2.0]),
    "rosenbrock": (_rosenbrock, [-1.2, 1.0, 0.8, 1.7, -0.3]),
    "mixed": (_mixed, [0.7, -1.3, 1.9]),
    "vector_ops": (_vector_ops, [0.4, -1.1, 0.9, 1.6]),
}


def symbolic_derivatives(fn, x, order: int = 2):
    """Value, gradient and Hessian of ``fn`` traced into SymPy, evaluated at 30 digits at float point x."""
    syms = sympy.symbols(f"x0:{len(x)}", real=True)
    expr = fn(np.array(syms, dtype=object))
    subs = {s: sympy.Float(float(p), 40) for s, p in zip(syms, x, strict=True)}

    def ev(e):
        return float(sympy.N(e.subs(subs), 30))
    grad = [sympy.diff(expr, s) for s in syms]
    hess = [[sympy.diff(g, s) for s in syms] for g in grad] if order > 1 else None
    return ev(expr), np.array([ev(g) for g in grad]), (np.array([[ev(h) for h in row] for row in hess])
                                                        if hess else None)


def entrywise_rel(a, b) -> float:
    """Worst per-entry relative error |a-b|/max(|a|,|b|), both zero counting as exact."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    den = np.maximum(np.abs(a), np.abs(b))
    err = np.where(den > 0, np.abs(a - b) / np.where(den > 0, den, 1.0), 0.0)
    return float(np.max(err, initial=0.0))
