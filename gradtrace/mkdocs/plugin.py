"""`GradtracePlugin`: the mkdocs adapter. All real work is done by the build worker.

On every build the plugin

1. asks the worker for the site artefacts listed in `generate` (Figure 1, the
   training run, ...) and hands their figures to mkdocs as in-memory files;
2. replaces each ```` ```gradtrace ```` block by the graph its code builds;
3. replaces each `<!-- gradtrace: name -->` line by a generated snippet;
4. renders `$…$` and `$$…$$` to MathML.

Results are cached by a hash of the package source and the request, so only
an edit to `gradtrace/` (watched under `mkdocs serve`) makes work again.
Nothing is ever written into `docs/`.
"""

from __future__ import annotations

import html
import logging
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mkdocs.config import base
from mkdocs.config import config_options as c
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin
from mkdocs.structure.files import File, Files
from mkdocs.utils import get_relative_url

import gradtrace
from gradtrace.mathml import MathError, to_mathml
from gradtrace.mkdocs import client
from gradtrace.mkdocs.artefacts import ASSETS, BUILDERS
from gradtrace.mkdocs.cache import Cache, source_hash
from gradtrace.mkdocs.markdown import (
    Fence,
    FenceSyntaxError,
    find_fences,
    find_markers,
    parse_options,
    replace_math,
)

__all__ = ["GradtraceConfig", "GradtracePlugin"]

log = logging.getLogger("mkdocs.plugins.gradtrace")

CSS_PATH = f"{ASSETS}/gradtrace.css"
_CSS_SOURCE = Path(__file__).with_name("gradtrace.css")
#: A placeholder word: letters and digits only, so Markdown carries it through untouched. Its
#: middle is random for each page, so no label or text can be, or contain, one by accident
#: or on purpose; its upper case tells it from the lower-case copy the table of contents
#: makes of a heading's text for the heading's id.
_TOKEN = "GRADTRACE{nonce}X{n}END"
#: What a placeholder becomes inside a heading id: stable, so permalinks survive rebuilds.
_ANCHOR = "gradtraceplaceholder{n}end"


class GradtraceConfig(base.Config):  # type: ignore[no-untyped-call]
    """The plugin's options in `mkdocs.yml`."""

    generate = c.ListOfItems(c.Choice(tuple(BUILDERS)), default=[])
    """Site artefacts to generate: figure1, reused_node, derivation, steps, training, demo, cli,
    code."""
    precision = c.Type(int, default=4)
    """Decimals shown in figures and tables."""
    cache_dir = c.Type(str, default=".cache/gradtrace")
    """Where results are cached, relative to mkdocs.yml (keep it out of docs/)."""
    math = c.Type(bool, default=True)
    """Render `$…$` and `$$…$$` to MathML."""
    watch = c.Type(bool, default=True)
    """Under `mkdocs serve`, rebuild when the gradtrace package source changes."""
    timeout = c.Type((int, float), default=120)
    """Seconds one block or artefact may take before it is stopped (and reported)."""


