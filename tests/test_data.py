"""data: shapes, labels, determinism and the geometry each data set documents."""

from __future__ import annotations

import math
import random
import statistics

import pytest

from gradtrace.data import _normal, _sin_cos, four_blobs, moons, spiral


def test_four_blobs_has_the_shape_of_spec_section_3() -> None:
    x, y = four_blobs()
    assert len(x) == len(y) == 100
    assert all(len(row) == 2 and all(type(v) is float for v in row) for row in x)
    assert sorted(set(y)) == [0, 1, 2, 3]
    assert [y.count(c) for c in range(4)] == [25, 25, 25, 25]
    assert y[:8] == [0, 1, 2, 3, 0, 1, 2, 3]  # interleaved


def test_four_blobs_is_the_named_pair_it_documents() -> None:
    data = four_blobs()
    x, y = data
    assert data.x is x and data.y is y


def test_four_blobs_lie_around_the_documented_centres() -> None:
    x, y = four_blobs()
    centres = {0: (0.25, 0.25), 1: (-0.25, 0.25), 2: (-0.25, -0.25), 3: (0.25, -0.25)}
    for c, (cx, cy) in centres.items():
        xs = [row[0] for row, label in zip(x, y, strict=True) if label == c]
        ys = [row[1] for row, label in zip(x, y, strict=True) if label == c]
        # 25 draws of noise 0.1: the mean is within 3 standard errors (0.06) of the centre.
        assert statistics.fmean(xs) == pytest.approx(cx, abs=0.06)
        assert statistics.fmean(ys) == pytest.approx(cy, abs=0.06)
        assert 0.05 < statistics.stdev(xs) < 0.15 and 0.05 < statistics.stdev(ys) < 0.15


def test_data_sets_are_deterministic_and_ignore_global_random_state() -> None:
    for make in (four_blobs, spiral, moons):
        random.seed(1)
        first = make()
        random.seed(2)
        assert make() == first
    assert four_blobs(seed=1) != four_blobs()


def test_normal_noise_has_mean_0_and_standard_deviation_1() -> None:
    rng = random.Random(0)
    draws = [_normal(rng) for _ in range(20000)]
    assert statistics.fmean(draws) == pytest.approx(0.0, abs=0.03)
    assert statistics.pstdev(draws) == pytest.approx(1.0, abs=0.02)
    assert max(map(abs, draws)) <= 6.0


@pytest.mark.parametrize("t", [k / 7 for k in range(-60, 61)] + [math.pi, -math.pi, 100.0])
def test_sin_cos_agrees_with_the_math_module(t: float) -> None:
    # Reducing t by a multiple of 2π costs about an ulp of t; then Taylor is exact to ~1e-16.
    tol = 2e-15 * max(1.0, abs(t))
    s, c = _sin_cos(t)
    assert s == pytest.approx(math.sin(t), abs=tol)
    assert c == pytest.approx(math.cos(t), abs=tol)


def test_spiral_points_sit_at_their_documented_radius() -> None:
    x, y = spiral(n_per_class=40, classes=3)
    assert len(x) == 120 and [y.count(c) for c in range(3)] == [40, 40, 40]
    for n, (px, py) in enumerate(x):
        r = (n // 3) / 40  # point k of each arm has radius k / n_per_class
        assert math.hypot(px, py) == pytest.approx(r, abs=1e-12)


def test_spiral_arms_start_a_third_of_a_turn_apart() -> None:
    x, y = spiral(n_per_class=50, classes=3, noise=0.0)
    k = 10  # radius 0.2, angle 4·0.2 + 2πc/3
    for c in range(3):
        px, py = x[3 * k + c]
        assert y[3 * k + c] == c
        angle = 0.8 + 2 * math.pi * c / 3
        assert (px, py) == pytest.approx((0.2 * math.cos(angle), 0.2 * math.sin(angle)), abs=1e-12)


def test_moons_without_noise_lie_on_their_half_circles() -> None:
    x, y = moons(n_samples=60, noise=0.0)
    assert [y.count(c) for c in (0, 1)] == [30, 30]
    for (px, py), label in zip(x, y, strict=True):
        if label == 0:
            assert math.hypot(px, py) == pytest.approx(1.0, abs=1e-12) and py >= -1e-12
        else:
            assert math.hypot(px - 1.0, py - 0.5) == pytest.approx(1.0, abs=1e-12)
            assert py <= 0.5 + 1e-12


def test_moons_noise_has_the_requested_size() -> None:
    clean, _ = moons(n_samples=400, noise=0.0)
    noisy, _ = moons(n_samples=400, noise=0.1)
    offsets = [a - b for p, q in zip(noisy, clean, strict=True) for a, b in zip(p, q, strict=True)]
    assert statistics.pstdev(offsets) == pytest.approx(0.1, abs=0.01)
