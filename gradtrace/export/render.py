"""Rendering a graph with Graphviz: SVG text, image files, and inline display in Jupyter.

`to_dot` (in `gradtrace.export.dot`) needs nothing but Python; this module runs
Graphviz's `dot` program on its output.

**Bounded work.** Graphviz's layout time grows fast with the size of a drawing, and
faster still with long edges (a small graph where every value feeds every later
one takes minutes). So before `dot` runs, a drawing with more than `max_nodes`
values, or whose edges cross more than `max_edges` columns in all (see
`gradtrace.export.dot.layout_size`), is refused with a `GraphTooLargeError`;
both count what is drawn, so collapsing scopes helps. And `dot` itself gets
`timeout` seconds (`RenderTimeoutError` after that).

**No stray `dot` processes.** `dot` is stopped when the time is up, on any
exception and on Ctrl-C. On Linux it is also told to die with the process that
started it (`PR_SET_PDEATHSIG`), so it cannot outlive a killed parent (`kill -9`,
a stopped docs worker); elsewhere that last guarantee is not available.

**Reproducible output.** Graphviz writes its version and the graph name into XML
comments, and gradtrace removes all comments, so for the same Graphviz version the
same graph gives byte-identical SVG; a PDF's creation date is set to the epoch.
"""

from __future__ import annotations

import contextlib
import functools
import math
import os
import re
import signal
import subprocess
import sys
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from gradtrace import options
from gradtrace.atomic import remove_stale, write_atomically
from gradtrace.errors import (
    GradtraceError,
    GraphTooLargeError,
    GraphvizNotFoundError,
    RenderError,
    RenderTimeoutError,
    SizeWarning,
)
from gradtrace.export.dot import layout_size, to_dot
from gradtrace.graph import Graph, as_graph

__all__ = [
    "DEFAULT_MAX_EDGES",
    "DEFAULT_MAX_NODES",
    "DEFAULT_TIMEOUT",
    "Drawing",
    "checked_dot",
    "draw",
    "refuse_early",
    "render",
    "to_image",
    "to_svg",
]

#: Graphs with more values than this are refused by `render`/`to_svg`: Graphviz's layout time
#: grows superlinearly and passes a few seconds beyond about this size (benchmarks/RESULTS.md).
DEFAULT_MAX_NODES = 1000

#: Drawings whose edges cross more columns than this in all are refused: about what 1,000 values
#: of a real loss graph cost to lay out (benchmarks/RESULTS.md: ~1.2 s of `dot` CPU at 10,000
#: columns, 3.75 s at 20,600, 12.7 s at 40,500, the dense 50-value graph).
DEFAULT_MAX_EDGES = 10_000

#: Seconds `dot` may run before it is stopped.
DEFAULT_TIMEOUT = 60.0

#: A PNG's resolution unless `dpi` or `scale` says otherwise (Graphviz's own default).
DEFAULT_DPI = 96.0

#: The most pixels a PNG may have; a bigger drawing is drawn at a lower resolution.
MAX_PNG_PIXELS = 20_000_000

_FORMATS = ("svg", "png", "pdf")
_COMMENT = re.compile(r"<!--.*?-->\n?", re.DOTALL)
_PDF_DATE = re.compile(rb"/CreationDate \(D:\d{14}")


