"""The live demo: a graph as an HTML page whose numbers follow the reader's sliders.

`to_html()` puts together, for one graph:

- the Graphviz figure (SVG, inlined),
- a slider and a number box for each input leaf,
- step-through controls for the forward pass or the backward pass (play / pause, step,
  reset), each step told in the sentence `gradtrace.steps` writes for it,
- the trace table,
- and a small script (`widget.js`, with its style sheet `widget.css`, both package data
  inlined into the page) that recomputes the forward and backward pass **on the exported
  graph** (the JSON of `gradtrace.export.json`) on every change and writes the new
  numbers into the figure and the table in place.

Nothing is loaded from the network. The page is byte-identical for the same graph and
options. Labels are user text and are HTML-escaped everywhere; the graph's JSON sits in
a `<script type="application/json">` block with `<`, `>` and `&` escaped, so no label can
close it.

A fragment (`standalone=False`) can be embedded in any page, several per page: each
widget's element ids carry its own prefix, and the script starts every widget it has not
started yet, on load, when included again, and on each page of mkdocs-material's instant
navigation (`document$`).

In the browser, the script also offers (on `window.gradtrace`):

- `evaluate(json, inputs)`: forward and backward on a JSON export, leaves optionally set
  by node id (`{"3": 0.5}`); returns `{data: [...], grad: [...]}` indexed by node id. The
  tests compare it with the Python engine.
- `formatNumber(x, precision)`: the same text as `gradtrace.notation.format_number`.
- `startAll()`: start every widget on the page that has not started (idempotent).
- `stepMs`: milliseconds between steps while playing (default 900).

A started widget's element carries `data-gt-ready="true"`. The trace table is
`gradtrace.export.table.to_html_table`'s, and the script finds its numbers through the
hooks that function documents (`tr[data-node]`, `.gt-data`, `.gt-grad`); during a walk it
marks rows with the classes `gt-active`, `gt-receiving`, `gt-pending` and `gt-unknown`.
"""

from __future__ import annotations

import decimal
import hashlib
import html
import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from functools import cache
from importlib import resources
from typing import Any

from gradtrace import options
from gradtrace.errors import GradtraceError
from gradtrace.export.json import graph_to_dict
from gradtrace.export.render import (
    DEFAULT_MAX_EDGES,
    DEFAULT_MAX_NODES,
    DEFAULT_TIMEOUT,
    checked_dot,
    refuse_early,
    to_svg,
)
from gradtrace.export.table import table_rows, to_html_table
from gradtrace.graph import Graph, Node, as_graph
from gradtrace.notation import (
    Naming,
    generated_name,
    reference_name,
)
from gradtrace.ops import ALIASES
from gradtrace.steps import StepsError, walk

__all__ = ["WidgetError", "to_html", "widget_assets"]

#: Texts the script shows (one place, so a translation is one dictionary).
TEXT = {
    "play": "Play",
    "pause": "Pause",
    "ready": "Move a slider to recompute, or walk backward() one rule at a time ({n} steps).",
    "ready_forward": "Move a slider to recompute, or walk the forward pass one value at a time "
    "({n} steps).",
    "seed": "Start: ∂f/∂f = 1 at {root}. Press Step to run the first local rule.",
    "start_forward": "Start: no value is computed yet. Press Step to compute the first one.",
    "done": "Done: every gradient is complete.",
    "done_forward": "Done: every value is computed; walk backward() next.",
    "static": (
        "This graph uses the operation '{op}', which the live demo cannot recompute: "
        "the numbers shown are those of the export."
    ),
}


_SETTABLE = ("input", "parameter")


class WidgetError(GradtraceError):
    """A `to_html()` option names an input or range the graph does not have."""


Range = tuple[float, float] | tuple[float, float, float]


