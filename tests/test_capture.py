"""gradtrace.capture: user code in, a named graph with gradients out, the same for every surface.

The promises checked here: values are named after the code as it ran (variables, list
and dict elements, attributes, every loop iteration); every name an output uses is
defined in that output; rows follow the order the code made values; the CLI and the
docs fence give the same tables; capture never changes what the code computes, and the
process is left as it was found.
"""

from __future__ import annotations

import ast
import json
import math
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from spec_tables import FIGURE1_TRACE

from gradtrace import capture_code, capture_file, capture_namespace
from gradtrace.capture import CaptureError, pretty_name
from gradtrace.export.render import to_svg
from gradtrace.export.table import to_csv, to_html_table, to_markdown
from gradtrace.export.widget import to_html
from gradtrace.graph import Graph

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
LECTURE = ["list_elements", "loop", "softmax3", "mlp", "long_chain"]


def labels(graph: Graph) -> list[str]:
    return [n.label for n in graph if n.label]


def capture_text(code: str, **options: object) -> Graph:
    return capture_code(textwrap.dedent(code), **options).graph  # type: ignore[arg-type]


# -- names from the code --------------------------------------------------------------------


def test_list_elements_are_named_by_container_and_index() -> None:
    graph = capture_file(EXAMPLES / "list_elements.py").graph
    assert labels(graph) == ["xs[0]", "xs[1]", "f"]
    assert graph.labelled("xs[0]").grad == 2.0 and graph.labelled("xs[1]").grad == 1.0


def test_every_loop_iteration_gets_its_own_name() -> None:
    graph = capture_file(EXAMPLES / "loop.py").graph
    assert labels(graph) == ["x", "a⁽⁰⁾", "hs[0]", "a⁽¹⁾", "hs[1]", "a⁽²⁾", "hs[2]", "f"]
    for k, w in enumerate((1.0, 2.0, 3.0)):
        assert graph.labelled(f"a⁽{'⁰¹²'[k]}⁾").data == 0.5 * w
        assert graph.labelled(f"hs[{k}]").data == pytest.approx(math.tanh(0.5 * w))


def test_a_200_operation_chain_names_all_200_values() -> None:
    graph = capture_file(EXAMPLES / "long_chain.py").graph
    ys = [n for n in graph if n.label.startswith("y")]
    assert len(ys) == 200 == sum(1 for n in graph if n.children)
    digits = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹", "0123456789")
    assert [int(n.label[2:-1].translate(digits)) for n in ys] == list(range(200))


def test_dicts_nested_lists_attributes_and_scopes() -> None:
    graph = capture_text(
        """
        from gradtrace import Value, scope
        class Layer:
            def __init__(self):
                self.w = [[Value(0.1), Value(0.2)], [Value(0.3), Value(0.4)]]
        layer = Layer()
        params = {"w": Value(0.5), "b": Value(0.1)}
        with scope("σ"):
            h = (layer.w[1][0] * params["w"] + params["b"]).tanh()
        """
    )
    assert labels(graph) == ["layer.w[1][0]", 'params["w"]', 'params["b"]', "h"]


def test_explicit_labels_win_and_plain_labels_keep_digits() -> None:
    code = (
        "from gradtrace import Value\nw1 = Value(2.0)\nx1 = Value(3.0, 'input x')\nf1 = w1 * x1\n"
    )
    assert labels(capture_text(code)) == ["w₁", "input x", "f₁"]
    assert labels(capture_text(code, plain_labels=True)) == ["w1", "input x", "f1"]


def test_a_module_level_name_beats_a_loop_variable_and_a_function_local() -> None:
    graph = capture_text(
        """
        from gradtrace import Value
        def double(v):
            twice = v * 2
            return twice
        xs = [Value(1.0), Value(2.0)]
        total = Value(0.0)
        for x in xs:
            total = total + x
        d = double(total)
        """
    )
    # x only ever held list elements; d was first bound inside double() as `twice`.
    assert labels(graph) == ["xs[0]", "xs[1]", "total⁽⁰⁾", "total⁽¹⁾", "total⁽²⁾", "d"]


