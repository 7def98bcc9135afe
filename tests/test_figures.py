"""The worked examples against SPEC §2, closed forms and finite differences."""

from __future__ import annotations

import math

import pytest
from spec_tables import FIGURE1_TRACE

from gradtrace.figures import EXAMPLES, figure1, reused_node, softmax2, tanh_neuron
from gradtrace.graph import trace


def sigmoid(s: float) -> float:
    return 1 / (1 + math.exp(-s))


def test_figure1_matches_the_spec_table() -> None:
    graph = trace(figure1())
    for label, data, grad in FIGURE1_TRACE:
        node = graph.labelled(label)
        assert round(node.data, 4) == pytest.approx(float(data), abs=1e-12), label
        assert round(node.grad, 4) == pytest.approx(float(grad), abs=1e-12), label
    assert sorted(n.label for n in graph if n.label) == sorted(r[0] for r in FIGURE1_TRACE)


def test_figure1_gradients_equal_the_closed_forms() -> None:
    w1, w2, x1, x2 = 0.2, 0.4, -0.4, 0.5
    s = w1 * x1 + w2 * x2
    ds = sigmoid(s) * (1 - sigmoid(s))
    graph = trace(figure1())
    grads = {n.label: n.grad for n in graph if n.label}
    assert grads["x₁"] == pytest.approx(ds * w1, rel=1e-12)
    assert grads["x₂"] == pytest.approx(ds * w2, rel=1e-12)
    assert grads["w₁"] == pytest.approx(ds * x1 + w1, rel=1e-12)
    assert grads["w₂"] == pytest.approx(ds * x2 + w2, rel=1e-12)
    assert graph.labelled("f").data == pytest.approx(sigmoid(s) + 0.5 * (w1**2 + w2**2))


@pytest.mark.parametrize("point", [(0.2, 0.4, -0.4, 0.5), (-1.3, 0.7, 2.0, -0.25)])
def test_figure1_gradients_equal_finite_differences(point: tuple[float, ...]) -> None:
    h = 1e-6
    graph = trace(figure1(*point))
    for k, label in enumerate(["w₁", "w₂", "x₁", "x₂"]):
        up, down = list(point), list(point)
        up[k] += h
        down[k] -= h
        numeric = (figure1(*up).data - figure1(*down).data) / (2 * h)
        assert graph.labelled(label).grad == pytest.approx(numeric, abs=1e-8)


def test_figure1_builds_sigma_from_primitive_operations_in_a_scope() -> None:
    graph = trace(figure1())
    ops = {n.op for n in graph}
    assert "sigmoid" not in ops
    assert {"*", "+", "exp", "**-1"} <= ops
    assert graph.labelled("G = σ(z)").scope == ("σ",)


def test_reused_node_accumulates() -> None:
    b = reused_node(3.0)
    graph = trace(b)
    assert b.data == 6.0
    assert graph.labelled("a").grad == 2.0
    assert graph.labelled("b").children == (0, 0)


def test_tanh_neuron_matches_its_derivative() -> None:
    o = tanh_neuron(1.0, -2.0, 0.5, 0.25, 0.1)
    graph = trace(o)
    expected = math.tanh(0.5 * 1.0 + 0.25 * -2.0 + 0.1)
    assert o.data == pytest.approx(expected)
    local = 1 - expected**2
    assert graph.labelled("w₁").grad == pytest.approx(local * 1.0)
    assert graph.labelled("w₂").grad == pytest.approx(local * -2.0)
    assert graph.labelled("b").grad == pytest.approx(local)


def test_softmax2_gradients_are_p_minus_onehot() -> None:
    z1, z2 = 1.0, -0.5
    loss = softmax2(z1, z2)
    p1 = math.exp(z1) / (math.exp(z1) + math.exp(z2))
    graph = trace(loss)
    assert loss.data == pytest.approx(-math.log(p1))
    assert graph.labelled("z₁").grad == pytest.approx(p1 - 1)
    assert graph.labelled("z₂").grad == pytest.approx(1 - p1)


def test_every_example_returns_a_differentiated_output() -> None:
    for name, make in EXAMPLES.items():
        out = make()
        assert out.grad == 1.0, name
        assert out.label, name
