"""How long the live demo takes to redraw after a reader moves a control.

A 500-node graph (mixed operations, every value on a path to the output) is exported with
`to_html`, opened in the system's Chromium, and one input is changed many times through
its number box (an `input` event, as when typing). For each change we time, with
`performance.now()` inside the page:

- script: the widget's handler (forward + backward over the exported graph, then writing
  every changed number into both figures and the table);
- script + layout: the same, then forcing the browser's style and layout pass that the
  next frame would do anyway (reading `offsetHeight`).

One animation frame at 60 Hz is 16.7 ms; the goal is the median well under 16 ms.
Figure 1 (19 nodes) is measured in the same run, side by side, for scale.

Run: .venv/bin/python benchmarks/widget.py [--changes N] [--runs R]
Prints a Markdown table for benchmarks/RESULTS.md (medians over R runs of N changes).
"""

from __future__ import annotations

import argparse
import functools
import http.server
import platform
import random
import statistics
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from gradtrace import Value, figure1, to_html, trace

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


def graph_of(n_nodes: int, seed: int = 0) -> Value:
    """About `n_nodes` nodes: 12 inputs, then operations of every kind on the last value
    and a random recent one, so that every value reaches the output.

    Operands come from the last few values (as in a layered network): Graphviz lays such a
    graph out in seconds, whereas edges to arbitrary earlier values make its layout take
    minutes at this size.
    """
    rng = random.Random(seed)
    pool = [Value(rng.uniform(-1, 1), f"x{i}") for i in range(12)]
    last = pool[0]
    kinds = ("+", "*", "tanh", "sigmoid", "relu", "sum", "dot", "**2", "-", "exp")
    i = 0
    while len(trace(last)) < n_nodes:
        recent = pool[-8:]
        other = rng.choice(recent)
        kind = kinds[i % len(kinds)]
        i += 1
        if kind == "+":
            last = last + other
        elif kind == "*":
            last = last * other
        elif kind == "-":
            last = last - other
        elif kind == "**2":
            last = last**2
        elif kind == "exp":
            last = (last * 0.1).exp()
        elif kind == "sum":
            last = Value.sum([last, other, rng.choice(recent)])
        elif kind == "dot":
            last = Value.dot([last, other], [rng.choice(recent), rng.choice(recent)])
        else:
            last = getattr(last, kind)()
        pool.append(last)
    last.label = "f"
    last.backward()
    return last


MEASURE = """([changes, selector]) => {
  const box = document.querySelector(selector);
  const root = document.querySelector('.gradtrace-widget');
  const script = [], layout = [];
  for (let k = 0; k < changes; k++) {
    box.value = String(-0.9 + 1.8 * (k % 97) / 97);
    const t0 = performance.now();
    box.dispatchEvent(new Event('input', {bubbles: true}));
    const t1 = performance.now();
    void root.offsetHeight;  // the style + layout pass of the next frame
    const t2 = performance.now();
    script.push(t1 - t0);
    layout.push(t2 - t0);
  }
  const median = xs => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  return [median(script), median(layout)];
}"""


def measure(page: Any, url: str, changes: int) -> tuple[float, float]:
    page.goto(url)
    page.wait_for_selector(".gradtrace-widget[data-gt-ready]")
    result = page.evaluate(MEASURE, [changes, ".gt-control input.gt-number"])
    return float(result[0]), float(result[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--changes", type=int, default=200)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--nodes", type=int, default=500)
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    big = graph_of(args.nodes)
    n_big = len(trace(big))
    t0 = time.perf_counter()
    big_page = to_html(big)
    export_s = time.perf_counter() - t0
    pages = {"figure1": to_html(figure1()), "big": big_page}

    with tempfile.TemporaryDirectory() as tmp:
        for name, text in pages.items():
            Path(tmp, f"{name}.html").write_text(text, encoding="utf-8")
        handler = functools.partial(_Quiet, directory=tmp)
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{server.server_address[1]}"
        runs: dict[str, list[tuple[float, float]]] = {"figure1": [], "big": []}
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            for _ in range(args.runs):  # interleaved, so both see the same machine load
                for name in runs:
                    runs[name].append(measure(page, f"{base}/{name}.html", args.changes))
            version = browser.version
            browser.close()
        server.shutdown()

    def med(name: str, k: int) -> float:
        return statistics.median(r[k] for r in runs[name])

    print(f"machine: {platform.machine()}, {platform.system()}, Python {platform.python_version()}")
    print(f"browser: Chromium {version} (headless)")
    command = f"benchmarks/widget.py --changes {args.changes} --runs {args.runs}"
    print(f"command: .venv/bin/python {command}")
    print(f"to_html of the {n_big}-node graph (2 Graphviz layouts): {export_s:.2f} s\n")
    print("| graph | nodes | script per change (median) | script + layout (median) |")
    print("|---|---|---|---|")
    n_fig = len(trace(figure1()))
    for name, n in (("Figure 1", n_fig), (f"{n_big}-node mixed", n_big)):
        key = "figure1" if name == "Figure 1" else "big"
        print(f"| {name} | {n} | {med(key, 0):.2f} ms | {med(key, 1):.2f} ms |")
    ratio = med("big", 1) / med("figure1", 1)
    print(f"\nratio {n_big}-node / Figure 1 (script + layout): {ratio:.1f}x")


if __name__ == "__main__":
    main()
