"""How fast gradtrace writes DOT for large graphs, and how fast Graphviz lays them out.

Two measurements, recorded in benchmarks/RESULTS.md:

1. DOT emission (pure Python, no Graphviz): `to_dot` on graphs of 25,000, 50,000
   and 100,000 values. It should be linear: the time per node stays flat.
2. Graphviz layout (`dot -Tsvg` on gradtrace's DOT) on a classifier's loss graph
   of about 300, 1,000 and 2,000 values: the numbers behind `render()`'s default
   `max_nodes=1000`.

Run: .venv/bin/python benchmarks/dot.py [--runs N] [--layout-runs M] [--no-layout]
Each figure is the median of N runs (default 5) for emission, M (default 3) for layout.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import resource
import statistics
import subprocess
import time
from collections.abc import Callable

from gradtrace import Value, to_dot, to_json, to_markdown, trace

Clock = Callable[[], float]


def random_graph(n_values: int, seed: int = 0) -> Value:
    """About `n_values` values: 50 leaves, then a chain of random ops, each on the previous value
    and a random recent one (so every value reaches the output)."""
    rng = random.Random(seed)
    pool = [Value(rng.uniform(-1, 1), f"x{i}") for i in range(50)]
    made = len(pool)
    while made < n_values:
        a = pool[-1]
        b = pool[-1 - rng.randrange(min(len(pool), 60))]
        kind = rng.randrange(4)
        if kind == 0:
            pool.append(a * b)
        elif kind == 1:
            pool.append(a + b)
        elif kind == 2:
            pool.append(a.tanh())
        else:
            pool.append(a * 0.5)  # a constant leaf too
            made += 1
        made += 1
    return pool[-1]


def loss_graph(samples: int, seed: int = 0) -> Value:
    """One training step's loss of a 2→4 linear layer + softmax cross-entropy, from primitives."""
    rng = random.Random(seed)
    w = [[Value(rng.uniform(-1, 1), f"w{i}{j}") for j in range(4)] for i in range(2)]
    b = [Value(0.0, f"b{j}") for j in range(4)]
    losses = []
    for s in range(samples):
        x = [Value(rng.uniform(-2, 2), f"x{s}_{i}") for i in range(2)]
        logits = [x[0] * w[0][j] + x[1] * w[1][j] + b[j] for j in range(4)]
        exps = [z.exp() for z in logits]
        total = exps[0] + exps[1] + exps[2] + exps[3]
        target = s % 4
        losses.append(-((exps[target] / total) + 1e-6).log())
    loss = losses[0]
    for item in losses[1:]:
        loss = loss + item
    loss = loss * (1.0 / samples)
    loss.backward()
    return loss


def median_time(fn: Callable[[], object], runs: int, clock: Clock = time.perf_counter) -> float:
    times = []
    for _ in range(runs):
        start = clock()
        fn()
        times.append(clock() - start)
    return statistics.median(times)


def cpu_time(fn: Callable[[], object], runs: int) -> float:
    """Median CPU time of this process: what the work costs, whoever else shares the machine."""
    return median_time(fn, runs, time.process_time)


def emission(runs: int) -> None:
    print(f"## DOT emission: median of {runs} runs, CPU time of this process (wall in brackets)")
    print(
        "| values | trace() | to_dot(graph) | per value | to_dot(root) = trace + DOT "
        "| to_json | to_markdown |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for n in (25_000, 50_000, 100_000):
        root = random_graph(n)
        graph = trace(root)
        jobs: dict[str, Callable[[], object]] = {
            "trace": lambda r=root: trace(r),
            "dot": lambda g=graph: to_dot(g),
            "both": lambda r=root: to_dot(r),
            "json": lambda g=graph: to_json(g),
            "md": lambda g=graph: to_markdown(g),
        }
        cpu = {k: cpu_time(job, runs) for k, job in jobs.items()}
        wall = {k: median_time(job, runs) for k, job in jobs.items()}

        def cell(k: str, cpu: dict[str, float] = cpu, wall: dict[str, float] = wall) -> str:
            return f"{cpu[k]:.2f} s ({wall[k]:.2f})"

        print(
            f"| {len(graph):,} | {cell('trace')} | {cell('dot')} | "
            f"{cpu['dot'] / len(graph) * 1e6:.1f} µs | {cell('both')} | {cell('json')} | "
            f"{cell('md')} |",
            flush=True,
        )


def _dot_times(source: bytes) -> tuple[float, float]:
    """Wall-clock and CPU (user + system) seconds of one `dot -Tsvg` run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(["dot", "-Tsvg"], input=source, capture_output=True, check=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def layout(runs: int) -> None:
    version = subprocess.run(["dot", "-V"], capture_output=True, text=True).stderr.strip()
    print(f"\n## Graphviz layout: `dot -Tsvg` ({version}), median of {runs} runs")
    print("Default look vs `fast_layout=True` (nslimit=1), run alternately.")
    print("CPU = dot's user+system time, robust to other processes sharing the machine.\n")
    print("| values | default: CPU | default: wall | fast: CPU | fast: wall | CPU ratio |")
    print("|---:|---:|---:|---:|---:|---:|")
    for samples in (9, 30, 61):
        graph = trace(loss_graph(samples))
        plain = to_dot(graph, fast_layout=False).encode()
        fast = to_dot(graph, fast_layout=True).encode()
        walls: dict[str, list[float]] = {"plain": [], "fast": []}
        cpus: dict[str, list[float]] = {"plain": [], "fast": []}
        for _ in range(runs):
            for name, source in (("plain", plain), ("fast", fast)):
                wall, cpu = _dot_times(source)
                walls[name].append(wall)
                cpus[name].append(cpu)
        med = {k: (statistics.median(walls[k]), statistics.median(cpus[k])) for k in walls}
        print(
            f"| {len(graph):,} | {med['plain'][1]:.2f} s | {med['plain'][0]:.2f} s | "
            f"{med['fast'][1]:.2f} s | {med['fast'][0]:.2f} s | "
            f"{med['plain'][1] / med['fast'][1]:.1f}× |",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--layout-runs", type=int, default=3)
    parser.add_argument("--no-layout", action="store_true")
    args = parser.parse_args()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"load average at start: {load:.1f} on {os.cpu_count()} CPUs")
    print(
        f"machine: {platform.machine()}, {platform.python_implementation()} "
        f"{platform.python_version()}, {platform.system()}"
    )
    emission(args.runs)
    if not args.no_layout:
        layout(args.layout_runs)


if __name__ == "__main__":
    main()