def checked_dot(
    graph_or_root: Any,
    *,
    max_nodes: int | None = DEFAULT_MAX_NODES,
    max_edges: int | None = DEFAULT_MAX_EDGES,
    **dot_options: Any,
) -> str:
    """`to_dot(graph, **dot_options)`, once the drawing is known to be small enough to lay out.

    Args:
        graph_or_root: A `Graph`, or a value to trace.
        max_nodes: Refuse drawings with more values than this (None: no limit).
            Values folded into a collapsed scope do not count.
        max_edges: Refuse drawings whose edges cross more columns than this in
            all (None: no limit; see `gradtrace.export.dot.layout_size`).
        **dot_options: Passed to `to_dot`.

    Raises:
        GraphTooLargeError: Over either limit. Its message suggests collapsing
            only the scopes that are not collapsed yet, and only if there are any.
    """
    collapse = dot_options.get("collapse") or ()
    collapse = (collapse,) if isinstance(collapse, str) else tuple(collapse)
    refuse_early(graph_or_root, max_nodes, collapse)
    graph = as_graph(graph_or_root)
    scopes = _open_scopes(graph, collapse)
    collapsing = any(name in collapse for node in graph for name in node.scope)
    if max_nodes is not None and len(graph) > max_nodes and not collapsing:
        raise GraphTooLargeError(len(graph), max_nodes, scopes=scopes)  # before any work
    source = to_dot(graph, **dot_options)
    size = layout_size(source)
    if max_nodes is not None and size.values > max_nodes:
        raise GraphTooLargeError(size.values, max_nodes, scopes=scopes)
    if max_edges is not None and size.length > max_edges:
        raise GraphTooLargeError(
            size.length, max_edges, kind="edges", edges=size.edges, scopes=scopes
        )
    return source


def refuse_early(graph_or_root: Any, max_nodes: int | None, collapse: Iterable[str] = ()) -> None:
    """The quick part of `checked_dot`'s check, for a value not traced yet.

    Without `collapse`, every value is drawn, so a root whose graph has more than
    `max_nodes` values is refused after counting `max_nodes + 1` of them: tracing a
    million values first would take seconds and a lot of memory. Anything odd (not
    shaped like a value) is left for `trace()` to report.

    Raises:
        GraphTooLargeError: With `at_least=True`.
    """
    if max_nodes is None or isinstance(graph_or_root, Graph) or tuple(collapse):
        return
    root = graph_or_root
    seen: set[int] = set()
    scopes: dict[str, int] = {}
    stack = [root]
    try:
        while stack:
            value = stack.pop()
            if id(value) in seen:
                continue
            seen.add(id(value))
            for name in getattr(value, "_scope", ()) or ():
                scopes[name] = scopes.get(name, 0) + 1
            if len(seen) > max_nodes:
                names = [name for name, n in scopes.items() if n > 1]
                raise GraphTooLargeError(len(seen), max_nodes, scopes=names, at_least=True)
            stack.extend(value._prev)
    except (AttributeError, TypeError):
        return


def _open_scopes(graph: Graph, collapsed: Iterable[str]) -> list[str]:
    """Scope names holding several values and not collapsed yet: collapsing them draws less."""
    done = set(collapsed)
    counts: dict[str, int] = {}
    for node in graph:
        for name in node.scope:
            if name not in done:
                counts[name] = counts.get(name, 0) + 1
    return [name for name, n in counts.items() if n > 1]


def _run_dot(
    source: str,
    fmt: str,
    *,
    timeout: float | None = DEFAULT_TIMEOUT,
    graph: Graph | None = None,
    args: Sequence[str] = (),
) -> bytes:
    """Run `dot -T<fmt>` on DOT text and return its output.

    `graph`, when given, lets an error name the node whose label Graphviz refused
    and a timeout suggest the graph's scopes. `args` go on `dot`'s command line
    (`-Knop2`, `-Gdpi=150`).
    """
    try:
        code, out, err = _run(["dot", f"-T{fmt}", *args], source.encode("utf-8"), timeout)
    except FileNotFoundError:
        raise GraphvizNotFoundError("needed to render") from None
    except subprocess.TimeoutExpired:
        scopes = _open_scopes(graph, ()) if graph is not None else ()
        raise RenderTimeoutError(timeout or 0, scopes=scopes) from None
    except OSError as error:
        raise RenderError(
            message=f"could not start Graphviz's 'dot' ({error.strerror or error}); check that "
            "it is installed and runs (dot -V)"
        ) from None
    if code < 0:
        raise RenderError(err, message=_crash_message(-code, err))
    if code != 0:
        where = _where(err.decode("utf-8", "replace"), source, graph)
        raise RenderError(err, message=f"{RenderError(err)}{where}") if where else RenderError(err)
    return out


