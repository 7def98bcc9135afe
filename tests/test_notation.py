"""Numbers, op symbols, names and generated expressions."""

from __future__ import annotations

import math
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gradtrace import Value, trace
from gradtrace.graph import Graph
from gradtrace.notation import (
    Naming,
    expression,
    format_constant,
    format_number,
    latex_label,
    latex_number,
    op_symbol,
    reference_name,
    superscript,
)


@pytest.mark.parametrize(
    ("x", "precision", "text"),
    [
        (0.52996, 4, "0.5300"),
        (-0.4, 4, "-0.4000"),
        (0.0, 4, "0.0000"),
        (-0.0, 4, "-0.0000"),
        (-1e-9, 4, "-1.0000e-09"),  # non-zero never reads as zero
        (6.7e-7, 4, "6.7000e-07"),  # a vanishing gradient
        (0.00005, 4, "0.0001"),  # shows as non-zero already: stays fixed
        (0.000049, 4, "4.9000e-05"),
        (0.4, 0, "4e-01"),
        (5e-324, 2, "4.94e-324"),
        (1.23456, 2, "1.23"),
        (2.0, 0, "2"),
        (math.nan, 4, "nan"),
        (math.inf, 4, "inf"),
        (-math.inf, 4, "-inf"),
        (1e12, 4, "1.0000e+12"),
        (-3.5e15, 2, "-3.50e+15"),
        (999_999_999_999.0, 1, "999999999999.0"),
    ],
)
def test_format_number(x: float, precision: int, text: str) -> None:
    assert format_number(x, precision) == text


def test_no_non_zero_number_reads_as_zero() -> None:
    for exponent in range(-320, 3):
        for precision in (0, 1, 4, 8):
            x = 1.7 * 10.0**exponent
            if x == 0:
                continue
            text = format_number(x, precision)
            assert any(c in "123456789" for c in text.split("e")[0]), (x, precision, text)
            assert float(text) == pytest.approx(
                x, rel=0.5 * 10**-precision + 1e-9, abs=5 * 10.0 ** -(precision + 1)
            ), text


def test_format_number_default_is_four_decimals() -> None:
    assert format_number(1 / 3) == "0.3333"


def test_format_constant() -> None:
    assert format_constant(0.5) == "0.5"
    assert format_constant(1.0) == "1"
    assert format_constant(-1.0) == "−1"
    assert format_constant(-1.0, latex=True) == "-1"
    assert format_constant(2.5e-8, latex=True) == r"2.5 \times 10^{-8}"
    assert format_constant(math.inf) == "∞"


@pytest.mark.parametrize(
    ("op", "symbol"),
    [
        ("*", "×"),
        ("+", "+"),
        ("-", "−"),
        ("/", "÷"),
        ("neg", "−"),
        ("**2", "(·)²"),
        ("**-1", "(·)⁻¹"),
        ("**0.5", "√·"),
        ("**1.5", "(·)^1.5"),
        ("**", "pow"),
        ("exp", "exp"),
        ("log", "log"),
        ("relu", "relu"),
        ("ReLU", "relu"),
        ("tanh", "tanh"),
        ("sigmoid", "σ"),
        ("sum", "Σ"),
        ("dot", "·"),
        ("my op", "my op"),
    ],
)
def test_op_symbols(op: str, symbol: str) -> None:
    assert op_symbol(op) == symbol


def test_superscript_and_names() -> None:
    assert superscript("-z") == "⁻ᶻ"
    assert superscript("x₁") is None
    assert reference_name("G = σ(z)") == "G"
    assert reference_name("a=b") == "a=b"
    assert reference_name(" = x") == " = x"


