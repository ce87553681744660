"""The hard budget: a worker process killed at the deadline, with a memory cap (difflab/expr/budget.py)."""

from __future__ import annotations

import math
import os
import time

import pytest
import sympy

from difflab.errors import InputError
from difflab.expr import budget
from difflab.expr.budget import Budget, OverBudget, within


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as fh:       # a zombie is not running
        return fh.read().split()[2] != "Z"


def _spin():
    while True:
        pass


def test_budget_passes_results_and_errors_through():
    assert within(1.0, sum, [1, 2, 3]) == 6
    x = sympy.Symbol("x")
    assert within(5.0, sympy.factor, x**2 - 1) == (x - 1) * (x + 1)
    with pytest.raises(ZeroDivisionError):
        within(1.0, lambda: 1 / 0)


def test_a_runaway_pure_python_call_is_stopped():
    with pytest.raises(OverBudget, match=r"^_spin did not finish within 0.3 s \(stopped\)$"):
        within(0.3, _spin)


def test_a_runaway_big_integer_power_is_killed_inside_c_arithmetic():
    """3**(10**300) never returns and holds the interpreter lock: a thread could not stop it."""
    with pytest.raises(OverBudget, match=r"did not finish within 0.5 s \(stopped\)"):
        within(0.5, pow, 3, 10**300)


def test_the_stopped_one_shot_worker_is_gone():
    pids = []

    def record_and_spin():
        pids.append(os.getpid())        # only in the child: the parent's list is not changed
        os.write(w, str(os.getpid()).encode())
        _spin()

    r, w = os.pipe()
    with pytest.raises(OverBudget):
        within(0.3, record_and_spin)
    child = int(os.read(r, 32))
    os.close(r)
    os.close(w)
    assert pids == [] and child != os.getpid()
    assert not _alive(child)


def test_memory_cap_stops_a_runaway_allocation():
    with budget.limits(memory_mb=256), \
            pytest.raises(OverBudget, match=r"ran out of its memory cap \(256 MB\) and was stopped"):
        within(30.0, bytearray, 2 << 30)


def test_warm_worker_survives_a_kill_by_being_replaced():
    with pytest.raises(OverBudget):
        within(0.3, pow, 3, 10**300)
    assert within(2.0, pow, 3, 4) == 81


def test_nested_calls_are_bounded_by_the_enclosing_deadline():
    def outer():
        return within(60.0, _spin)

    with pytest.raises(OverBudget):
        within(0.5, outer)


@pytest.mark.parametrize("value", [math.inf, math.nan, -1.0, "2", True])
def test_budget_of_inf_or_nan_is_refused_in_words(value):
    with pytest.raises(InputError, match=r"^budget must be a finite number of seconds >= 0, got "):
        budget.check_seconds(value)
    with pytest.raises(InputError, match=r"^budget must be a finite number of seconds >= 0"):
        with budget.limits(seconds=value):
            pass


def test_limits_reach_a_new_budget_and_are_restored():
    before = budget.settings()
    with budget.limits(seconds=0.25):
        b = Budget()
        assert b.per_call == 0.25
        assert b.deadline - time.monotonic() <= 0.75 + 1e-6
        with pytest.raises(OverBudget):
            b.run(_spin)
        assert b.exceeded
    assert budget.settings() == before


def test_a_forked_child_does_not_share_the_parents_warm_worker():
    """A fuzz worker forked from a process with a warm worker must start its own (one pipe, two users
    would mix their tasks)."""
    assert within(2.0, pow, 2, 10) == 1024          # the parent's warm worker exists now
    parent = budget._warm.pid
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            ok = within(5.0, pow, 3, 3) == 27 and budget._warm is not None and budget._warm.pid != parent
            os.write(w, b"1" if ok else b"0")
        finally:
            os._exit(0)
    os.close(w)
    assert os.read(r, 1) == b"1"
    os.close(r)
    os.waitpid(pid, 0)
    assert within(2.0, pow, 2, 11) == 2048           # and the parent's still answers

