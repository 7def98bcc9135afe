"""`gradtrace export --steps ... --derivation LEAF` from the command line."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from pypdf import PdfReader

from gradtrace.cli import main

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def cli(capsys: pytest.CaptureFixture[str], *argv: str | Path) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_steps_and_derivation_files(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, err = cli(
        capsys,
        "export",
        EXAMPLES / "figure1.py",
        "--steps",
        "svg,pdf,tex,gif",
        "--pass",
        "backward",
        "--derivation",
        "x1",
        "--derivation",
        "w2",
        "-o",
        tmp_path,
    )
    assert code == 0, err
    written = [Path(line) for line in out.splitlines()]
    names = sorted(p.name for p in written)
    assert names == sorted(
        [f"figure1-step-{k:02d}.svg" for k in range(1, 13)]
        + ["figure1-steps.pdf", "figure1-steps.gif", "figure1-beamer.tex"]
        + ["figure1-derivation.md", "figure1-derivation.tex"]
    )
    assert all(p.exists() for p in written)
    pdf = PdfReader(io.BytesIO((tmp_path / "figure1-steps.pdf").read_bytes()))
    assert len(pdf.pages) == 12
    assert "figure1-steps.pdf" in (tmp_path / "figure1-beamer.tex").read_text()
    md = (tmp_path / "figure1-derivation.md").read_text()
    assert r"\boxed{\frac{\partial f}{\partial x_{1}} = 0.0498}" in md
    assert r"\boxed{\frac{\partial f}{\partial w_{2}} = 0.5246}" in md


def test_mlp_backward_frames(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _out, err = cli(
        capsys,
        "export",
        EXAMPLES / "mlp.py",
        "--steps",
        "pdf",
        "--pass",
        "backward",
        "-o",
        tmp_path,
    )
    assert code == 0, err
    assert len(PdfReader(tmp_path / "mlp-steps.pdf").pages) > 10


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--derivation", "q"], "no value is labelled 'q'"),
        (["--steps", "bmp"], "not a list of step formats"),
        (["--steps", "pdf", "--max-steps", "3"], "more than max_steps=3"),
        (["--steps", "pdf", "-o", "nowhere.pdf"], "not an existing folder"),
    ],
)
def test_errors_are_one_line_and_write_nothing(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, argv: list[str], message: str
) -> None:
    source = tmp_path / "figure1.py"
    source.write_text((EXAMPLES / "figure1.py").read_text())
    code, _out, err = cli(capsys, "export", source, *argv)
    assert code != 0
    assert message in err and err.count("\n") == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["figure1.py"]
