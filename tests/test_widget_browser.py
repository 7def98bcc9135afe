"""The live demo in a real browser: the system's Chromium, driven by Playwright.

One browser per test session; each test gets a fresh page whose every request is
checked: only the local test server (127.0.0.1) may be asked for anything.

The browser's numbers are checked against the Python engine (an independent
implementation of the same rules): random graphs of every operation to 1e-12 through
the `window.gradtrace.evaluate` hook, Figure 1's 13 displayed rows to the displayed
precision after moving its controls, and the step-through order against `Graph`.
"""

from __future__ import annotations

import json
import math
import random
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from gradtrace.engine import Value
from gradtrace.export.json import to_json
from gradtrace.graph import trace

pytestmark = pytest.mark.browser


# -- fixtures: one local server, one browser; a fresh guarded page per test --------------


@pytest.fixture(scope="session")
def site(
    tmp_path_factory: pytest.TempPathFactory, serve_directory: Any
) -> Iterator[tuple[Path, str]]:
    """A directory served on 127.0.0.1, and its base URL."""
    root = tmp_path_factory.mktemp("site")
    with serve_directory(root) as base:
        yield root, base


@pytest.fixture(scope="session")
def browser(chromium: Any) -> Any:
    return chromium


class Guard:
    """Records every request a page makes, and every script error and dialog."""

    def __init__(self, origin: str) -> None:
        self.origin = origin
        self.foreign: list[str] = []
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.dialogs: list[str] = []

    def route(self, route: Any) -> None:
        url = route.request.url
        self.requests.append(url)
        parts = urlsplit(url)
        if f"{parts.scheme}://{parts.netloc}" == self.origin or parts.scheme in ("data", "blob"):
            route.continue_()
        else:
            self.foreign.append(url)
            route.abort()