def to_html(
    graph_or_root: Any,
    *,
    inputs: Sequence[str | int] | None = None,
    ranges: Mapping[str | int, Range] | None = None,
    precision: int = 4,
    standalone: bool = True,
    title: str | None = None,
    all_nodes: bool = False,
    assets: bool = True,
    widget_id: str | None = None,
    max_nodes: int | None = DEFAULT_MAX_NODES,
    max_edges: int | None = DEFAULT_MAX_EDGES,
    timeout: float | None = DEFAULT_TIMEOUT,
    theme: Any = None,
    rankdir: str = "LR",
    collapse: Iterable[str] = (),
    number: str = "fixed",
    show_grad: bool = True,
    highlight: str | None = None,
    nudge: float | None = None,
) -> str:
    """The live demo of a graph, as a self-contained page or an embeddable fragment.

    Args:
        graph_or_root: A `Graph`, or the output value to trace. With several outputs,
            the page recomputes the gradients of the first, as `backward()` on it would.
        inputs: The leaves that get a slider, by label (or node id for an unlabelled
            leaf). Default: every input and parameter leaf (not constants).
        ranges: Slider range per input (same keys as `inputs`): `(low, high)` or
            `(low, high, step)`. Default: a symmetric range from a 1-2-5 series that
            holds the current value well inside it (−1…1 for Figure 1).
        precision: Digits of every displayed number (as `format_number`).
        number: How numbers are written: `"fixed"`, `"significant"` or
            `"scientific"` (as `format_number`; the page's script writes the same).
        show_grad: Draw the gradients in the figure.
        highlight: A value to draw in bold with its paths to the output (as `to_dot`).
        standalone: A whole HTML page (True) or a `<div>` to embed (False).
        title: The page's title and heading (default: "Live demo: f" for output f).
        all_nodes: List every node in the trace table, not only the labelled ones.
        assets: Include the script and style sheet. A page embedding many fragments
            may include them once, with `widget_assets()`, and pass False here.
        widget_id: The prefix of the widget's element ids (default: derived from the
            graph and options, so the output is reproducible). Give each copy of the
            same graph on one page its own.
        max_nodes: Refuse drawings with more values than this, before anything else is
            done (None: no limit). Values folded into a collapsed scope do not count.
        max_edges: Refuse drawings whose edges cross more columns than this in all
            (None: no limit; see `gradtrace.export.render.to_svg`).
        timeout: Seconds each Graphviz layout may take (None: no limit).
        theme: The figure's colours, as `to_dot`'s. Default: a light and a dark
            drawing, the page shows the one that matches the reader's colour scheme.
        rankdir: Direction of the figure's flow, as `to_dot`'s (`"LR"`, `"TB"`, ...).
        collapse: Scope names drawn as one node each, as `to_dot`'s.
        nudge: A step h for a finite-difference column in the table: for each value,
            how much the output moves when that value alone is nudged by h, divided
            by h, which the gradient predicts (None: no such column).

    Returns:
        The HTML text.

    Raises:
        WidgetError: If an input or range names no input leaf of the graph, or a range
            is empty.
        GraphTooLargeError: If the drawing is over `max_nodes` or `max_edges`.
        GraphvizNotFoundError: If Graphviz's `dot` is not installed.
        RenderTimeoutError: If Graphviz takes longer than `timeout`.

    Example:
        >>> from gradtrace.figures import figure1
        >>> page = to_html(figure1(), ranges={"x₁": (-2, 2)})
        >>> page.startswith("<!DOCTYPE html>")
        True
    """
    collapse = options.check("collapse", collapse)
    refuse_early(graph_or_root, max_nodes, collapse)  # before tracing a huge graph at all
    graph = as_graph(graph_or_root)
    precision = options.check("precision", precision)
    number = options.check("number", number)
    look: dict[str, Any] = {
        "precision": precision,
        "rankdir": rankdir,
        "collapse": collapse,
        "number": number,
        "show_grad": show_grad,
        "highlight": highlight,
    }
    # The figure is what can take minutes: refuse a drawing too big for it first.
    checked_dot(graph, max_nodes=max_nodes, max_edges=max_edges, theme=theme or "light", **look)
    if nudge is not None and not (isinstance(nudge, int | float) and 0 < nudge < math.inf):
        raise WidgetError(f"nudge must be a positive number, got {nudge!r}")
    controls = _controls(graph, inputs, ranges or {})
    graph_dict = graph_to_dict(graph)
    naming = Naming(graph)
    root = graph.roots[0] if graph.roots else len(graph) - 1
    root_name = naming.title(root) if len(graph) else "f"
    heading = title if title is not None else f"Live demo: {root_name}"
    chosen = [precision, all_nodes, heading, _theme_key(theme), rankdir, list(collapse)]
    chosen += [number, show_grad, highlight]
    if nudge is not None:
        chosen.append(nudge)
    key = json.dumps([graph_dict, controls, chosen], ensure_ascii=False)
    prefix = widget_id or "gt" + hashlib.sha256(key.encode()).hexdigest()[:8]
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", prefix):
        raise WidgetError(f"widget_id must be a letter then letters, digits or '_', got {prefix!r}")

    if theme is not None:
        theme = options.check("theme", theme)  # a name, or a Theme (from a .toml file)
    themes = (theme,) if theme is not None else ("light", "dark")
    svg, svg_ids = _figure(graph, prefix, themes, look, timeout, root_name)
    try:
        steps = walk(graph)
    except StepsError:  # an operation the page cannot recompute: it is shown read-only
        passes: dict[str, list[Any]] = {"forward": [], "backward": []}
    else:
        passes = {
            "forward": [[s.node, s.template, s.slots] for s in steps.forward],
            "backward": [[s.node, s.template, s.slots] for s in steps.backward],
        }
    config = {
        "graph": graph_dict,
        "precision": precision,
        "number": number,
        "svg": svg_ids,
        "names": [naming.name(n.id) for n in graph],
        "constants": [n.role == "constant" for n in graph],
        "steps": passes,
        "text": TEXT,
    }
    if nudge is not None:
        config["nudge"] = float(nudge)
    body = "\n".join(
        [
            f'<div class="gradtrace-widget" id="{prefix}" data-gt-widget="1">',
            f'<script type="application/json" class="gt-config">{_script_json(config)}</script>',
            _controls_html(controls, prefix, precision),
            _walk_html(prefix),
            f'<figure class="gt-figure" aria-label="Computational graph of {_e(root_name)}">'
            f"{svg}</figure>",
            _table_html(graph, precision, number, all_nodes, root, nudge),
            "</div>",
        ]
    )
    if assets:
        body = widget_assets() + "\n" + body
    if not standalone:
        return body + "\n"
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="color-scheme" content="light dark">\n'
        '<link rel="icon" href="data:,">\n'  # no favicon request either
        f"<title>{_e(heading)}</title>\n</head>\n"
        f'<body class="gt-page">\n<main>\n<h1>{_e(heading)}</h1>\n{body}\n</main>\n'
        "</body>\n</html>\n"
    )


