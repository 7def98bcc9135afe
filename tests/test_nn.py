"""nn: layers, softmax and cross-entropy against float formulas and finite differences."""

from __future__ import annotations

import math
import random
from typing import Any

import pytest

from gradtrace import Value
from gradtrace.nn import (
    EPSILON,
    MLP,
    DataError,
    LinearLayer,
    Module,
    cross_entropy_from_probs,
    cross_entropy_loss,
    softmax,
)


def _softmax_floats(z: list[float]) -> list[float]:
    """Softmax in plain floats, written independently (log-sum-exp form)."""
    m = max(z)
    lse = m + math.log(math.fsum(math.exp(v - m) for v in z))
    return [math.exp(v - lse) for v in z]


def _loss_floats(rows: list[list[float]], y: list[int]) -> float:
    """Mean −log(p_true + ε) in plain floats."""
    return -math.fsum(
        math.log(_softmax_floats(r)[label] + EPSILON) for r, label in zip(rows, y, strict=True)
    ) / len(rows)


def _loss_and_grads(rows: list[list[float]], y: list[int]) -> tuple[float, list[list[float]]]:
    """gradtrace's loss and ∂loss/∂logit for each logit."""
    logits = [[Value(v) for v in r] for r in rows]
    loss = cross_entropy_loss(logits, y)
    loss.backward()
    return loss.data, [[v.grad for v in r] for r in logits]


def _finite_difference(rows: list[list[float]], y: list[int], h: float) -> list[list[float]]:
    """Central differences of the independent float loss."""
    grads = []
    for n, row in enumerate(rows):
        g = []
        for j in range(len(row)):
            up = [list(r) for r in rows]
            down = [list(r) for r in rows]
            up[n][j] += h
            down[n][j] -= h
            g.append((_loss_floats(up, y) - _loss_floats(down, y)) / (2 * h))
        grads.append(g)
    return grads


# -- LinearLayer --------------------------------------------------------------


def test_linear_layer_initialisation_follows_spec() -> None:
    layer = LinearLayer(2, 4, seed=0)
    assert len(layer.w) == 2 and all(len(row) == 4 for row in layer.w)
    assert all(-1.0 <= w.data <= 1.0 for row in layer.w for w in row)
    assert [b.data for b in layer.b] == [0.0] * 4
    # The weights are random, not a constant fill.
    assert len({w.data for row in layer.w for w in row}) == 8


def test_linear_layer_weights_come_from_its_own_seed() -> None:
    random.seed(1)
    a = LinearLayer(3, 2, seed=7)
    random.seed(2)
    b = LinearLayer(3, 2, seed=7)
    c = LinearLayer(3, 2, seed=8)
    assert [p.data for p in a.parameters()] == [p.data for p in b.parameters()]
    assert [p.data for p in a.parameters()] != [p.data for p in c.parameters()]
    # The documented recipe: w[i][j] drawn in row order from Random(seed).uniform(-1, 1).
    rng = random.Random(7)
    assert [[w.data for w in row] for row in a.w] == [
        [rng.uniform(-1, 1) for _ in range(2)] for _ in range(3)
    ]


def test_linear_layer_forward_matches_the_formula() -> None:
    layer = LinearLayer(3, 2, seed=3)
    layer.b[1].data = 0.25
    x = [[0.5, -1.5, 2.0], [0.0, 1.0, -0.25]]
    out = layer(x)
    for row, xs in zip(out, x, strict=True):
        for j in range(2):
            expected = sum(xs[i] * layer.w[i][j].data for i in range(3)) + layer.b[j].data
            assert row[j].data == pytest.approx(expected, rel=1e-15, abs=1e-15)


