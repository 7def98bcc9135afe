"""The forward/backward trace table, as Markdown, LaTeX (booktabs), HTML and CSV.

Example (`to_markdown(figure1())`, abridged):

    | Variable | Expression  | Forward Value | Gradient (∂f/∂·) |
    |----------|-------------|---------------|------------------|
    | w₁       | input       | 0.2000        | 0.1004           |
    | w₁x₁     | w₁ × x₁     | -0.0800       | 0.2491           |
    | G = σ(z) | 1/(1 + e⁻ᶻ) | 0.5300        | 1.0000           |

**Which rows, in which order (`table_rows`).** One row per **named** node (see
`gradtrace.notation.Naming`: labelled values, inputs, outputs, and the unlabelled
operations that are reused or too big to write out, which get generated names such as
`v₇`), in the order the code created them. So every name an expression uses has its own
row, and the table reads like the code: for `figures.figure1()` it is exactly the table
of the original write-up. (Values from engines that do not record creation order, such
as micrograd's, come in depth-first order, children before parents.)

With `all_nodes=True` every node gets a row, constants included, in graph order, each
operation written in terms of its direct children.

**The Expression column (`gradtrace.notation.Naming.expression`).** Each row in terms of
the rows it reads, small unlabelled sub-expressions written out (`1/(1 + e⁻ᶻ)`); `input`,
`parameter` or `constant` for leaves.

The gradient column is headed `Gradient (∂f/∂·)`, with the output's name
in place of `f` when that output is labelled. With several outputs, f is the one
`backward()` ran from; if none or several did, the header is just `Gradient`.
Before `backward()` (no output has a gradient) every gradient cell reads `—`
(empty in CSV, `---` in LaTeX) rather than a 0 that was never computed.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from html import escape
from typing import Any, NamedTuple

from gradtrace.graph import Graph, as_graph
from gradtrace.notation import (
    Naming,
    format_number,
    latex_label,
    latex_number,
    plain_text,
)
from gradtrace.options import OptionError, check, check_precision

__all__ = ["Row", "table_rows", "to_csv", "to_html_table", "to_latex", "to_markdown"]

_LEAF_WORDS = ("input", "parameter", "constant")

#: The gradient cell before `backward()` has run (CSV leaves the cell empty, LaTeX writes `---`).
_NOT_COMPUTED = "—"


class Row(NamedTuple):
    """One row of a trace table.

    Attributes:
        variable: The node's name (its label, a constant's number, or `v₃`).
        expression: How it was computed, as Unicode text (`"w₁ × x₁"`).
        latex: The same expression as LaTeX math (`"w_{1} \\cdot x_{1}"`).
        data: The forward value.
        grad: The gradient.
        id: The node's id in the `Graph` (and in the SVG: `v{id}`).
    """

    variable: str
    expression: str
    latex: str
    data: float
    grad: float
    id: int

    @property
    def variable_latex(self) -> str:
        """The variable as LaTeX math."""
        return latex_label(self.variable)


def table_rows(graph_or_root: Any, *, all_nodes: bool = False) -> list[Row]:
    """The rows of the trace table (see the module docs for which rows and in what order).

    Args:
        graph_or_root: A `Graph`, or a value to trace.
        all_nodes: One row per node, every operation written in terms of its
            direct children, instead of one row per named node.
    """
    graph = as_graph(graph_or_root)
    naming = Naming(graph, all_named=all_nodes)
    order = range(len(graph)) if all_nodes else naming.rows()
    return [
        Row(
            variable=naming.title(i),
            expression=naming.expression(i),
            latex=naming.expression(i, latex=True),
            data=graph.nodes[i].data,
            grad=graph.nodes[i].grad,
            id=i,
        )
        for i in order
    ]


def _gradient_header(graph: Graph, output: int | None = None) -> tuple[str, str]:
    """`Gradient (∂f/∂·)` with the output's name, as text and as LaTeX.

    The output is `output` if given, else the graph's only one, or else the one
    `backward()` ran from (an output feeds no other value, so only that one has a
    gradient). With several outputs and no such one there is no single f: the header
    is just `Gradient`.
    """
    outputs = [graph.nodes[r] for r in (graph.roots if output is None else [output])]
    if len(outputs) > 1:
        outputs = [node for node in outputs if node.grad != 0]
    if len(outputs) != 1:
        return "Gradient", "Gradient"
    name = Naming(graph).name(outputs[0].id)  # f when unlabelled, as its row calls it
    return f"Gradient (∂{name}/∂·)", rf"Gradient ($\partial {latex_label(name)}/\partial\cdot$)"


def _gradients_computed(graph: Graph) -> bool:
    """False before `backward()`: no output has a gradient, so every gradient is a bare 0."""
    return any(graph.nodes[r].grad != 0 for r in graph.roots)


def _written_rows(
    graph: Graph,
    precision: object,
    number: object,
    all_nodes: bool,
    *,
    write: Callable[[float, int, str], str] = format_number,
    missing: str = _NOT_COMPUTED,
) -> list[tuple[Row, str, str]]:
    """Each row of the table with its forward value and gradient written out, the options
    checked first; before `backward()` every gradient is `missing`."""
    digits, style = check_precision(precision), check("number", number)
    computed = _gradients_computed(graph)
    return [
        (
            row,
            write(row.data, digits, style),
            write(row.grad, digits, style) if computed else missing,
        )
        for row in table_rows(graph, all_nodes=all_nodes)
    ]


# -- Markdown -----------------------------------------------------------------------

#: How Markdown's special characters are written in a cell. Python-Markdown (mkdocs) only
#: understands a backslash before some of them and prints it before the others, so `<`, `>`,
#: `&`, `` ` ``, `~` and `$` are written as HTML character references, which every renderer
#: reads (and which the docs plugin's `$math$` cannot mistake for a formula).
_MARKDOWN_ESCAPES = {
    **{c: "\\" + c for c in "\\*_{}[]|"},
    "&": "&amp;",
    "<": "&lt;",
    ">": "&gt;",
    "`": "&#96;",
    "~": "&#126;",
    "$": "&#36;",
}


def _markdown_cell(text: str) -> str:
    text = plain_text(text).strip()
    return "".join(_MARKDOWN_ESCAPES.get(c, c) for c in text) or " "


def to_markdown(
    graph_or_root: Any, *, precision: int = 4, number: str = "fixed", all_nodes: bool = False
) -> str:
    """The trace table as a GitHub-flavoured Markdown table.

    Labels are escaped so that a rendered table shows them as written and every
    row has exactly four cells: `|`, `*`, `_`, `[`, ... get a backslash; `<`, `>`,
    `&`, `` ` ``, `~` and `$` become `&lt;`, `&gt;`, `&amp;`, `&#96;`, `&#126;` and
    `&#36;` (Python-Markdown, which mkdocs uses, would show a backslash before
    them); newlines become spaces.

    Args:
        graph_or_root: A `Graph`, or a value to trace.
        precision: Digits of the numbers (decimals, or significant figures).
        number: How numbers are written: `"fixed"`, `"significant"` or
            `"scientific"` (see `gradtrace.notation.format_number`).
        all_nodes: One row per node (see `table_rows`).
    """
    graph = as_graph(graph_or_root)
    rows = _written_rows(graph, precision, number, all_nodes)
    header = ("Variable", "Expression", "Forward Value", _markdown_cell(_gradient_header(graph)[0]))
    lines = ["| " + " | ".join(header) + " |", "|---|---|---|---|"]
    for row, data, grad in rows:
        cells = (_markdown_cell(row.variable), _markdown_cell(row.expression), data, grad)
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


# -- LaTeX --------------------------------------------------------------------------


def _latex_number(x: float, precision: int, number: str) -> str:
    return f"${latex_number(x, precision, number)}$"


def to_latex(
    graph_or_root: Any, *, precision: int = 4, number: str = "fixed", all_nodes: bool = False
) -> str:
    """The trace table as a LaTeX `tabular` with booktabs rules.

    Needs `\\usepackage{booktabs}` and `\\usepackage{amsmath}` in the preamble.
    Variables and expressions are set in math mode (`w_{1}`, `\\frac{1}{1 + e^{-z}}`)
    and written in ASCII (see `gradtrace.notation.latex_label`), so any label compiles
    with pdflatex and lualatex alike: specials are escaped, Greek letters, accents and
    math symbols become commands, other characters their code point (`⟨U+4E2D⟩`).

    Args:
        graph_or_root: A `Graph`, or a value to trace.
        precision: Digits of the numbers (decimals, or significant figures).
        number: How numbers are written: `"fixed"`, `"significant"` or
            `"scientific"` (see `gradtrace.notation.format_number`).
        all_nodes: One row per node (see `table_rows`).
    """
    graph = as_graph(graph_or_root)
    rows = _written_rows(graph, precision, number, all_nodes, write=_latex_number, missing="---")
    lines = [
        r"\begin{tabular}{llrr}",
        r"\toprule",
        rf"Variable & Expression & Forward Value & {_gradient_header(graph)[1]} \\",
        r"\midrule",
    ]
    for row, data, grad in rows:
        expr = row.latex if row.latex in _LEAF_WORDS else f"${row.latex}$"
        lines.append(rf"${row.variable_latex}$ & {expr} & {data} & {grad} \\")
    lines += [r"\bottomrule", r"\end{tabular}"]
    return "\n".join(lines) + "\n"


# -- HTML ---------------------------------------------------------------------------


def to_html_table(
    graph_or_root: Any,
    *,
    precision: int = 4,
    number: str = "fixed",
    all_nodes: bool = False,
    output: int | None = None,
) -> str:
    """The trace table as an HTML `<table class="gradtrace-trace">`, text escaped.

    A script can update the numbers in place; the live demo (`gradtrace.export.widget`)
    does, reading exactly these hooks:

    - each body row is `<tr data-node="{id}">`, `id` being the node's id in the
      `Graph` (and in the SVG figure, `v{id}`): `tr[data-node]`;
    - in it, the forward value is the cell of class `gt-data` and the gradient the
      cell of class `gt-grad` (`.gt-data`, `.gt-grad`).

    The other cells carry no hooks: the row's `<th scope="row">` is the variable, the
    next `<td>` its expression. The gradient column is headed as in every trace table
    (see the module docs), and before `backward()` its cells read `—`.

    Args:
        graph_or_root: A `Graph`, or a value to trace.
        precision: Digits of the numbers (decimals, or significant figures).
        number: How numbers are written: `"fixed"`, `"significant"` or
            `"scientific"` (see `gradtrace.notation.format_number`).
        all_nodes: One row per node (see `table_rows`).
        output: The id of the node whose gradients the column holds (or will hold,
            once a script has computed them), for the header `Gradient (∂y/∂·)` when
            the graph has several outputs. Default: the module docs' rule.

    Raises:
        OptionError: If `output` is not a node id of the graph.

    Example:
        >>> from gradtrace import Value
        >>> y = Value(2.0, "x") * 3.0
        >>> y.label = "y"
        >>> y.backward()
        >>> row = to_html_table(y).splitlines()[3]
        >>> row[:18], row[-36:]
        ('<tr data-node="0">', '<td class="gt-grad">3.0000</td></tr>')
    """
    graph = as_graph(graph_or_root)
    rows = _written_rows(graph, precision, number, all_nodes)
    if output is not None and not (type(output) is int and 0 <= output < len(graph)):
        raise OptionError(
            f"output must be a node id of the graph (0–{len(graph) - 1}), got {output!r}"
        )
    header = ("Variable", "Expression", "Forward Value", _gradient_header(graph, output)[0])
    lines = [
        '<table class="gradtrace-trace">',
        "<thead><tr>"
        + "".join(f'<th scope="col">{escape(h)}</th>' for h in header)
        + "</tr></thead>",
        "<tbody>",
    ]
    for row, data, grad in rows:
        lines.append(
            f'<tr data-node="{row.id}"><th scope="row">{_html_text(row.variable)}</th>'
            f"<td>{_html_text(row.expression)}</td>"
            f'<td class="gt-data">{data}</td><td class="gt-grad">{grad}</td></tr>'
        )
    lines += ["</tbody>", "</table>"]
    return "\n".join(lines) + "\n"


def _html_text(text: str) -> str:
    return "<br>".join(escape(line) for line in plain_text(text, keep_newlines=True).split("\n"))


# -- CSV ----------------------------------------------------------------------------


def to_csv(
    graph_or_root: Any, *, precision: int = 4, number: str = "fixed", all_nodes: bool = False
) -> str:
    """The trace table as CSV (RFC 4180 quoting, `\\n` line ends, a header row).

    Line breaks inside labels are kept as `\\n` (in a quoted cell); other
    control characters become spaces. A text cell that a spreadsheet would run
    as a formula (one starting with `=`, `+`, `-`, `@`, a tab or a line break,
    like `=HYPERLINK(...)`) starts with a `'` instead, as OWASP recommends; the
    number columns are written as they are (`-0.4000`).

    Args:
        graph_or_root: A `Graph`, or a value to trace.
        precision: Digits of the numbers (decimals, or significant figures).
        number: How numbers are written: `"fixed"`, `"significant"` or
            `"scientific"` (see `gradtrace.notation.format_number`).
        all_nodes: One row per node (see `table_rows`).
    """
    graph = as_graph(graph_or_root)
    rows = _written_rows(graph, precision, number, all_nodes, missing="")
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(
        ["Variable", "Expression", "Forward Value", _csv_text(_gradient_header(graph)[0])]
    )
    for row, data, grad in rows:
        writer.writerow([_csv_text(row.variable), _csv_text(row.expression), data, grad])
    return buffer.getvalue()


#: A text cell starting with one of these is a formula to a spreadsheet (OWASP's list, plus
#: the line feed a carriage return becomes here).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")


def _csv_text(text: str) -> str:
    """A text cell that a spreadsheet shows as text: a would-be formula gets a leading `'`."""
    text = plain_text(text, keep_newlines=True)
    return "'" + text if text.startswith(_FORMULA_START) else text
