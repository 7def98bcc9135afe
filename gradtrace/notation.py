"""How gradtrace writes things down: numbers, operation symbols, node names, expressions.

Every exporter (figures, tables, the live demo) goes through this module, so a
number or an expression looks the same wherever it appears.

**Numbers (`format_number`).** Fixed decimals, `precision` of them (4 by default, as in
the original trace table): `0.2000`, `-0.4000`. Magnitudes of 10¹² and more switch to
scientific notation with the same number of decimals (`1.0000e+12`), so a figure box
never grows to dozens of digits. Non-finite values are written `nan`, `inf` and `-inf`.
The sign of a negative number is kept even when it rounds to zero, and negative zero
keeps its sign too: `-0.0` and `-0.00001` both print as `-0.0000`, telling the reader
which side of zero they are on. (This is exactly Python's `f"{x:.4f}"`; the live demo's
JavaScript matches it.)

**Constants inside expressions (`format_constant`).** The shortest text that reads back
as the same float, without a trailing `.0`: `0.5`, `1`, `−1` (a true minus sign in
Unicode, `-1` in LaTeX).

**Names (`node_name`, `reference_name`).** A labelled node is written with its label. A
label of the form `"G = σ(z)"` names the node `G` when other expressions refer to it. An
unlabelled node gets a generated name `v₃` (`v` and its id), the same number as its SVG
id `v3`; a constant is written as its number.

**Expressions (`expression`).** The trace table's Expression column: a node's operation
written in terms of the labelled nodes it reads, with unlabelled sub-expressions inlined
and pretty-printed (`x ** -1` as a fraction, `exp(−z)` as `e⁻ᶻ`, `x ** 0.5` as a square
root), as Unicode text or as LaTeX (math mode; uses `\\frac`, `\\sqrt`, `\\operatorname`
from amsmath). Very large unlabelled sub-expressions are cut off after `MAX_INLINE`
operations and referred to by their generated names instead.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gradtrace.graph import Graph, Node

__all__ = [
    "MAX_INLINE",
    "OP_SYMBOLS",
    "expression",
    "format_constant",
    "format_number",
    "latex_label",
    "node_name",
    "op_symbol",
    "plain_text",
    "reference_name",
    "superscript",
]

#: Display symbols of the engine's operations (figures draw these in the op circles).
OP_SYMBOLS: dict[str, str] = {
    "+": "+",
    "-": "−",
    "*": "×",
    "/": "÷",
    "neg": "−",
    "**": "xʸ",
    "exp": "exp",
    "log": "log",
    "relu": "relu",
    "tanh": "tanh",
    "sigmoid": "σ",
    "sum": "Σ",
    "dot": "·",
}

#: Operation names other autograd engines use for the same thing (micrograd's `"ReLU"`).
OP_ALIASES: dict[str, str] = {"ReLU": "relu", "Relu": "relu", "σ": "sigmoid"}

#: At most this many unlabelled operations are inlined into one expression.
MAX_INLINE = 40

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
_LATEX_SYMBOLS = {
    "∂": r"\partial",
    "∇": r"\nabla",
    "·": r"\cdot",
    "×": r"\times",
    "÷": r"\div",
    "−": "-",
    "∞": r"\infty",
    "√": r"\surd",
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
    "\n": " ",
    "\r": " ",
    "\t": " ",
}


def format_number(x: float, precision: int = 4) -> str:
    """Write a number the way every gradtrace figure and table does.

    Args:
        x: The number (any real; nan and ±inf are fine).
        precision: Digits after the decimal point.

    Returns:
        `"0.2000"`, `"-0.4000"`, `"-0.0000"` (negative zero keeps its sign),
        `"1.0000e+12"` (from 10¹² up), `"nan"`, `"inf"` or `"-inf"`.

    Example:
        >>> format_number(0.52996), format_number(-0.0), format_number(float("inf"))
        ('0.5300', '-0.0000', 'inf')
    """
    x = float(x)
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    if abs(x) >= _SCIENTIFIC_FROM:
        return f"{x:.{precision}e}"
    return f"{x:.{precision}f}"


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
    """The symbol drawn for an operation: `×`, `+`, `x²`, `x⁻¹`, `exp`, `σ`, ...

    Powers by a number show their exponent (`"**2"` → `x²`, `"**0.5"` → `x^0.5`
    when it has no superscript form); an operation gradtrace does not know is
    drawn as its own name.
    """
    op = OP_ALIASES.get(op, op)
    if op in OP_SYMBOLS:
        return OP_SYMBOLS[op]
    exponent = _power_exponent(op)
    if exponent is not None:
        text = format_constant(exponent)
        sup = superscript(text)
        return "x" + sup if sup is not None else "x^" + text
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
    control character (tab, NUL, ...) becomes a space.
    """
    if text.isprintable():
        return text
    text = _LINE_BREAK.sub("\n" if keep_newlines else " ", text)
    return "".join(" " if unicodedata.category(c) == "Cc" and c != "\n" else c for c in text)


