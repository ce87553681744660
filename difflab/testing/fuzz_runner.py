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
import json
import os
import pathlib
import shutil
import sys
import tempfile
import threading
import time
import warnings
import zlib
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from difflab.errors import InputError, MissingExtra
from difflab.testing.workers import Tick, run_tasks

CHUNK = 50
STORAGE_ENV = "HYPOTHESIS_STORAGE_DIRECTORY"


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


def _chunks(examples: int, seed: int, names: Sequence[str]) -> list[tuple[str, int, int, int]]:
    """(property, chunk index, examples, seed) for every chunk of every property."""
    tasks = []
    for name in names:
        for k, start in enumerate(range(0, examples, CHUNK)):
            chunk_seed = zlib.crc32(f"{seed}:{name}:{k}".encode())
            tasks.append((name, k, min(CHUNK, examples - start), chunk_seed))
    return tasks


_constants_lock = threading.Lock()
_constants_saved: dict[str, Any] = {"users": 0, "lookup": None}


@contextlib.contextmanager
def _seed_alone() -> Iterator[None]:
    """Draw from the chunk's seed alone. Hypothesis mixes numbers found in the source of the process's
    "local" modules (an editable install, the user's own code) into about 5% of its draws; the command's
    process, a spawned worker and a Dask worker load different modules, so one seed drew different
    examples in each. Within this block that pool is empty (its cache is cleared on the way in and out).
    Threads of one worker share it: the first in swaps the lookup, the last out restores it."""
    try:
        from hypothesis.internal.conjecture import providers  # deferred: Hypothesis is the test extra
        empty = providers.Constants()
        providers._get_local_constants, providers.CONSTANTS_CACHE.cache  # noqa: B018 -- both must exist
    except (ImportError, AttributeError):  # another Hypothesis: nothing to neutralise (its tests would say)
        yield
        return
    with _constants_lock:
        if _constants_saved["users"] == 0:
            _constants_saved["lookup"] = providers._get_local_constants
            providers._get_local_constants = lambda: empty
            providers.CONSTANTS_CACHE.cache.clear()
        _constants_saved["users"] += 1
    try:
        yield
    finally:
        with _constants_lock:
            _constants_saved["users"] -= 1
            if _constants_saved["users"] == 0:
                providers._get_local_constants = _constants_saved["lookup"]
                providers.CONSTANTS_CACHE.cache.clear()


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
            state["failure"] = {"property": name, "case": repr(case), **failure.record,
                                "replay": replay_token(name, seed, examples)}
            raise
        if state["failure"] is None:
            state["passed"] += 1

    start = time.perf_counter()
    with contextlib.redirect_stdout(sys.stderr), _seed_alone():
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


def replay_token(name: str, chunk_seed: int, examples: int) -> str:
    """What ``difflab fuzz --replay`` needs to run a failing chunk again: ``PROPERTY:CHUNK_SEED:EXAMPLES``."""
    return f"{name}:{chunk_seed}:{examples}"


def _parse_token(token: str) -> tuple[str, int, int]:
    name, _, rest = token.strip().partition(":")
    seed, _, examples = rest.partition(":")
    if not (name and seed.isdigit() and examples.isdigit() and int(examples) >= 1):
        raise InputError(f"--replay needs a fuzz run's JSON file or PROPERTY:CHUNK_SEED:EXAMPLES (as a "
                         f"failure's 'replay' gives it); '{token.strip()}' is neither")
    return name, int(seed), int(examples)


def replay_tokens(source: str) -> list[tuple[str, dict[str, Any] | None]]:
    """(token, the failure recorded with it or None) for ``source``: a token, or the path of a
    ``difflab fuzz --json`` output (its failures' tokens, in order)."""
    path = pathlib.Path(source.strip())
    if ":" not in source or path.is_file():
        try:
            data = json.loads(path.read_text())
            failures = data["failures"]
            found = [(f["replay"], f) for f in failures]
        except FileNotFoundError:
            raise InputError(f"--replay: no file '{path}' (give a fuzz run's JSON file or "
                             "PROPERTY:CHUNK_SEED:EXAMPLES)") from None
        except (OSError, ValueError, KeyError, TypeError) as err:
            raise InputError(f"--replay: '{path}' is not the JSON of a difflab fuzz run with failures "
                             f"to replay ({type(err).__name__}: {err})") from None
        for token, _ in found:
            _parse_token(str(token))
        return found
    _parse_token(source)
    return [(source.strip(), None)]


def replay(source: str) -> list[dict[str, Any]]:
    """Run each failing chunk of ``source`` (see ``replay_tokens``) again, here, in this process: the
    chunk's seed draws the same examples, Hypothesis finds and shrinks the same failure -- wherever the
    run that found it ran (a Dask cluster's worker). One record per chunk: ``replay``, ``recorded`` (the
    failure as the run reported it, or None), ``failure`` (as found now, or None: the chunk now passes),
    ``reproduced`` (found now, with the recorded expression and point when there is a record)."""
    require_hypothesis()
    from difflab.testing.properties import PROPERTIES  # deferred: imports Hypothesis (the test extra)

    tokens = replay_tokens(source)
    for token, _ in tokens:
        if _parse_token(token)[0] not in PROPERTIES:
            raise InputError(f"--replay: unknown property in '{token}'; choose from: {', '.join(PROPERTIES)}")
    out = []
    with private_hypothesis_storage():
        for token, recorded in tokens:
            name, chunk_seed, examples = _parse_token(token)
            failure = run_chunk(name, examples, chunk_seed)["failure"]
            same = failure is not None and (recorded is None or all(
                failure.get(k) == recorded.get(k) for k in ("property", "expression", "point")))
            out.append({"replay": token, "recorded": recorded, "failure": failure, "reproduced": same})
    return out


def require_hypothesis() -> None:
    """Refuse in one line, naming the extra, when Hypothesis (the ``test`` extra) is not installed."""
    try:
        import hypothesis  # noqa: F401  # deferred: Hypothesis is optional; only a fuzz run needs it
    except ImportError:
        raise MissingExtra("property runs need Hypothesis: pip install 'difflab[test]' (or pip install "
                           "hypothesis)") from None


def run_fuzz(examples: int = 100, seed: int = 0, workers: int = 1, properties: Sequence[str] | None = None,
             progress: Callable[[Tick], None] | None = None, scheduler: str | None = None) -> dict[str, Any]:
    """Run the properties and return ``{"examples", "seed", "properties": {name: {...}}, "failures"}``.

    ``progress`` is told when the run is placed and as each chunk finishes (a ``Tick``; the CLI's bar).

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
    tasks = _chunks(examples, seed, names)
    count = {"done": 0, "failed": 0}
    start = time.perf_counter()

    def done(result: dict[str, Any]) -> None:
        count["done"] += 1
        count["failed"] += bool(result["failure"])
        if progress:
            verdict = "FAILED" if result["failure"] else "ok"
            progress(Tick(count["done"], len(tasks), count["failed"],
                          f"{result['property']}: {result['passed']} passed, {verdict} "
                          f"({result['seconds']:.1f} s; {time.perf_counter() - start:.0f} s elapsed)"))

    def connected(workers_there: int) -> None:
        if progress:
            progress(Tick(0, len(tasks), 0, f"Dask scheduler {scheduler}: {workers_there} workers, "
                                            f"{len(tasks)} chunks"))

    with private_hypothesis_storage():
        ordered = run_tasks(run_chunk if scheduler is None else run_chunk_on_cluster,
                            [(name, n, s) for name, _, n, s in tasks], workers=workers, scheduler=scheduler,
                            done=done, started=connected)
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
