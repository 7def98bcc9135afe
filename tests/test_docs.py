"""The documentation site: `mkdocs build --strict` of this repository, then read what it built.

The site is built once per session into a temporary folder, with an empty
cache, so every figure, table and the training run are regenerated from the
code as it is now. Expected numbers come from SPEC §2 and from a fresh
`train()` run in this process, never from the site's own output.
"""

from __future__ import annotations

import base64
import html
import math
import re
import subprocess
import sys
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from spec_tables import FIGURE1_TRACE, TRAINING_RESULTS

pytestmark = pytest.mark.slow  # one strict build of the whole site, with a training run

ROOT = Path(__file__).resolve().parent.parent


def _page(site: Path, name: str) -> str:
    return (site / name / "index.html").read_text(encoding="utf-8")


class _Tables(HTMLParser):
    """Every <table> of a page as a list of rows of cell texts."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[list[list[str]]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self.tables.append([])
        elif tag == "tr" and self.tables:
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self.tables[-1][-1].append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def _tables(page: str) -> list[list[list[str]]]:
    parser = _Tables()
    parser.feed(page)
    return parser.tables


def _table_with(page: str, header: str) -> list[list[str]]:
    for table in _tables(page):
        if table and header in table[0]:
            return table
    raise AssertionError(f"no table with a {header!r} column")


def test_figure1_svg_shows_every_value_and_gradient_of_spec(site: Path) -> None:
    svg = (site / "assets/gradtrace/figure1.svg").read_text(encoding="utf-8")
    text = html.unescape(" ".join(re.findall(r">([^<]+)<", svg)))
    for label, forward, grad in FIGURE1_TRACE:
        assert label in text, label
        assert forward in text, (label, forward)
        assert grad in text, (label, grad)
    dark = (site / "assets/gradtrace/figure1-dark.svg").read_text(encoding="utf-8")
    assert dark != svg and "0.5246" in dark


def test_figure1_pages_embed_the_generated_svg_in_both_palettes(site: Path) -> None:
    for page in ("", "figure1"):
        body = (site / page / "index.html").read_text(encoding="utf-8")
        light = r'<a class="gradtrace-light" href="[./]*assets/gradtrace/figure1\.svg">'
        dark = r'<a class="gradtrace-dark" href="[./]*assets/gradtrace/figure1-dark\.svg">'
        image = r'<picture><img src="[./]*assets/gradtrace/figure1{}\.svg"'
        assert re.search(light + image.format(""), body)
        assert re.search(dark + image.format("-dark"), body)


def test_trace_table_has_spec_13_rows(site: Path) -> None:
    table = _table_with(_page(site, "figure1"), "Variable")
    header, rows = table[0], table[1:]
    assert header == ["Variable", "Expression", "Forward Value", "Gradient (∂f/∂·)"]
    assert len(rows) == 13
    assert [(r[0], r[2], r[3]) for r in rows] == FIGURE1_TRACE


def test_derivation_table_matches_spec_closed_forms(site: Path) -> None:
    page = _page(site, "derivation")
    table = _table_with(page, "Closed form")
    got = {row[0]: (row[2], row[3]) for row in table[1:]}
    # SPEC §2's gradients of the inputs and weights, closed form and engine alike.
    assert got == {
        "x₁": ("0.0498", "0.0498"),
        "x₂": ("0.0996", "0.0996"),
        "w₁": ("0.1004", "0.1004"),
        "w₂": ("0.5246", "0.5246"),
    }


def test_training_table_is_spec_section_3s_table(site: Path) -> None:
    # The page shows gradtrace.train.results_table of a fresh run: SPEC §3's table, digit for digit.
    table = dict(_table_with(_page(site, "training"), "Metric")[1:])  # type: ignore[arg-type]
    expected = [line.strip("|").split("|") for line in TRAINING_RESULTS.splitlines()[2:]]
    assert table == {name.strip(): value.strip() for name, value in expected}


def test_training_figures_are_generated(site: Path) -> None:
    page = _page(site, "training")
    for name in ("training-curves.svg", "decision-regions.svg"):
        assert (
            (site / "assets/gradtrace" / name)
            .read_text(encoding="utf-8")
            .lstrip()
            .startswith(("<?xml", "<svg"))
        )
        assert f"assets/gradtrace/{name}" in page


def test_math_is_rendered_to_mathml(site: Path) -> None:
    page = _page(site, "derivation")
    assert page.count('<math xmlns="http://www.w3.org/1998/Math/MathML" display="block"') >= 8
    assert page.count('display="inline"') >= 10
    # The quotient rule's result, as MathML, with its source kept for copying.
    assert r"\sigma(z)\,\bigl(1 - \sigma(z)\bigr)" in page
    prose = re.sub(r"<(pre|code|annotation)\b.*?</\1>", "", page, flags=re.S)
    assert "$" not in re.sub(r"<script\b.*?</script>", "", prose, flags=re.S)


def test_no_page_links_to_another_host(site: Path) -> None:
    pages = list(site.rglob("*.html"))
    assert len(pages) >= 10
    outside = re.compile(
        r"""(?:href|src|srcset|action|poster)\s*=\s*["']?\s*(?:https?:)?//""", re.I
    )
    for page in pages:
        # The canonical link names the published address; it loads nothing.
        text = re.sub(r'<link rel="canonical" href="[^"]*">', "", page.read_text(encoding="utf-8"))
        assert not outside.search(text), (page, outside.search(text))
        assert not re.search(r"url\(\s*['\"]?(?:https?:)?//", text), page
        assert "fonts.googleapis" not in text and "fonts.gstatic" not in text, page
    for css in site.rglob("*.css"):
        assert not re.search(r"url\(\s*['\"]?(?:https?:)?//", css.read_text(encoding="utf-8")), css


