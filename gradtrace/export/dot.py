"""DOT (Graphviz) source for a computational graph, in the style of Figure 1.

Each value is a green box holding its label and forward value, with its
gradient in a blue ellipse attached to it; each operation is an orange circle
with its symbol (×, +, exp, (·)², σ, ...); constants are drawn small, without a
box. Values made inside `gradtrace.scope(name)` are grouped into a labelled
cluster, or folded into a single node with `collapse=(name,)`.

SVG id scheme
-------------
Graphviz copies each DOT node's `id` attribute onto the SVG `<g class="node">`
that draws it, so every number in the rendered SVG can be found and updated in
place (the live demo does this). With `id_prefix=""` (the default) and a
value whose graph id is `i`:

- `v{i}`: the value's box. Its **last** `<text>` element is the forward value
  (formatted by `gradtrace.notation.format_number`); any `<text>` before it
  is the node's name (its label, or a generated name such as `v₇`, in bold)
  or, for a value written out in expressions, its short expression (in
  italics; see `gradtrace.notation.Naming`). An unlabelled constant is a
  small `v{i}` with one `<text>`: the number as written in expressions
  (`0.5`, `−1`), never updated.
- `g{i}`: the value's gradient ellipse; its only `<text>` is the gradient.
  Leaves and intermediate values have one; constants do not; none with
  `show_grad=False`.
- `op{i}`: the operation that made value `i` (its one `<text>` is the symbol).
  A collapsed scope is one node with the id `op{i}` of its first output `i`.
- `e{i}_{k}`: the edges into value `i`'s operation (`k` counts them) and
  `e{i}` the edge from the operation to value `i`; `e{i}_g` joins a value to
  its gradient.
- `pair{i}`: an empty, invisible cluster that keeps value `i` and its
  gradient side by side (not written with `fast_layout`).
- `cluster{k}`: the k-th scope cluster, in order of first appearance.
- `row{b}`: the b-th row of a wrapped figure (an invisible cluster; see `wrap`).
- `graph`: the whole drawing.

`id_prefix` is put in front of every id, so several figures can share a page.
Node ids are the ids of `gradtrace.graph.trace`, which the JSON export uses
too: SVG element `v7` is node 7 of `to_json`.

Everything user-written (labels, scope names, unknown operation names) is
written in HTML-like labels with XML escaping, so any text is safe.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from gradtrace import options
from gradtrace.graph import Graph, Node, as_graph, paused_gc
from gradtrace.notation import (
    Naming,
    check_precision,
    format_constant,
    format_number,
    op_symbol,
    plain_text,
    pretty_name,
)

__all__ = [
    "FAST_LAYOUT_FROM",
    "FAST_LAYOUT_FROM_LENGTH",
    "FONT",
    "MAX_LABEL_CHARS",
    "THEMES",
    "LayoutSize",
    "Theme",
    "layout_size",
    "to_dot",
]

#: The font list written into the DOT (and so into the SVG's font-family). Graphviz lays text
#: out with the first font fontconfig finds (DejaVu Sans, packaged as fonts-dejavu-core); browsers
#: without it fall back along the list.
FONT = "DejaVu Sans,Verdana,Helvetica,Arial,sans-serif"

#: Graphs with more values than this get `fast_layout` unless told otherwise.
FAST_LAYOUT_FROM = 300

#: Drawings whose edges cross more columns than this in all (see `layout_size`) get
#: `fast_layout` too: long edges, not values, are what makes a small dense graph slow.
FAST_LAYOUT_FROM_LENGTH = 1000

#: Labels (and scope names, titles) longer than this are cut, ending in `…`.
MAX_LABEL_CHARS = 2000

#: An unlabelled value shows its expression when it is at most this long.
_SHORT_EXPRESSION = 14

#: A figure is wrapped into rows when its longest path holds more operations than this
#: (see `to_dot`'s `wrap`).
WRAP_FROM = 16


@dataclass(frozen=True)
class Theme:
    """The colours of a figure (any Graphviz colour string)."""

    background: str
    text: str
    edge: str
    value_fill: str
    value_line: str
    grad_fill: str
    grad_line: str
    grad_text: str
    op_fill: str
    op_line: str
    constant_text: str
    cluster_line: str
    cluster_fill: str
    cluster_text: str
    highlight: str = "#cf222e"


#: The built-in themes: `"light"` (Figure 1's colours), `"print"` (greyscale) and `"dark"`
#: (transparent background, for dark pages).
THEMES: dict[str, Theme] = {
    "light": Theme(
        background="white",
        text="#1f2328",
        edge="#6e7781",
        value_fill="#dcf5dc",
        value_line="#2e8b3d",
        grad_fill="#dde9fb",
        grad_line="#3a73c9",
        grad_text="#16407f",
        op_fill="#ffd8a8",
        op_line="#e8700c",
        constant_text="#57606a",
        cluster_line="#a0a8b0",
        cluster_fill="#f6f8fa",
        cluster_text="#57606a",
    ),
    "print": Theme(
        background="white",
        text="black",
        edge="#404040",
        value_fill="white",
        value_line="black",
        grad_fill="#e6e6e6",
        grad_line="#404040",
        grad_text="black",
        op_fill="#bfbfbf",
        op_line="black",
        constant_text="#404040",
        cluster_line="#808080",
        cluster_fill="white",
        cluster_text="#404040",
        highlight="black",
    ),
    "dark": Theme(
        background="transparent",
        text="#e6edf3",
        edge="#8b949e",
        value_fill="#1f4d2b",
        value_line="#56d364",
        grad_fill="#1b3a66",
        grad_line="#79b8ff",
        grad_text="#cfe3ff",
        op_fill="#7a3e00",
        op_line="#ffa657",
        constant_text="#b1bac4",
        cluster_line="#6e7681",
        cluster_fill="#ffffff10",
        cluster_text="#b1bac4",
        highlight="#ff7b72",
    ),
}


def to_dot(
    graph_or_root: Any,
    *,
    precision: int = 4,
    show_grad: bool = True,
    rankdir: str = "LR",
    theme: str | Theme = "light",
    collapse: Iterable[str] = (),
    id_prefix: str = "",
    font: str = FONT,
    title: str = "",
    fast_layout: bool | None = None,
    wrap: int | None = None,
    number: str = "fixed",
    highlight: str | None = None,
) -> str:
    """Graphviz DOT source of a graph, in Figure 1's style.

    Args:
        graph_or_root: A `Graph`, or a value to trace (gradtrace's, micrograd's, ...).
        precision: Digits of the numbers shown (decimals, or significant figures).
        show_grad: Draw each value's gradient in a blue ellipse.
        rankdir: Direction of the flow: `"LR"` (left to right), `"TB"`, `"RL"`, `"BT"`.
        theme: `"light"`, `"print"` (greyscale), `"dark"`, a `Theme`, or the path of
            a `.toml` file of colours (`gradtrace.options.load_theme`).
        collapse: Scope names whose clusters are each drawn as one node.
        id_prefix: Put in front of every SVG id (see the module docs).
        font: The font list (Graphviz uses the first one installed).
        title: A caption drawn above the graph.
        fast_layout: Ask Graphviz for a quicker, slightly less tidy layout
            (`nslimit=1, mclimit=0.1`; what it saves grows with the graph,
            see benchmarks/RESULTS.md). By default on for graphs of more than
            `FAST_LAYOUT_FROM` values, or whose edges cross more than
            `FAST_LAYOUT_FROM_LENGTH` columns in all, where layout time starts to hurt.
        wrap: Lay a long graph out in rows of this many operations, like lines
            of text (each row starts again at the left; the edges that carry on
            into the next row run back to its start). By default a graph whose
            longest path holds more than `WRAP_FROM` operations is wrapped into
            rows of at least 8 operations, as many as give the figure about the
            shape of a portrait page (a 200-operation chain: 20 rows of 10), so
            it fits a page instead of a strip tens of thousands of points long.
            `0` never wraps.
        number: How numbers are written: `"fixed"`, `"significant"` or
            `"scientific"` (see `gradtrace.notation.format_number`).
        highlight: The name of a value (its label, or a generated name such as
            `v₇`): it and every path from it to the output are drawn in bold in
            the theme's highlight colour, to show where its gradient comes from.

    Returns:
        The DOT text, byte-identical for the same graph and options.

    Raises:
        OptionError: For an option it cannot take (an unknown theme or rankdir, a
            highlight that names no value, ...); see `gradtrace.options`.
    """
    graph = as_graph(graph_or_root)
    precision = check_precision(precision)
    colours = _theme(options.check("theme", theme))
    rankdir = options.check("rankdir", rankdir)
    collapse = options.check("collapse", collapse)  # "σ" means one scope, not its letters
    show_grad = options.check("show_grad", show_grad)
    number = options.check("number", number)
    title = options.check("title", title)
    if wrap is not None:
        wrap = options.check("wrap", wrap)
    marked = _highlighted(graph, options.check("highlight", highlight)) if highlight else set()
    fast = len(graph) > FAST_LAYOUT_FROM if fast_layout is None else fast_layout
    with paused_gc():
        writer = _DotWriter(graph, colours, precision, show_grad, tuple(collapse), id_prefix)
        writer.number = number
        writer.marked = marked
        writer.bands = _bands(graph, wrap, writer.hidden)
        text = writer.write(rankdir=rankdir, font=font, title=title, fast=fast)
        if fast_layout is None and not fast and layout_size(text).length > FAST_LAYOUT_FROM_LENGTH:
            text = writer.write(rankdir=rankdir, font=font, title=title, fast=True)
        return text


class LayoutSize(NamedTuple):
    """How much work a DOT drawing is for Graphviz's layout (see `layout_size`).

    Attributes:
        values: Value boxes drawn (`v{i}` nodes; a collapsed scope draws only its outputs).
        nodes: Everything drawn: values, gradients, operations.
        edges: The edges drawn.
        length: The edges' total length in columns (ranks) of the drawing: an edge
            between neighbouring columns counts 1, one that spans k columns counts k.
            Graphviz places a bend point in every column an edge crosses, so this,
            not the number of values, is what makes a small, densely connected graph
            slow to lay out.
    """

    values: int
    nodes: int
    edges: int
    length: int


_NODE_LINE = re.compile(r"^\s*(\w+) \[id=", re.M)
_EDGE_LINE = re.compile(r"^\s*(\w+) -> (\w+)(.*)$", re.M)
_SAME_RANK = re.compile(r"rank=same;([^}]*)\}")
_VALUE_NAME = re.compile(r"v\d+")


def layout_size(dot: str) -> LayoutSize:
    """Estimate the layout work of DOT text written by `to_dot`, without running Graphviz.

    Columns are estimated the way Graphviz ranks a graph: every node one column
    after the furthest node it is drawn from, a value and its gradient in the same
    column, and a leaf pulled forward to just before its first use. Edges that do
    not constrain the ranking (`constraint=false`, as between the rows of a wrapped
    figure) count 1.
    """
    names = [n for n in _NODE_LINE.findall(dot) if n not in ("graph", "node", "edge")]
    values = sum(1 for n in names if _VALUE_NAME.fullmatch(n))
    drawn = len(names)
    index = {name: i for i, name in enumerate(names)}
    lines = _EDGE_LINE.findall(dot)
    for a, b, _ in lines:  # a node used only in edges (an invisible layout helper)
        for name in (a, b):
            if name not in index:
                index[name] = len(names)
                names.append(name)
    column_of = list(range(len(names)))  # union-find over "same column" groups
    for group in _SAME_RANK.findall(dot):
        members = [index[m.strip()] for m in group.split(";") if m.strip() in index]
        for m in members[1:]:
            a, b = _find(column_of, members[0]), _find(column_of, m)
            column_of[max(a, b)] = min(a, b)
    edges = [(index[a], index[b], "constraint=false" not in rest) for a, b, rest in lines]
    groups = [_find(column_of, i) for i in range(len(names))]
    ranked = [(groups[a], groups[b]) for a, b, ranks in edges if ranks and groups[a] != groups[b]]
    after: dict[int, list[int]] = {}
    waiting = dict.fromkeys(set(groups), 0)
    for a, b in ranked:
        after.setdefault(a, []).append(b)
        waiting[b] += 1
    rank = dict.fromkeys(waiting, 0)
    ready = [g for g, n in waiting.items() if n == 0]
    sources = set(ready)
    while ready:
        g = ready.pop()
        for h in after.get(g, ()):
            rank[h] = max(rank[h], rank[g] + 1)
            waiting[h] -= 1
            if waiting[h] == 0:
                ready.append(h)
    for g in sources:
        if g in after:
            rank[g] = min(rank[h] for h in after[g]) - 1
    length = sum(max(1, rank[b] - rank[a]) for a, b in ranked) + len(edges) - len(ranked)
    return LayoutSize(values=values, nodes=drawn, edges=len(edges), length=length)


#: A name longer than this is drawn on two lines, broken before a `.` or `[` near its middle.
_LONG_NAME = 18


#: A path as capture writes it: a name, then `.attribute` and `[index]` parts.
_PATH = re.compile(r"[^\W\d][\w⁽⁾⁰¹²³⁴⁵⁶⁷⁸⁹]*(?:\.[^\W\d]\w*|\[[^\]\[]*\])+")


def _box_lines(name: str) -> list[str]:
    """A box title, broken in two when it is a long path (`model.layers[0]` / `.w[1][0]`)."""
    if len(name) <= _LONG_NAME or not _PATH.fullmatch(name):
        return [name]
    breaks = [i for i, c in enumerate(name) if c in ".[" and 0 < i < len(name) - 1]
    if not breaks:
        return [name]
    middle = len(name) / 2
    cut = min(breaks, key=lambda i: (abs(i - middle), name[i] != "."))
    return [name[:cut], name[cut:]]


def _highlighted(graph: Graph, name: str) -> set[int]:
    """The value called `name` and every value on a path from it to an output."""
    naming = Naming(graph)
    wanted = {name, pretty_name(name)}  # x1 finds x₁, as on the command line
    found = [
        n.id
        for n in graph
        if wanted & {n.label, naming.title(n.id), naming.name(n.id)} and naming.is_named(n.id)
    ]
    if not found:
        known = [naming.title(n.id) for n in graph if naming.is_named(n.id)]
        shown = ", ".join(known[:8]) + (", ..." if len(known) > 8 else "")
        raise options.OptionError(
            f"highlight={name!r} names no value of the graph; its values: {shown}"
        )
    marked = set(found)
    for node in graph.nodes:  # parents come after their children
        if any(c in marked for c in node.children):
            marked.add(node.id)
    return marked


def _theme(theme: str | Theme) -> Theme:
    """A checked theme (`options.check("theme", ...)`) as a `Theme`."""
    return theme if isinstance(theme, Theme) else THEMES[theme]


def html(text: str) -> str:
    """`text` escaped for a Graphviz HTML-like label (newlines become line breaks).

    Text longer than `MAX_LABEL_CHARS` is cut there and ends in `…`: Graphviz
    refuses an HTML label of more than 16,384 bytes, and an escaped character
    takes at most 6.
    """
    if len(text) > MAX_LABEL_CHARS:
        text = text[: MAX_LABEL_CHARS - 1] + "…"
    out = (
        plain_text(text, keep_newlines=True)
        .replace("\\", "\\\\")  # Graphviz expands \N, \G, ... even in HTML labels
        .replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
        .replace("]", "&#93;")  # Graphviz 2.43 rejects a text run that starts with "]"
    )
    return "<BR/>".join(out.split("\n")) if "\n" in out else out


def _quote(text: str) -> str:
    """A DOT double-quoted string."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


