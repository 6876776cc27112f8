"""The `symff` command line (DESIGN.md): a thin layer over the library; every command is a module here.

Errors the user can fix (a bad file, a bad option, an existing run directory, an output path the file system refuses)
are printed as one line and exit with status 2; `--debug` shows the traceback instead.
"""

import argparse
import sys
import warnings

from .. import __version__
from ..errors import SymffError, SymffWarning
from . import evaluate, export, fit, learn, rediscover, report, search, show, uncertainty, validate

COMMANDS = (search, rediscover, show, evaluate, fit, report, export, validate, uncertainty, learn)


def build_parser():
    parser = argparse.ArgumentParser(prog="symff", description="Symbolic regression of interatomic potentials.")
    parser.add_argument("--version", action="version", version=f"symff {__version__}")
    parser.add_argument("--debug", action="store_true", help="show the full traceback of an error")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        command.add_parser(sub)
    return parser


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        with warnings.catch_warnings():
            warnings.showwarning = _print_warning(args.command)
            return args.run(args) or 0
    except SymffError as error:
        if args.debug:
            raise
        print(f"symff {args.command}: error: {error}", file=sys.stderr)
        return 2
    except OSError as error:
        # the file system refused a path (a folder that cannot be made, a file where a folder must be, no
        # permission): the user's to fix; one without a path is not known to be, and keeps its traceback
        if args.debug or error.filename is None:
            raise
        print(f"symff {args.command}: error: {error.filename}: {error.strerror}: check the path", file=sys.stderr)
        return 2
    except MemoryError as error:
        # an array the data and the cutoff need did not fit (a search checks this before it starts: symff.memory)
        if args.debug:
            raise
        print(f"symff {args.command}: error: out of memory ({error or 'an allocation failed'}): use fewer structures "
              "(--frames), a shorter cutoff, or a machine with more memory", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"symff {args.command}: interrupted", file=sys.stderr)
        return 130


def _print_warning(command):
    """symff's own warnings as one line each; others (from libraries) as Python shows them."""
    default = warnings.showwarning

    def show(message, category, filename, lineno, file=None, line=None):
        if issubclass(category, SymffWarning):
            print(f"symff {command}: warning: {message}", file=sys.stderr)
        else:
            default(message, category, filename, lineno, file, line)

    return show
