"""Training a classifier by gradient descent, as in the original write-up.

Each iteration runs the whole batch forward (`model(x)` and
`cross_entropy_loss` of its logits), zeroes the gradients, calls `loss.backward()` and moves
every parameter a step against its gradient: `p.data -= lr * p.grad`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence, Sized
from dataclasses import dataclass, field
from numbers import Real

from gradtrace.engine import Value
from gradtrace.errors import GradtraceError
from gradtrace.graph import paused_gc
from gradtrace.nn import DataError, Module, Row, _is_index, cross_entropy_loss
from gradtrace.notation import format_number

__all__ = [
    "History",
    "TrainingDivergedError",
    "TrainingError",
    "accuracy",
    "predict",
    "results_table",
    "train",
]

#: Called after every iteration with (iteration, loss, accuracy); iteration counts from 1.
Callback = Callable[[int, float, float], object]


class TrainingError(GradtraceError, ValueError):
    """Training settings that cannot work (learning rate, number of iterations)."""


class TrainingDivergedError(TrainingError):
    """The loss became nan or infinite: the learning rate is too large for this model."""


@dataclass
class History:
    """What `train` recorded, one entry per iteration.

    Attributes:
        loss: The loss of each iteration's forward pass (before its update).
        accuracy: The fraction of samples classified correctly by that same forward pass.
        lr: The learning rate used.
    """

    loss: list[float] = field(default_factory=list)
    accuracy: list[float] = field(default_factory=list)
    lr: float = 1.0

    @property
    def iterations(self) -> int:
        """How many iterations ran."""
        return len(self.loss)

    @property
    def final_loss(self) -> float:
        """The loss of the last iteration (nan if none ran)."""
        return self.loss[-1] if self.loss else math.nan

    @property
    def final_accuracy(self) -> float:
        """The accuracy of the last iteration (nan if none ran)."""
        return self.accuracy[-1] if self.accuracy else math.nan


def train(
    x: Sequence[Sequence[float]],
    y: Sequence[int],
    model: Module,
    lr: float = 1.0,
    epochs: int = 500,
    *,
    callback: Callback | None = None,
) -> History:
    """Train `model` on `(x, y)` with full-batch gradient descent (SPEC §3).

    Every iteration: `y_hat = model(x)`, `loss = cross_entropy_loss(y_hat, y)`,
    `model.zero_grad()`, `loss.backward()`, then `p.data -= lr * p.grad` for
    every parameter. The model is changed in place.

    Args:
        x: One row of input numbers per sample.
        y: The class of each sample, an integer in `range(nout)`.
        model: The classifier, e.g. `LinearLayer(2, 4)`; its outputs are logits.
        lr: The learning rate.
        epochs: How many iterations to run (each one sees the whole batch).
        callback: Called after each iteration as `callback(iteration, loss,
            accuracy)`, with `iteration` counting from 1; hang a progress bar
            on it.

    Returns:
        The `History` of loss and accuracy, one entry per iteration. Its
        `final_loss` and `final_accuracy` are those of the last iteration.

    Raises:
        DataError: Empty data, `x` and `y` of different lengths, rows of the
            wrong width, or a label that is not a class of the model.
        TrainingError: `lr` is not a positive number or `epochs` not a count.
        TrainingDivergedError: The loss became nan or infinite; the message
            names the iteration. All three are `ValueError`s too.

    Example:
        >>> from gradtrace import LinearLayer, four_blobs
        >>> x, y = four_blobs()
        >>> history = train(x, y, LinearLayer(2, 4), epochs=50)
        >>> history.iterations
        50
    """
    _check_data(x, y, lr, epochs)
    # The inputs become leaves once, not once per iteration.
    xs: list[Row] = [[Value(float(v)) for v in row] for row in x]
    labels = [int(label) for label in y]
    params = model.parameters()
    history = History(lr=float(lr))
    # Each iteration's graph has no reference cycles and is freed by reference counting
    # as soon as the next one replaces it; with the cyclic collector running, the
    # thousands of new values per iteration set off collections that find nothing and
    # cost about a third of the training time (benchmarks/RESULTS.md).
    with paused_gc():
        for iteration in range(1, epochs + 1):
            logits = model(xs)
            loss = cross_entropy_loss(logits, labels)
            if not math.isfinite(loss.data):
                raise TrainingDivergedError(
                    f"the loss became {loss.data} at iteration {iteration} of {epochs}; "
                    f"try a smaller learning rate than lr={lr}"
                )
            acc = accuracy(logits, labels)
            model.zero_grad()
            loss.backward()
            for p in params:
                p.data -= lr * p.grad
            history.loss.append(loss.data)
            history.accuracy.append(acc)
            if callback is not None:
                callback(iteration, loss.data, acc)
    return history


def results_table(history: History, x: Sequence[Sequence[float]], y: Sequence[int]) -> str:
    """SPEC §3's results table of a run, as Markdown: the one the CLI prints and the docs show.

    One rule for every caller:

    - Final Accuracy in whole percent, as the original writes it (99%), but
      never rounded to 100% while a sample is still wrong (99.9%), nor to 0%
      while one is right;
    - Final Loss with 2 decimals (0.13), written by `format_number` like every
      number gradtrace prints, so a loss that is not 0 never reads 0.00
      (4.20e-03);
    - Number of Classes is `max(y) + 1`: labels are class indices 0, 1, 2, …,
      so that is how many outputs the model needs, even if a class has no
      sample in `y`.

    Args:
        history: What `train` returned.
        x: The inputs it trained on (for the data set's size and dimensions).
        y: The labels it trained on.

    Example:
        >>> history = History(loss=[1.3, 0.13204], accuracy=[0.25, 0.99])
        >>> print(results_table(history, [[0.0, 1.0], [1.0, 0.0]], [0, 3]))
        | Metric | Value |
        |---|---|
        | Final Accuracy | 99% |
        | Final Loss | 0.13 |
        | Training Iterations | 2 |
        | Number of Classes | 4 |
        | Dataset Size | 2 samples |
        | Input Dimensions | 2D |
    """
    rows = [
        ("Final Accuracy", _percent(history.final_accuracy)),
        ("Final Loss", format_number(history.final_loss, 2)),
        ("Training Iterations", str(history.iterations)),
        ("Number of Classes", str(int(max(y)) + 1)),
        ("Dataset Size", f"{len(x)} samples"),
        ("Input Dimensions", f"{len(x[0])}D"),
    ]
    return "\n".join(
        ["| Metric | Value |", "|---|---|", *(f"| {name} | {value} |" for name, value in rows)]
    )


def _percent(fraction: float) -> str:
    """A fraction in whole percent; more decimals where rounding would reach 0% or 100%."""
    percent = 100 * fraction
    decimals = 0
    while decimals < 12 and 0 < fraction < 1 and float(f"{percent:.{decimals}f}") in (0, 100):
        decimals += 1
    return f"{percent:.{decimals}f}%"


def predict(model: Module, x: Sequence[Sequence[float]]) -> list[int]:
    """The class the model picks for each row of `x` (its largest output)."""
    return [_argmax(row) for row in model(x)]


def accuracy(outputs: Sequence[Sequence[Value]], y: Sequence[int]) -> float:
    """The fraction of rows whose largest output is at the true label's position.

    `outputs` may be logits or probabilities (softmax keeps the order). Ties
    go to the first largest output.
    """
    if len(outputs) != len(y):
        raise DataError(f"accuracy got {len(outputs)} rows but {len(y)} labels")
    if len(y) == 0:
        raise DataError("accuracy needs at least one sample")
    hits = sum(1 for row, label in zip(outputs, y, strict=True) if _argmax(row) == label)
    return hits / len(y)


def _argmax(row: Sequence[Value]) -> int:
    best = 0
    for j in range(1, len(row)):
        if row[j].data > row[best].data:
            best = j
    return best


def _check_data(x: Sequence[Sequence[float]], y: Sequence[int], lr: float, epochs: int) -> None:
    """Clear errors for data that cannot be trained on, before anything changes."""
    if len(x) == 0:
        raise DataError("train needs at least one sample; x is empty")
    if len(x) != len(y):
        raise DataError(f"x has {len(x)} samples but y has {len(y)} labels; give one label per row")
    for n, row in enumerate(x):
        if not isinstance(row, Sized):
            raise DataError(
                f"row {n} of x is {row!r}, not a row of numbers; x needs one row per sample "
                "(a 1-D array of n numbers is x.reshape(-1, 1))"
            )
    width = len(x[0])
    for n, row in enumerate(x):
        if len(row) != width:
            raise DataError(f"row {n} of x has {len(row)} numbers, row 0 has {width}")
        values: Sequence[object] = row  # checked, whatever the caller's types say
        for v in values:
            if not isinstance(v, Real):
                raise DataError(f"row {n} of x holds something that is not a number: {v!r}")
            if not math.isfinite(float(v)):
                raise DataError(f"row {n} of x holds {v}; inputs must be finite numbers")
    labels: Sequence[object] = y  # checked, whatever the caller's types say
    for n, label in enumerate(labels):
        if not _is_index(label):
            whole = isinstance(label, Real) and float(label).is_integer() and float(label) >= 0
            hint = "; labels must be integers (for an array: y.astype(int))" if whole else ""
            raise DataError(
                f"label {label!r} of sample {n} is not a class index (0, 1, 2, ...){hint}"
            )
    if not _is_positive(lr):
        raise TrainingError(f"lr must be a positive finite number, got {lr!r}")
    if not _is_index(epochs):
        raise TrainingError(f"epochs must be a non-negative integer, got {epochs!r}")


def _is_positive(x: object) -> bool:
    """True for a finite number greater than 0."""
    return isinstance(x, Real) and math.isfinite(x) and float(x) > 0
