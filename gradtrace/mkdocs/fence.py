"""One ```` ```gradtrace ```` block: run its Python, draw the graph it built.

A block is a `pymdownx.superfences` custom fence (the plugin registers it). Its
options follow the fence's language, as superfences reads them: bare words for
yes/no options, `key="value"` for the others (`key=value` is accepted too):

    ```gradtrace table widget root="f" caption="A tanh neuron"

| option | default | meaning |
|---|---|---|
| `root` | auto | the variable(s) to draw, comma-separated |
| `all_roots` | no | draw every value no other was computed from |
| `table` | no | add the forward/backward trace table |
| `widget` | no | add the live demo (sliders for the inputs) |
| `caption` | none | a caption under the figure |
| `grad` (or `show_grad`) | yes | show gradients (runs `backward()` if the block did not) |
| `precision` | site's | digits shown |
| `number` | `fixed` | `fixed`, `significant` or `scientific` |
| `rankdir` | `LR` | `LR` (left to right), `TB`, `RL` or `BT` |
| `theme` | both palettes | `light`, `print`, `dark` or a `.toml` file (next to the page) for both |
| `collapse` | none | scope names to fold into one node, comma-separated |
| `title` | none | a title drawn above the graph |
| `highlight` | none | a value's name: it and its paths to the output in bold |
| `wrap` | auto | operations per row of a long figure (0: never wrap) |
| `max_nodes`, `max_edges` | gradtrace's | refuse larger drawings |

The first five are the block's own; the others are `gradtrace.options`, parsed
and checked there, so they mean what `gradtrace export`'s flags of the same
names mean and fail with the same message.

The code runs in a fresh Python process (`python -m gradtrace.mkdocs.fence`,
see `isolated.py`) through `gradtrace.capture`, the same path as `gradtrace
export`: as `__main__` in a namespace of its own, the page's folder first on
`sys.path`, values named after the code's variables, `backward()` run unless the
block computed gradients. That process returns *parts* (a figure's SVG files,
a trace table in Markdown, the widget's HTML) and the plugin's process turns
them into the page's HTML (`to_html`).
"""

from __future__ import annotations

import hashlib
import html
import re
import sys
from pathlib import Path
from typing import Any

from gradtrace.errors import GradtraceError

__all__ = [
    "BLOCK_OPTIONS",
    "OPTIONS",
    "SHARED_OPTIONS",
    "FenceError",
    "check_options",
    "figure_part",
    "run_block",
    "to_html",
]

#: The block's own options, with their defaults.
BLOCK_OPTIONS: dict[str, str] = {
    "root": "",
    "all_roots": "false",
    "table": "false",
    "widget": "false",
    "caption": "",
}

#: The options of `gradtrace.options` a block takes (`grad` is `show_grad`'s short name).
SHARED_OPTIONS = (
    "precision",
    "number",
    "show_grad",
    "rankdir",
    "theme",
    "collapse",
    "title",
    "highlight",
    "wrap",
    "max_nodes",
    "max_edges",
)

#: Every option a block accepts.
OPTIONS = (*BLOCK_OPTIONS, "grad", *SHARED_OPTIONS)

#: Shared options that mean nothing for a block, and why.
_NOT_FOR_BLOCKS = {
    "dpi": "a block draws SVG, which has no resolution",
    "scale": "a block draws SVG, which scales to the column",
    "timeout": "a block's time limit is the plugin's timeout option in mkdocs.yml",
}

#: The module a block runs in (`python -m`, see `isolated.py`).
FENCE_MODULE = "gradtrace.mkdocs.fence"

#: Where generated figures go in the site.
ASSETS = "assets/gradtrace"

#: A figure is never shown smaller than this share of its natural size: Graphviz's 12 pt
#: gradients (16 CSS px) stay at least 11 px. A narrower column scrolls it sideways.
MIN_SCALE = 11 / 16

_FILENAME = "<gradtrace block>"

Part = dict[str, Any]


