"""This site's own generated content, from live code on every build.

Figure 1 and its trace table, the accumulation example, the derivation check,
the training page (results, curves, decision regions, one sample's loss graph,
why accuracy dips), the live demo, the CLI's `--help` and a quote of the
engine's source. A page says where a snippet goes with a line
`<!-- gradtrace: NAME -->`; an unknown name is a warning (`--strict` fails).

mkdocs loads this file as a build hook (`hooks:` in mkdocs.yml). The content
itself is made by this same file run as a script, `python docs/hooks.py`, in a
fresh process, through the gradtrace plugin's `run()`: it is cached until
gradtrace's source or this file changes, and under `mkdocs serve` an edit to
either is drawn at the next rebuild (mkdocs never reloads a hooks module, and
the serving process never re-imports gradtrace). Only the two small event
functions below run inside mkdocs.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

log = logging.getLogger("mkdocs.hooks.gradtrace_site")

SCRIPT = Path(__file__).resolve()
ASSETS = "assets/gradtrace"
_MARKER = re.compile(r"^(?P<indent>[ \t]*)<!--\s*gradtrace:\s*(?P<name>[\w.-]+)\s*-->[ \t]*$", re.M)

# name → parts (see gradtrace.mkdocs.fence.to_html), for this build
_snippets: dict[str, list[dict[str, Any]]] = {}


# -- inside mkdocs ------------------------------------------------------------------------------


def on_files(files: Any, config: Any) -> Any:
    """Generate the content (or take it from the cache) and hand its figures to mkdocs."""
    plugin = config.plugins["gradtrace"]
    script = SCRIPT.relative_to(plugin.root).as_posix()
    reply = plugin.run([script], {"precision": plugin.config.precision})
    _snippets.clear()
    if not reply["ok"]:
        log.warning(f"gradtrace site: cannot generate this site's content: {reply['error']}")
        return files
    result = reply["result"]
    for name, error in result["errors"].items():
        log.warning(f"gradtrace site: cannot generate {name!r}: {error}")
    plugin.add_files(result["files"])
    _snippets.update(result["snippets"])
    return files


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    """Put each snippet where its `<!-- gradtrace: NAME -->` line is."""
    from gradtrace.mkdocs.fence import to_html

    def replace(m: re.Match[str]) -> str:
        parts = _snippets.get(m["name"])
        if parts is None:
            line = markdown.count("\n", 0, m.start()) + 1
            log.warning(
                f"gradtrace site: {page.file.src_uri}:{line}: no snippet {m['name']!r} "
                f"(the snippets: {', '.join(sorted(_snippets)) or 'none'})"
            )
            return m.group(0)
        out = []
        for part in parts:  # Markdown stays Markdown; figures and widgets are raw HTML blocks
            text = part["markdown"] if "markdown" in part else to_html([part], page.url)
            out.append("\n".join(m["indent"] + t if t else t for t in text.split("\n")))
        return "\n\n".join(out)

    return _MARKER.sub(replace, markdown)


# -- the generators (run as a script, in a fresh process) ----------------------------------------


def generate(request: dict[str, Any]) -> dict[str, Any]:
    """Run every generator; one that fails is reported and the others still run."""
    import os

    os.environ["COLUMNS"] = "88"  # argparse wraps --help to the terminal's width
    result: dict[str, Any] = {"files": {}, "snippets": {}, "errors": {}}
    for name, generator in GENERATORS.items():
        try:
            files, snippets = generator(request["precision"])
        except Exception as error:
            result["errors"][name] = f"{type(error).__name__}: {error}"
            continue
        result["files"].update(files)
        result["snippets"].update(snippets)
    return result


Files = dict[str, str]
Snippets = dict[str, list[dict[str, Any]]]


def _figure(stem: str, graph: Any, alt: str, **options: Any) -> tuple[Files, dict[str, Any]]:
    """A graph drawn in the light and dark themes: its files and its figure part."""
    from gradtrace.export.render import to_svg
    from gradtrace.mkdocs.fence import figure_part

    path = f"{ASSETS}/{stem}"
    files = {
        f"{path}.svg": to_svg(graph, theme="light", **options),
        f"{path}-dark.svg": to_svg(graph, theme="dark", **options),
    }
    return files, figure_part(path, files[f"{path}.svg"], alt)


def figure1(precision: int) -> tuple[Files, Snippets]:
    """Figure 1 (SPEC §2): its SVG in both themes, its 13-row trace table, and every edge
    of it as upstream gradient × local gradient."""
    from gradtrace.export.table import to_markdown
    from gradtrace.figures import figure1 as build
    from gradtrace.graph import trace

    graph = trace(build())
    files, figure = _figure(
        "figure1",
        graph,
        "Figure 1: the computational graph of f = σ(w₁x₁ + w₂x₂) + 0.5·(w₁² + w₂²), "
        "forward values in green boxes, gradients in blue ellipses, operations in orange "
        "circles; the trace table below lists every number",
        precision=precision,
    )
    return files, {
        "figure1": [figure],
        "figure1-table": [{"markdown": to_markdown(graph, precision=precision)}],
        "figure1-edges": [{"markdown": _edges_table(build(), precision)}],
    }


def _edges_table(root: Any, precision: int) -> str:
    """Each edge of a graph, in the order `backward()` runs them: what flows back along it,
    as upstream gradient × local gradient (the numbers of `gradtrace.steps.walk`)."""
    from gradtrace.graph import trace
    from gradtrace.notation import Naming, format_number
    from gradtrace.steps import walk

    graph = trace(root)
    naming = Naming(graph)

    def fmt(x: float, wrap: bool = False) -> str:
        text = format_number(x, precision)
        return f"({text})" if wrap and text.startswith("-") else text

    rows = [
        "| value | is used by | upstream × local = sent back |",
        "|---|---|--:|",
    ]
    walked = walk(graph)
    for step in walked.backward:
        upstream = walked.grads[step.node]  # final by the time its step runs
        for c in step.contributions:
            rows.append(
                f"| {naming.name(c.child)} | {naming.name(step.node)} | "
                f"{fmt(upstream)} × {fmt(c.local, True)} = **{fmt(c.amount)}** |"
            )
    return "\n".join(rows)


def exercises(precision: int) -> tuple[Files, Snippets]:
    """Exercises on Figure 1, answers collapsed (pymdownx.details), numbers from the engine."""
    from gradtrace.figures import figure1 as build
    from gradtrace.graph import trace
    from gradtrace.notation import format_number

    fmt = lambda x: format_number(x, precision)  # noqa: E731
    graph = trace(build())
    grad = {n.label: n.grad for n in graph if n.label}
    f0 = graph.labelled("f").data
    h = 0.01
    nudged = build(x1=-0.4 + h).data
    zero_w1 = trace(build(w1=0.0))
    big = trace(build(x1=5.0, x2=5.0))
    s_big = big.labelled("z").data
    g_big = big.labelled("G = σ(z)").data
    items = [
        (
            f"Nudge $x_1$ from $-0.4$ up by $h = {h}$. By how much does $f$ change? Predict it "
            "from the trace table before you look.",
            f"About $\\partial f/\\partial x_1 \\cdot h = {fmt(grad['x₁'])} \\times {h} "
            f"\\approx {grad['x₁'] * h:.6f}$. The engine, run again at $x_1 = {-0.4 + h:g}$, "
            f"gives $f = {nudged:.6f}$ instead of ${f0:.6f}$: a change of "
            f"${nudged - f0:.6f}$. The gradient is the rate of change: nudge an input by a "
            "little, and the output moves by about the gradient times the nudge.",
        ),
        (
            "Set $w_1 = 0$. Which of the four input gradients becomes exactly zero, and why?",
            f"$\\partial f/\\partial x_1 = {fmt(zero_w1.labelled('x₁').grad)}$: $x_1$ reaches $f$ "
            "only through $w_1x_1$, whose local gradient with respect to $x_1$ is $w_1 = 0$. "
            f"$\\partial f/\\partial w_1 = {fmt(zero_w1.labelled('w₁').grad)}$ is not zero: "
            "its path through the product still carries the local gradient $x_1$; only its "
            "path through the regulariser, which contributes $w_1$, is now 0.",
        ),
        (
            "Why do $u$, $w_1^2$ and $w_2^2$ all have gradient $0.5$?",
            f"$R = 0.5\\,u$, so the local gradient of $R$ with respect to $u$ is $0.5$; the "
            f"upstream gradient at $R$ is ${fmt(grad['R'])}$ (since $f = G + R$), so $u$ gets "
            f"${fmt(grad['u'])}$. An addition has local gradient $1$ for each term, so it passes "
            "$0.5$ on unchanged to $w_1^2$ and $w_2^2$.",
        ),
        (
            "In the [live demo](demo.md), set $x_1 = x_2 = 5$. How large is "
            "$\\partial f/\\partial x_1$ now, and why so much smaller than at Figure 1's inputs?",
            f"$z = {fmt(s_big)}$, so $\\sigma(z) = {fmt(g_big)}$ and the sigmoid's local gradient "
            f"$\\sigma(z)(1 - \\sigma(z)) = {fmt(g_big * (1 - g_big))}$: the sigmoid is "
            f"flattening out (saturating). $\\partial f/\\partial x_1 = "
            f"{fmt(big.labelled('x₁').grad)}$, against {fmt(grad['x₁'])} before: a saturated "
            "sigmoid passes almost no gradient back (the vanishing gradient).",
        ),
    ]
    out = []
    for i, (question, answer) in enumerate(items, 1):
        out.append(f'**Exercise {i}.** {question}\n\n??? success "Answer"\n\n    {answer}')
    return {}, {"exercises": [{"markdown": "\n\n".join(out)}]}


def reused_node(precision: int) -> tuple[Files, Snippets]:
    """The accumulation example (`b = a + a`): figure and table."""
    from gradtrace.export.table import to_markdown
    from gradtrace.figures import reused_node as build
    from gradtrace.graph import trace

    graph = trace(build())
    files, figure = _figure(
        "reused-node",
        graph,
        "A value used twice: a feeds the addition along two edges, and its gradient is the "
        "sum over both",
        precision=precision,
    )
    table = to_markdown(graph, precision=precision, all_nodes=True)
    return files, {"reused-node": [figure], "reused-node-table": [{"markdown": table}]}


def derivation(precision: int) -> tuple[Files, Snippets]:
    """SPEC §2's closed-form gradients, evaluated, beside the engine's."""
    import math

    from gradtrace.figures import figure1 as build
    from gradtrace.graph import trace
    from gradtrace.notation import format_number

    fmt = lambda x: format_number(x, precision)  # noqa: E731
    graph = trace(build())
    value = {name: graph.labelled(name) for name in ("w₁", "w₂", "x₁", "x₂")}
    w1, w2, x1, x2 = (value[n].data for n in ("w₁", "w₂", "x₁", "x₂"))
    s = w1 * x1 + w2 * x2
    sigma = 1.0 / (1.0 + math.exp(-s))
    d = sigma * (1.0 - sigma)
    closed = [
        ("x₁", r"$\sigma(s)\bigl(1 - \sigma(s)\bigr)\cdot w_1$", d * w1),
        ("x₂", r"$\sigma(s)\bigl(1 - \sigma(s)\bigr)\cdot w_2$", d * w2),
        ("w₁", r"$\sigma(s)\bigl(1 - \sigma(s)\bigr)\cdot x_1 + w_1$", d * x1 + w1),
        ("w₂", r"$\sigma(s)\bigl(1 - \sigma(s)\bigr)\cdot x_2 + w_2$", d * x2 + w2),
    ]
    rows = [
        "| Variable | Closed form | Closed-form value | Engine's ∂f/∂· | Difference |",
        "|---|---|--:|--:|--:|",
    ]
    for name, formula, exact in closed:
        engine = value[name].grad
        diff = abs(exact - engine)
        rows.append(
            f"| {name} | {formula} | {fmt(exact)} | {fmt(engine)} | "
            f"{'0' if diff == 0 else f'{diff:.1e}'} |"
        )
    summary = (
        f"With $s = w_1x_1 + w_2x_2 = {fmt(s)}$: $\\sigma(s) = {fmt(sigma)}$ and "
        f"$\\sigma(s)\\bigl(1 - \\sigma(s)\\bigr) = {fmt(d)}$."
    )
    from gradtrace.export.derivation import to_derivation

    paths = to_derivation(build(), ["x₁", "x₂", "w₁", "w₂"], precision=precision)
    return {}, {
        "derivation-table": [{"markdown": summary + "\n\n" + "\n".join(rows)}],
        "derivation-paths": [{"markdown": str(paths)}],
    }


#: The frames the Step by step page shows: (pass, step number, what it shows).
STEP_FRAMES = (
    ("forward", 7, "a forward step: w₁x₁ is computed from w₁ and x₁"),
    ("backward", 2, "the first step inside σ: the power rule of G"),
    ("backward", 10, "w₁x₁ sends its gradient to w₁ (a partial sum) and x₁"),
    ("backward", 12, "the last step: w₁ receives its second contribution"),
)


def steps(precision: int) -> tuple[Files, Snippets]:
    """The Step by step page: frames of Figure 1, its steps as sentences, a derivation for
    x₁, a Beamer frame."""
    from gradtrace.export.beamer import to_beamer
    from gradtrace.export.derivation import to_derivation
    from gradtrace.export.frames import to_frames
    from gradtrace.figures import figure1 as build
    from gradtrace.graph import trace
    from gradtrace.mkdocs.fence import figure_part
    from gradtrace.steps import walk

    graph = trace(build())
    files: Files = {}
    parts = []
    drawn = {
        (theme, which): to_frames(graph, "svg", passes=which, theme=theme)
        for theme in ("light", "dark")
        for which in ("forward", "backward")
    }
    for which, number, alt in STEP_FRAMES:
        stem = f"{ASSETS}/steps-{which}-{number:02d}"
        files[f"{stem}.svg"] = drawn["light", which][number - 1].decode("utf-8")
        files[f"{stem}-dark.svg"] = drawn["dark", which][number - 1].decode("utf-8")
        alt_text = f"Figure 1, {which} step {number}: {alt}"
        parts.append(figure_part(stem, files[f"{stem}.svg"], alt_text))
    walked = walk(graph)
    sentences = "\n".join(step.text(precision) for step in walked.backward)
    tex = to_beamer(graph, pdf="figure1-steps.pdf", passes="backward")
    # For Figure 1's page: the backward step in which z receives its gradient from −z.
    z = graph.labelled("z").id
    (edge,) = [s for s in walked.backward if any(c.child == z for c in s.contributions)]
    stem = f"{ASSETS}/figure1-edge"
    files[f"{stem}.svg"] = drawn["light", "backward"][edge.index - 1].decode("utf-8")
    files[f"{stem}-dark.svg"] = drawn["dark", "backward"][edge.index - 1].decode("utf-8")
    edge_part = figure_part(
        stem,
        files[f"{stem}.svg"],
        f"Figure 1 at backward step {edge.index}: the multiplication by −1 inside σ sends "
        "z its gradient, upstream gradient times local gradient; the sentence under the "
        "graph gives the numbers",
    )
    return files, {
        "figure1-edge-frame": [edge_part],
        "steps-frames": parts,
        "steps-sentences": [{"markdown": "```text\n" + sentences + "\n```"}],
        "steps-derivation": [{"markdown": to_derivation(graph, "x₁", precision=precision)}],
        "steps-beamer": [{"markdown": "```latex\n" + tex + "```"}],
    }


def training(precision: int) -> tuple[Files, Snippets]:
    """SPEC §3's run: results, curves, decision regions, one sample's loss graph, the dip."""
    from gradtrace import plots
    from gradtrace.data import four_blobs
    from gradtrace.mkdocs.fence import figure_part
    from gradtrace.nn import LinearLayer
    from gradtrace.train import predict, results_table, train

    x, y = four_blobs()
    model = LinearLayer(2, 4, seed=0)
    margins: list[float] = []  # the logit margin of each sample after each update

    def watch(iteration: int, loss: float, accuracy: float) -> None:
        margins.append(_margins(model, x, y))

    history = train(x, y, model, lr=1.0, epochs=500, callback=watch)
    files: Files = {}
    snippets: Snippets = {"training-table": [{"markdown": results_table(history, x, y)}]}
    for stem, alt, draw in (
        (
            "training-curves",
            "Loss and accuracy over the 500 iterations",
            lambda theme, narrow: plots.training_curves_svg(history, theme=theme, narrow=narrow),
        ),
        (
            "decision-regions",
            "The four classes and the regions the trained layer assigns to each; a ring "
            "marks the one sample it gets wrong",
            lambda theme, narrow: plots.decision_regions_svg(
                model, x, y, theme=theme, narrow=narrow
            ),
        ),
    ):
        path = f"{ASSETS}/{stem}"
        for narrow in (False, True):
            for theme in ("light", "dark"):
                suffix = ("-narrow" if narrow else "") + ("-dark" if theme == "dark" else "")
                files[f"{path}{suffix}.svg"] = draw(theme, narrow)
        snippets[stem] = [figure_part(path, files[f"{path}.svg"], alt, narrow=True)]
    dip, sample = _accuracy_dip(history, margins, x, y, precision, lambda p: predict(model, [p])[0])
    snippets["accuracy-dip"] = [{"markdown": dip}]
    graph_files, graph_part = _sample_graph(model, x[sample], y[sample], sample, precision)
    files.update(graph_files)
    snippets["sample-graph"] = [graph_part]
    return files, snippets


def _margins(model: Any, x: Any, y: Any) -> list[float]:
    """Each sample's logit for its class minus the largest other logit (< 0: misclassified).

    Plain floats from the layer's weights `w[i][j]` and biases `b[j]`: no graph is built.
    """
    out = []
    for row, label in zip(x, y, strict=True):
        logits = [
            sum(row[i] * model.w[i][j].data for i in range(model.nin)) + model.b[j].data
            for j in range(model.nout)
        ]
        out.append(logits[label] - max(v for k, v in enumerate(logits) if k != label))
    return out


def _accuracy_dip(
    history: Any,
    margins: list[list[float]],
    x: Any,
    y: Any,
    precision: int,
    predict: Any,
) -> tuple[str, int]:
    """Why the accuracy is 100% for a while, then 99%: the numbers, from the run itself."""
    from gradtrace.notation import format_number

    acc = history.accuracy  # acc[k]: the forward pass after k updates
    perfect = [k for k, a in enumerate(acc) if a == 1.0]
    if not perfect or acc[-1] == 1.0:
        return "*Every sample ends on the right side: there is no dip to explain.*", 0
    first, last = perfect[0], perfect[-1]
    # margins[k]: after k + 1 updates. The sample that is wrong at the end:
    sample = min(range(len(y)), key=lambda i: margins[-1][i])
    track = [m[sample] for m in margins]
    best = max(range(len(track)), key=lambda k: track[k])
    fmt = lambda v: format_number(v, precision)  # noqa: E731
    centre = [sum(p[d] for p, c in zip(x, y, strict=True) if c == y[sample]) for d in (0, 1)]
    count = sum(1 for c in y if c == y[sample])
    text = (
        f"The accuracy curve reaches 100% after {first} updates and stays there until "
        f"{last} updates; from {last + 1} updates on it is {round(100 * acc[-1])}%. One sample "
        f"changes side: sample {sample}, at $({fmt(x[sample][0])}, {fmt(x[sample][1])})$, of "
        f"class {y[sample]}, whose points are centred near "
        f"$({fmt(centre[0] / count)}, {fmt(centre[1] / count)})$. It is the point of its class "
        f"closest to the border with its neighbour (the ringed point in the plot above). Its "
        f"*margin*, its own logit minus the largest other one, grows to {fmt(track[best])} "
        f"after {best + 1} updates, then shrinks, crosses zero and ends at {fmt(track[-1])}: "
        f"the layer now puts it in class {predict(x[sample])}, its neighbour's.\n\n"
        f"Nothing went wrong: gradient descent lowers the **mean loss** over all 100 samples, "
        f"not the number of mistakes. Over those last updates the loss still falls, from "
        f"{fmt(history.loss[last])} to {fmt(history.loss[-1])}, because the other samples of "
        f"both classes keep gaining confidence as the border between them settles where their "
        f"pull balances; this one point, in the overlap of the two blobs, pulls too weakly to "
        f"keep the border on its far side. Accuracy counts only which side of the border a "
        f"point is on, so it can drop while the loss improves."
    )
    return text, sample


def _sample_graph(
    model: Any, point: list[float], label: int, sample: int, precision: int
) -> tuple[Files, dict[str, Any]]:
    """The loss of one sample through the trained layer, the softmax and loss collapsed."""
    from gradtrace import Value, scope
    from gradtrace.graph import trace
    from gradtrace.nn import cross_entropy_loss

    xs = [Value(point[0], "x₀"), Value(point[1], "x₁")]
    with scope("linear layer"):
        logits = model([xs])
    for j, logit in enumerate(logits[0]):
        logit.label = "z" + "₀₁₂₃₄₅₆₇₈₉"[j]
    with scope("softmax + cross-entropy"):
        loss = cross_entropy_loss(logits, [label])
    loss.label = "loss"
    model.zero_grad()
    loss.backward()
    graph = trace(loss)
    alt = (
        f"The loss of sample {sample} after training: its two inputs and the layer's weights "
        "and biases feed four neurons (dot product, plus bias), whose logits feed the softmax "
        "and cross-entropy, drawn as one box; every value carries its gradient"
    )
    return _figure(
        "sample-graph", graph, alt, precision=precision, collapse=("softmax + cross-entropy",)
    )


def demo(precision: int) -> tuple[Files, Snippets]:
    """The live demo of Figure 1: sliders wide enough to saturate σ, a nudge column."""
    from gradtrace.export.widget import to_html
    from gradtrace.figures import figure1 as build

    ranges = {name: (-6.0, 6.0, 0.01) for name in ("w₁", "w₂", "x₁", "x₂")}
    html = to_html(build(), standalone=False, precision=precision, ranges=ranges, nudge=1e-6)
    return {}, {"live-demo": [{"html": html}]}


def cli(precision: int) -> tuple[Files, Snippets]:
    """The `--help` of every `gradtrace` command, as the CLI prints it now."""
    import contextlib
    import io

    from gradtrace.cli import main

    snippets: Snippets = {}
    for name, argv in (("cli-gradtrace", []), ("cli-export", ["export"]), ("cli-train", ["train"])):
        buffer = io.StringIO()
        with contextlib.redirect_stdout(buffer), contextlib.suppress(SystemExit):
            main([*argv, "--help"])
        snippets[name] = [{"markdown": f"```text\n{buffer.getvalue().rstrip()}\n```"}]
    return {}, snippets


def code(precision: int) -> tuple[Files, Snippets]:
    """The engine's multiplication, quoted from the source as it is now."""
    import inspect
    import textwrap

    from gradtrace.engine import Value

    source = textwrap.dedent(inspect.getsource(Value.__mul__)).rstrip()
    return {}, {"engine-mul": [{"markdown": f"```python\n{source}\n```"}]}


GENERATORS = {
    "figure1": figure1,
    "exercises": exercises,
    "reused_node": reused_node,
    "derivation": derivation,
    "steps": steps,
    "training": training,
    "demo": demo,
    "cli": cli,
    "code": code,
}


if __name__ == "__main__":
    from gradtrace.mkdocs.isolated import serve

    serve(generate)
