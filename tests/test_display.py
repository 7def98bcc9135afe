"""Rich display in Jupyter: a Value, a Graph and a drawing show their figure, or a summary.

The figure's numbers are checked against SPEC §2 (not against another exporter's
output), the SVG is parsed as XML to check that no label became markup, and Graphviz
is replaced by a function that fails wherever it must not run.
"""

from __future__ import annotations

import ast
import subprocess
import sys
import types
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from spec_tables import FIGURE1_TRACE

import gradtrace.export.render as render_module
from gradtrace import GraphvizNotFoundError, Value, draw, figure1, scope, trace
from gradtrace.errors import GradtraceError
from gradtrace.export.display import named_graph

SVG, HTML, TEXT = "image/svg+xml", "text/html", "text/plain"
NS = "{http://www.w3.org/2000/svg}"
ENGINE = Path(__file__).resolve().parents[1] / "gradtrace" / "engine.py"


#: IPython as a kernel has it: a running shell (whose formats are all active).
KERNEL = types.SimpleNamespace(get_ipython=lambda: types.SimpleNamespace())


def no_dot(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> bytes:
        raise AssertionError("Graphviz must not run here")

    monkeypatch.setattr(render_module, "_run_dot", refuse)


def svg_texts(svg: str) -> list[str]:
    root = ET.fromstring(svg)
    return [t.text or "" for t in root.iter(f"{NS}text")]


def chain(n: int) -> Value:
    """A graph of exactly n values."""
    y = Value(1.0, "x")
    for _ in range(n - 1):
        y = -y
    return y


# -- a value shows its figure ------------------------------------------------------------


def test_a_value_shows_its_graph_with_the_spec_numbers() -> None:
    bundle = figure1()._repr_mimebundle_()
    assert set(bundle) == {SVG, TEXT}
    assert bundle[TEXT].startswith("Value(data=0.629964")
    texts = svg_texts(bundle[SVG])
    for label, data, grad in FIGURE1_TRACE:
        assert data in texts, label
        assert grad in texts, label
    assert "f" in texts


def test_a_graph_shows_its_figure_and_a_short_text() -> None:
    bundle = trace(figure1())._repr_mimebundle_()
    assert "0.6300" in svg_texts(bundle[SVG])
    assert bundle[TEXT] == "<gradtrace Graph of 19 values>"


def test_only_the_formats_asked_for_are_made(monkeypatch: pytest.MonkeyPatch) -> None:
    f = figure1()
    no_dot(monkeypatch)
    assert set(f._repr_mimebundle_(include={TEXT})) == {TEXT}
    assert set(f._repr_mimebundle_(exclude={SVG, HTML})) == {TEXT}
    assert set(trace(f)._repr_mimebundle_(include=[TEXT])) == {TEXT}


def test_svg_without_text_when_the_frontend_excludes_text() -> None:
    assert set(figure1()._repr_mimebundle_(exclude={TEXT})) == {SVG}


class FakeShell:
    class display_formatter:
        active_types = ("text/plain",)


def test_ipython_in_a_terminal_gets_text_only(monkeypatch: pytest.MonkeyPatch) -> None:
    class FakeIPython:
        @staticmethod
        def get_ipython() -> FakeShell:
            return FakeShell()

    monkeypatch.setitem(sys.modules, "IPython", FakeIPython)  # type: ignore[arg-type]
    no_dot(monkeypatch)
    assert set(figure1()._repr_mimebundle_()) == {TEXT}


def test_gradients_are_drawn_only_once_computed() -> None:
    a = Value(2.0, "a")
    b = a * a
    before = ET.fromstring(b._repr_mimebundle_()[SVG])
    ids = [g.get("id", "") for g in before.iter(f"{NS}g")]
    assert "v0" in ids
    assert not any(i.startswith("g") and i[1:].isdigit() for i in ids)  # no gradient ellipse
    b.backward()
    after = svg_texts(b._repr_mimebundle_()[SVG])
    assert "4.0000" in after  # ∂(a·a)/∂a = 2a


def test_nan_and_inf_show_as_such() -> None:
    x = Value(float("nan"), "x")
    y = Value(float("inf"), "y")
    f = x + y
    texts = svg_texts(f._repr_mimebundle_()[SVG])
    assert "nan" in texts
    assert "inf" in texts
    assert "-inf" in svg_texts(Value(float("-inf"), "m")._repr_mimebundle_()[SVG])


EVIL = ['<script>alert("x")</script>', "</svg><img src=x onerror=alert(1)>", "a & b ]]>"]


class Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))


def test_labels_with_markup_stay_text_in_the_figure() -> None:
    leaves = [Value(float(i), label) for i, label in enumerate(EVIL)]
    f = Value.sum(leaves)
    svg = f._repr_mimebundle_()[SVG]
    root = ET.fromstring(svg)  # well-formed XML: nothing broke out of its element
    tags = {el.tag.removeprefix(NS) for el in root.iter()}
    assert tags <= {"svg", "g", "text", "polygon", "path", "ellipse", "polyline", "title"}
    assert not any(k.startswith("on") for el in root.iter() for k in el.attrib)
    texts = svg_texts(svg)
    for label in EVIL:
        assert label in texts


# -- large graphs: a summary, and Graphviz never runs ---------------------------------------