def _run(command: list[str], data: bytes, timeout: float | None) -> tuple[int, bytes, bytes]:
    """Run `command` with `data` on stdin; it never outlives this call (nor, on Linux, us)."""
    process = subprocess.Popen(
        command,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        **_die_with_parent(),
    )
    try:
        out, err = process.communicate(data, timeout=timeout)
    except BaseException:  # the time limit, Ctrl-C, SIGTERM turned into an exception, ...
        process.kill()
        with contextlib.suppress(BaseException):
            process.communicate()  # reap it and close the pipes
        raise
    return process.returncode, out, err


def _die_with_parent() -> dict[str, Any]:
    """Popen options that make the child die with this process (Linux only)."""
    prctl = _prctl()
    if prctl is None:
        return {}
    parent, kill = os.getpid(), int(signal.SIGKILL)

    def before_exec() -> None:  # runs in the child, between fork and exec
        prctl(1, kill, 0, 0, 0)  # PR_SET_PDEATHSIG
        if os.getppid() != parent:  # the parent died before the request took effect
            os._exit(1)

    return {"preexec_fn": before_exec}


@functools.cache
def _prctl() -> Callable[..., int] | None:
    """libc's `prctl`, looked up once, or None where there is none."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes

        function: Callable[..., int] = ctypes.CDLL(None, use_errno=True).prctl
        function.argtypes = [ctypes.c_int] + [ctypes.c_ulong] * 4  # type: ignore[attr-defined]
        function.restype = ctypes.c_int  # type: ignore[attr-defined]
        return function
    except (OSError, AttributeError):  # pragma: no cover - a Linux without glibc's prctl
        return None


def _crash_message(number: int, stderr: bytes) -> str:
    """What to say when `dot` was ended by a signal."""
    try:
        name = signal.Signals(number).name
    except ValueError:
        name = f"signal {number}"
    first = next((s.strip() for s in stderr.decode("utf-8", "replace").splitlines() if s), "")
    said = f" after printing {first!r}" if first else ""
    if number == getattr(signal, "SIGKILL", -1):
        return (
            f"Graphviz's 'dot' was killed ({name}){said}, perhaps for running out of memory; "
            "draw less (max_nodes, collapse=..., --collapse) or export DOT text instead "
            "(to_dot(), --dot)"
        )
    return (
        f"Graphviz's 'dot' crashed ({name}){said}, a bug in Graphviz; try another Graphviz "
        "version, fast_layout=True, or export DOT text instead (to_dot(), --dot)"
    )


_NAMED_NODE = re.compile(r"in label of node (\w+)")
_LINE = re.compile(r"\bin line (\d+)")
_NODE_ID = re.compile(r"(?:v|g|op)(\d+)$")


def _where(stderr: str, source: str, graph: Graph | None) -> str:
    """` (node v3, labelled '...')`: the node an error of `dot` is about, if it can be told."""
    m = _NAMED_NODE.search(stderr)
    name = m[1] if m else ""
    if not name:
        line = _LINE.search(stderr)
        lines = source.split("\n")
        if line and 0 < int(line[1]) <= len(lines):
            statement = re.match(r"\s*(\w+) \[id=", lines[int(line[1]) - 1])
            name = statement[1] if statement else ""
    if not name:
        return ""
    node = _NODE_ID.search(name)
    if graph is not None and node and int(node[1]) < len(graph):
        label = graph[int(node[1])].label
        if label:
            shown = label if len(label) <= 40 else label[:39] + "…"
            return f" (node {name}, labelled {shown!r})"
    return f" (node {name})"


def clean_svg(svg: str) -> str:
    """Graphviz SVG without its comments (the version banner and per-node notes)."""
    return _COMMENT.sub("", svg)


def clean_pdf(pdf: bytes) -> bytes:
    """Graphviz PDF with cairo's creation date (the time of the run) set to the Unix epoch.

    The replacement has the same length, so the PDF's byte offsets stay valid.
    """
    return _PDF_DATE.sub(b"/CreationDate (D:19700101000000", pdf)


def to_image(
    graph_or_root: Any,
    format: str = "svg",
    *,
    max_nodes: int | None = DEFAULT_MAX_NODES,
    max_edges: int | None = DEFAULT_MAX_EDGES,
    timeout: float | None = DEFAULT_TIMEOUT,
    dpi: float | None = None,
    scale: float | None = None,
    **dot_options: Any,
) -> bytes:
    """The graph drawn by Graphviz as SVG, PNG or PDF bytes (nothing is written to disk).

    Args:
        graph_or_root: A `Graph`, or a value to trace.
        format: `"svg"`, `"png"` or `"pdf"`.
        max_nodes: Refuse drawings with more values than this (None: no limit).
        max_edges: Refuse drawings whose edges cross more columns than this in all
            (None: no limit; see `gradtrace.export.dot.layout_size`).
        timeout: Seconds Graphviz may take before it is stopped (None: no limit).
        dpi: A PNG's resolution (default 96: one pixel per CSS pixel; 192 or
            `scale=2` for a projector or a high-density screen). PNG only.
        scale: The same as a factor of 96 dpi. PNG only.
        **dot_options: Passed to `to_dot` (precision, show_grad, theme, collapse, ...).

    A PNG is never larger than `MAX_PNG_PIXELS` (20 megapixels, what image
    libraries and slide software take without complaint): a drawing that would be
    bigger at the requested resolution is drawn at the highest one that fits, with
    a `SizeWarning` saying so (SVG and PDF scale to any size).

    Raises:
        GraphTooLargeError: Over `max_nodes` or `max_edges`.
        GraphvizNotFoundError: Graphviz's `dot` is not installed.
        RenderTimeoutError: `dot` ran longer than `timeout` seconds.
        RenderError: `dot` failed or crashed.
        GradtraceError: For a format other than svg, png or pdf, or `dpi`/`scale`
            for a format other than png.
    """
    if format not in _FORMATS:
        raise GradtraceError(f"unknown image format {format!r}; use 'svg', 'png' or 'pdf'")
    if timeout is not None and (
        isinstance(timeout, bool) or not isinstance(timeout, int | float) or not timeout > 0
    ):
        raise GradtraceError(
            f"timeout must be a positive number of seconds or None, not {timeout!r}"
        )
    if timeout == float("inf"):
        timeout = None
    resolution = _resolution(format, dpi, scale)
    graph = as_graph(graph_or_root)
    source = checked_dot(graph, max_nodes=max_nodes, max_edges=max_edges, **dot_options)
    if format == "png":
        return _png(source, resolution, timeout, graph)
    data = _run_dot(source, format, timeout=timeout, graph=graph)
    if format == "svg":
        return clean_svg(data.decode("utf-8")).encode("utf-8")
    return clean_pdf(data) if format == "pdf" else data


def _resolution(format: str, dpi: float | None, scale: float | None) -> float:
    """The PNG resolution asked for (96 dpi unless `dpi` or `scale` says otherwise)."""
    if dpi is not None and scale is not None:
        raise options.OptionError("give dpi or scale, not both (scale=2 is dpi=192)")
    if (dpi is not None or scale is not None) and format != "png":
        raise options.OptionError(
            f"dpi and scale set a PNG's resolution; a {format.upper()} scales to any size"
        )
    if dpi is not None:
        return float(options.check("dpi", dpi))
    return DEFAULT_DPI * (1.0 if scale is None else float(options.check("scale", scale)))


_BOUNDING_BOX = re.compile(r'\bbb="([-\d.]+),([-\d.]+),([-\d.]+),([-\d.]+)"')
_PAD = re.compile(r"\bpad=\"?([\d.]+)")


def _png(source: str, dpi: float, timeout: float | None, graph: Graph) -> bytes:
    """A PNG of at most `MAX_PNG_PIXELS`: laid out once, then drawn at a resolution that fits."""
    laid = _run_dot(source, "dot", timeout=timeout, graph=graph).decode("utf-8")
    box = _BOUNDING_BOX.search(laid)
    pad = _PAD.search(source)
    margin = 2 * float(pad[1]) if pad else 0.0
    if box is not None:
        width = (float(box[3]) - float(box[1])) / 72 + margin  # inches
        height = (float(box[4]) - float(box[2])) / 72 + margin
        pixels = width * height * dpi * dpi
        if pixels > MAX_PNG_PIXELS:
            fitting = math.floor(dpi * math.sqrt(MAX_PNG_PIXELS / pixels))
            warnings.warn(
                SizeWarning(
                    f"the PNG would be {width * dpi:.0f} × {height * dpi:.0f} px "
                    f"({pixels / 1e6:.0f} megapixels) at {dpi:g} dpi; drawn at {fitting} dpi "
                    f"to stay under {MAX_PNG_PIXELS // 1_000_000} megapixels (SVG and PDF "
                    "keep every detail at any size)"
                ),
                stacklevel=3,
            )
            dpi = fitting
    return _run_dot(laid, "png", timeout=timeout, graph=graph, args=["-Knop2", f"-Gdpi={dpi:g}"])


def to_svg(
    graph_or_root: Any,
    *,
    max_nodes: int | None = DEFAULT_MAX_NODES,
    max_edges: int | None = DEFAULT_MAX_EDGES,
    timeout: float | None = DEFAULT_TIMEOUT,
    **dot_options: Any,
) -> str:
    """The graph drawn as SVG text (laid out by Graphviz).

    Args:
        graph_or_root: A `Graph`, or a value to trace.
        max_nodes: Refuse drawings with more values than this (None: no limit).
        max_edges: Refuse drawings whose edges cross more columns than this in all
            (None: no limit).
        timeout: Seconds Graphviz may take before it is stopped (None: no limit).
        **dot_options: Passed to `to_dot` (precision, show_grad, theme, collapse, ...).

    Returns:
        The SVG document, without comments; element ids follow `to_dot`'s scheme.

    Raises:
        GraphTooLargeError: Over `max_nodes` or `max_edges`.
        GraphvizNotFoundError: Graphviz's `dot` is not installed.
        RenderTimeoutError: `dot` ran longer than `timeout` seconds.
        RenderError: `dot` failed or crashed.
    """
    limits: dict[str, Any] = {"max_nodes": max_nodes, "max_edges": max_edges, "timeout": timeout}
    return to_image(graph_or_root, "svg", **limits, **dot_options).decode("utf-8")


def render(
    graph_or_root: Any,
    path: str | os.PathLike[str],
    *,
    max_nodes: int | None = DEFAULT_MAX_NODES,
    max_edges: int | None = DEFAULT_MAX_EDGES,
    timeout: float | None = DEFAULT_TIMEOUT,
    **dot_options: Any,
) -> Path:
    """Draw the graph into an SVG, PNG or PDF file (the format comes from the suffix).

    The file is written atomically (see `gradtrace.atomic`): a temporary file in the
    same folder is renamed into place, so a failed or killed render never leaves half
    a file, and the file gets the permissions the umask gives (like `open()`).
    Temporaries that killed renders of the same file left behind are removed.

    Args:
        graph_or_root: A `Graph`, or a value to trace.
        path: Where to write: `figure.svg`, `figure.png` or `figure.pdf`.
        max_nodes: Refuse drawings with more values than this (None: no limit).
        max_edges: Refuse drawings whose edges cross more columns than this in all
            (None: no limit).
        timeout: Seconds Graphviz may take before it is stopped (None: no limit).
        **dot_options: Passed to `to_dot`.

    Returns:
        The path written.

    Raises:
        GraphTooLargeError, GraphvizNotFoundError, RenderTimeoutError, RenderError: As for
            `to_svg`.
        GradtraceError: For a suffix other than .svg, .png or .pdf, or a missing folder.
    """
    target = Path(path)
    fmt = target.suffix.lower().lstrip(".")
    if fmt not in _FORMATS:
        raise GradtraceError(
            f"cannot tell the image format of {str(target)!r}; end the file name with "
            ".svg, .png or .pdf"
        )
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise GradtraceError(
            f"cannot write {str(target)!r}: the folder {str(target.parent)!r} does not exist; "
            "create it first"
        )
    limits: dict[str, Any] = {"max_nodes": max_nodes, "max_edges": max_edges, "timeout": timeout}
    data = to_image(graph_or_root, fmt, **limits, **dot_options)
    remove_stale(folder, target)
    write_atomically(target, data)
    return target


class Drawing:
    """A drawn graph that shows itself inline in Jupyter (and has `.svg`, `.dot` and `.save()`)."""

    def __init__(self, graph: Graph, limits: dict[str, Any], dot_options: dict[str, Any]) -> None:
        self.graph = graph
        self.dot = to_dot(graph, **dot_options)
        self._limits = limits
        self._dot_options = dot_options
        self._svg: str | None = None

    @property
    def svg(self) -> str:
        """The SVG text (rendered on first use)."""
        if self._svg is None:
            self._svg = to_svg(self.graph, **self._limits, **self._dot_options)
        return self._svg

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the drawing to an SVG, PNG or PDF file, as `render` does; returns the path."""
        return render(self.graph, path, **self._limits, **self._dot_options)

    def _repr_svg_(self) -> str:
        return self.svg

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        """Jupyter's display: the SVG, or a summary above `max_nodes` values."""
        from gradtrace.export.display import drawing_bundle

        return drawing_bundle(
            self.graph, self._limits["max_nodes"], lambda: self.svg, repr(self), include, exclude
        )

    def __repr__(self) -> str:
        return (
            f"<gradtrace drawing of {len(self.graph)} values "
            "(Jupyter shows it inline; .save('f.svg') writes a file)>"
        )