@pytest.fixture
def guarded(browser: Any, site: tuple[Path, str]) -> Iterator[tuple[Any, Guard]]:
    """A fresh page; after the test, no foreign request and no script error happened."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    guard = Guard(site[1])
    context.route("**/*", guard.route)
    page = context.new_page()
    page.on("pageerror", lambda error: guard.errors.append(str(error)))
    page.on(
        "console",
        lambda message: guard.errors.append(message.text) if message.type == "error" else None,
    )

    def on_dialog(dialog: Any) -> None:
        guard.dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    yield page, guard
    context.close()
    assert guard.foreign == [], f"requests to other hosts: {guard.foreign}"
    assert guard.errors == [], f"script errors: {guard.errors}"
    assert guard.dialogs == [], f"dialogs opened: {guard.dialogs}"


@pytest.fixture
def open_html(guarded: tuple[Any, Guard], site: tuple[Path, str]) -> Callable[[str, str], Any]:
    """Write HTML into the served directory and open it in the guarded page."""
    page, _ = guarded

    def open_(name: str, text: str) -> Any:
        (site[0] / name).write_text(text, encoding="utf-8")
        page.goto(f"{site[1]}/{name}")
        return page

    return open_


@pytest.fixture
def hook_page(open_html: Callable[[str, str], Any]) -> Any:
    """A page with only the widget script: `window.gradtrace.evaluate` & co."""
    from gradtrace.export.widget import widget_assets  # the script as shipped

    return open_html("hook.html", f"<!DOCTYPE html><title>hook</title>{widget_assets()}")


# -- comparing numbers --------------------------------------------------------------------


def same(a: float, b: float, tol: float = 1e-12) -> bool:
    """Equal to `tol` (relative, or absolute near 0); nan matches nan, inf its own sign."""
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    if math.isinf(a) or math.isinf(b):
        return a == b
    return math.isclose(a, b, rel_tol=tol, abs_tol=tol)


def from_js(x: Any) -> float:
    return float(x) if not isinstance(x, str) else float(x.replace("Infinity", "inf"))


# -- random graphs of every operation --------------------------------------------------

UNARY = ("neg", "exp", "log", "relu", "tanh", "sigmoid", "pow_n")
BINARY = ("+", "-", "*", "/", "**", "radd", "rsub", "rmul", "rdiv", "rpow")
EXPONENTS = (2, 3, -1, -2, 0, 0.5, 1.5, 1 / 3, -0.5)


def random_graph(seed: int, values: list[float] | None = None) -> tuple[Value, list[Value]]:
    """A graph whose shape depends on `seed` only; its leaves hold `values` (or random ones).

    Every operation of the engine appears across seeds, nodes are reused (so gradients
    accumulate), and leaf values include the IEEE edges (0, −0.0, negatives for log and
    fractional powers, large values for exp overflow).
    """
    shape = random.Random(seed)
    n_leaves = shape.randint(2, 5)
    if values is None:
        pick = random.Random(seed + 10_000)
        values = [_leaf_value(pick) for _ in range(n_leaves)]
    leaves = [Value(values[i], f"x{i}") for i in range(n_leaves)]
    pool: list[Value] = list(leaves)
    for _ in range(shape.randint(3, 14)):
        kind = shape.choice(("unary", "binary", "binary", "sum", "dot"))
        a, b = shape.choice(pool), shape.choice(pool)
        if kind == "unary":
            op = shape.choice(UNARY)
            out = (a ** shape.choice(EXPONENTS)) if op == "pow_n" else _unary(a, op)
        elif kind == "binary":
            out = _binary(a, b, shape.choice(BINARY), shape.choice((2.0, -0.5, 0.0, 3.0)))
        elif kind == "sum":
            terms: list[Value | float] = [shape.choice(pool) for _ in range(shape.randint(0, 4))]
            if shape.random() < 0.3:
                terms.append(1.5)
            out = Value.sum(terms)
        else:
            k = shape.randint(0, 3)
            out = Value.dot(
                [shape.choice(pool) for _ in range(k)], [shape.choice(pool) for _ in range(k)]
            )
        pool.append(out)
    root = Value.sum(pool[n_leaves:][-3:]) if len(pool) > n_leaves + 1 else pool[-1]
    root.backward()
    return root, leaves


def _leaf_value(rng: random.Random) -> float:
    r = rng.random()
    if r < 0.06:
        return rng.choice((0.0, -0.0))
    if r < 0.1:
        return rng.choice((800.0, -800.0, 1e-300))
    if r < 0.2:
        return float(rng.randint(-3, 3))
    return rng.uniform(-3, 3)


def _unary(a: Value, op: str) -> Value:
    return -a if op == "neg" else getattr(a, op)()


def _binary(a: Value, b: Value, op: str, c: float) -> Value:
    match op:
        case "+":
            return a + b
        case "-":
            return a - b
        case "*":
            return a * b
        case "/":
            return a / b
        case "**":
            return a**b
        case "radd":
            return c + a
        case "rsub":
            return c - a
        case "rmul":
            return c * a
        case "rdiv":
            return c / a
        case _:
            return c**a


def test_every_operation_appears_in_the_random_graphs() -> None:
    """The generator below really covers the engine: every operation of the registry (which
    test_ops ties to the engine) shows up, and nothing else."""
    from gradtrace.ops import OPERATIONS

    ops: set[str] = set()
    for seed in range(SEEDS):
        for node in trace(random_graph(seed)[0]):
            ops.add("**n" if node.op.startswith("**") and node.op != "**" else node.op)
    assert ops == {"", "const", *OPERATIONS}


SEEDS = 400


def _compare(graph_json: str, js: dict[str, list[Any]], root: Value) -> list[str]:
    graph = trace(root)
    bad = []
    assert len(js["data"]) == len(graph)
    for node, data, grad in zip(graph, js["data"], js["grad"], strict=True):
        if not same(node.data, from_js(data)) or not same(node.grad, from_js(grad)):
            py, js_ = f"{node.data!r}/{node.grad!r}", f"{data!r}/{grad!r}"
            bad.append(f"node {node.id} ({node.op}): python {py}, js {js_}")
    return bad


def test_random_graphs_match_python(hook_page: Any) -> None:
    """Forward and backward of hundreds of random graphs agree with the engine to 1e-12."""
    graphs = [to_json(random_graph(seed)[0]) for seed in range(SEEDS)]
    results = hook_page.evaluate("graphs => graphs.map(g => window.gradtrace.evaluate(g))", graphs)
    failures = []
    for seed, (text, js) in enumerate(zip(graphs, results, strict=True)):
        bad = _compare(text, js, random_graph(seed)[0])
        if bad:
            failures.append(f"seed {seed}: " + "; ".join(bad[:3]))
    assert failures == []


def test_random_graphs_with_new_inputs_match_python(hook_page: Any) -> None:
    """Setting leaves through `evaluate(json, inputs)` gives what the engine gives for them."""
    cases = []
    for seed in range(0, SEEDS, 4):
        root, leaves = random_graph(seed)
        graph = trace(root)
        new = [_leaf_value(random.Random(seed + 20_000)) for _ in leaves]
        ids = {n.label: n.id for n in graph if n.label}
        inputs = {
            str(ids[v.label]): _js_number(x)
            for v, x in zip(leaves, new, strict=True)
            if v.label in ids  # a leaf the random graph never used is not in it
        }
        cases.append((seed, to_json(graph), inputs, new))
    results = hook_page.evaluate(
        "cases => cases.map(([g, inputs]) => window.gradtrace.evaluate(g, inputs))",
        [[text, inputs] for _, text, inputs, _ in cases],
    )
    failures = []
    for (seed, text, _, new), js in zip(cases, results, strict=True):
        expected, _ = random_graph(seed, new)
        bad = _compare(text, js, expected)
        if bad:
            failures.append(f"seed {seed}: " + "; ".join(bad[:3]))
    assert failures == []


def _js_number(x: float) -> float | str:
    """A number as the JSON export writes it (non-finite ones as strings)."""
    if math.isfinite(x):
        return x
    return "NaN" if math.isnan(x) else ("Infinity" if x > 0 else "-Infinity")


IEEE_EDGES: list[tuple[str, Callable[[Value], Value], float]] = [
    ("log 0", lambda x: x.log(), 0.0),
    ("log −0", lambda x: x.log(), -0.0),
    ("log negative", lambda x: x.log(), -2.0),
    ("0 ** −1", lambda x: x**-1, 0.0),
    ("−0 ** −1", lambda x: x**-1, -0.0),
    ("(−8) ** (1/3)", lambda x: x ** (1 / 3), -8.0),
    ("exp overflow", lambda x: x.exp(), 1000.0),
    ("exp underflow", lambda x: x.exp(), -1000.0),
    ("relu nan", lambda x: (x * 0.0 * math.inf).relu(), 1.0),
    ("relu −0", lambda x: x.relu(), -0.0),
    ("x ** 0 at 0", lambda x: x**0, 0.0),
    ("1 ** x (nan)", lambda x: 1.0 ** (x * math.nan), 2.0),
    ("0 ** x", lambda x: 0.0**x, 2.0),
    ("0 ** 0", lambda x: 0.0**x, 0.0),
    ("x ** 0.5 at 0", lambda x: x**0.5, 0.0),
    ("sigmoid −1000", lambda x: x.sigmoid(), -1000.0),
    ("tanh big", lambda x: x.tanh(), 50.0),
    ("1/0", lambda x: 1.0 / x, 0.0),
    ("1/−0", lambda x: 1.0 / x, -0.0),
    ("0/0", lambda x: x / x, 0.0),
    ("(−1) ** inf", lambda x: x**math.inf, -1.0),
    ("sum of nothing", lambda x: Value.sum([]) + x, 1.0),
    ("dot −0", lambda x: Value.dot([x], [x]), -0.0),
]


def test_ieee_edges_match_python(hook_page: Any) -> None:
    """The domain edges give the engine's nan/inf/−0.0, sign of zero included."""
    roots = []
    for _, build, x in IEEE_EDGES:
        root = build(Value(x, "x"))
        root.backward()
        roots.append(root)
    results = hook_page.evaluate(
        "gs => gs.map(g => window.gradtrace.evaluate(g))", [to_json(r) for r in roots]
    )
    wrong = []
    for (name, _, _), root, js in zip(IEEE_EDGES, roots, results, strict=True):
        for node, data, grad in zip(trace(root), js["data"], js["grad"], strict=True):
            for py, got in ((node.data, from_js(data)), (node.grad, from_js(grad))):
                if not same(py, got) or (py == 0 and math.copysign(1, py) != math.copysign(1, got)):
                    wrong.append(f"{name}: node {node.id} ({node.op}) python {py!r}, js {got!r}")
    assert wrong == []


