"""Frames: the figure once per step of the forward and backward pass, for slides and print.

`to_frames(graph, fmt)` draws one frame per step of `gradtrace.steps.walk`: Figure 1's
drawing with the step's node (its box, its operation and the edges into it) in the
operation colour, the children a backward step sends gradient to in the gradient colour,
values not computed yet written `—` and dimmed, gradients not final dimmed (showing their
running sum), and the step's sentence as a caption under the figure.

Formats: `"svg"` and `"png"` (one file per frame), `"pdf"` (one page per frame: handouts
and PDF slides; needs pypdf) and `"gif"` (an animation; needs Pillow); both libraries are
in the `frames` extra. `gradtrace.export.beamer.to_beamer` turns the PDF into a Beamer
frame with one overlay per step.

**One layout.** The figure is laid out once by Graphviz (`dot -Tjson` of `to_dot`'s
source); every frame is that layout with other colours and texts, drawn by Graphviz's
`nop2` engine, which keeps every node and edge where it is given. The captions are
measured once, and every frame reserves room for the largest, so all frames of one
export have the same size and nothing moves between them. Elements keep `to_dot`'s ids
(`v{i}`, `g{i}`, `op{i}`, `e{i}_{k}`), so an SVG frame can still be restyled by id.
All frames of a format are drawn by one Graphviz run. Output is byte-identical for the
same graph and options (PDF dates are set to the epoch, as `render` does).
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from gradtrace import options
from gradtrace.errors import GradtraceError, GraphTooLargeError
from gradtrace.export.dot import FONT, THEMES, Theme, html, to_dot
from gradtrace.export.render import DEFAULT_MAX_NODES, _run_dot, clean_pdf, clean_svg
from gradtrace.graph import Graph, as_graph
from gradtrace.notation import format_number
from gradtrace.steps import Step, Walk, walk

__all__ = ["DEFAULT_MAX_STEPS", "FORMATS", "FramesError", "to_frames"]

#: Exports with more frames than this are refused unless `max_steps` is raised.
DEFAULT_MAX_STEPS = 300

#: Every format `to_frames` writes, and whether it is one file per frame.
FORMATS: dict[str, bool] = {"svg": True, "png": True, "pdf": False, "gif": False}

#: Milliseconds each frame of an animation shows.
FRAME_MS = 1800

_DIM = "55"  # alpha of dimmed colours
_NOT_YET = "—"
_CAPTION_SIZE = 14
_CAPTION_GAP = 14.0  # points between the figure and its caption
_INTERNAL = re.compile(r"^_|^(name|nodes|edges|subgraphs|tail|head|bb|lp|lwidth|lheight)$")
_NAMED_COLOURS = {"white": "#ffffff", "black": "#000000"}


class FramesError(GradtraceError, ValueError):
    """Frames cannot be made as asked (unknown format or pass, too many steps)."""


def to_frames(
    graph_or_root: Any,
    fmt: str = "svg",
    *,
    passes: str = "both",
    theme: str | Theme = "light",
    precision: int = 4,
    max_steps: int | None = DEFAULT_MAX_STEPS,
    max_nodes: int | None = DEFAULT_MAX_NODES,
) -> list[bytes]:
    """The steps of a graph drawn as frames (see the module docs).

    Args:
        graph_or_root: A `Graph`, or a value to trace.
        fmt: `"svg"`, `"png"` (one file per frame), `"pdf"` (one page per frame) or
            `"gif"` (animated).
        passes: `"forward"`, `"backward"` or `"both"` (forward, then backward).
        theme: `"light"`, `"print"`, `"dark"`, a `Theme` or a `.toml` theme file, as
            for figures.
        precision: Decimals of the numbers shown.
        max_steps: Refuse to make more frames than this (None: no limit).
        max_nodes: Refuse graphs with more values than this (None: no limit).

    Returns:
        The files' contents: one per frame for SVG and PNG, one in all otherwise.

    Raises:
        FramesError: An unknown format or pass, or more steps than `max_steps`.
        GraphTooLargeError: More values than `max_nodes`.
        GraphvizNotFoundError, RenderError: As for `render`.

    Example:
        >>> from gradtrace.figures import figure1
        >>> frames = to_frames(figure1(), "svg", passes="backward")
        >>> len(frames), frames[0][:5]
        (12, b'<?xml')
    """
    if fmt not in FORMATS:
        raise FramesError(
            f"unknown frames format {fmt!r}; use one of {', '.join(map(repr, FORMATS))}"
        )
    film = prepare(graph_or_root, passes, theme, precision, max_steps, max_nodes)
    if fmt == "gif":
        return [_gif(film.draw("png"))]
    pages = film.draw("pdf" if fmt == "pdf" else fmt)
    if fmt == "pdf":
        return [_merge_pdfs(pages)]
    return pages


@dataclass
class Film:
    """A graph's layout and its steps, ready to be drawn frame by frame."""

    graph: Graph
    steps: tuple[Step, ...]
    walk: Walk
    theme: Theme
    precision: int
    layout: dict[str, Any]

    def frame_sources(self) -> list[str]:
        """The DOT source of every frame (Graphviz `nop2`: positions as given)."""
        captions = [s.text(self.precision) for s in self.steps]
        sizes = _measure(captions)
        return [
            self.frame_source(k, states, captions[k], sizes[k], sizes[-1])
            for k, states in enumerate(_states(self.walk, self.steps))
        ]

    def draw(self, fmt: str) -> list[bytes]:
        """Every frame in `fmt` (`svg`, `png` or `pdf`), from one Graphviz run."""
        out = _run_dot("".join(self.frame_sources()), fmt)
        parts = _split(out, fmt)
        if len(parts) != len(self.steps):  # pragma: no cover - Graphviz writes one per graph
            raise GradtraceError(f"Graphviz drew {len(parts)} frames for {len(self.steps)} steps")
        if fmt == "svg":
            return [clean_svg(p.decode("utf-8")).encode("utf-8") for p in parts]
        if fmt == "pdf":
            return [clean_pdf(p) for p in parts]
        return parts

    def frame_source(
        self,
        k: int,
        state: _State,
        caption: str,
        size: tuple[float, float],
        largest: tuple[float, float],
    ) -> str:
        layout, t = self.layout, self.theme
        names = {o["_gvid"]: o["name"] for o in layout.get("objects", [])}
        lines = [f"digraph frame{k} {{", "  graph [" + _graph_attributes(layout) + "];"]
        for obj in layout.get("objects", []):
            if "pos" in obj:
                lines.append(f"  {_q(obj['name'])} [{self.node_attributes(obj, state)}];")
            elif obj["name"].startswith("cluster") and "invis" not in obj.get("style", ""):
                attrs = _attributes(obj, {"bb": obj["bb"], "lp": obj.get("lp")})
                lines.append(f"  subgraph {_q(obj['name'])} {{ graph [{attrs}]; }}")
        for edge in layout.get("edges", []):
            tail, head = names[edge["tail"]], names[edge["head"]]
            lines.append(f"  {_q(tail)} -> {_q(head)} [{self.edge_attributes(edge, state)}];")
        x0, y0, _, _ = (float(v) for v in layout["bb"].split(","))
        top = y0 - _CAPTION_GAP
        w, h = size
        big_w, big_h = largest
        text = '<BR ALIGN="LEFT"/>'.join(html(line) for line in caption.split("\n"))
        lines.append(
            f'  caption [id="caption", shape=plaintext, margin=0, fontname={_q(FONT)}, '
            f"fontsize={_CAPTION_SIZE}, fontcolor={_q(t.text)}, "
            f'pos="{x0 + w / 2:.2f},{top - h / 2:.2f}", label=<{text}<BR ALIGN="LEFT"/>>];'
        )
        lines.append(
            f'  reserve [style=invis, shape=box, fixedsize=true, label="", '
            f"width={big_w / 72:.4f}, height={big_h / 72:.4f}, "
            f'pos="{x0 + big_w / 2:.2f},{top - big_h / 2:.2f}"];'
        )
        lines.append("}")
        return "\n".join(lines) + "\n"

    def node_attributes(self, obj: dict[str, Any], state: _State) -> str:
        t = self.theme
        override: dict[str, Any] = {}
        match = re.fullmatch(r"(v|g|op)(\d+)", obj["name"])
        if match:
            kind, i = match[1], int(match[2])
            node = self.graph[i]
            if kind == "v" and not (node.op == "const" and not node.label):
                known = state.known is None or state.known[i]
                number = format_number(node.data, self.precision) if known else _NOT_YET
                head, sep, _ = obj.get("label", "").rpartition("<BR/>")
                override["label"] = head + sep + number
                if not known:
                    override.update(_dimmed(obj, ("color", "fillcolor", "fontcolor")))
            elif kind == "g":
                if state.grads is None:
                    override["label"] = _NOT_YET
                else:
                    override["label"] = format_number(state.grads[i], self.precision)
                if not state.final[i]:
                    override.update(_dimmed(obj, ("color", "fillcolor", "fontcolor")))
            if (i == state.active and kind in ("v", "op")) or (
                kind == "g" and i == state.active and state.grads is not None
            ):
                override.update(color=t.op_line, penwidth="3.5")
            elif i in state.receivers and kind in ("v", "g"):
                override.update(color=t.grad_line, penwidth="3.5")
        return _attributes(obj, override)

    def edge_attributes(self, edge: dict[str, Any], state: _State) -> str:
        override: dict[str, Any] = {}
        match = re.fullmatch(r"e(\d+)(_\d+)?", edge.get("id", ""))
        if match and int(match[1]) == state.active:
            override.update(color=self.theme.op_line, penwidth="2.6")
        return _attributes(edge, {"pos": edge.get("pos"), **override})