def test_pretty_names() -> None:
    assert pretty_name("w1x1") == "w₁x₁"
    assert pretty_name("x_2") == "x₂"
    assert pretty_name("model.layers[0].w[1]") == "model.layers[0].w[1]"
    assert pretty_name("W1[2][3]") == "W₁[2][3]"


def test_names_the_code_cannot_give_still_export() -> None:
    graph = capture_text(
        """
        import threading
        from gradtrace import Value
        results = {}
        def work():
            results["t"] = Value(2.0) * 3      # made in another thread
        t = threading.Thread(target=work); t.start(); t.join()
        exec("e = results['t'] + 1")            # bound by exec: no binding hook ran
        tmp = e * 2
        del tmp                                  # deleted, but still in the graph
        sum = 5                                  # a shadowed builtin
        f = e * sum + Value(1.0)                 # an anonymous leaf
        """
    )
    names = labels(graph)
    assert names[:2] == ['results["t"]', "e"] and names[-1] == "f"
    assert graph.nodes[graph.roots[0]].data == (2.0 * 3 + 1) * 5 + 1
    md = to_markdown(graph)
    assert "| v" in md  # the anonymous leaf has a generated name with its own row


# -- order ------------------------------------------------------------------------------------


def _assigned_names(path: Path) -> list[str]:
    """Module-level names in the order the file assigns them (an independent reading)."""
    names: list[str] = []
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign):
            for target in node.targets:
                elts = target.elts if isinstance(target, ast.Tuple) else [target]
                names += [e.id for e in elts if isinstance(e, ast.Name)]
    return names


def test_rows_follow_the_order_the_code_made_values() -> None:
    path = EXAMPLES / "softmax3.py"
    rows = [
        row.split(" | ")[0].lstrip("| ")
        for row in to_markdown(capture_file(path).graph).splitlines()[2:]
    ]
    expected = [pretty_name(n) for n in _assigned_names(path)]
    assert rows == [n for n in expected if n in rows]
    assert rows == ["z₁", "z₂", "z₃", "e₁", "e₂", "e₃", "s", "p₁", "loss"]


def test_figure1_keeps_the_spec_rows_exactly() -> None:
    rows = to_markdown(capture_file(EXAMPLES / "figure1.py").graph).splitlines()[2:]
    shown = [r.strip("| ").split(" | ") for r in rows]
    assert [(v, d, g) for v, _, d, g in shown] == FIGURE1_TRACE


def test_mlp_rows_go_neuron_by_neuron() -> None:
    graph = capture_file(EXAMPLES / "mlp.py").graph
    order = [n.label for n in graph if n.label]
    weights = [x for x in order if ".w[" in x]
    assert weights == [
        f"model.layers[{layer}].neurons[{n}].w[{i}]"
        for layer, neurons, inputs in ((0, 3, 2), (1, 1, 3))
        for n in range(neurons)
        for i in range(inputs)
    ]
    acts = [x for x in order if x.startswith("act")]
    assert acts == ["act⁽⁰⁾", "act⁽¹⁾", "act⁽²⁾", "act⁽³⁾"]


def test_figure_draws_earlier_values_above_later_ones() -> None:
    graph = capture_file(EXAMPLES / "softmax3.py").graph
    svg = to_svg(graph)
    ys = {}
    for name in ("z₁", "z₂", "z₃"):
        node = graph.labelled(name).id
        match = re.search(rf'<g id="v{node}" class="node">.*?<text[^>]*y="([-\d.]+)"', svg, re.S)
        assert match
        ys[name] = float(match[1])
    assert ys["z₁"] < ys["z₂"] < ys["z₃"]  # SVG y grows downwards


# -- no name is used that the output does not define ---------------------------------------

_SUPERSCRIPT = str.maketrans(
    "⁰¹²³⁴⁵⁶⁷⁸⁹⁽⁾⁻ᵃᵇᶜᵈᵉᶠᵍʰⁱʲᵏˡᵐⁿᵒᵖʳˢᵗᵘᵛʷˣʸᶻ", "0123456789()-abcdefghijklmnoprstuvwxyz"
)
_FUNCTIONS = ("tanh", "relu", "exp", "ln", "σ")
_NAME_CHAR = re.compile(r"[\w₀-₉\[\]\".]")