def _leaf_json(i: int) -> dict[str, Any]:
    return {"id": i, "label": "", "op": "", "role": "input", "data": 1.0, "grad": 0.0,
            "children": [], "scope": []}  # fmt: skip


def test_unknown_operation_is_reported(hook_page: Any) -> None:
    graph = {"format": "gradtrace.graph", "version": 1, "roots": [1], "nodes": [_leaf_json(0)]}
    graph["nodes"].append({**_leaf_json(1), "op": "frobnicate", "children": [0]})
    message = hook_page.evaluate(
        "g => { try { window.gradtrace.evaluate(g); return ''; } catch (e) { return e.message; } }",
        graph,
    )
    assert "frobnicate" in message


def test_every_alias_computes_as_its_operation(hook_page: Any) -> None:
    """Other engines' spellings (micrograd's "ReLU", ...) are the registry's operations."""
    from gradtrace.ops import ALIASES

    cases = []
    for alias, name in ALIASES.items():
        for x in (0.7, -0.3):
            graph = json.loads(to_json(getattr(Value(x, "x"), name)()))
            assert graph["nodes"][1]["op"] == name
            graph["nodes"][1]["op"] = alias
            cases.append([to_json(getattr(Value(x, "x"), name)()), json.dumps(graph)])
    results = hook_page.evaluate(
        "cases => cases.map(c => c.map(g => window.gradtrace.evaluate(g)))", cases
    )
    for canonical, aliased in results:
        assert aliased == canonical