def reference_name(label: str) -> str:
    """The name other expressions use for a labelled node: `"G = σ(z)"` → `"G"`."""
    name, sep, _ = label.partition(" = ")
    return name if sep and name else label


def node_name(node: Node) -> str:
    """The full name of a node: its label, its number for a constant, else `v` + id (`v₃`)."""
    if node.label:
        return node.label
    if node.op == "const":
        return format_constant(node.data)
    return generated_name(node.id)


def generated_name(node_id: int) -> str:
    """The name of an unlabelled node: `v` with its id as a subscript (`v₃`)."""
    return "v" + str(node_id).translate(_DIGIT_SUBSCRIPTS)


def latex_label(text: str) -> str:
    """A label as LaTeX math: `"w₁²"` → `"w_{1}^{2}"`, `"σ"` → `"\\sigma"`, specials escaped.

    Unicode sub- and superscripts become `_{...}` and `^{...}`, Greek letters
    their commands, runs of two or more Latin letters `\\mathit{...}` (so
    `loss` is one word, not a product), and the characters LaTeX treats
    specially (`\\ { } $ & # _ % ^ ~`) are escaped. Other Unicode passes
    through unchanged (fine for LuaLaTeX/XeLaTeX and for MathJax/KaTeX).
    """
    text = plain_text(text)
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch in _SUB_TO_ASCII or ch in _SUP_TO_ASCII:
            table, mark = (_SUB_TO_ASCII, "_") if ch in _SUB_TO_ASCII else (_SUP_TO_ASCII, "^")
            j = i
            while j < n and text[j] in table:
                j += 1
            out.append(mark + "{" + "".join(table[c] for c in text[i:j]) + "}")
            i = j
            continue
        if ch.isascii() and ch.isalpha():
            j = i
            while j < n and text[j].isascii() and text[j].isalpha():
                j += 1
            word = text[i:j]
            out.append(word if len(word) == 1 else r"\mathit{" + word + "}")
            i = j
            continue
        if ch in _GREEK or ch in _LATEX_SYMBOLS:
            command = "\\" + _GREEK[ch] if ch in _GREEK else _LATEX_SYMBOLS[ch]
            following = text[i + 1 : i + 2]
            if command[-1].isalpha() and following.isascii() and following.isalpha():
                command += " "
            out.append(command)
        else:
            out.append(_LATEX_SPECIALS.get(ch, ch))
        i += 1
    return "".join(out)


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
    max_inline: int = MAX_INLINE,
) -> str:
    """The Expression column of a trace table for one node.

    Args:
        graph: The traced graph.
        node_id: The node to describe.
        latex: LaTeX math instead of Unicode text.
        named: Which nodes are referred to by name rather than inlined
            (default: labelled ones). Pass `lambda n: True` to write every node
            in terms of its direct children.
        max_inline: Inline at most this many unlabelled operations; deeper
            ones are referred to by their generated names (`v₃`).

    Returns:
        `"input"`, `"parameter"` or `"constant"` for a leaf; otherwise e.g.
        `"w₁ × x₁"`, `"1/(1 + e⁻ᶻ)"` (LaTeX: `"\\frac{1}{1 + e^{-z}}"`).
    """
    node = graph.nodes[node_id]
    if node.is_leaf:
        return {"parameter": "parameter", "constant": "constant"}.get(node.role, "input")
    is_named = named if named is not None else (lambda n: bool(n.label))
    writer = _Writer(graph, latex, is_named, max_inline)
    return writer.operation(node)[0]


