"""The canonical worked examples, each a plain function that returns its output `Value`.

Every function builds its graph from scratch, labels the values the way the
docs talk about them, runs `backward()` and returns the output, so
`to_dot(figure1())` or `to_markdown(figure1())` is all a page needs.
"""

from __future__ import annotations

from gradtrace.engine import Value, scope

__all__ = ["EXAMPLES", "figure1", "reused_node", "softmax2", "tanh_neuron"]


def _named(value: Value, label: str) -> Value:
    value.label = label
    return value


def figure1(w1: float = 0.2, w2: float = 0.4, x1: float = -0.4, x2: float = 0.5) -> Value:
    """Figure 1: a sigmoid neuron plus L2 weight regularisation.

    f = σ(w₁x₁ + w₂x₂) + 0.5·(w₁² + w₂²), with σ(z) = 1/(1 + e⁻ᶻ) built from
    the primitive operations multiply, add, exp and power (inside a `scope`
    named `"σ"`, so figures can draw it as a cluster or collapse it).

    Args:
        w1: The first weight (0.2 in the original).
        w2: The second weight (0.4).
        x1: The first input (-0.4).
        x2: The second input (0.5).

    Returns:
        `f`, with `backward()` already run: every value holds ∂f/∂value.
        The labels are those of the original trace table: w₁, w₂, x₁, x₂, w₁²,
        w₂², w₁x₁, w₂x₂, z, u, R, `G = σ(z)` and f.
    """
    w_1, w_2 = Value(w1, "w₁"), Value(w2, "w₂")
    x_1, x_2 = Value(x1, "x₁"), Value(x2, "x₂")
    w1_sq = _named(w_1**2, "w₁²")
    w2_sq = _named(w_2**2, "w₂²")
    w1x1 = _named(w_1 * x_1, "w₁x₁")
    w2x2 = _named(w_2 * x_2, "w₂x₂")
    z = _named(w1x1 + w2x2, "z")
    u = _named(w1_sq + w2_sq, "u")
    r = _named(0.5 * u, "R")
    with scope("σ"):
        g = _named((1 + (z * -1).exp()) ** -1, "G = σ(z)")
    f = _named(g + r, "f")
    f.backward()
    return f


def reused_node(a: float = 3.0) -> Value:
    """`b = a + a`: a value used twice receives the sum of both paths' gradients.

    Returns:
        `b` (= 2a) after `backward()`; its input `a` has gradient 2, not 1.
    """
    x = Value(a, "a")
    b = _named(x + x, "b")
    b.backward()
    return b


def tanh_neuron(
    x1: float = 1.0, x2: float = -2.0, w1: float = 0.5, w2: float = 0.25, b: float = 0.1
) -> Value:
    """One neuron with a tanh activation: o = tanh(w₁x₁ + w₂x₂ + b).

    Returns:
        `o` after `backward()`; ∂o/∂wᵢ = (1 − o²)·xᵢ and ∂o/∂b = 1 − o².
    """
    x_1, x_2 = Value(x1, "x₁"), Value(x2, "x₂")
    w_1, w_2 = Value(w1, "w₁"), Value(w2, "w₂")
    bias = Value(b, "b")
    w1x1 = _named(w_1 * x_1, "w₁x₁")
    w2x2 = _named(w_2 * x_2, "w₂x₂")
    n = _named(w1x1 + w2x2 + bias, "n")
    o = _named(n.tanh(), "o")
    o.backward()
    return o


def softmax2(z1: float = 1.0, z2: float = -0.5) -> Value:
    """A 2-class softmax with the cross-entropy loss of class 1: L = −log p₁.

    p₁ = e^{z₁} / (e^{z₁} + e^{z₂}), built from exp, add, divide and log.

    Returns:
        `L` after `backward()`; ∂L/∂z₁ = p₁ − 1 and ∂L/∂z₂ = p₂.
    """
    z_1, z_2 = Value(z1, "z₁"), Value(z2, "z₂")
    e1 = _named(z_1.exp(), "e₁")
    e2 = _named(z_2.exp(), "e₂")
    s = _named(e1 + e2, "s")
    p1 = _named(e1 / s, "p₁")
    loss = _named(-p1.log(), "L")
    loss.backward()
    return loss


#: Every example by name (the CLI and the docs list these).
EXAMPLES = {
    "figure1": figure1,
    "reused_node": reused_node,
    "tanh_neuron": tanh_neuron,
    "softmax2": softmax2,
}
