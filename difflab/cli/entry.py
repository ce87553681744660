"""The ``difflab`` command: argument parsing, signals and error handling only; each subcommand lives in
``difflab/cli/commands/<name>.py`` with ``add_arguments(parser)`` and ``run(args) -> int``.

Exit codes: 0 ok / claim holds, 1 claim does not hold or solver did not converge, 2 bad input, an
unwritable output or a resource limit (a one-line message on stderr, never a traceback), 130 / 143
interrupted by SIGINT / SIGTERM (one line), 141 the reader of stdout went away.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import difflib
import os
import signal
import sys
import threading
from collections.abc import Sequence
from importlib import metadata

from difflab.cli import batch
from difflab.cli.commands import check, compare, diff, fuzz, newton, report, sweep, tour
from difflab.errors import DifflabError
from difflab.expr import budget

COMMANDS = {
    "diff": (diff, "value, gradient and Hessian of an expression at a point"),
    "check": (check, "does a claimed derivative (or a derivation file) hold?"),
    "compare": (compare, "every method against the mpmath reference at a point"),
    "sweep": (sweep, "error versus step size for every finite-difference scheme"),
    "report": (report, "comparison + sweep + plots as HTML or Markdown"),
    "newton": (newton, "Newton's method: roots or minimization, with critical-point classification"),
    "fuzz": (fuzz, "property-based run: every method against every other on random expressions"),
    "tour": (tour, "the seed course's worked examples end to end, with a report"),
}
# After a signal the unwinding (workers stopped, temporary files removed) gets this long; then the
# process exits anyway, so a cleanup that hangs cannot keep it alive.
UNWIND_SECONDS = 1.5
MESSAGE_LIMIT = 400  # characters of an unexpected error's text kept on its one line


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised in the main thread like SIGINT's KeyboardInterrupt, so every ``finally`` and every
    ``except KeyboardInterrupt`` cleanup (worker pools, temporary folders) runs for both."""


class UsageError(DifflabError):
    """A command line argparse refuses; argparse's own multi-line usage dump is replaced by one line."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # type: ignore[override] -- raises instead of exiting
        raise UsageError(f"{message} (see '{self.prog} --help')")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="difflab", description="symbolic versus numeric differentiation")
    parser.add_argument("--version", action="version", version=f"difflab {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    for name, (module, help_text) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        module.add_arguments(p)
        if name in batch.COMMANDS:  # these also take many functions (--file): cli/batch.py
            batch.add_arguments(p)
        p.set_defaults(_module=module, _parser=p)
    return parser


def _version() -> str:
    try:
        return metadata.version("difflab")
    except metadata.PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown (not installed)"


def parse(parser: argparse.ArgumentParser, argv: Sequence[str]) -> argparse.Namespace:
    """Parse, and refuse options a command does not have with that command's own help (and the option
    it probably meant: ``--ordr`` -> ``--order``), not the top-level usage."""
    args, extra = parser.parse_known_args(argv)
    if extra:
        sub: argparse.ArgumentParser = args._parser
        known = [o for o in sub._option_string_actions if o.startswith("--")]
        guess = next((difflib.get_close_matches(t.split("=", 1)[0].strip(), known, n=1)
                      for t in extra if t.strip().startswith("--")), [])
        hint = f"; did you mean {guess[0]}?" if guess else ""
        sub.error(f"unrecognized arguments: {' '.join(t.strip() for t in extra)}{hint}")
    return args


def _protect_leading_minus(argv: Sequence[str], parser: argparse.ArgumentParser) -> list[str]:
    """Let values begin with '-' as users type them (``check "-y*log(yh)"``, ``--claim "-y/yh"``).

    argparse takes any token starting with '-' for an option; a token that is not one of our options
    gets a leading space, which argparse reads as a value and our parsers strip.
    """
    options: set[str] = set(parser._option_string_actions)
    for action in parser._subparsers._group_actions:
        for sub in action.choices.values():
            options.update(sub._option_string_actions)
    out = []
    for token in argv:
        if token.startswith("-") and token != "-" and token.split("=", 1)[0] not in options:
            token = " " + token
        out.append(token)
    return out


def one_line(err: BaseException) -> str:
    """An exception's text on one line, bounded (an error can quote a megabyte of input)."""
    text = " ".join(str(err).split()) or type(err).__name__
    return text if len(text) <= MESSAGE_LIMIT else text[:MESSAGE_LIMIT - 3] + "..."


