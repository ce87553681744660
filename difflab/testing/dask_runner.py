"""Independent tasks on a Dask distributed cluster: ``difflab fuzz --scheduler ADDRESS``.

The caller makes the tasks (each one self-contained and seeded by its own position, never by where it
runs), so a cluster only decides *when* a task runs, not *what* it computes: the same seed gives the
same examples and verdicts as the local runner, with any number of workers.  Results are returned in
task order whatever order they finished in.

Interruption: a Ctrl-C or SIGTERM in the client (``KeyboardInterrupt`` from ``cli.entry``) cancels every
future still queued or running on the cluster and closes the client before the exception goes on, so
the cluster is free for the next run and no connection is left open.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from typing import Any

from difflab.errors import DifflabError, MissingExtra

CONNECT_SECONDS = 10  # an address with no scheduler behind it is refused after this long
CLOSE_SECONDS = 1  # how long closing the client may take after an interruption
EXTRA = "pip install 'difflab[dask]'"


class MissingDask(MissingExtra):
    """``--scheduler`` without Dask installed; the message names the extra to install."""


def _client(address: str):
    try:
        # deferred: Dask is optional (the dask extra) and heavy; only a --scheduler run needs it
        from distributed import Client
    except ImportError:
        raise MissingDask(f"--scheduler needs Dask distributed: {EXTRA}") from None
    try:
        return Client(address, timeout=CONNECT_SECONDS, set_as_default=False)
    except (OSError, TimeoutError, ValueError, TypeError) as err:
        reason = " ".join(str(err).split()) or type(err).__name__
        raise DifflabError(f"cannot reach the Dask scheduler at '{address}': {reason}") from None


def run_on_dask(address: str, fn: Callable[..., Any], tasks: Sequence[tuple],
                done: Callable[[Any], None] | None = None,
                started: Callable[[int], None] | None = None) -> list[Any]:
    """``fn(*task)`` for every task on the cluster at ``address``; results in task order.

    ``started(workers)`` is called once connected, ``done(result)`` as each task finishes (progress).
    A task that raises stops the run: its error is raised here after the other futures are cancelled.
    """
    client = _client(address)
    from distributed import as_completed  # deferred: Dask is optional; _client has checked it is there

    futures: list = []
    try:
        if started:
            started(len(client.scheduler_info().get("workers", {})))
        # pure=False: each submission is its own task (a cluster's cache must not answer a rerun).
        futures = [client.submit(fn, *task, pure=False) for task in tasks]
        order = {f.key: k for k, f in enumerate(futures)}
        results: list[Any] = [None] * len(futures)
        for future in as_completed(futures, loop=client.loop):
            result = future.result()
            results[order[future.key]] = result
            if done:
                done(result)
        return results
    except BaseException:  # an interruption or a failed task: nothing of this run may keep a worker busy
        with contextlib.suppress(Exception):
            client.cancel(futures, force=True)
        raise
    finally:
        with contextlib.suppress(Exception):
            client.close(timeout=CLOSE_SECONDS)
