"""Trace tables: SPEC §2 reproduced, escaping per format, all_nodes, edge numbers."""

from __future__ import annotations

import csv
import io
import math
import re
from html.parser import HTMLParser

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gradtrace import Value, scope, to_dot, trace
from gradtrace.export.table import table_rows, to_csv, to_html_table, to_latex, to_markdown
from gradtrace.figures import figure1, reused_node, softmax2
from gradtrace.notation import plain_text
from gradtrace.options import OptionError

# SPEC §2's trace table, verbatim.
SPEC_TABLE = """\
| Variable | Expression | Forward Value | Gradient (∂f/∂·) |
|---|---|---|---|
| w₁ | input | 0.2000 | 0.1004 |
| w₂ | input | 0.4000 | 0.5246 |
| x₁ | input | -0.4000 | 0.0498 |
| x₂ | input | 0.5000 | 0.0996 |
| w₁² | w₁ ** 2 | 0.0400 | 0.5000 |
| w₂² | w₂ ** 2 | 0.1600 | 0.5000 |
| w₁x₁ | w₁ * x₁ | -0.0800 | 0.2491 |
| w₂x₂ | w₂ * x₂ | 0.2000 | 0.2491 |
| z | w₁x₁ + w₂x₂ | 0.1200 | 0.2491 |
| u | w₁² + w₂² | 0.2000 | 0.5000 |
| R | 0.5 * u | 0.1000 | 1.0000 |
| G = σ(z) | 1/(1+e⁻ᶻ) | 0.5300 | 1.0000 |
| f | G + R | 0.6300 | 1.0000 |
"""

NASTY = ["a|b", "x\\|y", "two\nlines", "<script>alert(1)</script>", "$_%#&{}~^\\", 'q"uote,comma']


def cells(line: str) -> list[str]:
    """The cells of a Markdown table row (a pipe preceded by a backslash is text)."""
    parts = re.split(r"(?<!\\)\|", line)
    assert parts[0] == "" and parts[-1] == "", line
    return [p.strip() for p in parts[1:-1]]


def normalise(expression: str) -> str:
    """Compare expressions up to notation: `w₁ ** 2` ~ `w₁²`, `*` ~ `×`, spacing."""
    return expression.replace(" ", "").replace("**2", "²").replace("*", "×")


def test_figure1_markdown_reproduces_the_spec_table() -> None:
    ours = [cells(line) for line in to_markdown(figure1()).splitlines()]
    spec = [cells(line) for line in SPEC_TABLE.splitlines()]
    assert ours[0] == spec[0]
    assert len(ours) == len(spec)
    for mine, theirs in zip(ours[2:], spec[2:], strict=True):
        assert mine[0] == theirs[0]
        assert normalise(mine[1]) == normalise(theirs[1])
        assert mine[2:] == theirs[2:]


def test_figure1_rows_carry_the_expressions_in_latex() -> None:
    rows = {r.variable: r for r in table_rows(figure1())}
    assert rows["G = σ(z)"].latex == r"\frac{1}{1 + e^{-z}}"
    assert rows["w₁²"].latex == "w_{1}^{2}"
    assert rows["w₁"].latex == "input"
    assert rows["f"].expression == "G + R"


def test_markdown_keeps_four_columns_whatever_the_labels() -> None:
    a = Value(1.0, NASTY[0])
    out = a
    for label in NASTY[1:]:
        out = out * Value(2.0, label)
        out.label = label + "*"
    for line in to_markdown(out).splitlines():
        assert len(cells(line)) == 4, line
    assert "<script>" not in to_markdown(out)


def test_latex_escapes_specials() -> None:
    a = Value(1.0, "$_%#&{}~^\\")
    b = a * 2
    b.label = "loss"
    tex = to_latex(b)
    assert r"\$\_\%\#\&\{\}\sim{}\hat{}\backslash{}" in tex
    body = [line for line in tex.splitlines() if line.endswith(r"\\")]
    for line in body:
        assert len(re.findall(r"(?<!\\)&", line)) == 3, line
        assert line.count("{") == line.count("}")
        assert len(re.findall(r"(?<!\\)\$", line)) % 2 == 0
        assert not re.search(r"(?<!\\)[%#]", line)
    assert tex.startswith(r"\begin{tabular}{llrr}")
    assert r"\toprule" in tex and r"\midrule" in tex and r"\bottomrule" in tex
    assert r"$\mathit{loss}$" in tex


