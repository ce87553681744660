"""The einsum executor (``difflab.matrix.einsum``) against NumPy's own einsum on random contractions:
any labels, repeated labels in one operand (diagonals), labels summed in one operand, shared operands
(the pair memo), outer products, broadcast products, outputs in any order."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from difflab.matrix.einsum import Schedule, contract

SIZES = {"a": 2, "b": 3, "c": 4, "d": 2, "e": 5}


@st.composite
def contractions(draw):
    count = draw(st.integers(1, 5))
    terms = [draw(st.text("abcde", min_size=0, max_size=3)) for _ in range(count)]
    present = sorted(set("".join(terms)))
    output = "".join(draw(st.permutations(present))[: draw(st.integers(0, len(present)))])
    reuse = draw(st.lists(st.booleans(), min_size=count, max_size=count))
    return terms, output, reuse


@given(contractions(), st.integers(0, 2**32 - 1))
@settings(max_examples=150)
def test_contract_equals_numpy_einsum(case, seed):
    terms, output, reuse = case
    rng = np.random.default_rng(seed)
    operands, by_labels = [], {}
    for labels, again in zip(terms, reuse, strict=True):
        shape = tuple(SIZES[x] for x in labels)
        if again and labels in by_labels:  # the same array twice under the same labels: memo territory
            operands.append(by_labels[labels])
        else:
            operands.append(by_labels.setdefault(labels, rng.standard_normal(shape)))
    spec = ",".join(terms) + "->" + output
    before = [o.copy() for o in operands]
    want = np.einsum(spec, *operands)
    got = contract(spec, operands)
    assert got.shape == want.shape
    assert np.allclose(got, want, rtol=1e-12, atol=1e-12 * max(1.0, float(np.max(np.abs(want), initial=0))))
    assert all(np.array_equal(o, b) for o, b in zip(operands, before, strict=True))  # never written to
    again = contract(spec, [o.copy() for o in operands])
    assert np.array_equal(np.asarray(again), np.asarray(got))


def test_a_shared_pair_is_computed_once_and_survives_in_place_products():
    """P[a,k] X[b,k] and P[c,k] X[d,k] (the network Hessian's pattern) times M[a,c]: the pair memo gives
    the second outer product as a relabelled view of the first; the in-place product must not alter it."""
    rng = np.random.default_rng(1)
    P, X, M = rng.standard_normal((3, 7)), rng.standard_normal((2, 7)), rng.standard_normal((3, 3))
    spec = "ak,bk,ck,dk,ac->abcd"
    got = contract(spec, [P, X, P, X, M])
    schedule = Schedule([(spec, [0, 1, 0, 1, 2])], {0: P.shape, 1: X.shape, 2: M.shape})
    assert len(schedule) == 3  # P X (once), the contraction over k, the product with M (in place)
    assert np.allclose(got, np.einsum(spec, P, X, P, X, M), rtol=1e-13, atol=1e-13)