class GradtracePlugin(BasePlugin[GradtraceConfig]):  # type: ignore[no-untyped-call]
    """Generated figures, tables and pages from live gradtrace code, plus the `gradtrace` fence."""

    supports_multiple_instances = False

    def __init__(self) -> None:
        self.package_dir = Path(gradtrace.__file__).resolve().parent
        self.source = ""
        self.snippets: dict[str, list[dict[str, Any]]] = {}
        # page → token → (HTML in a sentence, HTML alone in a paragraph, text for the TOC)
        self.placeholders: dict[str, dict[str, tuple[str, str, str]]] = {}
        self.counts = {"cached": 0, "generated": 0}

    # -- configuration --------------------------------------------------------

    def on_config(self, config: Any) -> Any:
        precision = self.config.precision
        if not 0 <= precision <= 12:
            raise PluginError(f"gradtrace: precision={precision} must be between 0 and 12")
        self.root = Path(config.config_file_path or ".").resolve().parent
        cache_dir = (self.root / self.config.cache_dir).resolve()
        docs_dir = Path(config.docs_dir).resolve()
        if cache_dir == docs_dir or docs_dir in cache_dir.parents:
            raise PluginError(
                "gradtrace: cache_dir must be outside docs_dir (files written there "
                "make `mkdocs serve` rebuild forever); use e.g. .cache/gradtrace"
            )
        self.cache = Cache(cache_dir)
        if CSS_PATH not in config.extra_css:
            config.extra_css.append(CSS_PATH)
        return config

    def on_serve(self, server: Any, config: Any, builder: Any) -> Any:
        if self.config.watch:
            server.watch(str(self.package_dir))
        return server

    def on_post_build(self, config: Any) -> None:
        pruned = self.cache.prune()
        log.info(
            f"gradtrace: {self.counts['generated']} results generated, "
            f"{self.counts['cached']} from the cache ({pruned} stale entries removed)"
        )

    def on_shutdown(self) -> None:
        client.close()

    # -- site artefacts -------------------------------------------------------

    def on_pre_build(self, config: Any) -> None:
        self.source = source_hash(self.package_dir)
        self.snippets = {}
        self.placeholders = {}
        self.counts = {"cached": 0, "generated": 0}
        self.cache.used.clear()

    def on_files(self, files: Files, config: Any) -> Files:
        files.append(
            File.generated(config, CSS_PATH, content=_CSS_SOURCE.read_text(encoding="utf-8"))
        )
        for name in self.config.generate:
            request = {"kind": "artefact", "name": name, "precision": self.config.precision}
            reply = self._ask(request)
            if not reply["ok"]:
                log.warning(f"gradtrace: cannot generate {name!r}: {reply['error']}")
                if reply.get("detail"):
                    log.debug(reply["detail"])
                continue
            for path, text in sorted(reply["result"]["files"].items()):
                files.append(File.generated(config, path, content=text))
            self.snippets.update(reply["result"]["snippets"])
        return files

    def _ask(self, request: dict[str, Any]) -> dict[str, Any]:
        key = Cache.key(self.source, request)
        cached = self.cache.get(key)
        if cached is not None:
            self.counts["cached"] += 1
            reply: dict[str, Any] = cached
            return reply
        self.counts["generated"] += 1
        try:
            reply = client.ask(
                request,
                source=self.source,
                package_dir=self.package_dir,
                cwd=self.root,
                timeout=self.config.timeout,
            )
        except client.WorkerError as error:
            return {"ok": False, "error": str(error), "line": None}
        if reply["ok"]:  # failures are not cached: the next build tries again
            self.cache.put(key, reply)
        return reply

    # -- pages ----------------------------------------------------------------

    def on_page_markdown(self, markdown: str, page: Any, config: Any, files: Files) -> str:
        page_path = page.file.src_uri
        offset = _front_matter_lines(page.file.content_string, markdown)
        tokens: dict[str, tuple[str, str, str]] = {}
        self.placeholders[page_path] = tokens
        nonce = secrets.token_hex(12).upper()

        def where(index: int) -> str:
            return f"{page.file.src_uri}:{offset + index + 1}"

        def placeholder(fragment: str, text: str = "", alone: str = "") -> str:
            """A word for Markdown to carry, replaced by `fragment` in the HTML (by `alone`
            where it makes a paragraph on its own) and by `text` in the table of contents."""
            token = _TOKEN.format(nonce=nonce, n=len(tokens))
            tokens[token] = (fragment, alone or fragment, text)
            return token

        def render_parts(parts: list[dict[str, Any]], indent: str) -> list[str]:
            out: list[str] = []
            for part in parts:
                if "markdown" in part:
                    text = part["markdown"]
                elif "figure" in part:
                    text = placeholder(_figure_html(part["figure"], page.url), "")
                else:
                    text = placeholder(part["html"], "")
                out += ["", *(indent + line if line else line for line in text.split("\n")), ""]
            return out

        lines = markdown.split("\n")
        replacements: list[tuple[int, int, list[str]]] = []
        try:
            fences = find_fences(markdown)
        except FenceSyntaxError as error:  # an unclosed block: the blocks before it still run
            fences = error.fences
            line = error.line or 0
            log.warning(f"gradtrace: {where(line)}: {error}")
            replacements.append((line, line, ["", placeholder(_error_box(where(line), error)), ""]))
        for fence in fences:
            new = self._fence(fence, where, placeholder, render_parts, files, config)
            replacements.append((fence.start, fence.end, new))
        for marker in find_markers(markdown):
            parts = self.snippets.get(marker.name)
            if parts is None:
                if marker.name in _SNIPPET_OWNERS and _SNIPPET_OWNERS[marker.name] in (
                    self.config.generate
                ):
                    note = f"*{marker.name} is not available in this build.*"
                    new = render_parts([{"markdown": note}], marker.indent)
                else:
                    log.warning(
                        f"gradtrace: {where(marker.line)}: no generated snippet {marker.name!r}; "
                        f"list its artefact under the plugin's generate option "
                        f"(snippets: {', '.join(sorted(_SNIPPET_OWNERS))})"
                    )
                    new = []
            else:
                new = render_parts(parts, marker.indent)
            replacements.append((marker.line, marker.line + 1, new))
        for start, end, new in sorted(replacements, reverse=True):
            lines[start:end] = new
        markdown = "\n".join(lines)
        if self.config.math:
            markdown = self._math(markdown, page, offset, placeholder)
        return markdown

    def _fence(
        self,
        fence: Fence,
        where: Callable[[int], str],
        placeholder: Callable[..., str],
        render_parts: Callable[[list[dict[str, Any]], str], list[str]],
        files: Files,
        config: Any,
    ) -> list[str]:
        try:
            options = parse_options(fence.info)
        except FenceSyntaxError as error:
            reply: dict[str, Any] = {"ok": False, "error": str(error), "line": None}
        else:
            request = {
                "kind": "block",
                "code": fence.code,
                "options": options,
                "precision": self.config.precision,
            }
            reply = self._ask(request)
        if reply["ok"]:
            for path, text in sorted(reply["result"]["files"].items()):
                if files.get_file_from_path(path) is None:
                    files.append(File.generated(config, path, content=text))
            new: list[str] = render_parts(reply["result"]["parts"], fence.indent)
            return new
        line = fence.start + (reply.get("line") or 0)
        log.warning(f"gradtrace: {where(line)}: the gradtrace block failed: {reply['error']}")
        return ["", fence.indent + placeholder(_error_box(where(line), reply["error"]), ""), ""]

    def _math(self, markdown: str, page: Any, offset: int, placeholder: Callable[..., str]) -> str:
        def render(latex: str, display: bool, line: int) -> str:
            try:
                markup = to_mathml(latex, display=display)
            except MathError as error:
                log.warning(f"gradtrace: {page.file.src_uri}:{offset + line + 1}: {error}")
                return html.escape(latex)
            alone = f'<div class="gradtrace-math">{markup}</div>' if display else ""
            return placeholder(markup, latex, alone)

        return replace_math(markdown, render)

    def on_page_content(self, html_text: str, page: Any, config: Any, files: Files) -> str:
        tokens = self.placeholders.pop(page.file.src_uri, {})
        for n, (token, (fragment, alone, _)) in enumerate(tokens.items()):
            html_text = html_text.replace(f"<p>{token}</p>", alone).replace(token, fragment)
            html_text = html_text.replace(token.lower(), _ANCHOR.format(n=n))
        _retitle(page.toc, {token: text for token, (_, _, text) in tokens.items()})
        return html_text


