"""The progress of a fanned-out run (``fuzz``, ``compare/sweep --file``) on stderr, while tasks finish.

On a terminal: one bar redrawn in place (``\\r``), at most every ``REDRAW_SECONDS`` and always at the
end, with the count, failures, elapsed time and an estimate of what is left. With ``--progress`` and
no terminal (a log file, CI): one plain line per finished task, since a log has no carriage returns.
Otherwise nothing: stderr that is not a terminal belongs to whoever reads it (scripts, ``--json``).
"""

from __future__ import annotations

import math
import sys
import time
from typing import TextIO

from difflab.testing.workers import Tick

WIDTH = 24              # characters of the bar itself
REDRAW_SECONDS = 0.1    # a terminal is redrawn at most this often (thousands of small tasks)


def _duration(seconds: float) -> str:
    seconds = max(0, round(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}" if seconds >= 60 else f"{seconds} s"


class ProgressBar:
    """``bar(tick)`` for each ``Tick`` of a runner; ``close()`` ends the bar's line (call it in a
    ``finally``: an interrupted run leaves the cursor at the start of a clean line)."""

    def __init__(self, what: str, unit: str, stream: TextIO | None = None, tty: bool | None = None):
        self.what, self.unit = what, unit
        self.stream = stream if stream is not None else sys.stderr
        self.tty = self.stream.isatty() if tty is None else tty
        self.start = time.monotonic()
        self.drawn = -math.inf  # the first tick is always drawn
        self.open = False   # a bar is on the terminal's current line

    def __call__(self, tick: Tick) -> None:
        if tick.done == 0:  # where the run goes: a line of its own, above the bar
            self._line(tick.text)
            return
        if not self.tty:
            self._write(f"[{tick.done}/{tick.total}] {tick.text}\n")
            return
        now = time.monotonic()
        if tick.done < tick.total and now - self.drawn < REDRAW_SECONDS:
            return
        self.drawn = now
        self._write("\r" + self.render(tick, now - self.start) + "\x1b[K")
        self.open = True

    def render(self, tick: Tick, elapsed: float) -> str:
        """The bar's text: ``fuzz [#######.........] 12/40 chunks, 1 failed, 37 s, ~1:30 left``."""
        filled = WIDTH * tick.done // max(tick.total, 1)
        parts = [f"{self.what} [{'#' * filled}{'.' * (WIDTH - filled)}] {tick.done}/{tick.total} {self.unit}"]
        if tick.failed:
            parts.append(f"{tick.failed} failed")
        parts.append(_duration(elapsed))
        if 0 < tick.done < tick.total:
            parts.append(f"~{_duration(elapsed / tick.done * (tick.total - tick.done))} left")
        return ", ".join(parts)

    def close(self) -> None:
        if self.open:
            self._write("\n")
            self.open = False

    def _line(self, text: str) -> None:
        self.close()
        self._write(text + "\n")

    def _write(self, text: str) -> None:
        try:
            self.stream.write(text)
            self.stream.flush()
        except (OSError, ValueError):  # stderr closed: progress is not worth failing the run for
            pass


def progress_bar(what: str, unit: str, asked: bool) -> ProgressBar | None:
    """A bar on stderr when it is a terminal or ``--progress`` was given (``asked``), else None."""
    try:
        tty = sys.stderr.isatty()
    except (AttributeError, ValueError):
        tty = False
    return ProgressBar(what, unit, sys.stderr, tty) if asked or tty else None