def test_linear_layer_gradients_are_the_inputs() -> None:
    layer = LinearLayer(2, 3, seed=0)
    x = [[0.3, -0.7], [1.1, 0.4]]
    out = layer(x)
    # d(Σ all outputs)/dw[i][j] = Σ over samples of x[n][i]; d/db[j] = number of samples.
    total = out[0][0] + out[0][1] + out[0][2] + out[1][0] + out[1][1] + out[1][2]
    layer.zero_grad()
    total.backward()
    for i in range(2):
        for j in range(3):
            assert layer.w[i][j].grad == pytest.approx(x[0][i] + x[1][i])
    assert [b.grad for b in layer.b] == [2.0, 2.0, 2.0]


def test_parameters_and_zero_grad() -> None:
    layer = LinearLayer(2, 4)
    params = layer.parameters()
    assert len(params) == 2 * 4 + 4
    assert params[:4] == layer.w[0] and params[-4:] == layer.b
    for p in params:
        p.grad = 3.0
    layer.zero_grad()
    assert all(p.grad == 0.0 for p in params)
    assert Module().parameters() == []


def test_linear_layer_rejects_bad_sizes_and_rows() -> None:
    with pytest.raises(ValueError, match="positive integers"):
        LinearLayer(0, 4)
    with pytest.raises(ValueError, match="positive integers"):
        LinearLayer(2, 2.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"expects rows of 2 numbers, but row 1 has 3"):
        LinearLayer(2, 4)([[1.0, 2.0], [1.0, 2.0, 3.0]])


# -- MLP ----------------------------------------------------------------------


@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_mlp_forward_matches_a_float_computation(activation: str) -> None:
    model = MLP(2, [3, 2], 2, activation=activation, seed=5)
    assert len(model.parameters()) == (2 * 3 + 3) + (3 * 2 + 2) + (2 * 2 + 2)
    act = (lambda v: max(v, 0.0)) if activation == "relu" else math.tanh
    x = [0.4, -0.9]
    h = x
    for k, layer in enumerate(model.layers):
        w = [[v.data for v in row] for row in layer.w]
        b = [v.data for v in layer.b]
        z = [sum(h[i] * w[i][j] for i in range(len(h))) + b[j] for j in range(len(b))]
        h = z if k == len(model.layers) - 1 else [act(v) for v in z]
    assert [v.data for v in model([x])[0]] == pytest.approx(h, rel=1e-12)


def test_mlp_gradients_match_finite_differences() -> None:
    model = MLP(2, [4], 3, activation="tanh", seed=2)
    x, y = [[0.5, -0.2], [-0.3, 0.8], [0.9, 0.1]], [0, 2, 1]

    def loss_value() -> float:
        return cross_entropy_loss(model(x), y).data

    loss = cross_entropy_loss(model(x), y)
    model.zero_grad()
    loss.backward()
    h = 1e-6
    for p in model.parameters():
        analytic = p.grad
        p.data += h
        up = loss_value()
        p.data -= 2 * h
        down = loss_value()
        p.data += h
        assert analytic == pytest.approx((up - down) / (2 * h), abs=1e-7)


def test_mlp_rejects_an_unknown_activation() -> None:
    with pytest.raises(ValueError, match="unknown activation 'sigmoid'; use 'relu' or 'tanh'"):
        MLP(2, [4], 2, activation="sigmoid")


# -- softmax and cross-entropy ------------------------------------------------


def test_softmax_matches_the_formula_and_sums_to_one() -> None:
    rows = [[0.5, -1.0, 2.0, 0.0], [3.0, 3.0, 3.0, 3.0]]
    probs = softmax([[Value(v) for v in r] for r in rows])
    for p, r in zip(probs, rows, strict=True):
        assert [v.data for v in p] == pytest.approx(_softmax_floats(r), rel=1e-14)
        assert math.fsum(v.data for v in p) == pytest.approx(1.0, abs=1e-15)
    assert [v.data for v in probs[1]] == [0.25] * 4


def test_softmax_is_finite_for_huge_logits() -> None:
    probs = softmax([[Value(1000.0), Value(-1000.0), Value(999.0), Value(0.0)]])[0]
    data = [v.data for v in probs]
    assert all(math.isfinite(v) for v in data)
    e = math.exp(-1.0)
    assert data == pytest.approx([1 / (1 + e), 0.0, e / (1 + e), 0.0], rel=1e-14)


