"""Every row of the primitive table reaches every consumer, with nothing but the row to go on.

Adding a primitive is adding a row (and its tests): this file proves that the row is then accepted by
the parser under each of its names, traces to its SymPy twin through ``difflab.numpy``, compiles to NumPy,
runs as a ``to_ops`` program (floats, duals, tape nodes), has forward and reverse derivatives equal to
``sympy.diff`` of its twin, an mpmath twin equal to its kernel, kinks the singularity analysis and the
domain walker find, and that test generators can draw it.  The oracles are SymPy (at 30 digits) and
mpmath, never the code under test.  Derivative *rules* of every row, arrays included, are checked by the
one generic checker (``rulecheck.py``, via test_rules.py); here the question is whether the consumers
see the row at all.
"""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
import sympy
from hypothesis import HealthCheck, find, settings
from rulecheck import entrywise_rel

import difflab.numpy as dnp
from difflab.engines import forward, reverse
from difflab.expr.compile import to_mpmath, to_numpy, to_ops
from difflab.expr.parse import parse_expr_safe
from difflab.primitives.dispatch import ops
from difflab.primitives.heads import head_rules, kink_arguments, rule_of
from difflab.primitives.table import RULES, expression_functions, sample_domain
from difflab.singular.local import kink_arguments as singular_kinks
from difflab.testing.domain import domain_problem
from difflab.testing.strategies import KINKED_FUNCTIONS, SMOOTH_FUNCTIONS, expressions

X, Y = sympy.symbols("x y", real=True)
EXPRESSION_ROWS = sorted({r.name for r in expression_functions().values()})


def _point(rule, seed: int = 0) -> list[float]:
    """A point inside the row's domain, away from its kinks (max/min: arguments apart)."""
    rng = np.random.default_rng(seed + sum(map(ord, rule.name)))
    while True:
        p = [float(sample_domain(d, rng)) for d in rule.domains()]
        if rule.kinks is None or min(abs(float(k)) for k in rule.kinks(*map(mpmath.mpf, p))) > 0.2:
            return p


def _on_kink(rule) -> list[float]:
    """A point where one of the row's kinks vanishes (found from the row's own ``kinks``)."""
    for p in ([0.0] * rule.arity, [0.5] * rule.arity, [0.0, -1.0][: rule.arity], [1.0] * rule.arity):
        if min(abs(k) for k in rule.kinks(*map(mpmath.mpf, p))) == 0:
            return p
    raise AssertionError(f"no test point on a kink of {rule.name}")


def _variables(rule) -> list:
    """The SymPy symbols of the row's differentiable arguments (an order parameter is not one)."""
    return [s for i, s in enumerate((X, Y)[: rule.arity]) if rule.vjp[i] is not None]


def _text_and_expr(rule, name: str):
    args = ("x", "y")[: rule.arity]
    return f"{name}({', '.join(args)})", rule.sympy(*(X, Y)[: rule.arity])


def _sympy_value(expr, point, digits: int = 30) -> float:
    subs = {s: sympy.Float(p, 40) for s, p in zip((X, Y), point, strict=False)}
    return float(sympy.N(expr.subs(subs), digits))


@pytest.mark.parametrize("name", EXPRESSION_ROWS)
def test_parser_accepts_every_name_and_alias(name):
    rule = RULES[name]
    for text_name in (rule.name, *rule.aliases):
        text, expected = _text_and_expr(rule, text_name)
        assert parse_expr_safe(text) == expected, text_name
    wrong = ", ".join(["x"] * (max(rule.text_arities or (rule.arity,)) + 1))
    with pytest.raises(Exception, match="takes .* argument"):  # noqa: PT011 -- ParseError's message is the point
        parse_expr_safe(f"{rule.name}({wrong})")


@pytest.mark.parametrize("name", EXPRESSION_ROWS)
def test_sympy_round_trip_through_difflab_numpy(name):
    """``dnp.<row>`` on SymPy symbols is the row's twin (tracing), and under every NumPy alias."""
    rule = RULES[name]
    args = (X, Y)[: rule.arity]
    for attr in (rule.name, *rule.numpy_aliases):
        assert getattr(dnp, attr)(*args) == rule.sympy(*args)
    built = rule.sympy(*args)
    if built.func in head_rules() and head_rules()[built.func].name == rule.name:
        assert rule_of(built) is rule
    else:  # a composition in SymPy (log(1 + x), sqrt = Pow): its parts are rows
        assert all(rule_of(node) is not None for node in sympy.preorder_traversal(built)
                   if not (node.is_Atom))


@pytest.mark.parametrize("name", EXPRESSION_ROWS)
def test_compiled_numpy_to_ops_and_mpmath_agree_with_the_kernel(name):
    rule = RULES[name]
    _, expr = _text_and_expr(rule, rule.name)
    syms = [X, Y][: rule.arity]
    for seed in range(3):
        p = _point(rule, seed)
        kernel = float(rule.numpy(*p))
        assert entrywise_rel(to_numpy(expr, syms)(*p), kernel) <= 2e-16, "compiled NumPy"
        assert entrywise_rel(to_ops(expr, syms)(*p), kernel) <= 2e-16, "to_ops program"
        with mpmath.workdps(40):
            ref = to_mpmath(expr, syms)(*[mpmath.mpf(v) for v in p])
            twin = rule.mpmath(*[mpmath.mpf(v) for v in p])
        assert entrywise_rel(float(ref), kernel) <= 4e-16, "mpmath reference vs kernel"
        assert entrywise_rel(float(twin), _sympy_value(expr, p)) <= 1e-15, "mpmath twin vs SymPy twin"


