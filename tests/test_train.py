"""train: SPEC §3's headline numbers, a second implementation, the callback and the errors."""

from __future__ import annotations

import math
import random
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from spec_tables import TRAINING_RESULTS

from gradtrace import Value
from gradtrace.data import four_blobs, moons
from gradtrace.errors import GradtraceError
from gradtrace.nn import (
    EPSILON,
    MLP,
    DataError,
    LinearLayer,
    cross_entropy_from_probs,
    cross_entropy_loss,
    softmax,
)
from gradtrace.train import (
    History,
    TrainingDivergedError,
    TrainingError,
    accuracy,
    predict,
    results_table,
    train,
)


@pytest.fixture(scope="module")
def headline() -> tuple[History, LinearLayer, list[tuple[int, float, float]]]:
    """SPEC §3's run, once for the module: LinearLayer(2, 4), lr 1.0, 500 iterations."""
    x, y = four_blobs()
    model = LinearLayer(2, 4)
    calls: list[tuple[int, float, float]] = []
    history = train(x, y, model, lr=1.0, epochs=500, callback=lambda *a: calls.append(a))
    return history, model, calls


def test_headline_reproduces_spec_results(
    headline: tuple[History, LinearLayer, list[tuple[int, float, float]]],
) -> None:
    history, _, _ = headline
    assert history.iterations == 500
    assert history.final_accuracy >= 0.99
    assert history.final_loss == pytest.approx(0.13, abs=0.02)
    # SPEC's table prints them as 99% and 0.13.
    assert f"{history.final_accuracy:.0%}" == "99%"
    assert f"{history.final_loss:.2f}" == "0.13"


def test_results_table_is_spec_section_3s_table(
    headline: tuple[History, LinearLayer, list[tuple[int, float, float]]],
) -> None:
    history, _, _ = headline
    x, y = four_blobs()
    assert results_table(history, x, y) == TRAINING_RESULTS


@pytest.mark.parametrize(
    ("accuracy", "shown"),
    [
        (0.99, "99%"),
        (0.994, "99%"),
        (0.996, "99.6%"),
        (0.999, "99.9%"),
        (0.9995, "99.95%"),
        (1.0, "100%"),
        (0.0, "0%"),
        (0.004, "0.4%"),
        (0.25, "25%"),
    ],
)
def test_results_table_never_rounds_accuracy_to_all_or_nothing(accuracy: float, shown: str) -> None:
    line = results_table(History(loss=[0.5], accuracy=[accuracy]), [[0.0]], [0]).splitlines()[2]
    assert line == f"| Final Accuracy | {shown} |"


@pytest.mark.parametrize(
    ("loss", "shown"),
    [
        (0.13204, "0.13"),
        (1.386, "1.39"),
        (0.0042, "4.20e-03"),
        (4.2e-05, "4.20e-05"),
        (0.0, "0.00"),
    ],
)
def test_results_table_never_shows_a_loss_as_zero(loss: float, shown: str) -> None:
    line = results_table(History(loss=[loss], accuracy=[0.5]), [[0.0]], [0]).splitlines()[3]
    assert line == f"| Final Loss | {shown} |"


def test_results_table_counts_classes_as_label_indices() -> None:
    # Labels 0 and 3: a model for this data needs 4 outputs, though classes 1 and 2 have no sample.
    x = [[0.0, 1.0, 2.0], [1.0, 0.0, 2.0]]
    text = results_table(History(loss=[0.5], accuracy=[0.5]), x, [0, 3])
    assert "| Number of Classes | 4 |" in text
    assert "| Dataset Size | 2 samples |" in text and "| Input Dimensions | 3D |" in text


def test_history_and_callback_follow_every_iteration(
    headline: tuple[History, LinearLayer, list[tuple[int, float, float]]],
) -> None:
    history, _, calls = headline
    assert [c[0] for c in calls] == list(range(1, 501))
    assert [c[1] for c in calls] == history.loss
    assert [c[2] for c in calls] == history.accuracy
    assert len(history.accuracy) == 500
    assert history.loss[0] > 1.0 > history.loss[-1]  # starts near log 4 ≈ 1.39
    # Full-batch descent with a small enough step: the loss never goes up here.
    assert all(b <= a for a, b in zip(history.loss, history.loss[1:], strict=False))


def test_final_accuracy_agrees_with_predict(
    headline: tuple[History, LinearLayer, list[tuple[int, float, float]]],
) -> None:
    _, model, _ = headline
    x, y = four_blobs()
    hits = sum(p == label for p, label in zip(predict(model, x), y, strict=True))
    assert hits >= 99


