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

import sympy

from difflab.expr.compile import Compiled, program_to_numpy


def _expression_args(node: sympy.Basic) -> bool:
    return all(isinstance(a, sympy.Expr) for a in node.args)


def value_and_gradient_program(expr: sympy.Expr, symbols: Sequence[sympy.Symbol]) -> Compiled:
    """Compiled ``(*x) -> [f, df/dx_1, ..., df/dx_n]`` by reverse accumulation over ``expr``'s DAG."""
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

    taken = {s.name for s in expr.free_symbols}
    names = (name for k in itertools.count() for name in (f"t{k}",) if name not in taken)
    adjoint_names = (name for k in itertools.count() for name in (f"a{k}",) if name not in taken)
    program: list[tuple[sympy.Symbol, sympy.Expr]] = []
    ref: dict[sympy.Basic, sympy.Expr] = {}

    def of(a: sympy.Basic) -> sympy.Basic:
        return ref.get(a, a)

    for node in order:  # forward pass: a temporary per shared node, the rest inlined
        if _expression_args(node):
            args = [of(a) for a in node.args]
            changed = any(x is not a for x, a in zip(args, node.args, strict=True))
            built = node.func(*args) if changed else node
        else:
            built = node
        if parents[node] > 1 or node is expr:
            temp = sympy.Symbol(next(names), real=True)
            program.append((temp, built))
            ref[node] = temp
        else:
            ref[node] = built

    adjoints: dict[sympy.Basic, list[sympy.Expr]] = {expr: [sympy.S.One]}
    for node in reversed(order):  # backward pass: parents before children
        contributions = adjoints.pop(node, None)
        if not contributions:
            continue
        total = sympy.Add(*contributions)
        if not (total.is_Atom):
            temp = sympy.Symbol(next(adjoint_names), real=True)
            program.append((temp, total))
            total = temp
        for child, local in _local_partials(node, of, variables):
            adjoints.setdefault(child, []).append(total * local)
    outputs = [ref.get(expr, expr)] + [sympy.Add(*adjoints.get(s, [])) for s in symbols]
    return program_to_numpy(program, outputs, symbols)


def _local_partials(node: sympy.Basic, of, variables: set) -> list[tuple[sympy.Basic, sympy.Expr]]:
    """(argument, d node / d argument) for each argument that depends on a variable."""
    if not _expression_args(node):  # e.g. Piecewise: straight to the variables it contains
        whole = node.func(*node.args)
        return [(s, sympy.diff(whole, s)) for s in sorted(node.free_symbols & variables, key=str)]
    args = node.args
    live = [a for a in dict.fromkeys(args) if a.free_symbols & variables]
    if isinstance(node, sympy.Add):
        return [(a, sympy.S.One) for a in live]
    refs = [of(a) for a in args]
    if isinstance(node, sympy.Mul):
        out = []
        for a in live:
            i = args.index(a)
            out.append((a, sympy.Mul(*refs[:i], *refs[i + 1:])))
        return out
    if isinstance(node, sympy.Pow) and node.exp.is_number:
        base, exp = refs
        return [(args[0], exp * sympy.Pow(base, exp - 1))]
    if isinstance(node, sympy.Function) and type(node)._eval_derivative is sympy.Function._eval_derivative \
            and len(live) == len(args):  # fdiff(i) is d node / d arg_i; every argument is distinct and live
        built = node.func(*refs)
        return [(a, built.fdiff(i + 1)) for i, a in enumerate(args)]
    out = []
    for a in live:
        d = sympy.Dummy("d", real=True)
        local = node.func(*[d if x == a else r for x, r in zip(args, refs, strict=True)]).diff(d)
        out.append((a, local.xreplace({d: of(a)})))
    return out
