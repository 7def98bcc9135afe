"""plots: reproducible bytes, honest regions, lazy matplotlib, clear errors."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import zlib
from pathlib import Path

import pytest

from gradtrace.data import four_blobs
from gradtrace.nn import DataError, LinearLayer
from gradtrace.plots import (
    MatplotlibNotFoundError,
    PlotError,
    _class_margins,
    _grid_axis,
    decision_regions,
    decision_regions_bytes,
    decision_regions_svg,
    figure_bytes,
    save_figure,
    training_curves,
    training_curves_bytes,
    training_curves_svg,
)
from gradtrace.train import History, train

pytest.importorskip("matplotlib")

Trained = tuple[History, LinearLayer, list[list[float]], list[int]]

SMALL = 30  # grid resolution for tests: the figures are the same, only coarser


@pytest.fixture(scope="module")
def trained() -> Trained:
    x, y = four_blobs()
    model = LinearLayer(2, 4)
    history = train(x, y, model, epochs=60)
    return history, model, x, y


def _png_chunks(data: bytes) -> list[bytes]:
    """The chunk types of a PNG file, in order."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    chunks, pos = [], 8
    while pos < len(data):
        length = int.from_bytes(data[pos : pos + 4], "big")
        chunks.append(data[pos + 4 : pos + 8])
        pos += 12 + length
    return chunks


@pytest.mark.parametrize(("fmt", "theme"), [("svg", "light"), ("png", "dark")])
def test_figures_are_byte_identical_across_two_runs(trained: Trained, fmt: str, theme: str) -> None:
    history, model, x, y = trained
    curves = [training_curves_bytes(history, format=fmt, theme=theme) for _ in range(2)]
    regions = [
        decision_regions_bytes(model, x, y, format=fmt, theme=theme, resolution=SMALL)
        for _ in range(2)
    ]
    assert curves[0] == curves[1] and regions[0] == regions[1]
    assert curves[0] != regions[0]


def test_a_fresh_process_draws_the_same_svg(trained: Trained, tmp_path: Path) -> None:
    _, model, x, y = trained
    here = decision_regions_svg(model, x, y, resolution=SMALL)
    script = textwrap.dedent(
        f"""
        import sys
        from gradtrace.data import four_blobs
        from gradtrace.nn import LinearLayer
        from gradtrace.plots import decision_regions_svg
        from gradtrace.train import train
        x, y = four_blobs()
        model = LinearLayer(2, 4)
        train(x, y, model, epochs=60)
        sys.stdout.write(decision_regions_svg(model, x, y, resolution={SMALL}))
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=120
    )
    assert out.stdout == here


def test_files_carry_no_date_or_software_stamp(trained: Trained) -> None:
    history, _, _, _ = trained
    svg = training_curves_svg(history)
    assert svg.startswith("<?xml")
    assert "<dc:date>" not in svg and "Matplotlib v" not in svg
    png = training_curves_bytes(history, format="png")
    chunks = _png_chunks(png)
    assert b"tIME" not in chunks
    assert b"Software" not in png and b"matplotlib" not in png.lower()


def test_png_is_slide_sized(trained: Trained) -> None:
    history, _, _, _ = trained
    png = training_curves_bytes(history, format="png")
    ihdr = png[16:24]
    width, height = int.from_bytes(ihdr[:4], "big"), int.from_bytes(ihdr[4:], "big")
    assert (width, height) == (1500, 600)  # 10 × 4 inches at 150 dpi
    # Not a blank image: the compressed pixels hold real drawing.
    idat = b"".join(
        png[i + 8 : i + 8 + int.from_bytes(png[i : i + 4], "big")]
        for i in range(8, len(png) - 12)
        if png[i + 4 : i + 8] == b"IDAT"
    )
    pixels = zlib.decompress(idat)
    assert len(set(pixels)) > 50


def test_region_margins_pick_the_largest_logit() -> None:
    # Logits z₀ = x₀, z₁ = x₁, z₂ = 0: class 0 where x₀ > max(x₁, 0), and so on.
    model = LinearLayer(2, 3)
    for i, row in enumerate(model.w):
        for j, w in enumerate(row):
            w.data = 1.0 if i == j else 0.0
    xs0 = _grid_axis([-1.0, 1.0], 9)
    xs1 = _grid_axis([-1.0, 1.0], 9)
    margins = _class_margins(model, xs0, xs1)
    assert len(margins) == 3
    for r, b in enumerate(xs1):
        for c, a in enumerate(xs0):
            expected = [a - max(b, 0.0), b - max(a, 0.0), 0.0 - max(a, b)]
            assert [m[r][c] for m in margins] == pytest.approx(expected, abs=1e-12)


def test_grid_covers_the_data_with_a_margin() -> None:
    axis = _grid_axis([0.0, 2.0, 1.0], 5)
    assert axis == pytest.approx([-0.2, 0.4, 1.0, 1.6, 2.2])
    assert _grid_axis([3.0, 3.0], 3) == pytest.approx([2.0, 3.0, 4.0])


def test_figures_have_the_expected_parts(trained: Trained) -> None:
    history, model, x, y = trained
    fig = training_curves(history)
    assert [ax.get_title() for ax in fig.axes] == ["Loss", "Accuracy"]
    loss_line = fig.axes[0].get_lines()[0]
    assert list(loss_line.get_ydata()) == history.loss
    regions = decision_regions(model, x, y, resolution=SMALL)
    legend = [t.get_text() for t in regions.axes[0].get_legend().get_texts()]
    assert legend[:4] == ["class 0", "class 1", "class 2", "class 3"]


def test_save_figure_picks_the_format_from_the_suffix(trained: Trained, tmp_path: Path) -> None:
    history, _, _, _ = trained
    fig = training_curves(history)
    save_figure(fig, tmp_path / "a.svg")
    save_figure(fig, tmp_path / "a.PNG")
    assert (tmp_path / "a.svg").read_bytes() == figure_bytes(fig, "svg")
    assert (tmp_path / "a.PNG").read_bytes()[:4] == b"\x89PNG"
    with pytest.raises(PlotError, match=r"end its name in \.svg or \.png"):
        save_figure(fig, tmp_path / "a.pdf")


def test_numpy_arrays_draw_like_lists(trained: Trained) -> None:
    import numpy as np

    _, model, x, y = trained
    arrays = decision_regions_svg(model, np.array(x), np.array(y), resolution=SMALL)
    assert arrays == decision_regions_svg(model, x, y, resolution=SMALL)


def test_bad_requests_get_clear_errors(trained: Trained) -> None:
    history, model, _, _ = trained
    with pytest.raises(PlotError, match="unknown theme 'sepia'; use 'light' or 'dark'"):
        training_curves(history, theme="sepia")  # type: ignore[arg-type]
    with pytest.raises(PlotError, match="unknown figure format 'gif'"):
        figure_bytes(training_curves(history), "gif")  # type: ignore[arg-type]
    with pytest.raises(DataError, match="rows of two numbers"):
        decision_regions(model, [[1.0, 2.0, 3.0]], [0])


def test_missing_matplotlib_says_how_to_install_it(
    trained,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    history, _, _, _ = trained
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(MatplotlibNotFoundError, match=r"pip install 'gradtrace\[plots\]'"):
        training_curves(history)


def test_importing_gradtrace_does_not_import_matplotlib() -> None:
    code = "import sys, gradtrace, gradtrace.plots; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