def test_latex_label() -> None:
    assert latex_label("w₁²") == "w_{1}^{2}"
    assert latex_label("G = σ(z)") == r"G = \sigma(z)"
    assert latex_label("σx") == r"\sigma x"
    assert latex_label("loss") == r"\mathit{loss}"
    assert latex_label("a_b$%#&{}~^\\") == (r"a\_b\$\%\#\&\{\}\sim{}\hat{}\backslash{}")
    assert latex_label("two\nlines") == r"\mathit{two}\ \mathit{lines}"


@pytest.mark.parametrize(
    ("label", "latex"),
    [
        ("ŷ", r"\hat{y}"),  # precomposed U+0177
        ("y\u0302", r"\hat{y}"),  # y + combining circumflex
        ("x̄", r"\bar{x}"),
        ("v⃗", r"\vec{v}"),
        ("é", r"\acute{e}"),
        ("naïve", r"\mathit{na}\ddot{\imath}\mathit{ve}"),
        ("ℓ", r"\ell"),
        ("ℓ₂", r"\ell_{2}"),
        ("µ", r"\mu"),  # the micro sign folds to Greek mu
        ("𝑥", "x"),  # mathematical italic x
        ("ﬁ", r"\mathit{fi}"),
        ("ß", r"\mbox{\ss}"),
        ("ΑΒ", r"\mathrm{A}\mathrm{B}"),  # Greek capitals that look Latin
        ("∂L/∂w", r"\partial L/\partial w"),
        ("a ≤ b", r"a \leq b"),
        ("my loss", r"\mathit{my}\ \mathit{loss}"),
        ("a\u00a0b", r"a\ b"),  # no-break space
        ("中", r"\langle\mathrm{U{+}4E2D}\rangle"),
        ("😀", r"\langle\mathrm{U{+}1F600}\rangle"),
        ("👍🏽", r"\langle\mathrm{U{+}1F44D}\rangle\langle\mathrm{U{+}1F3FD}\rangle"),
        ("x\u200d", "x"),  # zero-width joiner: invisible, dropped
        ("x²³", "x^{23}"),
        ("x²₁³", "x^{2}_{1}{}^{3}"),  # never a double superscript
        ("x₁₂", "x_{12}"),
        ("f'", "f'"),
        ("f′′", "f''"),
        ("x²'", "x^{2}{}'"),
        ("f'²", "f'^{2}"),
        ("ₔ", r"_{\langle\mathrm{U{+}0259}\rangle}"),
        ("̂x", r"\langle\mathrm{U{+}0302}\rangle x"),  # an accent with nothing to sit on
        ("\x00\x07\x1b", "{}"),  # only control characters: an empty group, never "$$"
        ("", "{}"),
    ],
)
def test_latex_label_maps_unicode_to_commands(label: str, latex: str) -> None:
    assert latex_label(label) == latex


@given(st.text())
def test_latex_label_is_ascii_with_balanced_braces(label: str) -> None:
    """Whatever the label, the LaTeX is plain ASCII (no engine needs to know the character)."""
    latex = latex_label(label)
    assert latex.isascii() and latex.isprintable()
    depth = 0
    for token in re.findall(r"\\[{}]|[{}]", latex):
        depth += {"{": 1, "}": -1}.get(token, 0)
        assert depth >= 0
    assert depth == 0


def test_latex_number() -> None:
    assert latex_number(-0.4) == "-0.4000"
    assert latex_number(0.52996, 2) == "0.53"
    assert latex_number(math.nan) == r"\mathrm{nan}"
    assert latex_number(-math.inf) == r"-\infty"
    assert latex_number(1e12) == r"1.0000 \times 10^{12}"
    assert latex_number(-2.5e-20, 1) == r"-2.5 \times 10^{-20}"  # non-zero never reads as zero


def _expr(root: Value, latex: bool = False) -> str:
    graph = trace(root)
    return expression(graph, graph.roots[0], latex=latex)


def test_expressions_inline_unlabelled_sub_expressions() -> None:
    z = Value(0.1, "z")
    g = (1 + (z * -1).exp()) ** -1
    assert _expr(g) == "1/(1 + e⁻ᶻ)"
    assert _expr(g, latex=True) == r"\frac{1}{1 + e^{-z}}"


