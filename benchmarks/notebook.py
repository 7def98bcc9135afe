"""How long a notebook cell takes from "run" to the first paint of its gradtrace output.

A JupyterLab server (started here on 127.0.0.1, as the tests start it) opens a notebook
in the system's Chromium. For each measured cell, inside the page: its outputs are
cleared, the time is taken, JupyterLab's `notebook:run-cell` command runs it, and the
page is polled every animation frame until the output is there (the widget started,
`[data-gt-ready]`, or the SVG image decoded); one more frame, so it has been painted,
then the time again. That covers the kernel (tracing, Graphviz layout, the widget's
HTML), the messages to the page, anywidget loading the module, and the widget's start.

Cells: Figure 1 (19 values) and a 500-node graph (`benchmarks/widget.py`'s `graph_of`),
each as the live widget (`gt.widget(f)`) and as the static figure (a cell ending with
the value). Runs are interleaved; the first run of each cell is reported apart (the
first widget of a session also loads the widget module).

Also timed in this process, without a browser: `gt.widget(f)` itself (trace, two
Graphviz layouts, the HTML), the Python share of the widget cells.

Run: .venv/bin/python benchmarks/notebook.py [--runs R]
Prints a Markdown table for benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
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

from notebook_tools import jupyter_env, jupyterlab  # noqa: E402
from widget import CHROMIUM_ARGS, graph_of  # noqa: E402

import gradtrace as gt  # noqa: E402

SETUP = f"""import sys
sys.path.insert(0, {str(HERE)!r})
import gradtrace as gt
from widget import graph_of
f = gt.figure1()
big = graph_of(500)"""

CELLS = {
    "Figure 1, widget": ("gt.widget(f)", ".gradtrace-widget[data-gt-ready]"),
    "500-node graph, widget": ("gt.widget(big)", ".gradtrace-widget[data-gt-ready]"),
    "Figure 1, figure": ("f", ".jp-RenderedSVG img"),
    "500-node graph, figure": ("big", ".jp-RenderedSVG img"),
}

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


def idle(page: Any) -> None:
    page.wait_for_function(
        "() => window.jupyterapp?.shell.currentWidget?.sessionContext?.session?.kernel?.status"
        " === 'idle'",
        timeout=300_000,
    )


def shoot(page: Any, folder: Path) -> None:
    """A PNG of each widget cell, and of the Figure 1 widget after one step of backward()."""
    folder.mkdir(parents=True, exist_ok=True)
    widgets = page.locator(".jp-OutputArea .gradtrace-widget[data-gt-ready]")
    top = "el => el.scrollIntoView({block: 'start'})"
    for i, name in enumerate(("jupyterlab-figure1-widget", "jupyterlab-500-node-widget")):
        widgets.nth(i).evaluate(top)
        page.screenshot(path=str(folder / f"{name}.png"))
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

    big = graph_of(500)
    python: dict[str, list[float]] = {"Figure 1": [], "500-node graph": []}
    for _ in range(args.runs):
        for name, root in (("Figure 1", gt.figure1()), ("500-node graph", big)):
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
            + [nbformat.v4.new_code_cell(source) for source, _ in CELLS.values()],
            metadata={"kernelspec": {"name": "python3", "display_name": "Python 3"}},
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
    print(f"command: .venv/bin/python benchmarks/notebook.py --runs {args.runs}\n")
    print("| cell | first run | median of the other runs |")
    print("|---|--:|--:|")
    for name, values in times.items():
        rest = statistics.median(values[1:] or values)
        print(f"| `{CELLS[name][0]}` ({name}) | {values[0]:.2f} s | {rest:.2f} s |")
    print("\nPython share, `gt.widget(...)` alone (median):")
    for name, values in python.items():
        print(f"- {name}: {statistics.median(values):.2f} s")


if __name__ == "__main__":
    main()
