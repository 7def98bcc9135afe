"""Figure 1: a sigmoid neuron plus L2 weight regularisation.

    f = σ(w₁x₁ + w₂x₂) + 0.5·(w₁² + w₂²),  σ(z) = 1 / (1 + e⁻ᶻ)

σ is built from multiply, add, exp and power, inside a scope named "σ" (draw
it as one node with --collapse σ). Values take their labels from their
variable names (w1 → w₁, w1x1 → w₁x₁); two names a variable cannot spell are
set by hand.

    gradtrace export examples/figure1.py --svg --md
"""

from gradtrace import Value, scope

w1, w2 = Value(0.2), Value(0.4)
x1, x2 = Value(-0.4), Value(0.5)

w1_sq = w1**2
w1_sq.label = "w₁²"
w2_sq = w2**2
w2_sq.label = "w₂²"
w1x1 = w1 * x1
w2x2 = w2 * x2
z = w1x1 + w2x2
u = w1_sq + w2_sq
R = 0.5 * u
with scope("σ"):
    G = (1 + (z * -1).exp()) ** -1
G.label = "G = σ(z)"
f = G + R
