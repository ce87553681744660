"""Reverse mode compiled: an expression's value and gradient as ONE straight-line program, built once.

Why: the reverse engine traces a program per call -- one tape node per scalar operation, about 28
microseconds each in Python, so the gradient of the extended Rosenbrock function at n = 100 (about a
thousand operations) took over 1000 times ``rosen_der``. An expression Function's program never changes,
so its reverse sweep can be written out once: a forward pass (one temporary per shared node of the
expression DAG, unshared nodes inlined into their parent) and a backward pass in reverse order, where
each node's adjoint is the sum of its parents' adjoints times the local partial derivative of the parent
with respect to it (the primitive's SymPy twin differentiated with respect to that argument only).
Compiled like every other expression (``compile.program_to_numpy``), it runs as plain float arithmetic.

This is reverse accumulation, not symbolic differentiation of the whole: each local partial involves one
node and its arguments, the work is linear in the size of the DAG, and the adjoints of shared nodes are
computed once. Python callables (no expression) and Hessians keep the tape engine.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import sympy

from difflab.expr.compile import Compiled, program_to_numpy


def _expression_args(node: sympy.Basic) -> bool:
    return all(isinstance(a, sympy.Expr) for a in node.args)


@dataclass(frozen=True)
class Sweep:
    """A reverse sweep written out: (temporary, expression) steps, the outputs ``[f, df/dx_1, ...]``, and
    which steps are a function's local partial (``{partial: (head, argument)}``, for ``expr.rounding``)."""

    program: list[tuple[sympy.Symbol, sympy.Expr]]
    outputs: list[sympy.Expr]
    partials: dict[sympy.Basic, tuple[sympy.Basic, int]] = field(default_factory=dict)


def value_and_gradient_program(expr: sympy.Expr, symbols: Sequence[sympy.Symbol]) -> Compiled:
    """Compiled ``(*x) -> [f, df/dx_1, ..., df/dx_n]`` by reverse accumulation over ``expr``'s DAG."""
    sweep = reverse_sweep(expr, symbols)
    return program_to_numpy(sweep.program, sweep.outputs, symbols)


def reverse_sweep(expr: sympy.Expr, symbols: Sequence[sympy.Symbol], every_node: bool = False) -> Sweep:
    """The sweep of ``value_and_gradient_program``; ``every_node``: as the tape runs it -- a temporary per
    node, per local partial and per chain-rule term, so SymPy's arithmetic on whole expressions (which
    collects ``u**2/25 + u**2`` and cancels equal terms of opposite sign) changes nothing. That is the
    computation whose rounding ``expr.rounding`` bounds for the AD engines: the sums they really form,
    not the derivative SymPy simplified (d/du atan2(u, u/5) is 0 there, -1.1e-16 on the tape)."""
    variables = set(symbols)
    parents: dict[sympy.Basic, int] = {}
    order: list[sympy.Basic] = []
    stack: list[tuple[sympy.Basic, bool]] = [(expr, False)]
    while stack:  # post-order over the unique nodes, counting each node's parents
        node, done = stack.pop()
        if done:
            order.append(node)
            continue
        if node.is_Atom or not node.args or not isinstance(node, sympy.Expr):
            continue
        seen = parents.get(node, 0)
        parents[node] = seen + 1
        if not seen:
            stack.append((node, True))
            if _expression_args(node):
                stack.extend((a, False) for a in reversed(node.args))

    taken = {s.name for s in expr.free_symbols} | {s.name for s in symbols}
    names = (name for k in itertools.count() for name in (f"t{k}",) if name not in taken)
    adjoint_names = (name for k in itertools.count() for name in (f"a{k}",) if name not in taken)
    program: list[tuple[sympy.Symbol, sympy.Expr]] = []
    ref: dict[sympy.Basic, sympy.Expr] = {}
    partials: dict[sympy.Basic, tuple[sympy.Basic, int]] = {}

    def of(a: sympy.Basic) -> sympy.Basic:
        return ref.get(a, a)

    def temp(value: sympy.Expr, pool=adjoint_names) -> sympy.Expr:
        if value.is_Atom:
            return value
        t = sympy.Symbol(next(pool), real=True)
        program.append((t, value))
        return t

    for node in order:  # forward pass: a temporary per shared node, the rest inlined
        if _expression_args(node):
            args = [of(a) for a in node.args]
            changed = any(x is not a for x, a in zip(args, node.args, strict=True))
            built = node.func(*args) if changed else node
        else:
            built = node
        ref[node] = temp(built, names) if every_node or parents[node] > 1 or node is expr else built

    adjoints: dict[sympy.Basic, list[sympy.Expr]] = {expr: [sympy.S.One]}
    for node in reversed(order):  # backward pass: parents before children
        contributions = adjoints.pop(node, None)
        if not contributions:
            continue
        total = temp(sympy.Add(*contributions))
        for child, local, head in _local_partials(node, of, variables):
            if every_node:
                if head is not None and not local.is_Atom:
                    partials.setdefault(local, head)
                local = temp(local)
            term = total * local
            adjoints.setdefault(child, []).append(temp(term) if every_node else term)
    outputs = [of(expr)] + [sympy.Add(*adjoints.get(s, [])) for s in symbols]
    return Sweep(program, outputs, partials)


