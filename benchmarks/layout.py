"""How well `layout_size` predicts Graphviz's layout time, across graph shapes.

The numbers behind `DEFAULT_MAX_EDGES` and `FAST_LAYOUT_FROM_LENGTH` (recorded in
benchmarks/RESULTS.md). For each graph: its values, the estimate of
`gradtrace.export.dot.layout_size` on `to_dot`'s output, and the CPU time of
`dot -Tsvg` on that DOT (the median of --runs runs; a run past --limit seconds is
stopped and shown as "> limit").

Run: .venv/bin/python benchmarks/layout.py [--runs N] [--limit SECONDS]
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
from collections.abc import Callable

from dot import loss_graph, random_graph

from gradtrace import Value, to_dot, trace
from gradtrace.export.dot import layout_size


def dense(n: int) -> Value:
    """n values, each the sum of all before it (issue 16's graph)."""
    values = [Value(1.0, "x0")]
    for _ in range(1, n):
        values.append(Value.sum(values[:]))
    return values[-1]


def layered(layers: int, width: int) -> Value:
    """`width` inputs, then `layers` layers of `width` sums of every value below."""
    below = [Value(1.0, f"x{i}") for i in range(width)]
    for _ in range(layers):
        below = below + [Value.sum(below) for _ in range(width)]
    return Value.sum(below[-width:])


def dot_cpu(source: str, limit: float) -> float | None:
    """CPU seconds of `dot -Tsvg` on `source`, or None if it ran past `limit` seconds."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    try:
        subprocess.run(["dot", "-Tsvg"], input=source.encode(), capture_output=True, timeout=limit)
    except subprocess.TimeoutExpired:
        return None
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--limit", type=float, default=120.0)
    args = parser.parse_args()
    cases: list[tuple[str, Callable[[], Value], dict[str, object]]] = [
        ("dense 20, one row", lambda: dense(20), {"wrap": 0}),
        ("dense 32, one row", lambda: dense(32), {"wrap": 0}),
        ("dense 40, one row", lambda: dense(40), {"wrap": 0}),
        ("dense 50, one row", lambda: dense(50), {"wrap": 0}),
        ("dense 50, wrapped", lambda: dense(50), {}),
        ("layered 8×4", lambda: layered(8, 4), {}),
        ("layered 10×5", lambda: layered(10, 5), {}),
        ("layered 12×6", lambda: layered(12, 6), {}),
        ("random 300", lambda: random_graph(300), {}),
        ("random 1000", lambda: random_graph(1000), {}),
        ("loss, 30 samples", lambda: loss_graph(30), {}),
    ]
    print("| graph | values | edges | length | layout | dot CPU |")
    print("|---|---:|---:|---:|---|---:|")
    for name, make, options in cases:
        root = make()
        source = to_dot(root, **options)  # type: ignore[arg-type]
        size = layout_size(source)
        times = [dot_cpu(source, args.limit) for _ in range(args.runs)]
        done = [t for t in times if t is not None]
        shown = f"> {args.limit:g} s"
        if len(done) == len(times):
            shown = f"{statistics.median(done):.2f} s"
        quick = "quick" if "nslimit=1" in source else "full"
        print(
            f"| {name} | {len(trace(root))} | {size.edges} | {size.length:,} | {quick} | {shown} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