def undefined_names(expression: str, defined: set[str]) -> list[str]:
    """Words of `expression` that are neither defined names, numbers nor function names.

    Superscripts are read as ordinary characters on both sides (`e⁻ᶻ` uses z;
    `y⁽¹²⁾` is the name y(12)), and the longest defined name wins at each place.
    """
    if expression in ("input", "parameter", "constant"):
        return []
    known = sorted({d.translate(_SUPERSCRIPT) for d in defined}, key=len, reverse=True)
    raw, text = expression, expression.translate(_SUPERSCRIPT)

    def ends_word(j: int) -> bool:  # a name ends here (a superscript digit is a power)
        return j == len(text) or raw[j] in "⁰¹²³⁴⁵⁶⁷⁸⁹⁻" or not _NAME_CHAR.match(text[j])

    missing, i = [], 0
    while i < len(text):
        if raw[i] in "⁰¹²³⁴⁵⁶⁷⁸⁹⁻":  # a power's exponent
            i += 1
            continue
        number = re.match(r"\d+(\.\d+)?(e[+-]?\d+)?", text[i:])
        if text[i].isspace() or (not _NAME_CHAR.match(text[i]) and not text[i].isalpha()):
            i += 1
            continue
        if number and (i == 0 or not _NAME_CHAR.match(text[i - 1])):
            i += number.end()
            continue
        word = next(
            (k for k in known if text.startswith(k, i) and ends_word(i + len(k))),
            None,
        )
        if word is None:
            word = next((f for f in _FUNCTIONS if text.startswith(f + "(", i)), None)
        if (
            word is None
            and raw[i] == "e"
            and raw[i + 1 : i + 2] in ("⁻", *"ᵃᵇᶜᵈᵉᶠᵍʰⁱʲᵏˡᵐⁿᵒᵖʳˢᵗᵘᵛʷˣʸᶻ")
        ):
            word = "e"  # e⁻ᶻ: exp written as a power
        if word is None:
            end = i
            while end < len(text) and (_NAME_CHAR.match(text[end]) or text[end].isalpha()):
                end += 1
            missing.append(text[i:end])
            i = end
        else:
            i += len(word)
    return missing


def test_the_checker_finds_undefined_names() -> None:
    assert undefined_names("a⁽¹⁾ + v₃ × 2", {"a⁽¹⁾"}) == ["v₃"]
    assert undefined_names("1/(1 + e⁻ᶻ) + tanh(xs[0])", {"z", "xs[0]"}) == []
    assert undefined_names("w₁² + w₂²", {"w₁²", "w₂²"}) == []
    assert undefined_names("w₁² + w₂²", {"w₁", "w₂"}) == []  # (w₁)²: a power of w₁
    assert undefined_names("foo(x)", {"x"}) == ["foo"]


def _table_cells(markdown: str) -> list[list[str]]:
    rows = markdown.splitlines()[2:]
    return [[c.replace("\\", "").strip() for c in r.strip("|").split(" | ")] for r in rows]


def _figure_texts(svg: str) -> tuple[set[str], list[str]]:
    """Names (bold, a long one on two lines) and expressions (italic) of the value boxes."""
    import html

    bold, italic = set(), []
    for box in re.findall(r'<g id="v\d+" class="node">(.*?)</g>', svg, re.S):
        lines = re.findall(r'font-weight="bold"[^>]*>([^<]*)<', box)
        if lines:
            bold.add(html.unescape("".join(lines)))
        italic += [html.unescape(t) for t in re.findall(r'font-style="italic"[^>]*>([^<]*)<', box)]
    return bold, italic


def _reference(name: str) -> str:
    return name.split(" = ")[0] if " = " in name else name


GRAPHS = {
    **{name: lambda n=name: capture_file(EXAMPLES / f"{n}.py").graph for name in LECTURE},
    "figure1": lambda: capture_file(EXAMPLES / "figure1.py").graph,
    "unlabelled": lambda: capture_text(
        "from gradtrace import Value\nf = ((Value(1.0) * Value(2.0)).exp() + 1).log() * 3\n"
    ),
    "micrograd": lambda: capture_file(EXAMPLES / "micrograd_neuron.py").graph,
}


