"""The ``difflab fuzz`` runner: every named property, N examples each, shrunk failures, worker processes.

Each property's examples are split into fixed chunks (``CHUNK`` examples, each chunk with its own seed
derived from the run's seed, the property name and the chunk number), so a run is reproducible and
gives the same answer with any number of workers: ``--workers`` only decides how many chunks run at
once.  Within a chunk Hypothesis drives the search; on a failure it stops, shrinks, and replays the
minimal failing case last, which is the one recorded (the check wrapper keeps the latest failure).

``passed`` counts examples that held before any failure; ``failed`` counts chunks that found a
failure (each reports one shrunk counterexample, and two chunks may shrink to the same one: failures
are deduplicated by property, expression and point).

>>> from difflab.testing.fuzz_runner import run_fuzz
>>> report = run_fuzz(examples=3, seed=1, properties=["exact-gradients-agree"])
>>> report["examples"], report["properties"]["exact-gradients-agree"]["failed"], report["failures"]
(3, 0, [])
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
import warnings
import zlib
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from multiprocessing import get_context
from typing import Any

from difflab.errors import InputError, MissingExtra

CHUNK = 50
STORAGE_ENV = "HYPOTHESIS_STORAGE_DIRECTORY"
STOP_SECONDS = 0.5  # how long stopped workers get to exit before they are killed


@contextlib.contextmanager
def private_hypothesis_storage() -> Iterator[None]:
    """Hypothesis keeps caches (constants found in the source, ...) in ``./.hypothesis`` even with no
    example database; a command must write nothing outside its output, so they go to a temporary folder
    (inherited by spawned workers through the environment) that is removed at the end."""
    from hypothesis import configuration  # deferred: Hypothesis is optional (the test extra)

    folder = tempfile.mkdtemp(prefix="difflab-hypothesis-")
    saved = os.environ.get(STORAGE_ENV)
    os.environ[STORAGE_ENV] = folder
    configuration.set_hypothesis_home_dir(folder)
    try:
        yield
    finally:
        configuration.set_hypothesis_home_dir(saved)
        if saved is None:
            os.environ.pop(STORAGE_ENV, None)
        else:
            os.environ[STORAGE_ENV] = saved
        shutil.rmtree(folder, ignore_errors=True)


_cluster_lock = threading.Lock()
_cluster_storage: dict[str, Any] = {"chunks": 0, "folder": None}


def run_chunk_on_cluster(name: str, examples: int, seed: int) -> dict[str, Any]:
    """``run_chunk`` in a cluster worker, which the client's environment does not reach: Hypothesis'
    caches go to a private temporary folder, not the worker's cwd.  One folder per worker process while
    any of its chunks runs (threads of a worker share it, so none swaps it under another), removed when
    the last one ends."""
    from hypothesis import configuration  # deferred: Hypothesis is optional (the test extra)

    with _cluster_lock:
        if _cluster_storage["chunks"] == 0:
            folder = tempfile.mkdtemp(prefix="difflab-hypothesis-")
            os.environ[STORAGE_ENV] = folder
            configuration.set_hypothesis_home_dir(folder)
            _cluster_storage["folder"] = folder
            # A worker's other threads (heartbeats) draw from `random`; Hypothesis takes that for a
            # strategy using it and warns per example. The draws themselves come from the chunk's seed.
            warnings.filterwarnings("ignore", message="Do not use the `random` module inside strategies")
        _cluster_storage["chunks"] += 1
    try:
        return run_chunk(name, examples, seed)
    finally:
        with _cluster_lock:
            _cluster_storage["chunks"] -= 1
            if _cluster_storage["chunks"] == 0:
                shutil.rmtree(_cluster_storage["folder"], ignore_errors=True)


def _worker_init() -> None:
    """Workers ignore SIGINT (a Ctrl-C reaches the whole process group; the parent stops them, and a
    traceback per worker is not an answer) and die at once on SIGTERM."""
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
    """Stop every worker now: queued chunks are cancelled, running ones killed (not awaited), so an
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


def _chunks(examples: int, seed: int, names: Sequence[str]) -> list[tuple[str, int, int, int]]:
    """(property, chunk index, examples, seed) for every chunk of every property."""
    tasks = []
    for name in names:
        for k, start in enumerate(range(0, examples, CHUNK)):
            chunk_seed = zlib.crc32(f"{seed}:{name}:{k}".encode())
            tasks.append((name, k, min(CHUNK, examples - start), chunk_seed))
    return tasks


