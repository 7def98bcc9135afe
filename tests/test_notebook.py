"""The course notebook (examples/backprop.ipynb) under a real kernel and in a real JupyterLab.

1. nbclient runs it headlessly with ipykernel; its outputs are checked against SPEC §2
   (Figure 1's numbers) and SPEC §3 (99% accuracy, loss 0.13).
2. A JupyterLab server started here on 127.0.0.1 (random port, token) opens it in the
   system's Chromium: the widget cell renders the live widget, a slider moved with the
   keyboard changes the numbers to what the Python engine computes for the new input,
   and the kernel's `w1.data` follows. Every request the page makes is recorded: only
   127.0.0.1 may be asked.
3. Bad input in a live notebook: a graph of 10⁵ values, nan/inf values and labels with
   HTML/JS in them; and the executed notebook opened untrusted shows a readable copy.
"""

from __future__ import annotations

import re
import shutil
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import nbformat
import pytest
from notebook_tools import execute, jupyter_env, jupyterlab, outputs, write
from spec_tables import FIGURE1_TRACE

import gradtrace as gt
from gradtrace.notation import format_number

NOTEBOOK = Path(__file__).resolve().parents[1] / "examples" / "backprop.ipynb"
NS = "{http://www.w3.org/2000/svg}"
SECONDS = 1000  # Playwright counts milliseconds

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("jupyter")


@pytest.fixture(scope="module")
def env(home: Path) -> dict[str, str]:
    return jupyter_env(home)


@pytest.fixture(scope="module")
def executed(env: dict[str, str]) -> Any:
    return execute(nbformat.read(str(NOTEBOOK), as_version=4), env)


# -- 1. the notebook under a real kernel ------------------------------------------------------


