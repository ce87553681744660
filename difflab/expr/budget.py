"""Hard time and memory limits for work that can run away: SymPy limits/series/simplification and the
mpmath reference. One mechanism, one place; the singularity analysis, ``dl.check``'s proofs and the
reference all go through :func:`within` (or a :class:`Budget`, which shares a total between calls).

Why a process, not a thread: the previous design ran the call in a thread and cancelled it with an
asynchronous exception. That cannot stop SymPy while it holds the interpreter lock inside one big-integer
multiplication (``cosh(x)**(10**300)`` at a point ran 45 s past a 0.5 s budget and reached 16 GB), and
the exception could land in whatever Python code the worker ran next -- under pytest, in Hypothesis's
garbage-collection callback (``PytestUnraisableExceptionWarning: _Cancelled``). A child process is
stopped for certain: at the deadline it gets SIGKILL. Its address space is capped with
``RLIMIT_AS`` (``memory`` bytes *beyond* what the parent had mapped at the fork, default 1 GiB:
the parent's own mapping -- NumPy, OpenBLAS arenas -- is inherited and is not the work's), so a
runaway allocation ends in a MemoryError inside the child instead of swapping the machine. It also
gets ``PR_SET_PDEATHSIG`` so it cannot outlive a killed parent, and ignores SIGINT (the parent is
interrupted and kills it).

Why a *warm* worker: a fresh fork per call measured 24 ms (trivial call, 2 loaded cores) and 220 ms for
``limit(sin(x)/x)``, because a fresh child starts every call with SymPy's cache as it was at the fork.
One forked worker is therefore kept and reused: a task is pickled to it, it runs with the worker's
warm SymPy cache, and the result is pickled back (``limit(sin(x)/x)`` measured 3.5 ms a call, against
113 ms in a one-shot fork; same machine, same load). The worker is replaced only after it was
killed (deadline) or ran out of memory. A task that cannot be pickled (a closure) runs in a one-shot
fork, which inherits it. Nothing runs in-process "because it looks cheap": SymPy's cost is not sized
by the expression (the second derivative limit of (t^2-4)/(t-2) at 2 once ran for minutes), so the only
cheap-call optimisation is the warm worker. Inside a worker, nested calls use one-shot forks bounded by
the enclosing task's deadline.
"""

from __future__ import annotations

import atexit
import contextlib
import math
import os
import pickle
import resource
import select
import signal
import struct
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from difflab.errors import InputError

CALL_SECONDS = 2.0          # one SymPy call
TOTAL_SECONDS = 6.0         # everything the analysis of one Function may spend
MEMORY_BYTES = 1 << 30      # address space a worker may add to what it inherited
_HEADER = struct.Struct("!Q")


class OverBudget(Exception):
    """The call did not finish within its time budget or memory cap (the worker was stopped)."""


_settings: dict[str, float] = {"call": CALL_SECONDS, "total": TOTAL_SECONDS, "memory": float(MEMORY_BYTES)}
_deadline: float | None = None     # inside a worker: the enclosing task's deadline
_in_worker = False