class _DotWriter:
    def __init__(
        self,
        graph: Graph,
        theme: Theme,
        precision: int,
        show_grad: bool,
        collapse: tuple[str, ...],
        prefix: str,
    ) -> None:
        self.graph = graph
        self.theme = theme
        self.precision = precision
        self.show_grad = show_grad
        self.q = _quote(prefix)[1:-1]  # the id prefix, escaped for a DOT string
        self.collapse = set(collapse)
        # group_of[i]: the collapsed scope instance node i folds into, or None.
        self.instances = _scope_instances(graph)
        self.group_of, self.group_outputs = _collapsed_groups(graph, self.instances, self.collapse)
        self.members: dict[_GroupKey, list[Node]] = {}
        for node in graph.nodes:
            key = self.group_of[node.id]
            if key is not None:
                self.members.setdefault(key, []).append(node)
        self.lines: list[str] = []
        self.attrs = _Attributes(theme)
        self.symbols: dict[str, str] = {}  # op → escaped symbol, made once per op
        self.fast = False  # set by write()
        self.sideways = True  # set by write(): values flow left/right rather than up/down
        self.named: tuple[bool, ...] = ()
        self.short = self.short_expressions()
        self.bands: list[int] = []  # the row of each node when wrapped, set by to_dot
        self.number = "fixed"  # how numbers are written (format_number's style), set by to_dot
        self.marked: set[int] = set()  # the highlighted value and its paths, set by to_dot

    def write(self, *, rankdir: str, font: str, title: str, fast: bool) -> str:
        self.fast = fast
        self.sideways = rankdir in ("LR", "RL")
        t, q = self.theme, self.q
        head = [
            "digraph gradtrace {",
            f'  graph [id="{q}graph", rankdir={rankdir}, '
            f"bgcolor={_quote(t.background)}, fontname={_quote(font)}, "
            f"fontcolor={_quote(t.text)}, fontsize=16, "
            'nodesep=0.22, ranksep=0.32, pad=0.25, newrank=true, outputorder="edgesfirst", '
            # Few crossing-minimisation passes keep the order nodes are written in, which is
            # the order the code made them: z₁ above z₂, neuron 0 above neuron 1.
            "mclimit=0.01"
            + (", nslimit=1" if fast else "")
            + (f", labelloc=t, label=<{html(title)}>" if title else "")
            + "];",
            f"  node [fontname={_quote(font)}, fontsize=14, fontcolor={_quote(t.text)}, "
            'penwidth=1.3, margin="0.10,0.05"];',
            f"  edge [color={_quote(t.edge)}, penwidth=1.2, arrowsize=0.7];",
        ]
        self.lines = head
        # Nodes, grouped by cluster path.
        tree = _ClusterTree()
        rows = self.bands
        for node in self.graph.nodes:
            items = self.node_items(node)
            if items:
                path = self.cluster_path(node)
                tree.add(((_ROW, rows[node.id]), *path) if rows else path, items)
        tree.emit(self.lines, self, "  ")
        if rows:
            # Rows top to bottom in order: an invisible node whose edges to an invisible
            # anchor in each row must keep their order (`ordering=out`).
            self.lines.append(f'  rows [id="{q}rows", {self.attrs.anchor}, ordering=out];')
            for b in range(max(rows) + 1):
                self.lines.append(f"  rows -> row{b} [style=invis];")
        for node in self.graph.nodes:
            self.edges(node)
        self.lines.append("}")
        return "\n".join(self.lines) + "\n"

    # -- which scope path a node is drawn in ----------------------------------------

    def cluster_path(self, node: Node) -> _Instance:
        key = self.group_of[node.id]
        if key is not None:
            return key[:-1]  # a collapsed group sits in its parent's cluster
        path = self.instances[node.id]
        for depth, (name, _) in enumerate(path):
            if name in self.collapse:
                return path[:depth]
        return path

    def reaches(self, node_id: int) -> bool:
        """True if a highlighted value feeds this one (its operation is on a highlighted path)."""
        return any(c in self.marked for c in self.graph.nodes[node_id].children)

    def hidden(self, node_id: int) -> bool:
        return bool(self.collapse) and (
            self.group_of[node_id] is not None and node_id not in self.group_outputs
        )

    # -- node statements -------------------------------------------------------------

    def node_items(self, node: Node) -> list[str]:
        if self.hidden(node.id):
            return []
        a, q, i = self.attrs, self.q, node.id
        if node.op == "const" and not node.label:
            number = html(format_constant(node.data))
            return [f'v{i} [id="{q}v{i}", {a.constant}, label=<{number}>];']
        items: list[str] = []
        key = self.group_of[i]
        if key is not None and self.group_outputs.get(i) == i:
            items.append(f'op{i} [id="{q}op{i}", {a.group}, label=<<B>{html(key[-1][0])}</B>>];')
        elif node.children:
            symbol = self.symbols.get(node.op)
            if symbol is None:
                symbol = self.symbols[node.op] = html(op_symbol(node.op))
            mark = a.mark if i in self.marked and self.reaches(i) else ""
            items.append(f'op{i} [id="{q}op{i}", {a.op}{mark}, label=<{symbol}>];')
        number = format_number(node.data, self.precision, self.number)
        title = self.short[i]
        if not title:
            label = number
        elif self.named[i]:
            label = "".join(f"<B>{html(line)}</B><BR/>" for line in _box_lines(title)) + number
        else:
            label = f"<I>{html(title)}</I><BR/>{number}"
        mark = a.mark if i in self.marked else ""
        items.append(f'v{i} [id="{q}v{i}", {a.value}{mark}, label=<{label}>];')
        if self.show_grad:
            grad = format_number(node.grad, self.precision, self.number)
            items.append(f'g{i} [id="{q}g{i}", {a.grad}, label=<{grad}>];')
            if self.fast:
                items.append(f"{{rank=same; v{i}; g{i}}}")
            else:  # an invisible cluster keeps the pair adjacent through crossing minimisation
                items.append(
                    f'subgraph cluster_pair{i} {{graph [id="{q}pair{i}", {a.pair}]; '
                    f"rank=same; v{i}; g{i}}}"
                )
        return items

    def short_expressions(self) -> list[str]:
        """What each value's box says above its number: its name, or a short expression.

        A named node (see `gradtrace.notation.Naming`) shows its label or generated
        name (`v₇`), so every name an expression refers to is on a box. An inlined
        operation shows its expression in italics when that is short, else nothing.
        """
        naming = Naming(self.graph)
        short = [""] * len(self.graph.nodes)
        for node in self.graph.nodes:
            if node.op == "const" and not node.label:
                continue
            if naming.is_named(node.id):
                short[node.id] = naming.title(node.id)
            else:
                text = naming.name(node.id)
                if len(text) <= _SHORT_EXPRESSION:
                    short[node.id] = text
        self.named = naming.named
        return short

    # -- edges ------------------------------------------------------------------------

    def edges(self, node: Node) -> None:
        if self.hidden(node.id):
            return
        q, i, out = self.q, node.id, self.lines
        if self.show_grad and not (node.op == "const" and not node.label):
            # A flat edge's tail goes first: the gradient sits below the value left to right,
            # and to its right top to bottom.
            pair = f"g{i} -> v{i}" if self.sideways else f"v{i} -> g{i}"
            out.append(f'  {pair} [id="{q}e{i}_g", {self.attrs.grad_edge}];')
        if not node.children:
            return
        first = self.group_outputs.get(i)
        if first is None:
            sources: tuple[int, ...] = node.children
        elif first == i:
            sources = self.group_inputs(i)
        else:
            sources = ()
        bands, marked = self.bands, self.marked
        mark = self.attrs.mark if i in marked and self.reaches(i) else ""
        for k, child in enumerate(sources):
            # An edge into a later row does not pull its row to the right (see `_bands`).
            loose = ", constraint=false" if bands and bands[child] != bands[i] else ""
            edge_mark = mark if child in marked else ""
            out.append(f'  v{child} -> op{i} [id="{q}e{i}_{k}"{loose}{edge_mark}];')
        op = first if first is not None else i
        out.append(f'  op{op} -> v{i} [id="{q}e{i}"{mark}];')

    def group_inputs(self, first_output: int) -> tuple[int, ...]:
        key = self.group_of[first_output]
        members = self.members[key] if key is not None else []
        member_ids = {n.id for n in members}
        inputs: dict[int, None] = {}
        for m in members:
            if m.op == "const" and not m.label:
                continue
            for c in m.children:
                if c not in member_ids:
                    inputs[c] = None
        return tuple(inputs)