def test_the_notebook_is_stored_without_outputs() -> None:
    nb = nbformat.read(str(NOTEBOOK), as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code
    assert all(c.outputs == [] and c.execution_count is None for c in code)


def test_figure1_shows_the_spec_numbers(executed: Any) -> None:
    (result,) = outputs(executed, "f = gt.figure1()\nf")
    svg = ET.fromstring(result["data"]["image/svg+xml"])
    texts = [t.text for t in svg.iter(f"{NS}text")]
    for label, data, grad in FIGURE1_TRACE:
        assert data in texts, label
        assert grad in texts, label


def test_the_trace_table_is_the_spec_table(executed: Any) -> None:
    (result,) = outputs(executed, "Markdown(gt.to_markdown(f))")
    rows = [r for r in result["data"]["text/markdown"].splitlines() if r.startswith("| ")][1:]
    cells = [[c.strip().replace("\\", "") for c in r.strip("|").split("|")] for r in rows]
    assert [(c[0], c[2], c[3]) for c in cells] == FIGURE1_TRACE


def test_own_leaves_give_the_spec_gradients(executed: Any) -> None:
    (drawn,) = outputs(executed, "gt.draw(f, names=globals())")
    texts = [t.text for t in ET.fromstring(drawn["data"]["image/svg+xml"]).iter(f"{NS}text")]
    assert {"w₁", "w₂", "x₁", "x₂", "z", "G", "R", "f"} <= set(texts)  # named after variables
    (printed,) = outputs(executed, 'print(f"f = {f.data:.4f}")')
    expected = dict((label, grad) for label, _, grad in FIGURE1_TRACE)
    assert printed["text"] == (
        "f = 0.6300\n"
        f"df/dw1 = {expected['w₁']}, df/dw2 = {expected['w₂']}, "
        f"df/dx1 = {expected['x₁']}, df/dx2 = {expected['x₂']}\n"
    )


def test_the_widget_cell_shows_the_widget_and_a_copy(executed: Any) -> None:
    (result,) = outputs(executed, "live = gt.widget(f, names=globals())")
    data = result["data"]
    assert "application/vnd.jupyter.widget-view+json" in data
    assert "w₁ = 0.2000" in data["text/plain"]
    assert 'class="gradtrace-widget"' in data["text/html"]
    (printed,) = outputs(executed, "print(w1.data, live.values)")
    assert printed["text"] == "0.2 {'w₁': 0.2, 'w₂': 0.4, 'x₁': -0.4, 'x₂': 0.5}\n"


def test_the_backward_steps_end_at_the_spec_gradients(executed: Any) -> None:
    (printed,) = outputs(executed, "gt.walk(live.graph).backward")
    lines = printed["text"].splitlines()
    assert lines[0].startswith("Step 1 of 12 (backward): the + rule of f")
    final = {}
    for line in lines:  # the last line that sets a leaf's gradient holds its total
        match = re.match(r"∂f/∂(w₁|w₂|x₁|x₂) \+= .* = (-?\d\.\d{4})$", line)
        if match:
            final[match[1]] = match[2]
    expected = {label: grad for label, _, grad in FIGURE1_TRACE[:4]}
    assert final == expected


def test_training_reaches_the_spec_accuracy(executed: Any) -> None:
    (printed,) = outputs(executed, "history = gt.train(x, y, model)")
    assert printed["text"] == "final accuracy 99%, final loss 0.13\n"
    (curves,) = outputs(executed, "SVG(training_curves_svg(history))")
    assert curves["data"]["image/svg+xml"].lstrip().startswith(("<?xml", "<svg"))


# -- 2. in JupyterLab, in Chromium --------------------------------------------------------------


@pytest.fixture(scope="module")
def lab(home: Path, env: dict[str, str], executed: Any) -> Iterator[tuple[Path, str]]:
    root = home / "lab"
    root.mkdir()
    shutil.copy(NOTEBOOK, root / "backprop.ipynb")
    write(executed, root / "executed.ipynb")  # not signed by this server: untrusted
    with jupyterlab(root, env) as url:
        yield root, url


class Requests:
    """Every request a page makes; anything not on 127.0.0.1 is refused and remembered."""

    def __init__(self) -> None:
        self.foreign: list[str] = []
        self.count = 0

    def route(self, route: Any) -> None:
        self.count += 1
        url = route.request.url
        parts = urlsplit(url)
        if parts.scheme in ("data", "blob") or parts.hostname == "127.0.0.1":
            route.continue_()
        else:
            self.foreign.append(url)
            route.abort()

    def websocket(self, ws: Any) -> None:
        if urlsplit(ws.url).hostname != "127.0.0.1":
            self.foreign.append(ws.url)


@pytest.fixture
def page(chromium: Any) -> Iterator[tuple[Any, Requests, list[str]]]:
    context = chromium.new_context(viewport={"width": 1280, "height": 1000})
    requests = Requests()
    dialogs: list[str] = []
    context.route("**/*", requests.route)
    page = context.new_page()
    page.set_default_timeout(60 * SECONDS)
    page.on("websocket", requests.websocket)

    def on_dialog(dialog: Any) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    yield page, requests, dialogs
    context.close()
    assert requests.count > 0
    assert requests.foreign == [], f"requests that left the machine: {requests.foreign}"


def open_notebook(page: Any, url: str, name: str) -> None:
    page.goto(url.format(path=name))
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=120 * SECONDS)
    page.wait_for_function(
        "(name) => { const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;"
        " return w && w.context && w.context.path === name; }",
        arg=name,
    )
    # the kernel is connected and idle
    page.wait_for_function(
        "() => { const w = window.jupyterapp.shell.currentWidget;"
        " return w && w.sessionContext && w.sessionContext.session &&"
        " w.sessionContext.session.kernel && w.sessionContext.session.kernel.status === 'idle'; }",
        timeout=120 * SECONDS,
    )


def run_cells(page: Any, until: str) -> None:
    """Run every cell from the top down to the one whose source contains `until`."""
    page.evaluate(
        """async (until) => {
            const panel = window.jupyterapp.shell.currentWidget;
            const cells = panel.content.widgets;
            const last = cells.findIndex(c => c.model.sharedModel.getSource().includes(until));
            if (last < 0) throw new Error('no cell contains ' + until);
            panel.content.activeCellIndex = last;
            await window.jupyterapp.commands.execute('notebook:run-all-above');
            await window.jupyterapp.commands.execute('notebook:run-cell');
        }""",
        until,
    )


def run_cell(page: Any, marker: str) -> None:
    page.evaluate(
        """async (marker) => {
            const panel = window.jupyterapp.shell.currentWidget;
            const i = panel.content.widgets.findIndex(
                c => c.model.sharedModel.getSource().includes(marker));
            panel.content.activeCellIndex = i;
            await window.jupyterapp.commands.execute('notebook:run-cell');
        }""",
        marker,
    )


