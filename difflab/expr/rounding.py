"""How far a formula evaluated in double precision can be from its exact value: a running error bound.

An exact method (the compiled symbolic derivative, forward or reverse AD) has no truncation error, but it
evaluates a formula in floating point, and the formula's conditioning can amplify one rounding into many
digits: ``sin(exp(sinh(x)))`` at x = 3 takes the sine of 2.2e4, whose last bit (u * 2.2e4 absolute) moves
the derivative in its eleventh digit. "A few ulps of the value" misses that by orders of magnitude.

The bound is Wilkinson's running error analysis (first order in u = 2^-53, as Iri's automatic rounding
error estimate): every node v of the formula's expression DAG gets a radius

    r(v) = sum_k |d v / d a_k| * r(a_k) + c_v * u * |v|,      r(variable) = 0,  r(constant) = its rounding

where ``a_k`` are v's arguments and ``c_v`` the roundings v itself makes -- 1 for a sum of two, a product or
a quotient, n - 1 products of n factors (a factor +-2^k is exact), 2 for a power (libm's pow is within one
ulp), 4 for any function of the table (libm and NumPy's kernels measure below 2u on the rows' domains;
4 leaves room for platforms with SIMD kernels and for the fused rows' few operations). A sum of n > 2
terms adds (n - 2) u sum |a_k| for its partial sums, whose order the printer chooses: so the cancellation
in ``exp(x) - 1 - x`` near 0 shows up (terms of size 1, result 5e-11).

The local partials ``d v / d a_k`` are SymPy's own ``fdiff`` of the node's head -- the same rule the
symbolic derivative used, no per-function branch; a head without one (the compile-time ``log1p`` and
``expm1`` forms) is differentiated through its row's SymPy twin (``primitives.heads``). A step's
derivative (a DiracDelta) is 0 off its jump and contributes nothing; a partial that can be infinite
(``1/a``, ``a**(1/2)``) is capped at 1e300 so an argument computed exactly (radius 0) does not turn the
bound into 0 * inf = nan.

The formula may also be a straight-line program (``sweep_radius_program``): the AD engines' sums as they
form them (``expr.adjoint.reverse_sweep``), each temporary's radius following from its expression's.
SymPy collects and cancels terms while it differentiates, so its formula can be shorter than what the
engines add up in doubles (d/du atan2(u, u/5) is 0 to SymPy), and its radius then too small.

Built once per formula as a straight-line program -- one temporary for the value and one for the radius
of every node, so shared subexpressions stay shared and nothing is expanded -- and compiled like every
other expression. The radii are in units of u; the caller multiplies.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import sympy
from sympy.core.function import ArgumentIndexError

from difflab.expr.compile import Compiled, program_to_numpy
from difflab.primitives.heads import rule_of

U = 2.0 ** -53
SUM_ULPS, POWER_ULPS, FUNCTION_ULPS = 1, 2, 4
ETA = sympy.Float(2.0 ** -1022)
"""Gradual underflow, in units of u: a product, power or function that rounds into the subnormals is off
by up to 2**-1075 however small it is (a sum is exact there). y**3 at y = -6e-108 is 2.7e-322 +- 5e-324."""
_CAP = sympy.Float(1e300)


def radius_program(outputs: Sequence[sympy.Expr], symbols: Sequence[sympy.Symbol],
                   rules: bool = False, primal: sympy.Expr | None = None) -> Compiled:
    """Compiled ``(*x) -> [r_1, ..., r_m]``: the radius of each output in units of u (see the module).

    ``rules``: the outputs are derivatives evaluated as the AD engines do, each function's local partial
    (``fdiff``, e.g. tanh's ``1 - tanh(u)**2``) by its row's derivative rule as ONE operation accurate to
    a few ulps (the table computes tanh' as sech^2, sigmoid' as s(x) s(-x): no cancellation), so such a
    partial is charged its own rounding and its argument's radius through its derivative, not the
    arithmetic of SymPy's formula for it -- unless the same expression is written in ``primal`` (the
    function differentiated), where the engines evaluate it as arithmetic.
    """
    radii = _Radii(outputs, symbols, _local_partials(outputs, primal) if rules else {})
    return program_to_numpy(radii.program, radii.outputs, symbols)


def sweep_radius_program(steps: Sequence[tuple[sympy.Symbol, sympy.Expr]], outputs: Sequence[sympy.Expr],
                         symbols: Sequence[sympy.Symbol],
                         partials: dict[sympy.Basic, tuple[sympy.Basic, int]] | None = None) -> Compiled:
    """Compiled ``(*x) -> [r_1, ..., r_m]`` for the outputs of a straight-line program (``steps``, each
    temporary assigned once, in order): the radius of every temporary follows from its expression's, so
    the bound is of the sums the program really forms (``expr.adjoint.reverse_sweep``), which SymPy
    cannot collect or cancel across temporaries. ``partials`` marks the steps that are a function's local
    partial evaluated by its row's rule (see ``radius_program``)."""
    radii = _Radii(outputs, symbols, partials or {}, steps)
    return program_to_numpy(radii.program, radii.outputs, symbols)


