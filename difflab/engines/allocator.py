"""Keep freed heap memory in the process, as the caching allocators of JAX and PyTorch do -- on request.

Why it helps: a reverse-mode tape keeps the forward pass's intermediates alive until the backward pass
frees them. With glibc's defaults the freed memory at the top of the heap is handed back to the OS at
the end of each gradient call and page-faulted in again on the next one; for a 64-128-128-10 network at
batch 256 that can cost more than all of difflab's Python overhead (``benchmarks/bench_autodiff.py``
prints both ways). ``mallopt(M_TOP_PAD)`` asks glibc to keep up to that much freed memory at the top of
the heap. It changes no result, only when pages go back to the OS.

Why opt-in: it is process-wide state, which a library must not change behind its user's back (it
would also apply to everything else in the process). So difflab leaves glibc alone unless asked:

* ``keep_freed_heap()`` -- for the rest of the process (``DIFFLAB_KEEP_HEAP=1`` in the environment
  does the same when the reverse engine is loaded);
* ``with kept_heap(): ...`` -- only inside the block; glibc's default padding is restored after it.

A user's own ``MALLOC_TOP_PAD_`` is respected: difflab then changes nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager

M_TOP_PAD = -2
KEEP_BYTES = 64 << 20
GLIBC_DEFAULT_TOP_PAD = 128 << 10   # DEFAULT_TOP_PAD in glibc's malloc

state = "glibc defaults"


def _mallopt(nbytes: int) -> bool:
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return libc.mallopt(M_TOP_PAD, int(nbytes)) == 1
    except (OSError, AttributeError):
        return False


def _blocked() -> str | None:
    """Why difflab must not (or cannot) tune the allocator here, or None."""
    if "MALLOC_TOP_PAD_" in os.environ:
        return f"MALLOC_TOP_PAD_={os.environ['MALLOC_TOP_PAD_']} (set by the user)"
    if not sys.platform.startswith("linux"):
        return "platform allocator (not glibc)"
    return None


def keep_freed_heap(nbytes: int = KEEP_BYTES) -> str:
    """Ask glibc to keep ``nbytes`` of freed heap for the rest of the process; returns a sentence saying
    what was done (benchmarks print it)."""
    global state
    blocked = _blocked()
    if blocked:
        state = blocked
    else:
        kept = f"glibc keeps {nbytes >> 20} MiB of freed heap (mallopt M_TOP_PAD)"
        state = kept if _mallopt(nbytes) else "glibc defaults"
    return state


@contextmanager
def kept_heap(nbytes: int = KEEP_BYTES) -> Iterator[str]:
    """``keep_freed_heap`` inside the block only; glibc's default padding is restored afterwards."""
    global state
    before = state
    said = keep_freed_heap(nbytes)
    try:
        yield said
    finally:
        if said.startswith("glibc keeps") and not before.startswith("glibc keeps"):
            _mallopt(GLIBC_DEFAULT_TOP_PAD)
            state = before


def apply_environment() -> str:
    """``DIFFLAB_KEEP_HEAP=1``: the user asked, in the environment, for ``keep_freed_heap``."""
    if os.environ.get("DIFFLAB_KEEP_HEAP", "0") not in ("", "0"):
        return keep_freed_heap()
    return state