def test_the_course_notebook_is_a_page_with_its_outputs(site: Path) -> None:
    page = _page(site, "notebook")
    figures = [
        base64.b64decode(data).decode("utf-8")
        for data in re.findall(r'src="data:image/svg\+xml;base64,([^"]+)"', page)
    ]
    figure1 = html.unescape(" ".join(re.findall(r">([^<]+)<", figures[0])))
    for label, forward, grad in FIGURE1_TRACE:
        assert forward in figure1 and grad in figure1, label
    table = _table_with(page, "Variable")  # gt.to_markdown(f), a Markdown table
    assert [(r[0], r[2], r[3]) for r in table[1:]] == FIGURE1_TRACE
    assert "final accuracy 99%, final loss 0.13" in page
    assert page.count('class="gradtrace-widget"') == 1  # the widget's copy, live on the page
    assert "<math" in page  # Markdown cells' $…$ went through the plugin like any page
    assert not (site / "hooks.py").exists() and not (site / "notebook_hook.py").exists()


def test_fence_on_our_own_pages(site: Path) -> None:
    page = _page(site, "course")
    images = re.findall(r'src="([./]*assets/gradtrace/block-[0-9a-f]{12}(?:-dark)?\.svg)"', page)
    assert len(images) == 2
    svg = (site / "course" / images[0]).read_text(encoding="utf-8")
    # c = a·b + a at a = 2, b = −3: c = −4, ∂c/∂a = b + 1 = −2, ∂c/∂b = a = 2.
    text = html.unescape(" ".join(re.findall(r">([^<]+)<", svg)))
    assert "-4.0000" in text and "-2.0000" in text and "2.0000" in text
    rows = _table_with(page, "Variable")[1:]
    assert ["a", "input", "2.0000", "-2.0000"] in rows
    assert ["b", "input", "-3.0000", "2.0000"] in rows


def test_api_reference_is_generated_from_docstrings(site: Path) -> None:
    assert "Compute ∂self/∂v for every value" in _page(site, "api/engine")  # Value.backward
    assert "GradtracePlugin" in _page(site, "api/docs")


