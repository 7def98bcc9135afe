"""The generated content of gradtrace's own site: figures, tables and the training page.

Runs inside the build worker. Each builder returns a dict of

- `files`: path (under the site, e.g. `assets/gradtrace/figure1.svg`) → text,
  handed to mkdocs as in-memory files;
- `snippets`: name → list of *parts*, put into a page where it has a
  `<!-- gradtrace: name -->` line. A part is `{"markdown": text}`,
  `{"html": text}` or `{"figure": {...}}` (light and dark SVG paths, alt
  text, caption; the plugin writes the `<img>` tags with page-relative URLs).

Every builder calls the same public functions a notebook user calls.
"""

from __future__ import annotations

import contextlib
import importlib
import inspect
import io
import math
import re
import textwrap
from collections.abc import Callable
from typing import Any

from gradtrace.errors import GradtraceError

__all__ = ["BUILDERS", "Part", "build", "figure_files", "figure_part", "import_optional"]

Part = dict[str, Any]
Result = dict[str, Any]

ASSETS = "assets/gradtrace"


class MissingModuleError(GradtraceError):
    """A gradtrace module the site needs is not importable."""


def import_optional(module: str) -> Any:
    """Import a gradtrace module, with a one-line error naming it if it is missing."""
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as error:
        raise MissingModuleError(f"{module} is not available: {error}") from None


def figure_files(
    stem: str, graph: Any, dot_options: dict[str, Any]
) -> tuple[dict[str, str], dict[str, Any]]:
    """Render `graph` in the light and dark themes: (files, figure part)."""
    render = import_optional("gradtrace.export.render")
    light = f"{ASSETS}/{stem}.svg"
    dark = f"{ASSETS}/{stem}-dark.svg"
    files = {
        light: render.to_svg(graph, theme="light", **dot_options),
        dark: render.to_svg(graph, theme="dark", **dot_options),
    }
    return files, figure_part(light, dark, files[light], "")


def figure_part(light: str, dark: str, svg: str, alt: str) -> Part:
    """A figure part: light and dark paths, alt text, and the SVG's natural size in CSS px."""
    figure: dict[str, Any] = {"light": light, "dark": dark, "alt": alt, "caption": ""}
    size = re.search(r'<svg[^>]*?\swidth="([\d.]+)pt"[^>]*?\sheight="([\d.]+)pt"', svg)
    if size:
        figure["width"] = round(float(size.group(1)) * 4 / 3)  # 1 pt = 4/3 CSS px
        figure["height"] = round(float(size.group(2)) * 4 / 3)
    return {"figure": figure}


def _fmt(precision: int) -> Callable[[float], str]:
    notation = import_optional("gradtrace.notation")

    def fmt(x: float) -> str:
        return str(notation.format_number(x, precision))

    return fmt


# -- builders -------------------------------------------------------------------


def figure1(precision: int) -> Result:
    """Figure 1 (SPEC §2): its SVG in both themes and its 13-row trace table."""
    figures = import_optional("gradtrace.figures")
    table = import_optional("gradtrace.export.table")
    from gradtrace.graph import trace

    graph = trace(figures.figure1())
    files, figure = figure_files("figure1", graph, {"precision": precision})
    figure["figure"]["alt"] = (
        "Figure 1: the computational graph of f = σ(w₁x₁ + w₂x₂) + 0.5·(w₁² + w₂²), "
        "forward values in green boxes, gradients in blue ellipses, operations in orange circles"
    )
    return {
        "files": files,
        "snippets": {
            "figure1": [figure],
            "figure1-table": [{"markdown": table.to_markdown(graph, precision=precision)}],
        },
    }


def reused_node(precision: int) -> Result:
    """The accumulation example (`b = a + a`): figure and table."""
    figures = import_optional("gradtrace.figures")
    table = import_optional("gradtrace.export.table")
    from gradtrace.graph import trace

    graph = trace(figures.reused_node())
    files, figure = figure_files("reused-node", graph, {"precision": precision})
    figure["figure"]["alt"] = "A value used twice: its gradient is the sum over both paths"
    return {
        "files": files,
        "snippets": {
            "reused-node": [figure],
            "reused-node-table": [
                {"markdown": table.to_markdown(graph, precision=precision, all_nodes=True)}
            ],
        },
    }


