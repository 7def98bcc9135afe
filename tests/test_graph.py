"""trace(): order, ids, roles, duck typing (micrograd)."""

from __future__ import annotations

import pytest
from micrograd.engine import Value as MicroValue

from gradtrace import Value, scope, to_dot, trace
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


# -- values broken in ways trace() must name (issue 16) --------------------------------


class Duck:
    """A value-like object of another engine."""

    def __init__(self, data: object, prev: object = (), label: str = "") -> None:
        self.data, self.grad, self._prev, self.label = data, 0.0, prev, label


@pytest.mark.parametrize(
    ("make", "said"),
    [
        (lambda: Duck(1.0, (1.0,), "d"), "the Duck labelled 'd': its _prev holds 1.0 (of type"),
        (lambda: Duck(1.0, None), "an unlabelled Duck: its _prev is a NoneType"),
        (lambda: Duck(1.0, "ab"), "its _prev is a str"),
        (lambda: Duck(1.0, (Duck(2.0), object())), "its _prev holds <object object"),
        (lambda: Duck("abc", (), "s"), "the Duck labelled 's': its data is 'abc'"),
        (lambda: Duck(1j), "its data is 1j, which is not a real number"),
        (lambda: Duck(None), "its data is None"),
        (lambda: Duck(10**400), "its data is an int of 401 digits, too large for a float"),
    ],
)
def test_broken_duck_values_are_one_clear_line(make: object, said: str) -> None:
    from gradtrace.errors import GradtraceError, TraceError

    with pytest.raises(TraceError) as error:
        trace(make())  # type: ignore[operator]
    message = str(error.value)
    assert said in message and "\n" not in message
    assert isinstance(error.value, GradtraceError) and isinstance(error.value, TypeError)


@pytest.mark.parametrize("attribute", ["data", "grad"])
@pytest.mark.parametrize("bad", ["0.5", 2j, None])
def test_data_or_grad_set_to_a_non_number_after_creation(attribute: str, bad: object) -> None:
    from gradtrace.errors import TraceError

    w = Value(0.5, "w")
    f = w * 2
    f.backward()
    setattr(w, attribute, bad)
    with pytest.raises(TraceError, match=rf"the Value labelled 'w': its {attribute} is"):
        trace(f)


def test_micrograd_sets_with_a_broken_member_name_it() -> None:
    from gradtrace.errors import TraceError

    a, b = MicroValue(1.0), MicroValue(2.0)
    c = a * b
    a.data = None  # micrograd's set is sorted by data: the walk itself fails
    with pytest.raises(TraceError, match="its data is None"):
        trace(c)


def test_lone_surrogates_become_replacement_characters() -> None:
    a = Value(1.0, "x\ud800y")
    with scope("s\udfff"):
        f = a * 2
    graph = trace(f)
    assert graph[0].label == "x\ufffdy" and graph[graph.roots[0]].scope == ("s\ufffd",)
    assert trace(Value(0.0, "w₁ σ 🙂"))[0].label == "w₁ σ 🙂"  # real text is left alone
