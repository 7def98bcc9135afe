"""`gradtrace export`: the good paths, checked against independent truth.

Most tests call `main(argv)` in-process (fast); a few run the real command in a
subprocess. Numbers are compared with SPEC §2's table, with closed-form
gradients or with a second way of computing the same thing (the library
called directly), never with the command's own earlier output.
"""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys
from pathlib import Path

import pytest
from spec_tables import FIGURE1_TRACE

import gradtrace
from gradtrace.cli import FORMATS, main

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*.py"))


def cli(capsys: pytest.CaptureFixture[str], *argv: str | Path) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def nodes_by_label(json_path: Path) -> dict[str, dict[str, object]]:
    return {n["label"]: n for n in json.loads(json_path.read_text("utf-8"))["nodes"]}


def markdown_rows(text: str) -> dict[str, list[str]]:
    """First cell → all cells of each body row of a Markdown table."""
    rows = [line for line in text.splitlines() if line.startswith("|")][2:]
    cells = [[c.strip() for c in r.strip().strip("|").split("|")] for r in rows]
    return {c[0]: c for c in cells}


# -- the command itself --------------------------------------------------------


def test_version_is_the_package_version(capsys: pytest.CaptureFixture[str]) -> None:
    pyproject = (ROOT / "pyproject.toml").read_text("utf-8")
    version = re.search(r'^version = "(.+)"$', pyproject, re.MULTILINE).group(1)  # type: ignore[union-attr]
    code, out, _ = cli(capsys, "--version")
    assert (code, out) == (0, f"gradtrace {version}\n")


@pytest.mark.parametrize("command", [[], ["export"], ["train"]])
def test_every_command_has_help_with_examples(
    capsys: pytest.CaptureFixture[str], command: list[str]
) -> None:
    code, out, _ = cli(capsys, *command, "--help")
    assert code == 0
    assert "examples:" in out
    assert "gradtrace" in out.split("examples:")[1]


def test_python_dash_m_and_the_console_script_run() -> None:
    for cmd in (
        [sys.executable, "-m", "gradtrace", "--version"],
        [str(Path(sys.executable).parent / "gradtrace"), "--version"],
    ):
        done = subprocess.run(cmd, capture_output=True, text=True, check=False)
        assert (done.returncode, done.stdout) == (0, f"gradtrace {gradtrace.__version__}\n")


def test_no_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = cli(capsys)
    assert code == 2
    assert err == (
        "gradtrace: error: choose a command: export or train; run 'gradtrace --help' for both\n"
    )


# -- examples/ -------------------------------------------------------------------


