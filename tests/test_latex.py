"""The LaTeX trace table compiles with pdflatex and lualatex, whatever the labels say."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from tex import ENGINES, compile_tex, missing_characters

from gradtrace import Value
from gradtrace.export.table import to_latex
from gradtrace.figures import figure1

#: Every kind of label the engine can carry, one per value.
TORTURE = [
    "w₁",
    "ŷ",  # precomposed
    "y\u0302",  # y + combining circumflex
    "x̄",
    "ℓ",
    "ℓ₂ loss",
    "∂L/∂w",
    "σ(z) ≤ 1",
    "αβγδεζηθικλμνξπρστυφχψω ΓΔΘΛΞΠΣΥΦΨΩ ϵϑϕς",
    "x²₁³'",
    "f′′²",
    r"\ { } $ & # _ % ^ ~",
    r"\input{/etc/passwd} \def\x{} \end{tabular}",
    "$$",
    "100% & more # here",
    "tab\tnew\nline\rreturn\x00nul\x07bell\x1bescape\x7fdel\u2028sep",
    "中文标签",
    "日本語のラベル",
    "😀 🚀 👩‍💻 👍🏽",
    "naïve café Ångström Straße",
    "𝑥 ℝ ﬁ ½ ＄",
    "a\u00a0b\u200bc\ufeffd",  # no-break space, zero-width space, BOM
    "\ue000 private",
    "G = σ(z)",
    "   ",
    "]",
    "'",
    "x̂̄",
    "ₔ ᵝ ⁽⁾",
]


def _sum_of(labels: list[str]) -> Value:
    values = [Value(float(i), label) for i, label in enumerate(labels)]
    total = Value.sum(values)
    total.label = "ℓ̂ = Σ ✓"
    total.backward()
    return total


def _document(body: str) -> str:
    return (
        "\\documentclass{article}\n\\usepackage{booktabs}\n\\usepackage{amsmath}\n"
        "\\begin{document}\n" + body + "\\end{document}\n"
    )


def test_latex_table_is_ascii() -> None:
    assert to_latex(_sum_of(TORTURE)).isascii()


@pytest.mark.parametrize("engine", ENGINES)
def test_figure1_table_compiles(engine: str, tmp_path: Path) -> None:
    compile_tex(_document(to_latex(figure1())), engine, tmp_path)
    assert missing_characters(tmp_path) == []


@pytest.mark.parametrize("engine", ENGINES)
def test_label_torture_table_compiles(engine: str, tmp_path: Path) -> None:
    root = _sum_of(TORTURE)
    # An operation name is user-written text too (it shows as \operatorname{...}).
    odd = Value(0.5, "t")
    odd._op = "my_op{&}中"
    odd._prev = (root,)
    tables = to_latex(root) + "\n" + to_latex(root, all_nodes=True) + "\n" + to_latex(odd)
    compile_tex(_document(tables), engine, tmp_path)
    assert missing_characters(tmp_path) == []


def _random_label(rng: random.Random) -> str:
    pools = [
        "".join(map(chr, range(32, 127))),
        "\\{}$&#_%^~",
        "".join(map(chr, range(0, 32))) + "\x7f\x85\u2028\u2029",
        "₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎ₐₑₒₓₔₕₖₗₘₙₚₛₜᵢⱼᵣᵤᵥ⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ᵃᵇᶜᵈᵉᶠᵍʰⁱʲᵏˡᵐⁿᵒᵖʳˢᵗᵘᵛʷˣʸᶻᴬᴮᴰᵝᵞᵟᶿᶥᵠᵡ",
        "αβγδεζηθικλμνξπρστυφχψωΓΔΘΛΞΠΣΥΦΨΩ'′″ ∂∇·×÷−∞√ℓ≤≥→",
        "".join(map(chr, range(0x300, 0x370))) + "\u20d7\u20d1\ufe0f\u200d",
    ]
    out = []
    for _ in range(rng.randint(1, 12)):
        if rng.random() < 0.15:  # anything at all, assigned or not
            out.append(chr(rng.randint(0x80, 0x10FFFF)))
        else:
            out.append(rng.choice(rng.choice(pools)))
    return "".join(out)


@pytest.mark.parametrize("engine", ENGINES)
def test_random_labels_compile(engine: str, tmp_path: Path) -> None:
    """400 random labels (fixed seed) in one table: specials, scripts, accents, any code point."""
    rng = random.Random(12)
    labels = [_random_label(rng) for _ in range(400)]
    text = to_latex(_sum_of(labels))
    assert text.isascii()
    compile_tex(_document(text), engine, tmp_path)
