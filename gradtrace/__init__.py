"""gradtrace: a scalar autograd engine that explains itself.

Public face only: everything here is re-exported from the module that owns it.
"""

from gradtrace.capture import Capture, CaptureError, capture_code, capture_file, capture_namespace
from gradtrace.data import Dataset, four_blobs, moons, spiral
from gradtrace.engine import Value, scope
from gradtrace.errors import (
    GradtraceError,
    GraphTooLargeError,
    GraphvizNotFoundError,
    RenderError,
)
from gradtrace.export.beamer import to_beamer
from gradtrace.export.derivation import derive, to_derivation
from gradtrace.export.display import widget
from gradtrace.export.dot import to_dot
from gradtrace.export.frames import to_frames
from gradtrace.export.json import to_json
from gradtrace.export.render import draw, render, to_svg
from gradtrace.export.table import table_rows, to_csv, to_html_table, to_latex, to_markdown
from gradtrace.export.tikz import to_tikz
from gradtrace.export.widget import WidgetError, to_html
from gradtrace.figures import figure1
from gradtrace.graph import Graph, Node, trace
from gradtrace.nn import (
    MLP,
    DataError,
    LinearLayer,
    ModelError,
    Module,
    cross_entropy_from_probs,
    cross_entropy_loss,
    softmax,
)
from gradtrace.notation import format_number
from gradtrace.steps import walk
from gradtrace.train import History, TrainingDivergedError, TrainingError, accuracy, predict, train

__all__ = [
    "MLP",
    "Capture",
    "CaptureError",
    "DataError",
    "Dataset",
    "GradtraceError",
    "Graph",
    "GraphTooLargeError",
    "GraphvizNotFoundError",
    "History",
    "LinearLayer",
    "ModelError",
    "Module",
    "Node",
    "RenderError",
    "TrainingDivergedError",
    "TrainingError",
    "Value",
    "WidgetError",
    "accuracy",
    "capture_code",
    "capture_file",
    "capture_namespace",
    "cross_entropy_from_probs",
    "cross_entropy_loss",
    "derive",
    "draw",
    "figure1",
    "format_number",
    "four_blobs",
    "moons",
    "predict",
    "render",
    "scope",
    "softmax",
    "spiral",
    "table_rows",
    "to_beamer",
    "to_csv",
    "to_derivation",
    "to_dot",
    "to_frames",
    "to_html",
    "to_html_table",
    "to_json",
    "to_latex",
    "to_markdown",
    "to_svg",
    "to_tikz",
    "trace",
    "train",
    "walk",
    "widget",
]
__version__ = "0.1.0"
