"""The live demo in a real browser: the system's Chromium, driven by Playwright.

One browser per test session; each test gets a fresh page whose every request is
checked: only the local test server (127.0.0.1) may be asked for anything.

The browser's numbers are checked against the Python engine (an independent
implementation of the same rules): random graphs of every operation to 1e-12 through
the `window.gradtrace.evaluate` hook, Figure 1's 13 displayed rows to the displayed
precision after moving its controls, and the step-through order against `Graph`.
"""

from __future__ import annotations

import functools
import http.server
import math
import random
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from gradtrace.engine import Value
from gradtrace.export.json import to_json
from gradtrace.graph import trace

playwright_sync = pytest.importorskip("playwright.sync_api")

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WIDGET_JS = Path(__file__).resolve().parents[1] / "gradtrace" / "export" / "widget.js"

pytestmark = pytest.mark.browser


# -- fixtures: one local server, one browser; a fresh guarded page per test --------------


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    """A directory served on 127.0.0.1, and its base URL."""
    root = tmp_path_factory.mktemp("site")
    handler = functools.partial(_Quiet, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield root, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():  # pragma: no cover - ./dev test installs it
        pytest.fail(f"{CHROMIUM} is missing: install it with sudo apt-get install chromium")
    with playwright_sync.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class Guard:
    """Records every request a page makes, and every script error and dialog."""

    def __init__(self, origin: str) -> None:
        self.origin = origin
        self.foreign: list[str] = []
        self.errors: list[str] = []
        self.dialogs: list[str] = []

    def route(self, route: Any) -> None:
        url = route.request.url
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
    script = WIDGET_JS.read_text(encoding="utf-8")
    return open_html("hook.html", f"<!DOCTYPE html><title>hook</title><script>{script}</script>")


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
    """The generator below really covers the engine: every op name shows up."""
    ops: set[str] = set()
    for seed in range(SEEDS):
        for node in trace(random_graph(seed)[0]):
            ops.add("**n" if node.op.startswith("**") and node.op != "**" else node.op)
    names = "const + - * / neg ** **n exp log relu tanh sigmoid sum dot"
    expected = {"", *names.split(" ")}
    assert expected <= ops


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


def test_micrograd_graph_matches_micrograd(hook_page: Any) -> None:
    """A graph of micrograd's own Value (ops '+', '*', '**2', 'ReLU') recomputes the same."""
    engine = pytest.importorskip("micrograd.engine")
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
    """`gradtrace.formatNumber` writes exactly what `format_number` writes, ties included."""
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
    cases = [[_js_number(x), p] for x in values for p in (0, 2, 4, 6, 13)]
    got = hook_page.evaluate("cs => cs.map(([x, p]) => window.gradtrace.formatNumber(x, p))", cases)
    expected = [format_number(from_js(x), p) for x, p in cases]
    wrong = [(c, e, g) for c, e, g in zip(cases, expected, got, strict=True) if e != g]
    assert wrong == []