def widget_assets() -> str:
    """The widget's style sheet and script as inline `<style>` and `<script>` elements."""
    return f"<style>{_asset('widget.css')}</style>\n<script>{_asset('widget.js')}</script>"


@cache
def _asset(name: str) -> str:
    text = resources.files("gradtrace.export").joinpath(name).read_text(encoding="utf-8")
    if not name.endswith(".js"):
        return text
    # The script's one copy of registry data: the aliases of gradtrace.ops.
    text = text.replace("__GRADTRACE_ALIASES__", json.dumps(ALIASES, sort_keys=True))
    return text.replace("</", "<\\/")


# -- controls -------------------------------------------------------------------------


def _controls(
    graph: Graph, inputs: Sequence[str | int] | None, ranges: Mapping[str | int, Range]
) -> list[dict[str, Any]]:
    """One record per controlled leaf: node id, name, slider range and starting value."""
    if inputs is None:  # in the trace table's order (w₁, w₂, x₁, x₂ for Figure 1)
        order = [r.id for r in table_rows(graph)] + [n.id for n in graph]
        leaves = [graph[i] for i in dict.fromkeys(order)]
        chosen = [n for n in leaves if n.is_leaf and n.role in _SETTABLE]
    else:
        if isinstance(inputs, str):
            raise WidgetError(f"inputs must be a list of labels, e.g. inputs=[{inputs!r}]")
        chosen = [_leaf(graph, key, "inputs") for key in dict.fromkeys(inputs)]
    by_key: dict[int, Range] = {}
    for key, value in ranges.items():
        by_key[_leaf(graph, key, "ranges").id] = value
    out = []
    for node in chosen:
        low, high, step = _range(node, by_key.get(node.id))
        out.append(
            {
                "id": node.id,
                "name": _leaf_name(node),
                "min": low,
                "max": high,
                "step": step,
                "value": node.data,
            }
        )
    return out


