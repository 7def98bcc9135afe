"""The live demo as a Jupyter widget: `LiveWidget`, made by `gradtrace.widget(f)`.

**Why anywidget.** It is the small, actively kept way to write a Jupyter widget as one
ES module plus a style sheet: its front end ships inside its wheel as a JupyterLab
(and Notebook 7) extension and as the classic-notebook extension that VS Code loads
from the kernel's environment, so nothing comes from a CDN and nothing needs a build
step here. The alternative, a hand-written ipywidgets extension, needs a JavaScript
build and a labextension of our own; a plain `text/html` output with a script is
one-way (no Python side) and runs only in trusted notebooks.

**One widget, not a copy.** The module the browser runs is `widget.js` (the docs'
live demo, byte for byte as the docs' pages ship it, with `gradtrace.ops`' aliases
filled in) followed by `notebook.js`, a small view that puts the widget
fragment made by `to_html(..., standalone=False)` into its cell and starts it with
`window.gradtrace.start`. The style sheet is `widget.css` plus `notebook.css` (follow
the notebook's light or dark theme). All four are package data.

**What the sliders change in Python.** Moving a slider, typing a number or pressing
*Reset values* sets, within about 0.1 s, the `.data` of that input leaf, the very
`Value` the notebook holds (`w1.data`), and `LiveWidget.values`. Nothing else in
Python is recomputed: forward and backward are not re-run, so the output's `.data`
and every `.grad` keep the numbers of the run that built the graph. A graph built
by running code records that one run (its backward rules hold numbers of it, e.g.
`exp`'s output), so re-running them on the old graph would give wrong gradients; to
recompute in Python, re-run the cell that builds the graph (it reads the new
`w1.data`; remember that leaves accumulate gradients, so reset them first). The other
way, `widget.values = {"w₁": 0.5}` sets the leaf and moves the slider.

**Outside a live notebook.** The widget's display also carries a `text/html` copy (the
same fragment with its script and styles inlined) and a `text/plain` summary. A page
made from the notebook (nbconvert, the docs) runs the copy as the docs' live demo,
without the Python side; an untrusted notebook shows it with scripts removed: the
figure and the trace table, and a note saying to run the cell.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Mapping, Sequence
from functools import cache
from importlib import resources
from typing import Any

import anywidget
import traitlets

from gradtrace.export.render import DEFAULT_MAX_NODES
from gradtrace.export.widget import Range, WidgetError, to_html, widget_assets
from gradtrace.export.widget import _asset as shipped_asset
from gradtrace.graph import Graph, live_values
from gradtrace.notation import format_number, generated_name
from gradtrace.options import check as check_option

__all__ = ["LiveWidget"]

# Each widget's element ids get their own prefix, so two widgets of one graph on one
# page (the same cell run twice, both outputs kept) never share an id.
_numbers = itertools.count()

_NOTE = (
    "A saved copy of gradtrace's live widget. If its sliders do not move, run the cell: "
    "the notebook is not trusted here, or its kernel is not running."
)


#: The parts of a widget fragment that read badly once a sanitizer has removed scripts,
#: styles and SVG (see `LiveWidget._copy`).
_HIDDEN_IN_JUPYTER = (
    '<fieldset class="gt-controls',
    '<div class="gt-walk',
    '<figure class="gt-figure',
)


@cache
def _asset(name: str) -> str:
    return resources.files("gradtrace.export").joinpath(name).read_text(encoding="utf-8")


# The widget's own script and style sheet exactly as the docs' pages ship them (the script
# with gradtrace.ops' aliases filled in), then the notebook's view and styles.
_ESM = shipped_asset("widget.js") + "\n" + _asset("notebook.js")
_CSS = shipped_asset("widget.css") + "\n" + _asset("notebook.css")


class LiveWidget(anywidget.AnyWidget):
    """The live demo of a graph in a notebook cell; see the module docs.

    Make it with `gradtrace.widget(f)`. A cell that ends with it shows the widget.

    Attributes:
        graph: The graph as drawn (a snapshot taken when the widget was made).
    """

    _esm = _ESM
    _css = _CSS
    _html = traitlets.Unicode("").tag(sync=True)
    _inputs = traitlets.Dict().tag(sync=True)

    def __init__(
        self,
        root: Any,
        *,
        graph: Graph,
        inputs: Sequence[str | int] | None = None,
        ranges: Mapping[str | int, Range] | None = None,
        precision: int = 4,
        all_nodes: bool = False,
        max_nodes: int | None = DEFAULT_MAX_NODES,
        **options: Any,
    ) -> None:
        fragment = to_html(
            graph,
            inputs=inputs,
            ranges=ranges,
            precision=precision,
            standalone=False,
            all_nodes=all_nodes,
            assets=False,
            widget_id=f"gtnb{next(_numbers)}",
            max_nodes=max_nodes,
            **options,
        )
        ids = [int(i) for i in re.findall(r'class="gt-control" data-node="(\d+)"', fragment)]
        live = None if isinstance(root, Graph) else live_values(root)
        if live is not None and len(live) != len(graph):  # pragma: no cover - a bug
            raise WidgetError("the graph changed while the widget was made; make it again")
        self.graph = graph
        self._fragment = fragment
        self._precision = precision
        self._number: str = check_option("number", options.get("number", "fixed"))
        self._leaves = {i: live[i] for i in ids} if live is not None else {}
        self._names = _names(graph, ids)
        super().__init__(_html=fragment, _inputs={str(i): _encode(graph[i].data) for i in ids})
        self.observe(self._sync, names="_inputs")

    @property
    def values(self) -> dict[str, float]:
        """The inputs as the reader left them, by name: `{"w₁": 0.2, ...}`.

        Set it (all or some, by name or node id) to move the sliders from Python;
        the leaves' `.data` follow, as for a slider.
        """
        out = {}
        for key, raw in self._inputs.items():
            x = _decode(raw)
            if str(key).isdigit() and int(key) in self._names and x is not None:
                out[self._names[int(key)]] = x
        return out

    @values.setter
    def values(self, new: Mapping[str | int, float]) -> None:
        by_name = {name: i for i, name in self._names.items()}
        updated = dict(self._inputs)
        for key, value in new.items():
            node = by_name.get(key) if isinstance(key, str) else key
            if isinstance(node, bool) or node not in self._names:
                known = ", ".join(self._names.values()) or "none"
                raise WidgetError(f"the widget has no input {key!r}; its inputs: {known}")
            updated[str(node)] = _encode(float(value))
        self._inputs = updated

    def _sync(self, change: dict[str, Any]) -> None:
        """The reader changed the inputs: set each changed leaf's `.data`."""
        for key, raw in change["new"].items():
            leaf = self._leaves.get(int(key)) if str(key).isdigit() else None
            x = _decode(raw)
            if leaf is not None and x is not None and not _same(float(leaf.data), x):
                leaf.data = x

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        """The widget, plus a copy of it for pages and untrusted notebooks (module docs)."""
        bundle = super()._repr_mimebundle_(**kwargs)
        if bundle is None:  # pragma: no cover - only for a closed widget
            return None
        data, metadata = bundle
        data = {**data, "text/plain": self._text(), "text/html": self._copy()}
        return data, metadata

    def _text(self) -> str:
        root = self.graph.roots[0] if self.graph.roots else len(self.graph) - 1
        node = self.graph[root]
        p, style = self._precision, self._number
        values = ", ".join(
            f"{name} = {format_number(v, p, style)}" for name, v in self.values.items()
        )
        return (
            f"gradtrace live widget of {node.label or 'f'} = {format_number(node.data, p, style)} "
            f"({len(self.graph)} values; inputs: {values or 'none'}). "
            "Run the cell in JupyterLab, Notebook 7 or VS Code to move its sliders."
        )

    def _copy(self) -> str:
        """The widget with its script and styles, for pages made from the notebook.

        An untrusted notebook shows it with scripts, styles and SVG removed (and
        the `hidden` attribute too); what would then be left dead or garbled (the
        controls, the step-through, the figure's loose text) gets
        JupyterLab's class for hidden elements, `jp-mod-hidden`, which hides it
        there and means nothing on any other page.
        """
        fragment = self._fragment
        for part in _HIDDEN_IN_JUPYTER:
            fragment = fragment.replace(part + '"', part + ' jp-mod-hidden"')
        return (
            '<div class="gt-notebook-copy">'
            f'<p class="gt-notebook-note">{_NOTE}</p>\n'
            f"{widget_assets()}\n<style>{_asset('notebook.css')}</style>\n"
            f"{fragment}</div>"
        )

    def __repr__(self) -> str:
        return f"<{self._text()}>"


def _names(graph: Graph, ids: list[int]) -> dict[int, str]:
    """Each control's name as the widget shows it; a repeated name gets its node id."""
    names = {i: graph[i].label or generated_name(i) for i in ids}
    repeated = {n for n in names.values() if list(names.values()).count(n) > 1}
    return {i: f"{n} (node {i})" if n in repeated else n for i, n in names.items()}


def _encode(x: float) -> float | str:
    """A number for JSON: non-finite ones as the strings JavaScript's `String()` writes."""
    if math.isfinite(x):
        return x
    return "NaN" if math.isnan(x) else ("Infinity" if x > 0 else "-Infinity")


def _decode(raw: Any) -> float | None:
    if isinstance(raw, bool) or not isinstance(raw, int | float | str):
        return None
    try:
        return float(raw)
    except ValueError:
        return None


def _same(a: float, b: float) -> bool:
    return a == b or (math.isnan(a) and math.isnan(b))