class _Attributes:
    """The attribute lists of each kind of node, written once per figure."""

    def __init__(self, t: Theme) -> None:
        self.value = (
            f'shape=box, style="rounded,filled", fillcolor={_quote(t.value_fill)}, '
            f"color={_quote(t.value_line)}"
        )
        self.grad = (
            f"shape=ellipse, style=filled, fillcolor={_quote(t.grad_fill)}, "
            f"color={_quote(t.grad_line)}, fontcolor={_quote(t.grad_text)}, fontsize=12, "
            'height=0.3, margin="0.04,0.02"'
        )
        self.op = (
            f"shape=circle, style=filled, fillcolor={_quote(t.op_fill)}, "
            f"color={_quote(t.op_line)}, width=0.42, margin=0.02, fontsize=13"
        )
        self.group = (
            f'shape=box, style="rounded,filled", fillcolor={_quote(t.op_fill)}, '
            f"color={_quote(t.op_line)}, fontsize=14"
        )
        self.constant = (
            f"shape=plaintext, fontsize=11, fontcolor={_quote(t.constant_text)}, "
            "height=0.2, margin=0.02"
        )
        self.grad_edge = f"dir=none, style=dashed, color={_quote(t.grad_line)}"
        self.pair = 'label="", style=invis, margin=0'
        self.mark = f", penwidth=3, color={_quote(t.highlight)}"
        self.anchor = 'label="", style=invis, width=0, height=0, margin=0'


