"""Values computed on first read: an ``Estimate``'s error bound costs more than its value, and most callers
(a solver's step, a training loop, a benchmark) never read it.

``Later(compute)`` stands for the value ``compute()``; a frozen dataclass field declared as
``name: T = ComputedOnRead()`` stores it and calls ``compute`` the first time the field is read, then
keeps the result. Pickling (worker processes, Dask) and ``dataclasses.replace`` read the field, so they
see the value, never the closure.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


class Later:
    """A value not computed yet: ``compute()`` gives it (once; ``ComputedOnRead`` keeps the result)."""

    __slots__ = ("compute",)

    def __init__(self, compute: Callable[[], Any]):
        self.compute = compute

    def then(self, fn: Callable[[Any], Any]) -> Later:
        """The value passed through ``fn``, still not computed."""
        return Later(lambda: fn(self.compute()))


def now(value: Any) -> Any:
    """The value itself: a ``Later`` computed, anything else as it is."""
    return value.compute() if isinstance(value, Later) else value


class ComputedOnRead:
    """A dataclass field (a descriptor with no default) whose ``Later`` value is computed on first read.

    Why a descriptor: ``Estimate`` is a frozen dataclass read as ``est.error_estimate`` everywhere; the
    field keeps its name, its place in the constructor and its plain value for every reader."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name, self.slot = name, f"_{name}"

    def __get__(self, obj: Any, owner: type | None = None) -> Any:
        if obj is None:
            raise AttributeError(self.name)  # the dataclass then gives the field no default
        value = getattr(obj, self.slot)
        if isinstance(value, Later):
            value = value.compute()
            object.__setattr__(obj, self.slot, value)  # frozen: only the stored value changes, once
        return value

    def __set__(self, obj: Any, value: Any) -> None:
        object.__setattr__(obj, self.slot, value)


def computed_state(obj: Any) -> dict[str, Any]:
    """The object's attributes with every ``Later`` computed: the state to pickle."""
    return {k: now(v) for k, v in vars(obj).items()}
