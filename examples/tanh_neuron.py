"""One neuron with a tanh activation: o = tanh(w₁x₁ + w₂x₂ + b).

The local gradient of tanh is 1 − o², so ∂o/∂wᵢ = (1 − o²)·xᵢ and ∂o/∂b = 1 − o².

    gradtrace export examples/tanh_neuron.py --svg --md
"""

from gradtrace import Value

x1, x2 = Value(1.0), Value(-2.0)
w1, w2 = Value(0.5), Value(0.25)
b = Value(0.1)

w1x1 = w1 * x1
w2x2 = w2 * x2
n = w1x1 + w2x2 + b
o = n.tanh()
