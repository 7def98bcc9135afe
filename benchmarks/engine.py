"""gradtrace's engine against micrograd 0.1.0 on the same user code.

The workload is micrograd's own demo: an MLP 2-16-16-1 with ReLU trained on
100 two-moons points with a max-margin (hinge) loss plus L2 regularisation,
by plain gradient descent. The model code below is written once and takes the
`Value` class as a parameter, so both engines run exactly the same Python and
build graphs of the same shape (same nodes, same numbers: the script checks
that both report the same losses). It uses only operations both engines have:
`+`, `*`, unary `-`, `relu`.

The two engines run side by side, alternating, and each timing is the median of
several runs. Peak memory per node is measured separately with `tracemalloc`
(which slows everything down, so it is never measured while timing).

Run it from the repository root:

    .venv/bin/python benchmarks/engine.py            # 7 runs of 3 iterations each
    .venv/bin/python benchmarks/engine.py --runs 3   # quicker
"""

from __future__ import annotations

import argparse
import gc
import itertools
import os
import platform
import random
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

# -- data -------------------------------------------------------------------


def two_moons(
    n: int = 100, noise: float = 0.1, seed: int = 1
) -> tuple[list[list[float]], list[int]]:
    """Two interleaving half circles (like scikit-learn's make_moons), labels -1 and +1."""
    rng = np.random.default_rng(seed)
    half = n // 2
    t_out = np.linspace(0.0, np.pi, half)
    t_in = np.linspace(0.0, np.pi, n - half)
    x = np.concatenate([np.cos(t_out), 1.0 - np.cos(t_in)])
    y = np.concatenate([np.sin(t_out), 0.5 - np.sin(t_in)])
    points = np.stack([x, y], axis=1) + rng.normal(0.0, noise, size=(n, 2))
    labels = [-1] * half + [1] * (n - half)
    return points.tolist(), labels


# -- the model: written once, for any Value class -----------------------------


class MLP:
    """micrograd's demo network: layers of ReLU neurons, a linear output neuron."""

    def __init__(self, value: type, sizes: Sequence[int], seed: int = 1337) -> None:
        rng = random.Random(seed)
        self.layers: list[list[tuple[list[Any], Any]]] = []
        for fan_in, fan_out in itertools.pairwise(sizes):
            layer = [
                ([value(rng.uniform(-1, 1)) for _ in range(fan_in)], value(0.0))
                for _ in range(fan_out)
            ]
            self.layers.append(layer)

    def parameters(self) -> list[Any]:
        return [p for layer in self.layers for w, b in layer for p in (*w, b)]

    def __call__(self, x: Sequence[Any]) -> Any:
        last = len(self.layers) - 1
        for i, layer in enumerate(self.layers):
            outs = []
            for w, b in layer:
                act = sum((wi * xi for wi, xi in zip(w, x, strict=True)), b)
                outs.append(act.relu() if i < last else act)
            x = outs
        return x[0]


def loss_of(model: MLP, points: list[list[float]], labels: list[int], alpha: float = 1e-4) -> Any:
    """Mean hinge loss plus L2 regularisation, exactly as in micrograd's demo notebook."""
    scores = [model(x) for x in points]
    losses = [(1 + -yi * si).relu() for yi, si in zip(labels, scores, strict=True)]
    data_loss = sum(losses) * (1.0 / len(losses))
    reg_loss = alpha * sum(p * p for p in model.parameters())
    return data_loss + reg_loss


def train(value: type, iterations: int) -> list[float]:
    """Gradient descent on the two moons; returns the loss of every iteration."""
    points, labels = two_moons()
    model = MLP(value, [2, 16, 16, 1])
    history = []
    for k in range(iterations):
        loss = loss_of(model, points, labels)
        for p in model.parameters():
            p.grad = 0.0
        loss.backward()
        lr = 1.0 - 0.9 * k / 100
        for p in model.parameters():
            p.data -= lr * p.grad
        history.append(loss.data)
    return history


# -- measuring ------------------------------------------------------------------


def count_nodes(root: Any) -> int:
    """The number of distinct values in a graph (works for either engine)."""
    seen = {id(root)}
    stack = [root]
    while stack:
        for child in stack.pop()._prev:
            if id(child) not in seen:
                seen.add(id(child))
                stack.append(child)
    return len(seen)


def seconds(fn: Callable[[], object]) -> float:
    """Wall time of `fn()`, including collecting the garbage it leaves behind.

    micrograd's graphs are reference cycles that only the cyclic garbage
    collector frees. Collecting before the clock starts and again before it
    stops charges each engine for its own garbage, instead of whichever engine
    happens to run when the collector next wakes up.
    """
    gc.collect()
    start = time.perf_counter()
    fn()
    gc.collect()
    return time.perf_counter() - start


def peak_bytes_per_node(value: type) -> tuple[float, float]:
    """Peak traced memory per node while building one iteration's graph, and after backward."""
    points, labels = two_moons()
    model = MLP(value, [2, 16, 16, 1])
    gc.collect()
    tracemalloc.start()
    loss = loss_of(model, points, labels)
    forward_peak = tracemalloc.get_traced_memory()[1]
    loss.backward()
    backward_peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    nodes = count_nodes(loss)
    return forward_peak / nodes, backward_peak / nodes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="timed runs per engine (median)")
    parser.add_argument("--iterations", type=int, default=3, help="training steps per run")
    args = parser.parse_args()

    import micrograd.engine

    import gradtrace

    engines = {"gradtrace": gradtrace.Value, "micrograd": micrograd.engine.Value}

    # Same code, same numbers: both engines must agree before their speed means anything.
    ref, other = (train(v, 2) for v in engines.values())
    if not all(abs(a - b) <= 1e-9 * max(1.0, abs(a)) for a, b in zip(ref, other, strict=True)):
        sys.exit(f"the engines disagree: {ref} vs {other}")

    points, labels = two_moons()
    nodes = count_nodes(loss_of(MLP(gradtrace.Value, [2, 16, 16, 1]), points, labels))

    times: dict[str, list[float]] = {name: [] for name in engines}
    for _ in range(args.runs):  # alternate, so both see the same machine noise
        for name, value in engines.items():
            times[name].append(seconds(lambda v=value: train(v, args.iterations)))

    medians = {name: statistics.median(t) for name, t in times.items()}
    print(f"python {platform.python_version()}, {platform.platform()}, {os.cpu_count()} cpus")
    print(f"graph per iteration: {nodes} nodes; {args.runs} runs x {args.iterations} iterations")
    for name, med in medians.items():
        per_iter = med / args.iterations
        rate = nodes / per_iter
        spread = f"min {min(times[name]):.3f} max {max(times[name]):.3f}"
        print(
            f"{name:>10}: median {med:.3f} s ({spread}), {per_iter * 1e3:.0f} ms/iteration, "
            f"{rate / 1e3:.0f}k nodes/s"
        )
    ratio = medians["micrograd"] / medians["gradtrace"]
    pairs = zip(times["gradtrace"], times["micrograd"], strict=True)
    paired = statistics.median([m / g for g, m in pairs])
    print(f"speed-up gradtrace vs micrograd: {ratio:.2f}x (median of per-run ratios {paired:.2f}x)")
    for name, value in engines.items():
        fwd, bwd = peak_bytes_per_node(value)
        print(f"{name:>10}: peak memory {fwd:.0f} B/node (forward), {bwd:.0f} B/node (+ backward)")


if __name__ == "__main__":
    main()
