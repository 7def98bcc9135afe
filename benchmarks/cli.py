"""Start-up and export time of the `gradtrace` command, as a user runs it.

Targets (issue 5): `gradtrace --help` under 0.3 s and `gradtrace export
examples/figure1.py --svg` under 1 s on a 2-core machine.

Each command runs as a fresh process (the installed console script), the
commands interleaved round by round so that background load hits them alike;
the median of the rounds is reported, next to bare `python -c pass` as the
floor no Python command can go below.

    .venv/bin/python benchmarks/cli.py [--rounds 15]
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = str(Path(sys.executable).parent / "gradtrace")


def _time(command: list[str]) -> tuple[float, float]:
    """Wall-clock and CPU seconds (user + system, the command and what it waited for)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    rounds = parser.parse_args().rounds
    with tempfile.TemporaryDirectory() as out:
        commands = {
            "python -c pass": [sys.executable, "-c", "pass"],
            "gradtrace --help": [SCRIPT, "--help"],
            "gradtrace export examples/figure1.py --svg": [
                SCRIPT, "export", str(ROOT / "examples/figure1.py"), "--svg", "-o", out,
            ],
            "gradtrace export examples/figure1.py --md": [
                SCRIPT, "export", str(ROOT / "examples/figure1.py"), "--md", "-o", out,
            ],
        }  # fmt: skip
        for command in commands.values():  # warm the file cache and .pyc files
            _time(command)
        times: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
        for _ in range(rounds):
            for name, command in commands.items():
                times[name].append(_time(command))
    print(f"machine: {platform.machine()}, {_cores()} cores, Python {platform.python_version()}")
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")
    print(f"median of {rounds} runs, interleaved:\n")
    print("| command | wall median (s) | wall min–max (s) | CPU median (s) |")
    print("|---|---|---|---|")
    for name, samples in times.items():
        wall = [w for w, _ in samples]
        cpu = statistics.median(c for _, c in samples)
        print(
            f"| `{name}` | {statistics.median(wall):.3f} | {min(wall):.3f}–{max(wall):.3f} "
            f"| {cpu:.3f} |"
        )


def _cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 0


if __name__ == "__main__":
    main()
