"""Markdown for the plugin: `$math$` as a Python-Markdown extension, and a check of the fences.

- `MathExtension` turns `$…$` and `$$…$$` into MathML (`gradtrace.mathml`) and
  hands it to Python-Markdown's `htmlStash`, the way Markdown keeps raw HTML
  away from its other rules: its placeholders use control characters that
  Markdown removes from every source, so no text on a page (and no label in a
  table) can forge one. It runs after inline code spans and before escapes and
  emphasis, so `` `$x$` `` stays code and `$a_1 * b_2$` is not emphasis.
- `scan_fences` reads a page's fence lines without rendering anything: where each
  ```` ```gradtrace ```` block starts (for error messages), and the two mistakes
  superfences would pass over silently: a block never closed, and an option
  written `key=value` (superfences reads `key="value"`; the scan quotes it).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as etree
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from markdown import Extension, Markdown
from markdown.blockprocessors import BlockProcessor
from markdown.inlinepatterns import InlineProcessor
from markdown.util import AtomicString

from gradtrace.mathml import MathError, to_mathml

__all__ = ["FenceScan", "MathExtension", "scan_fences"]

FENCE_LANGUAGE = "gradtrace"


# -- math ---------------------------------------------------------------------------------------

# $$x$$ (display), or $x$: no space just inside the dollars, and not followed by a digit
# (so "$5 and $6" is text). `\$` is a dollar sign.
_MATH = (
    r"(?<!\\)\$\$(?P<display>.+?)\$\$"
    r"|(?<![\\$])\$(?=[^\s$])(?P<inline>.+?)(?<=[^\s\\$])\$(?![\d$])"
)

#: Called with (message, LaTeX source) for a formula that cannot be rendered.
OnError = Callable[[str, str], None]


class MathExtension(Extension):  # type: ignore[misc]
    """`$…$` (inline) and `$$…$$` (display) to MathML; `on_error` hears about bad formulas."""

    def __init__(self, on_error: OnError | None = None) -> None:
        super().__init__()
        self.on_error = on_error

    def extendMarkdown(self, md: Markdown) -> None:
        md.ESCAPED_CHARS.append("$")
        md.inlinePatterns.register(_InlineMath(_MATH, md, self), "gradtrace-math", 185)
        md.parser.blockprocessors.register(_DisplayMath(md.parser, md, self), "gradtrace-math", 12)

    def render(self, md: Markdown, latex: str, display: bool) -> str:
        """A stash placeholder for the formula's MathML (its escaped source if it is bad)."""
        try:
            markup = to_mathml(latex, display=display)
        except MathError as error:
            if self.on_error is not None:
                self.on_error(str(error), latex)
            markup = f'<code class="gradtrace-bad-math">{_escape(latex)}</code>'
        placeholder: str = md.htmlStash.store(markup)
        return placeholder


class _InlineMath(InlineProcessor):  # type: ignore[misc]
    def __init__(self, pattern: str, md: Markdown, extension: MathExtension) -> None:
        super().__init__(pattern, md)
        self.extension = extension

    def handleMatch(self, m: re.Match[str], data: str) -> tuple[Any, int, int]:
        display = m.group("display") is not None
        latex = (m.group("display") if display else m.group("inline")).strip()
        return self.extension.render(self.md, latex, display), m.start(0), m.end(0)


class _DisplayMath(BlockProcessor):  # type: ignore[misc]
    """A paragraph that is one `$$…$$` formula becomes a (scrollable) block of its own."""

    RE = re.compile(r"^\s*\$\$(?P<latex>(?:(?!\$\$).)+)\$\$\s*$", re.S)

    def __init__(self, parser: Any, md: Markdown, extension: MathExtension) -> None:
        super().__init__(parser)
        self.md = md
        self.extension = extension

    def test(self, parent: etree.Element, block: str) -> bool:
        return bool(self.RE.match(block))

    def run(self, parent: etree.Element, blocks: list[str]) -> None:
        m = self.RE.match(blocks.pop(0))
        assert m is not None
        div = etree.SubElement(parent, "div", {"class": "gradtrace-math"})
        div.text = AtomicString(self.extension.render(self.md, m.group("latex").strip(), True))


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# -- fences -------------------------------------------------------------------------------------

_OPEN = re.compile(r"^(?P<indent>[ \t>]*)(?P<fence>`{3,}|~{3,})[ \t]*(?P<info>.*?)[ \t]*$")
_LANGUAGE = re.compile(rf"^(?:\{{[ \t]*)?\.?{FENCE_LANGUAGE}(?=[\s}}]|$)")
# A quoted value (kept as it is), or key=value without quotes (to be quoted).
_OPTION = re.compile(r"\"[^\"]*\"|'[^']*'|(?<=\s)([A-Za-z]\w*)=([^\s\"']\S*)")


@dataclass
class FenceScan:
    """What `scan_fences` found on a page.

    Attributes:
        starts: For each `gradtrace` block, (0-based line of its opening fence, its code).
        unclosed: The opening line of a `gradtrace` block that is never closed, if any.
        markdown: The page with `key=value` options on `gradtrace` fence lines quoted.
    """

    starts: list[tuple[int, str]] = field(default_factory=list)
    unclosed: int | None = None
    markdown: str = ""


def scan_fences(markdown: str) -> FenceScan:
    """Find the `gradtrace` blocks of a page, as superfences will see them.

    A fence closes at a line holding the same fence (same character, same length),
    so a ```` ```gradtrace ```` example shown inside a four-backtick block is code.
    """
    lines = markdown.split("\n")
    scan = FenceScan()
    i = 0
    while i < len(lines):
        m = _OPEN.match(lines[i])
        if not m or (m["fence"][0] == "`" and "`" in m["info"]):
            i += 1
            continue
        close = re.compile(rf"^[ \t>]*{re.escape(m['fence'])}[ \t]*$")
        end = next((j for j in range(i + 1, len(lines)) if close.match(lines[j])), None)
        if _LANGUAGE.match(m["info"]):
            if end is None:
                scan.unclosed = i
                break
            lines[i] = _OPTION.sub(_quoted, lines[i])
            indent = len(m["indent"])
            code = "\n".join(line[indent:] for line in lines[i + 1 : end])
            scan.starts.append((i, code))
        i = len(lines) if end is None else end + 1
    scan.markdown = "\n".join(lines)
    return scan


def _quoted(m: re.Match[str]) -> str:
    return m.group(0) if m.group(1) is None else f'{m.group(1)}="{m.group(2)}"'
