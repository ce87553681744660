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
if sys.argv and os.path.basename(sys.argv[0]) == "difflab":
    try:
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, quit_while_starting)
    except ValueError:  # not the main thread
        pass
