"""Reading a page's Markdown: `gradtrace` fences, `<!-- gradtrace: name -->` markers and `$math$`.

Pure text functions with no mkdocs in them, so they are easy to test. Fences
follow CommonMark's rules: a block opened with N backticks (or tildes) closes
only at a line of at least N of the same character, so a ```` ```gradtrace ````
example shown *inside* a four-backtick block is left alone.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from gradtrace.errors import GradtraceError

__all__ = [
    "Fence",
    "FenceSyntaxError",
    "Marker",
    "find_fences",
    "find_markers",
    "parse_options",
    "replace_math",
]

FENCE_LANGUAGE = "gradtrace"

_OPEN = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})(?P<info>.*)$")
_MARKER = re.compile(r"^(?P<indent>[ \t]*)<!--\s*gradtrace:\s*(?P<name>[\w.-]+)\s*-->\s*$")


class FenceSyntaxError(GradtraceError, ValueError):
    """A `gradtrace` fence that cannot be read (unclosed, or a malformed option).

    Attributes:
        line: The 0-based line of the fence at fault, when known.
        fences: For an unclosed fence, the well-formed fences before it (an unclosed
            fence runs to the end of the page, so there are none after it).
    """

    def __init__(
        self, message: str, *, line: int | None = None, fences: Sequence[Fence] = ()
    ) -> None:
        super().__init__(message)
        self.line = line
        self.fences = list(fences)


@dataclass(frozen=True)
class Fence:
    """One ```` ```gradtrace ```` block of a page.

    Attributes:
        start: Index of the opening line (0-based).
        end: Index of the line after the closing fence.
        indent: The whitespace before the opening fence (inside a list or admonition).
        info: The rest of the opening line after `gradtrace` (the options).
        code: The block's Python source, with the indent removed.
    """

    start: int
    end: int
    indent: str
    info: str
    code: str


@dataclass(frozen=True)
class Marker:
    """One `<!-- gradtrace: name -->` line: where a generated snippet goes."""

    line: int
    indent: str
    name: str


def _code_regions(lines: list[str]) -> list[tuple[int, int, str, str, str]]:
    """Every fenced code block as (start, end, indent, language, info-rest)."""
    regions: list[tuple[int, int, str, str, str]] = []
    i = 0
    while i < len(lines):
        m = _OPEN.match(lines[i])
        fence = m.group("fence") if m else ""
        if not m or (fence[0] == "`" and "`" in m.group("info")):
            i += 1
            continue
        info = m.group("info").strip()
        language, _, rest = info.partition(" ")
        close = re.compile(rf"^[ \t]*{re.escape(fence[0])}{{{len(fence)},}}[ \t]*$")
        j = i + 1
        while j < len(lines) and not close.match(lines[j]):
            j += 1
        regions.append((i, j + 1, m.group("indent"), language, rest.strip()))
        i = j + 1
    return regions


def find_fences(markdown: str) -> list[Fence]:
    """The `gradtrace` fences of `markdown`, in page order.

    Raises:
        FenceSyntaxError: A `gradtrace` fence is never closed (the error carries its
            line and the fences found before it).
    """
    lines = markdown.split("\n")
    fences: list[Fence] = []
    for start, end, indent, language, rest in _code_regions(lines):
        if language.strip("{}.") != FENCE_LANGUAGE:
            continue
        if end > len(lines):
            raise FenceSyntaxError(
                "the gradtrace block is never closed, so it and the rest of the page are shown "
                "as code; end it with a line of backticks",
                line=start,
                fences=fences,
            )
        body = [_dedent(line, indent) for line in lines[start + 1 : end - 1]]
        fences.append(Fence(start, end, indent, rest, "\n".join(body) + "\n"))
    return fences


def find_markers(markdown: str) -> list[Marker]:
    """The `<!-- gradtrace: name -->` lines outside code blocks, in page order."""
    lines = markdown.split("\n")
    inside = _inside_code(lines)
    markers = []
    for i, line in enumerate(lines):
        m = _MARKER.match(line)
        if m and not inside[i]:
            markers.append(Marker(i, m.group("indent"), m.group("name")))
    return markers


def parse_options(info: str) -> dict[str, str]:
    """`key=value` options of a fence line (values may be quoted): `root=f table=true`.

    Raises:
        FenceSyntaxError: A word is not `key=value`, or a quote is unbalanced.
    """
    try:
        words = shlex.split(info)
    except ValueError as error:
        raise FenceSyntaxError(f"cannot read the options {info!r}: {error}") from None
    options: dict[str, str] = {}
    for word in words:
        key, eq, value = word.partition("=")
        if not eq or not key:
            raise FenceSyntaxError(f"option {word!r} is not key=value (for example table=true)")
        options[key] = value
    return options


def _dedent(line: str, indent: str) -> str:
    return line[len(indent) :] if line.startswith(indent) else line.lstrip(" \t")


def _inside_code(lines: list[str]) -> list[bool]:
    inside = [False] * len(lines)
    for start, end, *_ in _code_regions(lines):
        for i in range(start, min(end, len(lines))):
            inside[i] = True
    return inside


# -- math -----------------------------------------------------------------------

_DISPLAY = re.compile(r"\$\$(.+?)\$\$", re.S)
# $x$: no space just inside the dollars, and not followed by a digit (so "$5 and $6" is text).
_INLINE = re.compile(r"(?<![\\$])\$(?=[^\s$])(.+?)(?<=[^\s\\$])\$(?![\d$])", re.S)
_CODE_SPAN = re.compile(r"(`+)(?:.+?)(?<!`)\1(?!`)", re.S)


