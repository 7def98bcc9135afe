"""The export formats, one entry each: what `gradtrace export` can write and how.

Each `Format` says in one place what the command line, the output planning and the
docs need to know: its flag, its file name endings, whether it lays the graph out with
Graphviz, and the public function that produces it (imported only when that format
is written, so `gradtrace --help` stays fast). Adding a format is adding an entry here.

A producer receives the options the user set and keeps those its function takes
(`dpi` goes to the PNG, not to the Markdown table); `Format.takes` lists them, so
the command can say when an option has no effect on the formats asked for.

Example:
    >>> FORMATS["tikz"].suffixes, FORMATS["tikz"].graphviz
    (('.tikz.tex', '.tikz'), True)
    >>> by_suffix("figure.PNG").name, by_suffix("notes.tikz.tex").name
    ('png', 'tikz')
    >>> sorted(FORMATS["md"].takes())
    ['all_nodes', 'number', 'precision']
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any

from gradtrace import options

__all__ = ["FORMATS", "Format", "by_suffix"]


@dataclass(frozen=True)
class Format:
    """One format `gradtrace export` writes.

    Attributes:
        name: The flag (`--svg`) and the key in `FORMATS`.
        help: What it is, for `--help`.
        suffixes: File name endings that select it; the first is what a default
            output file is named with (`expr.tikz.tex`).
        graphviz: Whether producing it lays the graph out with Graphviz (so its size
            is checked first, and it needs `dot`).
        function: The public function that produces it, as `"module:name"`.
        fixed: Arguments always passed to `function` (`format="png"`).
        by_ending: Extra arguments when the output file has one of these endings
            (`-o fig.tikz`: the picture alone, for `\\input`).
        drops: Options `function` takes that mean nothing for this format (an SVG
            has no resolution: `dpi` is for the PNG).
    """

    name: str
    help: str
    suffixes: tuple[str, ...]
    graphviz: bool
    function: str
    fixed: Mapping[str, Any] = field(default_factory=dict)
    by_ending: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    drops: frozenset[str] = frozenset()

    def producer(self) -> Callable[..., str | bytes]:
        """The function that produces this format (imported now)."""
        module, name = self.function.split(":")
        function: Callable[..., str | bytes] = getattr(importlib.import_module(module), name)
        return function

    def takes(self) -> set[str]:
        """The options (`gradtrace.options.OPTIONS`, and `all_nodes`) this format uses."""
        parameters: Mapping[str, inspect.Parameter] = inspect.signature(self.producer()).parameters
        accepts_any = any(p.kind is p.VAR_KEYWORD for p in parameters.values())
        known = {*options.OPTIONS, "all_nodes"} - set(self.fixed) - self.drops
        if accepts_any:  # `to_image(**dot_options)`: every figure option
            from gradtrace.export.dot import to_dot

            parameters = {**inspect.signature(to_dot).parameters, **parameters}
        return {name for name in known if name in parameters}

    def produce(self, graph: Any, path: str | PurePath | None = None, **given: Any) -> bytes:
        """The format's bytes for `graph`, with the options in `given` that it takes.

        `path` is where the bytes will go; only its ending matters (`by_ending`).
        """
        takes = self.takes()
        arguments = {name: value for name, value in given.items() if name in takes}
        if path is not None:
            name = PurePath(path).name.lower()
            for ending, extra in self.by_ending.items():
                if name.endswith(ending):
                    arguments.update(extra)
        out = self.producer()(graph, **self.fixed, **arguments)
        return out if isinstance(out, bytes) else out.encode("utf-8")


_IMAGE = "gradtrace.export.render:to_image"
_TABLE = "gradtrace.export.table"
_VECTOR = frozenset({"dpi", "scale"})  # resolution is a PNG's alone

#: Every format, in the order `gradtrace export` writes them.
FORMATS: dict[str, Format] = {
    f.name: f
    for f in (
        Format("svg", "the graph as an SVG figure (needs Graphviz)", (".svg",), True,
               _IMAGE, fixed={"format": "svg"}, drops=_VECTOR),
        Format("png", "the graph as a PNG image (needs Graphviz; see --dpi)", (".png",), True,
               _IMAGE, fixed={"format": "png"}),
        Format("pdf", "the graph as a PDF (needs Graphviz)", (".pdf",), True,
               _IMAGE, fixed={"format": "pdf"}, drops=_VECTOR),
        Format("dot", "the graph as Graphviz DOT source", (".dot", ".gv"), False,
               "gradtrace.export.dot:to_dot"),
        Format("md", "the trace table in Markdown", (".md",), False,
               f"{_TABLE}:to_markdown"),
        Format("tex", "the trace table in LaTeX (booktabs)", (".tex",), False,
               f"{_TABLE}:to_latex"),
        Format("tikz", "the graph as TikZ, in a LaTeX document FILE.tikz.tex (-o NAME.tikz: "
               "the picture alone, for \\input; needs Graphviz)", (".tikz.tex", ".tikz"), True,
               "gradtrace.export.tikz:to_tikz", by_ending={".tikz": {"standalone": False}}),
        Format("csv", "the trace table as CSV", (".csv",), False,
               f"{_TABLE}:to_csv"),
        Format("html", "the live demo page: sliders, gradients, step-through backward",
               (".html", ".htm"), True, "gradtrace.export.widget:to_html"),
        Format("json", "the graph as JSON (the gradtrace.graph schema)", (".json",), False,
               "gradtrace.export.json:to_json"),
    )
}  # fmt: skip


def by_suffix(path: str | PurePath) -> Format | None:
    """The format a file name selects by its longest known ending (`a.tikz.tex` → tikz)."""
    name = PurePath(path).name.lower()
    endings = [
        (len(suffix), fmt)
        for fmt in FORMATS.values()
        for suffix in fmt.suffixes
        if name.endswith(suffix) and len(name) > len(suffix)
    ]
    return max(endings, key=lambda pair: pair[0])[1] if endings else None
