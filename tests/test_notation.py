"""Numbers, op symbols, names and generated expressions."""

from __future__ import annotations

import math

import pytest

from gradtrace import Value, trace
from gradtrace.graph import Graph
from gradtrace.notation import (
    Naming,
    expression,
    format_constant,
    format_number,
    latex_label,
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
    assert latex_label("two\nlines") == "\\mathit{two} \\mathit{lines}"


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
