"""The DOT exporter: Figure 1's look, escaping, themes, scopes, ids."""

from __future__ import annotations

import re
import shutil
import subprocess
import xml.etree.ElementTree as ET

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from spec_tables import FIGURE1_TRACE

from gradtrace import GradtraceError, Value, scope, to_dot, trace
from gradtrace.export.dot import THEMES
from gradtrace.figures import figure1, reused_node

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz is not installed")
SVG = "{http://www.w3.org/2000/svg}"

NASTY = [
    'quote " here',
    "back\\slash \\n \\l \\N",
    "braces { } and | pipes |",
    "<b>tags</b> & amp; &amp;",
    "$money_ 100% #1 ^~",
    "two\nlines",
    "]] -> ; [x=1]",
    "Ünïcødé σ∂∇ 漢字 🙂",
]


def run_dot(source: str) -> ET.Element:
    done = subprocess.run(["dot", "-Tsvg"], input=source.encode(), capture_output=True, check=False)
    assert done.returncode == 0, done.stderr.decode()
    assert not done.stderr, done.stderr.decode()
    return ET.fromstring(done.stdout)


def texts(svg: ET.Element, element_id: str) -> list[str]:
    group = svg.find(f".//{SVG}g[@id='{element_id}']")
    assert group is not None, element_id
    return [t.text or "" for t in group.iter(f"{SVG}text")]


def fills(svg: ET.Element, element_id: str) -> set[str]:
    group = svg.find(f".//{SVG}g[@id='{element_id}']")
    assert group is not None
    return {
        e.get("fill", "")
        for e in group
        if e.tag in {f"{SVG}path", f"{SVG}polygon", f"{SVG}ellipse"}
    }


def test_dot_is_text_without_graphviz() -> None:
    dot = to_dot(figure1())
    assert dot.startswith("digraph gradtrace {")
    assert dot.endswith("}\n")


@needs_dot
def test_figure1_svg_shows_every_label_value_and_gradient() -> None:
    f = figure1()
    graph = trace(f)
    svg = run_dot(to_dot(f))
    light = THEMES["light"]
    for label, data, grad in FIGURE1_TRACE:
        i = graph.labelled(label).id
        shown = texts(svg, f"v{i}")
        assert " ".join(shown[:-1]) == label
        assert shown[-1] == data
        assert texts(svg, f"g{i}") == [grad]
        assert fills(svg, f"v{i}") == {light.value_fill}
        assert fills(svg, f"g{i}") == {light.grad_fill}
        if graph[i].children:
            assert fills(svg, f"op{i}") == {light.op_fill}
    assert texts(svg, f"op{graph.labelled('w₁x₁').id}") == ["×"]
    assert texts(svg, f"op{graph.labelled('w₁²').id}") == ["(·)²"]
    assert texts(svg, f"op{graph.labelled('G = σ(z)').id}") == ["(·)⁻¹"]


@needs_dot
@pytest.mark.parametrize("label", NASTY)
def test_nasty_labels_give_valid_dot_that_renders_as_written(label: str) -> None:
    a = Value(1.5, label)
    b = Value(2.0, "b")
    with scope(label):
        c = a * b
    c.label = label + "!"
    svg = run_dot(to_dot(c))
    assert " ".join(texts(svg, "v0")[:-1]) == label.replace("\n", " ")
    assert " ".join(texts(svg, "v2")[:-1]) == (label + "!").replace("\n", " ")
    cluster = svg.find(f".//{SVG}g[@id='cluster0']")
    assert cluster is not None
    assert " ".join(t.text or "" for t in cluster.iter(f"{SVG}text")) == label.replace("\n", " ")


@needs_dot
def test_unknown_ops_are_drawn_as_written() -> None:
    class Fake:
        def __init__(self, data: float, prev: tuple[Fake, ...] = (), op: str = "") -> None:
            self.data, self.grad, self._prev, self._op = data, 0.0, prev, op

    x = Fake(1.0)
    y = Fake(2.0, (x,), "<gelu> & co")
    svg = run_dot(to_dot(y))
    assert texts(svg, "op1") == ["<gelu> & co"]


