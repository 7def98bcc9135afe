"""Running one ```` ```gradtrace ```` block: execute its Python, draw the graph it built.

This runs inside the build worker (a fresh interpreter, so the figures come
from the code as it is now). The block's code is executed in a namespace of
its own; the graph is drawn from `root=NAME` if given, otherwise from every
`Value` bound to a name that no other named `Value` was computed from.

A block's options (on the fence line, `key=value`):

| option | default | meaning |
|---|---|---|
| `root` | auto | the variable(s) to draw, comma-separated |
| `table` | `false` | add the forward/backward trace table |
| `widget` | `false` | add the live demo (sliders for the inputs) |
| `grad` | `true` | show gradients (runs `backward()` if the block did not) |
| `rankdir` | `LR` | `LR` (left to right) or `TB` (top to bottom) |
| `precision` | site's | decimals shown |
| `collapse` | none | scope names to fold into one node, comma-separated |
| `caption` | none | a caption under the figure |
"""

from __future__ import annotations

import contextlib
import hashlib
import traceback
from typing import Any

from gradtrace.mkdocs.artefacts import Part, figure_files, import_optional

__all__ = ["OPTIONS", "FenceError", "run_block"]

#: Every option a block accepts, with its default.
OPTIONS: dict[str, str] = {
    "root": "",
    "table": "false",
    "widget": "false",
    "grad": "true",
    "rankdir": "LR",
    "precision": "",
    "collapse": "",
    "caption": "",
}

_FILENAME = "<gradtrace block>"
_SUBSCRIPTS = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


class FenceError(Exception):
    """A block that failed; `line` is the line of the block (1-based) when known."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line


def run_block(code: str, options: dict[str, str], precision: int) -> dict[str, Any]:
    """Execute a block and return its output parts and the files they refer to.

    Returns:
        `{"parts": [...], "files": {path: text}}` as described in
        `gradtrace.mkdocs.artefacts`.

    Raises:
        FenceError: Bad options, an exception in the code, or nothing to draw.
    """
    opts = _check_options(options, precision)
    namespace: dict[str, Any] = {"__name__": "__gradtrace_block__"}
    try:
        compiled = compile(code, _FILENAME, "exec")
        exec(compiled, namespace)
    except SyntaxError as error:
        raise FenceError(f"SyntaxError: {error.msg}", error.lineno) from None
    except Exception as error:
        raise FenceError(f"{type(error).__name__}: {error}", _block_line(error)) from None
    roots = _roots(namespace, opts["root"])
    _name_values(namespace)
    if opts["grad"] and len(roots) == 1 and _is_gradtrace(roots[0]) and roots[0].grad == 0:
        roots[0].backward()

    from gradtrace.graph import trace

    graph = trace(*roots)
    dot_options: dict[str, Any] = {
        "precision": opts["precision"],
        "show_grad": opts["grad"],
        "rankdir": opts["rankdir"],
    }
    if opts["collapse"]:
        dot_options["collapse"] = tuple(opts["collapse"])
    digest = hashlib.sha256(code.encode() + repr(sorted(options.items())).encode()).hexdigest()
    try:
        files, figure = figure_files(f"block-{digest[:12]}", graph, dot_options)
    except Exception as error:
        raise FenceError(f"cannot draw the graph: {type(error).__name__}: {error}") from None
    figure["figure"]["alt"] = "Computational graph of " + ", ".join(
        _name_of(namespace, r) for r in roots
    )
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
    for key in ("table", "widget", "grad"):
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


def _is_value(x: object) -> bool:
    return all(hasattr(x, name) for name in ("data", "grad", "_prev")) and not isinstance(x, type)


def _is_gradtrace(x: object) -> bool:
    from gradtrace.engine import Value

    return isinstance(x, Value)


def _named_values(namespace: dict[str, Any]) -> list[tuple[str, Any]]:
    return [(name, v) for name, v in namespace.items() if not name.startswith("_") and _is_value(v)]


def _roots(namespace: dict[str, Any], wanted: list[str]) -> list[Any]:
    if wanted:
        roots = []
        for name in wanted:
            if name not in namespace:
                raise FenceError(f"root={name!r}: the block defines no variable {name!r}")
            if not _is_value(namespace[name]):
                raise FenceError(
                    f"root={name!r} is a {type(namespace[name]).__name__}, not a Value"
                )
            roots.append(namespace[name])
        return roots
    named = _named_values(namespace)
    if not named:
        raise FenceError("the block defines no Value to draw; assign one to a variable")
    inside: set[int] = set()
    for _, value in named:
        stack = list(value._prev)
        while stack:
            node = stack.pop()
            if id(node) not in inside:
                inside.add(id(node))
                stack.extend(node._prev)
    roots = []
    for _, value in named:
        if id(value) not in inside and all(value is not r for r in roots):
            roots.append(value)
    return roots


def _name_values(namespace: dict[str, Any]) -> None:
    """Label unlabelled Values after their variables (`w1` → `w₁`)."""
    for name, value in _named_values(namespace):
        if hasattr(value, "label") and not value.label:
            with contextlib.suppress(AttributeError):  # a Value class with a read-only label
                value.label = _pretty(name)


def _pretty(name: str) -> str:
    stem = name.rstrip("0123456789")
    return stem + name[len(stem) :].translate(_SUBSCRIPTS) if stem else name


def _name_of(namespace: dict[str, Any], value: Any) -> str:
    for name, v in namespace.items():
        if v is value:
            return name
    return "the block"


def _block_line(error: BaseException) -> int | None:
    line = None
    for frame, lineno in traceback.walk_tb(error.__traceback__):
        if frame.f_code.co_filename == _FILENAME:
            line = lineno
    return line
