"""`GradtracePlugin`: the ```` ```gradtrace ```` fence and offline math for any mkdocs site.

- The fence is a `pymdownx.superfences` custom fence, added to the site's
  superfences settings in `on_config` (superfences is enabled if the site has
  not). Its formatter runs the block in a fresh Python process (`isolated.py`)
  and returns the figure, table and widget as HTML, which superfences keeps in
  Python-Markdown's `htmlStash`, safe from every other Markdown rule.
- `$…$` and `$$…$$` become MathML at build time (`markdown.MathExtension`).
- Results are cached (`cache.py`) by the gradtrace source, the block and the
  files it imported, so a Markdown-only edit recomputes nothing. Under `mkdocs
  serve` the package folder is watched, so editing gradtrace redraws the figures.
- Errors a page can cause (a failing block, a bad option, an unclosed block, a
  bad formula) are one warning naming the page and line, so `--strict` fails.

`run()` is public: a site's own build hook can run its generators the same way
(this repository's `docs/hooks.py` does). Nothing is ever written into `docs/`.
"""

from __future__ import annotations

import html
import logging
from pathlib import Path
from typing import Any

from mkdocs.config import base
from mkdocs.config import config_options as c
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin
from mkdocs.structure.files import File, Files

import gradtrace
from gradtrace import options as shared_options
from gradtrace.mkdocs import isolated
from gradtrace.mkdocs.cache import Cache, source_hash
from gradtrace.mkdocs.fence import ASSETS, FENCE_MODULE, FenceError, check_options, to_html
from gradtrace.mkdocs.markdown import FENCE_LANGUAGE, MathExtension, scan_fences

__all__ = ["GradtraceConfig", "GradtracePlugin"]

log = logging.getLogger("mkdocs.plugins.gradtrace")

_ASSET_FILES = ("gradtrace.css", "gradtrace.js")


class GradtraceConfig(base.Config):  # type: ignore[no-untyped-call]
    """The plugin's options in `mkdocs.yml`."""

    precision = c.Type(int, default=4)
    """Decimals shown in figures and tables."""
    cache_dir = c.Type(str, default=".cache/gradtrace")
    """Where results are cached, relative to mkdocs.yml (keep it out of docs/)."""
    math = c.Type(bool, default=True)
    """Render `$…$` and `$$…$$` to MathML."""
    watch = c.Type(bool, default=True)
    """Under `mkdocs serve`, rebuild when the gradtrace package source changes."""
    timeout = c.Type((int, float), default=120)
    """Seconds one block may take before it is stopped (and reported)."""