class FenceError(GradtraceError):
    """A block that failed; `line` is the line of the block (1-based) when known."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line


# -- the child process ------------------------------------------------------------------------


def run_block(
    code: str, options: dict[str, str], precision: int, folder: Path | None = None
) -> dict[str, Any]:
    """Execute a block and return its output parts and the files they refer to.

    The block goes through `gradtrace.capture`, exactly as `gradtrace export` runs
    a file: the same output, the same names, the same backward rule.

    Returns:
        `{"parts": [...], "files": {path: text}}`: a part is `{"figure": {...}}`
        (light and dark SVG paths, size, alt text, caption), `{"markdown": table}`
        or `{"html": widget}`.

    Raises:
        FenceError: Bad options, an exception in the code, or nothing to draw.
    """
    opts = check_options(options, precision, folder)
    if "theme" in options and options["theme"].endswith(".toml") and folder is not None:
        from gradtrace.mkdocs import isolated

        isolated.depends_on(folder / options["theme"])  # an edit to it redraws the block
    from gradtrace.capture import CaptureError, capture_code

    try:
        captured = capture_code(
            code,
            filename=_FILENAME,
            root=opts["root"] or None,
            all_roots=opts["all_roots"],
            backward=opts["show_grad"],
            stdin=False,
        )
    except CaptureError as error:
        message = error.exception or str(error).replace(f"{_FILENAME}:", "line ", 1)
        message = message.replace(_FILENAME, "the block")
        raise FenceError(message, error.line) from None
    graph = captured.graph
    look = {k: opts[k] for k in SHARED_OPTIONS if k in opts and k != "theme"}
    if look.get("collapse"):
        scopes = {name for node in graph for name in node.scope}
        for name in look["collapse"]:
            if name not in scopes:
                known = ", ".join(sorted(scopes)) or "none"
                raise FenceError(
                    f"collapse={name!r}: the graph has no such scope (its scopes: {known})"
                )
    digest = hashlib.sha256(code.encode() + repr(sorted(options.items())).encode()).hexdigest()
    from gradtrace.export.render import to_svg

    stem = f"{ASSETS}/block-{digest[:12]}"
    # Without a theme option, one drawing per palette; with one, that theme in both.
    light, dark = (opts["theme"], opts["theme"]) if "theme" in opts else ("light", "dark")
    files = {f"{stem}.svg": to_svg(graph, theme=light, **look)}
    files[f"{stem}-dark.svg"] = (
        files[f"{stem}.svg"] if dark is light else to_svg(graph, theme=dark, **look)
    )
    alt = "Computational graph of " + ", ".join(captured.roots)
    parts: list[Part] = [figure_part(stem, files[f"{stem}.svg"], alt, opts["caption"])]
    if opts["table"]:
        from gradtrace.export.table import to_markdown

        table = to_markdown(graph, precision=opts["precision"], number=opts.get("number", "fixed"))
        parts.append({"markdown": table})
    if opts["widget"]:
        from gradtrace.export.widget import to_html as widget_html

        widget = {k: v for k, v in look.items() if k not in ("title", "wrap")}
        if "theme" in opts:
            widget["theme"] = opts["theme"]
        parts.append({"html": widget_html(graph, standalone=False, **widget)})
    return {"parts": parts, "files": files}


def figure_part(stem: str, svg: str, alt: str, caption: str = "", narrow: bool = False) -> Part:
    """A figure part for `STEM.svg` and `STEM-dark.svg` (plus `STEM-narrow*.svg` if `narrow`).

    Its natural size is read from the light SVG (Graphviz and matplotlib write it in pt).
    """
    figure: dict[str, Any] = {"stem": stem, "alt": alt, "caption": caption, "narrow": narrow}
    size = re.search(r'<svg[^>]*?\swidth="([\d.]+)pt"[^>]*?\sheight="([\d.]+)pt"', svg)
    if size:
        figure["width"] = round(float(size.group(1)) * 4 / 3)  # 1 pt = 4/3 CSS px
        figure["height"] = round(float(size.group(2)) * 4 / 3)
    return {"figure": figure}


def _handle(request: dict[str, Any]) -> dict[str, Any]:
    sys.path.insert(0, request["folder"])  # the page's folder, as `python FILE.py` would
    folder = Path(request["folder"])
    return run_block(request["code"], request["options"], request["precision"], folder)


# -- options ----------------------------------------------------------------------------------


def check_options(
    options: dict[str, str], precision: int, folder: Path | None = None
) -> dict[str, Any]:
    """The block's options, checked and typed.

    The block's own options get their defaults; a shared option is in the result
    only if the block sets it (`precision` always is: the site's by default).
    A `theme` file is looked for in `folder` (the page's), as a block's imports are.

    Raises:
        FenceError: An unknown option or a value that does not fit it.
    """
    from gradtrace import options as shared

    for key in options:
        if key in _NOT_FOR_BLOCKS:
            raise FenceError(f"{key}: {_NOT_FOR_BLOCKS[key]}")
    unknown = sorted(set(options) - set(OPTIONS))
    if unknown:
        raise FenceError(f"unknown option {unknown[0]!r}; the options are {', '.join(OPTIONS)}")
    if "grad" in options and "show_grad" in options:
        raise FenceError("grad and show_grad are the same option: give one of them")
    merged = {**BLOCK_OPTIONS, **options}
    if "grad" in merged:
        merged["show_grad"] = merged.pop("grad")
    opts: dict[str, Any] = {"precision": precision}
    for key in ("table", "widget", "all_roots"):
        opts[key] = _boolean(key, merged[key])
    opts["root"] = [n.strip() for n in merged["root"].split(",") if n.strip()]
    opts["caption"] = merged["caption"]
    for key in SHARED_OPTIONS:
        if key not in merged:
            continue
        text = merged[key]
        bare = text == key or (key == "show_grad" and text == "grad")  # superfences: key=key
        if bare and key != "show_grad":
            raise FenceError(f'{key} needs a value, e.g. {key}="..."')
        if key == "show_grad" and bare:
            text = "true"
        if key == "theme" and text.endswith(".toml") and folder is not None:
            text = str(folder / text)
        try:
            opts[key] = shared.parse(key, text)
        except shared.OptionError as error:
            raise FenceError(str(error)) from None
    opts.setdefault("show_grad", True)
    return opts


def _boolean(key: str, text: str) -> bool:
    lowered = text.lower()
    if lowered in ("true", "yes", "1", "on", key):  # a bare word: superfences gives key=key
        return True
    if lowered in ("false", "no", "0", "off"):
        return False
    raise FenceError(f"{key}={text!r} must be true or false")


# -- the page's HTML (in the mkdocs process) ---------------------------------------------------


def to_html(parts: list[Part], page_url: str) -> str:
    """The HTML of a block's (or a generated snippet's) parts, for a page at `page_url`.

    Tables are Markdown (the one `to_markdown` every surface shares) converted by
    Python-Markdown's `tables` extension, so the theme styles them as any table.
    """
    out = []
    for part in parts:
        if "figure" in part:
            out.append(figure_html(part["figure"], page_url))
        elif "markdown" in part:
            import markdown

            out.append(markdown.markdown(part["markdown"], extensions=["tables"]))
        else:
            out.append(part["html"])
    return "\n".join(out)


def figure_html(figure: dict[str, Any], page_url: str) -> str:
    """A figure in both palettes that fits the column, scrolls sideways below `MIN_SCALE`
    of its natural size, and opens full size on a click."""

    from mkdocs.utils import get_relative_url

    def url(suffix: str) -> str:
        return html.escape(get_relative_url(f"{figure['stem']}{suffix}.svg", page_url))

    alt = html.escape(figure.get("alt", ""))
    width, height = figure.get("width"), figure.get("height")
    size = f' width="{width}" height="{height}"' if width and height else ""
    style = ""
    if width:  # a figure with a narrow variant for phones needs no minimum
        least = 0 if figure.get("narrow") else round(width * MIN_SCALE)
        style = f' style="--gt-width: {width}px; --gt-min: {least}px"'
    images, full = [], []
    for theme, suffix in (("light", ""), ("dark", "-dark")):
        narrow = ""
        if figure.get("narrow"):
            narrow = f'<source media="(max-width: 40em)" srcset="{url("-narrow" + suffix)}">'
        images.append(
            f'<a class="gradtrace-{theme}" href="{url(suffix)}">'
            f'<picture>{narrow}<img src="{url(suffix)}" alt="{alt}"{size}></picture></a>'
        )
        full.append(f'<a class="gradtrace-{theme}" href="{url(suffix)}">open it full size</a>')
    caption = html.escape(figure.get("caption", ""))
    return (
        f'<figure class="gradtrace-figure"{style}>'
        f'<div class="gradtrace-pan">{"".join(images)}</div>'
        f'<figcaption>{caption}{" " if caption else ""}<span class="gradtrace-tools">'
        f'<span class="gradtrace-hint">Scroll sideways to see all of it, or </span>'
        f'<span class="gradtrace-nohint">Click to </span>{"".join(full)}</span>'
        "</figcaption></figure>"
    )


if __name__ == "__main__":
    from gradtrace.mkdocs.isolated import serve

    serve(_handle)