class _Cells(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self.tags: list[str] = []
        self.open = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self.rows[-1].append("")
            self.open = True

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th"):
            self.open = False

    def handle_data(self, data: str) -> None:
        if self.open:
            self.rows[-1][-1] += data


def test_html_escapes_labels_and_marks_number_cells() -> None:
    x = Value(1.5, "<script>alert(1)</script>")
    y = x * Value(2.0, 'a & "b"')
    y.label = "y"
    y.backward()
    page = to_html_table(y)
    parser = _Cells()
    parser.feed(page)
    assert "script" not in parser.tags
    variables = [row[0] for row in parser.rows[1:]]
    assert variables == ["<script>alert(1)</script>", 'a & "b"', "y"]
    assert parser.rows[0] == ["Variable", "Expression", "Forward Value", "Gradient (∂y/∂·)"]
    assert parser.rows[-1] == ["y", '<script>alert(1)</script> × a & "b"', "3.0000", "1.0000"]
    assert f'<tr data-node="{trace(y).roots[0]}">' in page
    assert '<td class="gt-data">3.0000</td><td class="gt-grad">1.0000</td>' in page


def test_csv_round_trips() -> None:
    x = Value(1.0, 'q"uote,comma')
    y = x * Value(-2.0, "two\nlines")
    y.label = "y"
    y.backward()
    rows = list(csv.reader(io.StringIO(to_csv(y))))
    assert rows[0] == ["Variable", "Expression", "Forward Value", "Gradient (∂y/∂·)"]
    assert rows[1] == ['q"uote,comma', "input", "1.0000", "-2.0000"]
    assert rows[2] == ["two\nlines", "input", "-2.0000", "1.0000"]
    assert all(len(r) == 4 for r in rows)


def test_non_finite_numbers_in_every_format() -> None:
    x = Value(0.0, "x")
    y = x.log()
    y.label = "y"
    z = y * 0.0
    z.label = "z"
    n = -x
    n.label = "n"
    total = z + n
    total.label = "t"
    md = to_markdown(total)
    assert "| y | ln(x) | -inf |" in md
    assert "| z | y × 0 | nan |" in md
    assert "| n | −x | -0.0000 |" in md
    tex = to_latex(total)
    assert r"$-\infty$" in tex
    assert r"$\mathrm{nan}$" in tex
    assert "nan" in to_csv(total) and "nan" in to_html_table(total)


def test_all_nodes_lists_every_node_with_unique_names() -> None:
    graph = trace(figure1())
    rows = table_rows(graph, all_nodes=True)
    assert sorted(r.id for r in rows) == list(range(len(graph)))
    assert rows[-1].variable == "f"
    names = [r.variable for r in rows if graph[r.id].op != "const"]
    assert len(names) == len(set(names))
    by_id = {r.id: r for r in rows}
    g = graph.labelled("G = σ(z)")
    subscript = str(g.children[0]).translate(str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉"))
    assert by_id[g.id].expression == "1/v" + subscript


def test_unlabelled_output_gets_a_row_and_inputs_come_first() -> None:
    a, b = Value(2.0, "a"), Value(3.0, "b")
    with scope("s"):
        out = (a * b).exp() + b
    out.backward()
    rows = table_rows(out)
    # The one unlabelled output is f, as the gradient header calls it (∂f/∂·).
    assert [r.variable for r in rows] == ["a", "b", "f"]
    assert "Gradient (∂f/∂·)" in to_markdown(out)
    assert trace(out).roots == (4,)
    assert rows[-1].expression == "exp(a × b) + b"
    assert math.isclose(rows[0].grad, 3.0 * math.exp(6.0))


def test_an_unlabelled_output_is_v_when_f_is_taken() -> None:
    f, b = Value(2.0, "f"), Value(3.0, "b")
    out = f * b + b
    out.backward()
    assert [r.variable for r in table_rows(out)] == ["f", "b", "v₃"]
    assert "Gradient (∂v₃/∂·)" in to_markdown(out)


def test_the_header_names_the_output() -> None:
    assert "Gradient (∂L/∂·)" in to_markdown(softmax2())
    assert "Gradient (∂b/∂·)" in to_markdown(reused_node())


def test_gradients_before_backward_read_not_computed() -> None:
    a, b = Value(2.0, "a"), Value(3.0, "b")
    f = a * b
    f.label = "f"
    md = to_markdown(f)
    assert [line.split(" | ")[-1] for line in md.splitlines()[2:]] == ["— |"] * 3
    assert [line.split(",")[-1] for line in to_csv(f).splitlines()[1:]] == [""] * 3
    assert to_latex(f).count(r"& --- \\") == 3
    assert to_html_table(f).count('<td class="gt-grad">—</td>') == 3
    f.backward()
    assert [line.split(" | ")[-1] for line in to_markdown(f).splitlines()[2:]] == [
        "3.0000 |",  # ∂(ab)/∂a = b
        "2.0000 |",
        "1.0000 |",
    ]


def two_outputs() -> tuple[Value, Value]:
    """`sq = a²` and `half = a/2` of one input `a = 2`, no `backward()` run."""
    a = Value(2.0, "a")
    sq, half = a * a, a * 0.5
    sq.label, half.label = "sq", "half"
    return sq, half


def test_with_several_outputs_the_header_names_the_one_backward_ran_from() -> None:
    sq, half = two_outputs()
    graph = trace(sq, half)
    assert "| Gradient |" in to_markdown(graph)
    sq.backward()
    assert "| Gradient (∂sq/∂·) |" in to_markdown(trace(sq, half))
    half.backward()  # both: the leaves hold a sum, so no single f
    assert "| Gradient |" in to_markdown(trace(sq, half))


def test_html_table_can_name_the_output_whose_gradients_it_will_hold() -> None:
    """The live demo computes ∂(first output)/∂· itself and says so in the header."""
    graph = trace(*two_outputs())
    assert '<th scope="col">Gradient</th>' in to_html_table(graph)
    named = to_html_table(graph, output=graph.roots[1])
    assert '<th scope="col">Gradient (∂half/∂·)</th>' in named
    assert named.count('<td class="gt-grad">—</td>') == 3  # still not computed
    unlabelled = trace(Value(1.0, "x") * 3.0)
    assert "Gradient (∂f/∂·)" in to_html_table(unlabelled, output=unlabelled.roots[0])
    with pytest.raises(OptionError, match="output"):
        to_html_table(graph, output=len(graph))


@pytest.mark.parametrize("fmt", [to_markdown, to_latex, to_html_table, to_csv])
def test_precision_option(fmt) -> None:  # type: ignore[no-untyped-def]
    text = fmt(figure1(), precision=2)
    assert "0.53" in text and "0.5300" not in text


def test_fused_sum_and_dot_rows() -> None:
    a, b, c, d = (Value(v, n) for v, n in [(1.0, "a"), (2.0, "b"), (3.0, "c"), (4.0, "d")])
    s = Value.sum([a, b, c])
    s.label = "s"
    p = Value.dot([a, b], [c, d])
    p.label = "p"
    out = s * p
    out.label = "out"
    out.backward()
    rows = {r.variable: r for r in table_rows(out)}
    assert rows["s"].expression == "a + b + c"
    assert rows["p"].expression == "a × c + b × d"
    assert rows["p"].latex == r"a \cdot c + b \cdot d"
    assert rows["p"].data == 1.0 * 3.0 + 2.0 * 4.0
    assert rows["a"].grad == p.data + s.data * 3.0  # through the sum and through the dot


@settings(max_examples=60, deadline=None)
@given(labels=st.lists(st.text(max_size=10), min_size=1, max_size=4))
def test_any_labels_keep_every_format_intact(labels: list[str]) -> None:
    values = [Value(float(k), label) for k, label in enumerate(labels)]
    out = values[0]
    for v in values[1:]:
        out = out + v
    out.label = "out"
    out.backward()
    rows = table_rows(out)
    for line in to_markdown(out).splitlines():
        assert len(cells(line)) == 4, line
    parsed = list(csv.reader(io.StringIO(to_csv(out), newline="")))
    texts = [plain_text(r.variable, keep_newlines=True) for r in rows]
    assert [r[0] for r in parsed[1:]] == [
        "'" + t if t[:1] in ("=", "+", "-", "@", "\n") else t
        for t in texts  # OWASP
    ]
    parser = _Cells()
    parser.feed(to_html_table(out))
    assert all(len(r) == 4 for r in parser.rows)
    shown = [r[0] for r in parser.rows[1:]]
    assert shown == ["".join(plain_text(r.variable, keep_newlines=True).split("\n")) for r in rows]
    for line in to_latex(out).splitlines()[4:-2]:
        assert len(re.findall(r"(?<!\\)&", line)) == 3, line


# -- issue 16: spreadsheets, mkdocs' Markdown, LaTeX spaces, precision ------------------


def test_csv_cells_that_a_spreadsheet_would_run_start_with_a_quote() -> None:
    labels = ['=HYPERLINK("http://evil","x")', "+1+1", "-2+3", "@SUM(A1)", "\tx", "\ry", "ok=1"]
    values = [Value(-0.4, label) for label in labels]
    out = values[0]
    for v in values[1:]:
        out = out + v
    out.label = "=f"
    out.backward()
    rows = list(csv.reader(io.StringIO(to_csv(out), newline="")))
    first_cells = [r[0] for r in rows[1:]]
    # OWASP: prefix a single quote. \t and \r become " " and "\n" first (plain_text).
    assert first_cells[:6] == [
        '\'=HYPERLINK("http://evil","x")',
        "'+1+1",
        "'-2+3",
        "'@SUM(A1)",
        " x",
        "'\ny",
    ]
    assert first_cells[6] == "ok=1" and first_cells[-1] == "'=f"
    assert rows[0][3] == "Gradient (∂=f/∂·)"  # starts with G: left alone
    # An Expression cell that starts with a label starting with "=" is neutralised too.
    assert (
        [r[1] for r in rows if r[1].startswith(("'=", "="))]
        == [r[1] for r in rows if r[1].startswith("'=HYPERLINK")]
        != []
    )
    # Numbers are numbers: -0.4000 is written as it is, in every number cell.
    assert all(r[2] == "-0.4000" for r in rows[1:8])
    assert rows[-1][2] == format(sum([-0.4] * 7), ".4f") == "-2.8000"


class _TableCells(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.cells: list[str] = []
        self._in = False

    def handle_starttag(self, tag: str, attrs: object) -> None:
        if tag == "td":
            self._in = True
            self.cells.append("")

    def handle_endtag(self, tag: str) -> None:
        self._in = self._in and tag != "td"

    def handle_data(self, data: str) -> None:
        if self._in:
            self.cells[-1] += data


def test_markdown_tables_show_labels_as_written_once_rendered_by_mkdocs() -> None:
    import markdown  # Python-Markdown, what mkdocs renders pages with

    labels = ["a<b&c>d", "x|y", "*z*", "_w_", "`q`", "~~s~~", "$m$", "[l](u)", "{b}", "back\\s"]
    leaves = [Value(1.0, label) for label in labels]
    out = leaves[0]
    for leaf in leaves[1:]:
        out = out + leaf
    out.label = "f"
    html = markdown.markdown(to_markdown(out), extensions=["tables"])
    cells = _TableCells()
    cells.feed(html)
    shown = cells.cells[::4]  # the Variable column
    assert shown[: len(labels)] == labels
    assert "\\" not in "".join(shown[:-1]).replace("back\\s", "")  # no stray backslash


def test_latex_keeps_the_spaces_of_labels() -> None:
    a = Value(1.0, "hidden 1")
    f = a * 2
    f.label = "my loss"
    tex = to_latex(f)
    assert r"$\mathit{hidden}\ 1$" in tex and r"$\mathit{my}\ \mathit{loss}$" in tex


@pytest.mark.parametrize("fmt", [to_markdown, to_latex, to_html_table, to_csv, to_dot])
@pytest.mark.parametrize("precision", [-1, 18, 2.5, "4", True])
def test_a_bad_precision_is_one_clear_line(fmt, precision: object) -> None:  # type: ignore[no-untyped-def]
    from gradtrace.errors import GradtraceError

    with pytest.raises(GradtraceError, match="precision must be a whole number") as error:
        fmt(figure1(), precision=precision)
    assert "\n" not in str(error.value)
