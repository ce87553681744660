"""Linear maps of a direction as sums of contractions: Hessians with respect to a matrix, structured.

Why: the Hessian with respect to a matrix ``W`` (h x d) is a 4-index tensor, and its formula is its
action on a direction, ``H[dW] = ...``. Evaluating that action on all h*d basis directions pushes an
identity tensor through the program -- ``dW @ X`` on the basis is mostly zeros -- so the work is h*d
Hessian-vector products. But ``H[dW]`` is linear in ``dW``, so every intermediate that depends on ``dW``
is a sum of terms

    T[out..., dir...] = sum over the other labels of  prod_f  F_f[labels_f]

with factors ``F_f`` that do not depend on ``dW`` and Kronecker deltas written as shared labels.
``dW`` itself is the pure delta (out labels = direction labels); ``dW @ X`` adds the factor ``X`` and
contracts ``dW``'s column label with ``X``'s row label (``T[a,k; c,d] = delta_ac X[d,k]``, the
``kron(I, X.T)`` pattern); an elementwise product adds its other factor under the same labels (the
diagonal sandwich ``diag(p) @ ... @ diag(q)``); a transpose swaps labels, a sum drops them, ``diag(v)``
and ``I`` identify two labels. The Hessian is then one ``np.einsum`` per term over the factor arrays,
with the contraction order chosen once per size by ``np.einsum_path`` (pairwise, BLAS where it can be),
and the deltas that survive into the result written through strided diagonal views: the arithmetic a
person writes by hand, derived by rules that know nothing about any particular model.
"""

from __future__ import annotations

import math
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from difflab.errors import DifflabError
from difflab.matrix import algebra as a
from difflab.matrix.algebra import Dim, Node, postorder
from difflab.matrix.einsum import Schedule
from difflab.matrix.program import Program, compile_program

LETTERS = string.ascii_letters
Labels = tuple[int, ...]


class NotLinear(DifflabError):
    """The expression is not a linear map of the direction in a form the contraction rules cover."""


@dataclass(frozen=True)
class Term:
    """``T[out, dirs] = sum over the other labels of prod F[labels]`` (labels shared = deltas)."""

    factors: tuple[tuple[Node, Labels], ...]
    out: Labels
    dirs: Labels

    def renamed(self, old: int, new: int) -> Term:
        def sub(labels: Labels) -> Labels:
            return tuple(new if x == old else x for x in labels)
        return Term(tuple((f, sub(ls)) for f, ls in self.factors), sub(self.out), sub(self.dirs))

    def times(self, factor: Node, labels: Labels, out: Labels) -> Term:
        return Term(self.factors + ((factor, labels),), out, self.dirs)


@dataclass
class _Labels:
    sizes: dict[int, Dim] = field(default_factory=dict)

    def fresh(self, shape: Sequence[Dim]) -> Labels:
        start = len(self.sizes)
        for i, d in enumerate(shape):
            self.sizes[start + i] = d
        return tuple(range(start, start + len(shape)))


def linearize(root: Node, direction: Node) -> tuple[list[Term], dict[int, Dim]]:
    """``root`` (linear in ``direction``) as terms over factors free of it, and the size of each label."""
    labels = _Labels()
    dep: set[int] = set()
    terms: dict[int, list[Term]] = {}
    for node in postorder(root):
        if node is direction:
            own = labels.fresh(node.shape)
            terms[id(node)] = [Term((), own, own)]
            dep.add(id(node))
        elif any(id(x) in dep for x in node.args):
            dep.add(id(node))
            parts = [terms.get(id(x)) if id(x) in dep else None for x in node.args]
            rule = _RULES.get(node.op)
            if rule is None:
                raise NotLinear(f"'{node.op}' of an expression in the direction is not linear in it")
            terms[id(node)] = rule(node, parts, labels)
    if id(root) not in dep:
        return [], labels.sizes
    return [_normal(t) for t in terms[id(root)]], labels.sizes


def _one(node: Node, parts: list) -> int:
    live = [i for i, p in enumerate(parts) if p is not None]
    if len(live) != 1:
        raise NotLinear(f"'{node.op}' multiplies two expressions in the direction")
    return live[0]


def _add(node, parts, labels):
    out: list[Term] = []
    for x, p in zip(node.args, parts, strict=True):
        if p is not None:
            spread = x.shape != node.shape  # a scalar added to an array: new labels, no factor
            out.extend(Term(t.factors, labels.fresh(node.shape), t.dirs) if spread else t for t in p)
    return out


def _mul(node, parts, labels):
    i = _one(node, parts)
    x = node.args[i]
    w = a.mul(*(node.args[:i] + node.args[i + 1:]))
    out = []
    for t in parts[i]:
        own = t.out if x.shape == node.shape else labels.fresh(node.shape)
        out.append(t.times(w, own if w.shape else (), own))
    return out


