"""The built site read in Chromium as a reader would: desktop and phone, light and dark.

Every page of the site, at 1280×900 and 390×844, in both palettes (the browser's
colour-scheme preference, which mkdocs-material follows):

- axe-core (the copy the `axe-playwright-python` package ships; nothing is fetched)
  finds no serious or critical violation;
- no figure, formula, widget graph or code block is cut off without a way to pan it:
  whatever is wider than its box says so (the fading edge gradtrace.js sets) and can
  be reached with the keyboard, and the page itself never scrolls sideways;
- figures are not shrunk below readable: Graphviz's 12 pt gradients stay ≥ 11 px;
- the console stays empty of errors and no request goes to another host.
"""

from __future__ import annotations

from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.browser]

SIZES = {"desktop": (1280, 900), "phone": (390, 844)}
PALETTES = {"light": "light", "dark": "dark"}


def _pages(site: Path) -> list[str]:
    pages = sorted(p.relative_to(site).parent.as_posix() for p in site.rglob("index.html"))
    return [("" if p == "." else p + "/") for p in pages]


@pytest.fixture(scope="module")
def base(site: Path, serve_directory: Any) -> Iterator[str]:
    with serve_directory(site) as origin:
        yield origin + "/"


@pytest.fixture(scope="module")
def axe_source() -> str:
    return (resources.files("axe_playwright_python") / "axe.min.js").read_text(encoding="utf-8")


# What a scroller that overflows must have: the cue and a way in by keyboard.
_OVERFLOW = """() => {
  const out = [];
  const boxes = document.querySelectorAll(
    ".gradtrace-pan, .gradtrace-math, .gradtrace-widget .gt-figure, "
    + ".gradtrace-widget .gt-table-wrap, .md-typeset pre > code, .md-typeset__scrollwrap");
  for (const el of boxes) {
    if (!el.getClientRects().length) continue;  // the other palette's copy, or a closed tab
    if (el.scrollWidth - el.clientWidth <= 1) continue;
    const wraps = getComputedStyle(el).whiteSpace.startsWith("pre-wrap");
    const cue = el.hasAttribute("data-more-right") || el.hasAttribute("data-more-left");
    const keyboard = el.tabIndex >= 0 || el.querySelector("a[href], [tabindex]") !== null;
    if (!wraps && !(cue && keyboard)) out.push(el.className + " " + el.tagName);
  }
  if (document.documentElement.scrollWidth > window.innerWidth + 1) out.push("the page itself");
  return out;
}"""

# Graphviz figures: the rendered width over the natural width, times 16 px (12 pt numbers).
_NUMBER_PX = """() => Array.from(document.querySelectorAll(
    ".gradtrace-figure:not([data-narrow]) .gradtrace-pan img, .gradtrace-widget svg.gt-svg"))
  .filter(el => el.getClientRects().length && !el.closest("[hidden]"))
  .filter(el => !el.currentSrc || !el.currentSrc.includes("training-curves")
                && !el.currentSrc.includes("decision-regions"))
  .map(el => {
    const natural = el.tagName === "IMG" ? Number(el.getAttribute("width"))
                                         : parseFloat(el.style.maxWidth);
    return [el.getAttribute("alt") || el.getAttribute("aria-label"),
            16 * el.getBoundingClientRect().width / natural];
  })"""


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("palette", PALETTES)
def test_every_page_reads_well(
    site: Path, chromium: Any, base: str, axe_source: str, size: str, palette: str
) -> None:
    width, height = SIZES[size]
    context = chromium.new_context(
        viewport={"width": width, "height": height}, color_scheme=PALETTES[palette]
    )
    page = context.new_page()
    outside: list[str] = []
    errors: list[str] = []

    def route(r: Any) -> None:
        if r.request.url.startswith(base):
            r.continue_()
        else:
            outside.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    problems: dict[str, Any] = {}
    try:
        for name in _pages(site):
            page.goto(base + name)
            scheme = page.evaluate("document.body.getAttribute('data-md-color-scheme')")
            assert scheme == ("slate" if palette == "dark" else "default"), name
            page.wait_for_timeout(50)
            page.add_script_tag(content=axe_source)
            result = page.evaluate(
                "() => axe.run(document, {resultTypes: ['violations']})"
                ".then(r => r.violations.filter(v => ['serious', 'critical'].includes(v.impact))"
                ".map(v => [v.id, v.nodes.slice(0, 3).map(n => n.target.join(' '))]))"
            )
            if result:
                problems[f"axe {name}"] = result
            cut = page.evaluate(_OVERFLOW)
            if cut:
                problems[f"cut off {name}"] = cut
            small = [(what, px) for what, px in page.evaluate(_NUMBER_PX) if px < 10.9]
            if small:
                problems[f"small {name}"] = small
    finally:
        context.close()
    assert problems == {}
    assert errors == []
    assert outside == []
