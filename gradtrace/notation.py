"""How gradtrace writes things down: numbers, operation symbols, node names, expressions.

Every exporter (figures, tables, the live demo) goes through this module, so a
number or an expression looks the same wherever it appears.

**Numbers (`format_number`).** Fixed decimals, `precision` of them (4 by default, as in
the original trace table): `0.2000`, `-0.4000`. Two ranges switch to scientific notation
with the same number of decimals: magnitudes of 10¹² and more (`1.0000e+12`), so a
figure box never grows to dozens of digits, and non-zero numbers that fixed decimals
would show as zero (`6.7e-07` is `6.7000e-07`, not `0.0000`), so a vanishing gradient
never reads as no gradient. Exactly zero is `0.0000`, and negative zero keeps its sign
(`-0.0000`). Non-finite values are written `nan`, `inf` and `-inf`. (Fixed decimals
are Python's `f"{x:.4f}"`, the others `f"{x:.4e}"`; the live demo's JavaScript matches
both.)

**Constants inside expressions (`format_constant`).** The shortest text that reads back
as the same float, without a trailing `.0`: `0.5`, `1`, `−1` (a true minus sign in
Unicode, `-1` in LaTeX).

**Names (`Naming`, `reference_name`).** A labelled node is written with its label. A
label of the form `"G = σ(z)"` names the node `G` when other expressions refer to it. An
unlabelled node that needs a name gets a generated one, `v₃` (`v` and its id), the same
number as its SVG id `v3`; a constant is written as its number. `Naming` is the one
rule, shared by every exporter and the live demo, for which nodes are named.

**Expressions (`expression`, `Naming`).** The trace table's Expression column: a node's
operation written in terms of the named nodes it reads, with small unlabelled
sub-expressions written out and pretty-printed (`x ** -1` as a fraction, `exp(−z)` as
`e⁻ᶻ`, `x ** 0.5` as a square root), as Unicode text or as LaTeX (math mode; uses
`\\frac`, `\\sqrt`, `\\operatorname` from amsmath). `Naming` decides, once per graph and
for every exporter, which nodes are named and which are written out (see its docs), so
an expression never holds more than `INLINE_OPERATIONS` written-out operations per
operand, and a sum of many terms shows `MAX_TERMS` of them around an ellipsis.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, TypeVar

from gradtrace.ops import ALIASES, OPERATIONS, exponent_of
from gradtrace.options import check_precision

if TYPE_CHECKING:
    from gradtrace.graph import Graph, Node

__all__ = [
    "INLINE_OPERATIONS",
    "MAX_TERMS",
    "OP_SYMBOLS",
    "Naming",
    "atom",
    "check_precision",
    "expression",
    "format_constant",
    "format_number",
    "latex_label",
    "latex_number",
    "op_symbol",
    "plain_text",
    "pretty_name",
    "reference_name",
    "superscript",
]

#: Display symbols of the engine's operations (figures draw these in the op circles), from
#: the operations registry (`gradtrace.ops`); a power by a number is drawn by `op_symbol`.
OP_SYMBOLS: dict[str, str] = {name: op.symbol for name, op in OPERATIONS.items() if name != "**n"}

_SCIENTIFIC_FROM = 1e12

_SUPERSCRIPTS = dict(
    zip(
        "0123456789+-−=()abcdefghijklmnoprstuvwxyzABDEGHIJKLMNOPRTUVWβγδθιφχ",
        "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁻⁼⁽⁾ᵃᵇᶜᵈᵉᶠᵍʰⁱʲᵏˡᵐⁿᵒᵖʳˢᵗᵘᵛʷˣʸᶻᴬᴮᴰᴱᴳᴴᴵᴶᴷᴸᴹᴺᴼᴾᴿᵀᵁⱽᵂᵝᵞᵟᶿᶥᵠᵡ",
        strict=True,
    )
)
_SUB_TO_ASCII = dict(
    zip("₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎ₐₑₒₓₔₕₖₗₘₙₚₛₜᵢⱼᵣᵤᵥ", "0123456789+-=()aeoxəhklmnpstijruv", strict=True)
)
_SUP_TO_ASCII = {v: k for k, v in _SUPERSCRIPTS.items() if k != "−"}
_DIGIT_SUBSCRIPTS = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")

_GREEK = dict(
    zip(
        "αβγδεζηθικλμνξπρστυφχψωΓΔΘΛΞΠΣΥΦΨΩϵϑϕ",
        [
            *("alpha", "beta", "gamma", "delta", "varepsilon", "zeta", "eta", "theta", "iota"),
            *("kappa", "lambda", "mu", "nu", "xi", "pi", "rho", "sigma", "tau", "upsilon"),
            *("phi", "chi", "psi", "omega", "Gamma", "Delta", "Theta", "Lambda", "Xi", "Pi"),
            *("Sigma", "Upsilon", "Phi", "Psi", "Omega", "epsilon", "vartheta", "varphi"),
        ],
        strict=True,
    )
)
_TEXT_LETTERS = ["ss", "ae", "AE", "oe", "OE", "o", "O", "l", "L"]
_LATEX_SYMBOLS = {
    "∂": r"\partial",
    "∇": r"\nabla",
    "·": r"\cdot",
    "⋅": r"\cdot",
    "×": r"\times",
    "÷": r"\div",
    "−": "-",
    "∞": r"\infty",
    "√": r"\surd",
    "ℓ": r"\ell",
    "ħ": r"\hbar",
    "±": r"\pm",
    "∓": r"\mp",
    "≤": r"\leq",
    "≥": r"\geq",
    "≠": r"\neq",
    "≈": r"\approx",
    "≡": r"\equiv",
    "∼": r"\sim",
    "∝": r"\propto",
    "→": r"\to",
    "←": r"\leftarrow",
    "↦": r"\mapsto",
    "∈": r"\in",
    "∑": r"\sum",
    "∏": r"\prod",
    "∫": r"\int",
    "∘": r"\circ",
    "∅": r"\emptyset",
    "⟨": r"\langle",
    "⟩": r"\rangle",
    "…": r"\ldots",
    "⋯": r"\cdots",
    "⁄": "/",
    "ı": r"\imath",
    "ȷ": r"\jmath",
    "ς": r"\varsigma",
    "ϖ": r"\varpi",
    "ϱ": r"\varrho",
    "ο": "o",
    **{g: rf"\mathrm{{{a}}}" for g, a in zip("ΑΒΕΖΗΙΚΜΝΟΡΤΧ", "ABEZHIKMNOPTX", strict=True)},
    # Letters that exist only as text-mode commands (\mbox works in math without amsmath).
    **{c: rf"\mbox{{\{cmd}}}" for c, cmd in zip("ßæÆœŒøØłŁ", _TEXT_LETTERS, strict=True)},
}
_LATEX_SPECIALS = {
    "\\": r"\backslash{}",
    "{": r"\{",
    "}": r"\}",
    "$": r"\$",
    "&": r"\&",
    "#": r"\#",
    "_": r"\_",
    "%": r"\%",
    "^": r"\hat{}",
    "~": r"\sim{}",
}
#: Combining accents with a math accent command (`ŷ` is `y` + U+0302 → `\hat{y}`).
_LATEX_ACCENTS = {
    "\u0300": r"\grave",
    "\u0301": r"\acute",
    "\u0302": r"\hat",
    "\u0303": r"\tilde",
    "\u0304": r"\bar",
    "\u0305": r"\bar",
    "\u0306": r"\breve",
    "\u0307": r"\dot",
    "\u0308": r"\ddot",
    "\u030a": r"\mathring",
    "\u030c": r"\check",
    "\u0332": r"\underline",
    "\u20d7": r"\vec",
}
_PRIMES = {"'": 1, "′": 1, "″": 2, "‴": 3}
#: Characters around which TeX spaces by itself (binary operators, relations): a label's
#: spaces next to them are dropped rather than written as `\ `.
_LATEX_SPACED = set("=+-−<>×·⋅÷±∓≤≥≠≈≡∼∝→←↦∈∘")


def format_number(x: float, precision: int = 4, style: str = "fixed") -> str:
    """Write a number the way every gradtrace figure and table does.

    Args:
        x: The number (any real; nan and ±inf are fine).
        precision: Digits after the decimal point (`"fixed"`, `"scientific"`), or
            significant figures (`"significant"`, at least 1).
        style: `"fixed"` (the default, described here), `"significant"`
            (`0.2000`, `123.5`, `1.235e+06`, `6.700e-07` with 4 figures: Python's
            `#g`, without a trailing point) or `"scientific"` (`2.0000e-01`).

    Returns:
        `"0.2000"`, `"-0.4000"`, `"-0.0000"` (negative zero keeps its sign),
        `"1.0000e+12"` (from 10¹² up), `"6.7000e-07"` (non-zero, but below
        what the decimals show), `"nan"`, `"inf"` or `"-inf"`.

    Example:
        >>> format_number(0.52996), format_number(-0.0), format_number(float("inf"))
        ('0.5300', '-0.0000', 'inf')
        >>> format_number(6.7e-7), format_number(0.00004), format_number(0.00005)
        ('6.7000e-07', '4.0000e-05', '0.0001')
    """
    x = float(x)
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    if style == "significant":
        text = f"{x:#.{max(precision, 1)}g}".replace(".e", "e")  # "1.e+02" → "1e+02"
        return text[:-1] if text.endswith(".") else text
    if style == "scientific" or abs(x) >= _SCIENTIFIC_FROM:
        return f"{x:.{precision}e}"
    text = f"{x:.{precision}f}"
    if x != 0 and not text.strip("-0."):  # a non-zero number must never read as zero
        return f"{x:.{precision}e}"
    return text


def format_constant(x: float, *, latex: bool = False) -> str:
    """A constant as it appears inside an expression: `0.5`, `1`, `−1`, `2.5e-08`."""
    x = float(x)
    if math.isnan(x):
        return r"\mathrm{nan}" if latex else "nan"
    if math.isinf(x):
        sign = "-" if x < 0 else ""
        return sign + (r"\infty" if latex else "∞")
    text = repr(x)
    if text.endswith(".0"):
        text = text[:-2]
    if latex:
        if "e" in text:
            mantissa, exponent = text.split("e")
            return rf"{mantissa} \times 10^{{{int(exponent)}}}"
        return text
    return text.replace("-", "−")


def op_symbol(op: str) -> str:
    """The symbol drawn for an operation: `×`, `+`, `(·)²`, `(·)⁻¹`, `exp`, `σ`, ...

    Powers by a number show their exponent on a placeholder dot, never on a
    letter that could be read as an input called x: `"**2"` → `(·)²`,
    `"**0.5"` → `√·`, `"**1.5"` → `(·)^1.5` (no superscript form); a power by
    a value is `pow`. An operation gradtrace does not know is drawn as its own
    name.
    """
    op = ALIASES.get(op, op)
    if op in OP_SYMBOLS:
        return OP_SYMBOLS[op]
    exponent = exponent_of(op)
    if exponent is not None:
        if exponent == 0.5:
            return "√·"
        text = format_constant(exponent)
        sup = superscript(text)
        return "(·)" + sup if sup is not None else "(·)^" + text
    return op


def superscript(text: str) -> str | None:
    """`text` in Unicode superscript letters (`"-z"` → `"⁻ᶻ"`), or None if one has none."""
    out = []
    for ch in text:
        sup = _SUPERSCRIPTS.get(ch)
        if sup is None:
            return None
        out.append(sup)
    return "".join(out)


_LINE_BREAK = re.compile("\r\n|[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]")


def plain_text(text: str, *, keep_newlines: bool = False) -> str:
    r"""`text` without control characters or line separators, which tables cannot hold.

    Every line break (`\r\n`, `\r`, `\v`, `\f`, `\x1c` to `\x1e`, `\x85`,
    U+2028, U+2029) becomes `\n` if `keep_newlines`, else a space; any other
    control character (tab, NUL, ...) becomes a space. What is not a character
    at all (a lone surrogate, which no file can hold, or a noncharacter such as
    U+FFFE, which XML and so Graphviz refuse) becomes U+FFFD, the replacement
    character `�`.
    """
    if text.isprintable():
        return text
    text = _LINE_BREAK.sub("\n" if keep_newlines else " ", text)
    return "".join(_plain_char(c) for c in text)


def _plain_char(c: str) -> str:
    kind = unicodedata.category(c)
    if kind == "Cc" and c != "\n":
        return " "
    if kind == "Cs" or (kind == "Cn" and _is_noncharacter(ord(c))):
        return "\ufffd"
    return c


def _is_noncharacter(code: int) -> bool:
    """U+FDD0 to U+FDEF and the last two code points of every plane (U+FFFE, U+1FFFF, ...)."""
    return 0xFDD0 <= code <= 0xFDEF or code & 0xFFFE == 0xFFFE


def reference_name(label: str) -> str:
    """The name other expressions use for a labelled node: `"G = σ(z)"` → `"G"`."""
    name, sep, _ = label.partition(" = ")
    return name if sep and name else label


def pretty_name(name: str) -> str:
    """A variable name as a label: digits right after a letter become subscripts.

    Example:
        >>> [pretty_name(n) for n in ("w1", "x_2", "w1x1", "loss", "h12", "xs[0]", "W1[2]")]
        ['w₁', 'x₂', 'w₁x₁', 'loss', 'h₁₂', 'xs[0]', 'W₁[2]']
    """
    out: list[str] = []
    i, n = 0, len(name)
    while i < n:
        ch = name[i]
        after_letter = i > 0 and name[i - 1].isalpha()
        if after_letter and (ch.isdigit() or (ch == "_" and name[i + 1 : i + 2].isdigit())):
            j = i + 1 if ch == "_" else i
            k = j
            while k < n and name[k].isdigit():
                k += 1
            out.append(name[j:k].translate(_DIGIT_SUBSCRIPTS))
            i = k
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def generated_name(node_id: int) -> str:
    """The name of an unlabelled node: `v` with its id as a subscript (`v₃`)."""
    return "v" + str(node_id).translate(_DIGIT_SUBSCRIPTS)


def latex_label(text: str) -> str:
    """A label as LaTeX math that compiles with pdflatex and lualatex alike.

    `"w₁²"` → `"w_{1}^{2}"`, `"σ"` → `"\\sigma"`, `"ŷ"` → `"\\hat{y}"`, `"ℓ"` → `"\\ell"`.

    - Unicode sub- and superscripts become `_{...}` and `^{...}` (a second
      script of the same kind gets an empty base, `x^{2}{}^{3}`, so it never
      makes a "double superscript" error); primes stay primes.
    - Greek letters and common math symbols (`∂ ∇ · × ≤ → ∞ ℓ ħ ...`) become their
      commands; combining accents (precomposed or not: `ŷ`, `x̄`, `é`, `v⃗`) become
      `\\hat`, `\\bar`, `\\acute`, `\\vec`, ...; compatibility forms are folded
      (`𝑥` → `x`, `ﬁ` → `fi`, a no-break space → a space).
    - Runs of two or more Latin letters become `\\mathit{...}` (so `loss` is one
      word, not a product); spaces become `\\ ` except next to an operator or a
      relation (`G = σ(z)` keeps TeX's own spacing).
    - LaTeX's specials `\\ { } $ & # _ % ^ ~` are escaped; control characters
      and line breaks become spaces; invisible formatting characters (zero-width
      joiners, variation selectors) are dropped.
    - Any other character (CJK, emoji, ...) has no form that both engines can
      typeset with their default fonts, so it is written as its code point,
      `⟨U+4E2D⟩` (`\\langle\\mathrm{U{+}4E2D}\\rangle`): visible, unambiguous, and it
      compiles everywhere. Give such a value an ASCII or Greek label for a nicer figure.

    Only base LaTeX is needed (no amsmath, no inputenc, no fontspec).
    """
    writer = _LatexMath()
    chars = _latex_chars(plain_text(text).strip())
    i, n = 0, len(chars)

    def run_end(inside: Callable[[str], bool]) -> int:
        j = i
        while j < n and inside(chars[j]):
            j += 1
        return j

    while i < n:
        ch = chars[i]
        j = i + 1
        if ch in _SUB_TO_ASCII or ch in _SUP_TO_ASCII:
            table = _SUB_TO_ASCII if ch in _SUB_TO_ASCII else _SUP_TO_ASCII
            j = run_end(table.__contains__)
            inner = _LatexMath()
            for c in chars[i:j]:
                inner.symbol(_latex_symbol(table[c]))
            writer.script("_" if table is _SUB_TO_ASCII else "^", inner.text())
        elif ch in _PRIMES:
            j = run_end(_PRIMES.__contains__)
            writer.primes(sum(_PRIMES[c] for c in chars[i:j]))
        elif ch.isspace():
            j = run_end(str.isspace)
            writer.space(j - i)
        elif ch.isascii() and ch.isalpha():
            j = run_end(lambda c: c.isascii() and c.isalpha())
            if j < n and unicodedata.combining(chars[j]) and j - i > 1:
                j -= 1  # the accent belongs to the last letter alone
            word = "".join(chars[i:j])
            writer.symbol(word if len(word) == 1 else r"\mathit{" + word + "}")
        elif unicodedata.combining(ch):
            writer.accent(_LATEX_ACCENTS.get(ch), ch)
        else:
            writer.symbol(_latex_symbol(ch), spaced=ch in _LATEX_SPACED)
        i = j
    return writer.text() or "{}"


def latex_number(x: float, precision: int = 4, style: str = "fixed") -> str:
    """A number as LaTeX math (no `$`): `format_number`'s text, with `\\infty`, `\\mathrm{nan}`
    and `1.0000 \\times 10^{12}` for its non-finite and scientific forms."""
    text = format_number(x, precision, style)
    if text == "nan":
        return r"\mathrm{nan}"
    if text.endswith("inf"):
        return text.replace("inf", r"\infty")
    if "e" in text:
        mantissa, exponent = text.split("e")
        return rf"{mantissa} \times 10^{{{int(exponent)}}}"
    return text


def _latex_chars(text: str, depth: int = 0) -> list[str]:
    """`text` as characters `latex_label` knows, as far as Unicode normalisation gets it there.

    A character with no entry of its own is decomposed (`ŷ` → `y` + U+0302) when
    that gives a base and combining marks, else folded to its compatibility form
    (`𝑥` → `x`); invisible format characters and variation selectors are dropped.
    """
    out: list[str] = []
    for ch in text:
        if ch.isascii() or ch in _GREEK or ch in _LATEX_SYMBOLS or _known_script(ch):
            out.append(ch)
        elif unicodedata.category(ch) == "Cf" or "\ufe00" <= ch <= "\ufe0f":
            continue
        elif ch in _PRIMES or ch in _LATEX_ACCENTS or depth > 2:
            out.append(ch)
        else:
            nfd = unicodedata.normalize("NFD", ch)
            if len(nfd) > 1 and all(unicodedata.combining(c) for c in nfd[1:]):
                out.extend(_latex_chars(nfd[0], depth + 1) + list(nfd[1:]))
                continue
            nfkc = unicodedata.normalize("NFKC", ch)
            out.extend(_latex_chars(nfkc, depth + 1) if nfkc != ch else [ch])
    return out


def _known_script(ch: str) -> bool:
    return ch in _SUB_TO_ASCII or ch in _SUP_TO_ASCII


def _latex_symbol(ch: str) -> str:
    """One character (not a Latin letter, script or accent) as LaTeX math."""
    if ch in _GREEK:
        return "\\" + _GREEK[ch]
    if ch in _LATEX_SYMBOLS:
        return _LATEX_SYMBOLS[ch]
    if ch in _LATEX_SPECIALS:
        return _LATEX_SPECIALS[ch]
    if ch.isascii() and ch.isprintable():
        return ch
    return rf"\langle\mathrm{{U{{+}}{ord(ch):04X}}}\rangle"


class _LatexMath:
    """Joins the pieces of a math-mode label, keeping sub/superscripts and spaces valid."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.scripts = ""  # the scripts ("_", "^") the current base already carries
        self.after_primes = False
        self.accentable = False  # the last part is one symbol an accent can sit on
        self.pending_space = 0
        self.last_spaced = True  # the last part is an operator (or nothing yet)

    def emit(self, text: str) -> None:
        if self.parts and re.search(r"\\[A-Za-z]+$", self.parts[-1]) and text[:1].isalpha():
            self.parts.append(" ")  # "\sigma x", not "\sigmax"
        self.parts.append(text)

    def symbol(self, text: str, *, spaced: bool = False) -> None:
        if self.pending_space:  # TeX spaces operators itself; a plain space is ignored
            self.emit(" " if spaced or self.last_spaced else r"\ " * self.pending_space)
        self.pending_space = 0
        self.emit(text)
        self.scripts, self.after_primes = "", False
        self.accentable, self.last_spaced = not spaced, spaced

    def space(self, count: int) -> None:
        self.pending_space += count

    def script(self, mark: str, inner: str) -> None:
        self.flush_space()
        if mark in self.scripts and not (mark == "^" and self.after_primes):
            self.parts.append("{}")
            self.scripts = ""
        self.parts.append(f"{mark}{{{inner}}}")
        self.scripts += mark
        self.after_primes = self.accentable = False

    def primes(self, count: int) -> None:
        self.flush_space()
        if "^" in self.scripts:
            self.parts.append("{}")
            self.scripts = ""
        self.parts.append("'" * count)
        self.scripts += "^"
        self.after_primes, self.accentable = True, False

    def accent(self, command: str | None, mark: str) -> None:
        if command is None or not self.accentable or self.pending_space:
            self.symbol(_latex_symbol(mark))
            return
        base = {"i": r"\imath", "j": r"\jmath"}.get(self.parts[-1], self.parts[-1])
        self.parts[-1] = f"{command}{{{base}}}"

    def flush_space(self) -> None:
        """Spaces before a script are kept (the script then has an empty base)."""
        if self.pending_space:
            self.emit(r"\ " * self.pending_space)
            self.pending_space = 0
            self.scripts, self.last_spaced = "", False

    def text(self) -> str:
        return "".join(self.parts)


# -- expressions ---------------------------------------------------------------

# Precedence of the outermost operation of a piece of text.
_ADD, _MUL, _NEG, _POW, _ATOM = 1, 2, 3, 4, 5

_Piece = tuple[str, int]


def expression(
    graph: Graph,
    node_id: int,
    *,
    latex: bool = False,
    named: Callable[[Node], bool] | None = None,
) -> str:
    """The Expression column of a trace table for one node.

    Args:
        graph: The traced graph.
        node_id: The node to describe.
        latex: LaTeX math instead of Unicode text.
        named: Which nodes are referred to by name rather than inlined
            (default: `Naming`'s rule). Pass `lambda n: True` to write every
            node in terms of its direct children.

    Returns:
        `"input"`, `"parameter"` or `"constant"` for a leaf; otherwise e.g.
        `"w₁ × x₁"`, `"1/(1 + e⁻ᶻ)"` (LaTeX: `"\\frac{1}{1 + e^{-z}}"`).
    """
    if named is None:
        return Naming(graph).expression(node_id, latex=latex)
    node = graph.nodes[node_id]
    if node.is_leaf:
        return _LEAF_WORDS.get(node.role, "input")
    return _Writer(graph, latex, named).operation(node)[0]


_LEAF_WORDS = {"parameter": "parameter", "constant": "constant"}

#: An unlabelled operation is written out inside the expression of the one value that uses
#: it when what would be written out holds at most this many operations (an n-ary sum or dot
#: product of n terms counts n − 1); otherwise it is named (`v₇`) and gets a row of its own.
INLINE_OPERATIONS = 3

#: Sums and dot products with more terms than this are written with an ellipsis:
#: `a + b + c + … + y + z`.
MAX_TERMS = 6


class Naming:
    """How every node of one graph is called: the one rule all exporters and the widget share.

    A node is **named** when it is labelled (`w₁`; a label `"G = σ(z)"` is
    referred to as `G`), an output, a leaf other than a constant, or an
    unlabelled operation that is used more than once or would make its user's
    expression long (more than `INLINE_OPERATIONS` operations written out).
    An unlabelled output, when it is the graph's only one, is called `f` (unless a
    value is labelled f); any other unlabelled named node gets a generated name, `v`
    and its id (`v₇`, the same number as its SVG id `v7`). Every named node is defined where it is
    used: it has its own row in a trace table and its name on its box in a
    figure. Every other operation is **inlined**: written out inside the
    expression of the one value that uses it (`tanh(x × 2)`), so it needs no
    name. A constant is written as its number.

    With `all_named=True` every node is named (a table with a row per node).

    Example:
        >>> from gradtrace import Value, trace
        >>> x = Value(0.5, "x")
        >>> f = (x * 2).tanh() + Value(1.0)
        >>> naming = Naming(trace(f))
        >>> [naming.name(n.id) for n in naming.graph]
        ['x', '2', 'x × 2', 'tanh(x × 2)', 'v₄', 'f']
        >>> naming.expression(5)
        'tanh(x × 2) + v₄'
    """

    def __init__(self, graph: Graph, *, all_named: bool = False) -> None:
        self.graph = graph
        nodes = graph.nodes
        uses = [0] * len(nodes)
        for node in nodes:
            for c in node.children:
                uses[c] += 1
        roots = set(graph.roots)
        named = [True] * len(nodes)
        weight = [0] * len(nodes)  # operations written out if the node is inlined
        if not all_named:
            for node in nodes:
                if node.label or not node.children or node.id in roots or uses[node.id] != 1:
                    continue
                w = max(1, len(node.children) - 1) + sum(
                    weight[c] for c in node.children if not named[c]
                )
                if w <= INLINE_OPERATIONS:
                    named[node.id] = False
                    weight[node.id] = w
            for node in nodes:  # constants are written as their number, never named
                if node.op == "const" and not node.label:
                    named[node.id] = False
        self.named: tuple[bool, ...] = tuple(named)
        self._names: dict[int, str] = {}
        # The one output, unlabelled, is f (as in the gradient header ∂f/∂·) unless a
        # value is already called f; other unlabelled named values are v and their id.
        taken = any(n.label and reference_name(n.label) == "f" for n in nodes)
        single = len(graph.roots) == 1 and not nodes[graph.roots[0]].label and not taken
        self.output: int | None = graph.roots[0] if single else None

    def is_named(self, node_id: int) -> bool:
        """True if the node is referred to by name (and so defined in every output)."""
        return self.named[node_id]

    def title(self, node_id: int) -> str:
        """A named node's full name: its label as written (`G = σ(z)`) or `v₇`."""
        node = self.graph.nodes[node_id]
        if node.label:
            return node.label
        if node.op == "const":
            return format_constant(node.data)
        return "f" if node_id == self.output else generated_name(node_id)

    def name(self, node_id: int) -> str:
        """How other text refers to the node: its name, its number, or its inlined expression."""
        text = self._names.get(node_id)
        if text is None:
            node = self.graph.nodes[node_id]
            if self.named[node_id]:
                text = reference_name(node.label) if node.label else self.title(node_id)
            elif node.op == "const" and not node.label:
                text = format_constant(node.data)
            else:
                text = self.expression(node_id)
            self._names[node_id] = text
        return text

    def expression(self, node_id: int, *, latex: bool = False) -> str:
        """The node's Expression cell: its operation in terms of named operands."""
        return expression(self.graph, node_id, latex=latex, named=self._is_named)

    def _is_named(self, node: Node) -> bool:
        return self.named[node.id]

    def rows(self) -> list[int]:
        """The nodes a trace table lists: every named node but constants, in graph order."""
        nodes = self.graph.nodes
        return [i for i, named in enumerate(self.named) if named and nodes[i].role != "constant"]


class _Writer:
    """Writes nodes as text, referring to named nodes by name and writing out the rest."""

    def __init__(self, graph: Graph, latex: bool, named: Callable[[Node], bool]) -> None:
        self.graph = graph
        self.latex = latex
        self.named = named

    # A reference to a child: a name, a number, or the inlined sub-expression.
    def operand(self, node_id: int) -> _Piece:
        node = self.graph.nodes[node_id]
        if node.op == "const" and not node.label:
            text = format_constant(node.data, latex=self.latex)
            return text, (_NEG if text.startswith(("-", "−")) else _ATOM)
        if node.is_leaf or self.named(node):
            name = reference_name(node.label) if node.label else generated_name(node.id)
            return (latex_label(name) if self.latex else name), _ATOM
        return self.operation(node)

    def wrap(self, piece: _Piece, at_least: int) -> str:
        text, prec = piece
        if prec >= at_least:
            return text
        return rf"\left({text}\right)" if self.latex else f"({text})"

    def operation(self, node: Node) -> _Piece:
        op = ALIASES.get(node.op, node.op)
        kids = node.children
        form = _EXPRESSION_FORMS.get("**n" if exponent_of(op) is not None else op)
        piece = form(self, op, kids) if form is not None else None
        if piece is not None:
            return piece
        # An operation gradtrace does not know (or an unusual arity): a function call.
        args = ", ".join(self.operand(k)[0] for k in kids)
        if self.latex:
            return rf"\operatorname{{{latex_label(op)}}}\left({args}\right)", _ATOM
        return f"{op}({args})", _ATOM

    # The forms of `_EXPRESSION_FORMS`: (op, children) → the written piece, or None if the
    # operation has an arity its form does not expect.

    def add(self, op: str, kids: Sequence[int]) -> _Piece:
        if not kids:
            return "0", _ATOM
        parts = [self.wrap(self.operand(k), _ADD) for k in _shown_terms(kids)]
        return self.terms(parts, len(kids)), _ADD

    def subtract(self, op: str, kids: Sequence[int]) -> _Piece | None:
        if len(kids) != 2:
            return None
        left = self.wrap(self.operand(kids[0]), _ADD)
        right = self.wrap(self.operand(kids[1]), _MUL)
        return f"{left} {'-' if self.latex else '−'} {right}", _ADD

    def multiply(self, op: str, kids: Sequence[int]) -> _Piece | None:
        if len(kids) != 2:
            return None
        for this, other in ((kids[1], kids[0]), (kids[0], kids[1])):
            c = self.graph.nodes[this]
            if c.op == "const" and c.data == -1.0:
                return self.negate(self.operand(other))
        left = self.wrap(self.operand(kids[0]), _MUL)
        right = self.wrap(self.operand(kids[1]), _NEG)
        return f"{left}{self.times}{right}", _MUL

    def dot(self, op: str, kids: Sequence[int]) -> _Piece:
        if not kids:
            return "0", _ATOM
        pairs = []
        products = list(zip(kids[::2], kids[1::2], strict=False))
        for a, b in _shown_terms(products):
            left = self.wrap(self.operand(a), _MUL)
            right = self.wrap(self.operand(b), _NEG)
            pairs.append(f"{left}{self.times}{right}")
        return self.terms(pairs, len(products)), (_ADD if len(pairs) > 1 else _MUL)

    def divide(self, op: str, kids: Sequence[int]) -> _Piece | None:
        if len(kids) != 2:
            return None
        return self.fraction(self.operand(kids[0]), self.operand(kids[1]))

    def minus(self, op: str, kids: Sequence[int]) -> _Piece | None:
        return self.negate(self.operand(kids[0])) if len(kids) == 1 else None

    def power_of_value(self, op: str, kids: Sequence[int]) -> _Piece | None:
        if len(kids) != 2:
            return None
        return self.power(self.operand(kids[0]), self.operand(kids[1]))

    def power_of_number(self, op: str, kids: Sequence[int]) -> _Piece | None:
        exponent = exponent_of(op)
        if exponent is None or len(kids) != 1:
            return None
        return self.number_power(self.operand(kids[0]), exponent)

    def exp(self, op: str, kids: Sequence[int]) -> _Piece | None:
        if len(kids) != 1:
            return None
        arg = self.operand(kids[0])
        if self.latex:
            return f"e^{{{arg[0]}}}", _POW
        sup = superscript(arg[0])
        return ("e" + sup, _POW) if sup is not None else (f"exp({arg[0]})", _ATOM)

    @property
    def times(self) -> str:
        return r" \cdot " if self.latex else " × "

    def terms(self, parts: list[str], count: int) -> str:
        """Terms joined by `+`, the middle ones left out (`…`) when there are many."""
        if count > len(parts):
            gap = r"\dots" if self.latex else "…"
            parts = [*parts[:_HEAD_TERMS], gap, *parts[_HEAD_TERMS:]]
        return " + ".join(parts)

    def negate(self, arg: _Piece) -> _Piece:
        sign = "-" if self.latex else "−"
        text = self.wrap(arg, _POW) if arg[1] == _NEG else self.wrap(arg, _MUL)
        return sign + text, _NEG

    def fraction(self, num: _Piece, den: _Piece) -> _Piece:
        if self.latex:
            return rf"\frac{{{num[0]}}}{{{den[0]}}}", _ATOM
        return f"{self.wrap(num, _POW)}/{self.wrap(den, _POW)}", _MUL

    def power(self, base: _Piece, exponent: _Piece) -> _Piece:
        b = self.wrap(base, _ATOM)
        if self.latex:
            return f"{b}^{{{exponent[0]}}}", _POW
        sup = superscript(exponent[0])
        return (b + sup if sup is not None else f"{b}^{self.wrap(exponent, _ATOM)}"), _POW

    def number_power(self, base: _Piece, n: float) -> _Piece:
        if n == -1:
            return self.fraction(("1", _ATOM), base)
        if n == 0.5:
            if self.latex:
                return rf"\sqrt{{{base[0]}}}", _ATOM
            return "√" + self.wrap(base, _ATOM), _POW
        text = format_constant(n, latex=self.latex)
        return self.power(base, (text, _ATOM))


_Form = Callable[[_Writer, str, Sequence[int]], _Piece | None]


def _call(name: str, latex_name: str) -> _Form:
    """The form of an operation written as a function of one operand: `ln(x)`, `σ(z)`."""

    def form(writer: _Writer, op: str, kids: Sequence[int]) -> _Piece | None:
        if len(kids) != 1:
            return None
        arg = writer.operand(kids[0])[0]
        if writer.latex:
            return rf"{latex_name}\left({arg}\right)", _ATOM
        return f"{name}({arg})", _ATOM

    return form


#: How an expression writes each operation of the registry (`gradtrace.ops.OPERATIONS`,
#: which a test ties to this table: an operation without a form fails it).
_EXPRESSION_FORMS: dict[str, _Form] = {
    "+": _Writer.add,
    "-": _Writer.subtract,
    "*": _Writer.multiply,
    "/": _Writer.divide,
    "neg": _Writer.minus,
    "**": _Writer.power_of_value,
    "**n": _Writer.power_of_number,
    "exp": _Writer.exp,
    "log": _call("ln", r"\ln"),
    "relu": _call("relu", r"\operatorname{relu}"),
    "tanh": _call("tanh", r"\tanh"),
    "sigmoid": _call("σ", r"\sigma"),
    "sum": _Writer.add,
    "dot": _Writer.dot,
}

_HEAD_TERMS = MAX_TERMS - 2  # terms shown before the ellipsis; two more after it

_T = TypeVar("_T")


def _shown_terms(terms: Sequence[_T]) -> Sequence[_T]:
    """The terms a long sum shows: all of them, or the first few and the last two."""
    if len(terms) <= MAX_TERMS:
        return terms
    return [*terms[:_HEAD_TERMS], *terms[-2:]]


_FUNCTION_CALL = re.compile(r"[^\W\d_][\w₀-₉]*\(.*\)")


def atom(name: str, *, latex: bool = False) -> str:
    """`name` as one factor: as it is if it reads as one symbol, else in parentheses.

    One symbol is a letter with sub- and superscripts (`x₁`, `w₁²`, `e⁻ᶻ`, `v₇`), a
    function call (`σ(z)`, `tanh(x × 2)`) or a number that is not negative (`0.5`).
    Anything else (`w₁x₁`, `1 + e⁻ᶻ`, `−1`, `loss`) is wrapped: `∂f/∂(w₁x₁)`.

    Example:
        >>> [atom(s) for s in ("x₁", "e⁻ᶻ", "σ(z)", "w₁x₁", "1 + e⁻ᶻ", "0.5", "−1")]
        ['x₁', 'e⁻ᶻ', 'σ(z)', '(w₁x₁)', '(1 + e⁻ᶻ)', '0.5', '(−1)']
    """
    if latex:
        simple = re.fullmatch(r"\\?[A-Za-z]+(_\{[^{}]*\})?(\^\{[^{}]*\})?|[0-9.]+", name)
        if simple and (name.startswith("\\") or len(re.sub(r"[_^]\{.*", "", name)) == 1):
            return name
        if re.fullmatch(r"[0-9.]+", name):
            return name
        call = re.fullmatch(r"\\[A-Za-z]+(\{[A-Za-z]*\})?\\left\((.*)\\right\)", name)
        if call and _balanced_call(name.replace(r"\left(", "(").replace(r"\right)", ")")):
            return name
        return rf"\left({name}\right)"
    if re.fullmatch(r"[0-9.]+(e[+-]?\d+)?", name):
        return name
    head, rest = name[:1], name[1:]
    if head.isalpha() and all(c in _SUB_TO_ASCII or c in _SUP_TO_ASCII for c in rest):
        return name
    if _FUNCTION_CALL.fullmatch(name) and _balanced_call(name):
        return name
    return f"({name})"


def _balanced_call(name: str) -> bool:
    """True if the first `(` of `name` closes at its very end (`σ(z)`, not `f(a) + g(b)`)."""
    depth = 0
    start = name.index("(")
    for i, ch in enumerate(name[start:], start):
        depth += ch == "("
        depth -= ch == ")"
        if depth == 0:
            return i == len(name) - 1
    return False