@pytest.mark.parametrize("name", [n for n in EXPRESSION_ROWS if RULES[n].jvp is not None])
def test_forward_and_reverse_derivatives_of_the_ops_program_match_sympy_diff(name):
    """(Piecewise-constant rows have no derivative rule; test_rules.py checks engines treat them as
    constants.)"""
    rule = RULES[name]
    _, expr = _text_and_expr(rule, rule.name)
    syms = [X, Y][: rule.arity]
    wrt = _variables(rule)
    program = to_ops(expr, syms)
    for seed in range(3):
        p = _point(rule, seed)

        def fn(v, p=p):  # the differentiable arguments from v, parameters held at p
            it = iter(range(len(wrt)))
            return program(*[v[next(it)] if s in wrt else p[k] for k, s in enumerate(syms)])
        x0 = np.array([p[k] for k, s in enumerate(syms) if s in wrt])
        expected = np.array([_sympy_value(sympy.diff(expr, s), p) for s in wrt])
        _, g_fwd = forward.gradient(fn, x0)
        g_rev = reverse.grad(fn)(x0)
        assert entrywise_rel(g_fwd, expected) <= 1e-14, ("forward", p, g_fwd, expected)
        assert entrywise_rel(g_rev, expected) <= 1e-14, ("reverse", p, g_rev, expected)
        if rule.smooth:  # second order: nested duals against SymPy's Hessian
            hess = np.array([[_sympy_value(sympy.diff(expr, a, b), p) for b in wrt] for a in wrt])
            assert entrywise_rel(forward.hessian(fn, x0)[2], hess) <= 1e-13, ("hessian", p)


@pytest.mark.parametrize("name", EXPRESSION_ROWS)
def test_kinks_and_domain_edges_are_found_from_the_row(name):
    """The singularity analysis lists the row's kinks; the domain walker refuses a point on one (or
    outside the domain) and accepts a point well inside."""
    rule = RULES[name]
    _, expr = _text_and_expr(rule, rule.name)
    syms = [X, Y][: rule.arity]
    assert domain_problem(expr, syms, _point(rule), margin=0.05) is None
    found = kink_arguments(expr)
    assert found == singular_kinks(expr)
    if rule.kinks is not None:
        on_kink = _on_kink(rule)
        subs = dict(zip(syms, on_kink, strict=True))
        if rule_of(expr) is rule:  # a composition (relu = Max(x, 0)) is seen through its parts
            assert any(k.subs(subs).is_zero for k in found), (found, on_kink)
        assert domain_problem(expr, syms, on_kink, margin=0.05) is not None
    elif rule_of(expr) is rule:
        assert found == []
    edge = {"positive": 0.01, "nonnegative": 0.01, "gt_minus_one": -0.99, "nonzero": 0.01,
            "cos_nonzero": float(np.pi / 2), "unit_open": 0.99}.get(rule.domains()[0])
    if edge is not None and rule.kinks is None and rule_of(expr) is rule:
        assert name in domain_problem(expr, syms, [edge] + [1.0] * (rule.arity - 1), margin=0.05)


@pytest.mark.parametrize("name", EXPRESSION_ROWS)
def test_strategies_can_draw_the_row(name):
    rule = RULES[name]
    head = rule.sympy(*(X, Y)[: rule.arity]).func
    pool = SMOOTH_FUNCTIONS + KINKED_FUNCTIONS
    if rule.jvp is not None and rule.drawn_by_default:  # differentiable rows are drawn by default
        assert name in pool
    drawn = find(expressions(variables=("x", "y"), max_depth=2, functions=(name, "add")),
                 lambda e: e.has(head),
                 settings=settings(max_examples=500, database=None,
                                   suppress_health_check=list(HealthCheck)))
    assert drawn.has(head)


def test_every_row_is_an_operation_of_difflab_numpy():
    """Array rows too: each row (and NumPy alias) is a difflab.numpy function that applies that row."""
    for rule in RULES.values():
        for attr in (rule.name, *rule.numpy_aliases):
            assert getattr(ops, attr).__name__ == rule.name
            assert callable(getattr(dnp, attr))  # the row itself, or a NumPy-signature wrapper of it


def test_every_row_with_a_sympy_head_reaches_compile_and_to_ops():
    from difflab.primitives.heads import mpmath_namespace, numpy_namespace, ops_table

    table = ops_table()
    for head, rule in head_rules().items():
        assert head in table
        if isinstance(head, sympy.FunctionClass):
            assert head.__name__ in numpy_namespace()
            assert (rule.mpmath is None) or head.__name__ in mpmath_namespace()
    named = {r.name for r in head_rules().values()}
    for name in set(EXPRESSION_ROWS) - named:  # compositions in SymPy: every head inside is a row
        rule = RULES[name]
        built = rule.sympy(*(X, Y)[: rule.arity])
        heads = {n.func for n in sympy.preorder_traversal(built) if not n.is_Atom}
        assert heads <= set(table), (name, heads - set(table))