class _Radii:
    """The straight-line program: (temporary, expression) steps, then the outputs' radii."""

    def __init__(self, outputs: Sequence[sympy.Expr], symbols: Sequence[sympy.Symbol],
                 partials: dict[sympy.Basic, tuple[sympy.Basic, int]],
                 steps: Sequence[tuple[sympy.Symbol, sympy.Expr]] = ()):
        self.partials = partials  # {a head's local partial: (the head, which argument)}: one operation
        nodes = _post_order(list(outputs))  # not ``free_symbols``: a walk of the tree, exponential in a tower
        taken = {s.name for s in symbols} | {n.name for n in nodes if n.is_Symbol}
        taken |= {t.name for t, _ in steps}
        self._names = (n for k in itertools.count() for n in (f"v{k}", f"r{k}") if n not in taken)
        self.program: list[tuple[sympy.Symbol, sympy.Expr]] = []
        self.ref: dict[sympy.Basic, sympy.Expr] = {}
        self.rad: dict[sympy.Basic, sympy.Expr] = {}
        for temp, expr in steps:  # a given program's temporaries: each one's value and radius, in order
            for node in _post_order([expr]):
                self._visit(node)
            self.ref[temp], self.rad[temp] = self.ref[expr], self.rad[expr]
        for node in nodes:
            self._visit(node)
        self.outputs = [self.rad[e] for e in outputs]

    def _temp(self, expr: sympy.Expr) -> sympy.Expr:
        if expr.is_Atom:
            return expr
        temp = sympy.Symbol(next(self._names), real=True)
        self.program.append((temp, expr))
        return temp

    def _visit(self, node: sympy.Basic) -> None:
        if node in self.rad:  # a temporary of the given program, or a node met in an earlier step
            return
        if node.is_Symbol:
            self.ref[node], self.rad[node] = node, sympy.S.Zero
            return
        if node.is_number and (node.is_Atom or not _expression_args(node)):
            self.ref[node], self.rad[node] = node, _constant_radius(node)
            return  # (a function of numbers, acos(9*cos(1/2)/10), is computed at run time: a node)
        if isinstance(node, sympy.Piecewise):  # conditions are read as written; each branch has its radius
            pairs = [(p.expr, p.cond) for p in node.args]
            value = self._temp(sympy.Piecewise(*[(self.ref[e], c) for e, c in pairs]))
            radius = sympy.Piecewise(*[(self.rad[e], c) for e, c in pairs])
            self.ref[node], self.rad[node] = value, self._temp(radius)
            return
        if not _expression_args(node):  # no known structure: its own value's rounding, as a function's
            self.ref[node] = node
            self.rad[node] = self._temp(FUNCTION_ULPS * sympy.Abs(node))
            return
        refs = [self.ref[a] for a in node.args]
        value = self._temp(node.func(*refs) if any(r is not a for r, a in zip(refs, node.args, strict=True))
                           else node)
        self.ref[node] = value
        rule = self._as_partial(node)
        if rule is not None:
            self.rad[node] = self._temp(self._rule_radius(*rule, value))
            return
        terms = [_capped(d) * self.rad[a] for a, d in self._partials(node, refs, value)
                 if self.rad[a] != 0 and not d.has(sympy.DiracDelta)]
        terms += self._own_rounding(node, refs, value)
        self.rad[node] = self._temp(sympy.Add(*terms))

    def _as_partial(self, node: sympy.Basic) -> tuple[sympy.Basic, int, sympy.Rational] | None:
        """(head, argument, c) when ``node`` is c times a local partial of ``head`` (SymPy distributes a
        number over a sum: 3*(1 - tanh(u)**2) is stored as 3 - 3*tanh(u)**2), else None."""
        if not self.partials:
            return None
        found, c = self.partials.get(node), sympy.S.One
        if found is None and isinstance(node, sympy.Add):
            c, rest = node.as_content_primitive()
            found = self.partials.get(rest)
            if found is None:
                c, found = -c, self.partials.get(-rest)
        if found is None or not all(a in self.ref for a in found[0].args):
            return None
        return found[0], found[1], c

    def _rule_radius(self, head: sympy.Basic, i: int, c: sympy.Rational, value: sympy.Expr) -> sympy.Expr:
        """c times the local partial d head / d a_i evaluated by the row's rule: the arguments' radii
        through the partial's own derivative (the head's second partials), plus the rule's few ulps."""
        refs = [self.ref[a] for a in head.args]
        # a number stays itself: DiracDelta(u, 2) has no DiracDelta(u, k) with k a symbol
        dummies = [a if a.is_number else sympy.Dummy(f"a{k}", real=True) for k, a in enumerate(head.args)]
        partial = _local(head, head.func(*dummies), dummies, i)
        at = dict(zip(dummies, refs, strict=True))
        terms = [abs(c) * _capped(partial.diff(d).xreplace(at)) * self.rad[a]
                 for d, a in zip(dummies, head.args, strict=True)
                 if isinstance(d, sympy.Dummy) and self.rad[a] != 0]
        own = FUNCTION_ULPS + (0 if _power_of_two(c) else 1)
        return sympy.Add(*terms, own * (sympy.Abs(value) + ETA))

    def _own_rounding(self, node: sympy.Basic, refs: list, value: sympy.Expr) -> list[sympy.Expr]:
        """The roundings the node itself makes, in units of u."""
        if isinstance(node, sympy.Add):
            extra = len(refs) - 2
            partial_sums = [extra * sympy.Add(*[sympy.Abs(r) for r in refs])] if extra > 0 else []
            return [SUM_ULPS * sympy.Abs(value)] + partial_sums
        if isinstance(node, sympy.Mul):
            exact = sum(1 for a in node.args if a.is_Rational and _power_of_two(a))
            rounds = max(len(refs) - 1 - exact, 0)
            return [rounds * (sympy.Abs(value) + ETA)] if rounds else []
        if isinstance(node, sympy.Pow):
            return [POWER_ULPS * (sympy.Abs(value) + ETA)]
        return [FUNCTION_ULPS * (sympy.Abs(value) + ETA)]

    def _partials(self, node: sympy.Basic, refs: list,
                  value: sympy.Expr) -> list[tuple[sympy.Basic, sympy.Expr]]:
        """(argument, d node / d argument in terms of the temporaries) for each argument with a radius."""
        args = node.args
        live = [i for i, a in enumerate(args) if self.rad[a] != 0]
        if isinstance(node, sympy.Add):
            return [(args[i], sympy.S.One) for i in live]
        if isinstance(node, sympy.Mul):
            return [(args[i], sympy.Mul(*refs[:i], *refs[i + 1:])) for i in live]
        if isinstance(node, sympy.Pow):
            base, exp = refs
            out = [(args[0], exp * base ** (exp - 1))] if 0 in live else []
            return out + ([(args[1], value * sympy.log(sympy.Abs(base)))] if 1 in live else [])
        built = node.func(*refs)
        out = []
        for i in live:
            try:
                local = _local(node, built, refs, i)
            except (ArgumentIndexError, TypeError, ValueError, NotImplementedError, AttributeError):
                local = sympy.oo  # no rule for this head: the radius says "unknown", never a false 0
            out.append((args[i], local.xreplace({built: value}) if isinstance(local, sympy.Basic) else local))
        return out