class _ClusterTree:
    """Node statements grouped by scope path, emitted as nested clusters."""

    def __init__(self) -> None:
        self.items: list[str] = []
        self.children: dict[tuple[str, int], _ClusterTree] = {}

    def add(self, path: Sequence[tuple[str, int]], items: list[str]) -> None:
        tree = self
        for key in path:
            tree = tree.children.setdefault(key, _ClusterTree())
        tree.items.extend(items)

    def emit(
        self, lines: list[str], writer: _DotWriter, indent: str, counter: list[int] | None = None
    ) -> None:
        counter = counter if counter is not None else [0]
        lines.extend(indent + item for item in self.items)
        t, q = writer.theme, writer.q
        for (name, number), child in self.children.items():
            if name is _ROW:
                lines.append(f"{indent}subgraph cluster_row{number} {{")
                lines.append(f'{indent}  graph [id="{q}row{number}", label="", style=invis];')
                lines.append(
                    f'{indent}  row{number} [id="{q}anchor{number}", {writer.attrs.anchor}];'
                )
                child.emit(lines, writer, indent + "  ", counter)
                lines.append(f"{indent}}}")
                continue
            k = counter[0]
            counter[0] += 1
            lines.append(f"{indent}subgraph cluster{k} {{")
            lines.append(
                f'{indent}  graph [id="{q}cluster{k}", label=<{html(name)}>, '
                f'style="rounded,dashed,filled", color={_quote(t.cluster_line)}, '
                f"fillcolor={_quote(t.cluster_fill)}, fontcolor={_quote(t.cluster_text)}, "
                "fontsize=13, labeljust=l, margin=10];"
            )
            child.emit(lines, writer, indent + "  ", counter)
            lines.append(f"{indent}}}")


