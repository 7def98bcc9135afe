"""JSON export: schema, non-finite numbers, determinism."""

from __future__ import annotations

import json
import math

from gradtrace import Value, to_json, trace
from gradtrace.export.json import graph_to_dict
from gradtrace.figures import figure1


def test_schema_matches_the_graph() -> None:
    graph = trace(figure1())
    data = json.loads(to_json(graph))
    assert data["format"] == "gradtrace.graph"
    assert data["version"] == 1
    assert data["roots"] == list(graph.roots)
    assert [n["id"] for n in data["nodes"]] == list(range(len(graph)))
    for out, node in zip(data["nodes"], graph, strict=True):
        assert out["label"] == node.label
        assert out["op"] == node.op
        assert out["children"] == list(node.children)
        assert out["data"] == node.data
        assert out["grad"] == node.grad
        assert out["scope"] == list(node.scope)
        assert out["role"] == node.role


def test_unicode_is_written_as_is() -> None:
    assert '"G = σ(z)"' in to_json(figure1())


def test_non_finite_numbers_are_strings_javascript_reads() -> None:
    x = Value(0.0, "x")
    y = x.log()  # -inf
    z = y * 0.0  # nan
    w = -x  # -0.0
    nodes = graph_to_dict(trace(z, w))["nodes"]
    values = {n["op"] or n["label"]: n["data"] for n in nodes}
    assert values["log"] == "-Infinity"
    assert values["*"] == "NaN"
    neg = next(n for n in nodes if n["op"] == "neg")
    assert math.copysign(1.0, neg["data"]) == -1.0
    json.loads(to_json(trace(z, w)))  # valid JSON (no bare NaN)
    assert "NaN," in to_json(trace(z)).replace('"NaN"', "NaN")


def test_the_same_graph_gives_the_same_bytes() -> None:
    assert to_json(figure1()) == to_json(figure1())
