"""Rendering through Graphviz: formats, atomic writes, errors, Jupyter, determinism."""

from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
import sys
import types
import warnings
from pathlib import Path

import pytest

from gradtrace import (
    GradtraceError,
    GraphTooLargeError,
    GraphvizNotFoundError,
    RenderError,
    Value,
    draw,
    render,
    scope,
    to_dot,
    to_svg,
    trace,
)
from gradtrace.errors import RenderTimeoutError
from gradtrace.export import render as render_module
from gradtrace.figures import figure1

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz is not installed")


@needs_dot
@pytest.mark.parametrize(
    ("suffix", "magic"), [(".svg", b"<?xml"), (".png", b"\x89PNG"), (".pdf", b"%PDF")]
)
def test_render_writes_the_format_of_the_suffix(tmp_path: Path, suffix: str, magic: bytes) -> None:
    out = render(figure1(), tmp_path / f"figure{suffix}")
    assert out == tmp_path / f"figure{suffix}"
    assert out.read_bytes().startswith(magic)
    assert [p.name for p in tmp_path.iterdir()] == [out.name]  # no temporary files left


@needs_dot
def test_pdf_carries_no_date_of_the_run(tmp_path: Path) -> None:
    # cairo stamps each PDF with the time it was made; two renders in different seconds
    # would differ. The date is set to the epoch, in place, so byte offsets stay valid.
    pdf = render(figure1(), tmp_path / "figure.pdf").read_bytes()
    assert re.findall(rb"/CreationDate \(D:(\d{14})", pdf) == [b"19700101000000"]
    offset = int(re.findall(rb"startxref\s+(\d+)", pdf)[-1])
    assert pdf[offset:].startswith(b"xref")


def test_clean_pdf_keeps_the_length() -> None:
    stamped = b"<< /CreationDate (D:20261128214228Z) >>"
    cleaned = render_module.clean_pdf(stamped)
    assert cleaned == b"<< /CreationDate (D:19700101000000Z) >>"
    assert len(cleaned) == len(stamped)


def test_unknown_suffix_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(GradtraceError, match=r"\.svg, \.png or \.pdf"):
        render(figure1(), tmp_path / "figure.gif")
    assert list(tmp_path.iterdir()) == []


def chain(n: int) -> Value:
    y = Value(1.0, "x")
    for _ in range(n - 1):
        y = y.tanh()
    return y


