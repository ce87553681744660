"""Einsum terms compiled once per size into a list of NumPy kernels: order, layouts and sharing decided
before the first call, so a call runs only the arithmetic.

``np.einsum(..., optimize=path)`` is close, but it lays each intermediate out in order of size and
copies every BLAS result into that order, its default memory limit (the largest operand) forbids the
intermediates of a pairwise order (leaving one many-operand contraction that runs as a slow loop), and it
redoes its bookkeeping on every call. For the Hessian of a 2-layer network with respect to its weight
matrix those cost more than the product itself. A ``Schedule`` instead:

* takes the order from ``np.einsum_path`` with intermediates allowed up to ``INTERMEDIATE_FACTOR`` times
  the largest operand or result (exhaustive search up to ``OPTIMAL_OPERANDS`` operands -- it takes ~0.1 s
  for 6 and ~3 s for 7 -- greedy beyond);
* keeps labels in the result's order (labels summed later go last);
* makes a contraction one matrix product of 2-D views, ``A2 @ B2.T`` (BLAS reads either operand
  transposed, so an operand whose contracted labels come first or last is never copied);
* makes a product with an operand whose labels are a subset of the other's a broadcast multiply, in place
  when the larger one is an intermediate used nowhere else;
* computes a pair once when it recurs under other labels, in one term or across terms (``P[a,k] X[b,k]``
  and ``P[c,k] X[d,k]`` in the network's Hessian are one product).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence

import numpy as np

OPTIMAL_OPERANDS = 6
INTERMEDIATE_FACTOR = 16


def order(subscripts: str, shapes: Sequence[tuple[int, ...]]) -> list:
    """The pairwise contraction order of ``np.einsum_path`` (see the module docstring)."""
    inputs, output = subscripts.split("->")
    size = {x: n for labels, shape in zip(inputs.split(","), shapes, strict=True)
            for x, n in zip(labels, shape, strict=True)}
    limit = INTERMEDIATE_FACTOR * max(math.prod(size[x] for x in output), *(math.prod(s) for s in shapes))
    how = "optimal" if len(shapes) <= OPTIMAL_OPERANDS else "greedy"
    dummies = [np.empty(s) for s in shapes]  # einsum_path reads shapes only; empty pages are never touched
    return np.einsum_path(subscripts, *dummies, optimize=(how, limit))[0]


class Schedule:
    """Terms ``(subscripts, operand registers)`` over arrays of the given shapes, as kernels over slots.

    ``run(values)`` (``values[r]`` the array of register r) returns per term its value (possibly a
    transposed view) and whether the caller may keep and change it (fresh, C-ordered, used by nothing
    else)."""

    def __init__(self, terms: Sequence[tuple[str, Sequence[int]]], shapes: Mapping[int, tuple[int, ...]]):
        self.registers = sorted({r for _, regs in terms for r in regs})
        slot = {r: i for i, r in enumerate(self.registers)}
        self._shape: list[tuple[int, ...]] = [tuple(shapes[r]) for r in self.registers]
        self._ident: list[tuple] = [("in", r) for r in self.registers]
        self._ownable: list[bool] = [False] * len(self.registers)
        self._specs: list[tuple] = []  # (kind, operand slots, details)
        self._memo: dict = {}
        self._uses: dict[int, int] = {}
        finals = []
        for subscripts, regs in terms:
            finals.append(self._term(subscripts, [slot[r] for r in regs]))
        for s, _ in finals:
            self._uses[s] = self._uses.get(s, 0) + 1
        self._kernels = [(self._kernel(kind, args, details), args) for kind, args, details in self._specs]
        self._finals = [(s, perm, self._ownable[s] and self._uses[s] == 1 and perm == sorted(perm))
                        for s, perm in finals]

    def __len__(self) -> int:
        """The number of kernels a call runs."""
        return len(self._kernels)

    def run(self, values: Sequence) -> list[tuple[np.ndarray, bool]]:
        regs = [np.asarray(values[r], dtype=float) for r in self.registers]
        for kernel, args in self._kernels:
            regs.append(kernel(*[regs[i] for i in args]))
        return [(regs[s].transpose(perm), own) for s, perm, own in self._finals]

    # -- planning -----------------------------------------------------------------------------------
    def _term(self, subscripts: str, slots: list[int]) -> tuple[int, list[int]]:
        inputs, output = subscripts.split("->")
        ops = list(zip(slots, inputs.split(","), strict=True))
        if not ops:
            return self._new("ones", [], (), ()), []
        if len(ops) > 1:
            for step in order(subscripts, [self._shape[s] for s, _ in ops])[1:]:
                picked = [ops[k] for k in step]
                ops = [o for k, o in enumerate(ops) if k not in step]
                keep = set(output).union(*(labels for _, labels in ops))
                ops.append(self._pair(picked, keep, output))
        (s, labels), = ops
        if sorted(labels) != sorted(output) or len(set(labels)) < len(labels):
            s, labels = self._einsum([(s, labels)], set(output), output)
        return s, [labels.index(x) for x in output]

    def _pair(self, picked: list, keep: set, output: str) -> tuple[int, str]:
        key, names = _pattern([(self._ident[s], la) for s, la in picked], keep)
        if key in self._memo:
            s, canonical = self._memo[key]
            return s, "".join(names[x] for x in canonical)
        s, labels = self._contract(picked, keep, output) if len(picked) == 2 else \
            self._einsum(picked, keep, output)
        inverse = {v: k for k, v in names.items()}
        self._memo[key] = s, "".join(inverse[x] for x in labels)
        return s, labels

    def _contract(self, picked: list, keep: set, output: str) -> tuple[int, str]:
        (a, la), (b, lb) = picked
        shared = set(la) & set(lb)
        if len(set(la)) < len(la) or len(set(lb)) < len(lb) or not (set(la) | set(lb)) <= keep | shared:
            return self._einsum(picked, keep, output)  # a diagonal, or a label summed inside one operand
        rank = _rank(output, la + lb)
        contracted = [x for x in la if x in shared and x not in keep]
        if contracted and len(contracted) == len(shared):
            free_a, free_b = [x for x in la if x not in shared], [x for x in lb if x not in shared]
            if free_a and free_b and rank[free_b[0]] < rank[free_a[0]]:
                (a, la, free_a), (b, lb, free_b) = (b, lb, free_b), (a, la, free_a)
                contracted = [x for x in la if x in shared]
            size = dict(zip(la, self._shape[a], strict=True)) | dict(zip(lb, self._shape[b], strict=True))
            details = ([la.index(x) for x in free_a + contracted], math.prod(size[x] for x in free_a),
                       [lb.index(x) for x in free_b + contracted], math.prod(size[x] for x in free_b),
                       tuple(size[x] for x in free_a + free_b))
            return self._new("dot", [a, b], details, details[4]), "".join(free_a + free_b)
        if not contracted and (set(lb) <= set(la) or set(la) <= set(lb)):
            if not set(lb) <= set(la):
                (a, la), (b, lb) = (b, lb), (a, la)
            perm = sorted(range(len(lb)), key=lambda i: la.index(lb[i]))
            size = dict(zip(lb, self._shape[b], strict=True))
            details = (perm, tuple(size.get(x, 1) for x in la))
            return self._new("mul", [a, b], details, self._shape[a]), la
        return self._einsum(picked, keep, output)

    def _einsum(self, picked: list, keep: set, output: str) -> tuple[int, str]:
        labels = "".join(x for _, la in picked for x in la)
        rank = _rank(output, labels)
        kept = "".join(sorted({x for x in labels if x in keep}, key=rank.__getitem__))
        size = {x: n for s, la in picked for x, n in zip(la, self._shape[s], strict=True)}
        spec = ",".join(la for _, la in picked) + "->" + kept
        s = self._new("einsum", [s for s, _ in picked], spec, tuple(size[x] for x in kept))
        self._ownable[s] = len(picked) > 1  # one operand: einsum may answer with a view of it
        return s, kept

    def _new(self, kind: str, args: list[int], details, shape: tuple) -> int:
        for a in args:
            self._uses[a] = self._uses.get(a, 0) + 1
        self._specs.append((kind, tuple(args), details))
        self._shape.append(tuple(shape))
        self._ident.append(("step", len(self._specs)))
        self._ownable.append(True)
        return len(self._shape) - 1

    def _kernel(self, kind: str, args: tuple, details) -> Callable:
        if kind == "ones":
            return lambda: np.ones(())
        if kind == "einsum":
            return lambda *xs: np.asarray(np.einsum(details, *xs))
        if kind == "dot":
            perm_a, rows_a, perm_b, rows_b, shape = details
            return lambda A, B: (A.transpose(perm_a).reshape(rows_a, -1)
                                 @ B.transpose(perm_b).reshape(rows_b, -1).T).reshape(shape)
        perm, view = details
        in_place = self._ownable[args[0]] and self._uses[args[0]] == 1  # nothing else reads it
        if in_place:
            return lambda A, B: np.multiply(A, B.transpose(perm).reshape(view), out=A)
        return lambda A, B: np.multiply(A, B.transpose(perm).reshape(view))


def contract(subscripts: str, operands: Sequence[np.ndarray]) -> np.ndarray:
    """``np.einsum(subscripts, *operands)`` through a one-term ``Schedule`` (the same array passed
    twice is one register, so its pairs are shared)."""
    registers: dict[int, int] = {}
    regs = [registers.setdefault(id(o), len(registers)) for o in operands]
    values = {registers[id(o)]: np.asarray(o) for o in operands}
    schedule = Schedule([(subscripts, regs)], {r: v.shape for r, v in values.items()})
    return schedule.run(values)[0][0]


def _rank(output: str, labels: str) -> dict[str, int]:
    return {x: i for i, x in enumerate(dict.fromkeys(output + labels))}


def _pattern(items: list, keep: set) -> tuple[tuple, dict]:
    """A key for a product up to renaming its labels, and canonical -> current label names."""
    items = sorted(items, key=lambda t: (repr(t[0]), _shape_of(t[1])))
    canonical: dict[str, str] = {}
    for _, la in items:
        for x in la:
            canonical.setdefault(x, chr(ord("a") + len(canonical)))
    key = tuple((ident, "".join(canonical[x] for x in la)) for ident, la in items)
    kept = "".join(sorted(canonical[x] for x in canonical if x in keep))
    return key + (kept,), {v: k for k, v in canonical.items()}


def _shape_of(labels: str) -> str:
    """The repetition pattern of a label string (``xyzx`` -> ``abca``)."""
    first: dict[str, str] = {}
    return "".join(first.setdefault(x, chr(ord("a") + len(first))) for x in labels)
