"""The ``difflab`` command line: ``entry.main`` parses, each command lives in ``commands/<name>.py``."""

from difflab.cli.entry import main

__all__ = ["main"]