def test_live_demo_page_embeds_the_widget(site: Path) -> None:
    page = _page(site, "demo")
    assert "<script" in page and "w₁" in page
    assert "not available in this build" not in page


# -- the built site in Chromium --------------------------------------------------------


@pytest.fixture(scope="module")
def browser_page(
    site: Path, chromium: Any, serve_directory: Any
) -> Iterator[tuple[Any, str, list[str]]]:
    """A Chromium page, the site's URL on a local server, and the requests sent elsewhere."""
    outside: list[str] = []
    with serve_directory(site) as origin:
        base = origin + "/"

        def route(r: Any) -> None:
            if r.request.url.startswith(base):
                r.continue_()
            else:
                outside.append(r.request.url)
                r.abort()

        page = chromium.new_page(viewport={"width": 1280, "height": 900})
        page.route("**/*", route)
        yield page, base, outside
        page.close()


@pytest.mark.browser
def test_live_demo_page_recomputes_like_the_engine(
    browser_page: tuple[Any, str, list[str]],
) -> None:
    from gradtrace.export.table import table_rows
    from gradtrace.figures import figure1
    from gradtrace.notation import format_number

    page, base, outside = browser_page
    page.goto(base + "demo/")
    page.wait_for_selector(".gradtrace-widget[data-gt-ready]")
    page.get_by_label("w₁, exact value").fill("0.5")
    page.get_by_label("x₂, exact value").fill("-1.25")
    shown = page.eval_on_selector_all(
        ".gradtrace-widget tr[data-node]",
        """rows => rows.map(r => [r.querySelector('th').firstChild.textContent,
            r.querySelector('.gt-data').textContent,
            r.querySelector('.gt-grad').textContent])""",
    )
    expected = [
        [r.variable, format_number(r.data), format_number(r.grad)]
        for r in table_rows(figure1(w1=0.5, x2=-1.25))
    ]
    assert shown == expected
    assert outside == []


@pytest.mark.browser
def test_demo_nudges_each_value_and_the_change_matches_its_gradient(
    browser_page: tuple[Any, str, list[str]],
) -> None:
    """The finite-difference column: f(v + h) − f(v), over h, for every value in the table,
    computed in the page; it is within rounding of the gradient the backward pass found."""
    page, base, _ = browser_page
    page.goto(base + "demo/")
    page.wait_for_selector(".gradtrace-widget[data-gt-ready]")
    for x in ("0.3", "5"):  # at Figure 1's inputs, then with the sigmoid saturating
        page.get_by_label("x₁, exact value").fill(x)
        pairs = page.eval_on_selector_all(
            ".gradtrace-widget tr[data-node]",
            """rows => rows.map(r => [r.querySelector('.gt-grad').textContent,
                r.querySelector('.gt-nudge').textContent])""",
        )
        assert len(pairs) == 13
        for grad, nudge in pairs:
            assert abs(float(grad) - float(nudge)) <= 1.5e-4, (x, grad, nudge)
    # Deep saturation (z = 50), as the page describes it: f(x₁ + h) rounds to f(x₁), so the
    # nudge reads exactly 0, while the backward pass still finds σ'(50)·w₁ ≈ 9.6e-22.
    for name in ("w₁", "w₂", "x₁", "x₂"):
        page.get_by_label(f"{name}, exact value").fill("5")
    row = page.locator(".gradtrace-widget tr[data-node]:has(th:text-matches('^x₁'))")
    grad = float(row.locator(".gt-grad").text_content() or "")
    assert row.locator(".gt-nudge").text_content() == "0.0000"
    sigma, one_minus_sigma = 1 / (1 + math.exp(-50)), 1 / (1 + math.exp(50))
    assert grad == pytest.approx(5 * sigma * one_minus_sigma, rel=1e-3, abs=0)
    # The hint "try x₁ = x₂ = 5" is within the sliders' reach.
    for name in ("w₁", "w₂", "x₁", "x₂"):
        slider = page.locator(f".gt-control:has(label:text-is('{name}')) input[type=range]")
        assert float(slider.get_attribute("max")) >= 5 and float(slider.get_attribute("min")) <= -5


