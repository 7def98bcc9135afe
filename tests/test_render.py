"""Rendering through Graphviz: formats, atomic writes, errors, Jupyter, determinism."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
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
    to_svg,
)
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
    assert "collapse" in str(error.value)
    assert "to_dot" in str(error.value)
    with pytest.raises(GraphTooLargeError):
        render(chain(11), "never.svg", max_nodes=10)
    assert not Path("never.svg").exists()


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
    monkeypatch.setitem(sys.modules, "IPython", sys)  # a kernel has IPython loaded
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
