"""Figures of a training run: loss and accuracy curves, and decision regions.

matplotlib is imported only inside these functions (`pip install
gradtrace[plots]`), so `import gradtrace` never pays for it. Figures are built
on `matplotlib.figure.Figure` directly, without `pyplot`: no global figure
state, no GUI backend, nothing changed in a notebook's own matplotlib set-up
(rendering goes through the Agg and SVG canvases).

Output is byte-for-byte reproducible: SVG without a date and with a fixed
`svg.hashsalt` for its element ids, text drawn as paths (so it looks the same
without the font installed), PNG without the software tag. The same model and
data give the same bytes on every run.

Two themes: `"light"` (dark ink on white, the default, which also reads well
as a white card on a dark page) and `"dark"` (light ink on the slate of a dark
documentation theme). Colours are the Okabe–Ito palette, and each class also
has its own marker, so the classes can be told apart without colour.
"""

from __future__ import annotations

import io
import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from gradtrace.errors import GradtraceError
from gradtrace.nn import DataError, Module
from gradtrace.train import History, predict

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = [
    "MatplotlibNotFoundError",
    "PlotError",
    "decision_regions",
    "decision_regions_bytes",
    "decision_regions_svg",
    "figure_bytes",
    "save_figure",
    "training_curves",
    "training_curves_bytes",
    "training_curves_svg",
]

Theme = Literal["light", "dark"]
Format = Literal["svg", "png"]

#: Okabe–Ito colours (safe for colour-blind readers), one per class, then repeated.
CLASS_COLOURS = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442")
_MARKERS = ("o", "s", "^", "D", "v", "P", "X")

_THEMES: dict[str, dict[str, str]] = {
    "light": {
        "background": "#ffffff",
        "ink": "#1f2328",
        "muted": "#59636e",
        "grid": "#d0d7de",
        "edge": "#ffffff",
        "loss": "#0072B2",
    },
    "dark": {
        "background": "#1e2129",
        "ink": "#e6edf3",
        "muted": "#9198a1",
        "grid": "#3d444d",
        "edge": "#e6edf3",
        "loss": "#56B4E9",
    },
}

#: Points per side of the grid on which `decision_regions` evaluates the model.
RESOLUTION = 100

_PNG_DPI = 150
_ROWS_PER_CHUNK = 512


class PlotError(GradtraceError, ValueError):
    """A figure that cannot be made as asked (unknown theme or format)."""


class MatplotlibNotFoundError(GradtraceError):
    """matplotlib is needed for plots but is not installed."""

    def __init__(self) -> None:
        super().__init__(
            "plots need matplotlib, which is not installed; "
            "install it with: pip install 'gradtrace[plots]'"
        )


# -- the figures ----------------------------------------------------------------


def training_curves(history: History, *, theme: Theme = "light", narrow: bool = False) -> Figure:
    """Loss (left) and accuracy (right) at every iteration of a `train` run.

    Args:
        history: What `train` returned.
        theme: `"light"` or `"dark"`.
        narrow: Lay it out for a phone's width: loss above accuracy, half as wide.

    Returns:
        A matplotlib `Figure`; save it with `save_figure` or `figure_bytes`.
    """
    colours = _colours(theme)
    with _style(theme):
        fig = _new_figure(5.0, 7.0) if narrow else _new_figure(10.0, 4.0)
        loss_ax, acc_ax = fig.subplots(2, 1) if narrow else fig.subplots(1, 2)
        steps = range(1, history.iterations + 1)
        loss_ax.plot(steps, history.loss, color=colours["loss"], linewidth=2.5)
        loss_ax.set_title("Loss")
        loss_ax.set_ylim(bottom=0.0)
        acc_ax.plot(
            steps, [100 * a for a in history.accuracy], color=CLASS_COLOURS[2], linewidth=2.5
        )
        acc_ax.set_title("Accuracy")
        acc_ax.set_ylim(0.0, 105.0)
        acc_ax.yaxis.set_major_formatter("{x:.0f}%")
        for ax, final in (
            (loss_ax, f"final {history.final_loss:.4f}"),
            (acc_ax, f"final {100 * history.final_accuracy:.0f}%"),
        ):
            ax.set_xlabel("iteration")
            ax.set_xlim(0, max(history.iterations, 1))
            ax.grid(True, color=colours["grid"], linewidth=0.8)
            if history.iterations:
                ax.text(
                    0.97, 0.5, final, transform=ax.transAxes, ha="right", va="center",
                    color=colours["ink"], fontsize=14,
                )  # fmt: skip
        title = f"{history.iterations} iterations, learning rate {history.lr:g}"
        fig.suptitle(title if narrow else f"Training: {title}")
        _freeze_layout(fig)
    return fig


