r"""TikZ figures: the SVG's drawing as LaTeX, typeset in the document's own fonts.

`to_tikz` draws the same figure as `to_svg` (green value boxes with label and
forward value, blue gradient ellipses tied on with a dashed line, orange
operation circles, constants as small numbers, scopes as dashed frames or
collapsed into one box, the `light`, `print` and `dark` themes) at the same
places: Graphviz lays out the very DOT that `to_dot` writes (`dot -Tjson`), and
the TikZ code puts each node at Graphviz's position, with Graphviz's size, and
each edge along Graphviz's spline.

What is LaTeX's own:

- **Text.** Labels, numbers and operation symbols are math (`$w_{1}$`,
  `$-0.4000$`, `$\times$`), so they come out in the document's math font. They
  are plain ASCII (see `gradtrace.notation.latex_label`): any label compiles with
  pdflatex and lualatex. Boxes have Graphviz's size (scaled by `gt unit`) and
  grow if the text needs more room.
- **Styles, defined once at the top** with `\tikzset` (`gt value`, `gt grad`,
  `gt op`, `gt group`, `gt const`, `gt edge`, `gt grad edge`, `gt scope`, ...)
  and colours with `\definecolor` (`gtValueFill`, ...), so the figure can be
  restyled in one place. `gt unit` (default 0.65bp per Graphviz point) scales
  positions and box sizes but not the text; a style `every gradtrace figure`,
  if the document defines one, is applied to the picture (restyle without editing
  the file):

      \tikzset{every gradtrace figure/.style={gt unit=0.5bp,
          gt value/.append style={fill=yellow!20}}}
      \input{figure.tikz}

- **Edges** are Graphviz's own splines (its Bézier control points and arrow tips),
  drawn under the nodes as in the SVG, so the geometry is the SVG's. (Straight lines
  would be simpler but cut through boxes where Graphviz routes around them.) If
  you restyle the text much larger than the boxes, raise `gt unit` with it.
- **Very large graphs** whose layout would exceed 200 in (TeX cannot draw beyond
  about 226 in) are scaled down as a whole, text included, so they still compile.
- **Documents.** `standalone=True` gives a complete document cropped to the
  picture (`article` with the `preview` package, `tightpage`: the same cropping
  the `standalone` class does, without needing TeX Live's latex-extra
  collection); `standalone=False` gives the `tikzpicture` to `\input`, headed by a
  comment naming what the preamble needs (`\usepackage{tikz}` and
  `\usetikzlibrary{arrows.meta,shapes.geometric}`).

The output is byte-identical for the same graph and options (and the same
Graphviz version).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable
from typing import Any

from gradtrace import options
from gradtrace.errors import GradtraceError
from gradtrace.export.dot import _SHORT_EXPRESSION, THEMES, Theme, _box_lines, _highlighted
from gradtrace.export.render import (
    DEFAULT_MAX_EDGES,
    DEFAULT_MAX_NODES,
    DEFAULT_TIMEOUT,
    _run_dot,
    checked_dot,
)
from gradtrace.graph import Graph, as_graph
from gradtrace.notation import (
    Naming,
    format_constant,
    latex_label,
    latex_number,
    op_symbol,
    plain_text,
)

__all__ = ["LIBRARIES", "to_tikz"]

#: The TikZ libraries a figure uses (besides `\usepackage{tikz}`).
LIBRARIES = ("arrows.meta", "shapes.geometric")

#: One Graphviz point (1/72 in) in the picture, in bp, by default: Graphviz sizes its boxes
#: for 14 pt DejaVu Sans, and 0.65 of that fits the document's 10-12 pt math.
_UNIT = 0.65

#: The largest figure, in bp (200 in, PDF's page size limit; TeX's own is 16,383 pt). A larger
#: layout is scaled down as a whole, text included, so that it still compiles.
_MAX_EXTENT = 14400

_NODE = re.compile(r"(v|g|op)(\d+)")
_CLUSTER = re.compile(r"cluster(\d+)")

# Theme field → the colour name the figure defines for it.
_COLOURS = {
    "background": "gtBackground",
    "text": "gtText",
    "edge": "gtEdge",
    "value_fill": "gtValueFill",
    "value_line": "gtValueLine",
    "grad_fill": "gtGradFill",
    "grad_line": "gtGradLine",
    "grad_text": "gtGradText",
    "op_fill": "gtOpFill",
    "op_line": "gtOpLine",
    "constant_text": "gtConstText",
    "cluster_line": "gtScopeLine",
    "cluster_fill": "gtScopeFill",
    "cluster_text": "gtScopeText",
    "highlight": "gtHighlight",
}
_NAMED = {"white": "FFFFFF", "black": "000000"}


def to_tikz(
    graph_or_root: Any,
    *,
    standalone: bool = True,
    max_nodes: int | None = DEFAULT_MAX_NODES,
    max_edges: int | None = DEFAULT_MAX_EDGES,
    timeout: float | None = DEFAULT_TIMEOUT,
    precision: int = 4,
    show_grad: bool = True,
    rankdir: str = "LR",
    theme: str | Theme = "light",
    collapse: Iterable[str] = (),
    title: str = "",
    fast_layout: bool | None = None,
    wrap: int | None = None,
    number: str = "fixed",
    highlight: str | None = None,
) -> str:
    r"""The graph as a TikZ picture, laid out by Graphviz like the SVG (see the module docs).

    Args:
        graph_or_root: A `Graph`, or a value to trace.
        standalone: A complete document (`pdflatex figure.tikz.tex` makes a PDF
            cropped to the figure); False: the `tikzpicture` alone, for `\input`.
        max_nodes: Refuse drawings with more values than this (None: no limit).
        max_edges: Refuse drawings whose edges cross more columns than this in all
            (None: no limit; see `gradtrace.export.render.to_svg`).
        timeout: Seconds Graphviz may take before it is stopped (None: no limit).
        precision: Digits of the numbers shown (decimals, or significant figures).
        number: How numbers are written: `"fixed"`, `"significant"` or
            `"scientific"` (see `gradtrace.notation.format_number`).
        show_grad: Draw each value's gradient in a blue ellipse.
        rankdir: Direction of the flow: `"LR"`, `"TB"`, `"RL"`, `"BT"`.
        theme: `"light"`, `"print"`, `"dark"`, or a `Theme` whose colours are
            `#rrggbb`, `#rrggbbaa`, `white`, `black` or `transparent`.
        collapse: Scope names whose clusters are each drawn as one box.
        title: A caption above the graph.
        fast_layout: As for `to_dot`.
        wrap: As for `to_dot` (long graphs are laid out in rows).
        highlight: As for `to_dot`: this value and its paths to the output drawn
            in bold (style `gt highlight`).

    Returns:
        LaTeX source (ASCII), byte-identical for the same graph and options.

    Raises:
        GraphTooLargeError: The drawing is over `max_nodes` or `max_edges`.
        GraphvizNotFoundError: Graphviz's `dot` is not installed.
        RenderTimeoutError: `dot` ran longer than `timeout` seconds.
        RenderError: `dot` failed.
        GradtraceError: An unknown theme or rankdir, or a theme colour TikZ cannot take.
    """
    graph = as_graph(graph_or_root)
    folded: tuple[str, ...] = options.check("collapse", collapse)
    theme = options.check("theme", theme)
    number = options.check("number", number)
    dot = checked_dot(
        graph,
        max_nodes=max_nodes,
        max_edges=max_edges,
        precision=precision,
        show_grad=show_grad,
        rankdir=rankdir,
        theme=theme,
        collapse=folded,
        title=title,
        fast_layout=fast_layout,
        wrap=wrap,
        number=number,
        highlight=highlight,
    )
    colours = theme if isinstance(theme, Theme) else THEMES[theme]
    head = _colours(colours) + _styles(colours)  # checks the colours before Graphviz runs
    layout = json.loads(_run_dot(dot, "json", timeout=timeout, graph=graph))
    picture = _Picture(graph, layout, precision, folded, number)
    picture.marked = _highlighted(graph, highlight) if highlight else set()
    drawn = picture.lines(title)
    if standalone:
        return "\n".join(
            [*_DOCUMENT_HEAD, *head, r"\begin{document}", *drawn, r"\end{document}", ""]
        )
    return "\n".join(_FRAGMENT_HEAD + head + drawn) + "\n"


_FRAGMENT_HEAD = [
    "% A gradtrace figure (TikZ). In the preamble:",
    "%   \\usepackage{tikz}",
    f"%   \\usetikzlibrary{{{','.join(LIBRARIES)}}}",
    "% then \\input this file where the figure goes. Restyle with the \\tikzset keys below,",
    "% or define 'every gradtrace figure/.style={...}' before the \\input.",
]
_DOCUMENT_HEAD = [
    "% A gradtrace figure (TikZ): compile with pdflatex or lualatex.",
    r"\documentclass{article}",
    r"\usepackage{tikz}",
    f"\\usetikzlibrary{{{','.join(LIBRARIES)}}}",
    r"\usepackage[active,tightpage]{preview}",
    r"\PreviewEnvironment{tikzpicture}",
    r"\setlength{\PreviewBorder}{0pt}",
]


def _xcolor(field: str, value: str) -> tuple[str, float] | None:
    """A theme colour as (`RRGGBB`, opacity), or None for transparent."""
    text = value.strip().lower()
    if text in ("transparent", "none"):
        return None
    if text in _NAMED:
        return _NAMED[text], 1.0
    if re.fullmatch(r"#[0-9a-f]{6}([0-9a-f]{2})?", text):
        alpha = int(text[7:9], 16) / 255 if len(text) == 9 else 1.0
        return text[1:7].upper(), alpha
    raise GradtraceError(
        f"theme colour {field}={value!r} cannot be written in TikZ; "
        "use #rrggbb, #rrggbbaa, white, black or transparent"
    )


def _colours(theme: Theme) -> list[str]:
    lines = []
    for field, name in _COLOURS.items():
        colour = _xcolor(field, getattr(theme, field))
        rgb = colour[0] if colour else "FFFFFF"
        lines.append(f"\\definecolor{{{name}}}{{HTML}}{{{rgb}}}")
    return lines


def _paint(theme: Theme, field: str, key: str) -> str:
    """`fill=gtValueFill` (plus an opacity when the colour has one); "" when transparent."""
    colour = _xcolor(field, getattr(theme, field))
    if colour is None:
        return ""
    paint = f"{key}={_COLOURS[field]}"
    if colour[1] < 1:
        opacity = {"fill": "fill opacity", "draw": "draw opacity", "text": "text opacity"}[key]
        paint += f", {opacity}={_num(colour[1], 3)}"
    return paint


def _styles(t: Theme) -> list[str]:
    def style(name: str, *keys: str) -> str:
        return f"  {name}/.style={{{', '.join(k for k in keys if k)}}},"

    return [
        r"\tikzset{",
        f"  gt unit/.initial={_UNIT}bp,",
        style(
            "gt figure",
            r"x=\pgfkeysvalueof{/tikz/gt unit}, y=\pgfkeysvalueof{/tikz/gt unit}, line join=round",
            _paint(t, "text", "text"),
        ),
        "  gt size/.style 2 args={minimum width=#1*\\pgfkeysvalueof{/tikz/gt unit},",
        "    minimum height=#2*\\pgfkeysvalueof{/tikz/gt unit}},",
        style("gt background", _paint(t, "background", "fill")),
        style(
            "gt value",
            "rectangle, rounded corners=3pt, align=center, inner sep=2pt, line width=0.8pt",
            _paint(t, "value_fill", "fill"),
            _paint(t, "value_line", "draw"),
        ),
        r"  gt label/.code={\boldmath\bfseries},",
        r"  gt expression/.code={},",
        style(
            "gt grad",
            r"ellipse, inner sep=1pt, line width=0.8pt, font=\small",
            _paint(t, "grad_fill", "fill"),
            _paint(t, "grad_line", "draw"),
            _paint(t, "grad_text", "text"),
        ),
        style(
            "gt op",
            "circle, inner sep=1pt, line width=0.8pt",
            _paint(t, "op_fill", "fill"),
            _paint(t, "op_line", "draw"),
        ),
        style(
            "gt group",
            "rectangle, rounded corners=3pt, inner sep=3pt, line width=0.8pt",
            _paint(t, "op_fill", "fill"),
            _paint(t, "op_line", "draw"),
        ),
        style("gt const", r"inner sep=1pt, font=\footnotesize", _paint(t, "constant_text", "text")),
        style(
            "gt edge",
            "line width=0.7pt, -{Triangle[length=7*\\pgfkeysvalueof{/tikz/gt unit}, "
            "width=4.9*\\pgfkeysvalueof{/tikz/gt unit}]}",
            _paint(t, "edge", "draw"),
        ),
        style("gt grad edge", "line width=0.7pt, dashed", _paint(t, "grad_line", "draw")),
        style("gt highlight", "line width=2pt", _paint(t, "highlight", "draw")),
        style(
            "gt scope",
            "rounded corners=5pt, dashed, line width=0.6pt",
            _paint(t, "cluster_fill", "fill"),
            _paint(t, "cluster_line", "draw"),
        ),
        style(
            "gt scope label",
            r"anchor=west, inner sep=0pt, font=\small",
            _paint(t, "cluster_text", "text"),
        ),
        style("gt title", r"font=\large"),
        "}",
    ]


class _Picture:
    """The `tikzpicture` body: background, scope frames, edges, nodes, title."""

    def __init__(
        self,
        graph: Graph,
        layout: dict[str, Any],
        precision: int,
        collapse: tuple[str, ...],
        number: str = "fixed",
    ) -> None:
        self.graph = graph
        self.layout = layout
        self.precision = precision
        self.number = number
        self.collapse = collapse
        self.objects: list[dict[str, Any]] = layout.get("objects", [])
        self.naming = Naming(graph)
        self.marked: set[int] = set()  # the highlighted value and its paths (see to_dot)

    def lines(self, title: str) -> list[str]:
        x0, y0, x1, y1 = _floats(self.layout["bb"])
        pad = float(self.layout.get("pad", 0)) * 72
        extent = max(x1 - x0, y1 - y0) + 2 * pad
        options = "every gradtrace figure/.try, gt figure"
        if extent * _UNIT > _MAX_EXTENT:  # shrink everything, text too, to fit
            fit = math.floor(_MAX_EXTENT / (extent * _UNIT) * 1000) / 1000
            options = (
                f"gt unit={_num(_UNIT * fit, 4)}bp, {options}, "
                f"gt size/.style 2 args={{minimum width=#1*{_UNIT}bp, "
                f"minimum height=#2*{_UNIT}bp}}, every node/.append style={{scale={fit}}}"
            )
        out = [
            f"\\begin{{tikzpicture}}[{options}]",
            f"\\path[gt background] ({_num(x0 - pad)},{_num(y0 - pad)}) "
            f"rectangle ({_num(x1 + pad)},{_num(y1 + pad)});",
        ]
        out += self.scopes()
        out += self.edges()  # under the nodes, as in the SVG
        out += self.nodes()
        if title and "lp" in self.layout:
            x, y = _pair(self.layout["lp"])
            out.append(f"\\node[gt title] at ({_num(x)},{_num(y)}) {{{_text(title)}}};")
        out.append(r"\end{tikzpicture}")
        return out

    def scopes(self) -> list[str]:
        """A dashed frame per scope cluster, named after the scope its members share."""
        clusters: dict[int, tuple[int, dict[str, Any]]] = {}  # _gvid → (k, object)
        for gvid, obj in enumerate(self.objects):
            match = _CLUSTER.fullmatch(str(obj.get("name", "")))
            if match and "bb" in obj:
                clusters[gvid] = (int(match.group(1)), obj)
        parent = {
            child: gvid
            for gvid, obj in enumerate(self.objects)
            for child in obj.get("subgraphs", ())
        }
        out = []
        for gvid, (_, obj) in sorted(clusters.items(), key=lambda item: item[1][0]):
            x0, y0, x1, y1 = _floats(obj["bb"])
            out.append(
                f"\\draw[gt scope] ({_num(x0)},{_num(y0)}) rectangle ({_num(x1)},{_num(y1)});"
            )
            depth, up = 0, parent.get(gvid)
            while up is not None:
                depth += up in clusters
                up = parent.get(up)
            name = self.scope_name(obj, depth)
            if "lp" in obj and name is not None:
                x, y = _pair(obj["lp"])
                left = x - float(obj.get("lwidth", 0)) * 36  # the label is left-justified
                out.append(f"\\node[gt scope label] at ({_num(left)},{_num(y)}) {{{_text(name)}}};")
        return out

    def scope_name(self, cluster: dict[str, Any], depth: int) -> str | None:
        """The scope name at nesting `depth` of the values drawn in a cluster."""
        for gvid in cluster.get("nodes", ()):
            match = _NODE.fullmatch(str(self.objects[gvid].get("name", "")))
            if match:
                scope = self.graph.nodes[int(match.group(2))].scope
                if len(scope) > depth:
                    return scope[depth]
        return None

    def nodes(self) -> list[str]:
        placed: dict[tuple[str, int], dict[str, Any]] = {}
        for obj in self.objects:
            match = _NODE.fullmatch(str(obj.get("name", "")))
            if match and "pos" in obj:
                placed[(match.group(1), int(match.group(2)))] = obj
        out = []
        for node in self.graph.nodes:
            i = node.id
            for kind in ("op", "v", "g"):
                at = placed.get((kind, i))
                if at is None:
                    continue
                x, y = _pair(at["pos"])
                w, h = float(at.get("width", 0)) * 72, float(at.get("height", 0)) * 72
                style, text = self.node_text(kind, i)
                if (kind == "v" and i in self.marked) or (kind == "op" and self.lit(i)):
                    style += ", gt highlight"
                out.append(
                    f"\\node[{style}, gt size={{{_num(w)}}}{{{_num(h)}}}] ({kind}{i}) "
                    f"at ({_num(x)},{_num(y)}) {{{text}}};"
                )
        return out

    def lit(self, i: int) -> bool:
        """Whether operation `i` is on a highlighted path (as `to_dot` marks it)."""
        return i in self.marked and any(c in self.marked for c in self.graph.nodes[i].children)

    def lit_edge(self, tail: str, head: str) -> bool:
        """Whether the edge `tail` → `head` (`v3` → `op5`, `op5` → `v5`) is highlighted."""
        start, end = _NODE.fullmatch(tail), _NODE.fullmatch(head)
        if not (self.marked and start and end) or "g" in (start[1], end[1]):
            return False
        return int(start[2]) in self.marked and self.lit(int(end[2]))

    def node_text(self, kind: str, i: int) -> tuple[str, str]:
        node = self.graph.nodes[i]
        if kind == "g":
            return "gt grad", f"${latex_number(node.grad, self.precision, self.number)}$"
        if kind == "op":
            group = next((name for name in node.scope if name in self.collapse), None)
            if group is not None:
                return "gt group", f"{{\\tikzset{{gt label}}{_text(group)}}}"
            return "gt op", f"${_op_latex(node.op)}$"
        if node.op == "const" and not node.label:
            return "gt const", f"${format_constant(node.data, latex=True)}$"
        # What the box says above its number, as to_dot has it: a named value's name in
        # bold, an inlined one's expression (in plain math) when it is short.
        number = f"${latex_number(node.data, self.precision, self.number)}$"
        if self.naming.is_named(i):  # a long path name on two lines, as in to_dot
            lines = _box_lines(self.naming.title(i))
            title = "".join(f"{{\\tikzset{{gt label}}${latex_label(t)}$}}\\\\" for t in lines)
            return "gt value", title + number
        if len(self.naming.name(i)) <= _SHORT_EXPRESSION:
            expr = self.naming.expression(i, latex=True)
            return "gt value", f"{{\\tikzset{{gt expression}}${expr}$}}\\\\{number}"
        return "gt value", number

    def edges(self) -> list[str]:
        """Each edge along Graphviz's spline, ending at its arrow tip, as in the SVG."""
        names = {k: str(obj.get("name", "")) for k, obj in enumerate(self.objects)}
        out = []
        for edge in self.layout.get("edges", []):
            tail, head = names.get(edge.get("tail"), ""), names.get(edge.get("head"), "")
            if not (_NODE.fullmatch(tail) and _NODE.fullmatch(head)):
                continue
            style = "gt grad edge" if "g" in (tail[0], head[0]) else "gt edge"
            if self.lit_edge(tail, head):
                style += ", gt highlight"
            points, tip = _spline(str(edge.get("pos", "")))
            if len(points) < 4 or (len(points) - 1) % 3:
                continue  # Graphviz gives every edge of a laid-out graph a spline
            path = [_point(points[0])]
            for k in range(1, len(points), 3):
                path.append(
                    f".. controls {_point(points[k])} and {_point(points[k + 1])} "
                    f".. {_point(points[k + 2])}"
                )
            if tip is not None:
                path.append(f"-- {_point(tip)}")
            out.append(f"\\draw[{style}] {' '.join(path)};")
        return out