@pytest.mark.parametrize("name", sorted(GRAPHS))
def test_no_output_uses_a_name_it_does_not_define(name: str) -> None:
    graph = GRAPHS[name]()
    # Tables (Markdown, CSV, HTML): the Variable column defines, the Expression column uses.
    md = _table_cells(to_markdown(graph))
    defined = {_reference(r[0]) for r in md}
    for row in md:
        assert undefined_names(row[1], defined) == [], (name, row)
    header = to_markdown(graph).splitlines()[0]
    assert undefined_names(header.split("∂")[1].split("/")[0], defined) == []
    csv_rows = [line.split(",") for line in to_csv(graph).splitlines()[1:]]
    assert {_reference(r[0].strip('"')) for r in csv_rows} == defined
    assert to_html_table(graph).count("<tr data-node") == len(md)
    # The figure: every name an italic expression uses is in a bold box title.
    bold, italic = _figure_texts(to_svg(graph, max_nodes=None))
    titles = {_reference(b) for b in bold}
    assert defined <= titles | {r[0] for r in md if r[1] == "constant"}
    for text in italic:
        assert undefined_names(text, titles) == [], (name, text)
    # The live demo: the names its status line uses are defined in its own figure.
    if len(graph) <= 300:
        page = to_html(graph)
        config = json.loads(re.search(r'class="gt-config">(.*?)</script>', page, re.S)[1])
        for node, shown in zip(graph, config["names"], strict=True):
            if node.op == "const" and not node.label:
                continue
            assert undefined_names(shown, titles) == [], (name, shown)


# -- one path for every surface -------------------------------------------------------------


@pytest.mark.parametrize("name", [*LECTURE, "figure1", "micrograd_neuron", "reused_node"])
def test_the_cli_and_a_docs_block_give_byte_identical_tables(name: str, tmp_path: Path) -> None:
    from gradtrace.cli import main
    from gradtrace.mkdocs.fence import run_block

    source = EXAMPLES / f"{name}.py"
    assert main(["export", str(source), "--md", "-o", str(tmp_path)]) == 0
    cli_table = (tmp_path / f"{name}.md").read_text(encoding="utf-8")
    block = run_block(source.read_text(encoding="utf-8"), {"table": "true"}, 4)
    assert block["parts"][1]["markdown"] == cli_table


def test_micrograd_graphs_get_backward_in_the_cli_and_in_a_block(tmp_path: Path) -> None:
    from gradtrace.cli import main
    from gradtrace.mkdocs.fence import run_block

    source = EXAMPLES / "micrograd_neuron.py"
    graph = capture_file(source).graph
    # loss = (relu(w1·x1 + w2·x2 + b) − 1)² with n = −1 − 0.75 + 2.5 = 0.75 > 0, so
    # ∂loss/∂b = 2·(0.75 − 1) = −0.5.
    assert graph.labelled("b").grad == pytest.approx(-0.5)
    assert main(["export", str(source), "--md", "-o", str(tmp_path)]) == 0
    assert "| b | input | 2.5000 | -0.5000 |" in (tmp_path / "micrograd_neuron.md").read_text()
    block = run_block(source.read_text(encoding="utf-8"), {"table": "true"}, 4)
    assert "| b | input | 2.5000 | -0.5000 |" in block["parts"][1]["markdown"]


def test_backward_that_the_code_ran_is_kept_in_every_surface() -> None:
    code = "from gradtrace import Value\na = Value(2.0)\nb = a * a\nb.backward()\n"
    graph = capture_text(code)
    assert graph.labelled("a").grad == 4.0  # not 8: backward() is not run a second time


def test_capture_namespace_names_a_notebooks_globals() -> None:
    from gradtrace import Value

    namespace: dict[str, object] = {"w1": Value(0.5), "xs": [Value(2.0)]}
    namespace["f"] = namespace["w1"] * namespace["xs"][0]  # type: ignore[index, operator]
    graph = capture_namespace(namespace).graph
    assert labels(graph) == ["w₁", "xs[0]", "f"]
    assert namespace["w1"].label == ""  # type: ignore[attr-defined]  # values are not changed


# -- capture changes nothing ----------------------------------------------------------------