def _leaf(graph: Graph, key: str | int, option: str) -> Node:
    """The leaf an `inputs`/`ranges` key names (a label, or a node id)."""
    if isinstance(key, bool) or not isinstance(key, str | int):
        raise WidgetError(f"{option} keys must be labels (str) or node ids (int), got {key!r}")
    if isinstance(key, int):
        if not 0 <= key < len(graph):
            raise WidgetError(f"{option}: the graph has no node {key} (ids run 0–{len(graph) - 1})")
        node = graph[key]
    else:
        try:
            node = graph.labelled(key)
        except KeyError:
            known = ", ".join(repr(n.label) for n in graph if n.is_leaf and n.label) or "none"
            raise WidgetError(
                f"{option}: no value is labelled {key!r}; labelled leaves: {known}"
            ) from None
    if not node.is_leaf:
        raise WidgetError(
            f"{option}: {key!r} is computed from other values; only leaves can be set"
        )
    if node.role == "constant":
        raise WidgetError(
            f"{option}: node {node.id} is a number written in the code; only inputs and "
            "parameters can be set (make it a labelled Value to control it)"
        )
    return node


def _range(node: Node, given: Range | None) -> tuple[float, float, float]:
    """The slider's (low, high, step): as given, or a 1-2-5 range around the value."""
    if given is not None:
        if not isinstance(given, tuple | list) or len(given) not in (2, 3):
            raise WidgetError(
                f"range of {_leaf_name(node)!r} must be (low, high) or (low, high, step)"
            )
        low, high = float(given[0]), float(given[1])
        if not (math.isfinite(low) and math.isfinite(high) and low < high):
            raise WidgetError(
                f"range of {_leaf_name(node)!r} must have finite low < high, got {tuple(given)!r}"
            )
        # high/200 − low/200 cannot overflow; a range of a few subnormals is one step.
        step = float(given[2]) if len(given) == 3 else _nice(high / 200 - low / 200) or high - low
        if not (math.isfinite(step) and step > 0):
            raise WidgetError(f"range step of {_leaf_name(node)!r} must be positive, got {step!r}")
        return low, high, step
    x = node.data if math.isfinite(node.data) else 0.0
    half = _nice(min(max(1.0, 2 * abs(x)), _LARGEST_HALF))
    return -half, half, _nice(half / 100)


#: The default range is at most ±5e307: wide enough for any value a reader types, and
#: its width (high − low) stays a finite number, which a browser's slider needs.
_LARGEST_HALF = 5e307


def _nice(x: float) -> float:
    """The smallest number of the 1-2-5 series (…, 0.1, 0.2, 0.5, 1, 2, 5, 10, …) ≥ x.

    0 for x = 0 (callers choose another step then).
    """
    if x == 0:
        return 0.0
    exponent = math.floor(math.log10(x))
    for mantissa in (1, 2, 5, 10):
        candidate = float(f"{mantissa}e{exponent}")
        if candidate >= x * (1 - 1e-12):
            return candidate
    return float(f"1e{exponent + 1}")  # pragma: no cover - the loop always returns


def _number_text(x: float) -> str:
    """A number as the reader types it: `0.2`, `-0.4`, `nan`, `inf`."""
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    text = repr(x)
    return text[:-2] if text.endswith(".0") else text


def _controls_html(controls: list[dict[str, Any]], prefix: str, precision: int) -> str:
    if not controls:
        return ""
    parts = ['<fieldset class="gt-controls">', "<legend>Inputs</legend>"]
    for i, c in enumerate(controls):
        name = _e(c["name"])
        slider_id = f"{prefix}-in{i}"
        value = c["value"]
        shown = min(max(value, c["min"]), c["max"]) if math.isfinite(value) else c["min"]
        parts.append(
            f'<div class="gt-control" data-node="{c["id"]}" '
            f'data-gt-value="{_e(json.dumps(_json_number(value)))}">'
            f'<label for="{slider_id}">{name}</label>'
            f'<input type="range" id="{slider_id}" min="{_num(c["min"])}" max="{_num(c["max"])}" '
            f'step="{_num(c["step"])}" value="{_num(shown)}">'
            f'<input type="text" class="gt-number" spellcheck="false" '
            f'autocomplete="off" aria-label="{name}, exact value" value="{_number_text(value)}">'
            "</div>"
        )
    parts.append('<button type="button" class="gt-reset-values">Reset values</button></fieldset>')
    return "\n".join(parts)


