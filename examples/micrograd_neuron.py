"""The same tools on a graph built with micrograd (pip install micrograd).

gradtrace reads any object with data, grad and _prev, so micrograd's Value
exports too; its operations keep their micrograd names (ReLU, **2).

    gradtrace export examples/micrograd_neuron.py --svg --md
"""

from micrograd.engine import Value

x1, x2 = Value(2.0), Value(-1.0)
w1, w2 = Value(-0.5), Value(0.75)
b = Value(2.5)

n = w1 * x1 + w2 * x2 + b
o = n.relu()
loss = (o - 1.0) ** 2