@needs_dot
def test_non_finite_values_render() -> None:
    x = Value(0.0, "x")
    y = x.log()
    y.label = "y"
    z = y * 0.0
    z.label = "z"
    w = -x
    w.label = "w"
    total = z + w
    total.backward()
    graph = trace(total)
    svg = run_dot(to_dot(total))
    shown = {graph[i].label: texts(svg, f"v{i}")[-1] for i in range(len(graph)) if graph[i].label}
    assert shown["x"] == "0.0000"
    assert shown["y"] == "-inf"
    assert shown["z"] == "nan"
    assert shown["w"] == "-0.0000"


def test_show_grad_false_has_no_gradient_nodes() -> None:
    dot = to_dot(figure1(), show_grad=False)
    assert not re.search(r'id="g\d+"', dot)
    assert 'id="v0"' in dot


def test_constants_are_small_and_have_no_gradient() -> None:
    graph = trace(figure1())
    half = next(n for n in graph if n.op == "const" and n.data == 0.5)
    dot = to_dot(graph)
    line = next(x for x in dot.splitlines() if x.strip().startswith(f"v{half.id} "))
    assert "plaintext" in line
    assert "label=<0.5>" in line
    assert f'id="g{half.id}"' not in dot


def test_scopes_become_clusters_and_can_collapse() -> None:
    graph = trace(figure1())
    dot = to_dot(graph)
    assert "subgraph cluster0" in dot
    assert "label=<σ>" in dot
    collapsed = to_dot(graph, collapse=("σ",))
    assert not re.search(r"subgraph cluster\d", collapsed)
    inside = [n.id for n in graph if n.scope == ("σ",) and n.label != "G = σ(z)"]
    for i in inside:
        assert not re.search(rf"\bv{i}\b", collapsed), i
    g = graph.labelled("G = σ(z)").id
    z = graph.labelled("z").id
    assert f"v{z} -> op{g}" in collapsed
    assert f"op{g} -> v{g}" in collapsed
    assert "<B>σ</B>" in collapsed


def test_two_uses_of_a_scope_collapse_separately() -> None:
    x, y = Value(0.5, "x"), Value(-0.5, "y")
    with scope("σ"):
        a = (1 + (-x).exp()) ** -1
    with scope("σ"):
        b = (1 + (-y).exp()) ** -1
    dot = to_dot(b * a, collapse=["σ"])
    assert dot.count("<B>σ</B>") == 2


def test_reused_node_draws_two_edges() -> None:
    dot = to_dot(reused_node())
    assert dot.count("v0 -> op1") == 2


def test_ids_are_unique_and_prefixed() -> None:
    dot = to_dot(figure1(), id_prefix="fig1-")
    ids = re.findall(r'id="([^"]+)"', dot)
    assert len(ids) == len(set(ids))
    assert all(i.startswith("fig1-") for i in ids)


def test_themes() -> None:
    def colours(dot: str) -> set[str]:
        return set(re.findall(r'"(#[0-9a-fA-F]{6})"', dot))

    printed = to_dot(figure1(), theme="print")
    for colour in colours(printed):
        r, g, b = (colour[k : k + 2] for k in (1, 3, 5))
        assert r == g == b, colour
    dark = to_dot(figure1(), theme="dark")
    assert 'bgcolor="transparent"' in dark
    assert colours(dark) != colours(to_dot(figure1()))
    with pytest.raises(GradtraceError, match=r"theme must be one of .*got 'neon'"):
        to_dot(figure1(), theme="neon")
    with pytest.raises(GradtraceError, match="rankdir"):
        to_dot(figure1(), rankdir="UP")


def test_options_change_the_output() -> None:
    f = figure1()
    assert "<BR/>0.53>" in to_dot(f, precision=2)
    assert "rankdir=TB" in to_dot(f, rankdir="TB")
    assert "label=<Figure 1>" in to_dot(f, title="Figure 1")


def test_large_graphs_emit_quickly_enough_to_be_linear() -> None:
    x = Value(1.0, "x")
    y = x
    for k in range(5000):
        y = y * 1.0001 if k % 2 else y + 1.0
    dot = to_dot(y)
    assert dot.count("->") > 10_000


@needs_dot
def test_prefixed_ids_render_and_stay_addressable() -> None:
    f = figure1()
    svg = run_dot(to_dot(f, id_prefix="fig-1_"))
    w1 = trace(f).labelled("w₁").id
    assert texts(svg, f"fig-1_v{w1}")[-1] == "0.2000"
    assert texts(svg, f"fig-1_g{w1}") == ["0.1004"]
    assert svg.find(f".//{SVG}g[@id='fig-1_graph']") is not None


