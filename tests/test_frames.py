"""Frames of the steps: one layout, one frame per step, real TeX and poppler as judges."""

from __future__ import annotations

import html
import io
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image

from gradtrace import Value, figure1
from gradtrace.errors import GradtraceError, GraphTooLargeError
from gradtrace.export.beamer import to_beamer
from gradtrace.export.frames import FramesError, to_frames
from gradtrace.steps import walk


def _tool(name: str) -> str:
    found = shutil.which(name)
    assert found, f"{name} is needed: ./dev test installs it (TeX Live, poppler-utils)"
    return found


def _pdflatex(folder: Path, name: str) -> Path:
    run = subprocess.run(
        [_tool("pdflatex"), "-interaction=nonstopmode", "-halt-on-error", name],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert run.returncode == 0, run.stdout[-3000:]
    return folder / name.replace(".tex", ".pdf")


def _pages(pdf: Path, folder: Path) -> list[Path]:
    """Rasterise every page with pdftoppm; the PNGs, in page order."""
    subprocess.run(
        [_tool("pdftoppm"), "-r", "30", "-png", str(pdf), str(folder / "page")],
        check=True,
        timeout=180,
    )
    return sorted(folder.glob("page-*.png"))


def test_one_png_per_step_all_the_same_size() -> None:
    frames = to_frames(figure1(), "png")
    assert len(frames) == 16 + 12
    sizes = {Image.open(io.BytesIO(f)).size for f in frames}
    assert len(sizes) == 1, sizes


def test_nodes_do_not_move_between_frames() -> None:
    """Every SVG frame draws each value box at the same place."""
    frames = [f.decode() for f in to_frames(figure1(), "svg", passes="both")]
    boxes = [
        re.findall(
            r'<g id="(v\d+)" class="node">\s*(?:<title>.*?</title>\s*)?<path[^>]* d="([^"]+)"', f
        )
        for f in frames
    ]
    assert boxes[0] and all(b == boxes[0] for b in boxes)


def test_svg_frames_highlight_the_step_and_caption_it() -> None:
    steps = walk(figure1()).backward
    frames = [f.decode() for f in to_frames(figure1(), "svg", passes="backward")]
    for step, frame in zip(steps, frames, strict=True):
        first_line = step.text().splitlines()[0]
        assert first_line in html.unescape(frame)
        active = re.search(rf'<g id="v{step.node}" class="node">.*?</g>', frame, re.S)
        assert active and 'stroke-width="3.5"' in active.group(0)


def test_pdf_has_a_page_per_step_and_reads_in_tex(tmp_path: Path) -> None:
    """The multi-page PDF: poppler rasterises one page per step, pdflatex includes them."""
    pdf = tmp_path / "steps.pdf"
    pdf.write_bytes(to_frames(figure1(), "pdf", passes="backward")[0])
    assert len(_pages(pdf, tmp_path)) == 12
    pages = "\n".join(
        f"\\includegraphics[page={k},width=\\linewidth]{{steps.pdf}}\\newpage" for k in range(1, 13)
    )
    (tmp_path / "handout.tex").write_text(
        "\\documentclass{article}\n\\usepackage{graphicx}\n\\begin{document}\n"
        + pages
        + "\n\\end{document}\n"
    )
    handout = _pdflatex(tmp_path, "handout.tex")
    out = tmp_path / "out"
    out.mkdir()
    assert len(_pages(handout, out)) == 12


def test_beamer_compiles_alone_and_in_a_deck(tmp_path: Path) -> None:
    """One overlay per step: 28 slides alone; inside a deck, its two frames plus 28."""
    (tmp_path / "f1-steps.pdf").write_bytes(to_frames(figure1(), "pdf")[0])
    (tmp_path / "f1-beamer.tex").write_text(to_beamer(figure1(), pdf="f1-steps.pdf"))
    alone = _pdflatex(tmp_path, "f1-beamer.tex")
    first = tmp_path / "alone"
    first.mkdir()
    assert len(_pages(alone, first)) == 28
    (tmp_path / "deck.tex").write_text(
        "\\documentclass{beamer}\n\\begin{document}\n\\begin{frame}{Before}Hello\\end{frame}\n"
        "\\input{f1-beamer}\n\\begin{frame}{After}Bye\\end{frame}\n\\end{document}\n"
    )
    deck = _pdflatex(tmp_path, "deck.tex")
    second = tmp_path / "deck"
    second.mkdir()
    assert len(_pages(deck, second)) == 30


def test_gif_has_a_frame_per_step() -> None:
    gif = Image.open(io.BytesIO(to_frames(figure1(), "gif", passes="forward")[0]))
    assert gif.n_frames == 16


def test_output_is_reproducible() -> None:
    for fmt in ("svg", "pdf", "gif"):
        assert to_frames(figure1(), fmt, passes="backward") == to_frames(
            figure1(), fmt, passes="backward"
        ), fmt


def test_limits_are_one_line_refusals() -> None:
    x = Value(0.5, "x")
    y = x
    for _ in range(5000):  # 5001 forward steps and 5000 backward ones
        y = y * 1.0001
    y.backward()
    with pytest.raises(GraphTooLargeError):
        to_frames(y, "svg")
    with pytest.raises(FramesError) as info:
        to_frames(y, "svg", max_nodes=None)
    assert "10001 steps" in str(info.value) and "\n" not in str(info.value)
    with pytest.raises(FramesError, match="unknown frames format"):
        to_frames(figure1(), "bmp")
    with pytest.raises(FramesError, match="'sideways'"):
        to_frames(figure1(), "svg", passes="sideways")
    with pytest.raises(FramesError, match="plain file name"):
        to_beamer(figure1(), pdf="my {file}.pdf")


def test_frames_take_a_theme_file_like_figures(tmp_path: Path) -> None:
    house = tmp_path / "house.toml"
    house.write_text('base = "print"\nvalue_fill = "#fff4d6"\n')
    [first, *_] = to_frames(figure1(), "svg", passes="forward", theme=str(house))
    assert 'fill="#fff4d6"' in first.decode()
    assert 'fill="#fff4d6"' not in to_frames(figure1(), "svg", passes="forward")[0].decode()
    with pytest.raises(GradtraceError, match="theme must be one of light, print, dark"):
        to_frames(figure1(), "svg", theme="sepia")


def test_labels_with_specials_nan_and_inf(tmp_path: Path) -> None:
    """Labels full of LaTeX and XML specials and non-finite numbers draw and compile."""
    a = Value(0.0, "a_b^c$%&#{}\\ <x>")
    f = a.log() * Value(2.0, "k")
    f.label = "f"
    f.backward()
    frames = to_frames(f, "svg")
    assert "a_b^c$%&#{}\\ <x>" in html.unescape(frames[0].decode())
    assert any("-inf" in html.unescape(fr.decode()) for fr in frames)
    (tmp_path / "s.pdf").write_bytes(to_frames(f, "pdf")[0])
    (tmp_path / "s-beamer.tex").write_text(to_beamer(f, pdf="s.pdf"))
    _pdflatex(tmp_path, "s-beamer.tex")
