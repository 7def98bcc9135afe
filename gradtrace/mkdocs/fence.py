"""Running one ```` ```gradtrace ```` block: execute its Python, draw the graph it built.

This runs inside the build worker (a fresh interpreter, so the figures come
from the code as it is now). The block's code goes through `gradtrace.capture`,
the same path as `gradtrace export`: it runs as `__main__` in a namespace of its
own; the graph is drawn from `root=NAME` if given, otherwise from the value no
other was computed from (the last one made, when there are several), values are
named after the code's variables, and `backward()` runs unless the block already
computed gradients.

A block's options (on the fence line, `key=value`):

| option | default | meaning |
|---|---|---|
| `root` | auto | the variable(s) to draw, comma-separated |
| `all_roots` | `false` | draw every value no other was computed from |
| `table` | `false` | add the forward/backward trace table |
| `widget` | `false` | add the live demo (sliders for the inputs) |
| `grad` | `true` | show gradients (runs `backward()` if the block did not) |
| `rankdir` | `LR` | `LR` (left to right) or `TB` (top to bottom) |
| `precision` | site's | decimals shown |
| `collapse` | none | scope names to fold into one node, comma-separated |
| `caption` | none | a caption under the figure |
"""

from __future__ import annotations

import hashlib
from typing import Any

from gradtrace.errors import GradtraceError
from gradtrace.mkdocs.artefacts import Part, figure_files, import_optional

__all__ = ["OPTIONS", "FenceError", "run_block"]

#: Every option a block accepts, with its default.
OPTIONS: dict[str, str] = {
    "root": "",
    "all_roots": "false",
    "table": "false",
    "widget": "false",
    "grad": "true",
    "rankdir": "LR",
    "precision": "",
    "collapse": "",
    "caption": "",
}

_FILENAME = "<gradtrace block>"


class FenceError(GradtraceError):
    """A block that failed; `line` is the line of the block (1-based) when known."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line


def run_block(code: str, options: dict[str, str], precision: int) -> dict[str, Any]:
    """Execute a block and return its output parts and the files they refer to.

    The block goes through `gradtrace.capture`, exactly as `gradtrace export` runs
    a file: the same output, the same names, the same backward rule.

    Returns:
        `{"parts": [...], "files": {path: text}}` as described in
        `gradtrace.mkdocs.artefacts`.

    Raises:
        FenceError: Bad options, an exception in the code, or nothing to draw.
    """
    opts = _check_options(options, precision)
    from gradtrace.capture import CaptureError, capture_code

    try:
        captured = capture_code(
            code,
            filename=_FILENAME,
            root=opts["root"] or None,
            all_roots=opts["all_roots"],
            backward=opts["grad"],
            stdin=False,
        )
    except CaptureError as error:
        message = error.exception or str(error).replace(f"{_FILENAME}:", "line ", 1)
        message = message.replace(_FILENAME, "the block")
        raise FenceError(message, error.line) from None
    graph = captured.graph
    dot_options: dict[str, Any] = {
        "precision": opts["precision"],
        "show_grad": opts["grad"],
        "rankdir": opts["rankdir"],
    }
    if opts["collapse"]:
        scopes = {name for node in graph for name in node.scope}
        for name in opts["collapse"]:
            if name not in scopes:
                known = ", ".join(sorted(scopes)) or "none"
                raise FenceError(
                    f"collapse={name!r}: the graph has no such scope (its scopes: {known})"
                )
        dot_options["collapse"] = tuple(opts["collapse"])
    digest = hashlib.sha256(code.encode() + repr(sorted(options.items())).encode()).hexdigest()
    try:
        files, figure = figure_files(f"block-{digest[:12]}", graph, dot_options)
    except Exception as error:
        raise FenceError(f"cannot draw the graph: {type(error).__name__}: {error}") from None
    figure["figure"]["alt"] = "Computational graph of " + ", ".join(captured.roots)
    figure["figure"]["caption"] = opts["caption"]
    parts: list[Part] = [figure]
    if opts["table"]:
        table = import_optional("gradtrace.export.table")
        parts.append({"markdown": table.to_markdown(graph, precision=opts["precision"])})
    if opts["widget"]:
        widget = import_optional("gradtrace.export.widget")
        parts.append({"html": widget.to_html(graph, standalone=False, precision=opts["precision"])})
    return {"parts": parts, "files": files}


def _check_options(options: dict[str, str], precision: int) -> dict[str, Any]:
    unknown = sorted(set(options) - set(OPTIONS))
    if unknown:
        raise FenceError(f"unknown option {unknown[0]!r}; the options are {', '.join(OPTIONS)}")
    merged = {**OPTIONS, **options}
    opts: dict[str, Any] = {}
    for key in ("table", "widget", "grad", "all_roots"):
        opts[key] = _boolean(key, merged[key])
    rankdir = merged["rankdir"].upper()
    if rankdir not in ("LR", "TB", "RL", "BT"):
        raise FenceError(f"rankdir={merged['rankdir']!r} is not one of LR, TB, RL, BT")
    opts["rankdir"] = rankdir
    if merged["precision"]:
        try:
            opts["precision"] = int(merged["precision"])
        except ValueError:
            raise FenceError(
                f"precision={merged['precision']!r} is not a whole number of decimals"
            ) from None
        if not 0 <= opts["precision"] <= 12:
            raise FenceError(f"precision={opts['precision']} must be between 0 and 12")
    else:
        opts["precision"] = precision
    opts["root"] = [n.strip() for n in merged["root"].split(",") if n.strip()]
    opts["collapse"] = [n.strip() for n in merged["collapse"].split(",") if n.strip()]
    opts["caption"] = merged["caption"]
    return opts


def _boolean(key: str, text: str) -> bool:
    lowered = text.lower()
    if lowered in ("true", "yes", "1", "on"):
        return True
    if lowered in ("false", "no", "0", "off"):
        return False
    raise FenceError(f"{key}={text!r} must be true or false")