class GradtracePlugin(BasePlugin[GradtraceConfig]):  # type: ignore[no-untyped-call]
    """The `gradtrace` fence and offline math; `run()` for a site's own generators."""

    supports_multiple_instances = False

    def __init__(self) -> None:
        self.package_dir = Path(gradtrace.__file__).resolve().parent
        self.source = ""
        self.counts = {"cached": 0, "generated": 0}
        self.page: Any = None
        self.blocks: list[tuple[int, str]] = []  # (line, code) of the page's blocks not yet run

    # -- configuration --------------------------------------------------------------------------

    def on_config(self, config: Any) -> Any:
        try:
            shared_options.check("precision", self.config.precision)
        except shared_options.OptionError as error:
            raise PluginError(f"gradtrace: {error}") from None
        self.root = Path(config.config_file_path or ".").resolve().parent
        cache_dir = (self.root / self.config.cache_dir).resolve()
        docs_dir = Path(config.docs_dir).resolve()
        if cache_dir == docs_dir or docs_dir in cache_dir.parents:
            raise PluginError(
                "gradtrace: cache_dir must be outside docs_dir (files written there "
                "make `mkdocs serve` rebuild forever); use e.g. .cache/gradtrace"
            )
        self.cache = Cache(cache_dir, self.root)
        # The fence, registered as pymdownx.superfences expects (as markdown-exec does).
        if "pymdownx.superfences" not in config.markdown_extensions:
            config.markdown_extensions.append("pymdownx.superfences")
        superfences = config.mdx_configs.setdefault("pymdownx.superfences", {})
        fences = [f for f in superfences.get("custom_fences", []) if f["name"] != FENCE_LANGUAGE]
        fences.append(
            {
                "name": FENCE_LANGUAGE,
                "class": FENCE_LANGUAGE,
                "validator": _validator,
                "format": self._format,
            }
        )
        superfences["custom_fences"] = fences
        if self.config.math:
            config.markdown_extensions.append(MathExtension(self._math_error))
        for name in _ASSET_FILES:
            target = config.extra_css if name.endswith(".css") else config.extra_javascript
            if f"{ASSETS}/{name}" not in target:
                target.append(f"{ASSETS}/{name}")
        return config

    def on_serve(self, server: Any, config: Any, builder: Any) -> Any:
        if self.config.watch:
            server.watch(str(self.package_dir))
        return server

    def on_pre_build(self, config: Any) -> None:
        self.source = source_hash(self.package_dir)
        self.counts = {"cached": 0, "generated": 0}
        self.cache.used.clear()

    def on_files(self, files: Files, config: Any) -> Files:
        for name in _ASSET_FILES:
            text = Path(__file__).with_name(name).read_text(encoding="utf-8")
            files.append(File.generated(config, f"{ASSETS}/{name}", content=text))
        self.files = files
        self.mkdocs_config = config
        return files

    def on_post_build(self, config: Any) -> None:
        pruned = self.cache.prune()
        log.info(
            f"gradtrace: {self.counts['generated']} results generated, "
            f"{self.counts['cached']} from the cache ({pruned} stale entries removed)"
        )

    # -- running code ---------------------------------------------------------------------------

    def run(self, command: list[str], request: dict[str, Any]) -> dict[str, Any]:
        """Run `python COMMAND` in a fresh process on `request`, or take its cached reply.

        The command runs in the folder of `mkdocs.yml` and answers through
        `gradtrace.mkdocs.isolated.serve`. A reply is cached under the gradtrace
        source, the command and the request, and kept while the files it
        imported from the site's folder are unchanged; failures are not cached.
        """
        key = Cache.key(self.source, command, request)
        cached = self.cache.get(key)
        if cached is not None:
            self.counts["cached"] += 1
            reply: dict[str, Any] = cached
            return reply
        self.counts["generated"] += 1
        try:
            reply = isolated.run(command, request, cwd=self.root, timeout=self.config.timeout)
        except isolated.IsolationError as error:
            return {"ok": False, "error": str(error), "line": None}
        if reply["ok"]:
            self.cache.put(key, reply, reply.get("deps", []))
        return reply

    def add_files(self, files: dict[str, str]) -> None:
        """Hand generated files (site path → text) to mkdocs, in memory."""
        for path, text in sorted(files.items()):
            if self.files.get_file_from_path(path) is None:
                self.files.append(File.generated(self.mkdocs_config, path, content=text))

    # -- pages ----------------------------------------------------------------------------------

    def on_page_markdown(self, markdown: str, page: Any, config: Any, files: Files) -> str:
        self.page, self.markdown = page, markdown
        self.offset = _front_matter_lines(page.file.content_string, markdown)
        scan = scan_fences(markdown)
        self.blocks = scan.starts
        if scan.unclosed is None:
            return scan.markdown
        where = self._where(scan.unclosed)
        message = "the gradtrace block is never closed; end it with a line of three backticks"
        log.warning(f"gradtrace: {where}: {message}")
        lines = scan.markdown.split("\n")
        lines[scan.unclosed : scan.unclosed] = ["", _error_box(where, message), ""]
        return "\n".join(lines)

    def _where(self, index: int) -> str:
        """`page.md:LINE` for a 0-based line of the page's Markdown (front matter counted)."""
        return f"{self.page.file.src_uri}:{self.offset + index + 1}"

    def _format(
        self,
        source: str,
        language: str,
        css_class: str,
        options: dict[str, str],
        md: Any,
        **kwargs: Any,
    ) -> str:
        """superfences' formatter for a `gradtrace` block: its HTML, or an error box."""
        start = self._claim(source)
        folder = Path(self.page.file.abs_src_path).parent
        try:
            check_options(options, self.config.precision, folder)
        except FenceError as error:
            reply: dict[str, Any] = {"ok": False, "error": str(error), "line": None}
        else:
            request = {
                "code": source,
                "options": options,
                "precision": self.config.precision,
                "folder": folder.relative_to(self.root).as_posix()
                if self.root in folder.parents
                else str(folder),
            }
            reply = self.run(["-m", FENCE_MODULE], request)
        if reply["ok"]:
            self.add_files(reply["result"]["files"])
            return to_html(reply["result"]["parts"], self.page.url)
        where = (
            self._where(start + (reply.get("line") or 0)) if start >= 0 else self.page.file.src_uri
        )
        log.warning(f"gradtrace: {where}: the gradtrace block failed: {reply['error']}")
        return _error_box(where, reply["error"])

    def _claim(self, source: str) -> int:
        """The opening line of the page's block with this code (-1 if it cannot be told)."""
        for i, (line, code) in enumerate(self.blocks):
            if code.strip() == source.strip():
                del self.blocks[i]
                return line
        return -1

    def _math_error(self, message: str, latex: str) -> None:
        at = self.markdown.find(latex)
        where = self._where(self.markdown.count("\n", 0, at)) if at >= 0 else self.page.file.src_uri
        log.warning(f"gradtrace: {where}: {message}")


def _validator(
    language: str, inputs: dict[str, str], options: dict[str, str], attrs: dict[str, str], md: Any
) -> bool:
    """superfences' validator: every option goes to the formatter, which checks them."""
    options.update(inputs)
    return True


def _error_box(where: str, message: str) -> str:
    """What a page shows where a gradtrace block failed."""
    return (
        f'<div class="gradtrace-error"><strong>This gradtrace block failed</strong> '
        f"({html.escape(where)}): {html.escape(message)}</div>"
    )


def _front_matter_lines(source: str, markdown: str) -> int:
    """How many lines of front matter mkdocs removed before `markdown` (0 if unknown)."""
    if markdown and source.endswith(markdown):
        return source[: len(source) - len(markdown)].count("\n")
    return 0
