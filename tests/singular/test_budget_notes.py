"""An analysis the budget stopped says so in the notes (issue 13: a shorter budget once turned the
removable point of (1-cos(x))/x**2 into a wrong derivative with nothing said)."""

from __future__ import annotations

import difflab as dl
from difflab.expr import budget
from difflab.singular import notes as singular_notes


def test_analysis_stopped_at_the_budget_is_said_in_the_notes():
    f = dl.Function("(exp(x) - 1 - x)/x**2")
    with budget.limits(seconds=0.0):
        notes = singular_notes.notes_at(f, [0.0])
    stopped = [n for n in notes if n.endswith("(stopped at the budget; --budget gives it more time)")]
    assert stopped and all("within the time budget" in n for n in stopped)
    assert not any("removable singularity" in n for n in notes)     # nothing is claimed that was not found


def test_with_time_the_same_point_is_classified_and_nothing_is_said_about_the_budget():
    notes = singular_notes.notes_at(dl.Function("(exp(x) - 1 - x)/x**2"), [0.0])
    assert notes and notes[0].startswith("x=0 is a removable singularity")
    assert not any("budget" in n for n in notes)
