"""A recorded gradient computation as a straight-line program of row kernels, replayed on new inputs.

``engines.replay`` records a function's forward pass and then its reverse pass (the rows' VJPs run on
traced values, so every operation they do is recorded too) into ``Step``s: which kernel ran on which
slots of an environment (inputs, constants, earlier results) with which static parameters.  ``Program``
runs that list on new inputs: one loop of NumPy calls -- no traced objects, no dispatch, no tape, no
VJP Python.

Memory, as the caching allocators of JAX and PyTorch manage it: every value is dropped right after its
last reader; from the second call on, every large float64 result of a ufunc kernel (``np.add``,
``np.matmul``, ...) is written (``out=``) into a buffer kept by the program and handed from one dead
intermediate to the next of its shape (``plan_buffers``), so a network's intermediates stop costing
fresh pages on every call.  Nothing handed to the user is such a buffer or a view of one (outputs are
never buffered; a view is copied), and a second thread replaying the same program meanwhile runs
without buffers, so no call overwrites what another still reads.  An output that depends on constants
only (a gradient folded to a constant while recording) is copied on every call, so changing it in
place cannot change the program.
"""

from __future__ import annotations

import threading
from typing import NamedTuple

import numpy as np

BUFFER_SIZE = 2048  # results with at least this many entries are written into kept buffers


class Step(NamedTuple):
    """``env[out] = kernel(*env[ins], **kw)``; with ``res`` the kernel returns ``(ans, residual)`` and
    the residual goes to ``env[res]``.  ``parents``: the (argument index, slot) pairs that carry a
    gradient (empty for steps of the reverse pass); ``rule``: the row."""

    rule: object
    kernel: object
    ins: tuple
    kw: dict
    out: int
    res: int | None
    parents: tuple


class Program:
    """The replayable form of one trace: ``template`` is the environment with constants filled in,
    ``inputs`` the slots of the argument leaves (flattening order); ``outputs`` the slots of the loss,
    the gradient leaves (None: no path from the argument to the loss, a zero gradient) and the auxiliary
    leaves.  ``shapes`` gives a zero gradient its shape."""

    def __init__(self, steps: list[Step], template: list, inputs: list[int], outputs: list, shapes: dict):
        self.template, self.inputs, self.outputs, self.shapes = list(template), inputs, outputs, shapes
        last = {}  # slot -> index of the last step reading it (its value is dropped after that step)
        for k, s in enumerate(steps):
            for i in s.ins:
                last[i] = k
        keep = set(outputs) | set(inputs) | {i for i, v in enumerate(template) if v is not None}
        dead: list[list] = [[] for _ in steps]
        for i, k in last.items():
            if i not in keep:
                dead[k].append(i)
        self.plain = [(s.kernel, s.ins, s.kw, s.out, s.res, tuple(d))
                      for s, d in zip(steps, dead, strict=True)]
        computed = set(inputs) | {s.out for s in steps} | {s.res for s in steps}
        self.constant = {k for k, s in enumerate(outputs) if s is not None and s not in computed}
        self.buffered: list | None = None  # the same steps writing into kept arrays, after a first call
        self.kept: set[int] = set()  # ids of the buffers
        self.shared: set[int] = set()  # output slots that may share memory with a buffer: copied
        self.lock = threading.Lock()

    def run(self, leaves: list) -> list:
        """The outputs (loss, gradient leaves, auxiliary leaves) at new argument leaves (same signature)."""
        mine = self.lock.acquire(blocking=False)
        try:
            first = mine and self.buffered is None
            steps = self.buffered if mine and not first else self.plain
            env = self.template[:]
            for slot, leaf in zip(self.inputs, leaves, strict=True):
                env[slot] = leaf
            seen = {} if first else None
            for kernel, ins, kw, out, res, dead in steps:
                if res is None:
                    env[out] = kernel(*[env[s] for s in ins], **kw)
                else:
                    env[out], env[res] = kernel(*[env[s] for s in ins], **kw)
                    if first:
                        seen[res] = env[res]
                if first:
                    seen[out] = env[out]
                for s in dead:
                    env[s] = None
            if first:
                self.buffered, self.shared = plan_buffers(self.plain, seen, set(self.outputs))
                self.kept = {id(t[2]["out"]) for t in self.buffered if "out" in t[2]}
            copied = self.shared
            return [np.zeros(self.shapes[k]) if s is None else
                    np.array(env[s]) if (k in self.constant or s in copied) and isinstance(env[s], np.ndarray)
                    else self._handed(env[s]) for k, s in enumerate(self.outputs)]
        finally:
            if mine:
                self.lock.release()

    def _handed(self, v):
        """An output as the user may keep it: a view of a buffer is copied (the next call rewrites it) --
        found by its base here, and by ``np.may_share_memory`` when the buffers were planned."""
        if type(v) is np.ndarray and (id(v) in self.kept or id(v.base) in self.kept):
            return v.copy()
        return v


def plan_buffers(steps: list, seen: dict, outputs: set) -> tuple[list, set]:
    """The steps again, large float64 ufunc results written into buffers shared like a stack allocator
    would: a buffer goes back to the pool after the last step that reads it -- or reads anything that
    may share its memory (a transpose, a reshape, a broadcast of it: ``np.may_share_memory``, which errs
    on the side of sharing) -- and is handed to the next result of its shape.  Buffers are the arrays
    the first call produced; what may share memory with an output is never given away within a call,
    and those output slots are returned too (the program copies them on every call)."""
    owned, end = {}, {}  # candidate slot -> its array, and the last step that needs its memory
    for k, (kernel, _ins, kw, out, res, _dead) in enumerate(steps):
        v = seen.get(out)
        if (isinstance(kernel, np.ufunc) and res is None and out not in outputs and "out" not in kw
                and type(v) is np.ndarray and v.dtype == np.float64 and v.size >= BUFFER_SIZE
                and v.base is None and v.flags.c_contiguous):
            owned[out], end[out] = v, k
    shared = set()
    for c, a in owned.items():
        holders = {s for s, v in seen.items() if type(v) is np.ndarray and np.may_share_memory(v, a)}
        shared |= holders & outputs
        end[c] = len(steps) if holders & outputs else max([end[c]] + [k for k, step in enumerate(steps)
                                                                       if holders.intersection(step[1])])
    pool: dict = {}
    assigned, donated, planned = {}, set(), []
    for k, (kernel, ins, kw, out, res, dead) in enumerate(steps):
        if out in owned:
            a = owned[out]
            # an elementwise kernel writes over an argument whose memory dies here (cache-warm, as
            # ``z += b`` would; NumPy handles the overlap), else takes a free buffer of its shape
            mine = [i for i in ins if i in assigned and end[i] == k and i not in donated
                    and assigned[i].shape == a.shape] if kernel.signature is None else []
            free = pool.get((a.shape, a.dtype.str))
            buf = assigned[mine[0]] if mine else free.pop() if free else a
            donated.update(mine[:1])
            assigned[out] = buf
            kw = {**kw, "out": buf}
        planned.append((kernel, ins, kw, out, res, dead))
        for c in owned:
            if end[c] == k and c not in donated:
                buf = assigned[c]
                pool.setdefault((buf.shape, buf.dtype.str), []).append(buf)
    return planned, shared
