"""The reverse engine's tape: ``Node`` (a traced value), ``Record`` (what the backward pass needs of one
operation) and ``backward`` (the sweep), driven entirely by the ``vjp`` column of the primitive table.

A ``Node`` is what user code holds (the whole array ``value``); the tape is the list of their ``Record``s
in creation order, so walking it backwards is a topological order.  A record keeps only what the row's
VJPs read (``Rule.saves``, plus a ``Rule.fwd`` residual), so intermediates nobody needs are freed while
the forward pass runs.  Only arguments that are nodes of the current trace get a VJP (a constant data
matrix never receives a gradient), cotangents are added in place once the sum is an array this engine
owns, and nothing else runs per operation.  A value that is itself traced by an outer transform (a
``Box`` of a lower level) is recorded as it is and every VJP runs through ``apply`` on it, so the
cotangents are traced by the outer transform: that is how reverse mode nests under anything.
"""

from __future__ import annotations

import numpy as np

from difflab.numpy import Box, Shaped, apply

DROP_SIZE = 2048  # arrays above this many entries are not kept unless a VJP reads them


class Record:
    """What the backward pass needs of one operation: the rule, the saved arguments and output (only
    those its VJPs read, per ``rule.saves``; shapes stand in for the rest, so dead intermediates are
    freed during the forward pass), the parents' records and the cotangent being accumulated."""

    __slots__ = ("rule", "args", "ans", "kw", "parents", "g", "owned")

    def __init__(self, rule=None, args=(), ans=None, kw=None, parents=()):
        self.rule, self.args, self.ans, self.kw, self.parents = rule, args, ans, kw, parents
        self.g = None
        self.owned = False


class Node(Box):
    """A traced value: the primal ``value`` and its ``Record`` on the tape of trace ``level``."""

    __slots__ = ("rec", "tape")

    def __init__(self, value, level, tape, rec):
        self.value, self.level, self.tape, self.rec = value, level, tape, rec

    def __repr__(self) -> str:
        return f"Node(value={self.value!r}, rule={getattr(self.rec.rule, 'name', None)}, level={self.level})"

    def lift(self, rule, args, kw):
        lvl = self.level
        vals = []
        parents = []
        vjp = rule.vjp
        boxed = False  # does a value still hold an outer trace's box?
        i = 0
        for a in args:
            if type(a) is Node and a.level == lvl:
                a, rec = a.value, a.rec
                if vjp is not None and vjp[i] is not None:
                    parents.append((i, rec))
            if not boxed and isinstance(a, Box):
                boxed = True
            vals.append(a)
            i += 1
        if not parents:
            return apply(rule, *vals, **kw) if boxed else rule.numpy(*vals, **kw)
        saves = rule.saves
        if boxed:
            ans = apply(rule, *vals, **kw)
        elif rule.fwd is not None:
            ans, residual = rule.fwd(*vals, **kw)
            kw = dict(kw, residual=residual)
            saves = "ans"
        else:
            ans = rule.numpy(*vals, **kw)
        rec = Record(rule, vals if "args" in saves else [_drop(v) for v in vals],
                     ans if "ans" in saves else _drop(ans), kw, parents)
        self.tape.append(rec)
        return Node(ans, lvl, self.tape, rec)


def _drop(v):
    """Keep a small value as is; a large array the VJPs do not read is replaced by its shape."""
    return Shaped(v.shape) if type(v) is np.ndarray and v.size > DROP_SIZE else v


def backward(tape: list, seeds: list, keep: bool = False) -> None:
    """Propagate the ``(record, cotangent)`` seeds (one per output of a pytree result) over the tape;
    cotangents are left in ``rec.g``.  Unless ``keep`` (a pullback may run again) records are popped as
    used: their arrays are freed and reused at once."""
    for rec, seed in seeds:
        rec.g = seed if rec.g is None else rec.g + seed
    for rec in (reversed(tape) if keep else _popping(tape)):
        g = rec.g
        if g is None:
            continue
        rec.g = None
        vjps, ans, vals, kw = rec.rule.vjp, rec.ans, rec.args, rec.kw
        for i, p in rec.parents:
            c = vjps[i](g, ans, *vals, **kw)
            pg = p.g
            if pg is None:
                p.g = c
            elif p.owned and type(pg) is np.ndarray and type(c) is np.ndarray and pg.shape == c.shape:
                pg += c
            else:
                p.g = pg + c
                p.owned = True


def _popping(tape: list):
    while tape:
        yield tape.pop()