def test_separate_uses_of_a_scope_are_separate_clusters() -> None:
    x, y = Value(0.5, "x"), Value(-0.5, "y")
    outs = []
    for v in (x, y):
        with scope("neuron"):
            outs.append((v * 2.0).tanh())
    dot = to_dot(outs[0] + outs[1])
    assert len(re.findall(r"subgraph cluster\d", dot)) == 2
    assert dot.count("label=<neuron>") == 2


def test_nested_scopes_nest_clusters() -> None:
    x = Value(0.5, "x")
    with scope("layer"):
        with scope("neuron"):
            a = x * 3.0
        b = a.relu()
    lines = to_dot(b).splitlines()
    starts = [k for k, line in enumerate(lines) if re.search(r"subgraph cluster\d", line)]
    assert len(starts) == 2
    assert lines[starts[1]].startswith(lines[starts[0]].split("subgraph")[0] + "  ")


def test_fast_layout_for_large_graphs_only() -> None:
    from gradtrace.export.dot import FAST_LAYOUT_FROM

    assert "nslimit" not in to_dot(figure1())
    assert "nslimit=1" in to_dot(figure1(), fast_layout=True)
    assert "mclimit=0.01" in to_dot(figure1())  # few crossing passes: the order of the code
    x = Value(1.0, "x")
    y = x
    while len(trace(y)) <= FAST_LAYOUT_FROM:
        y = y.tanh()
    assert "nslimit=1" in to_dot(y)
    assert "nslimit" not in to_dot(y, fast_layout=False)


@needs_dot
def test_each_gradient_sits_next_to_its_value() -> None:
    def centre(svg: ET.Element, element_id: str) -> tuple[float, float]:
        group = svg.find(f".//{SVG}g[@id='{element_id}']")
        assert group is not None
        text = group.find(f"{SVG}text")
        assert text is not None
        return float(text.get("x", 0)), float(text.get("y", 0))

    graph = trace(figure1())
    for rankdir in ("LR", "TB"):
        svg = run_dot(to_dot(graph, rankdir=rankdir))
        for node in graph:
            if node.op == "const":
                continue
            (vx, vy), (gx, gy) = centre(svg, f"v{node.id}"), centre(svg, f"g{node.id}")
            if rankdir == "LR":  # straight below
                assert abs(vx - gx) < 30 and 0 < gy - vy < 60, (rankdir, node.label)
            else:  # straight to the right
                assert abs(vy - gy) < 30 and 0 < gx - vx < 120, (rankdir, node.label)


def test_collapse_accepts_a_single_name() -> None:
    assert to_dot(figure1(), collapse="σ") == to_dot(figure1(), collapse=("σ",))


@needs_dot
@settings(max_examples=25, deadline=None)
@given(label=st.text(st.characters(blacklist_categories=("Cs", "Cc", "Co", "Cn")), max_size=12))
def test_any_label_renders_as_written(label: str) -> None:
    x = Value(1.0, label or "x")
    y = x * 2.0
    y.label = "y"
    svg = run_dot(to_dot(y))
    assert " ".join(texts(svg, "v0")[:-1]).split() == (label or "x").split()


@needs_dot
def test_every_engine_op_is_drawn_with_its_symbol() -> None:
    a, b = Value(0.5, "a"), Value(2.0, "b")
    parts = [
        a + b,
        a - b,
        a * b,
        a / b,
        -a,
        a**2,
        a**-1,
        a**0.5,
        a**b,
        a.exp(),
        b.log(),
        a.relu(),
        a.tanh(),
        a.sigmoid(),
        Value.dot([a, b], [b, a]),
    ]
    out = Value.sum(parts)
    out.backward()
    graph = trace(out)
    svg = run_dot(to_dot(graph))
    drawn = {texts(svg, f"op{n.id}")[0] for n in graph if n.children}
    assert drawn == {
        "+", "−", "×", "÷", "(·)²", "(·)⁻¹", "√·", "pow", "exp", "log", "relu", "tanh", "σ",
        "·", "Σ",
    }  # fmt: skip