def _matmul(node, parts, labels):
    i = _one(node, parts)
    left, right = node.args
    out = []
    for t in parts[i]:
        if i == 0:  # (term) @ right: the term's last label meets right's first axis
            k = t.out[-1]
            extra = labels.fresh(right.shape[1:])
            out.append(t.times(right, (k,) + extra, t.out[:-1] + extra))
        else:
            k = t.out[0]
            extra = labels.fresh(left.shape[:-1])
            out.append(t.times(left, extra + (k,), extra + t.out[1:]))
    return out


def _transpose(node, parts, labels):
    return [Term(t.factors, t.out[::-1], t.dirs) for t in parts[0]]


def _sum(node, parts, labels):
    return [Term(t.factors, (), t.dirs) for t in parts[0]]


def _diag(node, parts, labels):
    if node.args[0].ndim == 1:
        return [Term(t.factors, t.out * 2, t.dirs) for t in parts[0]]
    out = []
    for t in parts[0]:  # the diagonal of a matrix term: its two labels become one
        same = t.renamed(t.out[1], t.out[0])
        out.append(Term(same.factors, same.out[:1], same.dirs))
    return out


def _outer(node, parts, labels):
    i = _one(node, parts)
    u, v = node.args
    out = []
    for t in parts[i]:
        if i == 0:
            j = labels.fresh(v.shape)
            out.append(t.times(v, j, t.out + j))
        else:
            j = labels.fresh(u.shape)
            out.append(t.times(u, j, j + t.out))
    return out


_RULES = {"add": _add, "mul": _mul, "matmul": _matmul, "transpose": _transpose, "sum": _sum,
          "diag": _diag, "outer": _outer}


def _normal(term: Term) -> Term:
    """Transposes read by label order, ``I`` and ``diag(v)`` as shared labels, ``ones`` dropped where its
    labels occur elsewhere, scalars folded into one factor, factors under the same labels multiplied."""
    changed = True
    while changed:
        changed = False
        for n, (f, ls) in enumerate(term.factors):
            rest = term.factors[:n] + term.factors[n + 1:]
            elsewhere = set(term.out) | set(term.dirs) | {x for _, l2 in rest for x in l2}
            if f.op == "transpose":
                term = Term(rest + ((f.args[0], ls[::-1]),), term.out, term.dirs)
            elif f.op == "eye" or f.op == "diag" and f.args[0].ndim == 1:
                kept = rest if f.op == "eye" else rest + ((f.args[0], ls[:1]),)
                term = Term(kept, term.out, term.dirs).renamed(ls[1], ls[0])
            elif f.op == "ones" and set(ls) <= elsewhere:
                term = Term(rest, term.out, term.dirs)
            else:
                continue
            changed = True
            break
    scalars = [f for f, ls in term.factors if not ls]
    arrays: dict[Labels, Node] = {}
    for f, ls in term.factors:
        if ls:
            arrays[ls] = a.mul(arrays[ls], f) if ls in arrays else f
    if scalars:
        s = a.mul(*scalars)
        if arrays:
            first = min(arrays, key=len)
            arrays[first] = a.mul(s, arrays[first])
        else:
            arrays[()] = s
    return Term(tuple((f, ls) for ls, f in arrays.items() if f.op != "num" or f.data != 1),
                term.out, term.dirs)


# --------------------------------------------------------------------------------------- evaluation
@dataclass
class _Plan:
    """One term: einsum subscripts over factor registers, the labels it produces, and where they go."""

    subscripts: str
    operands: tuple[int, ...]
    produced: Labels           # the einsum's output labels (those some factor carries), in order
    unique: Labels             # every label of the result's axes, in first-seen order
    axes: tuple[Labels, ...]   # per unique label: the result axes carrying it


