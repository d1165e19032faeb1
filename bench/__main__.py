"""``python -m bench transitions ...``, ``deadlines ...``, ``web ...``, ``api-fuzz ...``, ``cli ...`` or ``audit ...``.

``--help`` after the name tells more.
"""

from __future__ import annotations

import argparse
import sys

from bench import api_fuzz, audit, cli, deadlines, transitions, web

BENCHMARKS = {"transitions": transitions, "deadlines": deadlines, "web": web, "api-fuzz": api_fuzz, "cli": cli,
              "audit": audit}  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True, metavar="BENCHMARK")
    for name, module in BENCHMARKS.items():
        module.add_arguments(
            commands.add_parser(
                name,
                help=module.SUMMARY,
                description=module.__doc__,
                formatter_class=argparse.RawDescriptionHelpFormatter,
            )
        )
    args = parser.parse_args(argv)
    if args.command in BENCHMARKS:
        return BENCHMARKS[args.command].run(args)
    parser.error(f"unknown benchmark {args.command!r}")
    return 2


if __name__ == "__main__":
    sys.exit(main())
