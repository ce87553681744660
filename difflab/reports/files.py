"""Writing output files so that a failed or interrupted write never leaves one that looks complete.

Every file difflab writes goes through ``write_atomic``: the bytes go to a temporary file in the same
folder, are flushed to disk, and only then ``os.replace`` puts it in place (one rename: readers see the
old file or the new one, never half of one). A symlink at the destination is replaced, never written
through (a report's PNG once overwrote a link's target); a destination that exists but is not a
regular file (a folder, ``/dev/full``) is refused. Every failure is an ``OutputError`` naming the path and
the reason, so the command line answers in one line.
"""

from __future__ import annotations

import contextlib
import os
import pathlib
import stat
import tempfile

from difflab.errors import DifflabError


class OutputError(DifflabError):
    """An output file or folder that cannot be written (exit 2, like bad input)."""


def check_destination(path: str | os.PathLike) -> pathlib.Path:
    """Refuse a destination that could not be replaced by a file, before any work is done."""
    path = pathlib.Path(path)
    if path.is_symlink():
        return path  # the link itself is replaced
    if path.exists() and not path.is_file():
        kind = "a folder" if path.is_dir() else "not a regular file"
        raise OutputError(f"cannot write '{path}': it is {kind}")
    parent = path.parent
    if not parent.is_dir():
        raise OutputError(f"cannot write '{path}': folder '{parent}' does not exist")
    try:  # a probe, so that an unwritable folder is refused before the work rather than after it
        fd, probe = tempfile.mkstemp(dir=parent, prefix=f".{path.name}.", suffix=".partial")
        os.close(fd)
        os.unlink(probe)
    except OSError as err:
        raise OutputError(f"cannot write '{path}': {err.strerror or err}") from None
    return path


def _mode_for(path: pathlib.Path) -> int:
    """The permissions the file would get from a plain ``open(path, 'w')``: the old file's, else the
    umask's (mkstemp creates 0600)."""
    with contextlib.suppress(OSError):
        if path.is_file() and not path.is_symlink():
            return stat.S_IMODE(path.stat().st_mode)
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def write_atomic(path: str | os.PathLike, data: str | bytes) -> pathlib.Path:
    """Write ``data`` (text as UTF-8) to ``path`` atomically; returns the path."""
    path = check_destination(path)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".partial")
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, _mode_for(path))
        os.replace(tmp, path)
        tmp = None
    except OSError as err:
        raise OutputError(f"cannot write '{path}': {err.strerror or err}") from None
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
    return path
