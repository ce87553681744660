"""The progress of fanned-out runs on stderr: a bar redrawn in place on a terminal, a line per task with
--progress elsewhere, nothing otherwise."""

from __future__ import annotations

import io

from difflab.cli import progress
from difflab.cli.progress import ProgressBar
from difflab.testing.workers import Tick


def test_the_bar_fills_in_proportion_and_estimates_what_is_left():
    bar = ProgressBar("fuzz", "chunks", io.StringIO(), tty=True)
    assert bar.render(Tick(1, 4, 0, ""), 10.0) == f"fuzz [{'#' * 6}{'.' * 18}] 1/4 chunks, 10 s, ~30 s left"
    assert bar.render(Tick(3, 4, 1, ""), 90.0) == f"fuzz [{'#' * 18}{'.' * 6}] 3/4 chunks, 1 failed, 1:30, ~30 s left"
    assert bar.render(Tick(4, 4, 0, ""), 61.4) == f"fuzz [{'#' * 24}] 4/4 chunks, 1:01"


def test_on_a_terminal_the_bar_is_redrawn_in_place_and_ends_its_line(monkeypatch):
    out = io.StringIO()
    clock = iter([0.0, 0.0, 0.01, 5.0])  # start, then each tick's time
    monkeypatch.setattr(progress.time, "monotonic", lambda: next(clock))
    bar = ProgressBar("compare", "functions", out, tty=True)
    bar(Tick(0, 3, 0, "Dask scheduler tcp://h:8786: 2 workers, 3 functions"))
    bar(Tick(1, 3, 0, "line 1"))
    bar(Tick(2, 3, 0, "line 2"))  # 10 ms later: not redrawn (a thousand tiny tasks must not flood the terminal)
    bar(Tick(3, 3, 1, "line 3"))  # the last one is always drawn
    bar.close()
    text = out.getvalue()
    assert text.startswith("Dask scheduler tcp://h:8786: 2 workers, 3 functions\n\r")
    assert text.count("\r") == 2 and "2/3" not in text
    assert text.endswith(f"\rcompare [{'#' * 24}] 3/3 functions, 1 failed, 5 s\x1b[K\n")


def test_without_a_terminal_one_plain_line_per_task():
    out = io.StringIO()
    bar = ProgressBar("fuzz", "chunks", out, tty=False)
    bar(Tick(1, 2, 0, "chain-rule: 50 passed, ok"))
    bar(Tick(2, 2, 1, "chain-rule: 3 passed, FAILED"))
    bar.close()
    assert out.getvalue() == "[1/2] chain-rule: 50 passed, ok\n[2/2] chain-rule: 3 passed, FAILED\n"


def test_shown_only_on_a_terminal_or_when_asked(monkeypatch):
    monkeypatch.setattr(progress.sys, "stderr", io.StringIO())  # not a terminal
    assert progress.progress_bar("fuzz", "chunks", asked=False) is None
    assert progress.progress_bar("fuzz", "chunks", asked=True).tty is False

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr(progress.sys, "stderr", Terminal())
    assert progress.progress_bar("fuzz", "chunks", asked=False).tty is True
