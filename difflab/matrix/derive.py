"""Derivatives of array expressions as array expressions: reverse sweep, forward sweep, their compositions.

* ``gradient(f, x)``: a scalar ``f``'s gradient, shaped like ``x`` (reverse sweep over the DAG with the
  ``vjp`` rules of ``rules.py``): one formula however large ``x`` is.
* ``jacobian(F, x)``: a vector ``F``'s Jacobian ``dF/dx`` as a matrix formula (forward sweep, ``Batched``).
* ``hessian(f, x)``: the Jacobian of the gradient formula; a matrix formula for a vector ``x`` such as
  ``A.T @ diag(3*(A @ x)**2) @ A + I``.
* ``directional(F, x, V)``: ``dF`` in the direction ``V`` (forward sweep, ``Direct``); for a matrix
  variable the Hessian is given this way, ``H[V] = d(gradient)[V]`` (its matrix form would be a
  4-index tensor).

The Jacobian in matrix notation exists while every intermediate that depends on ``x`` is a scalar or a
vector; otherwise ``NotMatrixForm`` is raised and callers fall back to the directional form.
"""

from __future__ import annotations

from difflab.errors import DifflabError
from difflab.matrix import algebra as a
from difflab.matrix.algebra import Node, postorder
from difflab.matrix.rules import RULES


class NotMatrixForm(DifflabError):
    """The derivative has no matrix-notation form (it needs a tensor of three or more indices)."""


class Direct:
    """Tangents shaped like their nodes: ``d node`` in one direction."""

    def scale(self, w, t, shape):
        return a.mul(w, t)

    def expand(self, t, w, shape):
        return a.mul(w, t)

    def bcast(self, t, shape):
        return a.mul(t, a.ones(shape))

    def left(self, A, t):
        return a.matmul(A, t)

    def right(self, t, B, node):
        return a.matmul(t, B)

    def transpose(self, t, node):
        return a.transpose(t)

    def total(self, t, arg_shape):
        return a.total(t)

    def diag(self, t, node):
        return a.diag(t)

    def inv(self, t, node):
        return a.neg(a.matmul(node, a.matmul(t, node)))

    def outer(self, node, ts):
        u, v = node.args
        return a.add(*[p for p in (None if ts[0] is None else a.outer(ts[0], v),
                                   None if ts[1] is None else a.outer(u, ts[1])) if p is not None])


class Batched:
    """Tangents with one trailing axis of the variable's length: seeded with ``I`` they are Jacobians."""

    def scale(self, w, t, shape):
        return a.mul(w, t) if not shape or not w.shape else a.matmul(a.diag(w), t)

    def expand(self, t, w, shape):
        return a.outer(w, t)

    def bcast(self, t, shape):
        return a.outer(a.ones(shape), t)

    def left(self, A, t):
        return a.matmul(A, t)

    def right(self, t, B, node):
        return a.matmul(a.transpose(B), t) if B.ndim == 2 else a.matmul(B, t)

    def transpose(self, t, node):
        return t

    def total(self, t, arg_shape):
        return a.matmul(a.ones(arg_shape), t) if arg_shape else t

    def _matrix(self, *_):
        raise NotMatrixForm("an intermediate that depends on the variable is a matrix")

    diag = inv = outer = _matrix


def depending(root: Node, var: Node) -> set[int]:
    """Ids of the nodes below ``root`` whose value depends on ``var``."""
    out: set[int] = set()
    for node in postorder(root):
        if node is var or any(id(x) in out for x in node.args):
            out.add(id(node))
    return out


def gradient(f: Node, var: Node) -> Node:
    """Reverse sweep: the gradient of scalar ``f`` with respect to ``var``, shaped like ``var``."""
    if f.shape:
        raise DifflabError(f"the gradient needs a scalar expression; this one has shape {f.shape}")
    dep = depending(f, var)
    if id(f) not in dep:
        return a.zero(var.shape)
    cot: dict[int, Node] = {id(f): a.num(1)}
    for node in reversed(postorder(f)):
        g = cot.pop(id(node), None)
        if g is None or node is var:
            if node is var:
                cot[id(node)] = g
            continue
        rule = RULES[node.op]
        for i, x in enumerate(node.args):
            if id(x) in dep:
                part = rule.vjp[i](node, g)
                cot[id(x)] = a.add(cot[id(x)], part) if id(x) in cot else part
    return cot.get(id(var)) or a.zero(var.shape)


def forward(F: Node, var: Node, seed: Node, lin) -> Node:
    """Forward sweep: the tangent of ``F`` when ``var`` has tangent ``seed``."""
    dep = depending(F, var)
    batched = isinstance(lin, Batched)
    tangents: dict[int, Node | None] = {}
    for node in postorder(F):
        if node is var:
            tangents[id(node)] = seed
        elif id(node) not in dep:
            tangents[id(node)] = None
        else:
            if batched and node.ndim > 1:
                raise NotMatrixForm(f"an intermediate that depends on the variable is a matrix "
                                    f"(shape {a.shape_text(node.shape)})")
            ts = [tangents[id(x)] for x in node.args]
            tangents[id(node)] = RULES[node.op].jvp(node, ts, lin)
    out = tangents[id(F)]
    if out is None:
        return a.zero(F.shape + (var.shape if batched else ()))
    return out


def jacobian(F: Node, var: Node) -> Node:
    """``dF/dvar`` as a formula: shape ``F.shape + var.shape`` (scalar or vector ``var``)."""
    if var.ndim == 0:
        return forward(F, var, a.num(1), Direct())
    if var.ndim == 1 and F.ndim <= 1:
        return forward(F, var, a.eye(var.shape[0]), Batched())
    raise NotMatrixForm(f"the Jacobian of a {a.shape_text(F.shape)} expression with respect to a "
                        f"{a.shape_text(var.shape)} array has more than two indices")


def hessian(f: Node, var: Node) -> Node:
    """The Hessian of scalar ``f`` as a matrix formula (``NotMatrixForm`` for a matrix variable)."""
    return jacobian(gradient(f, var), var)


def directional(F: Node, var: Node, direction: Node) -> Node:
    """``dF`` when ``var`` moves along ``direction`` (same shape as ``var``)."""
    return forward(F, var, direction, Direct())
