"""The step-by-step walk (`gradtrace.steps`) against hand simulations and the engine."""

from __future__ import annotations

import math
import random

import pytest

from gradtrace import Value, figure1, trace
from gradtrace.notation import format_number
from gradtrace.steps import StepsError, fill, walk
from tests.random_graphs import random_graph


def test_figure1_backward_steps_match_a_hand_simulation() -> None:
    """12 steps, in the order backward() runs them, each contribution computed by hand."""
    w1, w2, x1, x2 = 0.2, 0.4, -0.4, 0.5
    z = w1 * x1 + w2 * x2
    e = math.exp(-z)
    d = 1 + e
    g = 1 / d
    # By hand: the chain rule from f = G + R, R = 0.5·u, u = w₁² + w₂², G = d⁻¹, d = 1 + e,
    # e = exp(−z), −z = z·(−1), z = w₁x₁ + w₂x₂. Each entry: node, [(child, local)].
    grad_g, grad_r = 1.0, 1.0
    grad_d = grad_g * (-1 / d**2)
    grad_e = grad_d * 1.0
    grad_neg = grad_e * e
    grad_z = grad_neg * -1.0
    grad_u = grad_r * 0.5
    expected = [
        ("f", [("G", 1.0, 1.0), ("R", 1.0, 1.0)]),
        ("G", [("1 + e⁻ᶻ", -1 / d**2, grad_g)]),
        ("1 + e⁻ᶻ", [("e⁻ᶻ", 1.0, grad_d)]),
        ("e⁻ᶻ", [("−z", e, grad_e)]),
        ("−z", [("z", -1.0, grad_neg)]),
        ("R", [("u", 0.5, grad_r)]),
        ("u", [("w₁²", 1.0, grad_u), ("w₂²", 1.0, grad_u)]),
        ("z", [("w₁x₁", 1.0, grad_z), ("w₂x₂", 1.0, grad_z)]),
        ("w₂x₂", [("w₂", x2, grad_z), ("x₂", w2, grad_z)]),
        ("w₁x₁", [("w₁", x1, grad_z), ("x₁", w1, grad_z)]),
        ("w₂²", [("w₂", 2 * w2, grad_u)]),
        ("w₁²", [("w₁", 2 * w1, grad_u)]),
    ]
    steps = walk(figure1())
    from gradtrace.notation import Naming

    naming = Naming(steps.graph)
    assert len(steps.backward) == 12
    got = [
        (
            naming.name(s.node),
            [(naming.name(c.child), c.local, c.amount) for c in s.contributions],
        )
        for s in steps.backward
    ]
    assert [n for n, _ in got] == [n for n, _ in expected]
    for (name, parts), (_, want) in zip(got, expected, strict=True):
        assert [p[0] for p in parts] == [w[0] for w in want], name
        for (_, local, amount), (_, local_want, upstream) in zip(parts, want, strict=True):
            assert local == pytest.approx(local_want, rel=1e-12), name
            assert amount == pytest.approx(local_want * upstream, rel=1e-12), name
    assert g == pytest.approx(steps.graph.labelled("G = σ(z)").data)


def test_figure1_partial_sums_of_the_reused_weights() -> None:
    """w₁ and w₂ are used twice: their gradients build up as the widget shows them."""
    text = "\n".join(s.text() for s in walk(figure1()).backward)
    w1_lines = [line for line in text.splitlines() if line.startswith("∂f/∂w₁ +=")]
    w2_lines = [line for line in text.splitlines() if line.startswith("∂f/∂w₂ +=")]
    assert w1_lines == [
        "∂f/∂w₁ += ∂f/∂(w₁x₁) · ∂(w₁x₁)/∂w₁ = 0.2491 × (-0.4000) = -0.0996",
        "∂f/∂w₁ += ∂f/∂(w₁²) · ∂(w₁²)/∂w₁ = 0.5000 × 0.4000 = 0.2000, "
        "so ∂f/∂w₁ = -0.0996 + 0.2000 = 0.1004",
    ]
    assert w2_lines == [
        "∂f/∂w₂ += ∂f/∂(w₂x₂) · ∂(w₂x₂)/∂w₂ = 0.2491 × 0.5000 = 0.1246",
        "∂f/∂w₂ += ∂f/∂(w₂²) · ∂(w₂²)/∂w₂ = 0.5000 × 0.8000 = 0.4000, "
        "so ∂f/∂w₂ = 0.1246 + 0.4000 = 0.5246",
    ]
    assert "∂f/∂x₁ += ∂f/∂(w₁x₁) · ∂(w₁x₁)/∂x₁ = 0.2491 × 0.2000 = 0.0498" in text