@pytest.mark.browser
def test_math_is_laid_out_by_chromium(browser_page: tuple[Any, str, list[str]]) -> None:
    page, base, outside = browser_page
    page.goto(base + "derivation/")
    # A display formula with a fraction is laid out in two storeys; unrendered MathML
    # would be one line of text.
    heights = page.eval_on_selector_all(
        "math[display=block]", "els => els.map(e => e.getBoundingClientRect().height)"
    )
    assert len(heights) >= 8 and max(heights) > 40
    fraction = page.eval_on_selector(
        "mfrac",
        "e => [e.firstElementChild.getBoundingClientRect().bottom,"
        " e.lastElementChild.getBoundingClientRect().top]",
    )
    assert fraction[0] <= fraction[1] + 1  # numerator above denominator
    assert outside == []


@pytest.mark.browser
def test_dark_palette_shows_the_dark_figures(browser_page: tuple[Any, str, list[str]]) -> None:
    page, base, _ = browser_page
    page.goto(base + "figure1/")
    visible = "img => img.getBoundingClientRect().width > 0"
    light, dark = ".gradtrace-pan .gradtrace-light img", ".gradtrace-pan .gradtrace-dark img"
    assert page.eval_on_selector(light, visible)
    assert not page.eval_on_selector(dark, visible)
    page.evaluate("document.body.setAttribute('data-md-color-scheme', 'slate')")
    assert not page.eval_on_selector(light, visible)
    assert page.eval_on_selector(dark, visible)


def test_engine_page_quotes_the_current_source(site: Path) -> None:
    import inspect

    from gradtrace.engine import Value

    page = html.unescape(re.sub(r"<[^>]+>", "", _page(site, "engine")))
    for line in inspect.getsource(Value.__mul__).strip().splitlines():
        assert line.strip() in page, line


def test_default_cache_dir_is_ignored_by_git() -> None:
    """Without GRADTRACE_DOCS_CACHE the cache is .cache/gradtrace, which must never show in git."""
    config = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    assert "cache_dir: !ENV [GRADTRACE_DOCS_CACHE, .cache/gradtrace]" in config
    ignored = subprocess.run(
        ["git", "check-ignore", "-q", ".cache/gradtrace/0123.json"], cwd=ROOT, check=False
    )
    assert ignored.returncode == 0


def test_derivation_page_boxes_the_closed_forms_beside_the_generated_sums(site: Path) -> None:
    """The seed's four boxed closed forms, evaluated here, equal the generated path sums."""
    import math

    from gradtrace.notation import format_number

    page = html.unescape(_page(site, "derivation"))
    boxed = re.findall(r'alttext="(\\boxed\{.*?\})"', page, re.S)
    closed = [b for b in boxed if r"\sigma(s)" in b]
    assert len(closed) == 4
    for name, tail in (("x_1", "w_1"), ("x_2", "w_2"), ("w_1", "x_1 + w_1"), ("w_2", "x_2 + w_2")):
        assert any(rf"\partial {name}}} =" in b and b.endswith(rf"\cdot {tail}}}") for b in closed)
    w1, w2, x1, x2 = 0.2, 0.4, -0.4, 0.5
    s = w1 * x1 + w2 * x2
    d = 1 / (1 + math.exp(-s)) * (1 - 1 / (1 + math.exp(-s)))
    values = {"x_{1}": d * w1, "x_{2}": d * w2, "w_{1}": d * x1 + w1, "w_{2}": d * x2 + w2}
    generated = dict(re.findall(r"\\partial ([wx]_\{\d\})\} = (-?[\d.]+)\}", "\n".join(boxed)))
    assert generated == {k: format_number(v) for k, v in values.items()}


