"""What the ``difflab`` command needs before any heavy import: signals that end it in one line.

``difflab.cli.entry.main`` installs the command's own handlers (which unwind workers and temporary
files) once everything is imported; during the second or two of imports before that, a Ctrl-C printed a
hundred-line KeyboardInterrupt traceback and a SIGTERM ended the process without a word. Imported first
by ``difflab/__init__.py``; a library import (any other program) changes nothing.
"""

from __future__ import annotations

import os
import signal
import sys


def quit_while_starting(signum, frame):  # pragma: no cover -- only in the command-line process
    """Ctrl-C or SIGTERM while the ``difflab`` command is still importing: one line, no traceback."""
    os.write(2, b"difflab: interrupted\n" if signum == signal.SIGINT else b"difflab: terminated\n")
    os._exit(128 + signum)


# ``difflab.cli.entry.main`` installs the command's handlers once everything is imported; during the
# second or two of imports before that, a signal to the ``difflab`` script ends it the same way (a
# KeyboardInterrupt there printed a hundred-line traceback). A library import changes nothing.
def _spawned_worker() -> bool:
    """A ``spawn`` worker re-imports the ``difflab`` script as ``__mp_main__`` with the parent's argv; its
    signals are the pool's business (the parent stops it), so it must not take these handlers."""
    mp = sys.modules.get("multiprocessing")
    return mp is not None and bool(getattr(mp.current_process(), "_inheriting", False))


if sys.argv and os.path.basename(sys.argv[0]) == "difflab" and not _spawned_worker():
    try:
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, quit_while_starting)
    except ValueError:  # not the main thread
        pass