#: The cluster name of a row of a wrapped figure (a sentinel no scope name can equal).
_ROW: Any = object()

# A scope instance path: (name, representative node id) per nesting level.
_Instance = tuple[tuple[str, int], ...]
_GroupKey = _Instance


def _scope_instances(graph: Graph) -> list[_Instance]:
    """Tell apart separate uses of the same scope name.

    At each nesting level, the nodes sharing a scope path are split into
    connected groups (connected by the graph's edges between them), so two
    independent `with scope("neuron")` blocks become two clusters. Each node
    gets one `(name, smallest id of its group)` pair per level.
    """
    n = len(graph.nodes)
    depth = max((len(node.scope) for node in graph.nodes), default=0)
    if depth == 0:
        return [()] * n
    keys: list[list[tuple[str, int]]] = [[] for _ in range(n)]
    for d in range(depth):
        parent = list(range(n))
        for node in graph.nodes:
            if len(node.scope) <= d:
                continue
            prefix = node.scope[: d + 1]
            for c in node.children:
                if graph.nodes[c].scope[: d + 1] == prefix:
                    ra, rb = _find(parent, node.id), _find(parent, c)
                    if ra != rb:
                        parent[max(ra, rb)] = min(ra, rb)
        for node in graph.nodes:
            if len(node.scope) > d:
                keys[node.id].append((node.scope[d], _find(parent, node.id)))
    return [tuple(k) for k in keys]


