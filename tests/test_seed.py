"""The original write-up's code, as it writes it, runs on gradtrace and gives its numbers.

Two checks of fidelity to the seed:

- SPEC §3's training loop, written the way the seed writes it (its own `Module` and
  `LinearLayer`, integer `Value(0)` biases, weights from the global
  `random.uniform(-1, 1)`, `y_hat = model(x)`, `cross_entropy_loss(y_hat, y)`,
  `model.zero_grad()`, `loss.backward()`, `p.data -= lr * p.grad`), importing only
  `Value`, `softmax` and `cross_entropy_loss` from gradtrace, reaches SPEC §3's table.
- `SeedValue`, a second, independent scalar engine written in the seed's style
  (micrograd's: `a - b` is `a + (-b)`, `a / b` is `a * b ** -1`, `-a` is `a * -1`,
  `relu`'s gradient is `out.data > 0`, a recursive topological sort), gives the same
  numbers and gradients as gradtrace's primitive `-`, `/`, `neg` and `relu`.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gradtrace import Value, cross_entropy_loss, softmax
from gradtrace.data import four_blobs

# -- the seed's model code, written as the seed writes it ---------------------


class Module:
    def zero_grad(self) -> None:
        for p in self.parameters():
            p.grad = 0

    def parameters(self) -> list[Any]:
        return []


class LinearLayer(Module):
    """`w[i][j]` for input i and output j, uniform in [−1, 1]; biases `Value(0)`."""

    def __init__(self, nin: int, nout: int, value: Any = Value) -> None:
        self.w = [[value(random.uniform(-1, 1)) for _ in range(nout)] for _ in range(nin)]
        self.b = [value(0) for _ in range(nout)]

    def __call__(self, x: Sequence[Sequence[float]]) -> list[list[Any]]:
        out = []
        for xi in x:
            row = []
            for j in range(len(self.b)):
                s = self.b[j]
                for i in range(len(xi)):
                    s = s + xi[i] * self.w[i][j]
                row.append(s)
            out.append(row)
        return out

    def parameters(self) -> list[Any]:
        return [p for row in self.w for p in row] + self.b


def seed_training(
    epochs: int, value: Any = Value, loss_fn: Callable[..., Any] = cross_entropy_loss
) -> tuple[list[float], float]:
    """SPEC §3's loop on `four_blobs()`; returns (losses, final accuracy)."""
    x, y = four_blobs()
    random.seed(0)
    model = LinearLayer(2, 4, value)
    lr = 1.0
    losses = []
    for _ in range(epochs):
        y_hat = model(x)
        loss = loss_fn(y_hat, y)
        model.zero_grad()
        loss.backward()
        for p in model.parameters():
            p.data -= lr * p.grad
        losses.append(loss.data)
    correct = sum(
        max(range(len(row)), key=lambda j, row=row: row[j].data) == label
        for row, label in zip(y_hat, y, strict=True)
    )
    return losses, correct / len(y)


@pytest.mark.slow  # about 10 s: the seed's graph has one node per scalar operation
def test_the_seed_training_code_reproduces_spec_section_3() -> None:
    losses, accuracy = seed_training(500)
    assert len(losses) == 500
    # SPEC §3's table: Final Accuracy 99%, Final Loss 0.13.
    assert f"{accuracy:.0%}" == "99%"
    assert losses[-1] == pytest.approx(0.13, abs=0.02)
    assert f"{losses[-1]:.2f}" == "0.13"
    assert losses[0] > 1.0  # starts near log 4 ≈ 1.39: a real descent, not a lucky start


def test_the_seed_softmax_output_is_a_probability_per_row() -> None:
    random.seed(0)
    x, _ = four_blobs()
    probs = softmax(LinearLayer(2, 4)(x[:5]))
    for row in probs:
        assert all(0.0 <= p.data <= 1.0 for p in row)
        assert math.fsum(p.data for p in row) == pytest.approx(1.0, abs=1e-15)


# -- the seed's Value, an independent second implementation -------------------