def test_a_graph_of_100000_values_shows_a_summary(monkeypatch: pytest.MonkeyPatch) -> None:
    f = chain(100_000)
    no_dot(monkeypatch)
    bundle = f._repr_mimebundle_()
    assert set(bundle) == {HTML, TEXT}
    assert bundle[TEXT] == repr(f)
    page = bundle[HTML]
    assert "100,000 values" in page
    assert "max_nodes=None, max_edges=None" in page  # both limits: a long chain has long edges
    assert "collapse=" in page
    assert "f = -1.0000: a graph of 100,000 values" in page  # unlabelled: f, as everywhere
    assert "gt.draw(f," in page
    parser = Tags()
    parser.feed(page)
    assert {tag for tag, _ in parser.tags} <= {"div", "p", "ul", "li", "code"}


def test_the_summary_names_the_scopes_to_collapse(monkeypatch: pytest.MonkeyPatch) -> None:
    y = Value(0.5, "x")
    for _ in range(400):
        with scope("neuron"):
            y = (y * 0.9).tanh()
    y.label = "out"
    no_dot(monkeypatch)
    page = y._repr_mimebundle_()[HTML]
    assert "collapse=(&#x27;neuron&#x27;,)" in page
    assert "gt.draw(out," in page
    graph_bundle = trace(y)._repr_mimebundle_()
    assert "scopes here: neuron" in graph_bundle[TEXT]


def test_a_summary_escapes_the_label(monkeypatch: pytest.MonkeyPatch) -> None:
    f = chain(1_200)
    f.label = EVIL[0]
    no_dot(monkeypatch)
    page = f._repr_mimebundle_()[HTML]
    parser = Tags()
    parser.feed(page)
    assert "script" not in {tag for tag, _ in parser.tags}
    assert "&lt;script&gt;" in page


def test_a_drawing_above_its_limit_shows_a_summary(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "IPython", KERNEL)
    drawing = draw(chain(30), max_nodes=10)
    no_dot(monkeypatch)
    bundle = drawing._repr_mimebundle_()
    assert set(bundle) == {HTML, TEXT}
    assert "30 values" in bundle[HTML]
    assert "max_nodes=10" in bundle[TEXT]
    assert set(drawing._repr_mimebundle_(include={TEXT})) == {TEXT}


def test_a_drawing_over_the_edge_limit_shows_the_message(monkeypatch: pytest.MonkeyPatch) -> None:
    below = [Value(1.0, f"x{i}") for i in range(6)]
    for _ in range(12):  # layers of sums of every value below: 79 values, long edges
        below = below + [Value.sum(below) for _ in range(6)]
    f = Value.sum(below[-6:])
    assert len(trace(f)) == 79  # far below max_nodes: refused for its edges, before dot runs
    no_dot(monkeypatch)
    bundle = f._repr_mimebundle_()
    assert set(bundle) == {HTML, TEXT}
    assert "max_edges=10000" in bundle[HTML]
    assert bundle[HTML].startswith('<p class="gradtrace-note">')


def test_a_missing_graphviz_shows_its_message_not_a_traceback(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def missing(*args: object, **kwargs: object) -> bytes:
        raise GraphvizNotFoundError("needed to render")

    monkeypatch.setattr(render_module, "_run_dot", missing)
    bundle = figure1()._repr_mimebundle_()
    assert set(bundle) == {HTML, TEXT}
    assert "apt-get install graphviz" in bundle[HTML]


# -- names after a notebook's variables ------------------------------------------------------


def test_names_come_from_the_namespace_only_when_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "IPython", KERNEL)  # in a notebook: draw() does not warn
    w1, x1 = Value(0.2), Value(-0.4)
    f = w1 * x1
    f.label = "f"
    namespace: dict[str, Any] = {"w1": w1, "x1": x1, "f": f, "In": [], "Out": {3: w1}, "_3": w1}
    assert [n.label for n in trace(f)] == ["", "", "f"]
    assert [n.label for n in named_graph(f, namespace)] == ["w₁", "x₁", "f"]
    assert [n.label for n in draw(f, names=namespace).graph] == ["w₁", "x₁", "f"]
    assert f.grad == 0.0  # naming never runs backward()


def test_an_output_no_variable_holds_stays_unnamed() -> None:
    a, b = Value(2.0), Value(3.0)
    graph = named_graph(a * b, {"a": a, "b": b})
    assert [n.label for n in graph] == ["a", "b", ""]
    assert [n.label for n in named_graph(a * b, {"unrelated": 1})] == ["", "", ""]


def test_names_with_a_graph_is_a_clear_error() -> None:
    with pytest.raises(GradtraceError, match="needs the output value"):
        named_graph(trace(figure1()), {})


# -- the engine stays free of drawing --------------------------------------------------------


def test_the_engine_imports_no_exporter_at_import_time() -> None:
    tree = ast.parse(ENGINE.read_text(encoding="utf-8"))
    top = [n for n in tree.body if isinstance(n, ast.Import | ast.ImportFrom)]
    modules = [n.module or "" for n in top if isinstance(n, ast.ImportFrom)]
    modules += [a.name for n in top if isinstance(n, ast.Import) for a in n.names]
    assert not [m for m in modules if m.startswith("gradtrace.export")], modules


def test_importing_gradtrace_loads_no_notebook_library() -> None:
    code = (
        "import sys, gradtrace\n"
        "print(sorted(m for m in ('anywidget', 'ipywidgets', 'IPython', 'traitlets', "
        "'gradtrace.export.jupyter') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == "[]"
