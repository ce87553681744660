"""Einsum terms evaluated without needless copies: the contraction order once, then pairwise steps.

``np.einsum(..., optimize=path)`` is close, but it lays each intermediate out in order of size and
copies every BLAS result into that order, and its default memory limit (the largest operand) forbids the
intermediates of a pairwise order, leaving one many-operand contraction that runs as a slow loop. For the
Hessian of a 2-layer network with respect to its weight matrix those cost more than the product itself.
Here:

* the order comes from ``np.einsum_path`` with intermediates allowed up to ``INTERMEDIATE_FACTOR`` times
  the largest operand or result (exhaustive search up to ``OPTIMAL_OPERANDS`` operands, greedy beyond:
  the exhaustive search takes ~0.1 s for 6 and ~3 s for 7);
* labels stay in the result's order, labels summed later last;
* a contraction is one matrix product of 2-D views, ``A2 @ B2.T`` (BLAS reads either operand transposed,
  so an operand whose contracted labels come first or last is never copied);
* a product with an operand whose labels are a subset of the other's is a broadcast multiply, in place
  when the larger one is an intermediate;
* a pair that has been contracted before in the same evaluation (same arrays, same label pattern) is
  reused: ``P[a,k] X[b,k]`` and ``P[c,k] X[d,k]`` in the network's Hessian are one product.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

OPTIMAL_OPERANDS = 6
INTERMEDIATE_FACTOR = 16


def contract(subscripts: str, operands: Sequence[np.ndarray], paths: dict, memo: dict
             ) -> tuple[np.ndarray, bool]:
    """``np.einsum(subscripts, *operands)`` (possibly a transposed view of a fresh array) and whether the
    caller may keep and change it (fresh memory that no operand and no memo entry shares).

    ``paths`` caches the order per operand shapes; ``memo`` holds pair results for one evaluation."""
    if not operands:
        return np.ones(()), True
    if len(operands) == 1:
        return np.asarray(np.einsum(subscripts, operands[0])), False
    key = tuple(o.shape for o in operands)
    if key not in paths:
        inputs, output = subscripts.split("->")
        size = {x: n for labels, o in zip(inputs.split(","), operands, strict=True)
                for x, n in zip(labels, o.shape, strict=True)}
        out_size = math.prod(size[x] for x in output)
        limit = INTERMEDIATE_FACTOR * max(out_size, *(o.size for o in operands))
        how = "optimal" if len(operands) <= OPTIMAL_OPERANDS else "greedy"
        paths[key] = np.einsum_path(subscripts, *operands, optimize=(how, limit))[0]
    return pairwise(subscripts, operands, paths[key], memo)


def pairwise(subscripts: str, operands: Sequence[np.ndarray], path: Sequence, memo: dict | None = None
             ) -> tuple[np.ndarray, bool]:
    """``np.einsum(subscripts, *operands)`` along ``path`` (``np.einsum_path``'s list of steps), and
    whether the result is the caller's to change."""
    memo = {} if memo is None else memo
    inputs, output = subscripts.split("->")
    rank = {x: i for i, x in enumerate(dict.fromkeys(output + inputs.replace(",", "")))}
    ops = [(o, labels, False) for o, labels in zip(operands, inputs.split(","), strict=True)]
    for step in path[1:]:
        picked = [ops[k] for k in step]
        ops = [o for k, o in enumerate(ops) if k not in step]
        keep = set(output).union(*(labels for _, labels, _ in ops))
        if len(picked) != 2:
            ops.append(_einsum(picked, keep, rank))
            continue
        key, names = _pattern(picked, keep)
        if key in memo:  # the same product under other labels: shared, so never changed in place
            value, canonical = memo[key]
            ops = [(o, labels, own and o is not value) for o, labels, own in ops]
            ops.append((value, "".join(names[x] for x in canonical), False))
            continue
        value, labels, _ = _pair(picked, keep, rank)
        if any(value is o for o, _, _ in picked):  # multiplied in place: no longer what the memo says
            for k in [k for k, (v, _) in memo.items() if v is value]:
                del memo[k]
        inverse = {v: k for k, v in names.items()}
        memo[key] = value, "".join(inverse[x] for x in labels)
        ops.append((value, labels, True))
    ((value, labels, own),) = ops
    if own:  # the caller may change it in place: the memo must not hand it out again
        for k in [k for k, (v, _) in memo.items() if v is value]:
            del memo[k]
    return value.transpose([labels.index(x) for x in output]), own


def _pattern(picked: list, keep: set) -> tuple[tuple, dict]:
    """A key for the pair's product up to renaming its labels, and canonical -> current label names."""
    items = sorted(((id(o), la) for o, la, _ in picked), key=lambda t: (t[0], _shape_of(t[1])))
    canonical: dict[str, str] = {}
    for _, la in items:
        for x in la:
            canonical.setdefault(x, chr(ord("a") + len(canonical)))
    key = tuple((i, "".join(canonical[x] for x in la)) for i, la in items)
    kept = "".join(sorted(canonical[x] for x in canonical if x in keep))
    return key + (kept,), {v: k for k, v in canonical.items()}


def _shape_of(labels: str) -> str:
    """The repetition pattern of a label string (``abca`` -> ``abca``, ``xyzx`` -> ``abca``)."""
    first: dict[str, str] = {}
    return "".join(first.setdefault(x, chr(ord("a") + len(first))) for x in labels)


def _einsum(picked: list, keep: set, rank: dict) -> tuple:
    kept = "".join(sorted({x for _, la, _ in picked for x in la if x in keep}, key=rank.__getitem__))
    spec = ",".join(la for _, la, _ in picked) + "->" + kept
    # one operand: einsum may answer with a view of it (a transpose, a diagonal), never ours to change
    return np.asarray(np.einsum(spec, *(o for o, _, _ in picked))), kept, len(picked) > 1


def _pair(picked: list, keep: set, rank: dict) -> tuple:
    (A, la, own_a), (B, lb, own_b) = picked
    shared = set(la) & set(lb)
    if len(set(la)) < len(la) or len(set(lb)) < len(lb) or not (set(la) | set(lb)) <= keep | shared:
        return _einsum(picked, keep, rank)  # a diagonal, or a label summed inside one operand
    contracted = [x for x in la if x in shared and x not in keep]
    if contracted and len(contracted) == len(shared):
        free_a, free_b = [x for x in la if x not in shared], [x for x in lb if x not in shared]
        if free_a and free_b and rank[free_b[0]] < rank[free_a[0]]:
            (A, la, free_a), (B, lb, free_b) = (B, lb, free_b), (A, la, free_a)
            contracted = [x for x in la if x in shared]
        product = _matrix(A, la, free_a, contracted) @ _matrix(B, lb, free_b, contracted).T
        shape = [A.shape[la.index(x)] for x in free_a] + [B.shape[lb.index(x)] for x in free_b]
        return product.reshape(shape), "".join(free_a + free_b), True
    if not contracted and (set(lb) <= set(la) or set(la) <= set(lb)):
        if not set(lb) <= set(la):
            (A, la, own_a), (B, lb, own_b) = (B, lb, own_b), (A, la, own_a)
        small = B.transpose(sorted(range(len(lb)), key=lambda i: la.index(lb[i])))
        small = small.reshape([B.shape[lb.index(x)] if x in lb else 1 for x in la])
        return np.asarray(np.multiply(A, small, out=A if own_a and A.ndim else None)), la, True
    return _einsum(picked, keep, rank)


def _matrix(X: np.ndarray, labels: str, free: list, contracted: list) -> np.ndarray:
    """``X`` as (free entries, contracted entries): a view when those labels are already grouped."""
    rows = math.prod(X.shape[labels.index(x)] for x in free)
    return X.transpose([labels.index(x) for x in free + contracted]).reshape(rows, -1)