def replace_math(markdown: str, render: Callable[[str, bool, int], str]) -> str:
    """Replace `$…$` and `$$…$$` outside code by `render(latex, display, line)`.

    `line` is the 0-based line where the formula starts. Code blocks, inline
    code and `\\$` are left alone (`\\$` becomes a plain `$`).
    """
    lines = markdown.split("\n")
    inside = _inside_code(lines)
    out: list[str] = []
    chunk: list[str] = []
    chunk_start = 0
    for i, line in enumerate([*lines, ""]):
        is_code = i < len(lines) and inside[i]
        if i == len(lines) or is_code:
            if chunk:
                out.append(_math_in_text("\n".join(chunk), chunk_start, render))
                chunk = []
            if is_code:
                out.append(line)
        else:
            if not chunk:
                chunk_start = i
            chunk.append(line)
    return "\n".join(out)


def _math_in_text(text: str, first_line: int, render: Callable[[str, bool, int], str]) -> str:
    """Math in a stretch of text that holds no fenced code (inline code spans are kept)."""
    pieces: list[str] = []
    pos = 0
    for span in _CODE_SPAN.finditer(text):
        pieces.append(_math_outside_spans(text[pos : span.start()], first_line, text, pos, render))
        pieces.append(span.group(0))
        pos = span.end()
    pieces.append(_math_outside_spans(text[pos:], first_line, text, pos, render))
    return "".join(pieces)


def _math_outside_spans(
    part: str, first_line: int, whole: str, offset: int, render: Callable[[str, bool, int], str]
) -> str:
    def line_of(index: int) -> int:
        return first_line + whole.count("\n", 0, offset + index)

    def inline(segment: str, base: int) -> str:
        def one(m: re.Match[str]) -> str:
            return render(m.group(1), False, line_of(base + m.start()))

        return _INLINE.sub(one, segment)

    result: list[str] = []
    pos = 0
    for m in _DISPLAY.finditer(part):
        result.append(inline(part[pos : m.start()], pos))
        result.append(render(m.group(1).strip(), True, line_of(m.start())))
        pos = m.end()
    result.append(inline(part[pos:], pos))
    return "".join(result).replace("\\$", "$")
