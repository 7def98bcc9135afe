"""Print and slide options: one validation for the API, the command line and the docs,
and each option checked against what it must do to the output."""

from __future__ import annotations

import io
import math
import re
import struct
import warnings
from pathlib import Path

import pytest

from gradtrace import Value, options
from gradtrace.cli import main
from gradtrace.errors import SizeWarning
from gradtrace.export.dot import THEMES, to_dot
from gradtrace.export.render import MAX_PNG_PIXELS, to_image
from gradtrace.export.table import to_markdown
from gradtrace.figures import figure1
from gradtrace.formats import FORMATS, by_suffix
from gradtrace.graph import trace
from gradtrace.options import OptionError, load_theme

# -- one validation ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "text", "value"),
    [
        ("precision", "7", 7),
        ("number", "significant", "significant"),
        ("rankdir", "tb", "TB"),
        ("show_grad", "no", False),
        ("collapse", "σ, neuron", ("σ", "neuron")),
        ("wrap", "0", 0),
        ("dpi", "300", 300.0),
        ("scale", "2.5", 2.5),
        ("timeout", "0.5", 0.5),
    ],
)
def test_text_and_python_values_mean_the_same(name: str, text: str, value: object) -> None:
    assert options.parse(name, text) == value
    assert options.check(name, value) == value


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("precision", 16),
        ("precision", True),
        ("number", "engineering"),
        ("rankdir", "up"),
        ("show_grad", "maybe"),
        ("dpi", 0),
        ("dpi", 2401),
        ("scale", math.inf),
        ("wrap", -1),
        ("max_nodes", 0),
        ("theme", "neon"),
    ],
)
def test_every_surface_rejects_the_same_values(name: str, value: object) -> None:
    with pytest.raises(OptionError) as api:
        options.check(name, value)
    message = str(api.value)
    assert message.startswith(f"{name} must be ") and "\n" not in message
    flag = "--" + name.replace("_", "-")
    if name != "show_grad":  # --no-grad takes no value
        text = str(value)
        assert _cli_error(["export", "x.py", flag, text]).endswith(
            f"{message.split(', got ')[0]}, got {options.OPTIONS[name].parse(text)!r}; "
            "run 'gradtrace export --help' for the options"
        )


def _cli_error(argv: list[str]) -> str:
    from contextlib import redirect_stderr

    err = io.StringIO()
    with redirect_stderr(err):
        status = main(argv)
    assert status == 2
    return err.getvalue().strip()


# -- number styles -------------------------------------------------------------------------


@pytest.mark.parametrize("style", ["fixed", "significant", "scientific"])
def test_number_styles_reach_every_table(style: str) -> None:
    x = Value(1234.5678, label="x")
    f = x * 0.001
    f.label = "f"
    f.backward()
    expected = {  # Python's own formatting, the independent truth
        "fixed": f"{1234.5678:.3f}",
        "significant": "1.23e+03",
        "scientific": f"{1234.5678:.3e}",
    }[style]
    assert expected in to_markdown(f, precision=3, number=style)
    assert expected in to_dot(f, precision=3, number=style)


# -- themes from a file ----------------------------------------------------------------------


