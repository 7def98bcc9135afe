"""Rendering a graph with Graphviz: SVG text, image files, and inline display in Jupyter.

`to_dot` (in `gradtrace.export.dot`) needs nothing but Python; this module runs
Graphviz's `dot` program through the `graphviz` package, which is imported only
when something is rendered.

The SVG is made deterministic: Graphviz writes its version and the graph name
into XML comments, and gradtrace removes all comments, so for the same
Graphviz version the same graph gives byte-identical SVG.
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
import warnings
from pathlib import Path
from typing import Any

from gradtrace.errors import GraphTooLargeError, GraphvizNotFoundError, RenderError
from gradtrace.export.dot import to_dot
from gradtrace.graph import Graph, as_graph

__all__ = ["DEFAULT_MAX_NODES", "Drawing", "draw", "render", "to_svg"]

#: Graphs with more values than this are refused by `render`/`to_svg`: Graphviz's layout time
#: grows superlinearly and passes a few seconds beyond about this size (benchmarks/RESULTS.md).
DEFAULT_MAX_NODES = 1000

_FORMATS = ("svg", "png", "pdf")
_COMMENT = re.compile(r"<!--.*?-->\n?", re.DOTALL)
_PDF_DATE = re.compile(rb"/CreationDate \(D:\d{14}")


def _check_size(graph: Graph, max_nodes: int | None) -> None:
    if max_nodes is not None and len(graph) > max_nodes:
        raise GraphTooLargeError(len(graph), max_nodes)


def _run_dot(source: str, fmt: str) -> bytes:
    """Run `dot -T<fmt>` on DOT text and return its output."""
    import graphviz

    try:
        out: bytes = graphviz.pipe("dot", fmt, source.encode("utf-8"), quiet=True)
    except graphviz.ExecutableNotFound as error:
        raise GraphvizNotFoundError("needed to render") from error
    except graphviz.CalledProcessError as error:
        raise RenderError(error.stderr or b"") from error
    return out


def clean_svg(svg: str) -> str:
    """Graphviz SVG without its comments (the version banner and per-node notes)."""
    return _COMMENT.sub("", svg)


def clean_pdf(pdf: bytes) -> bytes:
    """Graphviz PDF with cairo's creation date (the time of the run) set to the Unix epoch.

    The replacement has the same length, so the PDF's byte offsets stay valid.
    """
    return _PDF_DATE.sub(b"/CreationDate (D:19700101000000", pdf)


def to_svg(
    graph_or_root: Any, *, max_nodes: int | None = DEFAULT_MAX_NODES, **dot_options: Any
) -> str:
    """The graph drawn as SVG text (laid out by Graphviz).

    Args:
        graph_or_root: A `Graph`, or a value to trace.
        max_nodes: Refuse graphs with more values than this (None: no limit).
        **dot_options: Passed to `to_dot` (precision, show_grad, theme, collapse, ...).

    Returns:
        The SVG document, without comments; element ids follow `to_dot`'s scheme.

    Raises:
        GraphTooLargeError: The graph has more than `max_nodes` values.
        GraphvizNotFoundError: Graphviz's `dot` is not installed.
        RenderError: `dot` failed.
    """
    graph = as_graph(graph_or_root)
    _check_size(graph, max_nodes)
    return clean_svg(_run_dot(to_dot(graph, **dot_options), "svg").decode("utf-8"))


def render(
    graph_or_root: Any,
    path: str | os.PathLike[str],
    *,
    max_nodes: int | None = DEFAULT_MAX_NODES,
    **dot_options: Any,
) -> Path:
    """Draw the graph into an SVG, PNG or PDF file (the format comes from the suffix).

    The file is written atomically: a temporary file in the same folder is
    renamed into place, so a failed render never leaves half a file.

    Args:
        graph_or_root: A `Graph`, or a value to trace.
        path: Where to write: `figure.svg`, `figure.png` or `figure.pdf`.
        max_nodes: Refuse graphs with more values than this (None: no limit).
        **dot_options: Passed to `to_dot`.

    Returns:
        The path written.

    Raises:
        GraphTooLargeError, GraphvizNotFoundError, RenderError: As for `to_svg`.
        GradtraceError: For a suffix other than .svg, .png or .pdf, or a missing folder.
    """
    from gradtrace.errors import GradtraceError

    target = Path(path)
    fmt = target.suffix.lower().lstrip(".")
    if fmt not in _FORMATS:
        raise GradtraceError(
            f"cannot tell the image format of {str(target)!r}; end the file name with "
            ".svg, .png or .pdf"
        )
    if not (target.parent if str(target.parent) else Path(".")).is_dir():
        raise GradtraceError(
            f"cannot write {str(target)!r}: the folder {str(target.parent)!r} does not exist; "
            "create it first"
        )
    graph = as_graph(graph_or_root)
    _check_size(graph, max_nodes)
    data = _run_dot(to_dot(graph, **dot_options), fmt)
    if fmt == "svg":
        data = clean_svg(data.decode("utf-8")).encode("utf-8")
    elif fmt == "pdf":
        data = clean_pdf(data)
    _write_atomically(target, data)
    return target


def _write_atomically(target: Path, data: bytes) -> None:
    folder = target.parent if str(target.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class Drawing:
    """A drawn graph that shows itself inline in Jupyter (and has `.svg`, `.dot` and `.save()`)."""

    def __init__(self, graph: Graph, max_nodes: int | None, dot_options: dict[str, Any]) -> None:
        self.graph = graph
        self.dot = to_dot(graph, **dot_options)
        self._max_nodes = max_nodes
        self._options = dot_options
        self._svg: str | None = None

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the drawing to an SVG, PNG or PDF file, as `render` does; returns the path."""
        return render(self.graph, path, max_nodes=self._max_nodes, **self._options)

    @property
    def svg(self) -> str:
        """The SVG text (rendered on first use)."""
        if self._svg is None:
            _check_size(self.graph, self._max_nodes)
            self._svg = clean_svg(_run_dot(self.dot, "svg").decode("utf-8"))
        return self._svg

    def _repr_svg_(self) -> str:
        return self.svg

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        return {"image/svg+xml": self.svg, "text/plain": repr(self)}

    def __repr__(self) -> str:
        return (
            f"<gradtrace drawing of {len(self.graph)} values "
            "(Jupyter shows it inline; .save('f.svg') writes a file)>"
        )