def test_micrograd_graph_matches_micrograd(hook_page: Any) -> None:
    """A graph of micrograd's own Value (ops '+', '*', '**2', 'ReLU') recomputes the same."""
    from micrograd import engine

    a, b = engine.Value(-4.0), engine.Value(2.0)
    c = a + b
    d = a * b + b**3
    c += c + 1
    c += 1 + c + (-a)
    d += d * 2 + (b + a).relu()
    d += 3 * d + (b - a).relu()
    e = c - d
    f = e**2
    g = f / 2.0
    g += 10.0 / f
    g.backward()
    js = hook_page.evaluate("g => window.gradtrace.evaluate(g)", to_json(g))
    graph = trace(g)
    for node, data, grad in zip(graph, js["data"], js["grad"], strict=True):
        assert same(node.data, from_js(data)), node
        assert same(node.grad, from_js(grad)), node


# -- the number formatter -------------------------------------------------------------


def test_number_format_matches_python(hook_page: Any) -> None:
    """`gradtrace.formatNumber` writes exactly what `format_number` writes, in every style,
    ties, zeros of both signs and subnormals included."""
    from gradtrace.notation import format_number

    rng = random.Random(7)
    ties = [1 / 32, -3 / 32, 0.5, 2.5, 123456.78125, 1.00005e12, 9.99995e12, 1e12 + 0.5]
    values = [0.0, -0.0, 1e12, -1e300, 5e-324, -1e-5, 2.0**53, math.nan, math.inf, -math.inf]
    values += ties
    for _ in range(1500):
        values += [
            rng.uniform(-10, 10),
            round(rng.uniform(-100, 100) * 64) / 64,
            rng.uniform(-1e14, 1e14),
            float(rng.randrange(10**12, 10**16)),
        ]
    values += [10.0**e * m for e in range(-330, 20, 7) for m in (1.0, 9.99995, 0.5)]
    cases = [
        [_js_number(x), p, style]
        for x in values
        for p in (0, 2, 4, 6, 13)
        for style in ("fixed", "significant", "scientific")
    ]
    got = hook_page.evaluate(
        "cs => cs.map(([x, p, s]) => window.gradtrace.formatNumber(x, p, s))", cases
    )
    expected = [format_number(from_js(x), p, style) for x, p, style in cases]
    wrong = [(c, e, g) for c, e, g in zip(cases, expected, got, strict=True) if e != g]
    assert wrong == []


# -- the widget page --------------------------------------------------------------------

FIGURE1_ARGS = {"w₁": "w1", "w₂": "w2", "x₁": "x1", "x₂": "x2"}


def _shown_rows(page: Any) -> list[tuple[str, str, str]]:
    """(variable, forward, gradient) of every row of the page's first trace table."""
    rows = page.eval_on_selector_all(
        ".gradtrace-widget >> nth=0 >> tr[data-node]",
        """rows => rows.map(r => [r.querySelector('th').firstChild.textContent,
            r.querySelector('.gt-data').textContent,
            r.querySelector('.gt-grad').textContent])""",
    )
    return [tuple(r) for r in rows]


def _shown_svg(page: Any) -> dict[int, tuple[str, str | None]]:
    """node id → (forward text, gradient text) as drawn in the light figure."""
    found = page.evaluate(
        """() => {
          const svg = document.querySelector('.gradtrace-widget svg.gt-svg-light');
          const out = {};
          for (const g of svg.querySelectorAll('g.node[id]')) {
            const m = g.id.match(/_l_([vg])(\\d+)$/);
            if (!m) continue;
            const texts = g.querySelectorAll('text');
            const text = texts[texts.length - 1].textContent;
            out[m[2]] = Object.assign(out[m[2]] || {}, m[1] === 'v' ? {data: text} : {grad: text});
          }
          return out;
        }"""
    )
    return {int(k): (v["data"], v.get("grad")) for k, v in found.items()}


