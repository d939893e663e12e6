"""The command line: `tinygrad-edu COMMAND [options]` (or `python -m tinygrad_edu COMMAND ...`).

Each command is one module of this package with `HELP` (one line), `add_arguments(parser)` and
`run(args) -> int`; to add a command, write the module and add one line to `COMMANDS`.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence
from typing import NoReturn

__all__ = ["COMMANDS", "CommandLineError", "main", "build_parser", "program_name"]

#: command name -> module (relative to this package) that implements it.
COMMANDS: dict[str, str] = {
    "demon": ".demon",
    "cnn": ".cnn",
    "digits": ".digits",
}


class CommandLineError(Exception):
    """A problem with the user's options found after parsing: printed as one line, exit code 2."""


class _Parser(argparse.ArgumentParser):
    """argparse that reports a bad option in one line (no usage dump, no traceback)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def program_name() -> str:
    """What the user typed to start us: the console script "tinygrad-edu" (pip's launcher puts
    its path in argv[0]), else "python -m tinygrad_edu"."""
    script = os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else ""
    return "tinygrad-edu" if script == "tinygrad-edu" else "python -m tinygrad_edu"


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog=program_name(),
                     description="tinygrad_edu: the mathematics of deep learning (Wakui & Wakui) "
                                 "in code.")
    from .. import __version__

    parser.add_argument("--version", action="version", version=f"tinygrad_edu {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name, module_name in COMMANDS.items():
        module = importlib.import_module(module_name, __name__)
        p = sub.add_parser(name, help=module.HELP, description=module.HELP)
        module.add_arguments(p)
        p.set_defaults(_run=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns the exit code (0 ok, 2 bad options)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:  # --help, --version, or a bad option (already printed)
        return int(e.code or 0)
    if args.command is None:
        parser.print_help()
        return 0
    try:
        return int(args._run(args) or 0)
    except CommandLineError as e:
        print(f"{parser.prog} {args.command}: error: {e}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # `... | head`: the reader left; nothing more to say
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        print(f"{parser.prog} {args.command}: interrupted", file=sys.stderr)
        return 130