class _Signals:
    """SIGINT/SIGTERM raise in the main thread; a second signal is ignored while the first unwinds, and a
    watchdog ends the process if unwinding takes longer than UNWIND_SECONDS. Restored on exit, so
    ``main()`` called in-process (tests) leaves the caller's handlers as they were."""

    def __init__(self) -> None:
        self.received: int | None = None
        self.saved: dict[int, object] = {}

    def __enter__(self) -> _Signals:
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                self.saved[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(self, *exc) -> None:
        for sig, handler in self.saved.items():
            signal.signal(sig, handler)

    def _handle(self, signum: int, frame) -> None:
        if self.received is not None:
            return  # already unwinding; the watchdog is armed
        self.received = signum
        code = 128 + signum
        timer = threading.Timer(UNWIND_SECONDS, _hard_exit, args=(code,))
        timer.daemon = True
        timer.start()
        raise Terminated() if signum == signal.SIGTERM else KeyboardInterrupt()


def _hard_exit(code: int) -> None:
    _say(_interrupted_line(code))
    os._exit(code)


def _interrupted_line(code: int) -> str:
    return f"difflab: {'terminated' if code == 128 + signal.SIGTERM else 'interrupted'}"


def _say(line: str) -> None:
    try:
        sys.stderr.write(line + "\n")
        sys.stderr.flush()
    except (OSError, ValueError):
        pass


def _exit_now(code: int) -> None:
    """End the program right after an interruption: the cleanups registered with ``atexit`` run (the
    budget's worker, pools), then the process exits without the interpreter's teardown.

    Why: tearing down SymPy's, Hypothesis' and Dask's module graphs took 1-3 s on a loaded machine after
    the run had already stopped (measured on a Ctrl-C of ``fuzz --scheduler``: the "interrupted" line
    came 0.1 s after the signal, the exit 3 s later). Only when ``main`` runs as the program, never when
    a caller (a test, a notebook) calls it with its own argv."""
    with contextlib.suppress(Exception):
        atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(code)


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; every outcome is an exit code (see the module docstring), never a traceback.

    ``argv`` None: run as the program (``sys.argv``); an interruption then ends the process at once
    (``_exit_now``) instead of returning."""
    program = argv is None
    argv = list(sys.argv[1:] if argv is None else argv)
    command = next((a for a in argv if a in COMMANDS), None)
    prefix = f"difflab {command}" if command else "difflab"
    with _Signals() as signals:
        try:
            parser = build_parser()
            args = parse(parser, _protect_leading_minus(argv, parser))
            seconds = getattr(args, "budget", None)
            memory = getattr(args, "memory_mb", None)
            with budget.limits(seconds=seconds if seconds != 0 else None, memory_mb=memory):
                if getattr(args, "file", None) is not None:
                    return int(batch.run(args) or 0)
                if args.command in batch.COMMANDS:
                    batch.refuse_without_file(args)
                return int(args._module.run(args) or 0)
        except DifflabError as err:
            _say(f"{prefix}: error: {one_line(err)}")
            return 2
        except KeyboardInterrupt as err:
            code = 128 + (signals.received or (signal.SIGTERM if isinstance(err, Terminated) else
                                               signal.SIGINT))
            _say(_interrupted_line(code))
            if program:
                _exit_now(code)
            return code
        except BrokenPipeError:
            # The reader went away (``difflab tour | head``): stop quietly, as Unix tools do. Point stdout
            # at devnull so the interpreter's final flush does not raise again.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return 141
        except RecursionError:
            _say(f"{prefix}: error: input nested too deeply (over Python's recursion limit)")
            return 2
        except MemoryError:
            _say(f"{prefix}: error: out of memory (the input needs more memory than this process may use)")
            return 2
        except Exception as err:  # noqa: BLE001 -- the last resort: no traceback ever reaches a user
            _say(f"{prefix}: error: unexpected {type(err).__name__}: {one_line(err)} "
                 "(a difflab bug: please report it with the command line)")
            return 2


if __name__ == "__main__":
    sys.exit(main())