def decision_regions(
    model: Module,
    x: Sequence[Sequence[float]],
    y: Sequence[int],
    *,
    theme: Theme = "light",
    resolution: int = RESOLUTION,
    narrow: bool = False,
) -> Figure:
    """The class the model picks at every point of the plane, with the data on top.

    The model is evaluated (through the same `Value` code that trained it) on a
    `resolution` × `resolution` grid covering the data with a margin. Each
    class's region is where its logit beats every other logit; region edges are
    drawn where those differences cross zero, so they are smooth lines rather
    than a staircase of grid cells. Data points are coloured and shaped by their
    true class; a ring marks each point the model gets wrong.

    Args:
        model: A trained classifier with two inputs.
        x: The data, one `[x₀, x₁]` row per sample.
        y: The true class of each sample.
        theme: `"light"` or `"dark"`.
        resolution: Grid points per side.
        narrow: Lay it out for a phone's width: half as wide, the legend below.

    Returns:
        A matplotlib `Figure`.
    """
    if len(x) == 0 or any(len(row) != 2 for row in x):
        raise DataError("decision_regions draws 2-D data: give it rows of two numbers")
    colours = _colours(theme)
    xs0, xs1 = _grid_axis([r[0] for r in x], resolution), _grid_axis([r[1] for r in x], resolution)
    margins = _class_margins(model, xs0, xs1)
    with _style(theme):
        # Equal scales on both axes: the figure's height follows the data's aspect ratio.
        aspect = (xs1[-1] - xs1[0]) / (xs0[-1] - xs0[0])
        if narrow:
            fig = _new_figure(5.0, min(max(4.0 * aspect + 1.8, 3.5), 7.0))
        else:
            fig = _new_figure(8.5, min(max(4.6 * aspect + 1.4, 3.5), 6.0))
        ax = fig.subplots()
        for k, margin in enumerate(margins):
            colour = CLASS_COLOURS[k % len(CLASS_COLOURS)]
            ax.contourf(xs0, xs1, margin, levels=[0.0, math.inf], colors=[colour], alpha=0.22)
        for margin in margins:
            ax.contour(xs0, xs1, margin, levels=[0.0], colors=[colours["muted"]], linewidths=1.2)
        for k in sorted(set(y)):
            points = [row for row, label in zip(x, y, strict=True) if label == k]
            ax.scatter(
                [p[0] for p in points],
                [p[1] for p in points],
                s=70,
                marker=_MARKERS[k % len(_MARKERS)],
                color=CLASS_COLOURS[k % len(CLASS_COLOURS)],
                edgecolors=colours["edge"],
                linewidths=1.0,
                label=f"class {k}",
                zorder=3,
            )
        wrong = [row for row, p, t in zip(x, predict(model, x), y, strict=True) if p != t]
        if wrong:
            ax.scatter(
                [p[0] for p in wrong],
                [p[1] for p in wrong],
                s=260,
                facecolors="none",
                edgecolors=colours["ink"],
                linewidths=2.0,
                label="misclassified",
                zorder=4,
            )
        ax.set_xlim(xs0[0], xs0[-1])
        ax.set_ylim(xs1[0], xs1[-1])
        ax.set_aspect("equal")
        ax.set_xlabel("x₀")
        ax.set_ylabel("x₁")
        ax.set_title(f"Decision regions of {model!r}")
        if narrow:
            ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncols=3, frameon=False)
        else:
            ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), frameon=False)
        _freeze_layout(fig)
    return fig


# -- saving -------------------------------------------------------------------


def figure_bytes(fig: Figure, format: Format = "svg") -> bytes:
    """The figure as SVG or PNG bytes, identical for identical figures."""
    if format not in ("svg", "png"):
        raise PlotError(f"unknown figure format {format!r}; use 'svg' or 'png'")
    buf = io.BytesIO()
    with _saving():
        if format == "svg":
            fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
        else:
            fig.savefig(buf, format="png", dpi=_PNG_DPI, metadata={"Software": None})
    return buf.getvalue()


def save_figure(fig: Figure, path: str | Path) -> None:
    """Write the figure to `path`, as SVG or PNG after its suffix."""
    suffix = Path(path).suffix.lower().lstrip(".")
    if suffix not in ("svg", "png"):
        raise PlotError(f"cannot tell the format of {str(path)!r}; end its name in .svg or .png")
    fmt: Format = "svg" if suffix == "svg" else "png"
    Path(path).write_bytes(figure_bytes(fig, fmt))


def training_curves_bytes(
    history: History, *, format: Format = "svg", theme: Theme = "light", narrow: bool = False
) -> bytes:
    """`training_curves` as SVG or PNG bytes."""
    return figure_bytes(training_curves(history, theme=theme, narrow=narrow), format)