@dataclass(frozen=True)
class _State:
    """What a frame shows: its active node, who receives, what is known and final."""

    active: int
    receivers: frozenset[int]
    known: tuple[bool, ...] | None  # forward: values computed so far (None: all)
    grads: tuple[float, ...] | None  # gradients so far (None: not started)
    final: tuple[bool, ...]


def _states(w: Walk, steps: Sequence[Step]) -> list[_State]:
    graph = w.graph
    n = len(graph)
    last = [-1] * n  # the last backward step that sends to each node
    for k, step in enumerate(w.backward):
        for c in graph[step.node].children:
            last[c] = k
    known = [n_.op == "const" and not n_.label for n_ in graph]
    grads = [0.0] * n
    if n:
        grads[w.root] = 1.0
    states = []
    for step in steps:
        if step.kind == "forward":
            known[step.node] = True
            states.append(_State(step.node, frozenset(), tuple(known), None, (False,) * n))
            continue
        for part in step.contributions:
            grads[part.child] = part.after
        k = step.index - 1
        final = tuple(last[i] <= k for i in range(n))
        receivers = frozenset(part.child for part in step.contributions)
        states.append(_State(step.node, receivers, None, tuple(grads), final))
    return states


def prepare(
    graph_or_root: Any,
    passes: str,
    theme: str | Theme,
    precision: int,
    max_steps: int | None,
    max_nodes: int | None,
) -> Film:
    """Check the request, walk the graph and lay it out once."""
    graph = as_graph(graph_or_root)
    if max_nodes is not None and len(graph) > max_nodes:
        raise GraphTooLargeError(len(graph), max_nodes)
    if passes not in ("forward", "backward", "both"):
        raise FramesError(f"unknown pass {passes!r}; use 'forward', 'backward' or 'both'")
    theme = options.check("theme", theme)  # a name, a Theme or a .toml file, as for figures
    steps_walk = walk(graph)
    steps = steps_walk.steps(passes)
    if max_steps is not None and len(steps) > max_steps:
        raise FramesError(
            f"{len(steps)} steps would make {len(steps)} frames, more than max_steps="
            f"{max_steps}; raise max_steps (--max-steps), export one pass (--pass backward) "
            "or a smaller graph"
        )
    if not steps:
        raise FramesError(f"the graph has no {passes} steps to draw; export --svg instead")
    layout = json.loads(_run_dot(to_dot(graph, theme=theme, precision=precision), "json"))
    colours = theme if isinstance(theme, Theme) else THEMES[theme]
    return Film(graph, steps, steps_walk, colours, precision, layout)


