"""Recording a function for replay: ``Tracer`` (what the function sees) and ``Recorder`` (the steps).

The forward pass is recorded as the function runs on ``Tracer``s (``Box`` subclasses, so every
operation reaches ``Recorder.record`` through the table's ``apply``); ``Recorder.pullback`` then runs
the rows' VJPs on the recorded values -- they are written with differentiable operations, so on tracers
every operation they do is recorded too -- in the tape's order, which makes the reverse pass steps of
the same program.  Any conversion of a traced value to a Python value refuses the trace (``refuse``
raises ``Refused``): the rows applied would then depend on values, and a replay would be wrong.  So does
a row called with the wrong number of arguments or returning something other than an array: the shape
of every recorded result must follow from its arguments' shapes and parameters (``np.where(c)`` alone
returns indices whose number depends on values).
"""

from __future__ import annotations

import numpy as np

from difflab.engines.forward import new_level
from difflab.engines.program import Step
from difflab.engines.signature import holds_box
from difflab.numpy import Box

__all__ = ["Recorder", "Refused", "Tracer"]

_ARRAYS = (np.ndarray, np.generic, float, int, complex)  # a recorded row's result: its shape is static


class Refused(Exception):
    """Raised inside a trace that cannot be replayed; the tape takes over."""


class Recorder:
    """One trace being recorded: the environment's template (constants; None for computed slots), the
    steps, the traced value of every slot, and why the trace cannot be replayed (None while it can).
    ``forward``: the forward pass is being recorded (afterwards no step has parents: the reverse pass
    is recorded, not differentiated)."""

    def __init__(self):
        self.level, self.template, self.steps, self.tracers = new_level(), [], [], {}
        self.refused, self.forward = None, True

    def slot(self, value=None) -> int:
        self.template.append(value)
        return len(self.template) - 1

    def tracer(self, value, active: bool) -> Tracer:
        t = Tracer(value, self, self.slot(), active)
        self.tracers[t.slot] = t
        return t

    def refuse(self, why: str):
        if self.refused is None:
            self.refused = why
        raise Refused(why)

    def record(self, rule, args, kw) -> Tracer:
        ins, vals, parents = [], [], []
        vjp = rule.vjp if self.forward else None
        for i, a in enumerate(args):
            if type(a) is Tracer and a.recorder is self:
                ins.append(a.slot)
                vals.append(a.value)
                if a.active and vjp is not None and vjp[i] is not None:
                    parents.append((i, a.slot))
            else:
                if holds_box(a):
                    self.refuse(f"a traced value of another transform reached {rule.name} (a closure)")
                ins.append(self.slot(a))
                vals.append(a)
        if holds_box(kw):
            self.refuse(f"a traced value was used as a parameter of {rule.name} (an index or a shape "
                        "that depends on values)")
        if rule.arity >= 0 and len(args) != rule.arity:  # np.where(c) alone is nonzero: shapes from values
            self.refuse(f"{rule.name} called with {len(args)} arguments instead of {rule.arity}")
        if parents and rule.fwd is not None:
            ans, residual = rule.fwd(*vals, **kw)
            res = self.tracer(residual, False).slot
            kernel = rule.fwd
        else:
            ans, res, kernel = rule.numpy(*vals, **kw), None, rule.numpy
        if not isinstance(ans, _ARRAYS):
            self.refuse(f"{rule.name} returned a {type(ans).__name__}, not an array")
        out = self.tracer(ans, bool(parents))
        self.steps.append(Step(rule, kernel, tuple(ins), kw, out.slot, res, tuple(parents)))
        return out

    def pullback(self, loss: Tracer, wrt: list[int]) -> list:
        """Record the reverse pass: the tape's VJP calls in the tape's order (steps last to first, each
        step's differentiable arguments in order, cotangents summed as they arrive), on traced values.
        Returns the gradient of each ``wrt`` slot (a Tracer, a constant, or None: no path)."""
        self.forward = False
        cot = {loss.slot: 1.0}
        for step in reversed(list(self.steps)):
            g = cot.pop(step.out, None)
            if g is None or not step.parents:
                continue
            args = [self.tracers.get(s, self.template[s]) for s in step.ins]
            kw = step.kw if step.res is None else {**step.kw, "residual": self.tracers[step.res]}
            ans, vjps = self.tracers[step.out], step.rule.vjp
            for i, p in step.parents:
                c = vjps[i](g, ans, *args, **kw)
                cot[p] = c if p not in cot else cot[p] + c
        return [cot.get(s) for s in wrt]

    def output(self, v) -> int:
        """The slot of an output: its tracer's, or a new constant's."""
        if type(v) is Tracer and v.recorder is self:
            return v.slot
        if holds_box(v):
            self.refuse("an output holds a traced value of another transform")
        return self.slot(v)


class Tracer(Box):
    """A value seen by the function during a trace: its value now, and its slot in the program.
    ``active``: it depends on the differentiated argument."""

    __slots__ = ("recorder", "slot", "active")

    def __init__(self, value, recorder: Recorder, slot: int, active: bool):
        self.value, self.level, self.recorder, self.slot, self.active = value, recorder.level, recorder, \
            slot, active

    def lift(self, rule, args, kw):
        return self.recorder.record(rule, args, kw)

    def __repr__(self) -> str:
        return f"Tracer(value={self.value!r}, slot={self.slot})"

    def _concrete(self, what: str):
        self.recorder.refuse(f"{what} of a traced value (what the function does would depend on it)")

    def concrete(self):
        self._concrete("a decision taken on the plain value")  # a max's ties, a sort order, a nan test

    def __bool__(self):
        self._concrete("bool()")

    def __float__(self):
        self._concrete("float()")

    def __int__(self):
        self._concrete("int()")

    def __index__(self):
        self._concrete("use as an index")

    def __complex__(self):
        self._concrete("complex()")

    def __array__(self, dtype=None, copy=None):
        self._concrete("conversion to a NumPy array")
