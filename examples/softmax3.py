"""Softmax of three logits and the cross-entropy loss of class 1: loss = −ln p₁.

    pᵢ = e^zᵢ / (e^z₁ + e^z₂ + e^z₃)

The gradient comes out as ∂loss/∂zᵢ = pᵢ − [i = 1]: the predicted probability
minus the one-hot target. p₂ and p₃ are computed but the loss does not use them,
so gradtrace exports the loss (the value made last) and says so; pass
--all-roots to draw all three probabilities.

    gradtrace export examples/softmax3.py --svg --md
"""

from gradtrace import Value

z1, z2, z3 = Value(2.0), Value(1.0), Value(0.1)
e1, e2, e3 = z1.exp(), z2.exp(), z3.exp()
s = e1 + e2 + e3
p1, p2, p3 = e1 / s, e2 / s, e3 / s
loss = -p1.log()
