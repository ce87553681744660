"""Independent tasks on local worker processes or a Dask cluster, results in task order.

One runner for every command that fans out (``difflab fuzz``, ``difflab compare/sweep --file``): the
caller makes self-contained tasks (each seeded by its own position, never by where it runs), so
``workers`` and ``scheduler`` only decide *when and where* a task runs, not *what* it computes -- the
same tasks give the same results on one process, K processes or a cluster.

Local workers are spawned (not forked: a fork would copy the parent's threads' locks and its budget
worker's pipes), ignore SIGINT (a Ctrl-C reaches the whole process group; the parent stops them, and a
traceback per worker is not an answer) and are killed, not awaited, when the run is interrupted or a
task raises, so no process outlives the run.
"""

from __future__ import annotations

import contextlib
import signal
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from multiprocessing import get_context
from typing import Any

from difflab.errors import InputError

STOP_SECONDS = 0.5  # how long stopped workers get to exit before they are killed


@dataclass(frozen=True)
class Tick:
    """Progress of a run, as a runner reports it to whoever displays it (a bar, a log line, a test):
    ``done`` tasks of ``total`` finished, ``failed`` of them failed; ``text`` says what just finished,
    or (``done`` 0) where the run goes."""

    done: int
    total: int
    failed: int
    text: str


def _worker_init() -> None:
    """Workers ignore SIGINT (the parent stops them) and die at once on SIGTERM."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


@contextlib.contextmanager
def _sigint_blocked() -> Iterator[None]:
    """SIGINT blocked while workers are spawned: a child inherits the mask, so a Ctrl-C to the process
    group cannot interrupt a worker still importing (before its initializer runs) and print a traceback;
    a SIGINT arriving meanwhile is delivered to this process when the mask is lifted."""
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


def _stop_workers(pool: ProcessPoolExecutor) -> None:
    """Stop every worker now: queued tasks are cancelled, running ones killed (not awaited), so an
    interrupted run leaves no process behind (nor the resource tracker their open pipes keep alive)."""
    processes = list((getattr(pool, "_processes", None) or {}).values())  # the executor's own table
    for p in processes:
        with contextlib.suppress(Exception):
            p.terminate()
    deadline = time.monotonic() + STOP_SECONDS
    for p in processes:
        with contextlib.suppress(Exception):
            p.join(max(0.0, deadline - time.monotonic()))
            if p.is_alive():
                p.kill()
                p.join(STOP_SECONDS)
    pool.shutdown(wait=False, cancel_futures=True)
    # The executor's manager thread closes its queues (their named semaphores) as it sees the workers
    # die; a program that exits right after (cli.entry's interrupted path skips the interpreter's
    # teardown, which would join it) must let it finish, or the resource tracker reports the half-closed
    # semaphore as leaked on the user's terminal.
    manager = getattr(pool, "_executor_manager_thread", None)  # the executor's own thread
    if manager is not None:
        manager.join(STOP_SECONDS)


TRACKER_QUIET = "ignore::UserWarning:multiprocessing.resource_tracker"


def _quiet_tracker() -> None:
    """The resource tracker that multiprocessing starts beside the pool warns on stderr about a
    semaphore it then removes itself, when an interrupted run exits before the executor's manager thread
    has closed its queues (a race under load: one Ctrl-C in six, four lines after "difflab: interrupted").
    Its command line takes this process's ``-W`` options when it starts (``sys.warnoptions`` is read
    then), so the filter is added there; this process's own warnings are untouched."""
    if TRACKER_QUIET not in sys.warnoptions:
        sys.warnoptions.append(TRACKER_QUIET)


def run_local(fn: Callable[..., Any], tasks: Sequence[tuple], workers: int = 1,
              done: Callable[[Any], None] | None = None) -> list[Any]:
    """``fn(*task)`` for every task on ``workers`` spawned processes (in this process when 1); results
    in task order, ``done(result)`` as each finishes. A task that raises stops the run (re-raised)."""
    if workers < 1:
        raise InputError(f"--workers must be at least 1, got {workers}")
    if workers == 1:
        results = []
        for task in tasks:
            results.append(fn(*task))
            if done:
                done(results[-1])
        return results
    _quiet_tracker()
    pool = ProcessPoolExecutor(max_workers=min(workers, max(len(tasks), 1)), mp_context=get_context("spawn"),
                               initializer=_worker_init)
    try:
        with _sigint_blocked():  # workers are started here and inherit the blocked mask
            futures = [pool.submit(fn, *task) for task in tasks]
        for future in as_completed(futures):
            if done:
                done(future.result())
        results = [future.result() for future in futures]
    except BaseException:  # an interruption or a failed task: no worker may outlive the run
        _stop_workers(pool)
        raise
    pool.shutdown(wait=True)
    return results


def run_tasks(fn: Callable[..., Any], tasks: Sequence[tuple], workers: int = 1, scheduler: str | None = None,
              done: Callable[[Any], None] | None = None,
              started: Callable[[int], None] | None = None) -> list[Any]:
    """``fn(*task)`` for every task, on the Dask cluster of ``scheduler`` (an address such as
    ``tcp://host:8786``; ``started(workers)`` once connected) or else on ``workers`` local processes.
    Results in task order whatever order the tasks finished in."""
    if scheduler is None:
        return run_local(fn, tasks, workers, done)
    if not scheduler.strip():
        raise InputError("--scheduler needs the address of a Dask scheduler, e.g. tcp://host:8786")
    from difflab.testing.dask_runner import run_on_dask  # deferred: imports Dask (the optional dask extra)

    return run_on_dask(scheduler.strip(), fn, tasks, done=done, started=started)
