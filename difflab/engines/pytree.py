"""Minimal pytrees: nested list/tuple/dict containers of arrays, flattened to leaves and rebuilt.

``dl.grad`` differentiates with respect to a first argument that may be one array or any nesting of
lists, tuples and dicts of arrays (network parameters), and must hand back the same structure; the engines
and the finite-difference route only ever see the flat list of leaves.
"""

from __future__ import annotations

from typing import Any

import numpy as np

Treedef = Any  # ("leaf",) | ("list"|"tuple", [children]) | ("dict", keys, [children])
_LEAF = ("leaf",)


def flatten(tree: Any) -> tuple[list, Treedef]:
    """Leaves in a fixed order (dict keys in insertion order) and the structure to rebuild them."""
    if type(tree) is list and not any(isinstance(c, (list, tuple, dict)) for c in tree):
        return list(tree), ("list", [_LEAF] * len(tree))  # the common case: a flat list of arrays
    leaves: list = []

    def walk(node):
        if isinstance(node, (list, tuple)):
            return ("list" if isinstance(node, list) else "tuple", [walk(c) for c in node])
        if isinstance(node, dict):
            keys = list(node)
            return ("dict", keys, [walk(node[k]) for k in keys])
        leaves.append(node)
        return _LEAF

    return leaves, walk(tree)


def unflatten(treedef: Treedef, leaves: list) -> Any:
    """Inverse of ``flatten`` for a list of new leaves in the same order."""
    if treedef[0] == "list" and all(c is _LEAF for c in treedef[1]):
        return list(leaves)
    it = iter(leaves)

    def build(td):
        kind = td[0]
        if kind == "leaf":
            return next(it)
        if kind == "dict":
            return {k: build(c) for k, c in zip(td[1], td[2], strict=True)}
        children = [build(c) for c in td[1]]
        return children if kind == "list" else tuple(children)

    return build(treedef)


def ravel(tree: Any) -> tuple[np.ndarray, Any]:
    """All leaves concatenated into one float vector, and a function mapping such a vector back to a tree."""
    leaves, treedef = flatten(tree)
    arrays = [np.asarray(leaf, dtype=float) for leaf in leaves]
    shapes = [a.shape for a in arrays]
    sizes = [a.size for a in arrays]
    flat = np.concatenate([a.ravel() for a in arrays]) if arrays else np.zeros(0)

    def unravel(vec):
        out, start = [], 0
        for shp, size in zip(shapes, sizes, strict=True):
            piece = vec[start:start + size]
            out.append(piece.reshape(shp) if shp else piece[0])
            start += size
        return unflatten(treedef, out)

    return flat, unravel
