"""Stability rewrites: the textbook formulas that overflow or cancel, recognised and replaced.

Two layers, because they serve different purposes:

``rewrite(expr)`` (exact identities, applied *before* differentiating) turns the compositions machine
learning code writes by hand into the rule table's fused SymPy classes, whose derivatives stay
bounded::

    log(1 + exp(u))                  -> softplus(u)         (logaddexp(0, u) in NumPy)
    1/(1 + exp(-u)), e^u/(1 + e^u)   -> sigmoid(u)
    1 - sigmoid(u)                   -> sigmoid(-u)
    log(sigmoid(u))                  -> log_sigmoid(u)      (so -log(sigmoid(z)) = softplus(-z))
    log(exp(a) + exp(b))             -> a + softplus(b - a)

Why before differentiating: the derivative of ``log(1 + exp(x))`` written out is
``exp(x)/(1 + exp(x))``, which is inf/inf = nan at x = 1000 no matter how the value is computed; the
derivative of ``softplus`` is ``sigmoid``, which is 1 there. So ``softplus(1000) = 1000`` with
derivative 1, and the log-loss ``-log(1 - sigmoid(z))`` at z = 800 is 800 with derivative 1 (peers return
inf or nan).

``numeric_form(expr)`` (applied only when compiling to NumPy or difflab.numpy, never to what is
differentiated or shown) replaces ``log(1 + u)`` by ``log1p(u)`` and ``exp(u) - 1`` by ``expm1(u)``: same
function, no cancellation for small ``u``. These are private SymPy heads that only the compiler knows.
"""

from __future__ import annotations

from functools import lru_cache

import sympy

from difflab.primitives.sympy_twins import log_sigmoid, sigmoid, softplus


class dl_log1p(sympy.Function):  # noqa: N801 -- lambdify prints the class name; the compiler maps it
    """``log(1 + x)`` evaluated as ``numpy.log1p`` (compile-time only)."""

    nargs = 1

    def _eval_evalf(self, prec):  # a constant dl_log1p(2) must still evaluate (to_ops folds constants)
        if not self.args[0].is_number:
            return None
        return sympy.log(1 + self.args[0]).evalf(sympy.core.evalf.prec_to_dps(prec))


class dl_expm1(sympy.Function):  # noqa: N801
    """``exp(x) - 1`` evaluated as ``numpy.expm1`` (compile-time only)."""

    nargs = 1

    def _eval_evalf(self, prec):
        if not self.args[0].is_number:
            return None
        return (sympy.exp(self.args[0]) - 1).evalf(sympy.core.evalf.prec_to_dps(prec))


NUMERIC_HEADS = {"dl_log1p": "log1p", "dl_expm1": "expm1"}


def _exp_arg(e: sympy.Basic) -> sympy.Expr | None:
    return e.args[0] if isinstance(e, sympy.exp) else None


def _one_plus_exp(u: sympy.Basic) -> sympy.Expr | None:
    """``v`` when ``u`` is ``1 + exp(v)``, else None."""
    if isinstance(u, sympy.Add) and len(u.args) == 2 and sympy.S.One in u.args:
        other = u.args[0] if u.args[1] == 1 else u.args[1]
        return _exp_arg(other)
    return None


def _rule(e: sympy.Expr) -> sympy.Expr:
    """One rewrite at the root of ``e`` (its arguments are already rewritten)."""
    if isinstance(e, sympy.log):
        u = e.args[0]
        if isinstance(u, sigmoid):
            return log_sigmoid(u.args[0])
        v = _one_plus_exp(u)
        if v is not None:
            return softplus(v)
        if isinstance(u, sympy.Add) and len(u.args) == 2 and all(isinstance(a, sympy.exp) for a in u.args):
            a, b = (t.args[0] for t in u.args)
            return a + softplus(b - a)
        return e
    if isinstance(e, sympy.Pow) and e.exp == -1:
        v = _one_plus_exp(e.base)
        if v is not None:
            return sigmoid(-v)
        return e
    if isinstance(e, sympy.Mul):
        # e^v / (1 + e^v): its 1/(1 + e^v) is already sigmoid(-v), so e^v * sigmoid(-v) -> sigmoid(v)
        for factor in e.args:
            if isinstance(factor, sigmoid) and sympy.exp(-factor.args[0]) in e.args:
                v = -factor.args[0]
                rest = [a for a in e.args if a is not factor and a != sympy.exp(v)]
                return sympy.Mul(*rest) * sigmoid(v)
        return e
    if isinstance(e, sympy.Add) and sympy.S.One in e.args:
        # 1 - sigmoid(v) -> sigmoid(-v): no cancellation when sigmoid(v) is close to 1
        for term in e.args:
            if (isinstance(term, sympy.Mul) and len(term.args) == 2 and term.args[0] == -1
                    and isinstance(term.args[1], sigmoid)):
                rest = [a for a in e.args if a is not term and a != 1]
                return sympy.Add(*rest) + sigmoid(-term.args[1].args[0])
        return e
    return e


def _bottom_up(e: sympy.Basic, rule, skip_constants: bool = False) -> sympy.Basic:
    """Apply ``rule`` from the leaves up. ``skip_constants``: leave constant subtrees (log(1 + softplus(2)))
    as they are -- they are folded to one double anyway, and must keep SymPy's own evalf."""
    if not e.args or isinstance(e, sympy.Number) or (skip_constants and not e.free_symbols):
        return e
    args = tuple(_bottom_up(a, rule, skip_constants) for a in e.args)
    if args != e.args:
        e = e.func(*args)
    return rule(e) if isinstance(e, sympy.Expr) else e


@lru_cache(maxsize=512)
def rewrite(expr: sympy.Expr) -> sympy.Expr:
    """``expr`` with the unstable compositions above replaced by fused functions (an exact identity)."""
    if not expr.has(sympy.exp, sympy.log, sigmoid):
        return expr
    out = expr
    for _ in range(3):  # a rewrite can expose another (1/(1+e^-z) -> sigmoid, then log(sigmoid))
        new = _bottom_up(out, _rule)
        if new == out:
            break
        out = new
    return out


def _numeric_rule(e: sympy.Expr) -> sympy.Expr:
    if isinstance(e, sympy.log):
        u = e.args[0]
        if isinstance(u, sympy.Add) and sympy.S.One in u.args:
            return dl_log1p(u - 1)
        return e
    if isinstance(e, sympy.Add) and sympy.S.NegativeOne in e.args:
        exps = [a for a in e.args if isinstance(a, sympy.exp)]
        if len(exps) == 1:
            rest = [a for a in e.args if a is not exps[0] and a != -1]
            return sympy.Add(*rest) + dl_expm1(exps[0].args[0])
    return e


def numeric_form(expr: sympy.Expr) -> sympy.Expr:
    """``log(1 + u) -> log1p(u)``, ``exp(u) - 1 -> expm1(u)``: for compiling only (same function)."""
    if not expr.has(sympy.log, sympy.exp):
        return expr
    return _bottom_up(expr, _numeric_rule, skip_constants=True)