class Contraction:
    """A linear map's full tensor, ``result[out..., dir...]``, as a sum of einsum calls (``tensor``)."""

    def __init__(self, root: Node, direction: Node, inputs: Mapping[str, tuple[Dim, ...]],
                 title: str = "hessian"):
        terms, self.sizes = linearize(root, direction)
        self.shape: tuple[Dim, ...] = root.shape + direction.shape
        factors: list[Node] = []
        index: dict[int, int] = {}
        for t in terms:
            for f, _ in t.factors:
                if id(f) not in index:
                    index[id(f)] = len(factors)
                    factors.append(f)
        self.program: Program = compile_program(factors, [n for n in inputs if n != direction.data],
                                                title, named_roots=True)
        plans = [self._plan(t, index) for t in terms]  # full terms first: one may become the result
        self.plans = sorted(plans, key=lambda p: p.produced != _flatten(p))
        self.source = self._source(title, inputs)
        self._layouts: dict = {}

    def _plan(self, term: Term, index: Mapping[int, int]) -> _Plan:
        present = {x for _, ls in term.factors for x in ls}
        everything = term.out + term.dirs
        unique = tuple(dict.fromkeys(everything))
        if len(set(everything) | present) > len(LETTERS):
            raise NotLinear("a term has more indices than einsum has letters")
        letter = {x: LETTERS[i] for i, x in enumerate(dict.fromkeys(everything + tuple(sorted(present))))}
        produced = tuple(x for x in unique if x in present)
        inputs = ",".join("".join(letter[x] for x in ls) for _, ls in term.factors)
        subscripts = f"{inputs}->{''.join(letter[x] for x in produced)}"
        axes = tuple(tuple(i for i, y in enumerate(everything) if y == x) for x in unique)
        return _Plan(subscripts, tuple(index[id(f)] for f, _ in term.factors), produced, unique, axes)

    def tensor(self, env: Mapping[str, object], dims: Mapping[str, int]) -> np.ndarray:
        values = self.program(env, dims) if self.program.roots else []
        shape, views, schedule = self._layout(dims, values)
        result = None
        for (value, fresh), (view_shape, view_strides, value_shape) in zip(schedule.run(values), views,
                                                                          strict=True):
            if result is None and fresh and value.shape == view_shape == shape and value.flags.c_contiguous:
                result = value  # a fresh array laid out like the result: it becomes the result
                continue
            if result is None:
                result = np.zeros(shape)
            view = np.ndarray(view_shape, result.dtype, result, 0, view_strides)
            view += value.reshape(value_shape)
        return np.zeros(shape) if result is None else result

    def _layout(self, dims: Mapping[str, int], values: Sequence) -> tuple:
        """Per size: the result's shape; per term, the strided view its value is added through; and the
        schedule of all terms' contractions (``einsum.Schedule``)."""
        key = tuple(sorted(dims.items()))
        if key not in self._layouts:
            size = {k: v if isinstance(v, int) else dims[v] for k, v in self.sizes.items()}
            shape = tuple(d if isinstance(d, int) else dims[d] for d in self.shape)
            strides = [math.prod(shape[i + 1:]) * 8 for i in range(len(shape))]  # C order, bytes
            views = []
            for plan in self.plans:
                views.append((tuple(size[x] for x in plan.unique),
                              tuple(sum(strides[i] for i in ax) for ax in plan.axes),
                              tuple(size[x] if x in plan.produced else 1 for x in plan.unique)))
            schedule = Schedule([(plan.subscripts, plan.operands) for plan in self.plans],
                                {i: np.shape(v) for i, v in enumerate(values)})
            self._layouts[key] = shape, views, schedule
        return self._layouts[key]

    def _source(self, title: str, inputs: Mapping[str, tuple[Dim, ...]]) -> str:
        """What runs, as readable Python: the factors' program, then one einsum per term."""
        lines = self.program.source.rstrip("\n").split("\n")[:-1] if self.program.roots else \
            [f"def {title}({', '.join(self.program.names)}):"]
        sizes = [d for d in dict.fromkeys(self.shape) if isinstance(d, str)
                 and not any(line.startswith(f"    {d} = ") for line in lines)]
        for row, d in enumerate(sizes):
            holder = next((n, i) for n, s in inputs.items() for i, e in enumerate(s) if e == d)
            lines.insert(1 + row, f"    {d} = {holder[0]}.shape[{holder[1]}]")
        names = self.program.result_texts
        out = "H" if title == "hessian" else "J"
        lines.append(f"    {out} = np.zeros(({', '.join(str(d) for d in self.shape)}))")
        letters = "".join(LETTERS[: len(self.shape)])
        explained = False
        for plan in self.plans:
            operands = ", ".join(names[i] for i in plan.operands)
            call = f"np.einsum('{plan.subscripts}', {operands})" if operands else "1"
            out_letters = "".join(LETTERS[plan.unique.index(x)] for x in _flatten(plan))
            if out_letters != letters and not explained:
                lines.append(f"    # view({out}, '{out_letters}'): the entries of {out} whose axes with "
                             f"equal letters have equal indices")
                explained = True
            target = out if out_letters == letters else f"view({out}, '{out_letters}')"
            lines.append(f"    {target} += {call}")
        return "\n".join(lines + [f"    return {out}"]) + "\n"


def _flatten(plan: _Plan) -> Labels:
    everything = [None] * sum(len(ax) for ax in plan.axes)
    for x, ax in zip(plan.unique, plan.axes, strict=True):
        for i in ax:
            everything[i] = x
    return tuple(everything)



