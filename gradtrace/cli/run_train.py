"""`gradtrace train`: train a classifier on a small data set and print its results table.

The same calls a notebook makes: a data set from `gradtrace.data`, a
`LinearLayer` (no hidden layer) or an `MLP`, `gradtrace.train.train` with a
callback that drives the progress bar, `gradtrace.train.results_table` (the
same table the docs show) and `gradtrace.plots` for `--plot`.

The progress bar (tqdm when installed, `pip install gradtrace[cli]`; otherwise a
plain status line) goes to stderr, and only when both stdout and stderr are
terminals and `--quiet` is not given, so piping the table into a file or a
test captures nothing but the table.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path
from typing import Any, Literal

from gradtrace.cli.common import CommandError, say
from gradtrace.cli.files import check_writable, write_all

__all__ = ["run"]

#: Hidden layers when `--hidden` is not given: SPEC §3's linear model for the
#: four blobs; the curved sets need a hidden layer to be learnable at all.
_DEFAULT_HIDDEN: dict[str, tuple[int, ...]] = {
    "four_blobs": (),
    "spiral": (16, 16),
    "moons": (16, 16),
}


def run(args: argparse.Namespace) -> int:
    """Carry out `gradtrace train` for parsed arguments; returns the exit status."""
    plots = _plot_paths(args.plot) if args.plot is not None else None
    if plots is not None:
        check_writable(list(plots.values()))

    from gradtrace import data
    from gradtrace.nn import MLP, LinearLayer, Module
    from gradtrace.train import results_table, train

    x, y = getattr(data, args.data)()
    classes = max(y) + 1
    hidden = _DEFAULT_HIDDEN[args.data] if args.hidden is None else args.hidden
    seed = {} if args.seed is None else {"seed": args.seed}
    model: Module = (
        MLP(len(x[0]), hidden, classes, **seed)
        if hidden
        else LinearLayer(len(x[0]), classes, **seed)
    )

    bar = _progress(args.epochs) if _show_progress(args.quiet) else None
    try:  # a diverging run raises TrainingDivergedError, a GradtraceError main() reports
        history = train(x, y, model, lr=args.lr, epochs=args.epochs, callback=bar)
    finally:
        if bar is not None:
            bar.close()

    say(results_table(history, x, y))
    if plots is not None:
        write_all(_figures(plots, history, model, x, y))
        for path in plots.values():
            say(str(path), otherwise="the plots were written but their names could not be printed")
    return 0


def _plot_paths(plot: str) -> dict[str, Path]:
    """`--plot results.svg` → the loss-curve and decision-region files beside it."""
    path = Path(plot)
    if path.suffix.lower() not in (".svg", ".png"):
        raise CommandError(
            f"--plot {plot}: unknown figure format {path.suffix or '(no suffix)'!r}; "
            "end the name in .svg or .png"
        )
    if not path.parent.is_dir():
        raise CommandError(
            f"output folder {path.parent} does not exist; create it first (mkdir -p {path.parent})"
        )
    stem = path.with_suffix("")
    return {
        "loss": Path(f"{stem}-loss{path.suffix}"),
        "regions": Path(f"{stem}-regions{path.suffix}"),
    }


def _figures(
    paths: dict[str, Path], history: Any, model: Any, x: list[list[float]], y: list[int]
) -> dict[Path, bytes]:
    """The two figures, in memory, in the format of their suffix."""
    from gradtrace import plots

    fmt: Literal["svg", "png"] = "png" if paths["loss"].suffix.lower() == ".png" else "svg"
    return {
        paths["loss"]: plots.training_curves_bytes(history, format=fmt),
        paths["regions"]: plots.decision_regions_bytes(model, x, y, format=fmt),
    }


def _show_progress(quiet: bool) -> bool:
    return not quiet and sys.stdout.isatty() and sys.stderr.isatty()


class _StatusLine:
    """A one-line progress report for when tqdm is not installed."""

    def __init__(self, total: int) -> None:
        self.total = total

    def __call__(self, iteration: int, loss: float, accuracy: float) -> None:
        if iteration == self.total or iteration % max(1, self.total // 100) == 0:
            sys.stderr.write(
                f"\rtraining {iteration}/{self.total}  loss {loss:.4f}  accuracy {accuracy:.0%}"
            )
            sys.stderr.flush()

    def close(self) -> None:
        sys.stderr.write("\n")


class _TqdmBar:
    """A tqdm bar showing the current loss and accuracy."""

    def __init__(self, total: int) -> None:
        from tqdm import tqdm

        # A terminal that reports its size as 0 × 0 (a fresh pty, some CI runners)
        # would get no bar at all from tqdm; shutil falls back to 80 × 24.
        size = shutil.get_terminal_size()
        self.bar = tqdm(
            total=total,
            desc="training",
            unit="it",
            ncols=size.columns,
            nrows=size.lines,
            file=sys.stderr,
        )

    def __call__(self, iteration: int, loss: float, accuracy: float) -> None:
        self.bar.set_postfix_str(f"loss {loss:.4f}, accuracy {accuracy:.0%}", refresh=False)
        self.bar.update(1)

    def close(self) -> None:
        self.bar.close()


def _progress(total: int) -> _TqdmBar | _StatusLine:
    try:
        return _TqdmBar(total)
    except ImportError:
        return _StatusLine(total)