def cell_output_text(page: Any, marker: str) -> str:
    return str(
        page.evaluate(
            """(marker) => {
                const panel = window.jupyterapp.shell.currentWidget;
                const cell = panel.content.widgets.find(
                    c => c.model.sharedModel.getSource().includes(marker));
                const area = cell.node.querySelector('.jp-OutputArea');
                return area ? area.innerText : '';
            }""",
            marker,
        )
    )


def shown(page: Any, widget: Any) -> dict[str, tuple[str, str]]:
    """The widget's trace table as the reader sees it: name → (forward, gradient)."""
    rows = widget.locator("tr[data-node]")
    out = {}
    for i in range(rows.count()):
        row = rows.nth(i)
        name = row.locator("th").inner_text()
        out[name] = (
            row.locator(".gt-data").inner_text(),
            row.locator(".gt-grad").inner_text(),
        )
    return out


def engine_numbers(w1: float) -> dict[str, tuple[str, str]]:
    """The notebook's f computed by the Python engine, at w₁ = `w1`."""
    f = gt.figure1(w1=w1)
    rows = {n.label: n for n in gt.trace(f) if n.label}
    names = {"w₁": "w₁", "w₂": "w₂", "x₁": "x₁", "x₂": "x₂", "z": "z", "R": "R", "f": "f"}
    names["G"] = "G = σ(z)"
    return {
        mine: (format_number(rows[theirs].data), format_number(rows[theirs].grad))
        for mine, theirs in names.items()
    }


def test_the_widget_runs_in_jupyterlab_and_writes_back(
    page: tuple[Any, Requests, list[str]], lab: tuple[Path, str], tmp_path: Path
) -> None:
    page_, _, dialogs = page
    open_notebook(page_, lab[1], "backprop.ipynb")
    run_cells(page_, "live = gt.widget(f, names=globals())")
    widget = page_.locator(".jp-OutputArea .gradtrace-widget[data-gt-ready]")
    widget.wait_for(timeout=120 * SECONDS)
    assert page_.locator(".gradtrace-widget[data-gt-error]").count() == 0
    before = shown(page_, widget)
    for name, numbers in engine_numbers(0.2).items():
        assert before[name] == numbers, name
    widget.scroll_into_view_if_needed()
    page_.screenshot(path=str(tmp_path / "widget.png"))

    # Move w₁'s slider with the keyboard: ten steps of 0.01, from 0.2 to 0.3.
    slider = widget.locator('.gt-control:has(label:text-is("w₁")) input[type=range]')
    slider.focus()
    for _ in range(10):
        slider.press("ArrowRight")
    number = widget.locator('.gt-control:has(label:text-is("w₁")) input.gt-number')
    assert float(number.input_value()) == pytest.approx(0.3)
    after = shown(page_, widget)
    for name, numbers in engine_numbers(float(number.input_value())).items():
        assert after[name] == numbers, name
    assert after["f"] != before["f"]

    # The kernel's w1 follows the slider (sent within ~0.1 s; the cell is re-run until then).
    page_.wait_for_timeout(300)
    text = ""
    for _ in range(20):
        run_cell(page_, "print(w1.data, live.values)")
        page_.wait_for_function(
            """() => window.jupyterapp.shell.currentWidget.sessionContext
                      .session.kernel.status === 'idle'"""
        )
        text = cell_output_text(page_, "print(w1.data, live.values)")
        if text.startswith("0.3"):
            break
        page_.wait_for_timeout(250)
    assert re.match(r"0\.3\d* \{'w₁': 0\.3\d*, 'w₂': 0\.4, 'x₁': -0\.4, 'x₂': 0\.5\}", text), text

    # Step through backward(): the first step runs the output's rule.
    widget.locator("button.gt-step").click()
    widget.locator("button.gt-step").click()
    assert "Step 1 of" in widget.locator(".gt-status").inner_text()
    assert dialogs == []


# -- 3. bad input ------------------------------------------------------------------------------