def _measure(captions: Sequence[str]) -> list[tuple[float, float]]:
    """Each caption's size in points, as Graphviz sets it; the largest of all last."""
    lines = [
        "digraph measure {",
        f"  node [shape=plaintext, margin=0, fontname={_q(FONT)}, fontsize={_CAPTION_SIZE}];",
    ]
    for k, caption in enumerate(captions):
        text = '<BR ALIGN="LEFT"/>'.join(html(line) for line in caption.split("\n"))
        lines.append(f'  c{k} [label=<{text}<BR ALIGN="LEFT"/>>];')
    lines.append("}")
    layout = json.loads(_run_dot("\n".join(lines) + "\n", "json"))
    size = {
        o["name"]: (float(o["width"]) * 72, float(o["height"]) * 72)
        for o in layout.get("objects", [])
    }
    sizes = [size[f"c{k}"] for k in range(len(captions))]
    widest = max((s[0] for s in sizes), default=0.0)
    tallest = max((s[1] for s in sizes), default=0.0)
    return [*sizes, (widest, tallest)]


def _graph_attributes(layout: dict[str, Any]) -> str:
    keep = ("bgcolor", "fontname", "fontsize", "fontcolor", "id", "outputorder")
    attrs = {k: layout[k] for k in keep if k in layout}
    attrs.update(layout="nop2", pad="0.25")
    return ", ".join(f"{k}={_q(str(v))}" for k, v in attrs.items())