def derivation(precision: int) -> Result:
    """SPEC §2's closed-form gradients beside the engine's, with their difference."""
    figures = import_optional("gradtrace.figures")
    from gradtrace.graph import trace

    fmt = _fmt(precision)
    graph = trace(figures.figure1())
    value = {name: graph.labelled(name) for name in ("w₁", "w₂", "x₁", "x₂")}
    w1, w2, x1, x2 = (value[n].data for n in ("w₁", "w₂", "x₁", "x₂"))
    s = w1 * x1 + w2 * x2
    sigma = 1.0 / (1.0 + math.exp(-s))
    d = sigma * (1.0 - sigma)
    closed = [
        ("x₁", r"$\sigma'(s)\,w_1$", d * w1),
        ("x₂", r"$\sigma'(s)\,w_2$", d * w2),
        ("w₁", r"$\sigma'(s)\,x_1 + w_1$", d * x1 + w1),
        ("w₂", r"$\sigma'(s)\,x_2 + w_2$", d * x2 + w2),
    ]
    rows = [
        "| Variable | Closed form | Closed-form value | Engine's ∂f/∂· | Difference |",
        "|---|---|--:|--:|--:|",
    ]
    for name, formula, exact in closed:
        engine = value[name].grad
        rows.append(
            f"| {name} | {formula} | {fmt(exact)} | {fmt(engine)} | {_difference(exact, engine)} |"
        )
    summary = (
        f"With $s = w_1x_1 + w_2x_2 = {fmt(s)}$: $\\sigma(s) = {fmt(sigma)}$ and "
        f"$\\sigma'(s) = {fmt(d)}$."
    )
    return {
        "files": {},
        "snippets": {
            "derivation-table": [{"markdown": summary + "\n\n" + "\n".join(rows)}],
            "derivation-paths": [{"markdown": derivation_paths(precision)}],
        },
    }


def _difference(a: float, b: float) -> str:
    """|a − b|, as `0` when the two floats are identical."""
    d = abs(a - b)
    return "0" if d == 0 else f"{d:.1e}"


def training(precision: int) -> Result:
    """SPEC §3's run: results table, loss/accuracy curves and decision regions.

    The results table is `gradtrace.train.results_table`, the one `gradtrace
    train` prints; its digits follow SPEC §3's table, not `precision`.
    """
    data = import_optional("gradtrace.data")
    nn = import_optional("gradtrace.nn")
    train_module = import_optional("gradtrace.train")
    plots = import_optional("gradtrace.plots")

    x, y = data.four_blobs()
    model = nn.LinearLayer(2, 4, seed=0)
    history = train_module.train(x, y, model, lr=1.0, epochs=500)
    table = train_module.results_table(history, x, y)
    files = {
        f"{ASSETS}/training-curves.svg": plots.training_curves_svg(history),
        f"{ASSETS}/training-curves-dark.svg": plots.training_curves_svg(history, theme="dark"),
        f"{ASSETS}/decision-regions.svg": plots.decision_regions_svg(model, x, y),
        f"{ASSETS}/decision-regions-dark.svg": plots.decision_regions_svg(
            model, x, y, theme="dark"
        ),
    }

    def figure(stem: str, alt: str) -> list[Part]:
        light, dark = f"{ASSETS}/{stem}.svg", f"{ASSETS}/{stem}-dark.svg"
        return [figure_part(light, dark, files[light], alt)]

    return {
        "files": files,
        "snippets": {
            "training-table": [{"markdown": table}],
            "training-curves": figure(
                "training-curves", "Loss and accuracy over the 500 iterations"
            ),
            "decision-regions": figure(
                "decision-regions",
                "The four classes and the regions the trained layer assigns to each",
            ),
        },
    }


def demo(precision: int) -> Result:
    """The live demo of Figure 1 (the widget, as an embeddable fragment)."""
    figures = import_optional("gradtrace.figures")
    widget = import_optional("gradtrace.export.widget")
    html = widget.to_html(figures.figure1(), standalone=False, precision=precision)
    return {"files": {}, "snippets": {"live-demo": [{"html": html}]}}