def test_step_by_step_page(site: Path) -> None:
    from gradtrace import figure1, walk

    raw = _page(site, "steps")
    page = html.unescape(raw)
    text = html.unescape(re.sub(r"<[^>]+>", "", raw))  # code blocks are highlighted
    for step in walk(figure1()).backward:
        assert step.text() in text
    for stem in ("steps-forward-07", "steps-backward-02", "steps-backward-10", "steps-backward-12"):
        for suffix in ("", "-dark"):
            svg = (site / f"assets/gradtrace/{stem}{suffix}.svg").read_text(encoding="utf-8")
            assert svg.lstrip().startswith("<?xml")
        assert f"assets/gradtrace/{stem}.svg" in page
    assert r"\includegraphics<12>[page=12" in text
    assert r"\boxed{\frac{\partial f}{\partial x_{1}} = 0.0498}" in page


def test_the_docs_run_the_notebook_in_this_python(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Not in whatever kernel is named `python3`: one on the user's JUPYTER_PATH comes first."""
    import importlib.util

    import nbformat

    broken = tmp_path / "kernels" / "python3"
    broken.mkdir(parents=True)
    (broken / "kernel.json").write_text(
        '{"argv": ["/bin/false", "{connection_file}"], "display_name": "x", "language": "python"}',
        encoding="utf-8",
    )
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path))
    spec = importlib.util.spec_from_file_location(
        "gradtrace_docs_notebook_hook", ROOT / "docs" / "notebook_hook.py"
    )
    assert spec is not None and spec.loader is not None
    hooks = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(hooks)
    nb = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell("import sys; print(sys.executable)")]
    )
    ran = hooks._execute(nbformat.writes(nb).encode("utf-8"))
    assert ran.cells[0].outputs[0]["text"].strip() == sys.executable


def test_boxed_closed_forms_on_the_derivation_page_agree_with_the_engine(site: Path) -> None:
    """Each boxed result, read off the page as printed and evaluated at Figure 1's inputs,
    equals the gradient the engine computes by backpropagation."""
    import math

    from gradtrace.figures import figure1
    from gradtrace.graph import trace

    page = html.unescape(_page(site, "derivation"))
    pattern = r'alttext="\\boxed\{\\frac\{\\partial f\}\{\\partial ([wx])_(\d)\} = (.*?)\}"'
    forms = {f"{v}{i}": latex for v, i, latex in re.findall(pattern, page) if "sigma" in latex}
    assert sorted(forms) == ["w1", "w2", "x1", "x2"]
    graph = trace(figure1())
    leaf = {"w1": "w₁", "w2": "w₂", "x1": "x₁", "x2": "x₂"}
    values = {name: graph.labelled(label).data for name, label in leaf.items()}
    s = values["w1"] * values["x1"] + values["w2"] * values["x2"]
    for name, latex in forms.items():
        python = (
            latex.replace(r"\bigl(", "(")
            .replace(r"\bigr)", ")")
            .replace(r"\sigma(s)", "sigma")
            .replace(r"\cdot", "*")
            .replace("_", "")
        )
        python = re.sub(r"sigma\s*\(", "sigma*(", python)  # σ(s)(1 − σ(s)): a product
        got = eval(python, {"sigma": 1 / (1 + math.exp(-s)), **values})
        assert got == pytest.approx(graph.labelled(leaf[name]).grad, abs=1e-12), (name, latex)


def test_training_page_explains_the_accuracy_dip_with_the_runs_own_numbers(site: Path) -> None:
    from gradtrace.data import four_blobs
    from gradtrace.nn import LinearLayer
    from gradtrace.train import predict, train

    x, y = four_blobs()
    model = LinearLayer(2, 4, seed=0)
    history = train(x, y, model, lr=1.0, epochs=500)
    perfect = [k for k, a in enumerate(history.accuracy) if a == 1.0]
    (wrong,) = [i for i, (p, t) in enumerate(zip(predict(model, x), y, strict=True)) if p != t]
    text = html.unescape(re.sub(r"<[^>]+>", "", _page(site, "training")))
    assert f"reaches 100% after {perfect[0]} updates and stays there until {perfect[-1]}" in text
    assert f"sample {wrong}," in text and "from 488 updates on it is 99%" in text
    assert (site / "assets/gradtrace/sample-graph.svg").exists()
    assert "assets/gradtrace/sample-graph.svg" in _page(site, "training")