def _expected_rows(root: Value) -> list[tuple[str, str, str]]:
    from gradtrace.export.table import table_rows
    from gradtrace.notation import format_number

    return [(r.variable, format_number(r.data), format_number(r.grad)) for r in table_rows(root)]


def _check_figure1_page(page: Any, values: dict[str, float]) -> None:
    from gradtrace.figures import figure1
    from gradtrace.notation import format_constant, format_number

    root = figure1(**{FIGURE1_ARGS[k]: v for k, v in values.items()})
    expected = _expected_rows(root)
    assert len(expected) == 13
    assert _shown_rows(page) == expected, values
    svg = _shown_svg(page)
    for node in trace(root):
        data, grad = svg[node.id]
        if node.role == "constant":  # written as in the code, and never rewritten
            assert data == format_constant(node.data), node
            continue
        assert data == format_number(node.data), (values, node)
        if grad is not None:
            assert grad == format_number(node.grad), (values, node)


def _figure1_page(open_html: Callable[[str, str], Any], **options: Any) -> Any:
    from gradtrace.export.widget import to_html
    from gradtrace.figures import figure1

    page = open_html("figure1.html", to_html(figure1(), **options))
    page.wait_for_selector(".gradtrace-widget[data-gt-ready]")
    return page


def test_figure1_controls_recompute_all_13_rows(open_html: Callable[[str, str], Any]) -> None:
    """Typing values into each of w₁, w₂, x₁, x₂ updates the table and the figure to the
    numbers the Python engine computes for the same inputs."""
    page = _figure1_page(open_html)
    values = {"w₁": 0.2, "w₂": 0.4, "x₁": -0.4, "x₂": 0.5}
    _check_figure1_page(page, values)
    for label, settings in {
        "w₁": [-0.75, 0.0, 1.3],
        "w₂": [0.05, -2.5],
        "x₁": [0.9, -0.125, 7.0],
        "x₂": [-1.0, 0.333],
    }.items():
        box = page.get_by_label(f"{label}, exact value")
        for x in settings:
            box.fill(repr(x))
            values[label] = x
            _check_figure1_page(page, values)


def test_sliders_and_number_boxes_follow_each_other(
    open_html: Callable[[str, str], Any],
) -> None:
    """Arrow keys on a slider move it by one step; the page recomputes; the box follows."""
    page = _figure1_page(open_html)
    slider = page.locator(".gt-control", has_text="w₁").locator("input[type=range]")
    slider.focus()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    assert page.get_by_label("w₁, exact value").input_value() == "0.22"
    _check_figure1_page(page, {"w₁": 0.22})
    page.get_by_label("x₂, exact value").fill("-0.35")
    assert (
        page.locator(".gt-control", has_text="x₂").locator("input[type=range]").input_value()
        == "-0.35"
    )
    page.get_by_role("button", name="Reset values").click()
    _check_figure1_page(page, {})
    assert page.get_by_label("w₁, exact value").input_value() == "0.2"


def test_number_box_takes_ieee_values_and_rejects_junk(
    open_html: Callable[[str, str], Any],
) -> None:
    """`inf`, `-inf` and `nan` can be typed (students can explore the edges); junk is
    flagged and ignored."""
    page = _figure1_page(open_html)
    box = page.get_by_label("x₁, exact value")
    box.fill("inf")
    _check_figure1_page(page, {"x₁": math.inf})
    box.fill("nan")
    _check_figure1_page(page, {"x₁": math.nan})
    box.fill("1e400")
    _check_figure1_page(page, {"x₁": math.inf})
    box.fill("0.3.3")
    assert box.get_attribute("aria-invalid") == "true"
    _check_figure1_page(page, {"x₁": math.inf})  # the last good value stays
    box.fill("-0.5")
    assert box.get_attribute("aria-invalid") is None
    _check_figure1_page(page, {"x₁": -0.5})


def _active_ids(page: Any) -> list[int]:
    return page.evaluate(
        """() => [...document.querySelectorAll(
              '.gradtrace-widget svg.gt-svg-light g.node.gt-active[id]')]
            .map(g => g.id.match(/_l_v(\\d+)$/)).filter(Boolean).map(m => Number(m[1]))"""
    )


