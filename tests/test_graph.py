"""trace(): order, ids, roles, duck typing (micrograd)."""

from __future__ import annotations

import pytest
from micrograd.engine import Value as MicroValue

from gradtrace import Value, to_dot, trace
from gradtrace.graph import as_graph


def test_children_come_before_parents_and_ids_are_positions() -> None:
    a, b = Value(2.0, "a"), Value(3.0, "b")
    c = (a * b + a).tanh()
    graph = trace(c)
    for node in graph:
        assert graph[node.id] is node
        assert all(child < node.id for child in node.children)
    assert graph.roots == (len(graph) - 1,)


def test_children_keep_operand_order_and_repeats() -> None:
    a, b = Value(1.0, "a"), Value(2.0, "b")
    graph = trace(b - a)
    minus = graph[graph.roots[0]]
    assert [graph[c].label for c in minus.children] == ["b", "a"]
    graph = trace(a * a)
    assert graph[graph.roots[0]].children == (0, 0)
    assert graph.parents(0) == (1,)


def test_roles() -> None:
    w, x = Value(0.5, "w"), Value(2.0, "x")
    y = 3 * (w * x)
    graph = trace(y, parameters=[w])
    roles = {n.label or n.op: n.role for n in graph if n.is_leaf}
    assert roles == {"const": "constant", "w": "parameter", "x": "input"}
    assert graph[graph.roots[0]].role == "output"
    inner = next(n for n in graph if n.op == "*" and n.id not in graph.roots)
    assert inner.role == "intermediate"


def test_several_roots_share_nodes() -> None:
    a = Value(1.0, "a")
    b, c = a + 1, a * 2
    graph = trace(b, c, b)
    assert len(graph.roots) == 2
    assert sum(1 for n in graph if n.label == "a") == 1


def test_labelled_and_as_graph() -> None:
    a = Value(1.0, "a")
    graph = trace(a + a)
    assert graph.labelled("a").id == 0
    with pytest.raises(KeyError):
        graph.labelled("nope")
    assert as_graph(graph) is graph


def test_long_chains_need_no_recursion() -> None:
    x = Value(1.0, "x")
    y = x
    for _ in range(20_000):
        y = y + 1.0
    assert len(trace(y)) == 40_001


def test_rejects_non_values() -> None:
    with pytest.raises(TypeError, match="data, grad and _prev"):
        trace(3.0)
    with pytest.raises(TypeError):
        trace()


def test_micrograd_graph_traces_and_exports() -> None:
    a, b = MicroValue(2.0), MicroValue(-3.0)
    c = (a * b + (a**2).relu()) * b
    c.backward()
    graph = trace(c)
    assert len(graph) == 7
    assert {n.op for n in graph} == {"", "*", "+", "**2", "ReLU"}
    leaves = sorted((n.data, n.grad) for n in graph if n.is_leaf)
    assert leaves == sorted([(2.0, a.grad), (-3.0, b.grad)])
    assert graph[graph.roots[0]].data == c.data
    dot = to_dot(c)
    assert "relu" in dot
    assert "(·)²" in dot


def test_trace_restores_the_garbage_collector() -> None:
    import gc

    from gradtrace.graph import paused_gc

    assert gc.isenabled()
    trace(Value(1.0) + 2)
    assert gc.isenabled()
    with pytest.raises(ValueError), paused_gc():
        assert not gc.isenabled()
        raise ValueError
    assert gc.isenabled()
    gc.disable()
    try:
        trace(Value(1.0) + 2)
        assert not gc.isenabled()
    finally:
        gc.enable()
