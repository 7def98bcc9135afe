"""What capturing the user's code costs, and how long a long chain takes to export.

Two measurements (issue 10):

1. **Capture overhead.** `gradtrace.capture` runs the user's file with a hook after
   every binding statement. The workload is a lecture-style file that trains the
   2-3-1 MLP of `examples/mlp.py` by gradient descent at module level for a few
   epochs (loops, function calls, list bindings: every kind of binding the hooks
   record). It runs alternately as plain `runpy.run_path` (what `python FILE.py`
   does) and through `capture_file` (run + name + trace), each run in this process,
   median of several runs.
2. **Export of `examples/long_chain.py`** (200 operations) in every format at once
   (`gradtrace export ... --svg --png --pdf --dot --md --tex --csv --html --json`),
   as a fresh process, median of several runs; target < 3 s.

    .venv/bin/python benchmarks/capture.py [--runs 7]
"""

from __future__ import annotations

import argparse
import gc
import platform
import runpy
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from gradtrace.capture import capture_file

ROOT = Path(__file__).resolve().parent.parent

TRAINING = """\
import random
from gradtrace import Value

random.seed(0)


class Neuron:
    def __init__(self, nin):
        self.w = [Value(random.uniform(-1, 1)) for _ in range(nin)]
        self.b = Value(0.0)

    def __call__(self, x):
        act = sum((wi * xi for wi, xi in zip(self.w, x)), self.b)
        out = act.tanh()
        return out

    def parameters(self):
        return [*self.w, self.b]


class MLP:
    def __init__(self, sizes):
        self.layers = [[Neuron(a) for _ in range(b)] for a, b in zip(sizes, sizes[1:])]

    def __call__(self, x):
        for layer in self.layers:
            x = [n(x) for n in layer]
        return x[0]

    def parameters(self):
        return [p for layer in self.layers for n in layer for p in n.parameters()]


xs = [[random.uniform(-1, 1), random.uniform(-1, 1)] for _ in range(50)]
ys = [1.0 if a * b > 0 else -1.0 for a, b in xs]
model = MLP([2, 3, 1])
for epoch in range(100):
    preds = [model(x) for x in xs]
    loss = sum(((p - y) ** 2 for p, y in zip(preds, ys)), Value(0.0))
    for p in model.parameters():
        p.grad = 0.0
    loss.backward()
    for p in model.parameters():
        p.data -= 0.05 * p.grad
"""

FORMATS = ["--svg", "--png", "--pdf", "--dot", "--md", "--tex", "--csv", "--html", "--json"]


def _timed(run: object) -> float:
    gc.collect()
    start = time.perf_counter()
    run()  # type: ignore[operator]
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    runs = parser.parse_args().runs
    print(f"python {platform.python_version()}, {platform.platform()}, 2 cpus")

    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "training.py"
        source.write_text(TRAINING, encoding="utf-8")
        plain, captured = [], []
        for _ in range(runs):
            plain.append(_timed(lambda: runpy.run_path(str(source), run_name="__main__")))
            captured.append(_timed(lambda: capture_file(source)))
        p, c = statistics.median(plain), statistics.median(captured)
        print("\n## Capture overhead: a module-level MLP training loop (100 epochs x 50 points)")
        print(f"plain run (runpy): median {p * 1000:.0f} ms over {runs} runs")
        print(f"capture_file (run with binding hooks, name, trace): median {c * 1000:.0f} ms")
        print(f"overhead: {100 * (c / p - 1):+.1f} %")

        chain = ROOT / "examples/long_chain.py"
        command = [sys.executable, "-m", "gradtrace", "export", str(chain), *FORMATS, "-o", folder]
        subprocess.run(command, check=True, capture_output=True)  # warm caches
        walls = []
        for _ in range(runs):
            start = time.perf_counter()
            subprocess.run(command, check=True, capture_output=True)
            walls.append(time.perf_counter() - start)
        png = (Path(folder) / "long_chain.png").read_bytes()
        width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
        print("\n## examples/long_chain.py (200 operations) in all nine formats, fresh process")
        low, high = min(walls), max(walls)
        print(f"wall: median {statistics.median(walls):.2f} s (min {low:.2f}, max {high:.2f})")
        print(f"PNG: {width} x {height} px = {width * height / 1e6:.1f} megapixels")


if __name__ == "__main__":
    main()