def test_step_through_follows_reverse_topological_order(
    open_html: Callable[[str, str], Any],
) -> None:
    """Each Step runs the next local rule in `Graph`'s reverse topological order; a
    reused input (w₁, in w₁² and in w₁x₁) shows its partial sum, then the total."""
    from gradtrace.figures import figure1
    from gradtrace.notation import format_number

    page = _figure1_page(open_html)
    root = figure1()
    graph = trace(root)
    expected = [n.id for n in reversed(graph.nodes) if n.children]
    step = page.get_by_role("button", name="Step")
    step.click()  # the start: only ∂f/∂f = 1 is known
    assert _active_ids(page) == []
    assert "∂f/∂f = 1" in page.locator(".gt-status").inner_text()
    w1 = graph.labelled("w₁")
    w1_cell = page.locator(f'tr[data-node="{w1.id}"] .gt-grad')
    assert w1_cell.inner_text() == format_number(0.0)
    seen, w1_shown = [], []
    for _ in expected:
        step.click()
        seen.append(_active_ids(page))
        w1_shown.append(w1_cell.inner_text())
    assert seen == [[i] for i in expected]
    # w₁ is used twice. Reverse creation order reaches w₁x₁ (made after w₁²) first, so w₁
    # receives x₁·∂f/∂(w₁x₁), then 2·w₁·∂f/∂(w₁²) on top of it.
    assert expected.index(graph.labelled("w₁x₁").id) < expected.index(graph.labelled("w₁²").id)
    first = graph.labelled("x₁").data * graph.labelled("w₁x₁").grad
    assert [x for x in dict.fromkeys(w1_shown) if x != "0.0000"] == [
        format_number(first),
        format_number(w1.grad),
    ]
    assert "Done" in page.locator(".gt-status").inner_text()
    assert _shown_rows(page) == _expected_rows(root)


def test_play_pause_and_keyboard(open_html: Callable[[str, str], Any]) -> None:
    """Play walks on its own (fast here), Pause stops it; all of it works from the keyboard."""
    page = _figure1_page(open_html)
    page.evaluate("window.gradtrace.stepMs = 30")
    play = page.locator(".gt-play")
    play.focus()
    page.keyboard.press("Enter")
    assert play.inner_text() == "Pause"  # the label says what pressing it will do
    page.wait_for_function(
        "document.querySelector('.gt-status').textContent.includes('Done')", timeout=5000
    )
    assert play.inner_text() == "Play"
    from gradtrace.figures import figure1

    assert _shown_rows(page) == _expected_rows(figure1())
    # Reset goes back to the start of the walk; Space on Step runs one rule.
    page.locator(".gt-reset").focus()
    page.keyboard.press("Enter")
    assert _active_ids(page) == []
    page.locator(".gt-step").focus()
    page.keyboard.press("Space")
    assert "Step 1 of 12" in page.locator(".gt-status").inner_text()
    page.keyboard.press("Tab")  # to Reset, then into the figure's neighbours: focus is visible
    assert page.evaluate("document.activeElement.className") == "gt-reset"


XSS = '<img src="http://evil.example/x.png" onerror="alert(1)">'


def test_labels_are_text_not_html(open_html: Callable[[str, str], Any]) -> None:
    """A label with HTML in it shows as text, runs nothing and loads nothing."""
    from gradtrace.export.widget import to_html

    a = Value(1.5, XSS)
    b = Value(-2.0, "</script><script>alert(2)</script>")
    c = a * b
    c.label = 'it\'s "quoted" & <b>bold</b>'
    c.backward()
    page = open_html("xss.html", to_html(c))
    page.wait_for_selector(".gradtrace-widget[data-gt-ready]")
    assert page.evaluate("document.querySelectorAll('img, b, main script:not([type])').length") == 1
    names = [r[0] for r in _shown_rows(page)]
    assert XSS in names
    assert c.label in names
    svg_text = page.locator("svg.gt-svg-light").text_content()
    assert XSS in svg_text
    assert page.get_by_label(f"{XSS}, exact value").count() == 1
    page.get_by_label(f"{XSS}, exact value").fill("2")
    assert _shown_rows(page)[-1][1] == "-4.0000"


