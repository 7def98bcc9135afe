"""Compile LaTeX for real and look at the result: the independent truth for the LaTeX exporters.

`./dev test` installs TeX Live's pdflatex and lualatex and poppler's pdftoppm from Debian's
packages; a test that needs them fails (never skips) when they are missing.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import numpy as np

ENGINES = ("pdflatex", "lualatex")

#: Generous: a 1,000-node TikZ figure takes a few seconds; a hang must not stall the suite.
TIMEOUT = 240


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:  # pragma: no cover - ./dev test installs them
        raise AssertionError(
            f"{name} is missing: run ./dev test (it installs TeX Live and poppler-utils), or "
            "apt-get install --no-install-recommends texlive-latex-recommended texlive-pictures "
            "texlive-luatex preview-latex-style poppler-utils"
        )
    return path


def compile_tex(source: str, engine: str, folder: Path, name: str = "doc") -> Path:
    """Compile a LaTeX document with `engine` in `folder`; return the PDF or fail with the log."""
    folder.mkdir(parents=True, exist_ok=True)
    tex = folder / f"{name}.tex"
    tex.write_text(source, encoding="utf-8")
    try:
        done = subprocess.run(
            [
                _tool(engine),
                "-interaction=nonstopmode",
                "-halt-on-error",
                "-no-shell-escape",
                tex.name,
            ],
            cwd=folder,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=TIMEOUT,
        )
    except subprocess.TimeoutExpired as e:
        raise AssertionError(f"{engine} ran longer than {TIMEOUT} s on {tex}") from e
    log = (folder / f"{name}.log").read_text(encoding="utf-8", errors="replace")
    pdf = folder / f"{name}.pdf"
    if done.returncode != 0 or not pdf.exists():
        errors = [line for line in log.splitlines() if line.startswith("!")]
        tail = "\n".join(log.splitlines()[-40:])
        raise AssertionError(f"{engine} failed on {tex}: {errors}\n...\n{tail}")
    return pdf


def missing_characters(folder: Path, name: str = "doc") -> list[str]:
    """The "Missing character" lines of a compile's log (glyphs the fonts do not have)."""
    log = (folder / f"{name}.log").read_text(encoding="utf-8", errors="replace")
    return [line for line in log.splitlines() if "Missing character" in line]


def rasterise(pdf: Path, dpi: int = 72) -> np.ndarray:
    """The first page of `pdf` as an RGB array (height × width × 3, uint8), via pdftoppm."""
    out = pdf.with_suffix("")
    subprocess.run(
        [
            _tool("pdftoppm"),
            "-r",
            str(dpi),
            "-f",
            "1",
            "-l",
            "1",
            "-singlefile",
            str(pdf),
            str(out),
        ],
        check=True,
        capture_output=True,
        timeout=TIMEOUT,
    )
    return read_ppm(out.with_suffix(".ppm"))


def page_size(pdf: Path) -> tuple[float, float]:
    """The first page's width and height in bp, as pdfinfo reports them."""
    done = subprocess.run(
        [_tool("pdfinfo"), str(pdf)], check=True, capture_output=True, text=True, timeout=TIMEOUT
    )
    match = re.search(r"Page size:\s+([\d.]+) x ([\d.]+) pts", done.stdout)
    assert match, done.stdout
    return float(match.group(1)), float(match.group(2))


def read_ppm(path: Path) -> np.ndarray:
    """A binary PPM (P6, maxval 255) as an RGB array."""
    data = path.read_bytes()
    fields: list[bytes] = []
    pos = 0
    while len(fields) < 4:  # magic, width, height, maxval; '#' comments are not written by poppler
        while data[pos : pos + 1].isspace():
            pos += 1
        end = pos
        while not data[end : end + 1].isspace():
            end += 1
        fields.append(data[pos:end])
        pos = end
    assert fields[0] == b"P6" and fields[3] == b"255", fields
    width, height = int(fields[1]), int(fields[2])
    pixels = np.frombuffer(data, dtype=np.uint8, count=width * height * 3, offset=pos + 1)
    return pixels.reshape(height, width, 3)


def hex_rgb(colour: str) -> tuple[int, int, int]:
    """`"#dcf5dc"` → `(220, 245, 220)`."""
    return (int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16))


def mask(image: np.ndarray, colour: str, tolerance: int = 6) -> np.ndarray:
    """Where `image` has `colour` (each channel within `tolerance`)."""
    target = np.array(hex_rgb(colour), dtype=np.int16)
    return np.all(np.abs(image.astype(np.int16) - target) <= tolerance, axis=-1)