def _local_partials(node: sympy.Basic, of, variables: set) -> list[tuple[sympy.Basic, sympy.Expr, Any]]:
    """(argument, d node / d argument, (head, argument index) when that is a function's ``fdiff``) for
    each argument that depends on a variable."""
    if not _expression_args(node):  # e.g. Piecewise: straight to the variables it contains
        whole = node.func(*node.args)
        return [(s, sympy.diff(whole, s), None) for s in sorted(node.free_symbols & variables, key=str)]
    args = node.args
    live = [a for a in dict.fromkeys(args) if a.free_symbols & variables]
    if isinstance(node, sympy.Add):
        return [(a, sympy.S.One, None) for a in live]
    refs = [of(a) for a in args]
    if isinstance(node, sympy.Mul):
        out = []
        for a in live:
            i = args.index(a)
            out.append((a, sympy.Mul(*refs[:i], *refs[i + 1:]), None))
        return out
    if isinstance(node, sympy.Pow) and node.exp.is_number:
        base, exp = refs
        return [(args[0], exp * sympy.Pow(base, exp - 1), None)]
    if isinstance(node, sympy.Function) and type(node)._eval_derivative is sympy.Function._eval_derivative \
            and len(live) == len(args):  # fdiff(i) is d node / d arg_i; every argument is distinct and live
        built = node.func(*refs)
        return [(a, built.fdiff(i + 1), (built, i)) for i, a in enumerate(args)]
    out = []
    for a in live:
        d = sympy.Dummy("d", real=True)
        local = node.func(*[d if x == a else r for x, r in zip(args, refs, strict=True)]).diff(d)
        out.append((a, local.xreplace({d: of(a)}), None))
    return out


def hessian_sweep(sweep: Sweep, symbols: Sequence[sympy.Symbol]) -> Sweep:
    """The Hessian as the AD engines form it, written out: forward mode over the tape's reverse sweep
    (``sweep``, from ``reverse_sweep(every_node=True)``), one tangent per variable, the tangent of every
    step a temporary -- so, as for the gradient, nothing SymPy would collect or cancel is lost (forward
    over forward adds the same terms in another order). Outputs: f, then the Hessian row by row. For
    ``expr.rounding``; its cost is n times the sweep's, so the caller sizes it first."""
    program = list(sweep.program)
    free = set().union(*(e.free_symbols for e in sweep.outputs), *(e.free_symbols for _, e in program))
    taken = {t.name for t, _ in program} | {s.name for s in symbols} | {s.name for s in free}
    names = (name for k in itertools.count() for name in (f"d{k}",) if name not in taken)
    rows: list[sympy.Expr] = []
    for x in symbols:
        tangent: dict[sympy.Basic, sympy.Expr] = {x: sympy.S.One}

        def along(e: sympy.Expr, tangent=tangent) -> sympy.Expr:
            live = sorted((s for s in e.free_symbols if s in tangent), key=lambda s: s.name)
            d = sympy.Add(*[e.diff(s) * tangent[s] for s in live])
            return d.replace(sympy.DiracDelta, lambda *a: sympy.S.Zero)  # a kink's: 0 off it, as the rules
        for t, e in sweep.program:
            d = along(e)
            if d == 0:
                continue
            if not d.is_Atom:
                temp = sympy.Symbol(next(names), real=True)
                program.append((temp, d))
                d = temp
            tangent[t] = d
        rows.extend(along(g) for g in sweep.outputs[1:])
    return Sweep(program, [sweep.outputs[0], *rows], sweep.partials)