def test_every_internal_link_and_anchor_resolves(site: Path) -> None:
    """Every href in every page points at a file of the site, and every #anchor at an id."""
    from urllib.parse import unquote, urldefrag, urljoin

    pages = sorted(site.rglob("*.html"))
    ids = {p: set(re.findall(r'\sid="([^"]+)"', p.read_text(encoding="utf-8"))) for p in pages}
    broken = []
    for page in pages:
        if page.name == "404.html":
            continue  # linked from the site's root wherever it is served (below)
        url = "http://site/" + page.relative_to(site).as_posix()
        for href in re.findall(r'\shref="([^"]*)"', page.read_text(encoding="utf-8")):
            href = html.unescape(href)
            if href.startswith(("http:", "https:", "mailto:", "data:", "javascript:")):
                continue
            target, anchor = urldefrag(urljoin(url, href))
            path = site / unquote(target.removeprefix("http://site/"))
            if path.is_dir():
                path = path / "index.html"
            missing_anchor = anchor and path.suffix == ".html" and anchor not in ids.get(path, ())
            if not path.exists() or missing_anchor:
                broken.append((page.relative_to(site).as_posix(), href))
    assert broken == []


def test_site_url_gives_a_sitemap_and_a_404_page_that_works_under_a_sub_path(site: Path) -> None:
    sitemap = (site / "sitemap.xml").read_text(encoding="utf-8")
    assert sitemap.count("<loc>https://example.org/gradtrace/") >= 10
    page = (site / "404.html").read_text(encoding="utf-8")
    assets = re.findall(r'(?:href|src)="(/[^"]+)"', page)
    assert assets and all(a.startswith("/gradtrace/") for a in assets)
    for asset in assets:  # each resolves inside the site once the sub-path is stripped
        assert (site / asset.removeprefix("/gradtrace/").split("#")[0]).exists(), asset


def test_search_excerpts_hold_each_formula_once_and_no_tex(site: Path) -> None:
    import json

    index = json.loads((site / "search/search_index.json").read_text(encoding="utf-8"))
    text = " ".join(
        doc["text"] for doc in index["docs"] if doc["location"].startswith("derivation")
    )
    assert "\\frac" not in text and "\\sigma" not in text and "\\boxed" not in text


def test_upstream_times_local_on_every_edge_adds_up_to_each_gradient(site: Path) -> None:
    """The edges table of the Figure 1 page, read as printed: each row's product is its
    sent-back amount, and each value's rows add up to SPEC §2's gradient."""
    page = _page(site, "figure1")
    table = _table_with(page, "upstream × local = sent back")
    rows = table[1:]
    sums: dict[str, float] = {}
    for value, _user, cell in rows:
        m = re.fullmatch(r"\(?(-?[\d.]+)\)? × \(?(-?[\d.]+)\)? = (-?[\d.]+)", cell)
        assert m, cell
        upstream, local, sent = (float(g) for g in m.groups())
        assert upstream * local == pytest.approx(sent, abs=1e-4), cell
        sums[value] = sums.get(value, 0.0) + sent
    spec = {label.split(" = ")[0]: float(grad) for label, _forward, grad in FIGURE1_TRACE}
    assert set(spec) - {"f"} <= set(sums)
    for label, grad in spec.items():
        if label != "f":
            assert sums[label] == pytest.approx(grad, abs=2e-4), label
    assert sum(1 for r in rows if r[0] == "w₁") == 2  # used twice: two contributions
    # The frame of the z edge is on the page, and its sentence gives the same product.
    frame = (site / "assets/gradtrace/figure1-edge.svg").read_text(encoding="utf-8")
    assert "(-0.2491) × (-1.0000) = 0.2491" in html.unescape(frame)
    assert "assets/gradtrace/figure1-edge.svg" in page