EVIL = "<img src=x onerror=alert(1)>"
BAD = [
    "import gradtrace as gt\ny = gt.Value(1.0, 'x')\nfor _ in range(99_999):\n    y = -y\ny",
    "gt.Value(float('nan'), 'n') + gt.Value(float('inf'), 'i')",
    f"a = gt.Value(1.0, {EVIL!r})\n"
    "b = a * gt.Value(2.0, '</script><script>alert(2)</script>')\n"
    "b.backward()\n"
    "b",
    "gt.widget(b)",
]


def test_bad_input_in_a_live_notebook(
    page: tuple[Any, Requests, list[str]], lab: tuple[Path, str]
) -> None:
    page_, _, dialogs = page
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in BAD])
    nb.metadata = nbformat.read(str(NOTEBOOK), as_version=4).metadata  # its kernel spec
    write(nb, lab[0] / "bad.ipynb")
    open_notebook(page_, lab[1], "bad.ipynb")
    run_cells(page_, "gt.widget(b)")
    page_.locator(".jp-OutputArea .gradtrace-widget[data-gt-ready]").wait_for()
    summary = page_.locator(".jp-OutputArea .gradtrace-summary")
    assert "100,000 values" in summary.inner_text()
    assert "max_nodes=None" in summary.inner_text()
    assert page_.locator(".jp-OutputArea img[src='x']").count() == 0
    assert page_.locator(".jp-OutputArea script:not([type='application/json'])").count() == 0
    # JupyterLab shows an SVG output as <img src="data:image/svg+xml,...">: no script runs
    sources = page_.locator(".jp-RenderedSVG img").evaluate_all("els => els.map(e => e.src)")
    texts = [
        t.text
        for src in sources
        for t in ET.fromstring(unquote(src.split(",", 1)[1])).iter(f"{NS}text")
    ]
    assert "nan" in texts
    assert "inf" in texts
    assert EVIL in texts
    assert EVIL in page_.locator(".jp-OutputArea .gradtrace-widget").inner_text()
    page_.wait_for_timeout(500)  # time for any injected handler to fire
    assert dialogs == []


def test_an_untrusted_notebook_shows_a_readable_copy(
    page: tuple[Any, Requests, list[str]], lab: tuple[Path, str], tmp_path: Path
) -> None:
    page_, _, dialogs = page
    open_notebook(page_, lab[1], "executed.ipynb")
    copy_ = page_.locator(".jp-OutputArea .gt-notebook-copy")
    copy_.wait_for()
    copy_.scroll_into_view_if_needed()
    page_.screenshot(path=str(tmp_path / "untrusted.png"))
    assert "run the cell" in copy_.inner_text()
    assert page_.locator(".gradtrace-widget[data-gt-ready]").count() == 0  # no script ran
    for dead in (".gt-controls", ".gt-walk", ".gt-figure"):  # no script, no SVG: left out
        assert not copy_.locator(dead).is_visible(), dead
    table = copy_.locator("table").inner_text()
    for _, data, grad in FIGURE1_TRACE[:4]:
        assert data in table
        assert grad in table
    assert dialogs == []


def test_a_page_made_from_the_notebook_runs_the_copy(
    chromium: Any, executed: Any, tmp_path: Path, serve_directory: Any
) -> None:
    """What nbconvert or the docs make of the widget output: the live demo, without Python."""
    (result,) = outputs(executed, "live = gt.widget(f, names=globals())")
    page_html = (
        '<!DOCTYPE html><html><head><meta charset="utf-8"><link rel="icon" href="data:,">'
        f"</head><body>{result['data']['text/html']}</body></html>"
    )
    (tmp_path / "copy.html").write_text(page_html, encoding="utf-8")
    context = chromium.new_context()
    requests = Requests()
    context.route("**/*", requests.route)
    try:
        page_ = context.new_page()
        with serve_directory(tmp_path) as base:
            page_.goto(f"{base}/copy.html")
            widget = page_.locator(".gradtrace-widget[data-gt-ready]")
            widget.wait_for(timeout=30 * SECONDS)
            assert widget.locator(".gt-figure").is_visible()
            assert widget.locator(".gt-controls").is_visible()
            assert not page_.locator(".gt-notebook-note").is_visible()
            number = widget.locator('.gt-control:has(label:text-is("w₁")) input.gt-number')
            number.fill("0.3")
            after = shown(page_, widget)
    finally:
        context.close()
    for name, numbers in engine_numbers(0.3).items():
        assert after[name] == numbers, name
    assert requests.foreign == []