def draw(root: Any, *, max_nodes: int | None = DEFAULT_MAX_NODES, **options: Any) -> Drawing:
    """Draw a graph for a notebook: the returned object displays inline as SVG.

    Outside Jupyter (and outside an interactive prompt) nothing would show, so
    `draw` warns and says how to save the figure: `draw(f).save("f.svg")`, or
    `render(f, "f.svg")` directly.

    Args:
        root: A value (or `Graph`) to draw.
        max_nodes: Refuse graphs with more values than this (None: no limit).
        **options: Passed to `to_dot` (precision, show_grad, theme, collapse, ...).

    Example:
        >>> from gradtrace.figures import figure1
        >>> draw(figure1())  # a notebook shows the figure; here, its repr says how to save it
        <gradtrace drawing of 19 values (Jupyter shows it inline; .save('f.svg') writes a file)>
    """
    if not _interactive():
        warnings.warn(
            "gradtrace.draw() shows the figure only in Jupyter; save it with "
            ".save('figure.svg') on what draw() returns, or gradtrace.render(value, 'figure.svg')",
            stacklevel=2,
        )
    return Drawing(as_graph(root), max_nodes, options)


def _interactive() -> bool:
    """True in Jupyter/IPython or at Python's prompt, where a returned object is displayed."""
    return "IPython" in sys.modules or hasattr(sys, "ps1") or bool(sys.flags.interactive)
