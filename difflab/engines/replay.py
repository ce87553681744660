"""Record once, replay after: reverse-mode gradients without a tape (``dl.value_and_grad(fn, replay=True)``).

Why: on a small network most of a taped gradient is Python -- a ``Node`` and a ``Record`` per
operation, dispatch through the operator protocols, the VJP rules' shape bookkeeping, the tape walk --
not arithmetic.  JAX's ``jit`` removes it by tracing the function once; this does the same for the
reverse engine: the first call at an input signature (``engines.signature``: pytree structure, array
shapes, dtypes and strides, values of Python scalars) runs the function on tracers and then the rows'
VJPs in the tape's order (``engines.recorder``); later calls run the recorded kernels, forward and
backward, as one straight-line program on plain arrays (``engines.program``).  The kernels are the ones
the tape runs, on the same values, summed in the same order, so the numbers are the taped ones bit for
bit -- except that a row whose VJP has a separate form for traced values (tanh, inverse trigonometric
rows, sigmoid without its kept residual: the forms that can be differentiated again) replays that
form, equal to the plain one to a few ulps.

Safety: a replay is right only if the rows the function applies cannot depend on the values.  Every
way a traced value becomes a Python value -- ``bool()`` (an ``if`` on a comparison), ``float()``,
``int()``, use as an index or a shape, conversion to a NumPy array -- refuses the trace, and so does
an exception while tracing, a traced value of an outer transform reaching the trace (a closure inside
another ``dl.grad``), or a loss that does not depend on the differentiated argument: that function is
then differentiated with the ordinary tape on every call (``ReplayWarning`` says why, once).  Every
array argument is an input of the trace (a new ``X`` is read, never a stale one); what the function
reads from elsewhere -- globals, closed-over arrays, random draws -- is frozen into the trace as it was,
the same promise of purity JAX's ``jit`` asks for.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

import numpy as np

from difflab.engines import pytree
from difflab.engines.program import Program
from difflab.engines.recorder import Recorder, Refused, Tracer
from difflab.engines.signature import call_key

MAX_SIGNATURES = 16  # programs kept per function (a Python float argument that changes retraces)


class ReplayWarning(UserWarning):
    """A function asked to be replayed is differentiated with a tape instead (the reason in words)."""


class Replay:
    """The programs of one replayed function, by input signature.  ``fn(args, kw) -> (loss, aux)``."""

    def __init__(self, fn: Callable, name: str):
        self.fn, self.name, self.programs, self.traces = fn, name, {}, 0
        self.refused: str | None = None  # why the function is not replayed (then every call is taped)
        self._pending: str | None = None

    def __call__(self, args: tuple, kw: dict, wrt: list[int]):
        """``(loss, aux, gradient per wrt position)``, or None: the caller differentiates with a tape."""
        if self.refused is not None:
            return None
        key, leaves = call_key(args, kw, wrt)
        if key is None:
            return None  # traced arguments (an outer transform) or objects a signature cannot hold
        entry = self.programs.get(key)
        if entry is None:
            entry = self._trace(args, kw, wrt)
            if entry is None:
                return None
            if len(self.programs) >= MAX_SIGNATURES:
                del self.programs[next(iter(self.programs))]
            self.programs[key] = entry
        program, grad_defs, aux_def = entry
        with np.errstate(all="ignore"):
            outs = program.run(leaves)
        grads, start = [], 1
        for treedef, n in grad_defs:
            grads.append(pytree.unflatten(treedef, outs[start:start + n]))
            start += n
        return outs[0], pytree.unflatten(aux_def, outs[start:]), grads

    def confirm(self) -> None:
        """The tape succeeded where tracing raised: the function is not replayable (a NumPy function
        without a row on a traced value, a method only arrays have ...), from now on."""
        if self._pending is not None and self.refused is None:
            self._refuse(self._pending)

    def _refuse(self, why: str) -> None:
        self.refused = why
        warnings.warn(f"{self.name}(replay=True): not replayed ({why}); every call records a tape",
                      ReplayWarning, stacklevel=4)

    def _trace(self, args, kw, wrt):
        rec = Recorder()
        inputs, wrt_slots, grad_defs = [], [], []

        def traced(tree, active):
            leaves, treedef = pytree.flatten(tree)
            out = []
            for leaf in leaves:
                if active or type(leaf) is np.ndarray or isinstance(leaf, np.generic):
                    leaf = rec.tracer(np.asarray(leaf, dtype=float) if active else leaf, active)
                    inputs.append(leaf.slot)
                    if active:
                        wrt_slots.append(leaf.slot)
                out.append(leaf)
            if active:
                grad_defs.append((treedef, len(leaves)))
            return pytree.unflatten(treedef, out)

        targs = tuple(traced(a, i in wrt) for i, a in enumerate(args))
        tkw = traced(kw, False)
        self.traces += 1
        self._pending = None
        try:
            with np.errstate(all="ignore"):
                loss, aux = self.fn(targs, tkw)
                if not (type(loss) is Tracer and loss.recorder is rec and loss.active):
                    rec.refuse("the loss does not depend on the differentiated argument")
                grads = rec.pullback(loss, wrt_slots)
                aux_leaves, aux_def = pytree.flatten(aux)
                outputs = [loss.slot] + [None if g is None else rec.output(g) for g in grads] \
                    + [rec.output(a) for a in aux_leaves]
        except Refused:
            self._refuse(rec.refused)
            return None
        except Exception as exc:  # noqa: BLE001 - the tape runs the function again and says what is wrong
            self._pending = f"tracing raised {type(exc).__name__}: {exc}"
            return None
        if rec.refused is not None:  # the function caught the refusal and went on
            self._refuse(rec.refused)
            return None
        shapes = {1 + k: np.shape(rec.tracers[s].value) for k, s in enumerate(wrt_slots)}
        return Program(rec.steps, rec.template, inputs, outputs, shapes), grad_defs, aux_def


__all__ = ["MAX_SIGNATURES", "Replay", "ReplayWarning"]