def test_a_theme_file_recolours_the_figure(tmp_path: Path) -> None:
    path = tmp_path / "house.toml"
    path.write_text('base = "print"\nvalue_fill = "#fff4d6"\nop_fill = "#1F77B4"\n')
    theme = load_theme(path)
    assert theme.value_fill == "#fff4d6" and theme.op_fill == "#1F77B4"
    assert theme.grad_fill == THEMES["print"].grad_fill  # the rest from the base
    dot = to_dot(figure1(), theme=str(path))
    assert 'fillcolor="#fff4d6"' in dot and 'fillcolor="#1F77B4"' in dot


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('value_fil = "#ffffff"\n', "unknown key 'value_fil'; the keys are base, background"),
        ('value_fill = "teal"\n', "value_fill = 'teal' is not a colour; write #rrggbb"),
        ('value_fill = "#ffff"\n', "value_fill = '#ffff' is not a colour"),
        ("value_fill = 3\n", "value_fill = 3 is not a colour"),
        ('base = "neon"\n', "base = 'neon' is not one of light, print, dark"),
        ("value_fill = \n", "is not TOML"),
    ],
)
def test_a_bad_theme_file_is_one_line_naming_the_key(
    tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / "house.toml"
    path.write_text(text)
    with pytest.raises(OptionError) as error:
        load_theme(path)
    assert message in str(error.value) and "\n" not in str(error.value)
    assert str(path) in str(error.value)


def test_a_missing_theme_file(tmp_path: Path) -> None:
    with pytest.raises(OptionError, match=r"cannot read it"):
        load_theme(tmp_path / "nowhere.toml")


# -- highlight -------------------------------------------------------------------------------


def _bold(dot: str) -> set[str]:
    """The DOT ids of nodes and edges drawn bold."""
    return {m for m in re.findall(r'id="([^"]+)"[^\]]*penwidth=3', dot)}


def test_highlight_marks_the_value_and_its_paths_to_the_output() -> None:
    a, b, c = Value(1.0, label="a"), Value(2.0, label="b"), Value(3.0, label="c")
    p = a * b
    p.label = "p"
    f = p + c
    f.label = "f"
    graph = trace(f)
    ids = {n.label: n.id for n in graph}
    bold = _bold(to_dot(graph, highlight="a"))
    # Independent truth: a feeds p feeds f; b and c are not on a path from a.
    assert {f"v{ids['a']}", f"v{ids['p']}", f"v{ids['f']}"} <= bold
    assert f"v{ids['b']}" not in bold and f"v{ids['c']}" not in bold
    assert f"op{ids['p']}" in bold and f"op{ids['f']}" in bold
    assert not _bold(to_dot(graph))
    with pytest.raises(OptionError, match=r"highlight='z' names no value.*a, b, c, p, f"):
        to_dot(graph, highlight="z")


def test_highlight_takes_the_name_as_typed() -> None:
    graph = figure1()
    assert _bold(to_dot(graph, highlight="x1")) == _bold(to_dot(graph, highlight="x₁"))


# -- PNG resolution --------------------------------------------------------------------------


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_dpi_and_scale_set_the_png_resolution() -> None:
    graph = figure1()
    w1, h1 = _png_size(to_image(graph, "png"))
    w2, h2 = _png_size(to_image(graph, "png", dpi=192))
    assert abs(w2 - 2 * w1) <= 2 and abs(h2 - 2 * h1) <= 2
    assert to_image(graph, "png", scale=2) == to_image(graph, "png", dpi=192)
    with pytest.raises(OptionError, match="not both"):
        to_image(graph, "png", dpi=192, scale=2)
    with pytest.raises(OptionError, match="a SVG scales to any size"):
        to_image(graph, "svg", dpi=192)


def test_a_png_over_the_pixel_limit_is_drawn_smaller_and_says_so() -> None:
    y = Value(0.5, label="x")
    for _ in range(60):
        y = (y * 1.01 + 0.1).tanh()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        data = to_image(y, "png", dpi=2400)
    width, height = _png_size(data)
    assert width * height <= MAX_PNG_PIXELS
    assert width * height > MAX_PNG_PIXELS * 0.8  # the highest resolution that fits
    [warning] = [w for w in caught if issubclass(w.category, SizeWarning)]
    assert "at 2400 dpi; drawn at" in str(warning.message)


# -- the command line ------------------------------------------------------------------------


@pytest.fixture
def lecture(tmp_path: Path) -> Path:
    path = tmp_path / "neuron.py"
    path.write_text(
        "from gradtrace import Value\n"
        "x1, w1, b = Value(2.0), Value(-3.0), Value(6.8813735870195432)\n"
        "n = x1 * w1 + b\n"
        "o = n.tanh()\n"
    )
    return path


def test_cli_flags_reach_the_figure(lecture: Path, capsys: pytest.CaptureFixture[str]) -> None:
    theme = lecture.parent / "house.toml"
    theme.write_text('value_fill = "#fff4d6"\n')
    argv = ["export", str(lecture), "--dot", "--no-grad", "--title", "One neuron"]
    argv += ["--highlight", "w1", "--number", "scientific", "--precision", "2"]
    assert main([*argv, "--theme", str(theme)]) == 0
    dot = (lecture.parent / "neuron.dot").read_text()
    assert dot == to_dot(
        _neuron(),
        show_grad=False,
        title="One neuron",
        highlight="w1",
        number="scientific",
        precision=2,
        theme=load_theme(theme),
    )
    assert 'fillcolor="#fff4d6"' in dot and "One neuron" in dot and "penwidth=3" in dot
    assert not re.search(r"\bg\d+ \[", dot)  # no gradient ellipses
    assert "-3.00e+00" in dot


def _neuron() -> Value:
    x1, w1 = Value(2.0, label="x₁"), Value(-3.0, label="w₁")
    b = Value(6.8813735870195432, label="b")
    n = x1 * w1 + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    o.backward()
    return o


def test_cli_png_dpi_and_scale(lecture: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = lecture.parent
    assert main(["export", str(lecture), "-o", str(out / "a.png")]) == 0
    assert main(["export", str(lecture), "-o", str(out / "b.png"), "--scale", "3"]) == 0
    (w1, h1), (w3, h3) = (
        _png_size((out / "a.png").read_bytes()),
        _png_size((out / "b.png").read_bytes()),
    )
    assert abs(w3 - 3 * w1) <= 3 and abs(h3 - 3 * h1) <= 3
    assert main(["export", str(lecture), "--svg", "--dpi", "300"]) == 0
    assert "gradtrace: note: --dpi changes nothing in --svg" in capsys.readouterr().err


def test_cli_two_formats_into_one_file_name(
    lecture: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status = main(["export", str(lecture), "--svg", "--md", "-o", str(lecture.parent / "x.svg")])
    err = capsys.readouterr().err
    assert status == 1
    assert "names one file but 2 formats were asked for (--svg --md)" in err
    assert not (lecture.parent / "x.svg").exists()


# -- the formats registry --------------------------------------------------------------------


def test_every_format_has_one_entry_the_cli_offers() -> None:
    from gradtrace.cli import build_parser

    help_text = build_parser()._subparsers._group_actions[0].choices["export"].format_help()  # type: ignore[union-attr]
    for name, fmt in FORMATS.items():
        assert f"--{name}" in help_text
        for suffix in fmt.suffixes:
            assert by_suffix(f"figure{suffix}") is fmt
    assert by_suffix("figure.txt") is None


def test_cli_steps_take_a_theme_file_and_say_what_they_ignore(
    lecture: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    theme = lecture.parent / "house.toml"
    theme.write_text('value_fill = "#fff4d6"\n')
    argv = [
        "export",
        str(lecture),
        "--steps",
        "svg",
        "--theme",
        str(theme),
        "--number",
        "scientific",
    ]
    assert main(argv) == 0
    first = sorted(lecture.parent.glob("neuron-step-*.svg"))[0]
    assert 'fill="#fff4d6"' in first.read_text()
    assert "--number changes nothing in --steps/--derivation" in capsys.readouterr().err
