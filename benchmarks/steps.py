"""How long exporting every step format takes, for Figure 1 and for a 2-3-1 MLP.

For each graph, each format of `gradtrace.to_frames` (SVG and PNG sequences, the multi-page
PDF, the GIF), the Beamer frame (`to_beamer`, which lays the graph out too) and the
derivation of every leaf (`to_derivation`, Markdown), timed end to end: walk, one Graphviz
layout, caption measurement and the one Graphviz run that draws every frame. The MLP is
examples/mlp.py, captured as the command line does.

Run: .venv/bin/python benchmarks/steps.py [--runs N]
Prints a Markdown table for benchmarks/RESULTS.md (medians of N runs, default 5).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from gradtrace import figure1, to_beamer, to_derivation, to_frames, trace, walk
from gradtrace.capture import capture_file
from gradtrace.graph import Graph

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def median_seconds(job: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        job()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def measure(graph: Graph, runs: int) -> dict[str, float]:
    leaves = [n.id for n in graph if n.is_leaf and n.role != "constant"]
    jobs: dict[str, Callable[[], object]] = {
        "walk (steps as data)": lambda: walk(graph),
        **{f"frames {fmt}": (lambda fmt=fmt: to_frames(graph, fmt)) for fmt in ("svg", "png")},
        "frames pdf": lambda: to_frames(graph, "pdf"),
        "frames gif": lambda: to_frames(graph, "gif"),
        "beamer tex": lambda: to_beamer(graph, pdf="steps.pdf"),
        "derivation, every leaf": lambda: to_derivation(graph, leaves),
    }
    return {name: median_seconds(job, runs) for name, job in jobs.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    graphs = {
        "Figure 1": trace(figure1()),
        "2-3-1 MLP": capture_file(EXAMPLES / "mlp.py").graph,
    }
    results = {name: measure(graph, args.runs) for name, graph in graphs.items()}
    counts = {name: len(walk(g).steps()) for name, g in graphs.items()}
    print(
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    print(f"Command: .venv/bin/python benchmarks/steps.py --runs {args.runs}\n")
    names = list(graphs)
    print(
        "| export | "
        + " | ".join(f"{n} ({len(graphs[n])} values, {counts[n]} steps)" for n in names)
        + " |"
    )
    print("|---|" + "--:|" * len(names))
    for job in results[names[0]]:
        cells = " | ".join(f"{results[n][job] * 1000:.0f} ms" for n in names)
        print(f"| {job} | {cells} |")


if __name__ == "__main__":
    main()
