"""How long the documentation site takes to build: cold, and again with nothing changed.

- cold: `mkdocs build --strict` in a fresh process with an empty gradtrace cache,
  so Figure 1, the tables, the training run, the widget and every fence are
  regenerated (the quality bar is < 30 s on a 2-core machine);
- warm: the same command again, cache filled, package source unchanged (< 5 s);
- serve-like: a second build inside one process, as `mkdocs serve` does after a
  Markdown-only edit (config reloaded, cache in memory and on disk).

Runs alternate cold and warm builds side by side; medians of `--runs` runs.
The repository is copied to a temporary folder first, so edits made to the
working tree while the benchmark runs cannot invalidate the cache. Besides
wall time, each build's CPU time (user + system, the build and its worker) is
reported: on a shared, loaded machine wall time mostly measures the queue for
a core, CPU time what the build costs.

    .venv/bin/python benchmarks/docs.py [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _snapshot(tmp: Path) -> Path:
    """A copy of the repository's sources (no .git, .venv or caches) to build from."""
    ignore = shutil.ignore_patterns(".git", ".venv", ".cache", "site", "__pycache__", ".*_cache")
    return Path(shutil.copytree(ROOT, tmp / "repo", ignore=ignore))


def _build(repo: Path, site: Path, cache: Path) -> tuple[float, float]:
    """(wall, cpu) seconds of one `mkdocs build --strict` of `repo`."""
    env = dict(
        os.environ,
        GRADTRACE_DOCS_CACHE=str(cache),
        NO_MKDOCS_2_WARNING="1",
        PYTHONPATH=str(repo),  # import the snapshot's gradtrace, not the working tree's
    )
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "-d", str(site)],
        cwd=repo,
        env=env,
        check=True,
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def _serve_like(repo: Path, site: Path, cache: Path) -> float:
    """Build twice in one fresh process; the second build's wall time (a serve rebuild)."""
    script = f"""
import os, time
os.chdir({str(repo)!r})
os.environ["GRADTRACE_DOCS_CACHE"] = {str(cache)!r}
from mkdocs.commands.build import build
from mkdocs.config import load_config
times = []
for _ in range(2):
    config = load_config("mkdocs.yml", site_dir={str(site)!r}, strict=True)
    start = time.perf_counter()
    config.plugins.on_startup(command="serve", dirty=False)
    build(config)
    times.append(time.perf_counter() - start)
config.plugins.on_shutdown()
print(times[-1])
"""
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1", PYTHONPATH=str(repo))
    out = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
    )
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    cold: list[tuple[float, float]] = []
    warm: list[tuple[float, float]] = []
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        repo = _snapshot(tmp)
        for run in range(args.runs):
            cache, site = tmp / f"cache{run}", tmp / f"site{run}"
            cold.append(_build(repo, site, cache))
            warm.append(_build(repo, site, cache))
            print(
                f"run {run + 1}: cold {cold[-1][0]:.2f} s (cpu {cold[-1][1]:.2f} s), "
                f"warm {warm[-1][0]:.2f} s (cpu {warm[-1][1]:.2f} s), "
                f"load average {os.getloadavg()[0]:.1f}",
                flush=True,
            )
        serve = _serve_like(repo, tmp / "serve-site", tmp / "cache0")

    def median(runs: list[tuple[float, float]], i: int) -> float:
        return statistics.median(r[i] for r in runs)

    machine = f"{platform.platform()}, {os.cpu_count()} cores"
    print(f"machine: {machine}, Python {platform.python_version()}")
    print(
        f"cold build (empty cache), median of {args.runs}: {median(cold, 0):.2f} s wall, "
        f"{median(cold, 1):.2f} s cpu"
    )
    print(
        f"rebuild, no source change (new process), median: {median(warm, 0):.2f} s wall, "
        f"{median(warm, 1):.2f} s cpu"
    )
    print(f"rebuild inside one process (as mkdocs serve does): {serve:.2f} s wall")
    print(f"cold / warm (wall): {median(cold, 0) / median(warm, 0):.1f}x")


if __name__ == "__main__":
    main()
