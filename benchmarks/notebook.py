"""How long a notebook cell takes from "run" to the first paint of its gradtrace output.

A JupyterLab server (started here on 127.0.0.1, as the tests start it) opens a notebook
in the system's Chromium. For each measured cell, inside the page: its outputs are
cleared, the time is taken, JupyterLab's `notebook:run-cell` command runs it, and the
page is polled every animation frame until the output is there (the widget started,
`[data-gt-ready]`, or the SVG image decoded); one more frame, so it has been painted,
then the time again. That covers the kernel (tracing, Graphviz layout, the widget's
HTML), the messages to the page, anywidget loading the module, and the widget's start.

Cells, each as the live widget (`gt.widget(f)`) and as the static figure (a cell ending
with the value): Figure 1 (19 values); the classifier's loss (`LinearLayer(2, 4)` and
cross-entropy on 21 points of the SPEC's data set: 500 values, 54 input leaves); and
`benchmarks/widget.py`'s `graph_of(500)`, a stress graph of operations of every kind
whose long edges make the layout hard (its numbers overflow to inf and nan: it is about
size, not values). Runs are interleaved; the first run of each cell is reported apart
(the first widget of a session also loads the widget module). The load average is
printed: other work on the machine slows every number.

Also timed in this process, without a browser: `gt.widget(f)` itself (trace, two
Graphviz layouts, the HTML), the Python share of the widget cells.

Run: .venv/bin/python benchmarks/notebook.py [--runs R]
Prints a Markdown table for benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import nbformat

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))  # the tests' private Jupyter set-up
sys.path.insert(0, str(HERE))

from notebook_tools import KERNEL, jupyter_env, jupyterlab  # noqa: E402
from widget import CHROMIUM_ARGS, graph_of  # noqa: E402

import gradtrace as gt  # noqa: E402

SETUP = f"""import sys
sys.path.insert(0, {str(HERE)!r})
import gradtrace as gt
from widget import graph_of
from gradtrace.data import four_blobs
from gradtrace.nn import LinearLayer, cross_entropy_loss
f = gt.figure1()
data = four_blobs()
loss = cross_entropy_loss(LinearLayer(2, 4)([list(p) for p in data.x[:21]]), list(data.y[:21]))
loss.backward()
big = graph_of(500)
y = gt.Value(1.0, "x")
for _ in range(99_999):
    y = -y"""

CELLS = {
    "Figure 1, widget": ("gt.widget(f)", ".gradtrace-widget[data-gt-ready]"),
    "500-value loss, widget": ("gt.widget(loss)", ".gradtrace-widget[data-gt-ready]"),
    "500-node stress graph, widget": ("gt.widget(big)", ".gradtrace-widget[data-gt-ready]"),
    "Figure 1, figure": ("f", ".jp-RenderedSVG img"),
    "500-value loss, figure": ("loss", ".jp-RenderedSVG img"),
    "500-node stress graph, figure": ("big", ".jp-RenderedSVG img"),
}
#: Shown once for the screenshots, not timed: 10⁵ values (a summary, not a figure).
HUGE = "y"

MEASURE = """async ([source, selector]) => {
  const frame = () => new Promise(r => requestAnimationFrame(r));
  const panel = window.jupyterapp.shell.currentWidget;
  const index = panel.content.widgets.findIndex(c => c.model.sharedModel.getSource() === source);
  const cell = panel.content.widgets[index];
  panel.content.activeCellIndex = index;
  cell.model.outputs.clear();
  await frame();
  const t0 = performance.now();
  window.jupyterapp.commands.execute('notebook:run-cell');
  for (;;) {
    const el = cell.node.querySelector(selector);
    if (el && (el.tagName !== 'IMG' || (el.complete && el.naturalWidth > 0))) break;
    if (performance.now() - t0 > 300000) throw new Error('no output after 300 s');
    await frame();
  }
  await frame();
  return performance.now() - t0;
}"""


RUN = """async (source) => {
  const panel = window.jupyterapp.shell.currentWidget;
  panel.content.activeCellIndex = panel.content.widgets.findIndex(
    c => c.model.sharedModel.getSource() === source);
  await window.jupyterapp.commands.execute('notebook:run-cell');
}"""


def idle(page: Any) -> None:
    page.wait_for_function(
        "() => window.jupyterapp?.shell.currentWidget?.sessionContext?.session?.kernel?.status"
        " === 'idle'",
        timeout=300_000,
    )


def shoot(page: Any, folder: Path) -> None:
    """A PNG of each widget cell (and of the loss widget's figure), of the Figure 1 widget
    after three steps of backward() with w₁ = 0.7, of the loss's static figure, and of the
    10⁵-value summary."""
    folder.mkdir(parents=True, exist_ok=True)
    widgets = page.locator(".jp-OutputArea .gradtrace-widget[data-gt-ready]")
    top = "el => el.scrollIntoView({block: 'start'})"
    names = ("jupyterlab-figure1-widget", "jupyterlab-500-loss-widget", "jupyterlab-500-stress")
    for i, name in enumerate(names):
        widgets.nth(i).evaluate(top)
        page.screenshot(path=str(folder / f"{name}.png"))
    widgets.nth(1).locator(".gt-figure").evaluate(top)
    page.screenshot(path=str(folder / "jupyterlab-500-loss-widget-figure.png"))
    page.locator(".jp-RenderedSVG img").nth(1).evaluate(top)
    page.screenshot(path=str(folder / "jupyterlab-500-loss-figure.png"))
    page.evaluate(RUN, HUGE)
    idle(page)
    summary = page.locator(".jp-OutputArea .gradtrace-summary")
    summary.wait_for(timeout=120_000)
    summary.evaluate(top)
    page.screenshot(path=str(folder / "jupyterlab-100000-values.png"))
    first = widgets.nth(0)
    first.locator('.gt-control:has(label:text-is("w₁")) input.gt-number').fill("0.7")
    for _ in range(3):
        first.locator("button.gt-step").click()
    first.evaluate(top)
    page.screenshot(path=str(folder / "jupyterlab-figure1-stepping.png"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--screenshots", type=Path, help="save a PNG of each widget cell here")
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    from gradtrace.data import four_blobs
    from gradtrace.nn import LinearLayer, cross_entropy_loss

    data = four_blobs()
    points, labels = [list(p) for p in data.x[:21]], list(data.y[:21])
    loss = cross_entropy_loss(LinearLayer(2, 4)(points), labels)
    loss.backward()
    big = graph_of(500)
    roots = (("Figure 1", gt.figure1()), ("500-value loss", loss), ("500-node stress graph", big))
    python: dict[str, list[float]] = {name: [] for name, _ in roots}
    load = [os.getloadavg()[0]]
    for _ in range(args.runs):
        for name, root in roots:
            t = time.perf_counter()
            gt.widget(root)
            python[name].append(time.perf_counter() - t)

    home = Path(tempfile.mkdtemp(prefix="gradtrace-bench-"))
    try:
        env = jupyter_env(home)
        root = home / "lab"
        root.mkdir()
        nb = nbformat.v4.new_notebook(
            cells=[nbformat.v4.new_code_cell(SETUP)]
            + [nbformat.v4.new_code_cell(source) for source, _ in CELLS.values()]
            + [nbformat.v4.new_code_cell(HUGE)],
            metadata={"kernelspec": {"name": KERNEL, "display_name": "gradtrace test"}},
        )
        nbformat.write(nb, str(root / "bench.ipynb"))
        times: dict[str, list[float]] = {name: [] for name in CELLS}
        with jupyterlab(root, env) as url, sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1280, "height": 1000})
            page.goto(url.format(path="bench.ipynb"))
            page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=120_000)
            idle(page)
            page.evaluate(
                "async () => { const panel = window.jupyterapp.shell.currentWidget;"
                " panel.content.activeCellIndex = 0;"
                " await window.jupyterapp.commands.execute('notebook:run-cell'); }"
            )
            idle(page)
            for _ in range(args.runs):
                for name, (source, selector) in CELLS.items():
                    times[name].append(page.evaluate(MEASURE, [source, selector]) / 1000)
                    idle(page)
            load.append(os.getloadavg()[0])
            if args.screenshots:
                shoot(page, args.screenshots)
            version = browser.version
            browser.close()
    finally:
        shutil.rmtree(home, ignore_errors=True)

    from importlib.metadata import version as installed

    print(f"machine: {platform.machine()}, {platform.system()}, Python {platform.python_version()}")
    print(
        f"browser: Chromium {version} (headless); JupyterLab {installed('jupyterlab')}, "
        f"anywidget {installed('anywidget')}"
    )
    print(f"load average (1 min) at start and end: {load[0]:.1f}, {load[-1]:.1f}")
    print(f"command: .venv/bin/python benchmarks/notebook.py --runs {args.runs}\n")
    print("| cell | first run | median of the other runs | every run, in order |")
    print("|---|--:|--:|---|")
    for name, values in times.items():
        rest = statistics.median(values[1:] or values)
        every = " ".join(f"{v:.2f}" for v in values)
        print(f"| `{CELLS[name][0]}` ({name}) | {values[0]:.2f} s | {rest:.2f} s | {every} |")
    print("\nPython share, `gt.widget(...)` alone (median):")
    for name, values in python.items():
        print(f"- {name}: {statistics.median(values):.2f} s")


if __name__ == "__main__":
    main()