# Small inline icons (no icon font, no network): play, step (play + bar), reset (bar +
# reverse play: back to the start), pause.
_ICONS = {
    "play": '<path d="M4 2.5v11l9-5.5z"/>',
    "step": '<path d="M2.5 2.5v11l8-5.5z"/><rect x="11.5" y="2.5" width="2" height="11"/>',
    "reset": '<rect x="2.5" y="2.5" width="2" height="11"/><path d="M13.5 2.5v11l-8-5.5z"/>',
    "pause": '<path d="M3.5 2.5h3v11h-3zM9.5 2.5h3v11h-3z"/>',
}


def _icon(kind: str) -> str:
    return (
        f'<svg class="gt-icon gt-icon-{kind}" viewBox="0 0 16 16" width="14" height="14" '
        f'aria-hidden="true" focusable="false">{_ICONS[kind]}</svg>'
    )


def _button(kind: str, label: str) -> str:
    icons = _icon(kind) + (_icon("pause") if kind == "play" else "")  # CSS shows one
    return (
        f'<button type="button" class="gt-{kind}">{icons}'
        f'<span class="gt-label">{label}</span></button>'
    )


def _walk_html(prefix: str) -> str:
    choice = "".join(
        f'<label><input type="radio" name="{prefix}-pass" value="{value}"'
        f"{' checked' if value == 'backward' else ''}> {text}</label>"
        for value, text in (("forward", "forward pass"), ("backward", "backward()"))
    )
    return (
        '<div class="gt-walk" role="group" aria-label="Walk through the forward pass or '
        'backward()">'
        f'<fieldset class="gt-pass"><legend>Walk through</legend>{choice}</fieldset>'
        + _button("play", TEXT["play"])
        + _button("step", "Step")
        + _button("reset", "Reset")
        + '<p class="gt-status" role="status" aria-live="polite"></p>'
        "</div>"
    )


# -- figure and table -----------------------------------------------------------------


def _figure(
    graph: Graph,
    prefix: str,
    themes: tuple[Any, ...],
    look: dict[str, Any],
    timeout: float | None,
    root_name: str = "f",
) -> tuple[str, dict[str, list[list[str]]]]:
    """The SVG drawings (by default a light and a dark one) and, per node, its parts' ids.

    With two, the page shows the one that matches the reader's colour scheme (see
    widget.css); the script keeps the numbers of both up to date. One chosen theme is
    shown in either scheme.
    """
    ids: dict[str, list[list[str]]] = {part: [[] for _ in graph] for part in _PARTS}
    drawings = []
    for theme in themes:
        name = theme if isinstance(theme, str) else "custom"  # a Theme from a file
        p = f"{prefix}_{name[0]}_"
        limits: dict[str, Any] = {"max_nodes": None, "max_edges": None, "timeout": timeout}
        svg = to_svg(graph, theme=theme, id_prefix=p, **limits, **look)
        svg = svg[svg.index("<svg") :].strip()
        svg = re.sub(r"<title>.*?</title>\n?", "", svg, flags=re.S)  # "v3->op7" tooltips
        shown = f"gt-svg-{name}" if len(themes) > 1 else "gt-svg-only"
        label = f"Computational graph of {root_name}; the trace table below lists its numbers"
        svg = svg.replace(
            "<svg", f'<svg class="gt-svg {shown}" role="img" aria-label="{_e(label)}"', 1
        )
        svg = _fit(svg)
        present = set(re.findall(r'\sid="([^"]*)"', svg))
        for node in graph:
            for part, local in _svg_scheme(node.id).items():
                if part == "data" and node.role == "constant":
                    continue  # written as in the code (0.5, −1), and it never changes
                if p + local in present:
                    ids[part][node.id].append(p + local)
        edges = re.findall(rf'\sid="({re.escape(p)}e(\d+)(?:_\d+)?)"', svg)
        for full, target in edges:
            ids["edges"][int(target)].append(full)
        drawings.append(svg)
    return "\n".join(drawings), ids


