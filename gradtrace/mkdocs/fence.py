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
| `grad` | yes | show gradients (runs `backward()` if the block did not) |
| `rankdir` | `LR` | `LR` (left to right) or `TB` (top to bottom) |
| `precision` | site's | decimals shown |
| `collapse` | none | scope names to fold into one node, comma-separated |
| `caption` | none | a caption under the figure |

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
from typing import Any

from gradtrace.errors import GradtraceError

__all__ = ["OPTIONS", "FenceError", "check_options", "figure_part", "run_block", "to_html"]

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


def run_block(code: str, options: dict[str, str], precision: int) -> dict[str, Any]:
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
    opts = check_options(options, precision)
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
    from gradtrace.export.render import to_svg

    stem = f"{ASSETS}/block-{digest[:12]}"
    files = {
        f"{stem}.svg": to_svg(graph, theme="light", **dot_options),
        f"{stem}-dark.svg": to_svg(graph, theme="dark", **dot_options),
    }
    alt = "Computational graph of " + ", ".join(captured.roots)
    parts: list[Part] = [figure_part(stem, files[f"{stem}.svg"], alt, opts["caption"])]
    if opts["table"]:
        from gradtrace.export.table import to_markdown

        parts.append({"markdown": to_markdown(graph, precision=opts["precision"])})
    if opts["widget"]:
        from gradtrace.export.widget import to_html as widget_html

        parts.append({"html": widget_html(graph, standalone=False, precision=opts["precision"])})
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
    return run_block(request["code"], request["options"], request["precision"])


# -- options ----------------------------------------------------------------------------------


def check_options(options: dict[str, str], precision: int) -> dict[str, Any]:
    """The block's options, checked and typed (defaults filled in).

    Raises:
        FenceError: An unknown option or a value that does not fit it.
    """
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