def _op_latex(op: str) -> str:
    """An operation's symbol as LaTeX math: `\\times`, `(\\cdot)^{2}`, `\\mbox{exp}`, `\\sigma`."""
    symbol = op_symbol(op)
    base, caret, power = symbol.partition("^")  # a power with no superscript form: (·)^0.3
    if caret and base:
        try:
            exponent = format_constant(float(power.replace("−", "-")), latex=True)
        except ValueError:
            exponent = latex_label(power)
        return f"{latex_label(base)}^{{{exponent}}}"
    if symbol.isascii() and any(c.isalpha() for c in symbol):  # exp, relu, an unknown op's name
        return f"\\mbox{{{_text(symbol)}}}"
    return latex_label(symbol)


_TEXT_SPECIALS = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "$": r"\$",
    "&": r"\&",
    "#": r"\#",
    "_": r"\_",
    "%": r"\%",
    "^": r"\textasciicircum{}",
    "~": r"\textasciitilde{}",
    "<": r"\textless{}",
    ">": r"\textgreater{}",
    "|": r"\textbar{}",
    '"': "''",
}


def _text(text: str) -> str:
    """Prose (a title, a scope name) as LaTeX text: ASCII escaped, anything else as math."""
    out: list[str] = []
    for run in re.findall(r"[ -~]+|[^ -~]+", plain_text(text)):
        if run[0].isascii():
            out.append("".join(_TEXT_SPECIALS.get(c, c) for c in run))
        else:
            out.append(f"${latex_label(run)}$")
    return "".join(out) or "{}"


def _spline(pos: str) -> tuple[list[tuple[float, float]], tuple[float, float] | None]:
    """A Graphviz edge `pos` (`"e,x,y x,y x,y ..."`): the spline's points and the arrow tip."""
    points, tip = [], None
    for part in pos.split():
        if part.startswith("e,"):
            tip = _pair(part[2:])
        elif not part.startswith("s,"):
            points.append(_pair(part))
    return points, tip


def _floats(text: str) -> tuple[float, ...]:
    return tuple(float(part) for part in str(text).split(","))


def _pair(text: str) -> tuple[float, float]:
    x, y = _floats(text)
    return x, y


def _point(p: tuple[float, float]) -> str:
    return f"({_num(p[0])},{_num(p[1])})"


def _num(x: float, digits: int = 2) -> str:
    """A coordinate: at most `digits` decimals, no trailing zeros, never `-0`."""
    text = f"{x:.{digits}f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text
