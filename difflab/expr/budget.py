"""A time budget for SymPy calls (limit, series, solveset, factor, simplify) that cannot hang the caller.

Used by the singularity analysis and by ``dl.check``'s symbolic proofs: one mechanism, one place.

Why: ``sympy.limit`` of the second derivative of (t^2-4)/(t-2) at 2 ran for minutes; a compile that
hangs would hang every command and the test suite. The call runs in a daemon thread; the caller waits at
most ``seconds``. When the time is up the worker is *cancelled* too -- an exception is raised inside it
with ``PyThreadState_SetAsyncExc`` (SymPy is pure Python, so it stops at its next bytecode) -- so a
runaway computation does not keep competing for the interpreter lock after we gave up on it.

A ``Budget`` also caps the total spent on one Function, so many slow calls cannot add up either.
"""

from __future__ import annotations

import ctypes
import threading
import time
from collections.abc import Callable
from typing import Any

CALL_SECONDS = 2.0       # one SymPy call
TOTAL_SECONDS = 6.0      # everything the analysis of one Function may spend


class OverBudget(Exception):
    """The SymPy call did not finish in its time budget (it was cancelled)."""


class _Cancelled(BaseException):
    """Raised asynchronously inside a worker whose caller stopped waiting (BaseException: SymPy's
    ``except Exception`` clauses must not swallow it)."""


def _cancel(thread: threading.Thread) -> None:
    if thread.ident is not None:
        ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread.ident), ctypes.py_object(_Cancelled))


def within(seconds: float, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """``fn(*args, **kwargs)`` or ``OverBudget`` after ``seconds``; exceptions of ``fn`` propagate."""
    if seconds <= 0:
        raise OverBudget("no time left in the budget")
    box: dict[str, Any] = {}

    def work() -> None:
        try:
            box["value"] = fn(*args, **kwargs)
        except _Cancelled:
            box["cancelled"] = True
        except BaseException as err:  # noqa: BLE001 -- handed to the caller as is
            box["error"] = err

    worker = threading.Thread(target=work, name="difflab-sympy", daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        # An asynchronous exception can be lost: raised inside a garbage-collection callback that runs
        # in the worker, it is printed and ignored, and the worker computes on. So it is sent again
        # until the worker is gone (or 2 s have passed).
        for _ in range(40):
            _cancel(worker)
            worker.join(0.05)
            if not worker.is_alive():
                break
        name = getattr(fn, "__name__", "sympy call")
        raise OverBudget(f"{name} did not finish within {seconds:g} s")
    if "error" in box:
        raise box["error"]
    return box["value"]


class Budget:
    """Total time for one analysis; each call gets ``min(CALL_SECONDS, what is left)``."""

    def __init__(self, total: float = TOTAL_SECONDS, per_call: float = CALL_SECONDS):
        self.deadline = time.monotonic() + total
        self.per_call = per_call
        self.exceeded: list[str] = []

    def run(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        left = self.deadline - time.monotonic()
        try:
            return within(min(self.per_call, left), fn, *args, **kwargs)
        except OverBudget as err:
            self.exceeded.append(str(err))
            raise