def run_chunk(name: str, examples: int, seed: int) -> dict[str, Any]:
    """One property for ``examples`` examples under Hypothesis with a fixed seed (runs in a worker)."""
    import hypothesis  # deferred: Hypothesis is optional (the test extra); only a fuzz run needs it

    from difflab.testing.properties import PROPERTIES, PropertyFailure  # deferred: imports Hypothesis

    prop = PROPERTIES[name]
    state: dict[str, Any] = {"passed": 0, "failure": None}

    phase = hypothesis.Phase

    @hypothesis.seed(seed)
    @hypothesis.settings(max_examples=examples, deadline=None, database=None, derandomize=False,
                         suppress_health_check=list(hypothesis.HealthCheck), report_multiple_bugs=False,
                         verbosity=hypothesis.Verbosity.quiet,
                         phases=(phase.explicit, phase.generate, phase.shrink))
    @hypothesis.given(prop.strategy())
    def check(case):
        try:
            prop.run_check(case)
        except PropertyFailure as failure:
            state["failure"] = {"property": name, "case": repr(case), **failure.record}
            raise
        if state["failure"] is None:
            state["passed"] += 1

    start = time.perf_counter()
    with contextlib.redirect_stdout(sys.stderr):
        try:
            check()
        except PropertyFailure:
            pass
        except Exception as err:  # noqa: BLE001 -- e.g. Hypothesis' FlakyFailure: a failure that did not replay
            if state["failure"] is None:
                raise
            state["failure"]["note"] = f"the failure did not replay consistently ({type(err).__name__})"
    return {"property": name, "passed": state["passed"], "failure": state["failure"],
            "seconds": time.perf_counter() - start}


def require_hypothesis() -> None:
    """Refuse in one line, naming the extra, when Hypothesis (the ``test`` extra) is not installed."""
    try:
        import hypothesis  # noqa: F401  # deferred: Hypothesis is optional; only a fuzz run needs it
    except ImportError:
        raise MissingExtra("property runs need Hypothesis: pip install 'difflab[test]' (or pip install "
                           "hypothesis)") from None


def run_fuzz(examples: int = 100, seed: int = 0, workers: int = 1, properties: Sequence[str] | None = None,
             progress: Callable[[str], None] | None = None, scheduler: str | None = None) -> dict[str, Any]:
    """Run the properties and return ``{"examples", "seed", "properties": {name: {...}}, "failures"}``.

    ``scheduler``: the address of a Dask distributed scheduler (``tcp://host:8786``); the chunks run on
    its workers instead of local processes (``workers`` is then unused), with the same results.
    """
    require_hypothesis()
    from difflab.testing.properties import PROPERTIES  # deferred: imports Hypothesis (the test extra)

    names = list(properties) if properties else list(PROPERTIES)
    unknown = [n for n in names if n not in PROPERTIES]
    if unknown:
        raise InputError(f"unknown property '{unknown[0]}'; choose from: {', '.join(PROPERTIES)}")
    if examples < 1:
        raise InputError(f"--examples must be at least 1, got {examples}")
    if workers < 1:
        raise InputError(f"--workers must be at least 1, got {workers}")
    if scheduler is not None and not scheduler.strip():
        raise InputError("--scheduler needs the address of a Dask scheduler, e.g. tcp://host:8786")
    tasks = _chunks(examples, seed, names)
    results: list[dict[str, Any]] = []  # in the order chunks finished (progress only)
    ordered: list[dict[str, Any]] = []  # in task order: the summary must not depend on timing
    start = time.perf_counter()

    def done(result: dict[str, Any]) -> None:
        results.append(result)
        if progress:
            verdict = "FAILED" if result["failure"] else "ok"
            progress(f"[{len(results)}/{len(tasks)}] {result['property']}: {result['passed']} passed, "
                     f"{verdict} ({result['seconds']:.1f} s; {time.perf_counter() - start:.0f} s elapsed)")

    with private_hypothesis_storage():
        if scheduler is not None:
            from difflab.testing.dask_runner import run_on_dask  # deferred: imports Dask (optional extra)

            def connected(count: int) -> None:
                if progress:
                    progress(f"Dask scheduler {scheduler}: {count} workers, {len(tasks)} chunks")

            ordered = run_on_dask(scheduler, run_chunk_on_cluster, [(name, n, s) for name, _, n, s in tasks],
                                  done=done, started=connected)
        elif workers == 1:
            for name, _, n, s in tasks:
                done(run_chunk(name, n, s))
            ordered = results
        else:
            pool = ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn"),
                                       initializer=_worker_init)
            try:
                with _sigint_blocked():  # workers are started here and inherit the blocked mask
                    futures = [pool.submit(run_chunk, name, n, s) for name, _, n, s in tasks]
                for future in as_completed(futures):
                    done(future.result())
                ordered = [future.result() for future in futures]
            except BaseException:  # an interruption or a failed chunk: no worker may outlive the run
                _stop_workers(pool)
                raise
            pool.shutdown(wait=True)
    return _summary(examples, seed, names, ordered, time.perf_counter() - start)


def _summary(examples: int, seed: int, names: Sequence[str], results: list[dict[str, Any]],
             seconds: float) -> dict[str, Any]:
    table = {name: {"passed": 0, "failed": 0} for name in names}
    failures, seen = [], set()
    for r in results:
        table[r["property"]]["passed"] += r["passed"]
        if r["failure"]:
            table[r["property"]]["failed"] += 1
            key = (r["property"], r["failure"].get("expression"), str(r["failure"].get("point")))
            if key not in seen:
                seen.add(key)
                failures.append(r["failure"])
    failures.sort(key=lambda f: (f["property"], len(f.get("expression") or "")))
    return {"examples": examples, "seed": seed, "properties": table, "failures": failures,
            "seconds": seconds}
