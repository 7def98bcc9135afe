"""TikZ figures: compiled by real pdflatex and lualatex, and compared with Graphviz's own SVG."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
from tex import ENGINES, compile_tex, mask, missing_characters, page_size, rasterise

from gradtrace import GradtraceError, GraphTooLargeError, Value, scope, to_svg, trace
from gradtrace.cli import main
from gradtrace.export.dot import THEMES, Theme, to_dot
from gradtrace.export.tikz import LIBRARIES, to_tikz
from gradtrace.figures import figure1

_SVG = "{http://www.w3.org/2000/svg}"
LIGHT = THEMES["light"]


def svg_fills(svg: str) -> dict[str, tuple[float, float, str]]:
    """Each node of a Graphviz SVG: its centre as a fraction of the picture, and its fill colour."""
    root = ET.fromstring(svg)
    _, _, width, height = (float(v) for v in root.attrib["viewBox"].split())
    graph = root.find(f"{_SVG}g")
    assert graph is not None
    tx, ty = (
        float(v)
        for v in re.findall(r"translate\(([-\d.]+) ([-\d.]+)\)", graph.attrib["transform"])[0]
    )
    found = {}
    for node in graph.iter(f"{_SVG}g"):
        if node.attrib.get("class") != "node":
            continue
        for shape in node:
            fill = shape.attrib.get("fill", "")
            if shape.tag == f"{_SVG}text" or not fill.startswith("#"):
                continue
            if shape.tag == f"{_SVG}ellipse":
                cx, cy = float(shape.attrib["cx"]), float(shape.attrib["cy"])
            else:
                numbers = [
                    float(n)
                    for n in re.findall(
                        r"-?\d+(?:\.\d+)?", shape.attrib.get("d", shape.attrib.get("points", ""))
                    )
                ]
                xs, ys = numbers[0::2], numbers[1::2]
                cx, cy = (min(xs) + max(xs)) / 2, (min(ys) + max(ys)) / 2
            found[node.attrib["id"]] = ((cx + tx) / width, (cy + ty) / height, fill)
    return found


def colour_near(image: np.ndarray, u: float, v: float, colour: str, radius: int) -> float:
    """The share of `colour` in a square of `radius` px around (u, v), fractions of the size."""
    h, w, _ = image.shape
    x, y = round(u * w), round(v * h)
    window = image[max(0, y - radius) : y + radius + 1, max(0, x - radius) : x + radius + 1]
    return float(mask(window, colour).mean())


@pytest.mark.parametrize("engine", ENGINES)
def test_figure1_compiles_and_has_the_svg_colours_where_the_svg_has_them(
    engine: str, tmp_path: Path
) -> None:
    graph = trace(figure1())
    pdf = compile_tex(to_tikz(graph), engine, tmp_path)
    assert missing_characters(tmp_path) == []
    image = rasterise(pdf, dpi=100)
    # The three colours of Figure 1 are all there, in quantity.
    for colour in (LIGHT.value_fill, LIGHT.grad_fill, LIGHT.op_fill):
        assert mask(image, colour).sum() > 2000, colour
    # And each node's fill sits where Graphviz's SVG puts that node (the PDF page is the
    # SVG's canvas, scaled): value boxes green, gradients blue, operations orange.
    nodes = svg_fills(to_svg(graph))
    kinds = {"v": LIGHT.value_fill, "g": LIGHT.grad_fill, "op": LIGHT.op_fill}
    checked = 0
    for name, (u, v, fill) in nodes.items():
        kind = re.match(r"[a-z]+", name)
        assert kind is not None
        assert fill == kinds[kind.group()], name  # the SVG itself agrees on the colours
        share = colour_near(image, u, v, fill, radius=6)
        assert share > 0.25, f"{name}: only {share:.0%} of {fill} around ({u:.3f}, {v:.3f})"
        checked += 1
    boxes = [n for n in graph.nodes if not (n.op == "const" and not n.label)]
    operations = [n for n in graph.nodes if n.children]
    assert checked == 2 * len(boxes) + len(operations) == 2 * 16 + 12
    # The picture reads left to right like the SVG: w₁ is left of and below f.
    w1 = next(n.id for n in graph.nodes if n.label == "w₁")
    f = graph.roots[0]
    assert nodes[f"v{w1}"][0] < 0.1 < 0.9 < nodes[f"v{f}"][0]


def test_fragment_is_an_input_able_picture() -> None:
    text = to_tikz(figure1(), standalone=False)
    assert "\\documentclass" not in text and "\\begin{document}" not in text
    assert text.startswith("%") and text.rstrip().endswith("\\end{tikzpicture}")
    assert "\\usepackage{tikz}" in text and f"\\usetikzlibrary{{{','.join(LIBRARIES)}}}" in text
    assert text.count("\\begin{tikzpicture}") == 1


def test_output_is_ascii_and_byte_identical() -> None:
    first = to_tikz(figure1(), theme="dark", collapse="σ", title="Figure 1")
    assert first.isascii()
    assert to_tikz(figure1(), theme="dark", collapse="σ", title="Figure 1") == first


def _document(*fragments: str) -> str:
    return "\n".join(
        [
            r"\documentclass{article}",
            r"\usepackage{tikz}",
            f"\\usetikzlibrary{{{','.join(LIBRARIES)}}}",
            r"\begin{document}",
            "Some text before the figures.",
            *[f"\\resizebox{{\\linewidth}}{{!}}{{\\input{{{name}}}}}\n" for name in fragments],
            r"\end{document}",
            "",
        ]
    )


@pytest.mark.parametrize("engine", ENGINES)
def test_themes_as_input_fragments_compile(engine: str, tmp_path: Path) -> None:
    """print and dark pictures \\input into one document; the document restyles them too."""
    tmp_path.mkdir(exist_ok=True)
    (tmp_path / "print.tikz").write_text(to_tikz(figure1(), theme="print", standalone=False))
    (tmp_path / "dark.tikz").write_text(
        to_tikz(figure1(), theme="dark", rankdir="TB", collapse="σ", standalone=False)
    )
    restyle = (
        "\\tikzset{every gradtrace figure/.style={gt unit=0.5bp, gt op/.append style={fill=red}}}\n"
    )
    source = _document("print.tikz", "dark.tikz").replace(
        "\\begin{document}", "\\begin{document}\n" + restyle
    )
    pdf = compile_tex(source, engine, tmp_path)
    image = rasterise(pdf, dpi=50)
    assert mask(image, "#ff0000").sum() > 100  # the document's restyle reached the operations
    assert mask(image, THEMES["print"].grad_fill).sum() > 100
    assert mask(image, THEMES["dark"].value_fill).sum() > 100


def test_highlight_draws_the_paths_in_the_highlight_colour(tmp_path: Path) -> None:
    graph = trace(figure1())
    plain = rasterise(compile_tex(to_tikz(graph), "pdflatex", tmp_path / "plain"), dpi=60)
    text = to_tikz(graph, highlight="x1", number="significant", precision=3)
    lit = rasterise(compile_tex(text, "pdflatex", tmp_path / "lit"), dpi=60)
    assert mask(plain, LIGHT.highlight).sum() == 0
    assert mask(lit, LIGHT.highlight).sum() > 200
    # x₁ → w₁x₁ → z → G (σ's chain) → f: the same nodes to_dot draws bold.
    bold_dot = set(re.findall(r'id="((?:v|op)\d+)"[^\]]*penwidth=3', to_dot(graph, highlight="x1")))
    bold_tikz = set(re.findall(r"\\node\[[^\]]*gt highlight[^\]]*\] \(((?:v|op)\d+)\)", text))
    assert bold_tikz == bold_dot and len(bold_dot) > 4


#: Labels, scope names and a title with everything LaTeX could choke on.
NASTY = ["\\ { } $ & # _ % ^ ~", "ŷ x̄ ℓ", "中文 😀", "tab\tnl\nnul\x00", "]", ""]


@pytest.mark.parametrize("engine", ENGINES)
def test_nasty_labels_scopes_and_titles_compile(engine: str, tmp_path: Path) -> None:
    xs = [Value(float(i), label) for i, label in enumerate(NASTY)]
    with scope("σ & {scope}_%"), scope("中 $x$"):
        y = Value.sum(x * x for x in xs)
    y.label = "\\end{tikzpicture} ℓ̂"
    odd = Value(2.0, "k")
    odd._op = "op{&}中"
    odd._prev = (y,)
    odd.backward()
    pictures = [
        to_tikz(odd, title="Title: 100% of $5 & {x}_1 ^~\\ ŷ 中"),
        to_tikz(odd, collapse=("σ & {scope}_%",), rankdir="TB"),
    ]
    for k, text in enumerate(pictures):
        compile_tex(text, engine, tmp_path, name=f"doc{k}")
        assert missing_characters(tmp_path, name=f"doc{k}") == []


def layer(n_in: int, n_out: int) -> Value:
    """A tanh layer and a squared-sum loss: 3 + n_out·(2·n_in + 4) values."""
    xs = [Value(0.1 * (i + 1), f"x{i}") for i in range(n_in)]
    outs = []
    for k in range(n_out):
        with scope("neuron"):
            ws = [Value(((i * 7 + k * 3) % 11 - 5) / 10, f"w{k},{i}") for i in range(n_in)]
            outs.append((Value.dot(ws, xs) + Value(0.0, f"b{k}")).tanh())
    loss = Value.sum(o * o for o in outs)
    loss.label = "loss"
    loss.backward()
    return loss


@pytest.mark.slow
@pytest.mark.parametrize("engine", ENGINES)
def test_a_300_value_graph_compiles(engine: str, tmp_path: Path) -> None:
    root = layer(6, 30)
    assert 300 <= len(trace(root)) <= 400
    compile_tex(to_tikz(root), engine, tmp_path)


@pytest.mark.slow
def test_a_1000_value_graph_compiles_scaled_to_fit(tmp_path: Path) -> None:
    """Laid out, this graph is 23 m tall: more than TeX can draw. It is shrunk to fit."""
    root = layer(12, 58)
    assert len(trace(root)) == 999
    pdf = compile_tex(to_tikz(root), "pdflatex", tmp_path)
    width, height = page_size(pdf)
    assert max(width, height) <= 14400.5


def test_more_than_max_nodes_is_a_one_line_error() -> None:
    root = layer(12, 60)
    with pytest.raises(GraphTooLargeError) as error:
        to_tikz(root)
    assert "\n" not in str(error.value) and "max_nodes" in str(error.value)


def test_a_theme_colour_tikz_cannot_write_is_a_one_line_error() -> None:
    theme = Theme(**{**LIGHT.__dict__, "op_fill": "lightblue"})
    with pytest.raises(GradtraceError, match=r"op_fill='lightblue'.*#rrggbb") as error:
        to_tikz(figure1(), theme=theme)
    assert "\n" not in str(error.value)
    with pytest.raises(GradtraceError, match="theme must be one of light, print, dark"):
        to_tikz(figure1(), theme="neon")


# -- the command line ------------------------------------------------------------------

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "figure1.py"


def test_cli_writes_a_document_or_with_dot_tikz_a_picture_to_input(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    source = tmp_path / "figure1.py"
    source.write_text(EXAMPLE.read_text("utf-8"), encoding="utf-8")
    assert main(["export", str(source), "--tikz", "--tex", "--theme", "print"]) == 0
    document = tmp_path / "figure1.tikz.tex"  # .tex alone is the trace table
    assert capsys.readouterr().out.splitlines() == [str(tmp_path / "figure1.tex"), str(document)]
    assert document.read_text("utf-8") == to_tikz(figure1(), theme="print")
    assert main(["export", str(source), "-o", str(tmp_path / "fig.tikz")]) == 0
    picture = (tmp_path / "fig.tikz").read_text("utf-8")
    assert picture == to_tikz(figure1(), standalone=False)
    compile_tex(document.read_text("utf-8"), "pdflatex", tmp_path, name="standalone")
    compile_tex(_document("fig.tikz"), "pdflatex", tmp_path, name="notes")


def test_cli_refuses_a_tikz_figure_too_large_before_graphviz_runs(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    source = tmp_path / "chain.py"
    source.write_text(
        "from gradtrace import Value\nf = Value(1.0)\nfor _ in range(20):\n    f = f * 2\n",
        encoding="utf-8",
    )
    assert main(["export", str(source), "--tikz", "--max-nodes", "10"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--max-nodes" in err
    assert not (tmp_path / "chain.tikz.tex").exists()


@pytest.mark.slow
def test_every_example_exports_as_tikz_that_compiles(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Capture-style names (model.layers[0].w[1], a⁽⁰⁾), wrapped chains, micrograd: all compile."""
    examples = sorted(EXAMPLE.parent.glob("*.py"))
    assert len(examples) >= 5
    for example in examples:
        assert main(["export", str(example), "--tikz", "-o", str(tmp_path)]) == 0, example
        document = tmp_path / f"{example.stem}.tikz.tex"
        assert document.read_text("utf-8").isascii()
        compile_tex(document.read_text("utf-8"), "pdflatex", tmp_path, name=example.stem)
        assert missing_characters(tmp_path, name=example.stem) == [], example
    capsys.readouterr()