@pytest.mark.parametrize("example", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_every_example_exports_in_every_text_format(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, example: Path
) -> None:
    flags = ["--dot", "--md", "--tex", "--csv", "--json", "--svg", "--html"]
    code, out, err = cli(capsys, "export", example, *flags, "-o", tmp_path)
    assert code == 0
    assert all(line.startswith("gradtrace: note: ") for line in err.splitlines())  # no error
    written = sorted(tmp_path.iterdir())
    assert [p.name for p in written] == sorted(f"{example.stem}.{f[2:]}" for f in flags)
    # One line per file written, in the fixed order of FORMATS (not of the flags).
    order = [f for f in FORMATS if f"--{f}" in flags]
    assert out.splitlines() == [str(tmp_path / f"{example.stem}.{f}") for f in order]
    graph = json.loads((tmp_path / f"{example.stem}.json").read_text("utf-8"))
    root = graph["nodes"][graph["roots"][0]]
    assert root["grad"] == 1.0  # backward() ran on the root
    assert "<svg" in (tmp_path / f"{example.stem}.svg").read_text("utf-8")
    assert (tmp_path / f"{example.stem}.dot").read_text("utf-8").lstrip().startswith("digraph")
    page = (tmp_path / f"{example.stem}.html").read_text("utf-8")
    assert page.startswith("<!DOCTYPE html>") and "data-gt-widget" in page  # the live demo


def test_figure1_example_reproduces_the_spec_table(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, _, _ = cli(capsys, "export", ROOT / "examples/figure1.py", "--md", "-o", tmp_path)
    assert code == 0
    rows = markdown_rows((tmp_path / "figure1.md").read_text("utf-8"))
    assert list(rows) == [label for label, _, _ in FIGURE1_TRACE]
    for label, data, grad in FIGURE1_TRACE:
        assert rows[label][-2:] == [data, grad], label


def test_figure1_example_is_the_same_graph_as_figures_figure1(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from gradtrace.export.json import to_json
    from gradtrace.figures import figure1

    code, _, _ = cli(capsys, "export", ROOT / "examples/figure1.py", "-o", tmp_path / "f.json")
    assert code == 0
    assert (tmp_path / "f.json").read_text("utf-8") == to_json(figure1())


def test_figure1_gradients_match_the_closed_form(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    cli(capsys, "export", ROOT / "examples/figure1.py", "--json", "-o", tmp_path)
    n = nodes_by_label(tmp_path / "figure1.json")
    w1, w2, x1, x2 = 0.2, 0.4, -0.4, 0.5
    s = 1 / (1 + math.exp(-(w1 * x1 + w2 * x2)))
    ds = s * (1 - s)
    expected = {"x₁": ds * w1, "x₂": ds * w2, "w₁": ds * x1 + w1, "w₂": ds * x2 + w2}
    for label, grad in expected.items():
        assert n[label]["grad"] == pytest.approx(grad, abs=1e-12)


def _closed_forms() -> dict[str, dict[str, float]]:
    """Each example's gradients, worked out by hand (label → ∂root/∂label)."""
    o = math.tanh(0.5 * 1.0 + 0.25 * -2.0 + 0.1)
    p1 = math.exp(1.0) / (math.exp(1.0) + math.exp(-0.5))
    n = -0.5 * 2.0 + 0.75 * -1.0 + 2.5  # micrograd_neuron: relu(n) > 0, loss = (n - 1)²
    return {
        "reused_node": {"a": 2.0},
        "tanh_neuron": {"w₁": (1 - o * o) * 1.0, "x₂": (1 - o * o) * 0.25, "b": 1 - o * o},
        "softmax2": {"z₁": p1 - 1, "z₂": 1 - p1},
        "micrograd_neuron": {"w₁": 2 * (n - 1) * 2.0, "x₂": 2 * (n - 1) * 0.75, "b": 2 * (n - 1)},
    }


@pytest.mark.parametrize("name", sorted(_closed_forms()))
def test_example_gradients_match_their_closed_forms(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, name: str
) -> None:
    assert cli(capsys, "export", ROOT / f"examples/{name}.py", "--json", "-o", tmp_path)[0] == 0
    nodes = nodes_by_label(tmp_path / f"{name}.json")
    for label, grad in _closed_forms()[name].items():
        assert nodes[label]["grad"] == pytest.approx(grad, abs=1e-12), label


# -- running the user's file -------------------------------------------------------


def test_variables_name_unlabelled_values_with_subscripts(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    src = write(
        tmp_path / "expr.py",
        "from gradtrace import Value\n"
        "w1, x_2, h12 = Value(2.0), Value(3.0), Value(1.0)\n"
        "kept = Value(5.0, 'mine')\n"
        "w1x2 = w1 * x_2\n"
        "loss = w1x2 + h12 + kept\n",
    )
    assert cli(capsys, "export", src, "--json")[0] == 0
    assert set(nodes_by_label(tmp_path / "expr.json")) >= {
        "w₁",
        "x₂",
        "h₁₂",
        "mine",
        "w₁x₂",
        "loss",
    }
    assert cli(capsys, "export", src, "--json", "--plain-labels")[0] == 0
    assert set(nodes_by_label(tmp_path / "expr.json")) >= {"w1", "x_2", "h12", "mine", "w1x2"}


def test_file_runs_like_python_file_py(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    write(tmp_path / "helper_for_cli_test.py", "SCALE = 3.0\n")
    src = write(
        tmp_path / "expr.py",
        "import sys\n"
        "from helper_for_cli_test import SCALE\n"
        "from gradtrace import Value\n"
        "a = Value(2.0)\n"
        "if __name__ == '__main__':\n"
        "    f = a * SCALE\n"
        "    print('argv', sys.argv[1:])\n",
    )
    code, out, _ = cli(capsys, "export", src, "--json")
    assert code == 0
    assert out.splitlines() == ["argv []", str(tmp_path / "expr.json")]
    n = nodes_by_label(tmp_path / "expr.json")
    assert (n["f"]["data"], n["a"]["grad"]) == (6.0, 3.0)
    assert str(tmp_path) not in sys.path  # the file's folder is taken off sys.path again


def test_backward_runs_once_and_only_when_needed(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    body = "from gradtrace import Value\na, b = Value(2.0), Value(-3.0)\nf = a * b + a\n"
    src = write(tmp_path / "expr.py", body)
    cli(capsys, "export", src, "--json")
    assert nodes_by_label(tmp_path / "expr.json")["a"]["grad"] == -2.0  # ∂f/∂a = b + 1
    cli(capsys, "export", src, "--json", "--no-backward")
    assert nodes_by_label(tmp_path / "expr.json")["a"]["grad"] == 0.0
    write(src, body + "f.backward()\n")  # already has gradients: not run a second time
    cli(capsys, "export", src, "--json")
    assert nodes_by_label(tmp_path / "expr.json")["a"]["grad"] == -2.0


def test_root_and_all_roots(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    src = write(
        tmp_path / "two.py",
        "from gradtrace import Value\na = Value(2.0)\nsq = a * a\ncube = sq * a\nhalf = a * 0.5\n",
    )
    assert cli(capsys, "export", src, "--json", "--root", "sq")[0] == 0
    graph = json.loads((tmp_path / "two.json").read_text("utf-8"))
    assert [n["label"] for n in graph["nodes"]] == ["a", "sq"]
    assert graph["nodes"][0]["grad"] == 4.0  # ∂(a²)/∂a = 2a
    assert cli(capsys, "export", src, "--json", "--all-roots")[0] == 0
    graph = json.loads((tmp_path / "two.json").read_text("utf-8"))
    assert sorted(graph["nodes"][r]["label"] for r in graph["roots"]) == ["cube", "half"]


def test_all_roots_table_says_whose_gradients_it_shows(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    body = "from gradtrace import Value\na = Value(2.0)\nsq = a * a\ncube = sq * a\nhalf = a / 2\n"
    # No backward() in the file: two outputs and no f, so no ∂f/∂· and no zeros posing as gradients.
    src = write(tmp_path / "two.py", body)
    assert cli(capsys, "export", src, "--md", "--all-roots")[0] == 0
    text = (tmp_path / "two.md").read_text("utf-8")
    assert text.splitlines()[0] == "| Variable | Expression | Forward Value | Gradient |"
    assert {row[3] for row in markdown_rows(text).values()} == {"—"}
    # The file ran cube.backward(): the column is ∂cube/∂·, and half, which cube does not use, is 0.
    write(src, body + "cube.backward()\n")
    assert cli(capsys, "export", src, "--md", "--all-roots")[0] == 0
    text = (tmp_path / "two.md").read_text("utf-8")
    assert "| Gradient (∂cube/∂·) |" in text.splitlines()[0]
    rows = markdown_rows(text)
    assert rows["a"][3] == "12.0000"  # ∂(a³)/∂a = 3a² at a = 2
    assert (rows["cube"][3], rows["half"][3]) == ("1.0000", "0.0000")


def test_micrograd_values_export(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    pytest.importorskip("micrograd")
    src = write(
        tmp_path / "mg.py",
        "from micrograd.engine import Value\nx = Value(-2.0)\nw = Value(3.0)\ny = (x * w).relu()\n",
    )
    assert cli(capsys, "export", src, "--json")[0] == 0
    n = nodes_by_label(tmp_path / "mg.json")
    assert (n["y"]["op"], n["y"]["data"], n["x"]["grad"]) == ("ReLU", 0, 0)


# -- outputs -------------------------------------------------------------------------


def test_default_is_svg_next_to_the_file(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    src = write(tmp_path / "expr.py", "from gradtrace import Value\nf = Value(1.0).exp()\n")
    code, out, _ = cli(capsys, "export", src)
    assert (code, out) == (0, f"{tmp_path / 'expr.svg'}\n")
    assert (tmp_path / "expr.svg").read_text("utf-8").rstrip().endswith("</svg>")


def test_dash_o_file_picks_the_format_from_its_suffix(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    src = write(tmp_path / "expr.py", "from gradtrace import Value\nf = Value(1.0).exp()\n")
    (tmp_path / "out").mkdir()
    for name, magic in (("fig.png", b"\x89PNG"), ("fig.pdf", b"%PDF"), ("fig.json", b"{")):
        assert cli(capsys, "export", src, "-o", tmp_path / "out" / name)[0] == 0
        assert (tmp_path / "out" / name).read_bytes().startswith(magic)
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "fig.json",
        "fig.pdf",
        "fig.png",
    ]


def test_outputs_get_ordinary_permissions(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    import os

    src = write(tmp_path / "expr.py", "from gradtrace import Value\nf = Value(1.0).exp()\n")
    old = os.umask(0o022)
    try:
        cli(capsys, "export", src, "--json")
    finally:
        os.umask(old)
    assert (tmp_path / "expr.json").stat().st_mode & 0o777 == 0o644


def test_options_reach_the_exporters(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    from gradtrace.export.dot import to_dot
    from gradtrace.export.table import to_markdown
    from gradtrace.figures import figure1

    fig = ROOT / "examples/figure1.py"
    assert (
        cli(capsys, "export", fig, "--md", "--precision", "2", "--all-nodes", "-o", tmp_path)[0]
        == 0
    )
    assert (tmp_path / "figure1.md").read_text("utf-8") == to_markdown(
        figure1(), precision=2, all_nodes=True
    )
    argv = ["--rankdir", "TB", "--theme", "dark", "--collapse", "σ", "--precision", "3"]
    assert cli(capsys, "export", fig, "--dot", *argv, "-o", tmp_path)[0] == 0
    assert (tmp_path / "figure1.dot").read_text("utf-8") == to_dot(
        figure1(), rankdir="TB", theme="dark", collapse=("σ",), precision=3
    )


def test_output_is_byte_identical_across_processes(tmp_path: Path) -> None:
    import os

    outputs = []
    for seed in ("1", "2"):
        folder = tmp_path / seed
        folder.mkdir()
        env = {**os.environ, "PYTHONHASHSEED": seed}
        for example in ("figure1", "micrograd_neuron"):  # micrograd keeps children in a set
            argv = ["export", str(ROOT / f"examples/{example}.py"), "--svg", "--md", "--json"]
            subprocess.run(
                [sys.executable, "-m", "gradtrace", *argv, "-o", str(folder)],
                env=env,
                check=True,
                stdout=subprocess.DEVNULL,
            )
        outputs.append({p.name: p.read_bytes() for p in folder.iterdir()})
    assert outputs[0] == outputs[1]
    assert len(outputs[0]) == 6


def test_fast_paths_do_not_import_heavy_modules(tmp_path: Path) -> None:
    """`--help`, a Markdown and an SVG export load none of numpy, matplotlib, graphviz, tqdm.

    (Rendering runs Graphviz's `dot` itself; the `graphviz` package is not needed for it.)"""
    probe = (
        "import sys\n"
        "from gradtrace.cli import main\n"
        "main(sys.argv[1:])\n"
        "heavy = ('numpy', 'matplotlib', 'graphviz', 'tqdm')\n"
        "print('loaded:', *sorted(m for m in heavy if m in sys.modules))\n"
    )
    fig = str(ROOT / "examples/figure1.py")
    cases = {
        ("--help",): "loaded:",
        ("export", fig, "--md", "-o", str(tmp_path)): "loaded:",
        ("export", fig, "--svg", "-o", str(tmp_path)): "loaded:",
    }
    for argv, expected in cases.items():
        done = subprocess.run(
            [sys.executable, "-c", probe, *argv], capture_output=True, text=True, check=True
        )
        assert done.stdout.splitlines()[-1] == expected, argv


def _positions(svg: str) -> dict[str, tuple[float, float]]:
    """Where each value box is drawn: its first text line's (x, y), by that text."""
    out: dict[str, tuple[float, float]] = {}
    for box in re.findall(r'<g id="\w*?v\d+" class="node">(.*?)</g>', svg, re.S):
        text = re.search(r'<text[^>]*x="([-\d.]+)" y="([-\d.]+)"[^>]*>(.*?)</text>', box, re.S)
        if text:
            out[re.sub(r"<[^>]+>", "", text[3])] = (float(text[1]), float(text[2]))
    return out


def test_html_honours_the_figure_options(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    fig = ROOT / "examples/figure1.py"
    plain, styled = tmp_path / "plain", tmp_path / "styled"
    plain.mkdir()
    styled.mkdir()
    assert cli(capsys, "export", fig, "--html", "-o", plain)[0] == 0
    argv = ["--rankdir", "TB", "--theme", "print", "--collapse", "σ"]
    assert cli(capsys, "export", fig, "--html", *argv, "-o", styled)[0] == 0
    before = (plain / "figure1.html").read_text("utf-8")
    after = (styled / "figure1.html").read_text("utf-8")
    figure = re.compile(r'<svg class="gt-svg[^"]*".*?</svg>', re.S)
    svgs = figure.findall(after)
    assert len(svgs) == 1  # one chosen theme, shown whatever the page's colour scheme
    assert len(figure.findall(before)) == 2
    # --theme print: THEMES["print"]'s grey gradient fill, not light's blue.
    assert 'fill="#e6e6e6"' in svgs[0] and 'fill="#dde9fb"' not in svgs[0]
    # --collapse σ: e⁻ᶻ (inside σ) is not drawn any more; G = σ(z) still is.
    assert "e⁻ᶻ" in before and "e⁻ᶻ" not in svgs[0] and "G = σ(z)" in svgs[0]
    # --rankdir TB: the output f is drawn below the input w₁ (LR: to its right).
    lr = _positions(figure.findall(before)[0])
    tb = _positions(svgs[0])
    assert lr["f"][0] > lr["w₁"][0] + 100 and abs(lr["f"][1] - lr["w₁"][1]) < 200
    assert tb["f"][1] > tb["w₁"][1] + 100


def test_html_honours_max_nodes(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    fig = ROOT / "examples/figure1.py"
    code, _, err = cli(capsys, "export", fig, "--html", "--max-nodes", "10", "-o", tmp_path)
    assert code == 1 and "19 values to draw, more than --max-nodes 10" in err
    assert "--collapse (σ)" in err  # figure 1 has a scope that folding would draw smaller
    assert list(tmp_path.iterdir()) == []
    # Collapsing σ leaves 15 value boxes to draw (19 minus its 4 inner values and plus 0).
    code, _, err = cli(
        capsys, "export", fig, "--html", "--max-nodes", "15", "--collapse", "σ", "-o", tmp_path
    )
    assert code == 0, err


def test_collapse_lifts_the_size_limit(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    # The case: a 2,002-value scope collapsed to a few boxes must not be refused.
    src = write(
        tmp_path / "big.py",
        "from gradtrace import Value, scope\n"
        "x = Value(0.5)\n"
        "with scope('block'):\n"
        "    y = x\n"
        "    for _ in range(2000):\n"
        "        y = y.tanh()\n"
        "f = y * 2\n",
    )
    code, _, err = cli(capsys, "export", src, "--svg", "-o", tmp_path)
    assert code == 1 and "--collapse (block)" in err
    code, _, err = cli(capsys, "export", src, "--svg", "--collapse", "block", "-o", tmp_path)
    assert code == 0, err
    svg = (tmp_path / "big.svg").read_text("utf-8")
    assert len(re.findall(r'<g id="v\d+" class="node"', svg)) <= 4


def test_images_and_pages_get_the_umask_permissions(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    import os

    fig = ROOT / "examples/figure1.py"
    old = os.umask(0o027)
    try:
        assert cli(capsys, "export", fig, "--svg", "--md", "-o", tmp_path)[0] == 0
        gradtrace.render(gradtrace.figure1(), tmp_path / "api.svg")
    finally:
        os.umask(old)
    for name in ("figure1.svg", "figure1.md", "api.svg"):  # 0666 & ~027; mkstemp gave 0600
        assert (tmp_path / name).stat().st_mode & 0o777 == 0o640, name
