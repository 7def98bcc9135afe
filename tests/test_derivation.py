"""Generated derivations against the engine's gradients, the seed's closed forms and TeX."""

from __future__ import annotations

import math
import shutil
import subprocess
from pathlib import Path

import pytest

from gradtrace import Value, figure1, trace
from gradtrace.export.derivation import DerivationError, derive, to_derivation
from gradtrace.notation import format_number
from tests.random_graphs import random_graph


def _close(a: float, b: float) -> bool:
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


def test_every_boxed_total_is_the_engines_gradient() -> None:
    """200 random graphs with reuse, every input leaf: path sum = backpropagation."""
    checked = 0
    for seed in range(200):
        graph = trace(random_graph(seed))
        for node in graph:
            if node.role != "input":
                continue
            d = derive(graph, node.id, max_paths=10**6, max_factors=10**6)
            assert _close(d.total, node.grad), (seed, node.label, d.total, node.grad)
            text = to_derivation(graph, node.id, max_paths=10**6, max_factors=10**6)
            assert f"= {format_number(d.total)}}}$$" in text
            checked += 1
    assert checked > 300


def test_figure1_matches_the_seeds_closed_forms() -> None:
    """∂f/∂x₁ = σ'(s)w₁, ∂f/∂x₂ = σ'(s)w₂, ∂f/∂w₁ = σ'(s)x₁ + w₁, ∂f/∂w₂ = σ'(s)x₂ + w₂."""
    w1, w2, x1, x2 = 0.2, 0.4, -0.4, 0.5
    s = w1 * x1 + w2 * x2
    sig = 1 / (1 + math.exp(-s))
    d = sig * (1 - sig)
    closed = {"x₁": d * w1, "x₂": d * w2, "w₁": d * x1 + w1, "w₂": d * x2 + w2}
    graph = trace(figure1())
    for leaf, value in closed.items():
        got = derive(graph, leaf)
        assert got.total == pytest.approx(value, rel=1e-12), leaf
        assert got.paths == (1 if leaf.startswith("x") else 2)
    assert derive(graph, "x1").leaf == graph.labelled("x₁").id  # typed as on a keyboard


def test_reused_node_is_factored_once() -> None:
    a = Value(3.0, "a")
    b = a * 2.0
    b.label = "b"
    c = b * b + b
    c.label = "c"
    c.backward()
    text = to_derivation(c, "a")
    assert "∂c/∂a = (∂c/∂(b × b) · ∂(b × b)/∂b + ∂c/∂b) · ∂b/∂a" in text
    assert "| ∂(b × b)/∂b | b + b | 12.0000 |" in text
    assert "= 26.0000}$$" in text
    assert a.grad == 26.0


def test_leaf_without_a_path_says_so() -> None:
    x, y = Value(1.0, "x"), Value(2.0, "y")
    f = x * 3.0
    f.label = "f"
    trace_both = trace(f, y)
    text = to_derivation(trace_both, "y")
    assert "0: no path leads from f to y" in text
    assert r"\boxed{\frac{\partial f}{\partial y} = 0.0000}" in text


def test_too_many_paths_is_one_line() -> None:
    x = Value(0.5, "x")
    y = x
    for _ in range(20):  # each level doubles the paths: 2²⁰ in all
        y = y * y.tanh()
    y.label = "y"
    y.backward()
    with pytest.raises(DerivationError) as info:
        to_derivation(y, "x")
    assert "1048576 paths" in str(info.value) and "\n" not in str(info.value)


def test_ten_thousand_long_chain_is_refused() -> None:
    x = Value(0.5, "x")
    y = x
    for _ in range(10_000):
        y = y + 1.0
    y.label = "y"
    with pytest.raises(DerivationError, match="10000 local derivatives"):
        derive(y, "x")


def test_unknown_leaf_names_the_known_ones() -> None:
    with pytest.raises(DerivationError, match="w₁, w₂, x₁, x₂"):
        derive(figure1(), "q")


def test_nan_and_inf() -> None:
    x = Value(0.0, "x")
    f = x.log() * 2.0
    f.label = "f"
    f.backward()
    text = to_derivation(f, "x")
    assert "= inf}$$" in text
    assert "1/x" in text


SPECIALS = "a_b^c$%&#{}\\"


def test_latex_with_specials_compiles(tmp_path: Path) -> None:
    """Labels full of LaTeX specials, every op kind: the LaTeX derivation compiles."""
    assert shutil.which("pdflatex"), "pdflatex is needed: ./dev test installs TeX Live"
    a = Value(1.5, SPECIALS)
    b = Value(0.5, "b")
    f = (a * b).tanh() + (a / b).sigmoid() + (a**2).log() + (b - a).relu() + a.exp()
    f.label = "f%"
    f.backward()
    body = to_derivation(f, [SPECIALS, "b"], latex=True)
    doc = tmp_path / "d.tex"
    doc.write_text(
        "\\documentclass{article}\n\\usepackage{amsmath}\n\\begin{document}\n"
        + body
        + "\\end{document}\n",
        encoding="utf-8",
    )
    run = subprocess.run(
        ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "d.tex"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stdout[-2000:]
    assert (tmp_path / "d.pdf").exists()