def test_expressions_respect_precedence() -> None:
    a, b, c = Value(1.0, "a"), Value(2.0, "b"), Value(3.0, "c")
    assert _expr((a + b) * c) == "(a + b) × c"
    assert _expr(a + b * c) == "a + b × c"
    assert _expr(a - (b - c)) == "a − (b − c)"
    assert _expr((a - b) - c) == "a − b − c"
    assert _expr(a / (b * c)) == "a/(b × c)"
    assert _expr(a / (b * c), latex=True) == r"\frac{a}{b \cdot c}"
    assert _expr((a + b) ** 2) == "(a + b)²"
    assert _expr(-(a + b)) == "−(a + b)"
    minus_a = -a
    assert _expr(-minus_a) == "−(−a)"
    assert _expr(a**0.5) == "√a"
    assert _expr(a**0.5, latex=True) == r"\sqrt{a}"
    assert _expr(a**1.5) == "a^1.5"
    assert _expr(a**b) == "aᵇ"
    assert _expr((a * b).log()) == "ln(a × b)"
    assert _expr((a * b).log(), latex=True) == r"\ln\left(a \cdot b\right)"
    assert _expr(a.relu() + b.tanh() + c.sigmoid()) == "relu(a) + tanh(b) + σ(c)"


def test_labelled_children_are_referred_to_by_name() -> None:
    a = Value(1.0, "a")
    g = a.exp()
    g.label = "G = e(a)"
    assert _expr(g + 1) == "G + 1"


def test_leaves_and_generated_names() -> None:
    a = Value(1.0, "a")
    b = Value(2.0)
    graph = trace(a * b, parameters=[a])
    assert expression(graph, 0) == "parameter"
    assert expression(graph, 1) == "input"
    assert expression(graph, 2) == "a × v₁"
    assert Naming(graph).title(1) == "v₁"
    c = trace(a * 2)
    assert expression(c, 1) == "constant"
    assert Naming(c).name(1) == "2"


class Fake:
    """A duck-typed value for ops the engine may not have (sum, dot, unknown)."""

    def __init__(self, data: float, prev: tuple[Fake, ...] = (), op: str = "", label: str = ""):
        self.data, self.grad, self._prev, self._op, self.label = data, 0.0, prev, op, label


def test_fused_and_unknown_ops() -> None:
    a, b, c, d = (Fake(1.0, label=n) for n in "abcd")
    assert _expr(Fake(0.0, (a, b, c), "sum")) == "a + b + c"  # type: ignore[arg-type]
    assert _expr(Fake(0.0, (a, b, c, d), "dot")) == "a × b + c × d"  # type: ignore[arg-type]
    assert _expr(Fake(0.0, (a, b), "foo|bar")) == "foo|bar(a, b)"  # type: ignore[arg-type]
    latex = _expr(Fake(0.0, (a,), "my_op"), latex=True)  # type: ignore[arg-type]
    assert latex == r"\operatorname{\mathit{my}\_\mathit{op}}\left(a\right)"


def test_huge_unlabelled_expressions_are_cut_off() -> None:
    x = Value(1.0, "x")
    y = x
    for _ in range(500):
        y = y * y + 1.0  # shares sub-expressions: inlining everything would explode
    graph: Graph = trace(y)
    text = expression(graph, graph.roots[0])
    assert len(text) < 2000
    assert "v" in text


def test_plain_text_removes_line_breaks_and_controls() -> None:
    from gradtrace.notation import plain_text

    assert plain_text("a\r\nb\x1ec\u2028d\te\x00f") == "a b c d e f"
    assert plain_text("a\r\nb\rc", keep_newlines=True) == "a\nb\nc"
    assert plain_text("w₁ σ 🙂") == "w₁ σ 🙂"
