"""The mkdocs plugin on its own: fences, math, a block's process, and a course author's site."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import markdown
import pytest

from gradtrace.mathml import MathError, to_mathml
from gradtrace.mkdocs.fence import FenceError, check_options, run_block
from gradtrace.mkdocs.markdown import MathExtension, scan_fences

# -- reading fences -------------------------------------------------------------------


def test_blocks_are_found_with_their_line_and_code() -> None:
    md = 'intro\n\n```gradtrace table root="f"\nf = 1\n```\n\n```python\nx = 2\n```\n'
    scan = scan_fences(md)
    assert scan.starts == [(2, "f = 1")] and scan.unclosed is None
    assert scan.markdown == md


def test_a_block_shown_inside_a_longer_fence_is_left_alone() -> None:
    md = "````markdown\n```gradtrace\nf = 1\n```\n````\n"
    assert scan_fences(md).starts == []


def test_indented_block_is_dedented() -> None:
    md = "- item\n\n    ```gradtrace\n    a = 1\n      b = 2\n    ```\n"
    assert scan_fences(md).starts == [(2, "a = 1\n  b = 2")]


def test_an_unclosed_block_is_found() -> None:
    scan = scan_fences("# x\n\n```gradtrace\nf = 1\n")
    assert scan.unclosed == 2 and scan.starts == []


def test_unquoted_options_are_quoted_for_superfences_and_quoted_ones_kept() -> None:
    md = '```gradtrace table=true caption="a=b c" rankdir=TB\nf = 1\n```\n'
    first = scan_fences(md).markdown.split("\n")[0]
    assert first == '```gradtrace table="true" caption="a=b c" rankdir="TB"'


# -- math -------------------------------------------------------------------------


def _math(text: str) -> tuple[str, list[tuple[str, str]]]:
    errors: list[tuple[str, str]] = []
    ext = MathExtension(lambda message, latex: errors.append((message, latex)))
    return markdown.markdown(text, extensions=["tables", ext]), errors


def test_math_outside_code_becomes_mathml() -> None:
    html, errors = _math("a $x_1$ b `$y$` costs $5 and $6, \\$7\n\n    $z$\n\n$$\nw^2\n$$\n")
    assert errors == []
    assert html.count('<math xmlns="http://www.w3.org/1998/Math/MathML" display="inline"') == 1
    assert (
        '<div class="gradtrace-math"><math xmlns="http://www.w3.org/1998/Math/MathML" '
        'display="block" alttext="w^2">'
    ) in html
    assert "<code>$y$</code>" in html and "<code>$z$\n</code>" in html
    assert "costs $5 and $6, $7" in html  # not math; \\$ is a dollar sign


def test_math_is_not_markdown() -> None:
    html, _ = _math("$a_1 * b_2 * c_3$ and $x_{*}$")
    assert "<em>" not in html and "<strong>" not in html


def test_bad_math_is_reported_and_shown_as_code() -> None:
    html, errors = _math("ok $\\nosuch{x}$ ok")
    assert errors == [("cannot render $\\nosuch{x}$: unknown LaTeX command", "\\nosuch{x}")]
    assert '<code class="gradtrace-bad-math">\\nosuch{x}</code>' in html


def test_mathml_has_the_structure_and_source() -> None:
    markup = to_mathml(r"\frac{\partial f}{\partial w_1}", display=True)
    assert markup.startswith(
        '<math xmlns="http://www.w3.org/1998/Math/MathML" display="block" '
        'alttext="\\frac{\\partial f}{\\partial w_1}">'
    )
    assert "<mfrac>" in markup and "<msub><mi>w</mi><mn>1</mn></msub>" in markup
    assert "<annotation" not in markup  # its text would show twice in search excerpts


def test_a_compound_relation_is_one_operator() -> None:
    """`\\mathrel{+=}`: latex2mathml nests an <mrow> inside an <mo>, which MathML forbids."""
    import xml.etree.ElementTree as etree

    markup = to_mathml(r"g \mathrel{+=} a \cdot b")
    ns = "{http://www.w3.org/1998/Math/MathML}"
    ops = [mo.text for mo in etree.fromstring(markup).iter(f"{ns}mo")]
    assert ops[0] == "+=" and len(ops) == 2
    assert all(len(mo) == 0 for mo in etree.fromstring(markup).iter(f"{ns}mo"))


def test_mathml_errors_are_clear() -> None:
    with pytest.raises(MathError, match="unknown LaTeX command"):
        to_mathml(r"\nosuchcommand{x}")
    with pytest.raises(MathError, match="empty formula"):
        to_mathml(" ")


# -- running a block ----------------------------------------------------------------


def _svg_text(result: dict[str, object]) -> str:
    files = result["files"]
    assert isinstance(files, dict)
    light = next(v for k, v in files.items() if not k.endswith("-dark.svg"))
    assert isinstance(light, str)
    return light


def test_block_draws_the_value_nothing_else_uses_and_runs_backward() -> None:
    code = "from gradtrace import Value\nx1 = Value(3.0)\ny = x1 * x1\n"
    result = run_block(code, {}, 4)
    svg = _svg_text(result)
    # y = x₁², so y = 9 and ∂y/∂x₁ = 2·x₁ = 6; x1 is named after its variable.
    assert "9.0000" in svg and "6.0000" in svg and "x₁" in svg


def test_block_root_option_and_table() -> None:
    code = "from gradtrace import Value\na = Value(2.0, 'a')\nb = a.exp()\nc = -a\n"
    result = run_block(code, {"root": "c", "table": "true"}, 2)
    parts = result["parts"]
    assert isinstance(parts, list)
    table = parts[1]["markdown"]
    assert "| a | input | 2.00 | -1.00 |" in table
    assert "exp" not in _svg_text(result)


@pytest.mark.parametrize(
    ("code", "options", "message", "line"),
    [
        ("x = 1\ny = 1 / 0\n", {}, "ZeroDivisionError: division by zero", 2),
        ("x = (\n", {}, "line 1:5: syntax error", 1),
        ("x = 1\n", {}, "no Value found in the block", None),
        (
            "from gradtrace import Value\nx = Value(1.0)\n",
            {"root": "q"},
            "no module-level Value called 'q'",
            None,
        ),
        (
            "from gradtrace import Value\nx = Value(1.0)\n",
            {"colour": "red"},
            "unknown option",
            None,
        ),
        (
            "from gradtrace import Value\nx = Value(1.0)\n",
            {"table": "maybe"},
            "true or false",
            None,
        ),
    ],
)
def test_block_errors(code: str, options: dict[str, str], message: str, line: int | None) -> None:
    with pytest.raises(FenceError, match=message) as caught:
        run_block(code, options, 4)
    assert caught.value.line == line


NEURON = 'from gradtrace import Value\na = Value(2.0, "a")\nb = Value(-3.0, "b")\nc = a * b + a\n'


def test_block_takes_the_shared_options_as_the_exporters_do() -> None:
    """number, precision, highlight, title, wrap, theme and show_grad: a block's figure and
    table are what the exporters draw with the same keyword arguments."""
    from gradtrace.capture import capture_code
    from gradtrace.export.render import to_svg
    from gradtrace.export.table import to_markdown

    given = {
        "number": "scientific",
        "precision": "2",
        "highlight": "b",
        "title": "A product",
        "wrap": "3",
        "rankdir": "tb",
        "table": "table",
    }
    result = run_block(NEURON, given, 4)
    graph = capture_code(NEURON, filename="<x>").graph
    look = {"number": "scientific", "precision": 2, "highlight": "b", "title": "A product"}
    look.update(wrap=3, rankdir="TB")
    assert _svg_text(result) == to_svg(graph, theme="light", **look)
    parts = result["parts"]
    assert isinstance(parts, list)
    assert parts[1]["markdown"] == to_markdown(graph, precision=2, number="scientific")
    assert "| a | input | 2.00e+00 | -2.00e+00 |" in parts[1]["markdown"]

    # A theme is used for both palettes; grad=false and show_grad=false draw no gradients.
    for name in ("grad", "show_grad"):
        plain = run_block(NEURON, {"theme": "print", name: "false"}, 4)["files"]
        assert isinstance(plain, dict)
        light, dark = plain.values()
        assert light == dark == to_svg(graph, theme="print", show_grad=False, precision=4)


def test_every_shared_option_is_taken_by_blocks_or_refused_with_a_reason() -> None:
    """A new option in gradtrace.options must be decided on here, not silently unknown."""
    from gradtrace import options as shared
    from gradtrace.mkdocs import fence

    taken, refused = set(fence.SHARED_OPTIONS), set(fence._NOT_FOR_BLOCKS)
    assert taken | refused == set(shared.OPTIONS) and not taken & refused
    assert not set(fence.BLOCK_OPTIONS) & set(shared.OPTIONS)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"precision": "99"}, "precision must be a whole number from 0 to 15, got 99"),
        ({"number": "round"}, "number must be one of fixed, significant, scientific"),
        ({"rankdir": "up"}, "rankdir must be one of LR, TB, RL, BT"),
        ({"wrap": "-1"}, "wrap must be a whole number ≥ 0"),
        ({"show_grad": "maybe"}, "show_grad must be true or false"),
        ({"theme": "neon"}, "theme must be one of light, print, dark"),
        ({"max_nodes": "0"}, "max_nodes must be a whole number ≥ 1"),
        ({"grad": "false", "show_grad": "false"}, "same option"),
        ({"title": "title"}, "title needs a value"),
        ({"dpi": "300"}, "dpi: a block draws SVG"),
        ({"timeout": "5"}, "the plugin's timeout option"),
    ],
)
def test_shared_options_fail_in_a_block_as_in_gradtrace_options(
    options: dict[str, str], message: str
) -> None:
    from gradtrace import options as shared

    with pytest.raises(FenceError, match=re.escape(message)):
        check_options(options, 4)
    ((key, text),) = list(options.items())[:1]
    if (
        len(options) == 1
        and key in shared.OPTIONS
        and key not in ("dpi", "timeout")
        and text != key
    ):
        with pytest.raises(shared.OptionError) as caught:  # the options module's own words
            shared.parse(key, text)
        assert message in str(caught.value)


def test_block_output_is_byte_identical_across_processes() -> None:
    script = (
        "import json\n"
        "from gradtrace.mkdocs.fence import run_block\n"
        "code = 'from gradtrace import Value\\na = Value(2.0)\\nb = a * a + a.exp()\\n'\n"
        "print(json.dumps(run_block(code, {'table': 'true'}, 4), sort_keys=True))\n"
    )
    outputs = {
        subprocess.run(
            [sys.executable, "-c", script],
            capture_output=True,
            text=True,
            check=True,
            env=dict(os.environ, PYTHONHASHSEED=seed),
        ).stdout
        for seed in ("1", "2")
    }
    assert len(outputs) == 1 and "block-" in outputs.pop()


# -- a course author's site ----------------------------------------------------------


def _make_site(root: Path, pages: dict[str, str]) -> None:
    (root / "docs").mkdir()
    (root / "mkdocs.yml").write_text(
        "site_name: course\nplugins:\n  - gradtrace:\n      cache_dir: cache\n", encoding="utf-8"
    )
    for name, text in pages.items():
        (root / "docs" / name).parent.mkdir(parents=True, exist_ok=True)
        (root / "docs" / name).write_text(textwrap.dedent(text), encoding="utf-8")


def _build(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict"],
        cwd=root,
        capture_output=True,
        text=True,
        env=dict(os.environ, NO_MKDOCS_2_WARNING="1"),
    )


GOOD_PAGE = """\
    ---
    title: Lecture 1
    ---
    # A neuron

    With $w_1 = 2$:

    - in a list, a formula of its own:

        $$\tanh'(a) = 1 - \tanh^2 a$$

    ```gradtrace table=true widget=true caption="A tanh neuron"
    from gradtrace import Value
    w1, x1 = Value(2.0), Value(0.5)
    out = (w1 * x1).tanh()
    ```
    """


def test_fence_works_in_any_site_that_lists_the_plugin(tmp_path: Path) -> None:
    _make_site(tmp_path, {"index.md": GOOD_PAGE, "lectures/one.md": GOOD_PAGE})
    build = _build(tmp_path)
    assert build.returncode == 0, build.stderr
    page = (tmp_path / "site/index.html").read_text(encoding="utf-8")
    assert '<figure class="gradtrace-figure" style="--gt-width: ' in page
    assert "<figcaption>A tanh neuron <" in page
    assert "<math" in page and "<table>" in page
    assert re.search(r'<li>\s*<p>in a list.*?</p>\s*<div class="gradtrace-math"><math', page, re.S)
    assert 'class="gradtrace-widget' in page and "<script" in page  # widget=true
    # tanh(1) = 0.7616; ∂/∂w₁ = (1 − tanh²1)·x₁ = 0.2100.
    assert "0.7616" in page and "0.2100" in page
    svgs = sorted((tmp_path / "site/assets/gradtrace").glob("block-*.svg"))
    assert len(svgs) == 2
    assert not list((tmp_path / "docs").rglob("*.svg"))  # nothing written into docs/
    # A page in a sub-folder links the same files with a relative URL that resolves.
    nested = tmp_path / "site/lectures/one/index.html"
    sources = re.findall(r'<img[^>]* src="([^"]+)"', nested.read_text(encoding="utf-8"))
    assert len(sources) == 2
    assert all((nested.parent / src).resolve() in svgs for src in sources)


def test_failing_block_fails_strict_build_with_page_and_line(tmp_path: Path) -> None:
    bad = GOOD_PAGE.replace("out = (w1 * x1).tanh()", "out = (w1 * x1).tanh()\n    1 / 0")
    _make_site(tmp_path, {"index.md": "# ok\n", "lecture.md": bad})
    build = _build(tmp_path)
    assert build.returncode != 0
    # Line 16 of lecture.md is `1 / 0` (front matter included).
    assert "lecture.md:16: the gradtrace block failed: ZeroDivisionError" in build.stderr
    assert "Traceback" not in build.stderr
    # Without --strict the site builds, and the page shows the error where the figure would be.
    lenient = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=dict(os.environ, NO_MKDOCS_2_WARNING="1"),
    )
    assert lenient.returncode == 0
    page = (tmp_path / "site/lecture/index.html").read_text(encoding="utf-8")
    assert "This gradtrace block failed</strong> (lecture.md:16): ZeroDivisionError" in page


def test_bad_math_fails_strict_build_with_page_and_line(tmp_path: Path) -> None:
    _make_site(tmp_path, {"index.md": "---\ntitle: x\n---\n# x\n\ntext\n\n$\\nosuch{x}$\n"})
    build = _build(tmp_path)
    assert build.returncode != 0
    assert "index.md:8: cannot render" in build.stderr


def test_cache_skips_work_for_prose_edits_and_prunes_stale_results(tmp_path: Path) -> None:
    _make_site(tmp_path, {"index.md": GOOD_PAGE})
    first = _build(tmp_path)
    assert "gradtrace: 1 results generated, 0 from the cache" in first.stderr
    entries = sorted((tmp_path / "cache").glob("*.json"))
    assert len(entries) == 1

    page = tmp_path / "docs/index.md"
    page.write_text(page.read_text(encoding="utf-8") + "\nMore prose.\n", encoding="utf-8")
    prose = _build(tmp_path)
    assert "gradtrace: 0 results generated, 1 from the cache" in prose.stderr
    assert "More prose." in (tmp_path / "site/index.html").read_text(encoding="utf-8")

    page.write_text(
        page.read_text(encoding="utf-8").replace("Value(0.5)", "Value(-0.5)"), encoding="utf-8"
    )
    code = _build(tmp_path)
    assert "gradtrace: 1 results generated, 0 from the cache (1 stale entries removed)" in (
        code.stderr
    )
    assert sorted((tmp_path / "cache").glob("*.json")) != entries
    assert len(list((tmp_path / "cache").glob("*.json"))) == 1
    # tanh(2 · −0.5) = −0.7616
    assert "-0.7616" in (tmp_path / "site/index.html").read_text(encoding="utf-8")


SERVE_SCRIPT = """
import pathlib, sys
from mkdocs.commands.build import build
from mkdocs.config import load_config

