"""The ``difflab`` command: argument parsing and error handling only; each subcommand lives in
``difflab/cli/commands/<name>.py`` with ``add_arguments(parser)`` and ``run(args) -> int``.

Exit codes: 0 ok / claim holds, 1 claim does not hold or solver did not converge, 2 bad input (a one-line
message on stderr, never a traceback).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="difflab", description="symbolic versus numeric differentiation")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name, (module, help_text) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        module.add_arguments(p)
        p.set_defaults(_module=module)
    return parser


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


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(_protect_leading_minus(sys.argv[1:] if argv is None else argv, parser))
    try:
        seconds = getattr(args, "budget", None)
        memory = getattr(args, "memory_mb", None)
        with budget.limits(seconds=seconds if seconds != 0 else None, memory_mb=memory):
            return int(args._module.run(args) or 0)
    except DifflabError as err:
        print(f"difflab {args.command}: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("difflab: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (``difflab tour | head``): stop quietly, as Unix tools do. Point stdout at
        # devnull so the interpreter's final flush does not raise again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141


if __name__ == "__main__":
    sys.exit(main())