def _reference_training(
    x: list[list[float]], y: list[int], w: list[list[float]], lr: float, epochs: int
) -> list[float]:
    """Softmax regression with hand-derived gradients, in plain floats (no autograd).

    ∂loss/∂zⱼ of −log(p_y + ε)/n is −p_y·([j = y] − pⱼ) / (n·(p_y + ε)).
    """
    n, nin, nout = len(x), len(w), len(w[0])
    b = [0.0] * nout
    losses = []
    for _ in range(epochs):
        gw = [[0.0] * nout for _ in range(nin)]
        gb = [0.0] * nout
        loss = 0.0
        for row, label in zip(x, y, strict=True):
            z = [sum(row[i] * w[i][j] for i in range(nin)) + b[j] for j in range(nout)]
            m = max(z)
            e = [math.exp(v - m) for v in z]
            p = [v / sum(e) for v in e]
            loss -= math.log(p[label] + EPSILON) / n
            scale = -p[label] / (n * (p[label] + EPSILON))
            for j in range(nout):
                gz = scale * ((j == label) - p[j])
                gb[j] += gz
                for i in range(nin):
                    gw[i][j] += row[i] * gz
        losses.append(loss)
        w = [[w[i][j] - lr * gw[i][j] for j in range(nout)] for i in range(nin)]
        b = [b[j] - lr * gb[j] for j in range(nout)]
    return losses


def test_training_matches_hand_derived_gradients() -> None:
    x, y = four_blobs()
    model = LinearLayer(2, 4, seed=3)
    w0 = [[v.data for v in row] for row in model.w]
    history = train(x, y, model, lr=1.0, epochs=25)
    assert history.loss == pytest.approx(_reference_training(x, y, w0, 1.0, 25), rel=1e-12)


def test_training_is_deterministic() -> None:
    x, y = four_blobs()
    a = train(x, y, LinearLayer(2, 4), epochs=20)
    b = train(x, y, LinearLayer(2, 4), epochs=20)
    assert a.loss == b.loss and a.accuracy == b.accuracy


def test_an_mlp_learns_the_moons() -> None:
    x, y = moons(n_samples=40, noise=0.1)
    model = MLP(2, [6], 2, activation="tanh", seed=1)
    history = train(x, y, model, lr=0.5, epochs=100)
    assert history.final_loss < history.loss[0] / 2
    assert history.final_accuracy >= 0.85


def test_accuracy_counts_first_largest_outputs() -> None:
    rows = [[Value(v) for v in r] for r in ([0.1, 0.9], [0.5, 0.5], [2.0, -1.0], [0.0, 3.0])]
    # argmax: 1, 0 (tie: first), 0, 1
    assert accuracy(rows, [1, 0, 1, 0]) == 0.5
    assert accuracy(rows, [1, 1, 0, 1]) == 0.75
    with pytest.raises(DataError, match="2 rows but 1 labels"):
        accuracy(rows[:2], [0])


def test_zero_epochs_give_an_empty_history() -> None:
    x, y = four_blobs()
    history = train(x, y, LinearLayer(2, 4), epochs=0)
    assert history.iterations == 0 and math.isnan(history.final_loss)


@pytest.mark.parametrize(
    ("x", "y", "message"),
    [
        ([], [], "at least one sample; x is empty"),
        ([[0.0, 1.0]], [0, 1], "x has 1 samples but y has 2 labels"),
        ([[0.0, 1.0], [1.0]], [0, 1], "row 1 of x has 1 numbers, row 0 has 2"),
        ([[0.0, "a"]], [0], "row 0 of x holds something that is not a number"),
        ([[0.0, 1.0]], [-1], "label -1 of sample 0 is not a class index"),
        ([[0.0, 1.0]], [0.5], "label 0.5 of sample 0 is not a class index"),
        (
            [[0.0, 1.0], [1.0, 0.0]],
            [0, 4],
            r"label 4 of sample 1 is not a class index in range\(4\)",
        ),
        ([[0.0, 1.0, 2.0]], [0], r"LinearLayer\(2, 4\) expects rows of 2 numbers, but row 0 has 3"),
    ],
)
def test_bad_data_gets_a_clear_error_and_leaves_the_model_alone(
    x: list[list[float]], y: list[int], message: str
) -> None:
    model = LinearLayer(2, 4)
    before = [p.data for p in model.parameters()]
    with pytest.raises(DataError, match=message) as caught:
        train(x, y, model, epochs=3)
    assert isinstance(caught.value, ValueError) and isinstance(caught.value, GradtraceError)
    assert [p.data for p in model.parameters()] == before


@pytest.mark.parametrize(("lr", "epochs"), [(0.0, 5), (-1.0, 5), (math.nan, 5), (1.0, -1)])
def test_bad_settings_get_a_clear_error(lr: float, epochs: int) -> None:
    x, y = four_blobs()
    with pytest.raises(TrainingError, match=r"(lr|epochs) must be"):
        train(x, y, LinearLayer(2, 4), lr=lr, epochs=epochs)