def once():
    config = load_config("mkdocs.yml")
    config.plugins.on_startup(command="serve", dirty=False)
    build(config)
    return pathlib.Path("site/index.html").read_text(encoding="utf-8")

before = once()
engine = pathlib.Path(sys.argv[1]) / "gradtrace" / "engine.py"
with engine.open("a", encoding="utf-8") as f:  # a "bug": every product comes out 1 too big
    f.write("\\nValue.__mul__ = lambda self, other, _mul=Value.__mul__: _mul(self, other) + 1.0\\n")
after = once()
print("BEFORE", "0.7616" in before, "AFTER", "0.9640" in after)
"""


def test_editing_the_engine_redraws_within_one_process(tmp_path: Path) -> None:
    """What `mkdocs serve` does: build, edit gradtrace, build again in the same process."""
    import shutil

    import gradtrace

    package = tmp_path / "pkg"
    shutil.copytree(
        Path(gradtrace.__file__).parent,
        package / "gradtrace",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    site = tmp_path / "site"
    site.mkdir()
    _make_site(site, {"index.md": GOOD_PAGE})
    run = subprocess.run(
        [sys.executable, "-c", SERVE_SCRIPT, str(package)],
        cwd=site,
        capture_output=True,
        text=True,
        env=dict(os.environ, PYTHONPATH=str(package), NO_MKDOCS_2_WARNING="1"),
    )
    assert run.returncode == 0, run.stderr
    # tanh(2 · 0.5) = 0.7616; with the edited multiply, tanh(2 · 0.5 + 1) = 0.9640.
    assert "BEFORE True AFTER True" in run.stdout, run.stdout + run.stderr


def test_endless_block_is_stopped_and_reported(tmp_path: Path) -> None:
    page = """\
    # Loops

    ```gradtrace
    while True:
        pass
    ```

    ```gradtrace
    from gradtrace import Value
    y = Value(3.0) * 2
    ```
    """
    _make_site(tmp_path, {"index.md": page})
    config = tmp_path / "mkdocs.yml"
    config.write_text(config.read_text(encoding="utf-8") + "      timeout: 2\n", encoding="utf-8")
    build = _build(tmp_path)
    assert build.returncode != 0
    assert "index.md:3: the gradtrace block failed: no answer within 2 s" in build.stderr
    # The next block gets a fresh worker and is drawn, and the build runs to its end.
    assert build.stderr.count("the gradtrace block failed") == 1
    assert "gradtrace: 2 results generated" in build.stderr


# -- what a block may depend on ---------------------------------------------------------

LOCAL_MODULE_PAGE = """\
    # Local

    ```gradtrace
    from helpers import scale
    from gradtrace import Value
    x = Value(2.0, "x")
    y = scale(x)
    ```
    """


def test_a_block_importing_a_local_module_is_redrawn_when_the_module_changes(
    tmp_path: Path,
) -> None:
    _make_site(tmp_path, {"lectures/one.md": LOCAL_MODULE_PAGE, "index.md": "# x\n"})
    helpers = tmp_path / "docs/lectures/helpers.py"  # next to the page, as for a script
    helpers.write_text("def scale(v):\n    return v * 3.0\n", encoding="utf-8")
    first = _build(tmp_path)
    assert first.returncode == 0, first.stderr
    page = tmp_path / "site/lectures/one/index.html"
    svg = _block_svg(page)
    assert "6.0000" in svg and "3.0000" in svg  # y = 3x = 6, dy/dx = 3

    again = _build(tmp_path)
    assert "gradtrace: 0 results generated, 1 from the cache" in again.stderr

    helpers.write_text("def scale(v):\n    return v * 5.0\n", encoding="utf-8")
    edited = _build(tmp_path)
    assert "gradtrace: 1 results generated, 0 from the cache" in edited.stderr
    svg = _block_svg(page)
    assert "10.0000" in svg and "5.0000" in svg  # y = 5x = 10, dy/dx = 5


THEMED_PAGE = """\
    # Themed

    ```gradtrace theme="house.toml"
    from gradtrace import Value
    x = Value(2.0, "x")
    y = x * 3.0
    ```
    """


def test_a_block_theme_file_next_to_the_page_is_used_and_followed_by_the_cache(
    tmp_path: Path,
) -> None:
    _make_site(tmp_path, {"lectures/one.md": THEMED_PAGE, "index.md": "# x\n"})
    house = tmp_path / "docs/lectures/house.toml"
    house.write_text('value_fill = "#ffe4b5"\n', encoding="utf-8")
    first = _build(tmp_path)
    assert first.returncode == 0, first.stderr
    page = tmp_path / "site/lectures/one/index.html"
    assert 'fill="#ffe4b5"' in _block_svg(page)

    house.write_text('value_fill = "#b5e4ff"\n', encoding="utf-8")
    edited = _build(tmp_path)
    assert "gradtrace: 1 results generated, 0 from the cache" in edited.stderr
    svg = _block_svg(page)
    assert 'fill="#b5e4ff"' in svg and "#ffe4b5" not in svg

    house.unlink()
    missing = _build(tmp_path)
    assert missing.returncode != 0
    assert "lectures/one.md:3: the gradtrace block failed: theme file" in missing.stderr


def _block_svg(page: Path) -> str:
    (src,) = re.findall(r'<img src="([^"]+block-[0-9a-f]{12}\.svg)"', page.read_text("utf-8"))
    return (page.parent / src).read_text(encoding="utf-8")


PATCHING_PAGE = """\
    # Patched

    ```gradtrace
    from gradtrace import Value
    Value.tanh = lambda self: self * 100.0   # a block that breaks the engine for itself
    a = Value(0.5, "a")
    b = a.tanh()
    ```
    """

TANH_PAGE = """\
    # Tanh

    ```gradtrace
    from gradtrace import Value
    c = Value(0.5, "c")
    d = c.tanh()
    ```
    """


def test_blocks_cannot_change_each_other(tmp_path: Path) -> None:
    """A block that monkeypatches Value.tanh changes neither another page's figure nor
    what stays cached after it is fixed (issue 16, item 3)."""
    _make_site(tmp_path, {"a.md": PATCHING_PAGE, "b.md": TANH_PAGE})
    build = _build(tmp_path)
    assert build.returncode == 0, build.stderr
    patched, other = (
        _block_svg(tmp_path / "site/a/index.html"),
        _block_svg(tmp_path / "site/b/index.html"),
    )
    assert "50.0000" in patched  # its own patched tanh: 0.5 × 100
    assert "0.4621" in other and "0.7864" in other  # tanh(0.5), 1 − tanh²(0.5)

    fixed = tmp_path / "docs/a.md"
    fixed.write_text(
        fixed.read_text(encoding="utf-8").replace("Value.tanh = ", "unused = "), encoding="utf-8"
    )
    build = _build(tmp_path)
    assert "gradtrace: 1 results generated, 1 from the cache" in build.stderr
    assert "0.4621" in _block_svg(tmp_path / "site/a/index.html")
    assert "0.4621" in _block_svg(tmp_path / "site/b/index.html")


def test_an_unclosed_block_is_an_error_on_the_page_and_in_strict_builds(tmp_path: Path) -> None:
    page = """\
    # Blocks

    ```gradtrace
    from gradtrace import Value
    y = Value(3.0, "y") * 2
    ```

    ```gradtrace
    from gradtrace import Value
    z = Value(1.0)
    """
    _make_site(tmp_path, {"index.md": page})
    build = _build(tmp_path)
    assert build.returncode != 0
    assert "index.md:8: the gradtrace block is never closed" in build.stderr
    lenient = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=dict(os.environ, NO_MKDOCS_2_WARNING="1"),
    )
    assert lenient.returncode == 0, lenient.stderr
    html = (tmp_path / "site/index.html").read_text(encoding="utf-8")
    assert html.count('<figure class="gradtrace-figure"') == 1  # the closed block before it
    assert "This gradtrace block failed</strong> (index.md:8): the gradtrace block is never" in html


FORGING_PAGE = """\
    # Tokens \x02wzxhzdk:0\x03 and GRADTRACEPLACEHOLDER0END

    ```gradtrace table widget
    from gradtrace import Value
    a = Value(1.0, "\x02wzxhzdk:0\x03")
    b = Value(2.0, "GRADTRACEPLACEHOLDER0END")
    f = a * b
    f.label = "\x02wzxhzdk:1\x03"
    ```

    Text $x$ and \x02wzxhzdk:2\x03.
    """


def test_no_text_or_label_can_forge_a_placeholder(tmp_path: Path) -> None:
    """Figures, widgets and formulas reach the page through Python-Markdown's htmlStash,
    whose placeholders are made of control characters Markdown strips from every source
    (issue 16, item 8): labels and text that look like them stay text."""
    _make_site(tmp_path, {"index.md": FORGING_PAGE})
    build = _build(tmp_path)
    assert build.returncode == 0, build.stderr
    page = (tmp_path / "site/index.html").read_text(encoding="utf-8")
    assert page.count('<figure class="gradtrace-figure"') == 1
    assert page.count('class="gradtrace-widget"') == 1
    assert page.count("<math ") == 1
    assert "<td>GRADTRACEPLACEHOLDER0END</td>" in page
    (config,) = re.findall(
        r'<script type="application/json" class="gt-config">(.*?)</script>', page
    )
    labels = {n["label"] for n in json.loads(config)["graph"]["nodes"]}
    # Markdown removes the control characters from the page, code included: nothing forged.
    assert labels == {"GRADTRACEPLACEHOLDER0END", "wzxhzdk:0", "wzxhzdk:1"}
    assert "Text <math" in page and "wzxhzdk:2." in page


def test_heading_ids_with_math_are_stable_and_read_as_the_formula(tmp_path: Path) -> None:
    _make_site(tmp_path, {"index.md": "# Top\n\n## Split $f$ in two\n\ntext $x$\n"})
    ids = []
    for _ in range(2):
        build = _build(tmp_path)
        assert build.returncode == 0, build.stderr
        page = (tmp_path / "site/index.html").read_text(encoding="utf-8")
        (heading,) = re.findall(r'<h2 id="([^"]+)"', page)
        assert f'href="#{heading}"' in page  # the table of contents links to it
        ids.append(heading)
    assert ids[0] == ids[1] == "split-f-in-two"


def _marked_dots(marker: str) -> list[int]:
    """Running `dot` processes whose environment carries `marker` (started for this test)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            environ = (entry / "environ").read_bytes()
        except OSError:
            continue
        name, state = stat[stat.index("(") + 1 : stat.rindex(")")], stat[stat.rindex(")") + 2]
        if name == "dot" and state not in "ZX" and marker.encode() in environ:
            found.append(int(entry.name))
    return found


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_a_block_stopped_at_the_timeout_leaves_no_dot_running(tmp_path: Path) -> None:
    import time
    import uuid

    page = """\
    # Slow

    ```gradtrace
    from gradtrace import Value, to_svg
    below = [Value(1.0) for _ in range(7)]
    for _ in range(14):
        below = below + [Value.sum(below) for _ in range(7)]
    f = Value.sum(below[-7:])
    svg = to_svg(f, max_nodes=None, max_edges=None, timeout=None)  # minutes of layout
    ```
    """
    _make_site(tmp_path, {"index.md": page})
    config = tmp_path / "mkdocs.yml"
    config.write_text(config.read_text(encoding="utf-8") + "      timeout: 3\n", encoding="utf-8")
    marker = f"GRADTRACE_TEST_{uuid.uuid4().hex}=1"
    key, value = marker.split("=")
    build = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=dict(os.environ, NO_MKDOCS_2_WARNING="1", **{key: value}),
        timeout=300,
    )
    assert "no answer within 3 s" in build.stderr
    deadline = time.monotonic() + 30
    while _marked_dots(marker) and time.monotonic() < deadline:
        time.sleep(0.1)
    left = _marked_dots(marker)
    for pid in left:  # do not leave a busy dot behind for the rest of the suite
        os.kill(pid, 9)
    assert left == []


def test_function_names_are_spaced_and_a_sign_is_not_a_subtraction() -> None:
    thin = '<mspace width="0.1667em"></mspace>'
    assert f"<mi>ln</mi>{thin}<mi>a</mi>" in to_mathml(r"\ln a")
    assert f"<mi>tanh</mi><mn>2</mn></msup>{thin}<mi>a</mi>" in to_mathml(r"1 - \tanh^2 a")
    sign = to_mathml(r"x = -0.0996")
    assert '<mo>&#x0003D;</mo><mo form="prefix">&#x02212;</mo><mn>0.0996</mn>' in sign
    difference = to_mathml(r"(a) - b")
    assert "<mo>&#x02212;</mo>" in difference and "prefix" not in difference