def test_too_large_graphs_are_refused_before_running_dot(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_dot(*args: object, **kwargs: object) -> bytes:
        raise AssertionError("dot must not run")

    monkeypatch.setattr(render_module, "_run_dot", no_dot)
    with pytest.raises(GraphTooLargeError, match=r"1001 values.*max_nodes=1000") as error:
        to_svg(chain(1001))
    assert "to_dot" in str(error.value) and "raise max_nodes" in str(error.value)
    assert "collapse" not in str(error.value)  # the chain has no scope: folding cannot help
    with pytest.raises(GraphTooLargeError):
        render(chain(11), "never.svg", max_nodes=10)
    assert not Path("never.svg").exists()


def scoped_chain(n: int) -> Value:
    """Two inputs, then n - 2 values made inside `scope("block")`: one collapsible block."""
    x = Value(0.5, "x")
    with scope("block"):
        y = x
        for _ in range(n - 2):
            y = y.tanh()
    out = y * Value(2.0, "w")
    out.label = "out"
    return out


def test_the_refusal_suggests_collapsing_only_scopes_that_are_not_collapsed() -> None:
    with pytest.raises(GraphTooLargeError, match=r"collapse scopes \(collapse=\('block',\)"):
        to_svg(scoped_chain(1200))
    with pytest.raises(GraphTooLargeError) as error:  # collapsed already and still too big
        to_svg(scoped_chain(40), collapse=("block",), max_nodes=3)
    assert "collapse" not in str(error.value)


@needs_dot
def test_collapse_lifts_the_limit_when_it_draws_less() -> None:
    # 1,200 values, 1,198 of them in one scope: collapsed, the figure has x, w, the block's
    # output and out: 4 value boxes, far below max_nodes=1000.
    svg = to_svg(scoped_chain(1200), collapse=("block",))
    values = set(re.findall(r'<g id="(v\d+)" class="node"', svg))
    assert len(values) == 4


def dense(n: int) -> Value:
    """n values, each the sum of all the values before it: n(n-1)/2 edges, most of them long."""
    values = [Value(1.0, "x0")]
    for _ in range(1, n):
        values.append(Value.sum(values[:]))
    return values[-1]


def layered(layers: int, width: int) -> Value:
    """`width` inputs, then `layers` layers of `width` sums of every value below: few values,
    thousands of long edges, and a longest path short enough that the figure is not wrapped."""
    below = [Value(1.0, f"x{i}") for i in range(width)]
    for _ in range(layers):
        below = below + [Value.sum(below) for _ in range(width)]
    return Value.sum(below[-width:])


def test_dense_graphs_are_refused_by_their_edges_before_running_dot(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def no_dot(*args: object, **kwargs: object) -> bytes:
        raise AssertionError("dot must not run")

    monkeypatch.setattr(render_module, "_run_dot", no_dot)
    graph = dense(50)  # 50 values, far below max_nodes; 1,225 sum edges (the case)
    assert len(trace(graph)) == 50
    with pytest.raises(GraphTooLargeError, match=r"edges cross \d+ columns.*max_edges=10000") as e:
        to_svg(graph, wrap=0)  # drawn in one row, as the issue saw it
    message = str(e.value)
    assert "\n" not in message and "raise max_edges" in message and "to_dot" in message
    # The chain 0 → 1 → … → 49 puts value i in column 2i at the earliest and its sum in 2i − 1,
    # so the edge from value j to sum i spans at least 2(i − j) − 1 columns.
    lower_bound = sum(2 * (i - j) - 1 for i in range(50) for j in range(i))
    assert e.value.n_nodes >= lower_bound
    # Wrapped into rows (the default for its long path), the same graph is drawn with short
    # edges between rows that do not constrain the layout, and passes. A graph too shallow
    # to wrap, with 79 values and ~3,000 long edges, is refused as it is.
    assert len(trace(layered(12, 6))) == 79
    with pytest.raises(GraphTooLargeError, match="max_edges=10000"):
        to_svg(layered(12, 6))


def test_layout_size_counts_what_is_drawn() -> None:
    from gradtrace.export.dot import layout_size

    # b = a × a: 2 values, 1 op, 2 gradients; edges a→op (twice: two operands), op→b and
    # 2 dashed gradient links, every one between neighbouring columns or within one.
    a = Value(1.0, "a")
    b = a * a
    size = layout_size(to_dot(b))
    assert (size.values, size.nodes, size.edges, size.length) == (2, 5, 5, 5)
    # A value used 3 columns later adds the columns its edge crosses: x feeds op2 directly.
    x = Value(1.0, "x")
    y = (x.tanh().tanh()) * x
    size = layout_size(to_dot(y, show_grad=False))
    # columns: x 0, op 1, t1 2, op 3, t2 4, op× 5, y 6; x → op× spans 5, the others 1.
    assert (size.edges, size.length) == (7, 6 + 5)


@needs_dot
def test_dense_graphs_get_the_quick_layout() -> None:
    from gradtrace.export.dot import FAST_LAYOUT_FROM

    small_but_dense = layered(8, 4)
    assert len(trace(small_but_dense)) < FAST_LAYOUT_FROM
    assert "nslimit=1" in to_dot(small_but_dense)
    assert "nslimit=1" not in to_dot(figure1())
    assert "nslimit=1" not in to_dot(small_but_dense, fast_layout=False)


def fake_dot(folder: Path, script: str) -> Path:
    """A `dot` on PATH that runs `script` (sh), writing its pid to folder/dot.pid first."""
    folder.mkdir(exist_ok=True)
    dot = folder / "dot"
    dot.write_text(f"#!/bin/sh\necho $$ > {folder / 'dot.pid'}\n{script}\n", encoding="utf-8")
    dot.chmod(0o755)
    return folder


def gone(pid: int) -> bool:
    """The process has ended (a zombie waiting for a parent that never reaps counts as ended)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return True
    return state in ("Z", "X")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_a_slow_dot_is_stopped_at_the_time_limit(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    bin_dir = fake_dot(tmp_path / "bin", "exec sleep 300")
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    with pytest.raises(RenderTimeoutError, match=r"within 0\.5 s and was stopped") as error:
        render(figure1(), tmp_path / "f.svg", timeout=0.5)
    message = str(error.value)
    assert "\n" not in message and "--timeout 1" in message and "to_dot()" in message
    assert isinstance(error.value, RenderError)
    assert gone(int((bin_dir / "dot.pid").read_text()))  # stopped, not left running
    assert not (tmp_path / "f.svg").exists()
    with pytest.raises(GradtraceError, match="positive number of seconds"):
        to_svg(figure1(), timeout=0)


def test_a_crashing_dot_is_reported_as_a_crash(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    bin_dir = fake_dot(tmp_path / "bin", "kill -SEGV $$")
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    with pytest.raises(RenderError) as error:
        to_svg(figure1())
    message = str(error.value)
    assert "crashed (SIGSEGV)" in message and "no error message" not in message
    assert "\n" not in message and "to_dot()" in message


@needs_dot
def test_a_dot_error_names_the_node_it_is_about() -> None:
    a = Value(1.0, "lbl")
    graph = trace(a * 2)
    # Graphviz rejects this label (bad nesting); its error names line 2, node v0.
    source = 'digraph {\n  v0 [id="v0", label=<<B>x</I>>];\n}\n'
    with pytest.raises(RenderError) as error:
        render_module._run_dot(source, "svg", graph=graph)
    assert "(node v0, labelled 'lbl')" in str(error.value)
    assert "\n" not in str(error.value)


@needs_dot
@pytest.mark.parametrize(
    "label", ["a\ufffeb", "a\uffffb", "a\ufdd0b", "x\U0010ffffy", "x\ud800y", "lone\udfff"]
)
def test_labels_that_are_no_characters_still_render(label: str) -> None:
    svg = to_svg(Value(1.0, label) * Value(2.0, "b"))
    assert "\ufffd" in svg  # shown as the replacement character
    svg.encode("utf-8")


@needs_dot
def test_long_labels_are_cut_visibly_and_still_render() -> None:
    from gradtrace.export.dot import MAX_LABEL_CHARS

    for label in ["x" * 17_000, '"' * 5000, "😀" * 5000, "é" * 9000, "<&>" * 3000]:
        svg = to_svg(Value(1.0, label) * 2)
        text = re.search(r'<g id="v0".*?<text[^>]*>(.*?)</text>', svg, re.S)
        assert text is not None
        shown = html.unescape(text.group(1))
        assert shown.endswith("…") and len(shown) == MAX_LABEL_CHARS
        assert label.startswith(shown[:-1])


@needs_dot
def test_the_limit_can_be_raised() -> None:
    assert "<svg" in to_svg(chain(30), max_nodes=30)
    assert "<svg" in to_svg(chain(30), max_nodes=None)


def test_missing_graphviz_says_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(GraphvizNotFoundError, match="apt-get install graphviz") as error:
        to_svg(figure1())
    assert "brew install graphviz" in str(error.value)
    assert "\n" not in str(error.value)
    with pytest.raises(GraphvizNotFoundError):
        render(figure1(), tmp_path / "f.png")
    assert not (tmp_path / "f.png").exists()


@needs_dot
def test_a_failing_dot_is_a_render_error() -> None:
    with pytest.raises(RenderError, match="syntax error") as error:
        render_module._run_dot("digraph { a -> }", "svg")
    assert "\n" not in str(error.value)


@needs_dot
def test_svg_has_no_comments_and_is_stable() -> None:
    svg = to_svg(figure1())
    assert "<!--" not in svg
    assert "graphviz version" not in svg
    assert svg == to_svg(figure1())


@needs_dot
def test_draw_displays_inline_in_jupyter(monkeypatch: pytest.MonkeyPatch) -> None:
    shell = types.SimpleNamespace(get_ipython=lambda: object())  # a kernel runs IPython's shell
    monkeypatch.setitem(sys.modules, "IPython", shell)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # in Jupyter: no warning
        drawing = draw(figure1(), theme="dark")
    assert "<svg" in drawing._repr_svg_()
    bundle = drawing._repr_mimebundle_()
    assert bundle["image/svg+xml"] == drawing.svg
    assert "19 values" in bundle["text/plain"]
    assert 'bgcolor="transparent"' in drawing.dot


@needs_dot
def test_draw_outside_jupyter_says_how_to_save_the_figure(tmp_path: Path) -> None:
    # pytest runs like a script: not Jupyter, no interactive prompt.
    with pytest.warns(UserWarning, match=r"only in Jupyter; save it with \.save\('figure\.svg'\)"):
        drawing = draw(figure1(), theme="print")
    assert ".save('f.svg') writes a file" in repr(drawing)
    assert drawing.save(tmp_path / "f.svg") == tmp_path / "f.svg"
    assert (tmp_path / "f.svg").read_text("utf-8") == to_svg(figure1(), theme="print")
    drawing.save(tmp_path / "f.png")
    assert (tmp_path / "f.png").read_bytes().startswith(b"\x89PNG")


def test_draw_in_a_script_that_imported_ipython_still_warns(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    no_shell = types.SimpleNamespace(get_ipython=lambda: None)  # imported, no shell running
    monkeypatch.setitem(sys.modules, "IPython", no_shell)
    with pytest.warns(UserWarning, match="save it with"):
        draw(figure1())


def test_draw_at_the_python_prompt_does_not_warn(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "ps1", ">>> ", raising=False)  # the prompt prints the repr instead
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert "save" in repr(draw(figure1()))


_EVERY_FORMAT = """
import hashlib, json, sys
from gradtrace import Value, scope, trace, to_dot, to_json, to_markdown, to_latex
from gradtrace import to_html_table, to_csv, to_svg
from gradtrace.figures import figure1
w = [Value(v, f"w{i}") for i, v in enumerate([0.5, -1.0, float("nan"), -0.0])]
with scope("layer"):
    h = (w[0] * w[1] + w[2]).tanh() + w[3].exp()
graph = trace(figure1(), h)
outs = [to_dot(graph, theme=t) for t in ("light", "print", "dark")]
outs += [to_json(graph), to_markdown(graph), to_latex(graph), to_html_table(graph), to_csv(graph)]
outs += [to_markdown(graph, all_nodes=True), to_dot(graph, collapse=("σ", "layer"))]
from micrograd.engine import Value as Micro
m = [Micro(v) for v in (2.0, -3.0, 0.5, 2.0)]
mo = ((m[0] * m[1] + m[2] ** 2).relu() + m[3] * m[1] - m[0]) * m[2]
mo.backward()
outs += [to_dot(mo), to_markdown(mo, all_nodes=True), to_json(mo)]
if sys.argv[1] == "svg":
    from gradtrace import to_tikz
    outs += [to_svg(graph), to_tikz(graph), to_tikz(graph, theme="dark", collapse=("σ", "layer"))]
print(json.dumps([hashlib.sha256(o.encode()).hexdigest() for o in outs]))
"""


@needs_dot
def test_outputs_are_byte_identical_across_hash_seeds(tmp_path: Path) -> None:
    script = tmp_path / "every_format.py"
    script.write_text(_EVERY_FORMAT, encoding="utf-8")
    results = []
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        done = subprocess.run(
            [sys.executable, str(script), "svg"],
            capture_output=True,
            text=True,
            env=env,
            cwd=Path(__file__).resolve().parent.parent,
            check=True,
        )
        results.append(done.stdout)
    assert results[0] == results[1]
    assert len(set(results[0].split(","))) > 5  # distinct outputs were compared


def test_a_missing_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(GradtraceError, match="does not exist; create it first"):
        render(figure1(), tmp_path / "nope" / "figure.svg")


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", ""])
    child.wait()
    return child.pid


@needs_dot
def test_render_removes_what_a_killed_render_of_the_same_file_left(tmp_path: Path) -> None:
    dead = _dead_pid()
    stale = tmp_path / f".f.svg.gradtrace-{dead}-0123abcd.tmp"
    stale.write_bytes(b"half a figure")
    other = tmp_path / f".g.svg.gradtrace-{dead}-0123abcd.tmp"  # another file's
    other.write_bytes(b"")
    render(figure1(), tmp_path / "f.svg")
    assert not stale.exists() and other.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == [other.name, "f.svg"]


def test_write_all_stages_everything_before_replacing_anything(tmp_path: Path) -> None:
    from gradtrace.atomic import write_all

    (tmp_path / "a.txt").write_text("old a")
    contents = {tmp_path / "a.txt": b"new a", tmp_path / "missing" / "b.txt": b"new b"}
    with pytest.raises(FileNotFoundError) as error:
        write_all(contents)
    assert error.value.filename == str(tmp_path / "missing" / "b.txt")  # the target, named
    assert (tmp_path / "a.txt").read_text() == "old a"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt"]