def test_fragments_share_a_page_and_follow_instant_navigation(
    open_html: Callable[[str, str], Any],
) -> None:
    """Two fragments (each with the script) on one page start once each and stay apart;
    with mkdocs-material's `document$`, a page swapped in later starts too."""
    from gradtrace.export.widget import to_html
    from gradtrace.figures import figure1, reused_node

    fake_material = """<script>
      window.document$ = {subs: [], subscribe(f) { this.subs.push(f); f(); },
                          next() { this.subs.forEach(f => f()); }};
    </script>"""
    first = to_html(figure1(), standalone=False)
    second = to_html(reused_node(), standalone=False)
    swapped = to_html(reused_node(4.0), standalone=False, assets=False)
    page = open_html(
        "fragments.html",
        f"<!DOCTYPE html><meta charset=utf-8><body><main>{first}{second}</main>"
        f"<template id='next'>{swapped}</template>{fake_material}</body>",
    )
    page.wait_for_function("document.querySelectorAll('[data-gt-ready]').length === 2")
    ids = page.evaluate("[...document.querySelectorAll('[id]')].map(e => e.id)")
    assert len(ids) == len(set(ids)), "element ids are unique on the page"
    page.locator(".gradtrace-widget").nth(1).get_by_label("a, exact value").fill("5")
    assert (
        page.locator(".gradtrace-widget").nth(1).locator(".gt-data").last.inner_text() == "10.0000"
    )
    assert _shown_rows(page) == _expected_rows(figure1())  # the first widget did not move
    # Instant navigation: new content arrives without running its scripts, then document$ fires.
    page.evaluate(
        """() => { document.querySelector('main').innerHTML =
                     document.getElementById('next').innerHTML;
                   window.document$.next(); window.document$.next(); }"""
    )
    widget = page.locator(".gradtrace-widget")
    assert widget.count() == 1
    assert widget.get_attribute("data-gt-ready") == "true"
    widget.locator(".gt-step").click()
    widget.locator(".gt-step").click()
    assert "Step 1 of 1" in widget.locator(".gt-status").inner_text()  # one click, one step


def test_unknown_operation_shows_the_export_read_only(
    open_html: Callable[[str, str], Any],
) -> None:
    """A graph with an operation the demo cannot recompute is shown as exported, frozen."""
    from gradtrace.export.widget import to_html

    class Duck:
        def __init__(self, data: float, prev: tuple[Any, ...] = (), op: str = "") -> None:
            self.data, self.grad, self._prev, self._op, self.label = data, 0.0, prev, op, ""

    x = Duck(2.0)
    x.label = "x"
    y = Duck(8.0, (x,), "cube")
    y.grad, x.grad = 1.0, 12.0
    page = open_html("unknown.html", to_html(y))
    page.wait_for_selector(".gradtrace-widget[data-gt-ready]")
    assert "'cube'" in page.locator(".gt-status").inner_text()
    assert page.get_by_label("x, exact value").is_disabled()
    assert page.locator(".gt-step").is_disabled()
    assert [r[1:] for r in _shown_rows(page)] == [("2.0000", "12.0000"), ("8.0000", "1.0000")]
    # Exported before backward(): its gradients were never computed, and none is shown.
    y.grad = x.grad = 0.0
    page = open_html("unknown.html", to_html(y))
    page.wait_for_selector(".gradtrace-widget[data-gt-ready]")
    assert [r[1:] for r in _shown_rows(page)] == [("2.0000", "—"), ("8.0000", "—")]


def test_narrow_screen_keeps_the_running_node_in_view(
    open_html: Callable[[str, str], Any],
) -> None:
    """At 360 px the figure scrolls sideways (its text stays readable) and each Step
    brings the node whose rule runs into view; nothing else overflows the page, and the
    trace table's four columns fit without scrolling."""
    page = _figure1_page(open_html)
    page.set_viewport_size({"width": 360, "height": 800})
    figure = page.locator(".gt-figure")
    assert figure.evaluate("f => f.scrollWidth > f.clientWidth")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert page.locator(".gt-table-wrap").evaluate("w => w.scrollWidth <= w.clientWidth")
    page.emulate_media(reduced_motion="reduce")  # scroll at once rather than smoothly
    for _ in range(10):
        page.locator(".gt-step").click()
    page.wait_for_function(
        """() => {
          const f = document.querySelector('.gt-figure').getBoundingClientRect();
          const shown = [...document.querySelectorAll('svg.gt-svg-light .gt-active')];
          return shown.length > 0 && shown.every(g => {
            const r = g.getBoundingClientRect();
            return r.left >= f.left - 1 && r.right <= f.right + 1;
          });
        }""",
        timeout=3000,
    )


