"""How long ``registrar`` takes to start, beside ``python -c pass`` in the same run (issue 14, part 5).

A script loading an election calls ``registrar`` once per action; before this issue a call cost
over a second of CPU before it did anything. Measured, each in a fresh interpreter, interleaved
in ``--rounds`` rounds so that other load on the machine weighs on all alike:

* ``python -c pass``: the interpreter alone, the baseline;
* ``registrar --help``: the command line itself (click and the list of commands);
* ``registrar calendar ...``: one action that needs the law but no database;
* ``registrar election requirements ID --json`` on a demo SQLite database (built untimed): one
  action that reads the database, and so imports SQLAlchemy, the models and the domain.

For each: the median wall time and CPU time (user + system, of the child: what the machine's
other load inflates least), the ratio to the baseline, and whether it is within the target of
0.3 s. Nothing asserts; the exit status is 0 whatever the figures.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SUMMARY = "start-up of `registrar --help` and of one action, beside `python -c pass`, against 0.3 s"
TARGET_SECONDS = 0.3
CALENDAR = ["calendar", "--announced", "2029-08-24", "--election-day", "2029-11-25", "--json"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--rounds", type=int, default=7, help="fresh interpreters per command (7)")
    parser.add_argument("--no-database", action="store_true", help="skip the action that reads a demo database")


def _registrar(*args: str) -> list[str]:
    # The console script's own code (registrar/__main__.py), without the wrapper's path lookups.
    return [sys.executable, "-m", "registrar", *args]


def _once(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU seconds of one run of ``command`` in a fresh process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def measure(commands: dict[str, list[str]], rounds: int, env: dict[str, str]) -> dict[str, tuple[float, float]]:
    """Median (wall, CPU) per command, the commands interleaved round after round (one untimed run first)."""
    for command in commands.values():
        _once(command, env)  # warm the file cache and the .pyc files
    runs: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
    for _ in range(rounds):
        for name, command in commands.items():
            runs[name].append(_once(command, env))
    return {name: (statistics.median(w for w, _ in got), statistics.median(c for _, c in got)) for name, got in runs.items()}


def report(figures: dict[str, tuple[float, float]], baseline: str) -> list[str]:
    base_wall, base_cpu = figures[baseline]
    lines = [f"{'command':<40} {'wall ms':>8} {'CPU ms':>8} {'x pass':>7} {'< 0.3 s':>8}"]
    for name, (wall, cpu) in figures.items():
        ratio = wall / base_wall if base_wall else float("inf")
        met = "" if name == baseline else ("yes" if wall < TARGET_SECONDS else "NO")
        lines.append(f"{name:<40} {wall * 1000:>8.0f} {cpu * 1000:>8.0f} {ratio:>7.1f} {met:>8}")
    lines.append(f"(medians; CPU is the child's user + system time; baseline {baseline}: {base_wall * 1000:.0f} ms wall, "
                 f"{base_cpu * 1000:.0f} ms CPU)")  # fmt: skip
    return lines


def run(args: argparse.Namespace) -> int:
    if args.rounds < 1:
        raise SystemExit("--rounds must be >= 1")
    with tempfile.TemporaryDirectory(prefix="registrar_bench_cli_") as directory:
        env = {**os.environ, "REGISTRAR_DATABASE_URL": f"sqlite:///{Path(directory) / 'demo.db'}"}
        commands = {"python -c pass": [sys.executable, "-c", "pass"], "registrar --help": _registrar("--help"),
                    "registrar calendar ... --json": _registrar(*CALENDAR)}  # fmt: skip
        if not args.no_database:
            from registrar.demo import DEMO_ID

            subprocess.run(_registrar("demo"), env=env, check=True, stdout=subprocess.DEVNULL)  # untimed
            commands["registrar election requirements (demo)"] = _registrar("election", "requirements", DEMO_ID, "--json")
        figures = measure(commands, args.rounds, env)
    print(f"registrar start-up, {args.rounds} rounds, target < {TARGET_SECONDS} s")
    for line in report(figures, "python -c pass"):
        print(line)
    return 0