def test_figure1_forward_steps_follow_the_code() -> None:
    steps = walk(figure1()).forward
    assert len(steps) == 16  # 19 nodes less the constants 0.5, −1 and 1
    assert steps[0].text() == "Step 1 of 16 (forward): w₁ = 0.2000, an input."
    assert steps[6].text() == (
        "Step 7 of 16 (forward): w₁x₁ = w₁ × x₁ = 0.2000 × (-0.4000) = -0.0800."
    )
    assert steps[-1].text() == "Step 16 of 16 (forward): f = G + R = 0.5300 + 0.1000 = 0.6300."


@pytest.mark.parametrize("seed", range(200))
def test_replay_gives_the_engines_gradients_exactly(seed: int) -> None:
    """The registry's rules, replayed in backward() order, give the engine's floats."""
    root = random_graph(seed)
    graph = trace(root)
    replay = walk(graph)
    for node in graph:
        if node.role == "constant":
            continue
        got, want = replay.grads[node.id], node.grad
        assert got == want or (math.isnan(got) and math.isnan(want)), (seed, node)


def test_steps_are_numbered_and_fill_their_templates() -> None:
    a = Value(3.0, "a")
    b = a * a
    b.label = "b"
    b.backward()
    steps = walk(b)
    (step,) = steps.backward
    assert step.text() == (
        "Step 1 of 1 (backward): the × rule of b sends ∂b/∂b = 1.0000 back.\n"
        "∂b/∂a += ∂b/∂b · ∂b/∂a = 1.0000 × 6.0000 = 6.0000"
    )
    assert fill("{0p} {{x}}", [float("nan")]) == "nan {x}"


def test_labels_with_braces_and_specials_are_text() -> None:
    a = Value(1.5, "{0} $_^%&#\\")
    b = a * 2.0
    b.label = "}{"
    b.backward()
    text = "\n".join(s.text() for s in walk(b).steps())
    assert "{0} $_^%&#\\" in text and "}{" in text


def test_nan_and_inf_values_are_written_not_crashed() -> None:
    x = Value(0.0, "x")
    y = x.log() * Value(math.inf, "k") + Value(-1.0, "m").log()
    y.label = "y"
    y.backward()
    text = "\n".join(s.text() for s in walk(y).steps())
    assert "ln(0.0000) = -inf" in text
    assert "ln(-1.0000) = nan" in text


def test_ten_thousand_steps() -> None:
    x = Value(0.5, "x")
    y = x
    for _ in range(5000):
        y = y * 1.0001
    y = y + 0.0
    y.backward()
    steps = walk(y)
    assert len(steps.backward) == 5001
    assert len(steps.forward) == 5002
    assert steps.grads[0] == x.grad


def test_unknown_operation_is_a_one_line_error() -> None:
    class Duck:
        def __init__(self, data: float, prev: tuple[object, ...] = (), op: str = "") -> None:
            self.data, self.grad, self._prev, self._op, self.label = data, 0.0, prev, op, "x"

    y = Duck(8.0, (Duck(2.0),), "cube")
    with pytest.raises(StepsError, match="'cube'"):
        walk(y)


def test_pass_names_are_checked() -> None:
    with pytest.raises(StepsError, match="forward"):
        walk(figure1()).steps("sideways")


def test_random_texts_are_finite_and_numbered() -> None:
    for seed in range(30):
        w = walk(random_graph(seed))
        for k, s in enumerate(w.backward, 1):
            assert s.text().startswith(f"Step {k} of {len(w.backward)} (backward)")
    assert format_number(random.Random(1).random())  # the helper module is importable