def test_odd_graphs_start_and_step_without_errors(open_html: Callable[[str, str], Any]) -> None:
    """A lone leaf, two outputs, constants only, and micrograd's Value: no script error
    while stepping and playing, and the gradients shown are the engine's."""
    from gradtrace.export.widget import to_html
    from gradtrace.notation import format_number

    alone = Value(3.0, "alone")
    alone.backward()
    a, b = Value(2.0, "a"), Value(-1.0, "b")
    product = a * b
    both = trace(product, a + b)  # the widget, like backward(), follows the first output
    product.backward()
    only_constants = Value(2.0) * 3.0
    only_constants.backward()
    from micrograd import engine

    m = (engine.Value(2.0) * engine.Value(-3.0) + 1).relu()
    m.backward()
    for k, case in enumerate([alone, trace(product, a + b), only_constants, m]):
        page = open_html(f"odd{k}.html", to_html(case))
        page.wait_for_selector(".gradtrace-widget[data-gt-ready]")
        for _ in range(3):
            page.locator(".gt-step").click()
        page.locator(".gt-play").click()
        page.locator(".gt-play").click()
        page.locator(".gt-reset").click()  # the start of a walk; then every rule, one by one
        rules = page.evaluate(
            "document.querySelector('.gradtrace-widget').gradtraceWidget.cg.steps.length"
        )
        for _ in range(rules):
            page.locator(".gt-step").click()
        graph = case if hasattr(case, "nodes") else trace(case)
        shown = page.eval_on_selector_all(
            "tr[data-node]",
            "rows => rows.map(r => [r.dataset.node, r.querySelector('.gt-grad').textContent])",
        )
        assert shown, k
        expected = [format_number(graph.nodes[int(i)].grad) for i, _ in shown]
        assert [text for _, text in shown] == expected, k
    assert both.roots == (2, 3)


def test_the_page_is_the_only_request(
    guarded: tuple[Any, Guard], open_html: Callable[[str, str], Any]
) -> None:
    """Script, style, figure and data are all inside the page: one request, no favicon."""
    page = _figure1_page(open_html)
    page.get_by_label("w₁, exact value").fill("0.7")
    page.locator(".gt-step").click()
    assert guarded[1].requests == [page.url]


# -- the walk tells the steps of gradtrace.steps ------------------------------------------


def _status(page: Any) -> str:
    return page.locator(".gt-status").evaluate("p => p.textContent")


def test_status_line_is_the_python_step_text(open_html: Callable[[str, str], Any]) -> None:
    """Every backward step's status line is `gradtrace.steps`' sentence, also after a slider
    moved (the page fills the same template with the numbers it recomputed)."""
    from gradtrace.figures import figure1
    from gradtrace.steps import walk

    page = _figure1_page(open_html)
    for values in ({}, {"w₁": -0.75}):
        if values:
            page.get_by_label("w₁, exact value").fill("-0.75")
        expected = walk(figure1(**{FIGURE1_ARGS[k]: v for k, v in values.items()})).backward
        page.locator(".gt-reset").click()
        for k, step in enumerate(expected):
            page.locator(".gt-step").click()
            done = "\nDone: every gradient is complete." if k == len(expected) - 1 else ""
            assert _status(page) == step.text() + done, (values, k)


def test_forward_walk_from_the_keyboard(open_html: Callable[[str, str], Any]) -> None:
    """The pass chooser is a radio group: arrow keys pick the forward pass, Step computes one
    value at a time (the others read — and are dimmed), and the sentences are Python's."""
    from gradtrace.figures import figure1
    from gradtrace.steps import walk

    page = _figure1_page(open_html)
    steps = walk(figure1()).forward
    page.locator(".gt-pass input[value=backward]").focus()
    page.keyboard.press("ArrowLeft")  # the other radio of the group: forward
    assert page.locator(".gt-pass input[value=forward]").is_checked()
    assert _status(page).startswith("Start: no value is computed yet")
    assert {row[1] for row in _shown_rows(page)} == {"—"}
    assert {row[2] for row in _shown_rows(page)} == {"—"}
    step = page.locator(".gt-step")
    step.focus()
    graph = trace(figure1())
    for k, expected in enumerate(steps):
        page.keyboard.press("Enter")
        text = _status(page)
        assert text.split("\nDone")[0] == expected.text(), k
        assert _active_ids(page) == [expected.node]
        known = {s.node for s in steps[: k + 1]}
        for node in graph:
            row = page.locator(f'tr[data-node="{node.id}"] .gt-data')
            if row.count():
                shown = row.inner_text()
                assert (shown != "—") == (node.id in known), (k, node.label)
    assert "Done: every value is computed" in _status(page)
    assert [r[1] for r in _shown_rows(page)] == [r[1] for r in _expected_rows(figure1())]
    # Back to backward(): the gradients appear as the rules run.
    page.locator(".gt-pass input[value=backward]").check()
    step.click()
    assert "Step 1 of 12 (backward)" in _status(page)
