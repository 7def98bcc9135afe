"""Values and graphs that show themselves in Jupyter, and the live widget's entry point.

**Rich display.** In a notebook, a cell that ends with a `Value`, a `Graph` or what
`draw()` returns shows the computational graph as an SVG figure, with the forward values
and, once `backward()` has run, the gradients. Jupyter asks objects for their
`_repr_mimebundle_(include, exclude)`; `Value` and `Graph` delegate it to `mimebundle()`
here, imported only when a figure is asked for, so the engine never loads an exporter.

- **Only what the frontend shows is made.** The formats asked for are `include` minus
  `exclude`, or, when a frontend names none, those IPython's display formatter has active:
  IPython in a terminal wants only `text/plain`, so nothing is drawn there. Outside
  IPython, Python's prompt uses `repr()` and never calls this.
- **Large graphs show a summary instead.** Above `max_nodes` values (1,000, as `to_svg`)
  Graphviz would take minutes; the display is then a short text/HTML note with the size,
  the scopes that `collapse=` could fold, and the calls that draw it anyway. The size is
  counted by a plain walk, without tracing the whole graph.
- **No gradients, no gradient ellipses.** Before `backward()` every gradient is a bare 0,
  so the figure shows values only (as the tables write `—`).
- **Never a traceback for a display.** A missing Graphviz, a failed or timed-out layout, or
  a drawing over `to_svg`'s edge limit shows its one-line message (HTML-escaped) in place
  of the figure; `text/plain` is always there.
- **Labels are user text.** The SVG comes from `to_dot`, which XML-escapes every label, and
  the summary HTML-escapes what it writes, so a label like `<script>` shows as text.

**Names.** A displayed value is drawn with the labels it carries; nothing is looked up.
`draw(f, names=globals())` and `widget(f, names=globals())` name unlabelled values after
the notebook's variables (`w1` → `w₁`) through `gradtrace.capture.capture_namespace`,
the same naming the CLI and the docs use. This is opt-in because a display must not
depend on hidden state: the same value draws the same figure in any notebook, in
nbconvert and in the docs, and a frontend may ask for a display again at any time, which
must not scan a namespace that can hold a whole data set.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from gradtrace.errors import (
    GradtraceError,
    GraphTooLargeError,
    GraphvizNotFoundError,
    RenderError,
)
from gradtrace.export.render import DEFAULT_MAX_NODES, to_svg
from gradtrace.graph import Graph, as_graph, trace
from gradtrace.notation import format_number, reference_name
from gradtrace.options import OptionError

if TYPE_CHECKING:
    from gradtrace.export.jupyter import LiveWidget
    from gradtrace.export.widget import Range

__all__ = ["mimebundle", "named_graph", "widget"]

SVG = "image/svg+xml"
HTML = "text/html"
TEXT = "text/plain"
_RICH = (SVG, HTML)

#: A walk that counts a graph's size stops here (a display must not take long).
COUNT_LIMIT = 2_000_000

#: `to_html`'s options that `widget()` passes on (the rest are the widget's own business:
#: it is a fragment, without assets, with ids of its own).
_WIDGET_OPTIONS = (
    "number",
    "highlight",
    "show_grad",
    "theme",
    "rankdir",
    "collapse",
    "max_edges",
    "timeout",
)

#: A namespace key no user variable has: the output when no variable holds it.
_ROOT_KEY = "__gradtrace_output__"
#: IPython's own names in a notebook's globals (input history, output cache, ...).
_IPYTHON_NAMES = frozenset({"In", "Out", "exit", "quit", "get_ipython"})


def mimebundle(
    obj: Any,
    include: Collection[str] | None = None,
    exclude: Collection[str] | None = None,
    *,
    max_nodes: int | None = DEFAULT_MAX_NODES,
) -> dict[str, str]:
    """What Jupyter shows for a value or a graph: `{mime type: data}`.

    Args:
        obj: A `Value` (or anything shaped like one) or a `Graph`.
        include: The formats the frontend wants (None: see the module docs).
        exclude: Formats it does not want.
        max_nodes: Above this many values, a summary instead of a figure (None: no limit).

    Returns:
        `text/plain` always (the object's repr for a value), plus the SVG figure, or a
        `text/html` summary for a large graph, when the frontend shows them.

    Example:
        >>> from gradtrace import Value
        >>> a = Value(2.0, "a")
        >>> sorted(mimebundle(a * a, include={"text/plain"}))
        ['text/plain']
    """
    wanted = _wanted(include, exclude)
    text = repr(obj) if not isinstance(obj, Graph) else _graph_text(obj)
    out = {TEXT: text} if TEXT in wanted else {}
    if not wanted & set(_RICH):
        return out
    if max_nodes is not None:
        size, scopes = _size(obj)
        if size > max_nodes:
            return _with_summary(out, wanted, obj, size, scopes, max_nodes)
    graph = as_graph(obj)
    return _with_figure(
        out, wanted, lambda: to_svg(graph, max_nodes=None, **_figure_options(graph))
    )


def drawing_bundle(
    graph: Graph,
    max_nodes: int | None,
    svg: Callable[[], str],
    text: str,
    include: Collection[str] | None,
    exclude: Collection[str] | None,
) -> dict[str, str]:
    """`mimebundle` for what `draw()` returns: its SVG, its node limit, its repr."""
    wanted = _wanted(include, exclude)
    out = {TEXT: text} if TEXT in wanted else {}
    if not wanted & set(_RICH):
        return out
    if max_nodes is not None and len(graph) > max_nodes:
        return _with_summary(out, wanted, graph, len(graph), _graph_scopes(graph), max_nodes)
    return _with_figure(out, wanted, svg)


def named_graph(root: Any, names: Mapping[str, Any] | None = None) -> Graph:
    """The graph of `root`, its unlabelled values named after the variables in `names`.

    Args:
        root: The output value (or a `Graph`, used as it is when `names` is None).
        names: A namespace, usually a notebook's `globals()`: a value held by variable
            `w1` is labelled `w₁`, one at `xs[0]` is labelled `xs[0]` (as the CLI
            does). IPython's own entries (`In`, `Out`, `_5`, ...) are ignored. Labels
            the values already have are kept. Nothing is run; no gradient changes.

    Raises:
        GradtraceError: `names` given with a `Graph` (it has its names already).
    """
    if names is None:
        return as_graph(root)
    if isinstance(root, Graph):
        raise GradtraceError(
            "names= needs the output value, not a Graph; pass the value (draw(f, names=...))"
        )
    from gradtrace.capture import CaptureError, capture_namespace

    namespace = {
        k: v for k, v in names.items() if not k.startswith("_") and k not in _IPYTHON_NAMES
    }
    key = next((k for k, v in namespace.items() if v is root), None)
    if key is None:  # no variable holds the output: it stays unlabelled (the key is hidden)
        key = _ROOT_KEY
        namespace[key] = root
    try:
        return capture_namespace(namespace, root=key, backward=False).graph
    except CaptureError:  # no variable holds any value at all: nothing to name
        return trace(root)


def widget(
    root: Any,
    *,
    names: Mapping[str, Any] | None = None,
    inputs: Sequence[str | int] | None = None,
    ranges: Mapping[str | int, Range] | None = None,
    precision: int = 4,
    all_nodes: bool = False,
    max_nodes: int | None = DEFAULT_MAX_NODES,
    **options: Any,
) -> LiveWidget:
    """The live demo as a Jupyter widget: sliders, recomputation and step-through in a cell.

    It is the widget of the docs' live demo (`to_html`), shown by
    anywidget in JupyterLab, Notebook 7 and VS Code, with no
    network access. Moving a slider (or typing a number, or *Reset values*) sets the
    `.data` of that input `Value` in the kernel, so `w1.data` reads what the reader
    chose; see `LiveWidget` for exactly what is updated.

    Args:
        root: The output value (its leaves get sliders and follow them), or a `Graph`
            (then only `LiveWidget.values` follows the sliders: a graph holds no values).
        names: A namespace (`globals()`) to name values after, as `named_graph`.
        inputs: The leaves that get a slider (default: every input), as for `to_html`.
        ranges: Slider ranges by leaf, as for `to_html`.
        precision: Decimals of every number shown.
        all_nodes: List every node in the trace table, not only the named ones.
        max_nodes: Refuse graphs with more values than this (None: no limit).
        **options: The figure's and the numbers' options, as for `to_html`: `number`
            (`"significant"`, ...), `highlight`, `show_grad`, `theme`, `rankdir`,
            `collapse`, `max_edges`, `timeout`.

    Returns:
        A `LiveWidget`; the cell that ends with it shows the widget.

    Raises:
        GradtraceError: anywidget is not installed (`pip install "gradtrace[notebook]"`).
        WidgetError, GraphTooLargeError, GraphvizNotFoundError: As `to_html`.
        OptionError: An option `to_html` does not take here, or a value it cannot take.
    """
    unknown = [name for name in options if name not in _WIDGET_OPTIONS]
    if unknown:
        raise OptionError(
            f"gradtrace.widget() has no option {unknown[0]!r}; it takes "
            + ", ".join(("names", "inputs", "ranges", "precision", "all_nodes", "max_nodes"))
            + ", "
            + ", ".join(_WIDGET_OPTIONS)
        )
    try:
        from gradtrace.export.jupyter import LiveWidget
    except ImportError as error:
        if error.name not in ("anywidget", "ipywidgets", "traitlets"):
            raise
        raise GradtraceError(
            f"gradtrace.widget() needs {error.name}, which is not installed; install it with "
            "pip install 'gradtrace[notebook]'"
        ) from None
    return LiveWidget(
        root,
        graph=named_graph(root, names),
        inputs=inputs,
        ranges=ranges,
        precision=precision,
        all_nodes=all_nodes,
        max_nodes=max_nodes,
        **options,
    )


# -- helpers ----------------------------------------------------------------------------


def _wanted(include: Collection[str] | None, exclude: Collection[str] | None) -> set[str]:
    """The formats to make: what the frontend asked for, else what IPython shows."""
    wanted = set(include) if include else _active_types()
    return wanted - set(exclude or ())


def _active_types() -> set[str]:
    """The formats IPython's display formatter has active (all three outside IPython)."""
    import sys

    every = {TEXT, SVG, HTML}
    get_ipython = getattr(sys.modules.get("IPython"), "get_ipython", None)
    shell = get_ipython() if callable(get_ipython) else None
    formatter = getattr(shell, "display_formatter", None)
    active = getattr(formatter, "active_types", None)
    return set(active) if active else every


def _figure_options(graph: Graph) -> dict[str, Any]:
    """Gradients drawn only once computed: before `backward()` they are bare zeros."""
    return {"show_grad": any(graph[r].grad != 0 for r in graph.roots)}


def _with_figure(out: dict[str, str], wanted: set[str], svg: Callable[[], str]) -> dict[str, str]:
    try:
        figure: str = svg()
    except (GraphvizNotFoundError, GraphTooLargeError, RenderError) as error:
        if HTML in wanted:
            out[HTML] = f'<p class="gradtrace-note">{html.escape(str(error))}</p>'
        return out
    if SVG in wanted:
        out[SVG] = figure
    return out


def _with_summary(
    out: dict[str, str],
    wanted: set[str],
    obj: Any,
    size: int,
    scopes: list[str],
    max_nodes: int,
) -> dict[str, str]:
    text, markup = _summary(obj, size, scopes, max_nodes)
    if HTML in wanted:
        out[HTML] = markup
    if TEXT in wanted and isinstance(obj, Graph):  # a value keeps its repr as its text
        out[TEXT] = text
    return out


def _size(obj: Any) -> tuple[int, list[str]]:
    """How many values a graph (or the graph of a value) holds, and its scope names."""
    if isinstance(obj, Graph):
        return len(obj), _graph_scopes(obj)
    return _count(obj, COUNT_LIMIT)


def _count(root: Any, limit: int) -> tuple[int, list[str]]:
    """How many values the graph of `root` holds (stopping at `limit`) and the names
    of its scopes, in the order first met. A plain walk: no snapshot is made."""
    seen = {id(root)}
    stack = [root]
    scopes: dict[str, None] = {}
    while stack:
        node = stack.pop()
        for name in getattr(node, "_scope", ()) or ():
            scopes[str(name)] = None
        for child in node._prev:
            if id(child) not in seen:
                seen.add(id(child))
                stack.append(child)
        if len(seen) >= limit:
            break
    return len(seen), list(scopes)


def _graph_scopes(graph: Graph) -> list[str]:
    return list(dict.fromkeys(name for node in graph for name in node.scope))


def _graph_text(graph: Graph) -> str:
    return f"<gradtrace Graph of {len(graph)} values>"


def _summary(obj: Any, size: int, scopes: list[str], max_nodes: int) -> tuple[str, str]:
    if isinstance(obj, Graph):
        out = obj[obj.roots[0]] if obj.roots else None
        label = out.label if out else ""
        value = f" = {format_number(out.data)}" if out else ""
    else:
        label = str(getattr(obj, "label", "") or "")
        value = f" = {format_number(float(obj.data))}"
    # An unlabelled output is f, as in every figure and table; the calls below use the
    # name the head gives it (its label's name part, when that is a Python name).
    var = reference_name(label) if reference_name(label).isidentifier() else "f"
    count = f"more than {COUNT_LIMIT:,}" if size >= COUNT_LIMIT else f"{size:,}"
    head = (
        f"{label or 'f'}{value}: a graph of {count} values, too many to draw "
        f"inline (the limit is max_nodes={max_nodes:,}; Graphviz's layout time grows "
        "faster than the graph, to minutes at this size)."
    )
    if scopes:
        shown = ", ".join(repr(s) for s in scopes[:3])
        fold = (
            f"gt.draw({var}, collapse=({shown},), max_nodes=None)",
            "draws each scope as one box (scopes here: "
            + ", ".join(scopes[:8])
            + (", …" if len(scopes) > 8 else "")
            + ")",
        )
    else:
        fold = (
            f'with gt.scope("layer"): ...  then  gt.draw({var}, collapse=("layer",), '
            "max_nodes=None)",
            "groups the code that builds it, to draw each group as one box",
        )
    tips = [
        fold,
        (
            f"gt.draw({var}, max_nodes=None, max_edges=None)",
            "draws every value anyway (slow; Graphviz is stopped after timeout=60 s)",
        ),
        (
            f'gt.render({var}, "{var}.svg", max_nodes=None, max_edges=None)',
            "writes the figure to a file instead",
        ),
        (f"print(gt.to_markdown({var}))", "lists its named values with their gradients"),
    ]
    text = "\n".join([head, *(f"  {code}  # {why}" for code, why in tips)])
    items = "".join(
        f"<li><code>{html.escape(code)}</code> {html.escape(why)}</li>" for code, why in tips
    )
    markup = f'<div class="gradtrace-summary"><p>{html.escape(head)}</p><ul>{items}</ul></div>'
    return text, markup