def test_cross_entropy_from_probs_is_the_mean_nll_with_epsilon() -> None:
    probs = [[Value(0.7), Value(0.3)], [Value(0.1), Value(0.9)], [Value(0.0), Value(1.0)]]
    loss = cross_entropy_from_probs(probs, [0, 0, 0])
    expected = -(math.log(0.7 + 1e-6) + math.log(0.1 + 1e-6) + math.log(1e-6)) / 3
    assert loss.data == pytest.approx(expected, rel=1e-15)
    loss.backward()
    # d/dp of −log(p + ε)/n is −1/(n·(p + ε)): finite even at p = 0.
    assert probs[2][0].grad == pytest.approx(-1 / (3 * 1e-6))
    assert probs[0][1].grad == 0.0


CASES = {
    "moderate": ([[0.5, -1.2, 2.0, 0.1], [-0.3, 0.8, 0.0, -2.5], [1.5, 1.4, -0.2, 0.3]], [2, 1, 0]),
    "huge": ([[1000.0, -1000.0, 999.5, 0.0], [-1000.0, -999.0, -1000.0, -998.0]], [2, 1]),
    "tied": ([[5.0, 5.0, 5.0, 5.0]], [3]),
}


@pytest.mark.parametrize("case", CASES)
def test_softmax_cross_entropy_gradient_matches_finite_differences(case: str) -> None:
    rows, y = CASES[case]
    loss, grads = _loss_and_grads(rows, y)
    assert loss == pytest.approx(_loss_floats(rows, y), rel=1e-12)
    # Large logits get a step that still resolves them: 1000 has an ulp of about 1e-13.
    h = 1e-4 if case == "huge" else 1e-6
    numeric = _finite_difference(rows, y, h)
    for g_row, n_row in zip(grads, numeric, strict=True):
        assert all(math.isfinite(g) for g in g_row)
        assert g_row == pytest.approx(n_row, abs=1e-7)


def test_softmax_cross_entropy_gradient_matches_the_closed_form() -> None:
    # Without ε, ∂loss/∂zⱼ = (pⱼ − [j = y]) / n; with ε = 1e-6 it is within ~1e-5 of that.
    rows, y = CASES["moderate"]
    _, grads = _loss_and_grads(rows, y)
    for row, label, g_row in zip(rows, y, grads, strict=True):
        p = _softmax_floats(row)
        closed = [(p[j] - (j == label)) / len(rows) for j in range(len(row))]
        assert g_row == pytest.approx(closed, abs=1e-5)


def test_huge_logits_give_the_saturated_loss_and_gradient() -> None:
    # The true class gets probability e⁻²⁰⁰⁰ = 0: the loss is −log(ε), and the exact gradient,
    # ∓p(1 − p)/(p + ε) ≈ e⁻²⁰⁰⁰/ε, is 0 in floating point.
    logits = [[Value(1000.0), Value(-1000.0)]]
    loss = cross_entropy_loss(logits, [1])
    loss.backward()
    assert loss.data == pytest.approx(-math.log(EPSILON), rel=1e-15)
    assert [abs(v.grad) for v in logits[0]] == [0.0, 0.0]


def test_cross_entropy_of_logits_is_cross_entropy_of_their_softmax() -> None:
    rows, y = CASES["moderate"]
    from_logits = cross_entropy_loss([[Value(v) for v in r] for r in rows], y)
    probs = softmax([[Value(v) for v in r] for r in rows])
    assert from_logits.data == cross_entropy_from_probs(probs, y).data