class SeedValue:
    """A scalar engine in the seed's (micrograd's) style, with `exp` and `log`."""

    def __init__(self, data: float, _children: tuple[SeedValue, ...] = ()) -> None:
        self.data = data
        self.grad = 0
        self._backward: Callable[[], None] = lambda: None
        self._prev = set(_children)

    def __add__(self, other: Any) -> SeedValue:
        other = other if isinstance(other, SeedValue) else SeedValue(other)
        out = SeedValue(self.data + other.data, (self, other))

        def _backward() -> None:
            self.grad += out.grad
            other.grad += out.grad

        out._backward = _backward
        return out

    def __mul__(self, other: Any) -> SeedValue:
        other = other if isinstance(other, SeedValue) else SeedValue(other)
        out = SeedValue(self.data * other.data, (self, other))

        def _backward() -> None:
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad

        out._backward = _backward
        return out

    def __pow__(self, other: float) -> SeedValue:
        assert isinstance(other, int | float)
        out = SeedValue(self.data**other, (self,))

        def _backward() -> None:
            self.grad += (other * self.data ** (other - 1)) * out.grad

        out._backward = _backward
        return out

    def exp(self) -> SeedValue:
        out = SeedValue(math.exp(self.data), (self,))

        def _backward() -> None:
            self.grad += out.data * out.grad

        out._backward = _backward
        return out

    def log(self) -> SeedValue:
        out = SeedValue(math.log(self.data), (self,))

        def _backward() -> None:
            self.grad += (1 / self.data) * out.grad

        out._backward = _backward
        return out

    def relu(self) -> SeedValue:
        out = SeedValue(0 if self.data < 0 else self.data, (self,))

        def _backward() -> None:
            self.grad += (out.data > 0) * out.grad

        out._backward = _backward
        return out

    def backward(self) -> None:
        topo: list[SeedValue] = []
        visited: set[int] = set()

        def build(v: SeedValue) -> None:
            if id(v) not in visited:
                visited.add(id(v))
                for child in v._prev:
                    build(child)
                topo.append(v)

        build(self)
        self.grad = 1
        for v in reversed(topo):
            v._backward()

    def __neg__(self) -> SeedValue:
        return self * -1

    def __radd__(self, other: Any) -> SeedValue:
        return self + other

    def __sub__(self, other: Any) -> SeedValue:
        return self + (-other)

    def __rsub__(self, other: Any) -> SeedValue:
        return other + (-self)

    def __rmul__(self, other: Any) -> SeedValue:
        return self * other

    def __truediv__(self, other: Any) -> SeedValue:
        return self * other**-1

    def __rtruediv__(self, other: Any) -> SeedValue:
        return other * self**-1


def _expressions(a: Any, b: Any, c: Any) -> dict[str, Any]:
    """The same formulas for either engine; `c` may be exactly 0 (relu's kink)."""
    return {
        "a - b": a - b,
        "1 - a": 1 - a,
        "a - 2.5": a - 2.5,
        "a / b": a / b,
        "1 / b": 1 / b,
        "a / 4": a / 4,
        "-a": -a,
        "relu(c)": c.relu(),
        "relu(-c)": (-c).relu(),
        "relu(a) * relu(b)": a.relu() * b.relu(),
        "reused": (a * b - a / b + 2 * a) * (3 + a - b),
        "exp, log, pow": ((a - b).exp() + 1).log() / (b**2 + 1) - a**3 / 5,
        "sigmoid": 1 / (1 + (-(a * b + c)).exp()),
    }


def _engine_results(value: Any, a: float, b: float, c: float) -> dict[str, tuple[float, ...]]:
    """(forward, ∂/∂a, ∂/∂b, ∂/∂c) of each formula, with fresh leaves for each."""
    results = {}
    for name in _expressions(value(1.0), value(1.0), value(1.0)):
        leaves = value(a), value(b), value(c)
        out = _expressions(*leaves)[name]
        out.backward()
        results[name] = (out.data, *(float(v.grad) for v in leaves))
    return results


def _assert_same(a: float, b: float, c: float) -> None:
    seed = _engine_results(SeedValue, a, b, c)
    ours = _engine_results(Value, a, b, c)
    for name, expected in seed.items():
        assert ours[name] == pytest.approx(expected, rel=1e-12, abs=1e-12), name


@pytest.mark.parametrize(
    ("a", "b", "c"),
    [(0.7, -1.3, 0.0), (-2.0, 0.5, 1e-300), (3.0, 3.0, -0.25), (0.2, 0.4, 0.0)],
)
def test_seed_value_semantics_give_the_same_numbers_and_gradients(
    a: float, b: float, c: float
) -> None:
    _assert_same(a, b, c)


_finite = st.floats(min_value=-3.0, max_value=3.0, allow_nan=False)


@settings(max_examples=200, deadline=None)
@given(_finite, _finite.filter(lambda v: abs(v) > 1e-3), _finite)
def test_seed_value_semantics_agree_on_random_inputs(a: float, b: float, c: float) -> None:
    _assert_same(a, b, c)


def test_relu_at_zero_has_gradient_zero_in_both_engines() -> None:
    # The seed's rule is (out.data > 0) * out.grad: at exactly 0 the gradient is 0.
    for value in (SeedValue, Value):
        z = value(0.0)
        out = z.relu()
        out.backward()
        assert (out.data, z.grad) == (0.0, 0.0)


def _seed_style_loss(y_hat: list[list[SeedValue]], y: list[int]) -> SeedValue:
    """The seed's cross-entropy of logits, with the seed's plain softmax and ε = 1e-6."""
    losses = []
    for row, label in zip(y_hat, y, strict=True):
        exps = [z.exp() for z in row]
        total = sum(exps)
        probs = [e / total for e in exps]
        losses.append(-((probs[label] + 1e-6).log()))
    return sum(losses) / len(losses)


def test_seed_training_on_the_seed_value_matches_gradtrace() -> None:
    """The whole loop, 20 iterations: the seed's engine and loss against gradtrace's."""
    theirs, their_accuracy = seed_training(20, SeedValue, _seed_style_loss)
    ours, our_accuracy = seed_training(20)
    assert ours == pytest.approx(theirs, rel=1e-12)
    assert our_accuracy == their_accuracy