def cli(precision: int) -> Result:
    """The `--help` text of every `gradtrace` command, as the CLI prints it now."""
    cli_module = import_optional("gradtrace.cli")
    parts = []
    for command in ((), ("export",), ("train",)):
        title = " ".join(["gradtrace", *command])
        help_text = _help_text(cli_module.main, [*command, "--help"])
        parts.append(f"### `{title}`\n\n```text\n{help_text.rstrip()}\n```")
    return {"files": {}, "snippets": {"cli-reference": [{"markdown": "\n\n".join(parts)}]}}


def _help_text(main: Callable[[list[str]], object], argv: list[str]) -> str:
    """What `main(argv)` prints on stdout (argparse's `--help` exits with status 0)."""
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer), contextlib.suppress(SystemExit):
        main(argv)
    return buffer.getvalue()


def code(precision: int) -> Result:
    """The engine's multiplication, quoted from the source as it is now."""
    from gradtrace.engine import Value

    source = textwrap.dedent(inspect.getsource(Value.__mul__)).rstrip()
    return {"files": {}, "snippets": {"engine-mul": [{"markdown": f"```python\n{source}\n```"}]}}


#: Every site artefact the plugin's `generate` option can ask for.
def derivation_paths(precision: int) -> str:
    """Figure 1's four gradients as generated path sums (`to_derivation`), in Markdown."""
    figures = import_optional("gradtrace.figures")
    derivation_module = import_optional("gradtrace.export.derivation")
    return str(
        derivation_module.to_derivation(
            figures.figure1(), ["x₁", "x₂", "w₁", "w₂"], precision=precision
        )
    )


#: The frames the Step by step page shows: (pass, step number, what it shows).
STEP_FRAMES = (
    ("forward", 7, "a forward step: w₁x₁ is computed from w₁ and x₁"),
    ("backward", 2, "the first step inside σ: the power rule of G"),
    ("backward", 10, "w₁x₁ sends its gradient to w₁ (a partial sum) and x₁"),
    ("backward", 12, "the last step: w₁ receives its second contribution"),
)


def steps(precision: int) -> Result:
    """The Step by step page: frames of Figure 1, a derivation for x₁, a Beamer frame."""
    figures = import_optional("gradtrace.figures")
    frames_module = import_optional("gradtrace.export.frames")
    beamer = import_optional("gradtrace.export.beamer")
    derivation_module = import_optional("gradtrace.export.derivation")
    walk = import_optional("gradtrace.steps").walk
    from gradtrace.graph import trace

    graph = trace(figures.figure1())
    files: dict[str, str] = {}
    parts: list[Part] = []
    drawn = {
        (theme, which): frames_module.to_frames(graph, "svg", passes=which, theme=theme)
        for theme in ("light", "dark")
        for which in ("forward", "backward")
    }
    for which, number, alt in STEP_FRAMES:
        stem = f"{ASSETS}/steps-{which}-{number:02d}"
        light, dark = f"{stem}.svg", f"{stem}-dark.svg"
        files[light] = drawn["light", which][number - 1].decode("utf-8")
        files[dark] = drawn["dark", which][number - 1].decode("utf-8")
        parts.append(
            figure_part(light, dark, files[light], f"Figure 1, {which} step {number}: {alt}")
        )
    backward = walk(graph).backward
    sentences = "\n".join(step.text(precision) for step in backward)
    tex = beamer.to_beamer(graph, pdf="figure1-steps.pdf", passes="backward")
    return {
        "files": files,
        "snippets": {
            "steps-frames": parts,
            "steps-sentences": [{"markdown": "```text\n" + sentences + "\n```"}],
            "steps-derivation": [
                {"markdown": derivation_module.to_derivation(graph, "x₁", precision=precision)}
            ],
            "steps-beamer": [{"markdown": "```latex\n" + tex + "```"}],
        },
    }


BUILDERS: dict[str, Callable[[int], Result]] = {
    "figure1": figure1,
    "reused_node": reused_node,
    "derivation": derivation,
    "steps": steps,
    "training": training,
    "demo": demo,
    "cli": cli,
    "code": code,
}


def build(name: str, precision: int) -> Result:
    """Run one builder by name."""
    return BUILDERS[name](precision)
