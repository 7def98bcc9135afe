"""`to_html()` without a browser: options, escaping, determinism, packaging.

What the page does when it runs is checked in Chromium by test_widget_browser.py.
"""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
import sys
import zipfile
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

import gradtrace
from gradtrace.engine import Value
from gradtrace.errors import GradtraceError
from gradtrace.export.table import to_html_table
from gradtrace.export.widget import to_html, widget_assets
from gradtrace.figures import figure1
from gradtrace.graph import trace

ROOT = Path(__file__).resolve().parents[1]


class _Page(HTMLParser):
    """Collects tags, attributes and the text of script and table cells."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[tuple[dict[str, str | None], str]] = []
        self._script: dict[str, str | None] | None = None
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag == "script":
            self._script = dict(attrs)
            self.scripts.append((self._script, ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._script = None

    def handle_data(self, data: str) -> None:
        if self._script is not None:
            attrs, text = self.scripts[-1]
            self.scripts[-1] = (attrs, text + data)
        else:
            self.text.append(data)


def parse(text: str) -> _Page:
    page = _Page()
    page.feed(text)
    page.close()
    return page


def config_of(text: str) -> dict[str, Any]:
    (found,) = [t for a, t in parse(text).scripts if a.get("class") == "gt-config"]
    data: dict[str, Any] = json.loads(found)
    return data


def controls(text: str) -> list[dict[str, str | None]]:
    return [a for t, a in parse(text).tags if t == "input" and a.get("type") == "range"]


@pytest.fixture(scope="module")
def figure1_page() -> str:
    return to_html(figure1())


def test_page_holds_figure_controls_table_and_assets(figure1_page: str) -> None:
    page = parse(figure1_page)
    assert figure1_page.startswith("<!DOCTYPE html>\n")
    tags = [t for t, _ in page.tags]
    assert tags.count("svg") >= 2  # the light and the dark figure
    assert [
        a["class"] for t, a in page.tags if t == "svg" and "gt-svg" in (a.get("class") or "")
    ] == [
        "gt-svg gt-svg-light",
        "gt-svg gt-svg-dark",
    ]
    assert len([a for t, a in page.tags if t == "tr" and "data-node" in a]) == 13
    assert len(controls(figure1_page)) == 4
    assert any(t == "style" for t in tags)
    assert any(not a and "window.gradtrace" in s for a, s in page.scripts)


def test_default_controls_are_figure1_inputs_in_table_order(figure1_page: str) -> None:
    labels = [
        a["aria-label"]
        for t, a in parse(figure1_page).tags
        if t == "input" and a.get("type") == "text"
    ]
    assert labels == [f"{n}, exact value" for n in ("w₁", "w₂", "x₁", "x₂")]
    # A range from the 1-2-5 series, symmetric, holding the value well inside: −1…1 here.
    assert {(c["min"], c["max"], c["step"]) for c in controls(figure1_page)} == {
        ("-1", "1", "0.01")
    }
    assert [c["value"] for c in controls(figure1_page)] == ["0.2", "0.4", "-0.4", "0.5"]


def test_default_range_grows_with_the_value() -> None:
    a = Value(3.0, "a")
    page = to_html(a * 2)
    (c,) = controls(page)
    assert (c["min"], c["max"]) == ("-10", "10")  # 2·|3| = 6 → the next 1-2-5 step, 10
    b = Value(-0.004, "b")
    (c,) = controls(to_html(b * 2))
    assert (c["min"], c["max"]) == ("-1", "1")


def test_inputs_and_ranges_options() -> None:
    page = to_html(figure1(), inputs=["x₂", "w₁"], ranges={"x₂": (-3, 3), "w₁": (0, 1, 0.05)})
    got = [(c["min"], c["max"], c["step"], c["value"]) for c in controls(page)]
    assert got == [("-3", "3", "0.05", "0.5"), ("0", "1", "0.05", "0.2")]
    # By node id, for an unlabelled leaf.
    a = Value(1.0)
    graph = trace(a + 1)
    assert len(controls(to_html(graph, inputs=[0]))) == 1


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"inputs": ["nope"]}, "no value is labelled 'nope'; labelled leaves: 'w₁'"),
        ({"inputs": ["z"]}, "'z' is computed from other values; only leaves can be set"),
        ({"inputs": "w₁"}, "inputs must be a list of labels"),
        ({"inputs": [99]}, "the graph has no node 99"),
        ({"ranges": {"w₁": (1, 1)}}, "must have finite low < high"),
        ({"ranges": {"w₁": (0, 1, -0.1)}}, "step of 'w₁' must be positive"),
        ({"ranges": {"w₁": (0,)}}, "must be (low, high) or (low, high, step)"),
        ({"precision": -1}, "precision must be a whole number from 0 to 15, got -1"),
        ({"number": "roman"}, "number must be one of fixed, significant, scientific"),
        ({"theme": "neon"}, "theme must be one of light, print, dark"),
        ({"highlight": "nope"}, "highlight='nope' names no value of the graph; its values: w₁"),
        ({"widget_id": "two words"}, "widget_id must be a letter then letters"),
        ({"inputs": [10]}, "node 10 is a number written in the code"),  # R = 0.5 · u
    ],
)
def test_user_errors_are_one_clear_line(options: dict[str, Any], message: str) -> None:
    with pytest.raises(GradtraceError) as info:  # WidgetError, or the shared OptionError
        to_html(figure1(), **options)
    text = str(info.value)
    assert message in text
    assert "\n" not in text
    assert isinstance(info.value, GradtraceError)


def test_too_large_graphs_are_refused_before_graphviz_runs() -> None:
    with pytest.raises(gradtrace.GraphTooLargeError, match="raise max_nodes"):
        to_html(figure1(), max_nodes=10)


def test_precision_applies_everywhere() -> None:
    page = to_html(figure1(), precision=2)
    assert config_of(page)["precision"] == 2
    cells = re.findall(r'<td class="gt-data">([^<]*)<', page)
    assert cells[:4] == ["0.20", "0.40", "-0.40", "0.50"]
    assert ">0.6300<" not in page


def test_fragment_and_assets() -> None:
    fragment = to_html(figure1(), standalone=False)
    assert fragment.startswith("<style>")
    assert not {"html", "head", "body"} & {t for t, _ in parse(fragment).tags}
    bare = to_html(figure1(), standalone=False, assets=False)
    assert bare.startswith('<div class="gradtrace-widget"')
    assert [a for a, _ in parse(bare).scripts] == [
        {"type": "application/json", "class": "gt-config"}
    ]
    assert fragment == widget_assets() + "\n" + bare


def test_labels_are_escaped_everywhere() -> None:
    """No label can open a tag or close the config script, however it is written."""
    nasty = [
        "<img src=x onerror=alert(1)>",
        "</script><script>alert(2)</script>",
        "a\"b&c'd",
        "<!--",
    ]
    a, b = Value(1.0, nasty[0]), Value(2.0, nasty[1])
    c = a * b
    c.label = nasty[2]
    d = c + Value(3.0, nasty[3])
    d.backward()
    page = to_html(d, title=nasty[0])
    parsed = parse(page)
    assert not any(t in ("img", "b") for t, _ in parsed.tags)
    assert [a.get("type") for a, _ in parsed.scripts] == [None, "application/json"]
    names = config_of(page)["names"]
    assert set(nasty) <= set(names)  # the JSON still holds them exactly
    text = "".join(parsed.text)
    assert nasty[0] in text and nasty[2] in text  # shown as text


def test_widget_ids_are_unique_per_graph_and_settable() -> None:
    one = to_html(figure1(), standalone=False)
    two = to_html(figure1(w1=0.3), standalone=False)
    ids_one = set(re.findall(r'\sid="([^"]+)"', one))
    ids_two = set(re.findall(r'\sid="([^"]+)"', two))
    assert ids_one and not ids_one & ids_two
    mine = to_html(figure1(), widget_id="demo", standalone=False)
    assert all(i.startswith("demo") for i in re.findall(r'\sid="([^"]+)"', mine))


def test_svg_ids_of_every_value_are_found(figure1_page: str) -> None:
    """The config points at the value, gradient and operation of every node in both drawings."""
    svg = config_of(figure1_page)["svg"]
    graph = trace(figure1())
    for node in graph:
        constant = node.role == "constant"  # drawn as written (0.5, −1), never rewritten
        assert len(svg["data"][node.id]) == (0 if constant else 2)
        assert len(svg["grad"][node.id]) == (0 if constant else 2)
        assert len(svg["op"][node.id]) == (2 if node.children else 0)
    present = set(re.findall(r'\sid="([^"]+)"', figure1_page))
    assert all(i in present for part in svg.values() for ids in part for i in ids)


def test_output_is_deterministic_across_processes() -> None:
    code = "import sys, gradtrace; sys.stdout.write(gradtrace.to_html(gradtrace.figure1()))"
    outs = [
        subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "PYTHONHASHSEED": seed},
        ).stdout
        for seed in ("1", "2")
    ]
    assert outs[0] == outs[1]
    assert outs[0] == to_html(figure1())


def test_nothing_points_outside_the_page(figure1_page: str) -> None:
    """No src/href but an empty data: favicon (the SVG's xmlns is a name, not a request)."""
    for _tag, attrs in parse(figure1_page).tags:
        for name in ("src", "href", "xlink:href", "action"):
            assert attrs.get(name, "data:,") == "data:,", (name, attrs)
    assert "@import" not in figure1_page and "url(" not in figure1_page


def test_micrograd_graph_exports() -> None:
    from micrograd import engine

    a, b = engine.Value(2.0), engine.Value(-3.0)
    c = (a * b + b**2).relu()
    c.backward()
    page = to_html(c)
    assert len(controls(page)) == 2  # micrograd's two leaves (its numbers are leaves too)
    assert config_of(page)["graph"]["nodes"][-1]["op"] == "ReLU"


def test_the_script_gets_its_aliases_from_the_registry() -> None:
    """widget.js has no alias table of its own: the shipped script holds gradtrace.ops's."""
    from gradtrace.ops import ALIASES

    (script,) = [t for a, t in parse(widget_assets()).scripts if not a]
    found = re.search(r"\n  var ALIASES = (\{.*?\});\n", script)
    assert found is not None
    assert json.loads(found[1]) == ALIASES
    assert "__GRADTRACE" not in script  # every slot of the source was filled


def test_the_table_is_the_public_html_table() -> None:
    """The page holds `to_html_table`'s table as it is, headed with the output it computes."""
    root = figure1()
    assert to_html_table(root) in to_html(root)
    # An unlabelled output is f, as in every table (not its generated name v₄).
    x = Value(0.5, "x")
    page = to_html(x * x + x)
    assert "Gradient (∂f/∂·)" in page and "Gradient (∂v" not in page
    # Two outputs: the page computes the first one's gradients, and says which.
    y, g = x * 3.0, x + 1.0
    y.label, g.label = "y", "g"
    page = to_html(trace(y, g))
    assert "Gradient (∂y/∂·)" in page and "∂f/∂·" not in page


def test_the_script_reads_what_to_html_table_documents() -> None:
    """One set of table hooks: the ones to_html_table's docs promise are the ones the script
    uses, and the old private ones are gone."""
    script = (ROOT / "gradtrace" / "export" / "widget.js").read_text(encoding="utf-8")
    doc = to_html_table.__doc__ or ""
    for hook in ("tr[data-node]", ".gt-data", ".gt-grad"):
        assert hook in script and hook.lstrip(".") in doc, hook
    assert "data-gt-data" not in script and "data-gt-grad" not in script


def test_public_name() -> None:
    assert gradtrace.to_html is to_html


def test_wheel_ships_the_script_and_style(tmp_path: Path) -> None:
    """hatchling puts widget.js and widget.css next to widget.py in the wheel."""
    from hatchling.builders import wheel  # in the test extra

    (path,) = wheel.WheelBuilder(str(ROOT)).build(directory=str(tmp_path), versions=["standard"])
    names = set(zipfile.ZipFile(path).namelist())
    assert {f"gradtrace/export/widget.{ext}" for ext in ("py", "js", "css")} <= names


# -- issue 16 ---------------------------------------------------------------------------


@pytest.mark.parametrize("x", [7e307, 1.7e308, -1.79e308])
def test_huge_inputs_get_a_finite_slider(x: float) -> None:
    page = to_html(Value(x, "x") * 2)
    (control,) = controls(page)
    low, high, step = (float(control[k]) for k in ("min", "max", "step"))
    assert all(map(math.isfinite, (low, high, step, high - low))) and 0 < step < high - low
    assert low < 0 < high


def test_a_range_of_one_subnormal_gets_a_step() -> None:
    page = to_html(Value(0.0, "x") * 2, ranges={"x": (0, 5e-324)})
    (control,) = controls(page)
    assert (float(control["min"]), float(control["max"])) == (0.0, 5e-324)
    assert float(control["step"]) == 5e-324  # the whole range: (high - low) / 200 is 0
    page = to_html(Value(0.0, "x") * 2, ranges={"x": (-1.7e308, 1.7e308)})
    assert math.isfinite(float(controls(page)[0]["step"]))


def test_max_nodes_is_checked_before_anything_is_built(monkeypatch: pytest.MonkeyPatch) -> None:
    from gradtrace.export import widget

    def too_late(*args: object, **kwargs: object) -> object:
        raise AssertionError("the page was being built before the size check")

    from gradtrace.export import render

    for name in ("table_rows", "graph_to_dict", "to_svg"):
        monkeypatch.setattr(widget, name, too_late)
    monkeypatch.setattr(render, "to_dot", too_late)
    x = Value(0.5, "x")
    y = x
    for _ in range(2000):
        y = y.tanh()
    with pytest.raises(
        gradtrace.GraphTooLargeError, match="more than max_nodes=1000 values to draw"
    ):
        to_html(y)


def test_figure_options_reach_the_drawing() -> None:
    page = to_html(figure1(), theme="print", rankdir="TB", collapse=("σ",))
    svgs = re.findall(r'<svg class="gt-svg gt-svg-only".*?</svg>', page, re.S)
    assert len(svgs) == 1 and not re.search(r'<svg class="gt-svg gt-svg-(light|dark)"', page)
    assert 'fill="#e6e6e6"' in svgs[0]  # THEMES["print"].grad_fill
    assert "e⁻ᶻ" not in svgs[0] and "G = σ(z)" in svgs[0]  # σ folded into one node
    # The collapsed nodes have no ids the script could look for.
    config = config_of(page)
    drawn = set(re.findall(r'\sid="([^"]*)"', svgs[0]))
    assert all(i in drawn for ids in config["svg"]["data"] for i in ids)
    with pytest.raises(GradtraceError, match="theme must be one of light, print, dark"):
        to_html(figure1(), theme="sepia")


def test_nudge_adds_a_finite_difference_column_to_the_public_table() -> None:
    """`nudge=h`: the table is still to_html_table's, plus one header and one empty
    `td.gt-nudge` per row for the script to fill; without it there is no such column."""
    graph = trace(figure1())
    page = to_html(graph, standalone=False, nudge=1e-6)
    table = re.search(r'<table class="gradtrace-trace">.*?</table>', page, re.S)
    assert table is not None
    rows = re.findall(r'<tr data-node="(\d+)">(.*?)</tr>', table.group(0))
    assert len(rows) == 13 and all(r.endswith('<td class="gt-nudge">—</td>') for _, r in rows)
    assert "Nudge by h = 0.000001: " in table.group(0)
    plain = re.sub(
        r'<td class="gt-nudge">—</td>|<th scope="col" class="gt-nudge">.*?</th>', "", table.group(0)
    )
    assert plain + "\n" == to_html_table(graph, output=len(graph) - 1)
    assert '<td class="gt-nudge">' not in to_html(graph, standalone=False)
    for bad in (0, -1e-6, math.inf, math.nan, "0.1"):
        with pytest.raises(GradtraceError, match="nudge must be a positive number"):
            to_html(graph, standalone=False, nudge=bad)  # type: ignore[arg-type]
