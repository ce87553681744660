"""Keep freed heap memory in the process, as the caching allocators of JAX and PyTorch do.

Why: a reverse-mode tape keeps the forward pass's intermediates alive until the backward pass frees
them. With glibc's defaults that freed memory at the top of the heap is handed back to the OS at the end
of each gradient call and page-faulted in again on the next one; for a 64-128-128-10 network at batch
256 that costs more than all of difflab's Python overhead (measured by ``benchmarks/bench_autodiff.py``:
1.24x hand-written NumPy with the defaults, 1.14x with 64 MiB kept). ``mallopt(M_TOP_PAD)`` asks glibc
to keep up to that much freed memory at the top of the heap. It changes no result, only when pages go
back to the OS. Opt out with ``DIFFLAB_KEEP_HEAP=0``; a user's own ``MALLOC_TOP_PAD_`` is respected.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import sys

M_TOP_PAD = -2
KEEP_BYTES = 64 << 20

state = "not tuned"


def keep_freed_heap(nbytes: int = KEEP_BYTES) -> str:
    """Ask glibc to keep ``nbytes`` of freed heap; returns a sentence saying what was done (for reports)."""
    global state
    if os.environ.get("DIFFLAB_KEEP_HEAP", "1") == "0":
        state = "glibc defaults (DIFFLAB_KEEP_HEAP=0)"
    elif "MALLOC_TOP_PAD_" in os.environ:
        state = f"MALLOC_TOP_PAD_={os.environ['MALLOC_TOP_PAD_']} (set by the user)"
    elif not sys.platform.startswith("linux"):
        state = "platform allocator (not glibc)"
    else:
        try:
            libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
            ok = libc.mallopt(M_TOP_PAD, int(nbytes)) == 1
        except (OSError, AttributeError):
            ok = False
        kept = f"glibc keeps {nbytes >> 20} MiB of freed heap (mallopt M_TOP_PAD)"
        state = kept if ok else "glibc defaults"
    return state