def _bands(
    graph: Graph, wrap: int | None, hidden: Callable[[int], bool] = lambda i: False
) -> list[int]:
    """The row of each node in a wrapped figure (empty: not wrapped).

    An operation's column is the number of drawn operations on the longest path
    to it (one folded into a collapsed scope is not drawn); a row holds `wrap`
    columns. A leaf goes in the row of its first user, next to
    it. Edges between rows are written with `constraint=false`, so they do not
    push a row's nodes to the right of the previous row's: every row starts again
    at the left, and the rows stack like lines of text.
    """
    nodes = graph.nodes
    column = [0] * len(nodes)
    for node in nodes:
        if node.children:
            below = max((column[c] for c in node.children if nodes[c].children), default=0)
            column[node.id] = below if hidden(node.id) else below + 1
    longest = max(column, default=0)
    if wrap is None:
        # A column (an operation and its value) is about 1.7 times as wide as a row is tall
        # (measured on long chains); n rows of k columns are as tall as a portrait page
        # (√2 : 1) is for k ≈ √(longest / 2.4).
        wrap = max(8, math.ceil(math.sqrt(longest / 2.4))) if longest > WRAP_FROM else 0
    size = wrap
    if not size or longest <= size:
        return []
    band = [(c - 1) // size if c > 0 else 0 for c in column]
    for node in nodes:
        if not node.children:
            users = graph.parents(node.id)
            band[node.id] = min((band[p] for p in users), default=0)
    return band


def _find(parent: list[int], a: int) -> int:
    """Union-find root of `a` (with path halving)."""
    while parent[a] != a:
        parent[a] = parent[parent[a]]
        a = parent[a]
    return a


def _collapsed_groups(
    graph: Graph, instances: list[_Instance], names: set[str]
) -> tuple[list[_GroupKey | None], dict[int, int]]:
    """Which nodes fold into a collapsed scope node, and the outputs of each such group.

    A group is one instance of a scope whose name is in `names` (the outermost
    such level). Returns, per node, its group key or None; and for each output
    of a group (a member used outside it, or a root) the id of the group's
    first output. Leaves other than unlabelled constants stay visible.
    """
    n = len(graph.nodes)
    group: list[_GroupKey | None] = [None] * n
    if not names:
        return group, {}
    for i, path in enumerate(instances):
        for depth, (name, _) in enumerate(path):
            if name in names:
                group[i] = path[: depth + 1]
                break
    is_output = [False] * n
    for r in graph.roots:
        is_output[r] = True
    for node in graph.nodes:
        for c in node.children:
            if group[c] is not None and group[c] != group[node.id]:
                is_output[c] = True
    first: dict[_GroupKey, int] = {}
    outputs: dict[int, int] = {}
    for i in range(n):
        key = group[i]
        if key is not None and is_output[i] and graph.nodes[i].children:
            outputs[i] = first.setdefault(key, i)
    for i in range(n):
        node = graph.nodes[i]
        leaf = group[i] is not None and not node.children and i not in outputs
        if leaf and (node.op != "const" or node.label):
            group[i] = None
    return group, outputs
