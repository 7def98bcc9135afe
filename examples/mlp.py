"""A 2-3-1 multilayer perceptron written from scratch, micrograd style, and its loss.

The model's weights are named by where they live: model.layers[0].neurons[1].w[0]
is weight 0 of neuron 1 of the first layer. Each call of a neuron binds `act`,
its pre-activation, so the four neurons' act⁽⁰⁾ … act⁽³⁾ appear in the order the
network computes them.

    gradtrace export examples/mlp.py --svg --md
"""

import random

from gradtrace import Value

random.seed(1)


class Neuron:
    def __init__(self, nin):
        self.w = [Value(random.uniform(-1, 1)) for _ in range(nin)]
        self.b = Value(0.0)

    def __call__(self, x):
        act = sum((wi * xi for wi, xi in zip(self.w, x)), self.b)
        return act.tanh()


class Layer:
    def __init__(self, nin, nout):
        self.neurons = [Neuron(nin) for _ in range(nout)]

    def __call__(self, x):
        return [n(x) for n in self.neurons]


class MLP:
    def __init__(self, nin, nouts):
        sizes = [nin, *nouts]
        self.layers = [Layer(sizes[i], sizes[i + 1]) for i in range(len(nouts))]

    def __call__(self, x):
        for layer in self.layers:
            x = layer(x)
        return x[0]


model = MLP(2, [3, 1])
x = [Value(1.0), Value(-2.0)]
out = model(x)
loss = (out - 1.0) ** 2
