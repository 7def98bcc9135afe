"""Two-class softmax and its cross-entropy loss for class 1: L = −log p₁.

    p₁ = e^z₁ / (e^z₁ + e^z₂)

The gradients come out as ∂L/∂z₁ = p₁ − 1 and ∂L/∂z₂ = p₂: the prediction
minus the one-hot target, the rule every classifier trains by.

    gradtrace export examples/softmax2.py --svg --md
"""

from gradtrace import Value

z1, z2 = Value(1.0), Value(-0.5)

e1 = z1.exp()
e2 = z2.exp()
s = e1 + e2
p1 = e1 / s
L = -p1.log()