def _attributes(obj: dict[str, Any], override: dict[str, Any]) -> str:
    """An object's attributes as a DOT list, `override` winning; labels as HTML."""
    attrs = {k: v for k, v in obj.items() if not _INTERNAL.match(k)}
    attrs.update({k: v for k, v in override.items() if v is not None})
    parts = []
    for key, value in attrs.items():
        if key == "label":
            parts.append(f"label=<{value}>")
        else:
            parts.append(f"{key}={_q(str(value))}")
    return ", ".join(parts)


def _dimmed(obj: dict[str, Any], keys: Sequence[str]) -> dict[str, str]:
    out = {}
    for key in keys:
        colour = _NAMED_COLOURS.get(str(obj.get(key, "")), str(obj.get(key, "")))
        if re.fullmatch(r"#[0-9a-fA-F]{6}", colour):
            out[key] = colour + _DIM
    return out


def _q(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _split(out: bytes, fmt: str) -> list[bytes]:
    """Graphviz's output for several graphs, cut into one document per graph."""
    marker = {"svg": b"<?xml", "png": b"\x89PNG\r\n\x1a\n", "pdf": b"%PDF-"}[fmt]
    starts = [m.start() for m in re.finditer(re.escape(marker), out)]
    return [out[a:b] for a, b in zip(starts, [*starts[1:], len(out)], strict=True)]


def _merge_pdfs(pages: Sequence[bytes]) -> bytes:
    """One PDF with a page per frame (pypdf, in the `frames` extra)."""
    try:
        from pypdf import PdfReader, PdfWriter
    except ModuleNotFoundError:
        raise FramesError(
            "a multi-page PDF needs pypdf; install it with pip install 'gradtrace[frames]'"
        ) from None
    writer = PdfWriter()
    for page in pages:
        writer.append(PdfReader(io.BytesIO(page)))
    writer.add_metadata({"/Producer": "gradtrace", "/Creator": "gradtrace"})
    buffer = io.BytesIO()
    writer.write(buffer)
    return _fixed_id(buffer.getvalue())


def _fixed_id(pdf: bytes) -> bytes:
    """The PDF with its file identifier replaced by a hash of its pages (reproducible)."""
    import hashlib

    found = re.search(rb"/ID \[ ?<([0-9a-fA-F]+)> ?<([0-9a-fA-F]+)> ?\]", pdf)
    if not found:
        return pdf
    body = pdf[: found.start()]
    digest = hashlib.md5(body, usedforsecurity=False).hexdigest().encode()
    digest = digest[: len(found[1])].ljust(len(found[1]), b"0")
    return (
        pdf[: found.start(1)]
        + digest
        + pdf[found.end(1) : found.start(2)]
        + digest
        + (pdf[found.end(2) :])
    )


def _gif(pngs: Sequence[bytes]) -> bytes:
    """An animated GIF of the frames (Pillow, in the `frames` extra), looping."""
    try:
        from PIL import Image
    except ModuleNotFoundError:
        raise FramesError(
            "an animated GIF needs Pillow; install it with pip install 'gradtrace[frames]'"
        ) from None
    images = [Image.open(io.BytesIO(p)).convert("RGB") for p in pngs]
    # One palette for every frame, from the last (it has every colour a frame can show:
    # finished values and gradients; highlights are the theme's own colours): consistent
    # colours, and mapping to a given palette is far faster than a palette per frame.
    shared = images[-1].quantize(colors=255, method=Image.Quantize.FASTOCTREE)
    palette = [im.quantize(palette=shared, dither=Image.Dither.NONE) for im in images]
    buffer = io.BytesIO()
    durations = [FRAME_MS] * len(palette)
    durations[-1] = FRAME_MS * 2  # a pause on the last frame before the loop starts again
    palette[0].save(
        buffer,
        format="GIF",
        save_all=True,
        append_images=palette[1:],
        duration=durations,
        loop=0,
        optimize=False,
    )
    return buffer.getvalue()