@pytest.mark.parametrize("name", LECTURE)
def test_capture_never_changes_what_the_file_computes(name: str) -> None:
    source = EXAMPLES / f"{name}.py"
    script = (
        f"import runpy, json\nns = runpy.run_path({str(source)!r})\n"
        "vals = {k: v.data for k, v in ns.items() if type(v).__name__ == 'Value'}\n"
        "print(json.dumps(vals))\n"
    )
    plain = json.loads(subprocess.check_output([sys.executable, "-c", script], text=True))
    captured = capture_file(source)
    for key, data in plain.items():
        value = captured.namespace[key]
        assert value.data == data, key  # bit for bit


def test_the_process_is_left_as_it_was(tmp_path: Path) -> None:
    source = tmp_path / "rude.py"
    source.write_text(
        "import os, sys\n"
        "from gradtrace import Value\n"
        "os.chdir('/')\n"
        "sys.path.insert(0, '/nowhere')\n"
        "sys.argv.append('--extra')\n"
        "sys.setrecursionlimit(50_000)\n"
        "sys.stdout = open(os.devnull, 'w')\n"
        "f = Value(1.0) * 2\n"
    )
    cwd, path, argv = os.getcwd(), sys.path[:], sys.argv[:]
    limit, stdout = sys.getrecursionlimit(), sys.stdout
    capture_file(source)
    assert (os.getcwd(), sys.path, sys.argv) == (cwd, path, argv)
    assert (sys.getrecursionlimit(), sys.stdout) == (limit, stdout)


def test_a_file_that_changes_folder_cannot_redirect_the_outputs(tmp_path: Path) -> None:
    """Issue 16, item 1: the unrelated file stays as it was; the printed path is the written one."""
    sub = tmp_path / "sub"
    (sub / "sub").mkdir(parents=True)
    source = sub / "expr.py"
    source.write_text(
        "import os\nos.chdir(os.path.dirname(os.path.abspath(__file__)))\n"
        "from gradtrace import Value\nf = Value(1.0) * 2\n"
    )
    unrelated = sub / "sub" / "expr.md"
    unrelated.write_text("keep me\n")
    run = subprocess.run(
        [sys.executable, "-m", "gradtrace", "export", "sub/expr.py", "--md"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr
    assert unrelated.read_text() == "keep me\n"
    assert run.stdout.strip() == os.path.join("sub", "expr.md")
    assert "| f |" in (sub / "expr.md").read_text()


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("import os\nos._exit(0)\n", "called os._exit(0) before it finished"),
        ("import sys\nsys.exit(2)\n", "called sys.exit(2) before it finished"),
        ("x = input()\n", "raised EOFError"),
        ("def f(n):\n    return f(n + 1)\nf(0)\n", "raised RecursionError"),
        ("x = (\n", "syntax error"),
        ("x = 1\n", "no Value found"),
    ],
)
def test_code_that_cannot_be_captured_gives_one_clear_error(code: str, message: str) -> None:
    with pytest.raises(CaptureError) as caught:
        capture_code(code, stdin=False)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_a_runaway_recursion_traceback_is_cut_short() -> None:
    code = "import sys\nsys.setrecursionlimit(100_000)\ndef f(n):\n    return f(n + 1)\nf(0)\n"
    with pytest.raises(CaptureError) as caught:
        capture_code(code)
    text = caught.value.user_traceback
    assert "more frames ..." in text and text.count("\n") < 80
    assert sys.getrecursionlimit() < 100_000


def test_a_graph_of_100000_values_exports_its_table_and_refuses_a_figure(tmp_path: Path) -> None:
    from gradtrace.cli import main

    source = tmp_path / "big.py"
    source.write_text(
        "from gradtrace import Value\n"
        "xs = [Value(float(i)) for i in range(50_000)]\n"
        "f = Value.sum(x * 2 for x in xs)\n"
    )
    assert main(["export", str(source), "--csv", "-o", str(tmp_path)]) == 0
    lines = (tmp_path / "big.csv").read_text().splitlines()
    assert lines[1].startswith("xs[0],") and len(lines) == 50_002
    assert main(["export", str(source), "--svg", "-o", str(tmp_path)]) == 1
    assert not (tmp_path / "big.svg").exists()