def check_seconds(value: Any, what: str = "budget") -> float:
    """A finite number of seconds >= 0, or an ``InputError`` in words (inf or nan would make every
    bounded step "over budget" and leave only weaker routes, silently)."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
        raise InputError(f"{what} must be a finite number of seconds >= 0, got {value!r}")
    return float(value)


def settings() -> dict[str, float]:
    """The current limits: ``call`` and ``total`` seconds, ``memory`` bytes."""
    return dict(_settings)


@contextlib.contextmanager
def limits(seconds: float | None = None, memory_mb: float | None = None) -> Iterator[None]:
    """Use ``seconds`` as the budget of every bounded step in the block (one SymPy call, one analysis,
    one reference evaluation) and ``memory_mb`` as each worker's memory cap. The CLI's ``--budget``."""
    saved = dict(_settings)
    if seconds is not None:
        s = check_seconds(seconds)
        _settings.update(call=s, total=max(s, 3 * s))
    if memory_mb is not None:
        if isinstance(memory_mb, bool) or not isinstance(memory_mb, int | float) \
                or not math.isfinite(memory_mb) or memory_mb < 64:
            raise InputError(f"memory cap must be a finite number of megabytes >= 64, got {memory_mb!r}")
        _settings["memory"] = float(memory_mb) * (1 << 20)
    try:
        yield
    finally:
        _settings.clear()
        _settings.update(saved)


# ---------------------------------------------------------------------------------------------------
# the worker process


def _vm_size() -> int | None:
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def _become_worker(memory: float, deadline: float) -> None:
    """Set up a freshly forked child: limits, signals, no inherited worker."""
    global _warm, _in_worker, _deadline
    _warm, _in_worker, _deadline = None, True, deadline
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    with contextlib.suppress(Exception):  # Linux only: die with the parent
        import ctypes  # deferred: only a worker needs prctl

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    base = _vm_size()
    if base is not None:
        cap = int(base + memory)
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_AS, (cap, cap))


def _send(fd: int, payload: bytes) -> None:
    data = _HEADER.pack(len(payload)) + payload
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _result(fn: Callable, args: tuple, kwargs: dict) -> tuple[bytes, str]:
    """The pickled outcome of one task and its kind ("ok", "error" or "memory")."""
    try:
        outcome: tuple = ("ok", fn(*args, **kwargs))
    except MemoryError:
        outcome = ("memory", None)
    except BaseException as err:  # noqa: BLE001 -- handed to the caller
        outcome = ("error", err)
    try:
        return pickle.dumps(outcome), outcome[0]
    except Exception:  # noqa: BLE001 -- an unpicklable value or exception: say what it was
        what = outcome[1]
        return pickle.dumps(("error", RuntimeError(f"{type(what).__name__}: {what}"))), "error"


def _read_exact(fd: int, n: int, deadline: float) -> bytes | None:
    """``n`` bytes from ``fd`` before ``deadline`` (None: time is up; b'' short: the writer died)."""
    chunks, got = [], 0
    while got < n:
        left = None if deadline == math.inf else deadline - time.monotonic()
        if left is not None and left <= 0:
            return None
        ready, _, _ = select.select([fd], [], [], left)
        if not ready:
            return None
        chunk = os.read(fd, min(n - got, 1 << 20))
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


class _Worker:
    """One child process; ``task`` given: it runs that once and exits, else it serves pickled tasks."""

    def __init__(self, deadline: float, task: tuple | None = None):
        memory = _settings["memory"]
        down_r, down_w = os.pipe()
        up_r, up_w = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child
            code = 0
            try:
                os.close(down_w)
                os.close(up_r)
                _become_worker(memory, deadline)
                if task is not None:
                    _send(up_w, _result(*task)[0])
                else:
                    _serve(down_r, up_w)
            except BaseException:  # noqa: BLE001 -- a child never returns into the parent's code
                code = 1
            finally:
                os._exit(code)
        os.close(down_r)
        os.close(up_w)
        self.pid, self.to_child, self.from_child = pid, down_w, up_r

    def submit(self, payload: bytes) -> None:
        _send(self.to_child, payload)

    def receive(self, deadline: float) -> tuple | None:
        """The pickled outcome, ``None`` at the deadline, or ("died", status) when the child is gone."""
        header = _read_exact(self.from_child, _HEADER.size, deadline)
        if header is None:
            return None
        if len(header) == _HEADER.size:
            body = _read_exact(self.from_child, _HEADER.unpack(header)[0], deadline)
            if body is None:
                return None
            if len(body) == _HEADER.unpack(header)[0]:
                return pickle.loads(body)
        return ("died", self.stop())

    def stop(self) -> int:
        """SIGKILL (idempotent) and reap; the wait status."""
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGKILL)
        status = 0
        with contextlib.suppress(ChildProcessError):
            status = os.waitpid(self.pid, 0)[1]
        for fd in (self.to_child, self.from_child):
            with contextlib.suppress(OSError):
                os.close(fd)
        return status


def _serve(down: int, up: int) -> None:
    while True:
        header = _read_exact(down, _HEADER.size, math.inf)
        if not header or len(header) < _HEADER.size:
            return
        body = _read_exact(down, _HEADER.unpack(header)[0], math.inf)
        fn, args, kwargs, deadline = pickle.loads(body)
        global _deadline
        _deadline = deadline
        out, kind = _result(fn, args, kwargs)
        _send(up, out)
        if kind == "memory":
            return  # after a MemoryError the worker's state is not to be trusted


_warm: _Worker | None = None
_warm_lock = threading.Lock()


def _drop_warm() -> None:
    global _warm
    if _warm is not None:
        _warm.stop()
        _warm = None


def _forget_warm() -> None:
    """In any forked child (a fuzz worker, our own workers): the parent's warm worker is not ours to
    use -- two processes on one pipe would mix their tasks -- so drop the inherited handles."""
    global _warm, _warm_lock
    if _warm is not None:
        for fd in (_warm.to_child, _warm.from_child):
            with contextlib.suppress(OSError):
                os.close(fd)
    _warm, _warm_lock = None, threading.Lock()


atexit.register(_drop_warm)
os.register_at_fork(after_in_child=_forget_warm)


def _run(fn: Callable, args: tuple, kwargs: dict, seconds: float) -> Any:
    global _warm
    deadline = time.monotonic() + seconds
    name = getattr(fn, "__name__", None) or type(fn).__name__
    try:
        payload = pickle.dumps((fn, args, kwargs, deadline))
    except Exception:  # noqa: BLE001 -- a closure: a one-shot fork inherits it instead
        payload = None
    use_warm = payload is not None and not _in_worker and _warm_lock.acquire(blocking=False)
    worker = None
    try:
        if use_warm:
            if _warm is None:
                _warm = _Worker(math.inf)
            worker = _warm
            worker.submit(payload)
        else:
            worker = _Worker(deadline, (fn, args, kwargs))
        outcome = worker.receive(deadline)
        if outcome is None or outcome[0] in ("died", "memory"):
            worker.stop()
            if use_warm:
                _warm = None
    except BaseException:  # interrupted (SIGINT/SIGTERM) or a failed fork: no worker survives us
        if worker is not None:
            worker.stop()
            if use_warm:
                _warm = None
        raise
    finally:
        if use_warm:
            _warm_lock.release()
    if not use_warm:
        worker.stop()
    if outcome is None:
        raise OverBudget(f"{name} did not finish within {seconds:g} s (stopped)")
    kind, value = outcome
    if kind == "ok":
        return value
    if kind == "error":
        raise value
    mb = _settings["memory"] / (1 << 20)
    if kind == "memory":
        raise OverBudget(f"{name} ran out of its memory cap ({mb:g} MB) and was stopped")
    code = os.waitstatus_to_exitcode(value)
    how = f"signal {-code}" if code < 0 else f"exit status {code}"
    raise OverBudget(f"{name} stopped its worker ({how}; the memory cap is {mb:g} MB)")


def within(seconds: float, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """``fn(*args, **kwargs)`` run in a worker process, or ``OverBudget`` after ``seconds`` (the worker
    is then killed) or when it exceeds the memory cap; exceptions of ``fn`` propagate."""
    if _deadline is not None:
        seconds = min(seconds, _deadline - time.monotonic())
    if not seconds > 0:
        raise OverBudget("no time left in the budget")
    return _run(fn, args, kwargs, seconds)


class Budget:
    """Total time for one analysis; each call gets ``min(call seconds, what is left)``.

    The totals are read from :func:`limits` when the Budget is made (so ``--budget`` reaches it)."""

    def __init__(self, total: float | None = None, per_call: float | None = None):
        self.deadline = time.monotonic() + (_settings["total"] if total is None else total)
        self.per_call = _settings["call"] if per_call is None else per_call
        self.exceeded: list[str] = []

    def run(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        left = self.deadline - time.monotonic()
        try:
            return within(min(self.per_call, left), fn, *args, **kwargs)
        except OverBudget as err:
            self.exceeded.append(str(err))
            raise
