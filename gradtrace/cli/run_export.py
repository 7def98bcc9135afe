"""`gradtrace export FILE.py`: run the file, find its graph, write the formats asked for.

The order is what makes the command safe: check the command line and the output
folders and resolve every output path (so a file that changes the working folder
cannot redirect them), capture the graph (`gradtrace.capture`: run the file, pick
the root, name the values, run `backward()`), produce every output in memory,
and only then write them all (`files.write_all`). Any error before the last step
leaves the disk untouched.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path
from typing import Any

from gradtrace.capture import CaptureError, capture_file
from gradtrace.cli import FORMATS
from gradtrace.cli.common import CommandError, UserCodeError
from gradtrace.cli.files import check_source, check_writable, plan_outputs, write_all
from gradtrace.graph import Graph

__all__ = ["run"]

_IMAGES = ("svg", "png", "pdf")
#: Formats that lay the graph out with Graphviz (the live demo page embeds an SVG).
_GRAPHVIZ = (*_IMAGES, "html", "tikz")


def run(args: argparse.Namespace) -> int:
    """Carry out `gradtrace export` for parsed arguments; returns the exit status."""
    source = check_source(args.file)
    flags = [f for f in FORMATS if getattr(args, f)]
    stepwise = bool(args.steps or args.derivation)
    if flags or not stepwise:
        formats, targets = plan_outputs(source, flags, args.output)
    else:
        formats, targets = [], {}
    folder = _stepwise_folder(source, args.output) if stepwise else source.parent
    check_writable([*targets.values(), folder / f".{source.stem}-steps"])
    absolute = {f: path.absolute() for f, path in targets.items()}

    try:
        captured = capture_file(
            source,
            root=args.root,
            all_roots=args.all_roots,
            backward=not args.no_backward,
            plain_labels=args.plain_labels,
        )
    except CaptureError as error:
        message = str(error)
        if args.root is not None and "module-level Value" in message:
            message = f"--root {args.root}: {message}"
        if error.user_traceback:
            raise UserCodeError(message, error.user_traceback) from None
        raise CommandError(message) from None
    for note in captured.notes:
        print(f"gradtrace: note: {note}", file=sys.stderr)
    if len(captured.candidates) > 1 and args.root is None and not args.all_roots:
        print(
            "gradtrace: note: choose the output with --root NAME, or --all-roots", file=sys.stderr
        )
    graph = captured.graph
    _check_scopes(graph, args.collapse)

    if any(f in _GRAPHVIZ for f in formats):
        _check_size(len(graph), args.max_nodes)
    contents = {absolute[f]: _produce(f, graph, args) for f in formats}
    written = [targets[f] for f in formats]
    if stepwise:
        from gradtrace.cli.stepwise import produce

        for path, data in produce(graph, args, folder, source.stem).items():
            contents[path.absolute()] = data
            written.append(path)
    write_all(contents)
    for path in written:
        print(path)
    return 0


def _stepwise_folder(source: Path, output: str | None) -> Path:
    """Where --steps and --derivation write: next to FILE, or the folder -o names."""
    if output is None:
        return source.parent
    if Path(output).is_dir():
        return Path(output)
    raise CommandError(
        f"-o {output} is not an existing folder; --steps and --derivation write several "
        "files, so give a folder (mkdir -p it first) or leave -o out"
    )


def _check_scopes(graph: Graph, collapse: list[str]) -> None:
    """Every `--collapse` name must be a scope of the graph (a typo would be silently ignored)."""
    scopes = list(dict.fromkeys(name for node in graph for name in node.scope))
    for name in collapse:
        if name not in scopes:
            known = f"its scopes are {', '.join(scopes)}" if scopes else "it has no scopes"
            raise CommandError(
                f"--collapse {name}: the graph has no scope called {name!r}; {known} "
                "(made with `with gradtrace.scope(NAME):`)"
            )


def _produce(fmt: str, graph: Graph, args: argparse.Namespace) -> bytes:
    """One output, in memory. Exporters are imported only when their format is asked for."""
    look = _given(precision=args.precision, rankdir=args.rankdir, theme=args.theme)
    if args.collapse:
        look["collapse"] = tuple(args.collapse)
    tables = _given(precision=args.precision, all_nodes=args.all_nodes or None)
    if fmt in _IMAGES:
        return _render(fmt, graph, look)
    if fmt == "dot":
        from gradtrace.export.dot import to_dot

        text = to_dot(graph, **look)
    elif fmt == "md":
        from gradtrace.export.table import to_markdown

        text = to_markdown(graph, **tables)
    elif fmt == "tex":
        from gradtrace.export.table import to_latex

        text = to_latex(graph, **tables)
    elif fmt == "tikz":
        from gradtrace.export.tikz import to_tikz

        fragment = str(args.output or "").lower().endswith(".tikz")  # -o fig.tikz: for \input
        text = to_tikz(graph, standalone=not fragment, max_nodes=None, **look)
    elif fmt == "csv":
        from gradtrace.export.table import to_csv

        text = to_csv(graph, **tables)
    elif fmt == "html":
        from gradtrace.export.widget import to_html

        text = to_html(graph, **tables)
    else:
        from gradtrace.export.json import to_json

        text = to_json(graph)
    return text.encode("utf-8")


def _check_size(n_values: int, max_nodes: int | None) -> None:
    """Refuse, before Graphviz runs, a graph it would take too long to lay out."""
    from gradtrace.export.render import DEFAULT_MAX_NODES

    limit = DEFAULT_MAX_NODES if max_nodes is None else max_nodes
    if n_values > limit:
        raise CommandError(
            f"the graph has {n_values} values, more than --max-nodes {limit} that Graphviz lays "
            "out in reasonable time; raise --max-nodes, fold scopes with --collapse SCOPE, or "
            "export --dot, --md or --json, which have no limit"
        )


def _render(fmt: str, graph: Graph, look: dict[str, Any]) -> bytes:
    """An image of the graph (via `render`, into a private folder, read back as bytes)."""
    from gradtrace.export.render import render

    with tempfile.TemporaryDirectory(prefix="gradtrace-") as folder:
        path = render(graph, Path(folder) / f"graph.{fmt}", max_nodes=None, **look)
        return Path(path).read_bytes()


def _given(**options: Any) -> dict[str, Any]:
    """The options the user set (None means: the exporter's own default)."""
    return {k: v for k, v in options.items() if v is not None}
