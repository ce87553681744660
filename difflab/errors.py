"""The exceptions difflab raises for bad input.

Every user-facing failure is a ``DifflabError`` with a message written for a person; the CLI prints
``str(error)`` on stderr and exits 2, so no traceback ever reaches a user. Numerical trouble that is a
*result* (a pole, a kink, a solver that did not converge) is not an exception: it travels in the
``status``/``reason`` fields of the result objects.
"""

from __future__ import annotations


class DifflabError(ValueError):
    """Base class: bad input that difflab refuses with a clear message."""


class ParseError(DifflabError):
    """Expression text that the safe parser refuses; ``position`` is the 0-based column."""

    def __init__(self, message: str, text: str = "", position: int | None = None, hint: str | None = None):
        self.text = text
        self.position = position
        self.hint = hint
        self.reason = message
        where = f" at position {position + 1}" if position is not None else ""
        full = f"cannot parse expression{where}: {message}"
        if text and position is not None:
            full += f"\n  {text}\n  {' ' * position}^"
        if hint:
            full += f"\n  hint: {hint}"
        super().__init__(full)


class InputError(DifflabError):
    """A point, variable, option or method name that does not fit the problem."""