def _local(node: sympy.Basic, built: sympy.Expr, refs: list, i: int) -> sympy.Expr:
    """d node / d argument i at the temporaries: the head's ``fdiff`` (SymPy's rule), else the derivative
    of the head with the argument as a symbol, else of the row's SymPy twin (a compile-time head)."""
    if isinstance(node, sympy.Function) and type(node)._eval_derivative is sympy.Function._eval_derivative:
        try:
            local = built.fdiff(i + 1)
        except ArgumentIndexError:
            local = sympy.Function.fdiff(built, i + 1)
        if not local.has(sympy.Derivative, sympy.Subs):
            return local
    d = sympy.Dummy("d", real=True)
    at = [d if j == i else r for j, r in enumerate(refs)]
    local = node.func(*at).diff(d)
    if local.has(sympy.Derivative, sympy.Subs):
        rule = rule_of(node)
        if rule is None or rule.sympy is None:
            raise NotImplementedError(type(node).__name__)
        local = rule.sympy(*at).diff(d)
        if local.has(sympy.Derivative, sympy.Subs):
            raise NotImplementedError(type(node).__name__)
    return local.xreplace({d: refs[i]})


def _local_partials(outputs: Sequence[sympy.Expr],
                    primal: sympy.Expr | None) -> dict[sympy.Basic, tuple[sympy.Basic, int]]:
    """Every local partial ``fdiff`` of a function head in the outputs -- the expressions SymPy's chain
    rule (``expr.derivatives``) put into the derivatives, found again by structural equality -- that is
    not also written in ``primal`` itself."""
    written = set(_post_order([primal])) if primal is not None else set()
    found: dict[sympy.Basic, tuple[sympy.Basic, int]] = {}
    for node in _post_order(list(outputs)):
        if isinstance(node, sympy.Function) and node.args and _expression_args(node) \
                and type(node)._eval_derivative is sympy.Function._eval_derivative:
            for i in range(len(node.args)):
                try:
                    partial = _local(node, node, list(node.args), i)
                except (ArgumentIndexError, TypeError, ValueError, NotImplementedError, AttributeError):
                    continue
                if not partial.is_Atom and partial != node and partial not in written:
                    found.setdefault(partial, (node, i))
    return found


