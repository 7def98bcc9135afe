"""gradtrace: a scalar autograd engine that explains itself.

Public face only: everything here is re-exported from the module that owns it.
"""

from gradtrace.engine import Value, scope
from gradtrace.errors import (
    GradtraceError,
    GraphTooLargeError,
    GraphvizNotFoundError,
    RenderError,
)
from gradtrace.export.dot import to_dot
from gradtrace.export.json import to_json
from gradtrace.export.render import draw, render, to_svg
from gradtrace.figures import figure1
from gradtrace.graph import Graph, Node, trace
from gradtrace.notation import format_number

__all__ = [
    "GradtraceError",
    "Graph",
    "GraphTooLargeError",
    "GraphvizNotFoundError",
    "Node",
    "RenderError",
    "Value",
    "draw",
    "figure1",
    "format_number",
    "render",
    "scope",
    "to_dot",
    "to_json",
    "to_svg",
    "trace",
]
__version__ = "0.1.0"
