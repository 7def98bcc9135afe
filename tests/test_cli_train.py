"""`gradtrace train`: SPEC §3's results, the progress bar, and every bad input."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest
from spec_tables import TRAINING_RESULTS

from gradtrace.cli import main


def table(text: str) -> dict[str, str]:
    """Metric → value from the printed Markdown results table."""
    rows = [
        line.strip().strip("|").split("|") for line in text.splitlines() if line.startswith("|")
    ]
    return {name.strip(): value.strip() for name, value in rows[2:]}


def fails(capsys: pytest.CaptureFixture[str], *argv: str, status: int) -> str:
    code = main(["train", *argv])
    out, err = capsys.readouterr()
    assert (code, out) == (status, "")
    assert len(err.splitlines()) == 1 and err.startswith("gradtrace: error: "), err
    return err


def test_default_run_reproduces_spec_section_3(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["train"]) == 0
    out, err = capsys.readouterr()
    assert err == ""  # not a terminal: no progress bar
    got = table(out)
    assert list(got) == [
        "Final Accuracy",
        "Final Loss",
        "Training Iterations",
        "Number of Classes",
        "Dataset Size",
        "Input Dimensions",
    ]
    assert int(got["Final Accuracy"].rstrip("%")) >= 99
    assert abs(float(got["Final Loss"]) - 0.13) <= 0.02
    assert got["Training Iterations"] == "500"
    assert got["Number of Classes"] == "4"
    assert got["Dataset Size"] == "100 samples"
    assert got["Input Dimensions"] == "2D"
    assert out == TRAINING_RESULTS + "\n"  # SPEC §3's table, character for character


def test_numbers_are_those_of_the_library_called_directly(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from gradtrace.data import moons
    from gradtrace.nn import MLP
    from gradtrace.train import train

    x, y = moons()
    history = train(x, y, MLP(2, [4, 3], 2, seed=7), lr=0.5, epochs=8)
    argv = ["train", "--data", "moons", "--hidden", "4,3", "--seed", "7", "--lr", "0.5"]
    assert main([*argv, "--epochs", "8"]) == 0
    got = table(capsys.readouterr().out)
    assert got["Final Accuracy"] == f"{100 * history.final_accuracy:.0f}%"
    assert got["Final Loss"] == f"{history.final_loss:.2f}"
    assert (got["Number of Classes"], got["Training Iterations"]) == ("2", "8")


def _on_a_terminal(*argv: str) -> str:
    """Run `gradtrace train ARGV` with stdout and stderr on a pseudo-terminal."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "gradtrace", "train", *argv],
        stdin=subprocess.DEVNULL,
        stdout=slave,
        stderr=slave,
    )
    os.close(slave)
    chunks = []
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(master)
    assert proc.wait(timeout=60) == 0
    return b"".join(chunks).decode("utf-8", "replace")


def test_progress_bar_shows_loss_and_accuracy_on_a_terminal() -> None:
    text = _on_a_terminal("--epochs", "4")
    assert "training" in text and "4/4" in text
    assert "loss " in text and "accuracy " in text
    assert "| Final Accuracy |" in text


def test_quiet_silences_the_bar_even_on_a_terminal() -> None:
    text = _on_a_terminal("--epochs", "4", "--quiet")
    assert "4/4" not in text and "training" not in text
    assert "| Final Accuracy |" in text


def test_unknown_data_set(capsys: pytest.CaptureFixture[str]) -> None:
    err = fails(capsys, "--data", "iris", status=2)
    assert "invalid choice: 'iris'" in err and "four_blobs" in err


@pytest.mark.parametrize(
    ("option", "value", "expected"),
    [
        ("--hidden", "16,x", "is not a list of layer sizes like 16,16"),
        ("--hidden", "16,0", "is not a list of layer sizes like 16,16"),
        ("--lr", "0", "is not a positive number"),
        ("--lr", "fast", "is not a number"),
        ("--epochs", "0", "is not a whole number ≥ 1"),
        ("--seed", "x", "invalid int value"),
    ],
)
def test_bad_option_values(
    capsys: pytest.CaptureFixture[str], option: str, value: str, expected: str
) -> None:
    err = fails(capsys, option, value, status=2)
    assert expected in err and "gradtrace train --help" in err


def test_diverging_learning_rate(capsys: pytest.CaptureFixture[str]) -> None:
    err = fails(
        capsys, "--data", "moons", "--hidden", "4", "--epochs", "5", "--lr", "1e300", status=1
    )
    assert "the loss became nan" in err and "smaller learning rate" in err


def test_plot_with_an_unknown_suffix(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    err = fails(capsys, "--plot", str(tmp_path / "fig.gif"), status=1)
    assert "unknown figure format '.gif'" in err and ".svg or .png" in err
    assert list(tmp_path.iterdir()) == []


def test_plot_into_a_missing_folder(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    err = fails(capsys, "--plot", str(tmp_path / "figs" / "run.svg"), status=1)
    assert "output folder" in err and "does not exist" in err and "mkdir -p" in err


def test_without_tqdm_a_plain_status_line_reports_progress(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from gradtrace.cli import run_train

    monkeypatch.setitem(sys.modules, "tqdm", None)  # `import tqdm` now raises ImportError
    progress = run_train._progress(200)
    for iteration in range(1, 201):
        progress(iteration, 0.5 / iteration, 0.75)
    progress.close()
    err = capsys.readouterr().err
    assert err.endswith("\rtraining 200/200  loss 0.0025  accuracy 75%\n")
    assert err.count("\r") == 100  # every 2nd of 200 iterations: the terminal is not flooded


def test_plot_writes_the_loss_curve_and_the_decision_regions(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from gradtrace import plots
    from gradtrace.data import four_blobs
    from gradtrace.nn import LinearLayer
    from gradtrace.train import train

    assert main(["train", "--epochs", "3", "--plot", str(tmp_path / "run.svg")]) == 0
    out = capsys.readouterr().out.splitlines()
    loss, regions = tmp_path / "run-loss.svg", tmp_path / "run-regions.svg"
    assert out[-2:] == [str(loss), str(regions)]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run-loss.svg", "run-regions.svg"]
    x, y = four_blobs()
    model = LinearLayer(2, 4)
    history = train(x, y, model, epochs=3)
    assert loss.read_bytes() == plots.training_curves_bytes(history, format="svg")
    assert regions.read_bytes() == plots.decision_regions_bytes(model, x, y, format="svg")


def test_a_reader_that_leaves_early_gets_no_traceback() -> None:
    """`gradtrace train | head -1`: the closed pipe is not an error worth a traceback."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "gradtrace", "train", "--epochs", "2"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # the reader is gone before the table is printed
    err = proc.stderr.read().decode()
    proc.wait(timeout=60)
    assert "Traceback" not in err and "Exception ignored" not in err and "Error" not in err