def test_cross_entropy_of_logits_of_a_thousand_is_finite() -> None:
    # The stable softmax: e¹⁰⁰⁰ would overflow; the shifted row gives the exact loss.
    logits = [[Value(1000.0), Value(-1000.0), Value(999.0)]]
    loss = cross_entropy_loss(logits, [2])
    loss.backward()
    expected = -math.log(math.exp(-1.0) / (1 + math.exp(-1.0)) + EPSILON)
    assert loss.data == pytest.approx(expected, rel=1e-12)
    assert all(math.isfinite(v.grad) for v in logits[0])


@pytest.mark.parametrize("loss_fn", [cross_entropy_loss, cross_entropy_from_probs])
@pytest.mark.parametrize(
    ("y", "message"),
    [
        ([0], "got 2 rows of (logits|probs) but 1 labels"),
        ([0, 2], r"label 2 of sample 1 is not a class index in range\(2\)"),
        ([0, -1], r"label -1 of sample 1 is not a class index"),
        ([0, True], r"label True of sample 1 is not a class index"),
    ],
)
def test_cross_entropy_rejects_bad_labels(loss_fn: Any, y: list[int], message: str) -> None:
    probs = [[Value(0.5), Value(0.5)], [Value(0.5), Value(0.5)]]
    with pytest.raises(ValueError, match=message):
        loss_fn(probs, y)


@pytest.mark.parametrize("loss_fn", [cross_entropy_loss, cross_entropy_from_probs])
def test_cross_entropy_rejects_empty_input(loss_fn: Any) -> None:
    with pytest.raises(ValueError, match="at least one sample"):
        loss_fn([], [])


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ([0.5, 0.7, -0.2], "sample 1 is not a row of probabilities: it holds -0.2, outside"),
        ([1.5, -0.5, 0.0], "sample 1 is not a row of probabilities: it holds 1.5, outside"),
        ([0.3, 0.3, 0.3], "sample 1 is not a row of probabilities: it sums to 0.9, not 1"),
        ([math.nan, 0.5, 0.5], "sample 1 is not a row of probabilities: it holds nan"),
        ([0.2, 0.3, 0.5 + 2e-6], "sample 1 is not a row of probabilities: it sums to 1.000002"),
    ],
)
def test_cross_entropy_from_probs_rejects_rows_that_are_not_probabilities(
    row: list[float], message: str
) -> None:
    probs = [[Value(0.2), Value(0.3), Value(0.5)], [Value(v) for v in row]]
    with pytest.raises(DataError, match=message) as caught:
        cross_entropy_from_probs(probs, [0, 1])
    assert "\n" not in str(caught.value) and "cross_entropy_loss" in str(caught.value)


def test_cross_entropy_from_probs_accepts_rounding_within_the_tolerance() -> None:
    # Three decimals of a third each sum to 0.999: rejected; 1/3 in floats: accepted.
    third = [Value(1 / 3)] * 3
    assert cross_entropy_from_probs([third], [0]).data == pytest.approx(-math.log(1 / 3 + EPSILON))
    assert cross_entropy_from_probs([[Value(0.2), Value(0.8 + 5e-7)]], [1]).data > 0
    with pytest.raises(DataError, match=r"sums to 0\.999,"):
        cross_entropy_from_probs([[Value(0.333)] * 3], [0])
    assert cross_entropy_from_probs([third], [0], tolerance=0.01).data > 0
    # A sum off by less than 9 digits can show is written in full, never as "1".
    with pytest.raises(DataError, match=r"sums to 1\.00000000000\d+, not 1"):
        cross_entropy_from_probs([[Value(0.25), Value(0.75 + 2e-12)]], [0], tolerance=1e-12)


def test_logits_passed_as_probabilities_are_an_error_not_a_negative_loss() -> None:
    # The trap: a layer's raw outputs are not probabilities.
    from gradtrace.data import four_blobs

    x, y = four_blobs()
    logits = LinearLayer(2, 4, seed=0)(x)
    with pytest.raises(DataError, match=r"sample \d+ is not a row of probabilities"):
        cross_entropy_from_probs(logits, y)
    assert cross_entropy_loss(logits, y).data > 0