def _error_box(where: str, error: object) -> str:
    """What a page shows where a gradtrace block failed."""
    return (
        f'<div class="gradtrace-error"><strong>This gradtrace block failed</strong> '
        f"({html.escape(where)}): {html.escape(str(error))}</div>"
    )


def _retitle(items: Any, texts: dict[str, str]) -> None:
    """Put a formula's LaTeX source where its token landed in a table-of-contents title,
    and the token's stable form in the heading's id."""
    for item in items or ():
        for n, (token, text) in enumerate(texts.items()):
            if token in item.title:
                item.title = item.title.replace(token, text)
            if token.lower() in (item.id or ""):
                item.id = item.id.replace(token.lower(), _ANCHOR.format(n=n))
        _retitle(item.children, texts)


#: Which `generate` entry provides each snippet name.
_SNIPPET_OWNERS = {
    "figure1": "figure1",
    "figure1-table": "figure1",
    "reused-node": "reused_node",
    "reused-node-table": "reused_node",
    "derivation-table": "derivation",
    "derivation-paths": "derivation",
    "steps-frames": "steps",
    "steps-sentences": "steps",
    "steps-derivation": "steps",
    "steps-beamer": "steps",
    "training-table": "training",
    "training-curves": "training",
    "decision-regions": "training",
    "live-demo": "demo",
    "cli-reference": "cli",
    "engine-mul": "code",
}


def _figure_html(figure: dict[str, Any], page_url: str) -> str:
    alt = html.escape(figure.get("alt", ""))
    width, height = figure.get("width"), figure.get("height")
    size = f' width="{width}" height="{height}"' if width and height else ""
    # Wider than a phone: keep a legible size there and let the figure scroll sideways.
    wide = bool(width and width > 480)
    style = f' style="--gradtrace-width: {width}px"' if wide else ""
    images = []
    for theme in ("light", "dark"):
        path = figure.get(theme)
        if not path:
            continue
        classes = [f"gradtrace-{theme}"] if figure.get("dark") else []
        if wide:
            classes.append("gradtrace-wide")
        css = f' class="{" ".join(classes)}"' if classes else ""
        src = html.escape(get_relative_url(path, page_url))
        image = f'<img{css} src="{src}" alt="{alt}"{size}{style}>'
        # The SVG itself opens on a click: the full-size figure, for a closer look.
        images.append(
            f'<a class="gradtrace-zoom" href="{src}" title="Open the full-size figure">{image}</a>'
        )
    caption = figure.get("caption", "")
    caption_html = f"<figcaption>{html.escape(caption)}</figcaption>" if caption else ""
    return f'<figure class="gradtrace-figure">{"".join(images)}{caption_html}</figure>'


def _front_matter_lines(source: str, markdown: str) -> int:
    """How many lines of front matter mkdocs removed before `markdown` (0 if unknown)."""
    if markdown and source.endswith(markdown):
        return source[: len(source) - len(markdown)].count("\n")
    return 0
