"""Print figures: TikZ generation and compile times, and PNG resolution against time.

    .venv/bin/python benchmarks/tikz.py --runs 3

For Figure 1 and a 300-value graph (a chain of products, sums and tanh):
`to_tikz` (Graphviz layout included), then `pdflatex` and `lualatex` on the document
it writes; and Figure 1 as a PNG at 96, 192 and 300 dpi (`to_image`), with its size.
Medians of `--runs` runs; needs TeX Live (as `./dev test` installs it).
"""

from __future__ import annotations

import argparse
import statistics
import struct
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from gradtrace import Value, figure1, to_tikz, trace
from gradtrace.export.render import to_image
from gradtrace.graph import Graph


def _median(runs: int, work: Callable[[], object]) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _big() -> Value:
    """About 300 values: a sum of products with a tanh every few steps."""
    y = Value(0.5, label="x")
    for k in range(40):
        w = Value(0.01 * (k % 7) - 0.03, label=f"w{k}")
        y = (y * w + 0.1).tanh() + y * 0.5
    return y


def _compile(engine: str, source: str, folder: Path) -> None:
    (folder / "fig.tex").write_text(source)
    subprocess.run(
        [engine, "-interaction=batchmode", "-halt-on-error", "fig.tex"],
        cwd=folder,
        check=True,
        capture_output=True,
    )


def _tikz_row(graph: Graph, runs: int) -> str:
    source = to_tikz(graph, max_nodes=None, max_edges=None)
    with tempfile.TemporaryDirectory() as folder:
        cells = [
            _median(runs, lambda: to_tikz(graph, max_nodes=None, max_edges=None)),
            _median(runs, lambda: _compile("pdflatex", source, Path(folder))),
            _median(runs, lambda: _compile("lualatex", source, Path(folder))),
        ]
    return " | ".join(f"{1000 * c:.0f} ms" for c in cells)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    runs = parser.parse_args().runs
    print("| graph | values | to_tikz | pdflatex | lualatex |")
    print("|---|--:|--:|--:|--:|")
    for name, graph in (("Figure 1", trace(figure1())), ("chain", trace(_big()))):
        print(f"| {name} | {len(graph)} | {_tikz_row(graph, runs)} |")
    print()
    print("| Figure 1 PNG | size | time |")
    print("|---|--:|--:|")
    graph = trace(figure1())
    for dpi in (96, 192, 300):
        png = to_image(graph, "png", dpi=dpi)
        width, height = struct.unpack(">II", png[16:24])
        seconds = _median(runs, lambda dpi=dpi: to_image(graph, "png", dpi=dpi))
        print(f"| {dpi} dpi | {width} × {height} px | {1000 * seconds:.0f} ms |")


if __name__ == "__main__":
    main()