def _capped(partial: sympy.Expr) -> sympy.Expr:
    """|partial|, capped at 1e300 where it can be infinite (a negative or fractional power)."""
    magnitude = sympy.Abs(partial)
    risky = any(not (p.exp.is_Integer and p.exp >= 0) for p in partial.atoms(sympy.Pow))
    return sympy.Min(magnitude, _CAP) if risky else magnitude


def _constant_radius(c: sympy.Basic) -> sympy.Expr:
    """A constant's rounding in units of u: 0 for a double (an integer below 2^53, a dyadic fraction, a
    Float that is a double), |c| for a rational or Float rounded once, 2|c| for an evaluated constant."""
    if c.is_Rational and _exactly_double(c):
        return sympy.S.Zero
    if c.is_Float and sympy.Rational(c) == sympy.Rational(float(c)):
        return sympy.S.Zero
    try:
        size = abs(float(sympy.N(c, 17)))
    except (TypeError, ValueError, OverflowError):
        return sympy.oo
    return sympy.Float((1 if c.is_Rational or c.is_Float else 2) * size)


def _exactly_double(r: sympy.Rational) -> bool:
    q = int(r.q)
    return q & (q - 1) == 0 and abs(int(r.p)).bit_length() <= 53


def _power_of_two(r: sympy.Rational) -> bool:
    p, q = abs(int(r.p)), int(r.q)
    return p & (p - 1) == 0 and q & (q - 1) == 0 and p > 0


def _expression_args(node: sympy.Basic) -> bool:
    return all(isinstance(a, sympy.Expr) for a in node.args)


def _post_order(roots: list[sympy.Basic]) -> list[sympy.Basic]:
    """Every distinct node under the roots, arguments first (iterative: derivative DAGs can be deep)."""
    seen: set[sympy.Basic] = set()
    order: list[sympy.Basic] = []
    stack: list[tuple[sympy.Basic, bool]] = [(e, False) for e in reversed(roots)]
    while stack:
        node, done = stack.pop()
        if done:
            order.append(node)
            continue
        if node in seen:
            continue
        seen.add(node)
        stack.append((node, True))
        if node.is_Atom:
            continue
        if isinstance(node, sympy.Piecewise):
            stack.extend((p.expr, False) for p in reversed(node.args))
        elif _expression_args(node):
            stack.extend((a, False) for a in reversed(node.args))
    return order