def test_a_diverging_loss_stops_training_with_the_iteration() -> None:
    x, y = four_blobs()
    # One step of 1e200 makes both layers' weights about 1e199: the next logits overflow
    # (1e199 · 1e199 = inf) and inf − inf makes the loss nan at iteration 2.
    model = MLP(2, [4], 4, activation="relu")
    with pytest.raises(TrainingDivergedError, match=r"at iteration 2 of 10; try a smaller") as e:
        train(x, y, model, lr=1e200, epochs=10)
    assert isinstance(e.value, ValueError)


def test_weights_do_not_depend_on_global_random_state() -> None:
    random.seed(123)
    a = [p.data for p in LinearLayer(2, 4).parameters()]
    random.seed(456)
    assert [p.data for p in LinearLayer(2, 4).parameters()] == a


def test_training_leaves_the_garbage_collector_as_it_found_it() -> None:
    import gc

    x, y = four_blobs()
    assert gc.isenabled()
    train(x, y, LinearLayer(2, 4), epochs=2)
    assert gc.isenabled()
    with pytest.raises(TrainingDivergedError):
        train(x, y, MLP(2, [4], 4), lr=1e200, epochs=3)
    assert gc.isenabled()


def test_numpy_arrays_train_like_lists() -> None:
    x, y = four_blobs()
    from_lists = train(x, y, LinearLayer(2, 4), epochs=5)
    from_arrays = train(np.array(x), np.array(y), LinearLayer(2, 4), epochs=5)
    assert from_arrays.loss == from_lists.loss and from_arrays.accuracy == from_lists.accuracy
    assert all(type(v) is float for v in from_arrays.loss + from_arrays.accuracy)
    # Other dtypes: float32 inputs (rounded to float32, so close, not equal) and int32 labels.
    x32, y32 = np.array(x, dtype=np.float32), np.array(y, dtype=np.int32)
    f32 = train(x32, y32, LinearLayer(2, 4), epochs=5)
    assert f32.loss == pytest.approx(from_lists.loss, rel=1e-6)
    assert results_table(from_arrays, np.array(x), np.array(y)) == results_table(from_lists, x, y)


def test_numpy_arrays_go_through_models_losses_and_metrics() -> None:
    x, y = four_blobs()
    xa, ya = np.array(x), np.array(y)
    for model in (LinearLayer(2, 4), MLP(2, [3], 4, seed=1)):
        from_lists, from_arrays = model(x), model(xa)
        data = [[v.data for v in r] for r in from_arrays]
        assert data == [[v.data for v in r] for r in from_lists]
        assert predict(model, xa) == predict(model, x)
        got = accuracy(from_arrays, ya)
        assert type(got) is float and got == accuracy(from_lists, y)
        assert cross_entropy_loss(from_arrays, ya).data == cross_entropy_loss(from_lists, y).data
    probs = softmax(LinearLayer(2, 4)(xa))
    assert cross_entropy_from_probs(probs, ya).data == cross_entropy_from_probs(probs, y).data
    assert Value(np.float64(0.25)).data == 0.25 and type(Value(np.float32(0.5)).data) is float


def test_numpy_shapes_that_are_not_data_get_a_clear_error() -> None:
    with pytest.raises(DataError, match=r"not a row of numbers; .*x\.reshape\(-1, 1\)"):
        train(np.array([0.1, 0.2]), np.array([0, 1]), LinearLayer(1, 2))
    with pytest.raises(DataError, match=r"is not a class index .*y\.astype\(int\)"):
        train(np.array([[0.1], [0.2]]), np.array([0.0, 1.0]), LinearLayer(1, 2))


@pytest.mark.slow  # two 500-iteration runs, one of them without train()'s paused collector
def test_the_training_page_code_prints_spec_section_3s_numbers(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """docs/training.md's code blocks, run as a reader would paste them."""
    page = (Path(__file__).parent.parent / "docs" / "training.md").read_text(encoding="utf-8")
    blocks = re.findall(r"^```python\n(.*?)^```$", page, flags=re.S | re.M)
    assert len(blocks) == 2
    outputs = []
    for code in blocks:
        exec(compile(code, "docs/training.md", "exec"), {"__name__": "__main__"})
        outputs.append(capsys.readouterr().out)
    assert outputs == ["0.13\n", TRAINING_RESULTS + "\n"]


def test_the_runtime_works_without_numpy() -> None:
    """NumPy is in the test extra only: importing and using gradtrace must not need it."""
    script = (
        "import sys\n"
        "sys.modules['numpy'] = None  # any import of numpy now fails\n"
        "import gradtrace as gt\n"
        "import gradtrace.cli.run_export, gradtrace.cli.run_train\n"
        "x, y = gt.four_blobs()\n"
        "print(gt.train(x, y, gt.LinearLayer(2, 4), epochs=3).iterations)\n"
        "print(gt.to_markdown(gt.figure1()).count('\\n'), len(gt.to_dot(gt.figure1())) > 0)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False
    )
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.split() == ["3", "15", "True"]