class _Writer:
    """Writes nodes as text; one instance per expression (it counts the inlining budget)."""

    def __init__(
        self, graph: Graph, latex: bool, named: Callable[[Node], bool], budget: int
    ) -> None:
        self.graph = graph
        self.latex = latex
        self.named = named
        self.budget = budget

    # A reference to a child: a name, a number, or the inlined sub-expression.
    def operand(self, node_id: int) -> _Piece:
        node = self.graph.nodes[node_id]
        if node.op == "const" and not node.label:
            text = format_constant(node.data, latex=self.latex)
            return text, (_NEG if text.startswith(("-", "−")) else _ATOM)
        if node.is_leaf or self.named(node) or self.budget <= 0:
            name = reference_name(node.label) if node.label else generated_name(node.id)
            return (latex_label(name) if self.latex else name), _ATOM
        self.budget -= 1
        return self.operation(node)

    def wrap(self, piece: _Piece, at_least: int) -> str:
        text, prec = piece
        if prec >= at_least:
            return text
        return rf"\left({text}\right)" if self.latex else f"({text})"

    def call(self, name: str, latex_name: str, arg: _Piece) -> _Piece:
        if self.latex:
            return rf"{latex_name}\left({arg[0]}\right)", _ATOM
        return f"{name}({arg[0]})", _ATOM

    def operation(self, node: Node) -> _Piece:
        op = OP_ALIASES.get(node.op, node.op)
        kids = node.children
        latex = self.latex
        times = r" \cdot " if latex else " × "
        minus = "-" if latex else "−"
        if op in ("+", "sum"):
            if not kids:
                return "0", _ATOM
            parts = [self.wrap(self.operand(k), _ADD) for k in kids]
            return " + ".join(parts), _ADD
        if op == "-" and len(kids) == 2:
            left = self.wrap(self.operand(kids[0]), _ADD)
            right = self.wrap(self.operand(kids[1]), _MUL)
            return f"{left} {minus} {right}", _ADD
        if op == "*" and len(kids) == 2:
            for this, other in ((kids[1], kids[0]), (kids[0], kids[1])):
                c = self.graph.nodes[this]
                if c.op == "const" and c.data == -1.0:
                    return self.negate(self.operand(other))
            left = self.wrap(self.operand(kids[0]), _MUL)
            right = self.wrap(self.operand(kids[1]), _NEG)
            return f"{left}{times}{right}", _MUL
        if op == "dot":
            if not kids:
                return "0", _ATOM
            pairs = []
            for a, b in zip(kids[::2], kids[1::2], strict=False):
                left = self.wrap(self.operand(a), _MUL)
                right = self.wrap(self.operand(b), _NEG)
                pairs.append(f"{left}{times}{right}")
            return " + ".join(pairs), (_ADD if len(pairs) > 1 else _MUL)
        if op == "/" and len(kids) == 2:
            return self.fraction(self.operand(kids[0]), self.operand(kids[1]))
        if op == "neg" and len(kids) == 1:
            return self.negate(self.operand(kids[0]))
        if op == "**" and len(kids) == 2:
            return self.power(self.operand(kids[0]), self.operand(kids[1]))
        if op == "exp" and len(kids) == 1:
            arg = self.operand(kids[0])
            if latex:
                return f"e^{{{arg[0]}}}", _POW
            sup = superscript(arg[0])
            return ("e" + sup, _POW) if sup is not None else (f"exp({arg[0]})", _ATOM)
        if op == "log" and len(kids) == 1:
            return self.call("ln", r"\ln", self.operand(kids[0]))
        if op == "tanh" and len(kids) == 1:
            return self.call("tanh", r"\tanh", self.operand(kids[0]))
        if op == "relu" and len(kids) == 1:
            return self.call("relu", r"\operatorname{relu}", self.operand(kids[0]))
        if op == "sigmoid" and len(kids) == 1:
            return self.call("σ", r"\sigma", self.operand(kids[0]))
        exponent = _power_exponent(op)
        if exponent is not None and len(kids) == 1:
            return self.number_power(self.operand(kids[0]), exponent)
        args = ", ".join(self.operand(k)[0] for k in kids)
        if latex:
            return rf"\operatorname{{{latex_label(op)}}}\left({args}\right)", _ATOM
        return f"{op}({args})", _ATOM

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


def _power_exponent(op: str) -> float | None:
    """The exponent of a power-by-a-number op name (`"**2"` → 2.0), else None."""
    if not op.startswith("**") or len(op) == 2:
        return None
    try:
        return float(op[2:])
    except ValueError:
        return None