_PARTS = ("node", "data", "grad", "op", "edges")

#: Narrower than this share of its natural size, a figure scrolls sideways instead of
#: shrinking further (its text would become too small to read).
_MIN_SCALE = 11 / 16  # Graphviz's 12 pt gradients (16 px) stay at least 11 px


def _fit(svg: str) -> str:
    """Replace Graphviz's fixed size by a fluid one: fill the width, up to natural size."""
    size = re.match(r'<svg ([^>]*?)width="([\d.]+)pt" height="([\d.]+)pt"', svg)
    if size is None:  # pragma: no cover - Graphviz always writes both, in points
        return svg
    natural = float(size[2]) * 4 / 3  # CSS px
    style = f"max-width:{natural:.0f}px;min-width:{natural * _MIN_SCALE:.0f}px"
    head = f'<svg {size[1]}style="{style}"'
    return head + svg[size.end() :]


def _svg_scheme(node_id: int) -> dict[str, str]:
    """The SVG ids `gradtrace.export.dot` gives the parts of node `node_id` (see its docs).

    `v{i}` is the value's box (its last `<text>` is the forward value), `g{i}` its
    gradient ellipse, `op{i}` the operation that made it; `e{i}_{k}` / `e{i}` are the
    edges into and out of that operation (collected separately).
    """
    return {
        "node": f"v{node_id}",
        "data": f"v{node_id}",
        "grad": f"g{node_id}",
        "op": f"op{node_id}",
    }


def _theme_key(theme: Any) -> Any:
    """A theme as JSON for the widget's id: its name, or its colours."""
    return theme if theme is None or isinstance(theme, str) else list(vars(theme).values())


def _table_html(
    graph: Graph, precision: int, number: str, all_nodes: bool, root: int, nudge: float | None
) -> str:
    """The public trace table (`to_html_table`), headed with the output the script computes,
    plus, with `nudge`, a finite-difference column the script fills (`td.gt-nudge`)."""
    output = root if len(graph) else None
    table = to_html_table(
        graph, precision=precision, number=number, all_nodes=all_nodes, output=output
    )
    if nudge is not None:
        label = graph.nodes[root].label if len(graph) else ""
        f = reference_name(label) if label else "f"  # as the gradient column's header
        head = (
            f'<th scope="col" class="gt-nudge">Nudge by h = {decimal.Decimal(repr(nudge)):f}: '
            f'<span class="gt-nowrap">Δ{_e(f)} / h</span></th>'
        )
        lines = table.splitlines()
        for k, line in enumerate(lines):  # to_html_table's documented rows: one per line
            if line.endswith("</tr></thead>"):
                lines[k] = line.removesuffix("</tr></thead>") + head + "</tr></thead>"
            elif line.startswith("<tr data-node=") and line.endswith("</tr>"):
                lines[k] = line.removesuffix("</tr>") + '<td class="gt-nudge">—</td></tr>'
        table = "\n".join(lines) + "\n"
    return (
        '<div class="gt-table-wrap" tabindex="0" role="region" aria-label="Trace table">'
        f"\n{table}</div>"
    )


def _leaf_name(node: Node) -> str:
    """A leaf's name, as `Naming` gives it (its label, or `v₃`)."""
    return node.label or generated_name(node.id)


# -- escaping ---------------------------------------------------------------------------


def _e(text: str) -> str:
    """HTML-escape user text for element content and quoted attributes."""
    return html.escape(text, quote=True)


def _json_number(x: float) -> float | str:
    if math.isfinite(x):
        return x
    return "NaN" if math.isnan(x) else ("Infinity" if x > 0 else "-Infinity")


def _num(x: float) -> str:
    return _number_text(float(x))


def _script_json(data: Any) -> str:
    """JSON that is safe inside `<script>`: no `<`, `>` or `&` for the HTML parser to see."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
