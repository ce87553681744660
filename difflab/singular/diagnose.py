"""Words about a point: what the singularity analysis knows about it (limits, poles, kinks).

Kept separate so commands and the method registry can ask for notes without knowing which analysis
produced them; ``singular`` (removable points, poles) and ``singular_notes`` (kinks, domain edges) fill
this in.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from difflab.result import Estimate


def point_notes(f, x: Sequence[float]) -> list[str]:
    """Notes for ``f`` at ``x`` (e.g. "t=2 is a removable singularity ..."); empty when nothing is special."""
    from difflab.singular.analysis import notes_at
    from difflab.singular.notes import stable_note

    return list(notes_at(f, x)) + stable_note(f)


def annotate(est: Estimate, f, x: Sequence[float], what: str) -> Estimate:
    """A method's Estimate with those notes, and a status where the derivative does not exist (a kink,
    a pole, an edge of the domain) -- the words a bare number at such a point needs."""
    from difflab.singular.notes import annotate as words

    return words(est, f, x, what)