def draw(
    root: Any,
    *,
    names: Mapping[str, Any] | None = None,
    max_nodes: int | None = DEFAULT_MAX_NODES,
    max_edges: int | None = DEFAULT_MAX_EDGES,
    timeout: float | None = DEFAULT_TIMEOUT,
    **options: Any,
) -> Drawing:
    """Draw a graph for a notebook: the returned object displays inline as SVG.

    Outside Jupyter (and outside an interactive prompt) nothing would show, so
    `draw` warns and says how to save the figure: `draw(f).save("f.svg")`, or
    `render(f, "f.svg")` directly.

    Args:
        root: A value (or `Graph`) to draw.
        names: A namespace (a notebook's `globals()`) to name unlabelled values after
            its variables (`w1` → `w₁`); see `gradtrace.export.display.named_graph`.
        max_nodes: Refuse drawings with more values than this (None: no limit).
        max_edges: Refuse drawings whose edges cross more columns than this in all
            (None: no limit).
        timeout: Seconds Graphviz may take before it is stopped (None: no limit).
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
    limits = {"max_nodes": max_nodes, "max_edges": max_edges, "timeout": timeout}
    if names is None:
        return Drawing(as_graph(root), limits, options)
    from gradtrace.export.display import named_graph

    return Drawing(named_graph(root, names), limits, options)


def _interactive() -> bool:
    """True in Jupyter/IPython or at Python's prompt, where a returned object is displayed.

    IPython counts only with a running shell: a script that merely imports a library
    that imports IPython (ipywidgets, say) still gets the warning.
    """
    get_ipython = getattr(sys.modules.get("IPython"), "get_ipython", None)
    shell = callable(get_ipython) and get_ipython() is not None
    return shell or hasattr(sys, "ps1") or bool(sys.flags.interactive)
