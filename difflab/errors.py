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
    """Text the safe parser refuses; ``position`` is the 0-based column (the message counts from 1)."""

    def __init__(self, message: str, text: str = "", position: int | None = None, hint: str | None = None):
        self.text = text
        self.position = position
        self.hint = hint
        self.reason = message
        where = f" at position {position + 1}" if position is not None else ""
        full = f"cannot parse expression{where}: {message}"
        if hint:
            full += f" (hint: {hint})"
        super().__init__(full)

    def pointer(self) -> str:
        """The text with a caret under the offending position (two lines), for interactive display.

        Kept out of ``str(error)`` because the command-line contract is a one-line message on stderr.
        """
        if not self.text or self.position is None:
            return ""
        return f"  {self.text}\n  {' ' * self.position}^"


class InputError(DifflabError):
    """A point, variable, option or method name that does not fit the problem."""


class MissingExtra(DifflabError):
    """An optional dependency a feature needs is not installed; the message names the extra to install."""
