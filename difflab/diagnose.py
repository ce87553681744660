"""Words about a point: what the singularity analysis knows about it (limits, poles, kinks).

Kept separate so commands can ask for notes without knowing which analysis produced them; the
singular-point module fills this in.
"""

from __future__ import annotations

from collections.abc import Sequence


def point_notes(f, x: Sequence[float]) -> list[str]:
    """Notes for ``f`` at ``x`` (e.g. "value from the limit at t=2"); empty when nothing is special."""
    try:
        from difflab import singular
    except ImportError:
        return []
    notes = getattr(singular, "notes_at", None)
    return list(notes(f, x)) if notes else []
