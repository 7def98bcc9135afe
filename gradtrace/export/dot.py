"""DOT (Graphviz) source for a computational graph, in the style of Figure 1.

Each value is a green box holding its label and forward value, with its
gradient in a blue ellipse attached to it; each operation is an orange circle
with its symbol (×, +, exp, x², σ, ...); constants are drawn small, without a
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
  is the label (or, for an unlabelled value, its short expression, in
  italics). An unlabelled constant is a small `v{i}` with one `<text>`: the
  number as written in expressions (`0.5`, `−1`), never updated.
- `g{i}`: the value's gradient ellipse; its only `<text>` is the gradient.
  Leaves and intermediate values have one; constants do not; none with
  `show_grad=False`.
- `op{i}`: the operation that made value `i` (its one `<text>` is the symbol).
  A collapsed scope is one node with the id `op{i}` of its first output `i`.
- `e{i}_{k}`: the edges into value `i`'s operation (`k` counts them) and
  `e{i}` the edge from the operation to value `i`; `e{i}_g` joins a value to
  its gradient.
- `cluster{k}`: the k-th scope cluster, in order of first appearance.
- `graph`: the whole drawing.

`id_prefix` is put in front of every id, so several figures can share a page.
Node ids are the ids of `gradtrace.graph.trace`, which the JSON export uses
too: SVG element `v7` is node 7 of `to_json`.

Everything user-written (labels, scope names, unknown operation names) is
written in HTML-like labels with XML escaping, so any text is safe.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from gradtrace.errors import GradtraceError
from gradtrace.graph import Graph, Node, as_graph
from gradtrace.notation import expression, format_constant, format_number, op_symbol

__all__ = ["FONT", "THEMES", "Theme", "to_dot"]

#: The font list written into the DOT (and so into the SVG's font-family). Graphviz lays text
#: out with the first font fontconfig finds (DejaVu Sans, packaged as fonts-dejavu-core); browsers
#: without it fall back along the list.
FONT = "DejaVu Sans,Verdana,Helvetica,Arial,sans-serif"

#: An unlabelled value shows its expression when it is at most this long.
_SHORT_EXPRESSION = 14


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
    ),
}

_RANKDIRS = ("LR", "RL", "TB", "BT")


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
) -> str:
    """Graphviz DOT source of a graph, in Figure 1's style.

    Args:
        graph_or_root: A `Graph`, or a value to trace (gradtrace's, micrograd's, ...).
        precision: Decimals of the numbers shown.
        show_grad: Draw each value's gradient in a blue ellipse.
        rankdir: Direction of the flow: `"LR"` (left to right), `"TB"`, `"RL"`, `"BT"`.
        theme: `"light"`, `"print"` (greyscale), `"dark"`, or a `Theme`.
        collapse: Scope names whose clusters are each drawn as one node.
        id_prefix: Put in front of every SVG id (see the module docs).
        font: The font list (Graphviz uses the first one installed).
        title: A caption drawn above the graph.

    Returns:
        The DOT text, byte-identical for the same graph and options.

    Raises:
        GradtraceError: For an unknown theme or rankdir.
    """
    graph = as_graph(graph_or_root)
    colours = _theme(theme)
    if rankdir not in _RANKDIRS:
        raise GradtraceError(
            f"unknown rankdir {rankdir!r}; use one of {', '.join(map(repr, _RANKDIRS))}"
        )
    return _DotWriter(graph, colours, precision, show_grad, tuple(collapse), id_prefix).write(
        rankdir, font, title
    )


def _theme(theme: str | Theme) -> Theme:
    if isinstance(theme, Theme):
        return theme
    try:
        return THEMES[theme]
    except (KeyError, TypeError):
        raise GradtraceError(
            f"unknown theme {theme!r}; use one of {', '.join(map(repr, THEMES))} or a Theme"
        ) from None


def html(text: str) -> str:
    """`text` escaped for a Graphviz HTML-like label (newlines become line breaks)."""
    out = (
        text.replace("\\", "\\\\")  # Graphviz expands \N, \G, ... even in HTML labels
        .replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
        .replace("]", "&#93;")
    )
    out = "".join(c if c >= " " or c == "\n" else " " for c in out)
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
        self.p = prefix
        # group[i]: the collapsed group node i belongs to (its key), or None.
        self.collapse = set(collapse)
        self.group_of, self.group_outputs = _collapsed_groups(graph, self.collapse)
        self.members: dict[_GroupKey, list[Node]] = {}
        for node in graph.nodes:
            key = self.group_of[node.id]
            if key is not None:
                self.members.setdefault(key, []).append(node)
        self.lines: list[str] = []

    def write(self, rankdir: str, font: str, title: str) -> str:
        t, p = self.theme, self.p
        head = [
            "digraph gradtrace {",
            f"  graph [id={_quote(p + 'graph')}, rankdir={rankdir}, "
            f"bgcolor={_quote(t.background)}, fontname={_quote(font)}, "
            f"fontcolor={_quote(t.text)}, fontsize=16, "
            'nodesep=0.22, ranksep=0.32, pad=0.25, newrank=true, outputorder="edgesfirst"'
            + (f", labelloc=t, label=<{html(title)}>" if title else "")
            + "];",
            f"  node [fontname={_quote(font)}, fontsize=14, fontcolor={_quote(t.text)}, "
            'penwidth=1.3, margin="0.10,0.05"];',
            f"  edge [color={_quote(t.edge)}, penwidth=1.2, arrowsize=0.7];",
        ]
        self.lines = head
        # Nodes, grouped by cluster path.
        tree = _ClusterTree()
        for node in self.graph.nodes:
            for item in self.node_items(node):
                tree.add(self.cluster_path(node), item)
        tree.emit(self.lines, self, "  ")
        for node in self.graph.nodes:
            self.edges(node)
        self.lines.append("}")
        return "\n".join(self.lines) + "\n"

    # -- which scope path a node is drawn in ----------------------------------------

    def cluster_path(self, node: Node) -> tuple[str, ...]:
        key = self.group_of[node.id]
        if key is not None:
            return key[0][:-1]  # a collapsed group sits in its parent's cluster
        for depth, name in enumerate(node.scope):
            if name in self.collapse:
                return node.scope[:depth]
        return node.scope

    def hidden(self, node_id: int) -> bool:
        return self.group_of[node_id] is not None and node_id not in self.group_outputs

    # -- node statements -------------------------------------------------------------

    def node_items(self, node: Node) -> list[str]:
        if self.hidden(node.id):
            return []
        t, p, i = self.theme, self.p, node.id
        num = format_number(node.data, self.precision)
        if node.op == "const" and not node.label:
            num = html(format_constant(node.data))
            return [
                f"{p}v{i} [id={_quote(f'{p}v{i}')}, shape=plaintext, fontsize=11, "
                f"fontcolor={_quote(t.constant_text)}, height=0.2, margin=0.02, label=<{num}>];"
            ]
        items: list[str] = []
        key = self.group_of[i]
        if key is not None and self.group_outputs.get(i) == i:
            items.append(self.group_node(i, key[0][-1]))
        elif node.children:
            items.append(
                f"{p}op{i} [id={_quote(f'{p}op{i}')}, shape=circle, style=filled, "
                f"fillcolor={_quote(t.op_fill)}, color={_quote(t.op_line)}, width=0.42, "
                f"margin=0.02, fontsize=13, label=<{html(op_symbol(node.op))}>];"
            )
        if node.label:
            name = f"<B>{html(node.label)}</B>"
        elif node.children:
            short = expression(self.graph, i)
            name = f"<I>{html(short)}</I>" if len(short) <= _SHORT_EXPRESSION else ""
        else:
            name = ""
        label = f"{name}<BR/>{num}" if name else num
        items.append(
            f'{p}v{i} [id={_quote(f"{p}v{i}")}, shape=box, style="rounded,filled", '
            f"fillcolor={_quote(t.value_fill)}, color={_quote(t.value_line)}, label=<{label}>];"
        )
        if self.show_grad:
            grad = format_number(node.grad, self.precision)
            items.append(
                f"{p}g{i} [id={_quote(f'{p}g{i}')}, shape=ellipse, style=filled, "
                f"fillcolor={_quote(t.grad_fill)}, color={_quote(t.grad_line)}, "
                f'fontcolor={_quote(t.grad_text)}, fontsize=12, height=0.3, margin="0.04,0.02", '
                f"label=<{grad}>];"
            )
            items.append(f"{{rank=same; {p}v{i}; {p}g{i}}}")
        return items

    def group_node(self, first_output: int, name: str) -> str:
        t, p, i = self.theme, self.p, first_output
        return (
            f'{p}op{i} [id={_quote(f"{p}op{i}")}, shape=box, style="rounded,filled", '
            f"fillcolor={_quote(t.op_fill)}, color={_quote(t.op_line)}, fontsize=14, "
            f"label=<<B>{html(name)}</B>>];"
        )

    # -- edges ------------------------------------------------------------------------

    def edges(self, node: Node) -> None:
        if self.hidden(node.id):
            return
        p, i, out = self.p, node.id, self.lines
        if self.show_grad and not (node.op == "const" and not node.label):
            out.append(
                f"  {p}v{i} -> {p}g{i} [id={_quote(f'{p}e{i}_g')}, arrowhead=none, "
                f"style=dashed, color={_quote(self.theme.grad_line)}];"
            )
        if not node.children:
            return
        first = self.group_outputs.get(i)
        if first is None:
            sources = node.children
        elif first == i:
            sources = self.group_inputs(i)
        else:
            sources = ()
        for k, child in enumerate(sources):
            out.append(f"  {p}v{child} -> {p}op{i} [id={_quote(f'{p}e{i}_{k}')}];")
        op = first if first is not None else i
        out.append(f"  {p}op{op} -> {p}v{i} [id={_quote(f'{p}e{i}')}];")

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


class _ClusterTree:
    """Node statements grouped by scope path, emitted as nested clusters."""

    def __init__(self) -> None:
        self.items: list[str] = []
        self.children: dict[str, _ClusterTree] = {}

    def add(self, path: Sequence[str], item: str) -> None:
        tree = self
        for name in path:
            tree = tree.children.setdefault(name, _ClusterTree())
        tree.items.append(item)

    def emit(
        self, lines: list[str], writer: _DotWriter, indent: str, counter: list[int] | None = None
    ) -> None:
        counter = counter if counter is not None else [0]
        lines.extend(indent + item for item in self.items)
        t, p = writer.theme, writer.p
        for name, child in self.children.items():
            k = counter[0]
            counter[0] += 1
            lines.append(f"{indent}subgraph cluster{k} {{")
            lines.append(
                f"{indent}  graph [id={_quote(f'{p}cluster{k}')}, label=<{html(name)}>, "
                f'style="rounded,dashed,filled", color={_quote(t.cluster_line)}, '
                f"fillcolor={_quote(t.cluster_fill)}, fontcolor={_quote(t.cluster_text)}, "
                "fontsize=13, labeljust=l, margin=10];"
            )
            child.emit(lines, writer, indent + "  ", counter)
            lines.append(f"{indent}}}")


_GroupKey = tuple[tuple[str, ...], int]


def _collapsed_groups(
    graph: Graph, names: set[str]
) -> tuple[list[_GroupKey | None], dict[int, int]]:
    """Which nodes fold into a collapsed scope node, and the outputs of each such group.

    A group is a connected set of nodes sharing the scope path up to the first
    collapsed name (two separate `with scope("σ")` blocks give two groups).
    Returns, per node, its group key `(path, representative)` or None; and for
    each output of a group (a member used outside it, or a root) the id of the
    group's first output.
    """
    n = len(graph.nodes)
    path: list[tuple[str, ...] | None] = [None] * n
    if not names:
        return [None] * n, {}
    for node in graph.nodes:
        for depth, name in enumerate(node.scope):
            if name in names:
                path[node.id] = node.scope[: depth + 1]
                break
    # Union-find over edges whose ends share a group path.
    parent = list(range(n))

    def find(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    for node in graph.nodes:
        if path[node.id] is None:
            continue
        for c in node.children:
            if path[c] == path[node.id]:
                ra, rb = find(node.id), find(c)
                if ra != rb:
                    parent[max(ra, rb)] = min(ra, rb)
    group: list[_GroupKey | None] = [None] * n
    for i in range(n):
        scope_path = path[i]
        if scope_path is not None:
            group[i] = (scope_path, find(i))
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
    # Leaves inside a collapsed scope stay visible as they are.
    for i in range(n):
        node = graph.nodes[i]
        leaf = group[i] is not None and not node.children and i not in outputs
        if leaf and (node.op != "const" or node.label):
            group[i] = None
    return group, outputs