def training_curves_svg(history: History, *, theme: Theme = "light", narrow: bool = False) -> str:
    """`training_curves` as SVG text."""
    return training_curves_bytes(history, theme=theme, narrow=narrow).decode("utf-8")


def decision_regions_bytes(
    model: Module,
    x: Sequence[Sequence[float]],
    y: Sequence[int],
    *,
    format: Format = "svg",
    theme: Theme = "light",
    resolution: int = RESOLUTION,
    narrow: bool = False,
) -> bytes:
    """`decision_regions` as SVG or PNG bytes."""
    fig = decision_regions(model, x, y, theme=theme, resolution=resolution, narrow=narrow)
    return figure_bytes(fig, format)


def decision_regions_svg(
    model: Module,
    x: Sequence[Sequence[float]],
    y: Sequence[int],
    *,
    theme: Theme = "light",
    resolution: int = RESOLUTION,
    narrow: bool = False,
) -> str:
    """`decision_regions` as SVG text."""
    svg = decision_regions_bytes(model, x, y, theme=theme, resolution=resolution, narrow=narrow)
    return svg.decode("utf-8")


# -- helpers --------------------------------------------------------------------


def _colours(theme: str) -> dict[str, str]:
    if theme not in _THEMES:
        raise PlotError(f"unknown theme {theme!r}; use 'light' or 'dark'")
    return _THEMES[theme]


def _matplotlib() -> Any:
    try:
        import matplotlib
    except ImportError:
        raise MatplotlibNotFoundError() from None
    return matplotlib


def _new_figure(width: float, height: float) -> Figure:
    _matplotlib()
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")


def _freeze_layout(fig: Figure) -> None:
    """Lay the figure out once and keep that layout for every save.

    The constrained layout is recomputed on every draw and moves the axes by
    a hair between the first draw and later ones, which changes the SVG's clip
    path ids: freezing it makes every save of a figure identical.
    """
    fig.draw_without_rendering()
    fig.set_layout_engine("none")


@contextmanager
def _style(theme: str) -> Iterator[None]:
    """Large, theme-coloured text for slides, set while a figure is built."""
    c = _colours(theme)
    rc = {
        "font.family": "DejaVu Sans",  # ships with matplotlib: the same glyphs everywhere
        "font.size": 13,
        "axes.titlesize": 16,
        "axes.labelsize": 14,
        "figure.titlesize": 16,
        "xtick.labelsize": 12,
        "ytick.labelsize": 12,
        "legend.fontsize": 13,
        "figure.facecolor": c["background"],
        "axes.facecolor": c["background"],
        "savefig.facecolor": c["background"],
        "text.color": c["ink"],
        "axes.labelcolor": c["ink"],
        "axes.titlecolor": c["ink"],
        "axes.edgecolor": c["muted"],
        "xtick.color": c["muted"],
        "ytick.color": c["muted"],
        "xtick.labelcolor": c["ink"],
        "ytick.labelcolor": c["ink"],
        "axes.spines.top": False,
        "axes.spines.right": False,
    }
    with _matplotlib().rc_context(rc):
        yield


@contextmanager
def _saving() -> Iterator[None]:
    """The settings that make saved files reproducible."""
    with _matplotlib().rc_context({"svg.hashsalt": "gradtrace", "svg.fonttype": "path"}):
        yield


def _grid_axis(values: list[float], resolution: int) -> list[float]:
    """`resolution` evenly spaced points spanning `values` with a 10% margin each side."""
    lo, hi = min(values), max(values)
    pad = 0.1 * (hi - lo) if hi > lo else 1.0
    lo, hi = lo - pad, hi + pad
    return [lo + (hi - lo) * k / (resolution - 1) for k in range(resolution)]


def _class_margins(model: Module, xs0: list[float], xs1: list[float]) -> list[list[list[float]]]:
    """For each class k, on the grid: logit k minus the largest other logit.

    Positive where the model picks k. Rows go in chunks through the model, so
    only a chunk's graph is alive at any time.
    """
    points = [[a, b] for b in xs1 for a in xs0]
    logits: list[list[float]] = []
    for start in range(0, len(points), _ROWS_PER_CHUNK):
        chunk = model(points[start : start + _ROWS_PER_CHUNK])
        logits.extend([v.data for v in row] for row in chunk)
    n_classes = len(logits[0])
    width = len(xs0)
    margins = []
    for k in range(n_classes):
        flat = [row[k] - max(row[:k] + row[k + 1 :], default=-math.inf) for row in logits]
        margins.append([flat[i : i + width] for i in range(0, len(flat), width)])
    return margins
