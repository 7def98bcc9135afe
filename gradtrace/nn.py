"""A small neural-network layer on top of `Value`: layers, softmax and the loss.

Everything here works on plain Python lists of `Value`s, one row per sample:
a batch `x` is a list of rows, `model(x)` returns one row of logits per
sample, `softmax` turns each row into probabilities and `cross_entropy_loss`
(softmax inside, as in the original write-up and PyTorch) reduces the logits
to one `Value` whose `backward()` fills every parameter's `grad`. Rows that
already are probabilities go to `cross_entropy_from_probs`, which checks them.

Two choices keep training quick without hiding anything from a figure:

- A neuron's weighted sum `x₀w₀ + x₁w₁ + …` is one fused `"dot"` node and a
  softmax denominator is one `"sum"` node, each with its own exact backward
  rule, instead of a chain of binary `*` and `+` nodes.
- Softmax subtracts each row's maximum before `exp`, so logits of ±1000 give
  finite probabilities, loss and gradients (see `softmax` for why the
  gradient stays exact).

Randomness never comes from global state: each layer draws its weights from
its own `random.Random`, made from an explicit seed.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from itertools import pairwise
from numbers import Integral

from gradtrace.engine import Value
from gradtrace.errors import GradtraceError

__all__ = [
    "EPSILON",
    "MLP",
    "PROBABILITY_TOLERANCE",
    "DataError",
    "LinearLayer",
    "ModelError",
    "Module",
    "cross_entropy_from_probs",
    "cross_entropy_loss",
    "softmax",
]

#: Added to the true class's probability inside the log, against log(0).
EPSILON = 1e-6

#: How far from 1 a row's sum may be for `cross_entropy_from_probs`: a softmax
#: row is within a few 1e-16; a row typed with 6 decimals, within 1e-6.
PROBABILITY_TOLERANCE = 1e-6

#: Input rows may hold plain numbers or `Value`s.
Row = Sequence[float] | Sequence[Value]

_ACTIVATIONS = ("relu", "tanh")


class ModelError(GradtraceError, ValueError):
    """A model that cannot be built (bad sizes, unknown activation); also a `ValueError`."""


class DataError(GradtraceError, ValueError):
    """Data a model cannot use (wrong lengths or widths, bad labels); also a `ValueError`."""


class Module:
    """Anything with parameters: gives `parameters()` and `zero_grad()`.

    Subclasses override `parameters()` and `__call__`.
    """

    def parameters(self) -> list[Value]:
        """Every trainable `Value` of the module, in a fixed order."""
        return []

    def zero_grad(self) -> None:
        """Set the gradient of every parameter to 0.0 (before a new `backward()`)."""
        for p in self.parameters():
            p.grad = 0.0

    def __call__(self, x: Sequence[Row]) -> list[list[Value]]:
        """Map a batch of input rows to a batch of output rows."""
        raise NotImplementedError


class LinearLayer(Module):
    """A fully connected layer: `out[j] = Σᵢ x[i]·w[i][j] + b[j]`.

    Args:
        nin: Inputs per sample.
        nout: Outputs per sample.
        seed: Seeds the layer's own `random.Random` (or pass a `random.Random`
            to share one generator between layers). The same seed gives the same
            weights on every run and machine.
        name: Prefix for the parameters' labels (`"w[0][1]"` becomes
            `"{name}.w[0][1]"`), so layers of an `MLP` can be told apart in figures.

    Attributes:
        w: `w[i][j]`, the weight from input `i` to output `j`, drawn uniformly
            from [−1, 1].
        b: `b[j]`, the bias of output `j`, starting at 0.

    Example:
        >>> layer = LinearLayer(2, 3, seed=1)
        >>> [[round(v.data, 4) for v in row] for row in layer([[0.0, 0.0]])]
        [[0.0, 0.0, 0.0]]
    """

    def __init__(
        self, nin: int, nout: int, *, seed: int | random.Random = 0, name: str = ""
    ) -> None:
        if not (_is_count(nin) and _is_count(nout)):
            raise ModelError(
                f"LinearLayer sizes must be positive integers, got nin={nin!r}, nout={nout!r}"
            )
        rng = seed if isinstance(seed, random.Random) else random.Random(seed)
        prefix = f"{name}." if name else ""
        self.nin = nin
        self.nout = nout
        self.w = [
            [Value(rng.uniform(-1.0, 1.0), f"{prefix}w[{i}][{j}]") for j in range(nout)]
            for i in range(nin)
        ]
        self.b = [Value(0.0, f"{prefix}b[{j}]") for j in range(nout)]
        # Column j of w, interleaved with a row's inputs by `__call__`.
        self._columns = [[self.w[i][j] for i in range(nin)] for j in range(nout)]

    def __repr__(self) -> str:
        return f"LinearLayer({self.nin}, {self.nout})"

    def parameters(self) -> list[Value]:
        """The weights row by row (`w[0][0]`, `w[0][1]`, …), then the biases."""
        return [v for row in self.w for v in row] + self.b

    def __call__(self, x: Sequence[Row]) -> list[list[Value]]:
        """One row of `nout` outputs for each row of `nin` inputs.

        Plain numbers in `x` become input leaves; pass `Value`s to reuse the same
        leaves across calls (as `train` does).
        """
        out = []
        for n, row in enumerate(x):
            if len(row) != self.nin:
                raise DataError(
                    f"{self!r} expects rows of {self.nin} numbers, but row {n} has {len(row)}"
                )
            xs = [v if isinstance(v, Value) else Value(v) for v in row]
            out.append(
                [Value.dot(xs, col) + b for col, b in zip(self._columns, self.b, strict=True)]
            )
        return out


class MLP(Module):
    """A multi-layer perceptron: `LinearLayer`s with an activation between them.

    The last layer has no activation: its outputs are logits for `softmax`.

    Args:
        nin: Inputs per sample.
        hidden_sizes: The width of each hidden layer, e.g. `[16, 16]`.
        nout: Outputs (classes) per sample.
        activation: `"relu"` or `"tanh"`, applied after every hidden layer.
        seed: Seeds one `random.Random` that all layers draw from in turn.

    Example:
        >>> model = MLP(2, [8], 3, activation="tanh", seed=0)
        >>> model
        MLP(2, [8], 3, activation='tanh')
        >>> len(model.parameters())
        51
    """

    def __init__(
        self,
        nin: int,
        hidden_sizes: Sequence[int],
        nout: int,
        *,
        activation: str = "relu",
        seed: int | random.Random = 0,
    ) -> None:
        if activation not in _ACTIVATIONS:
            raise ModelError(f"unknown activation {activation!r}; use 'relu' or 'tanh'")
        rng = seed if isinstance(seed, random.Random) else random.Random(seed)
        sizes = [nin, *hidden_sizes, nout]
        self.nin = nin
        self.nout = nout
        self.hidden_sizes = list(hidden_sizes)
        self.activation = activation
        self.layers = [
            LinearLayer(a, b, seed=rng, name=f"layer{k}")
            for k, (a, b) in enumerate(pairwise(sizes), start=1)
        ]

    def __repr__(self) -> str:
        return f"MLP({self.nin}, {self.hidden_sizes}, {self.nout}, activation={self.activation!r})"

    def parameters(self) -> list[Value]:
        """The parameters of every layer, first layer first."""
        return [p for layer in self.layers for p in layer.parameters()]

    def __call__(self, x: Sequence[Row]) -> list[list[Value]]:
        """One row of `nout` logits for each row of `nin` inputs."""
        h: Sequence[Row] = x
        for layer in self.layers[:-1]:
            if self.activation == "relu":
                h = [[v.relu() for v in row] for row in layer(h)]
            else:
                h = [[v.tanh() for v in row] for row in layer(h)]
        return self.layers[-1](h)


def softmax(logits: Sequence[Sequence[Value]]) -> list[list[Value]]:
    """Turn each row of logits into probabilities that sum to 1.

    `softmax(z)ⱼ = exp(zⱼ − m) / Σₖ exp(zₖ − m)` with `m = max(z)`. Subtracting
    the row's maximum keeps every `exp` in [0, 1], so logits of ±1000 give
    finite probabilities instead of `inf / inf`.

    `m` enters the graph as a plain constant (labelled `max`), yet the gradient
    with respect to the logits is still exact: softmax does not change when the
    same number is subtracted from every logit, so ∂softmax/∂m = 0, and the
    term that `m`'s own dependence on the logits would add to the chain rule is
    multiplied by that zero.

    Each row is built from one `-`, one `exp` and one `/` per logit and a single
    fused `"sum"` for the denominator.
    """
    probs = []
    for row in logits:
        m = Value.constant(max(z.data for z in row), "max")
        exps = [(z - m).exp() for z in row]
        total = Value.sum(exps)
        probs.append([e / total for e in exps])
    return probs


def cross_entropy_loss(
    logits: Sequence[Sequence[Value]], y: Sequence[int], *, epsilon: float = EPSILON
) -> Value:
    """The mean cross-entropy of the true classes, from logits (softmax inside).

    `loss = −(1/n) Σₙ log(softmax(logits[n])[y[n]] + ε)`: the rows are the
    model's raw outputs, as in the original write-up's `cross_entropy_loss(y_hat,
    y)` and PyTorch's `torch.nn.functional.cross_entropy(logits, y)`. The
    softmax is `softmax`'s, which subtracts each row's maximum first, so logits
    of ±1000 give a finite loss and finite gradients. `ε = 1e-6` (the
    original's) keeps a probability of exactly 0 at a large but finite loss
    (−log ε ≈ 13.8).

    Rows that already are probabilities go to `cross_entropy_from_probs`
    instead: passed here, they would be put through softmax a second time.

    Args:
        logits: One row of class scores per sample, e.g. `model(x)`.
        y: The true class of each sample, an integer in `range(len(row))`.
        epsilon: Added to the probability inside the log.

    Raises:
        DataError: `logits` and `y` differ in length, are empty, or a label is
            not a valid class index.

    Example:
        >>> loss = cross_entropy_loss([[Value(2.0), Value(0.0)]], [0])
        >>> round(loss.data, 4)  # −log(e² / (e² + 1))
        0.1269
    """
    _check_labels("cross_entropy_loss", "logits", logits, y)
    return _mean_nll(softmax(logits), y, epsilon)


def cross_entropy_from_probs(
    probs: Sequence[Sequence[Value]],
    y: Sequence[int],
    *,
    epsilon: float = EPSILON,
    tolerance: float = PROBABILITY_TOLERANCE,
) -> Value:
    """The mean cross-entropy of the true classes, from rows of probabilities.

    `loss = −(1/n) Σₙ log(probs[n][y[n]] + ε)`, the same number
    `cross_entropy_loss` computes after its softmax, for rows that already are
    probabilities (the output of `softmax`, or a hand-written distribution).
    It is Keras' `categorical_crossentropy(from_logits=False)` or
    scikit-learn's `log_loss`; not PyTorch's `nll_loss`, which takes
    *log*-probabilities.

    Each row is checked first, so logits passed here by mistake are an error
    rather than a silently wrong (even negative) loss.

    Args:
        probs: One row of class probabilities per sample.
        y: The true class of each sample, an integer in `range(len(row))`.
        epsilon: Added to the probability inside the log.
        tolerance: How far a row's sum may be from 1.

    Raises:
        DataError: A row holds a number outside [0, 1] or does not sum to 1
            within `tolerance`; `probs` and `y` differ in length or are empty;
            or a label is not a valid class index.

    Example:
        >>> loss = cross_entropy_from_probs([[Value(0.25), Value(0.75)]], [1])
        >>> round(loss.data, 4)  # −log 0.75
        0.2877
    """
    _check_labels("cross_entropy_from_probs", "probs", probs, y)
    for k, row in enumerate(probs):
        p = [v.data for v in row]
        if not all(0.0 <= v <= 1.0 for v in p):
            bad = next(v for v in p if not 0.0 <= v <= 1.0)
            raise DataError(
                f"sample {k} is not a row of probabilities: it holds {bad!r}, outside [0, 1]; "
                "pass logits to cross_entropy_loss instead"
            )
        total = math.fsum(p)
        if abs(total - 1.0) > tolerance:
            # 9 digits, unless they would round a sum that is not 1 to "1".
            shown = f"{total:.9g}" if abs(total - 1.0) >= 1e-8 else repr(total)
            raise DataError(
                f"sample {k} is not a row of probabilities: it sums to {shown}, not 1; "
                "pass logits to cross_entropy_loss instead, or normalise the row"
            )
    return _mean_nll(probs, y, epsilon)


def _check_labels(
    caller: str, what: str, rows: Sequence[Sequence[Value]], y: Sequence[int]
) -> None:
    """A `DataError` unless there is one valid class index per row."""
    n = len(rows)
    if n == 0:
        raise DataError(f"{caller} needs at least one sample; got empty {what}")
    if len(y) != n:
        raise DataError(f"{caller} got {n} rows of {what} but {len(y)} labels")
    for k, (row, label) in enumerate(zip(rows, y, strict=True)):
        if not (_is_index(label) and label < len(row)):
            raise DataError(
                f"label {label!r} of sample {k} is not a class index in range({len(row)})"
            )


def _mean_nll(probs: Sequence[Sequence[Value]], y: Sequence[int], epsilon: float) -> Value:
    """`−(1/n) Σₙ log(probs[n][y[n]] + ε)`, for checked rows and labels."""
    eps = Value.constant(epsilon, "ε")
    terms = [(row[label] + eps).log() for row, label in zip(probs, y, strict=True)]
    return -(Value.sum(terms) / len(probs))


def _is_count(n: object) -> bool:
    """True for a positive integer (not a bool)."""
    return not isinstance(n, bool) and isinstance(n, Integral) and int(n) > 0


def _is_index(n: object) -> bool:
    """True for a non-negative integer (not a bool), numpy integers included."""
    return not isinstance(n, bool) and isinstance(n, Integral) and int(n) >= 0
