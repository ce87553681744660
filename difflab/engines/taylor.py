"""Taylor mode: univariate Taylor polynomials of any degree pushed through the primitive table in one pass.

A ``Taylor`` value is a lazily extended power series ``c_0 + c_1 t + ...`` of an intermediate ``f(u(t))``.
The engine knows two facts, both generic over the rows of the table (their ``jvp`` column):

* ``c_0 = f(u_0)``, the row's NumPy kernel on the constant terms;
* ``d/dt f(u(t)) = jvp(u', f, u)``, so ``k c_k = [jvp]_{k-1}``.  An elementwise row (its jvp is
  diagonal) has partials ``f'_i = jvp(1_i)``, evaluated on the series through ``difflab.numpy``, and
  ``k c_k = sum_i sum_j j (u_i)_j (f'_i)_{k-j}``: coefficient k-1 of ``f'`` needs only coefficients
  below k of f itself (exp' is exp), so the recursion is well founded.  Other rows (sum, matmul,
  reshape, ...) take the jvp's own series.

One pass of the user's function builds the series; a derivative's series is built the first time it is
needed, and every coefficient is computed once.  Series are shared by key (row, operands, parameters)
within a pass, which keeps the derivative graphs finite (``sin' = cos``, ``cos' = -sin``: the same series
again).  No SymPy, no per-operation code: ``Taylor.lift`` and ``Taylor.coef`` are the whole engine.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from difflab.engines.forward import new_level
from difflab.errors import InputError
from difflab.numpy import Box

MAX_ORDER = 40  # the series recursion is k levels deep per coefficient; Python's stack bounds it
_PROBE = np.random.default_rng(20261205)  # tangents for the elementwise test (any nonzero values do)


class _Pass:
    """Shared state of one Taylor pass: its level, the series by key, constants kept alive for ids."""
    __slots__ = ("level", "memo", "keep")

    def __init__(self):
        self.level, self.memo, self.keep = new_level(), {}, []

    def key(self, a) -> tuple:
        if type(a) is Taylor and a.ctx is self:
            return ("t", id(a))
        if isinstance(a, (int, float, np.generic)) or (type(a) is np.ndarray and a.ndim == 0):
            return ("c", type(a).__name__, float(a))
        self.keep.append(a)
        return ("o", id(a))


class Taylor(Box):
    """A power series in t: ``value`` is its constant term, ``coef(k)`` its k-th coefficient."""

    __slots__ = ("ctx", "rule", "args", "kw", "coeffs", "poly", "view", "_deriv", "_batched", "_unbatched",
                 "_partials")

    def __init__(self, ctx: _Pass, value, rule=None, args=(), kw=None, poly=None, view=None):
        self.ctx, self.level, self.value = ctx, ctx.level, value
        self.rule, self.args, self.kw = rule, args, kw or {}
        self.coeffs = [value]
        self.poly, self.view = poly, view  # view: (base, +1 | -1), a leading unit axis added / removed
        self._deriv = self._batched = self._unbatched = self._partials = None

    @classmethod
    def leaf(cls, ctx: _Pass, coefficients) -> Taylor:  # a polynomial, every coefficient given
        c = [np.asarray(v, dtype=float) for v in coefficients]
        return cls(ctx, c[0], poly=c)

    def lift(self, rule, args, kw):  # one row applied: the series is found or made (shared by key)
        ctx = self.ctx
        primals = [a.value if type(a) is Taylor and a.ctx is ctx else a for a in args]
        if rule.jvp is None:
            return rule.numpy(*primals, **kw)  # piecewise constant: its series is its value
        key = (rule.name, tuple(ctx.key(a) for a in args), repr(sorted(kw.items())))
        found = ctx.memo.get(key)
        if found is None:
            found = ctx.memo[key] = Taylor(ctx, rule.numpy(*primals, **kw), rule, tuple(args), kw)
        return found

    def batched(self) -> Taylor:
        """This series with a leading unit axis (one tangent direction of a ``jvp`` rule): a view sharing
        the coefficients; batching an unbatched view gives its base back (no pile of reshapes)."""
        if self.view is not None and self.view[1] < 0:
            return self.view[0]
        if self._batched is None:
            self._batched = Taylor(self.ctx, self.value[None], view=(self, +1))
        return self._batched

    def unbatched(self) -> Taylor:
        if self.view is not None and self.view[1] > 0:
            return self.view[0]
        if self._unbatched is None:
            self._unbatched = Taylor(self.ctx, self.value[0], view=(self, -1))
        return self._unbatched

    def derivative(self) -> Taylor:  # the series of d/dt of this one, built on first use
        if self._deriv is None:
            self._deriv = self._build_derivative(self.ctx)
        return self._deriv

    def _build_derivative(self, ctx: _Pass) -> Taylor:
        if self.poly is not None:
            return Taylor.leaf(ctx, [(j + 1) * c for j, c in enumerate(self.poly[1:])] or [0 * self.value])
        if self.view is not None:
            base = self.view[0].derivative()
            return base.batched() if self.view[1] > 0 else base.unbatched()
        tangents = tuple(a.derivative().batched() if type(a) is Taylor and a.ctx is ctx else None
                         for a in self.args)
        d = self.rule.jvp(tangents, self, *self.args, **self.kw)
        if type(d) is Taylor and d.ctx is ctx:
            return d.unbatched()
        d = np.zeros(np.shape(self.value)) if d is None else np.asarray(d, dtype=float)[0]
        return Taylor.leaf(ctx, [np.broadcast_to(d, np.shape(self.value))])

    def partials(self) -> list:
        """``[(argument, series of its partial)]`` when the row acts elementwise, else ``[]``. Elementwise:
        the jvp is diagonal, ``jvp(r) == r * jvp(1)`` for a random tangent r (checked once on plain numbers:
        a property of the row, not of its name). The Cauchy recurrence then expands no product rule: the
        cost stays O(k**2) per series (the jvp's own series would grow like 2**k)."""
        if self._partials is None:
            self._partials = self._find_partials()
        return self._partials

    def _find_partials(self) -> list:
        ctx, rule, kw = self.ctx, self.rule, self.kw
        traced = [i for i, a in enumerate(self.args) if type(a) is Taylor and a.ctx is ctx]
        primals = [a.value if i in traced else a for i, a in enumerate(self.args)]
        units = []
        for i in traced:
            shape = (1,) + np.shape(primals[i])
            r = _PROBE.uniform(0.5, 1.5, shape)
            one = tuple(np.ones(shape) if j == i else None for j in range(len(primals)))
            rand = tuple(r if j == i else None for j in range(len(primals)))
            d1, d2 = rule.jvp(one, self.value, *primals, **kw), rule.jvp(rand, self.value, *primals, **kw)
            if d1 is None or d2 is None:
                return []
            d1, d2 = np.asarray(d1, dtype=float), np.asarray(d2, dtype=float)
            out = (1,) + np.shape(self.value)
            if (d2.shape != out or np.broadcast_shapes(shape, out) != out or not np.all(np.isfinite(d2))
                    or not np.allclose(d2, r * d1, rtol=1e-13, atol=0.0)):
                return []
            units.append(one)
        parts = []
        for i, one in zip(traced, units, strict=True):
            p = rule.jvp(one, self, *self.args, **kw)
            if type(p) is Taylor and p.ctx is ctx:
                parts.append((self.args[i], p.unbatched()))
            elif np.any(np.asarray(p)):  # a zero partial (where's branch not taken) is never expanded
                parts.append((self.args[i], Taylor.leaf(ctx, [np.asarray(p, dtype=float)[0]])))
        return parts or [(self.args[traced[0]], Taylor.leaf(ctx, [np.zeros(np.shape(self.value))]))]

    def coef(self, k: int) -> np.ndarray:  # coefficient of t**k, each computed once
        if self.poly is not None:
            return self.poly[k] if k < len(self.poly) else np.zeros_like(self.poly[0])
        while len(self.coeffs) <= k:
            j = len(self.coeffs)
            if self.view is not None:
                base = self.view[0].coef(j)
                self.coeffs.append(base[None] if self.view[1] > 0 else base[0])
            elif self.partials():
                c = sum(m * a.coef(m) * p.coef(j - m) for a, p in self._partials for m in range(1, j + 1))
                self.coeffs.append(np.broadcast_to(c / j, np.shape(self.value)))
            else:
                self.coeffs.append(np.asarray(self.derivative().coef(j - 1)) / j)
        return self.coeffs[k]


def taylor_coefficients(fn: Callable, coefficients, order: int) -> list[np.ndarray]:
    """Coefficients 0..order of ``fn(u(t))`` for the polynomial ``u(t) = sum_j coefficients[j] t**j``: one
    pass of ``fn`` builds the series, then degree by degree (every intermediate's lower coefficients
    first, which keeps the recursion shallow)."""
    if isinstance(order, bool) or not isinstance(order, int) or order < 0:
        raise InputError(f"the order must be a non-negative integer; got {order!r}")
    if order > MAX_ORDER:
        raise InputError(f"Taylor mode goes up to order {MAX_ORDER}; got {order}")
    ctx = _Pass()
    with np.errstate(all="ignore"):
        out = fn(Taylor.leaf(ctx, coefficients))
        if not (type(out) is Taylor and out.ctx is ctx):  # fn does not depend on its input
            return [np.asarray(out, dtype=float)] + [np.zeros(np.shape(out))] * order
        series = list(ctx.memo.values())
        for k in range(order + 1):
            for s in series:  # creation order is a topological order of the user's pass
                s.coef(k)
        return [np.asarray(out.coef(k), dtype=float) for k in range(order + 1)]


def directional(fn: Callable, x, v, order: int) -> np.ndarray:
    """``d^k/dt^k f(x + t v)`` at t = 0 for k = 0..order (scalar f): k! times the series coefficients."""
    coeffs = taylor_coefficients(fn, [np.asarray(x, dtype=float), np.asarray(v, dtype=float)], order)
    if np.size(coeffs[0]) != 1:
        raise InputError(f"derivatives need a scalar function; it returned shape {np.shape(coeffs[0])}")
    fact = np.cumprod([1.0] + list(range(1, order + 1)))
    return np.array([float(np.reshape(c, ())) * f for c, f in zip(coeffs, fact, strict=True)])


def derivatives(fn: Callable, x, order: int) -> np.ndarray:
    """``[f(x), f'(x), ..., f^(order)(x)]`` of a scalar function of one variable."""
    x = np.asarray(x, dtype=float)
    if x.size != 1:
        raise InputError(f"derivatives of order k need one variable; the point has shape {x.shape}")
    return directional(fn, x, np.ones_like(x), order)
