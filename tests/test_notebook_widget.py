"""`gradtrace.widget()`: the live demo as an anywidget, its Python side.

A frontend changes `_inputs` through the widget's comm; here the tests set it the same
way (a trait assignment is what the comm does) and check what the kernel's values hold.
The browser side runs in tests/test_notebook.py, in a real JupyterLab.
"""

from __future__ import annotations

import math
import re
import sys
from pathlib import Path

import pytest

import gradtrace as gt
from gradtrace.errors import GradtraceError
from gradtrace.export.widget import WidgetError, widget_assets
from gradtrace.notation import format_number
from gradtrace.options import OptionError

EXPORT = Path(__file__).resolve().parents[1] / "gradtrace" / "export"


def leaves() -> tuple[gt.Value, gt.Value, gt.Value]:
    w, x = gt.Value(0.2), gt.Value(-0.4)
    f = (w * x).tanh()
    f.backward()
    return w, x, f


def test_the_widget_runs_the_docs_widget_script_unchanged() -> None:
    live = gt.widget(gt.figure1())
    esm = live._esm
    # the script exactly as the docs' pages get it (registry data filled in), then the view
    shipped = widget_assets().split("<script>", 1)[1].rsplit("</script>", 1)[0]
    notebook_js = (EXPORT / "notebook.js").read_text(encoding="utf-8")
    assert esm == shipped + "\n" + notebook_js
    assert "__GRADTRACE_" not in esm
    assert "export default { render }" in esm
    assert live._css.startswith((EXPORT / "widget.css").read_text(encoding="utf-8"))
    for text in (esm, live._css):
        assert "http://" not in text
        assert "https://" not in text


def test_the_fragment_is_the_docs_widget_for_the_graph() -> None:
    live = gt.widget(gt.figure1())
    html = live._html
    assert html.startswith('<div class="gradtrace-widget"')
    assert "<script>" not in html  # the module carries the script; the fragment is data
    assert live.values == {"w₁": 0.2, "w₂": 0.4, "x₁": -0.4, "x₂": 0.5}


def test_a_slider_move_sets_the_leaf_and_nothing_else() -> None:
    w, x, f = leaves()
    live = gt.widget(f, names={"w": w, "x": x, "f": f})
    assert live.values == {"w": 0.2, "x": -0.4}
    before = (f.data, w.grad, x.grad)
    ids = {name: key for key, name in zip(live._inputs, live.values, strict=True)}
    live._inputs = {ids["w"]: 0.7, ids["x"]: -0.4}  # what the frontend's comm message does
    assert w.data == 0.7
    assert x.data == -0.4
    assert (f.data, w.grad, x.grad) == before  # forward and backward are not re-run
    assert live.values == {"w": 0.7, "x": -0.4}


def test_non_finite_numbers_cross_as_strings() -> None:
    w, x, f = leaves()
    live = gt.widget(f, names={"w": w, "x": x})
    key_w, key_x = list(live._inputs)
    live._inputs = {key_w: "NaN", key_x: "-Infinity"}
    assert math.isnan(w.data)
    assert x.data == -math.inf
    live.values = {"w": math.inf}
    assert live._inputs[key_w] == "Infinity"
    assert w.data == math.inf


def test_junk_from_a_frontend_is_ignored() -> None:
    w, x, f = leaves()
    live = gt.widget(f)
    key_w = next(iter(live._inputs))
    live._inputs = {key_w: "abc", "99": 1.0, "x": 2.0, key_w + "0": True}
    assert (w.data, x.data) == (0.2, -0.4)


def test_values_set_from_python_move_the_leaf() -> None:
    w, x, f = leaves()
    live = gt.widget(f, names={"w": w, "x": x})
    live.values = {"x": 0.25}
    assert x.data == 0.25
    assert live.values == {"w": 0.2, "x": 0.25}
    with pytest.raises(WidgetError, match="no input 'y'; its inputs: w, x"):
        live.values = {"y": 1.0}


def test_a_widget_of_a_graph_only_tracks_its_values() -> None:
    graph = gt.trace(gt.figure1())
    live = gt.widget(graph)
    live.values = {"w₁": 0.5}
    assert live.values["w₁"] == 0.5


def test_two_widgets_of_one_graph_have_their_own_ids() -> None:
    f = gt.figure1()
    first, second = gt.widget(f), gt.widget(f)
    id_of = lambda w: w._html.split('id="', 1)[1].split('"', 1)[0]  # noqa: E731
    assert id_of(first) != id_of(second)


def test_the_display_has_a_copy_for_pages_and_untrusted_notebooks() -> None:
    live = gt.widget(gt.figure1())
    data, _ = live._repr_mimebundle_()
    assert data["application/vnd.jupyter.widget-view+json"]["model_id"] == live.model_id
    assert data["text/plain"].startswith("gradtrace live widget of f = 0.6300")
    assert "w₁ = 0.2000" in data["text/plain"]
    copy = data["text/html"]
    assert copy.startswith('<div class="gt-notebook-copy">')
    assert "run the cell" in copy
    assert 'id="' + live._html.split('id="', 1)[1].split('"', 1)[0] + '"' in copy
    # what an untrusted notebook's sanitizer would leave dead is hidden there (jp-mod-hidden)
    assert '<fieldset class="gt-controls jp-mod-hidden"' in copy
    assert '<figure class="gt-figure jp-mod-hidden"' in copy
    assert '<div class="gt-walk jp-mod-hidden"' in copy
    assert '<table class="gradtrace-trace">' in copy  # the table stays: it reads without script
    assert "window.gradtrace" in copy  # the widget script, so a page made from it is live


def test_number_styles_and_options_reach_the_widget() -> None:
    f = gt.figure1()
    live = gt.widget(f, number="scientific", precision=2, show_grad=False)
    shown = dict(re.findall(r'<tr data-node="(\d+)">.*?class="gt-data">([^<]*)<', live._html))
    graph = gt.trace(f)
    for node in graph:
        if str(node.id) in shown:  # the engine's number, written in the chosen style
            assert shown[str(node.id)] == format_number(node.data, 2, "scientific"), node.label
    assert shown["0"] == "2.00e-01"
    assert "w₁ = 2.00e-01" in live._repr_mimebundle_()[0]["text/plain"]


def test_an_option_the_widget_does_not_take_is_a_clear_error() -> None:
    with pytest.raises(OptionError, match="has no option 'standalone'; it takes names"):
        gt.widget(gt.figure1(), standalone=True)
    with pytest.raises(OptionError, match="number must be one of"):
        gt.widget(gt.figure1(), number="roman")


def test_labels_with_markup_are_escaped_in_the_widget() -> None:
    a = gt.Value(1.0, "<img src=x onerror=alert(1)>")
    f = a * 2
    f.label = "</script><script>alert(2)</script>"
    f.backward()
    live = gt.widget(f)
    assert "<img" not in live._html
    assert "<script>alert" not in live._html
    assert "</script><script>" not in live._repr_mimebundle_()[0]["text/html"]


def test_a_missing_anywidget_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(sys.modules, "gradtrace.export.jupyter", raising=False)
    monkeypatch.setitem(sys.modules, "anywidget", None)  # import anywidget raises
    with pytest.raises(GradtraceError, match=r"pip install 'gradtrace\[notebook\]'") as error:
        gt.widget(gt.figure1())
    assert "\n" not in str(error.value)
