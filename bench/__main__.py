"""``python -m bench transitions [--backend sqlite|postgresql|both] [--n N] [--database-url URL] [--profile]``."""

from __future__ import annotations

import argparse
import sys

from bench import transitions


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True, metavar="BENCHMARK")
    transitions.add_arguments(
        commands.add_parser(
            "transitions",
            help=transitions.SUMMARY,
            description=transitions.__doc__,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
    )
    args = parser.parse_args(argv)
    if args.command == "transitions":
        return transitions.run(args)
    parser.error(f"unknown benchmark {args.command!r}")
    return 2


if __name__ == "__main__":
    sys.exit(main())
