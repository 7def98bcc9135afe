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
import warnings
from pathlib import Path
from typing import Any

from gradtrace import options
from gradtrace.capture import CaptureError, capture_file
from gradtrace.cli.common import CommandError, UserCodeError, say
from gradtrace.cli.files import check_source, check_writable, plan_outputs, write_all
from gradtrace.errors import SizeWarning
from gradtrace.formats import FORMATS
from gradtrace.graph import Graph

__all__ = ["run"]


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

    given = _given(args)
    _note_unused(given, formats, stepwise=bool(args.steps or args.derivation))
    if any(FORMATS[f].graphviz for f in formats):
        _check_size(graph, given)
    from gradtrace.export.render import DEFAULT_TIMEOUT

    # Sizes were checked above, before anything was produced.
    given.update(max_nodes=None, max_edges=None, timeout=given.get("timeout", DEFAULT_TIMEOUT))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", SizeWarning)
        contents = {absolute[f]: FORMATS[f].produce(graph, targets[f], **given) for f in formats}
    for warning in caught:
        if issubclass(warning.category, SizeWarning):
            print(f"gradtrace: note: {warning.message}", file=sys.stderr)
        else:
            warnings.warn_explicit(
                warning.message, warning.category, warning.filename, warning.lineno
            )
    written = [targets[f] for f in formats]
    if stepwise:
        from gradtrace.cli.stepwise import produce

        for path, data in produce(graph, args, folder, source.stem).items():
            contents[path.absolute()] = data
            written.append(path)
    write_all(contents)
    for path in written:
        say(str(path), otherwise=_UNPRINTED)
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


_UNPRINTED = (
    "the outputs were written but their names could not be printed; check where standard "
    "output goes (a full disk?) and that your file does not close sys.stdout"
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


def _given(args: argparse.Namespace) -> dict[str, Any]:
    """The options the user set (each already checked by its flag's type), by keyword."""
    given = {name: getattr(args, name, None) for name in options.OPTIONS}
    given["collapse"] = tuple(args.collapse) or None
    given["all_nodes"] = args.all_nodes or None
    return {name: value for name, value in given.items() if value is not None}


#: The options `--steps` and `--derivation` use (see `gradtrace.cli.stepwise`).
_STEPWISE = frozenset({"theme", "precision", "max_nodes"})


def _note_unused(given: dict[str, Any], formats: list[str], *, stepwise: bool) -> None:
    """Say so when an option changes nothing that is written (`--dpi` with `--svg`)."""
    used = set().union(*(FORMATS[f].takes() for f in formats), _STEPWISE if stepwise else ())
    written = [f"--{f}" for f in formats] + (["--steps/--derivation"] if stepwise else [])
    for name in given:
        if name not in used:
            flag = "--" + name.replace("_", "-")
            print(
                f"gradtrace: note: {flag} changes nothing in {' '.join(written)}", file=sys.stderr
            )


def _check_size(graph: Graph, given: dict[str, Any]) -> None:
    """Refuse, before Graphviz runs, a drawing it would take too long to lay out.

    What counts is what is drawn: values folded by `--collapse` do not, and long
    edges count once per column they cross (`--max-edges`).
    """
    from gradtrace.errors import GraphTooLargeError
    from gradtrace.export.render import DEFAULT_MAX_EDGES, DEFAULT_MAX_NODES, checked_dot

    figure = FORMATS["dot"].takes()
    try:
        checked_dot(
            graph,
            max_nodes=given.get("max_nodes", DEFAULT_MAX_NODES),
            max_edges=given.get("max_edges", DEFAULT_MAX_EDGES),
            **{name: value for name, value in given.items() if name in figure},
        )
    except GraphTooLargeError as e:
        if e.kind == "edges":
            problem = (
                f"the drawing's {e.edges} edges cross {e.n_nodes} columns in all (each edge "
                f"counts once per column it spans), more than --max-edges {e.max_nodes} that "
                "Graphviz lays out in reasonable time"
            )
            fixes = ["raise --max-edges"]
        else:
            problem = (
                f"the graph has {e.n_nodes} values to draw, more than --max-nodes {e.max_nodes} "
                "that Graphviz lays out in reasonable time"
            )
            fixes = ["raise --max-nodes"]
        if e.scopes:
            fixes.append(f"fold scopes with --collapse ({', '.join(e.scopes[:3])})")
        fixes.append("export --dot, --md or --json, which have no limit")
        raise CommandError(f"{problem}; {', '.join(fixes[:-1])} or {fixes[-1]}") from None
