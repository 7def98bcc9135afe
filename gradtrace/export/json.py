"""JSON export of a `Graph`: the format the live demo reads.

Schema (version 1)::

    {
      "format": "gradtrace.graph",
      "version": 1,
      "roots": [12],                 # ids of the output nodes
      "nodes": [                     # topological order: children before parents
        {
          "id": 0,                   # == position in "nodes"
          "label": "w₁",             # "" when the user gave none
          "op": "",                  # "" leaf, "const", "+", "-", "*", "/", "neg",
                                     # "**2" (power by a number), "**" (power by a
                                     # node), "exp", "log", "relu", "tanh", "sigmoid",
                                     # "sum" (n-ary), "dot" (children a0, b0, a1, b1, ...);
                                     # other engines' names (micrograd's "ReLU") as given
          "role": "input",           # input | parameter | constant | intermediate | output
          "data": 0.2,               # forward value
          "grad": 0.1004,            # gradient at export time
          "children": [],            # ids, operand order (a * a lists a twice)
          "scope": []                # enclosing scope() names, outermost first
        },
        ...
      ]
    }

Numbers are written exactly (shortest repr that round-trips). JSON has no
literal for non-finite numbers, so nan, inf and -inf are written as the strings
`"NaN"`, `"Infinity"` and `"-Infinity"`, which JavaScript's `Number()` reads
back as the same values.
"""

from __future__ import annotations

import json
import math
from typing import Any

from gradtrace.graph import Graph, as_graph, paused_gc

__all__ = ["graph_to_dict", "to_json"]

FORMAT = "gradtrace.graph"
VERSION = 1


def _number(x: float) -> float | str:
    if math.isfinite(x):
        return x
    if math.isnan(x):
        return "NaN"
    return "Infinity" if x > 0 else "-Infinity"


def graph_to_dict(graph_or_root: Any) -> dict[str, Any]:
    """The JSON-ready dictionary of a graph (see the module docs for the schema)."""
    graph: Graph = as_graph(graph_or_root)
    return {
        "format": FORMAT,
        "version": VERSION,
        "roots": list(graph.roots),
        "nodes": [
            {
                "id": n.id,
                "label": n.label,
                "op": n.op,
                "role": n.role,
                "data": _number(n.data),
                "grad": _number(n.grad),
                "children": list(n.children),
                "scope": list(n.scope),
            }
            for n in graph.nodes
        ],
    }


def to_json(graph_or_root: Any) -> str:
    """The graph as JSON text, one node per line, byte-identical for the same graph.

    Args:
        graph_or_root: A `Graph`, or a value to trace.
    """
    with paused_gc():
        data = graph_to_dict(graph_or_root)
        nodes = data.pop("nodes")
        head = json.dumps(data, ensure_ascii=False)[:-1]
        lines = [json.dumps(node, ensure_ascii=False) for node in nodes]
    return head + ', "nodes": [\n  ' + ",\n  ".join(lines) + "\n]}\n"
