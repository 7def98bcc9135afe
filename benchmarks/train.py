"""The seed task, timed: gradtrace against micrograd 0.1.0 in the original style.

The task is SPEC §3's run: `four_blobs()`, a `LinearLayer(2, 4)`, full-batch
gradient descent with learning rate 1.0 for 500 iterations (forward, softmax,
cross-entropy, zero_grad, backward, update, accuracy).

The baseline is micrograd 0.1.0's `Value`, extended here with `exp` and `log`
written the way micrograd writes every operation (a closure per node that
reads `out.grad`), running the same model in the original closure-per-node
style: one `Value` per scalar operation, `sum()` over products for each
neuron, `a / b` as `a * b**-1`. Both start from the same weights and must end
at the same loss, so they are doing the same arithmetic.

The two run alternately in the same process, `--runs` times each (default 3);
the script prints the medians, their ratio and a Markdown block for
`benchmarks/RESULTS.md`.

    .venv/bin/python benchmarks/train.py [--runs N] [--epochs N]
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

from micrograd.engine import Value as MgValue

from gradtrace.data import four_blobs
from gradtrace.nn import LinearLayer
from gradtrace.train import train

LR = 1.0
EPSILON = 1e-6


# -- micrograd, extended with exp and log in its own style ----------------------


def _mg_exp(self: Any) -> Any:
    out = MgValue(math.exp(self.data), (self,), "exp")

    def _backward() -> None:
        self.grad += out.data * out.grad

    out._backward = _backward
    return out


def _mg_log(self: Any) -> Any:
    out = MgValue(math.log(self.data), (self,), "log")

    def _backward() -> None:
        self.grad += (1 / self.data) * out.grad

    out._backward = _backward
    return out


MgValue.exp = _mg_exp
MgValue.log = _mg_log


def micrograd_train(
    x: list[list[float]], y: list[int], w0: list[list[float]], epochs: int
) -> tuple[float, float]:
    """SPEC §3's loop with micrograd values; returns the final (loss, accuracy)."""
    nin, nout = len(w0), len(w0[0])
    w = [[MgValue(v) for v in row] for row in w0]
    b = [MgValue(0.0) for _ in range(nout)]
    params = [v for row in w for v in row] + b
    n = len(x)
    loss_value = acc = math.nan
    for _ in range(epochs):
        # forward: logits, softmax, cross-entropy
        logits = [
            [sum((w[i][j] * row[i] for i in range(nin)), b[j]) for j in range(nout)] for row in x
        ]
        probs = []
        for z in logits:
            m = max(v.data for v in z)
            exps = [(v - m).exp() for v in z]
            total = sum(exps)
            probs.append([e / total for e in exps])
        loss = -(sum((p[label] + EPSILON).log() for p, label in zip(probs, y, strict=True)) / n)
        hits = sum(
            max(range(nout), key=lambda j, z=z: z[j].data) == label
            for z, label in zip(logits, y, strict=True)
        )
        acc = hits / n
        # backward and update
        for p in params:
            p.grad = 0
        loss.backward()
        for p in params:
            p.data -= LR * p.grad
        loss_value = loss.data
    return loss_value, acc


def gradtrace_train(x: list[list[float]], y: list[int], epochs: int) -> tuple[float, float]:
    history = train(x, y, LinearLayer(2, 4), lr=LR, epochs=epochs)
    return history.final_loss, history.final_accuracy


def _timed(fn: Callable[[], tuple[float, float]]) -> tuple[float, float, tuple[float, float]]:
    """Wall-clock seconds, CPU seconds of this process, and the result."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = fn()
    return time.perf_counter() - wall, time.process_time() - cpu, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=500)
    args = parser.parse_args()

    x, y = four_blobs()
    w0 = [[v.data for v in row] for row in LinearLayer(2, 4).w]
    times: dict[str, list[float]] = {"gradtrace": [], "micrograd": []}
    cpu: dict[str, list[float]] = {"gradtrace": [], "micrograd": []}
    results = {}
    for run in range(args.runs):
        for name, fn in (
            ("gradtrace", lambda: gradtrace_train(x, y, args.epochs)),
            ("micrograd", lambda: micrograd_train(x, y, w0, args.epochs)),
        ):
            seconds, cpu_seconds, results[name] = _timed(fn)
            times[name].append(seconds)
            cpu[name].append(cpu_seconds)
            print(
                f"run {run + 1}: {name:9s} {seconds:6.2f} s wall, {cpu_seconds:6.2f} s CPU",
                file=sys.stderr,
            )

    (g_loss, g_acc), (m_loss, m_acc) = results["gradtrace"], results["micrograd"]
    if not (math.isclose(g_loss, m_loss, rel_tol=1e-9) and g_acc == m_acc):
        sys.exit(f"the two runs disagree: gradtrace {g_loss}, {g_acc}; micrograd {m_loss}, {m_acc}")

    g, m = statistics.median(times["gradtrace"]), statistics.median(times["micrograd"])
    g_cpu, m_cpu = statistics.median(cpu["gradtrace"]), statistics.median(cpu["micrograd"])
    runs = {name: ", ".join(f"{t:.2f}" for t in ts) for name, ts in times.items()}
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    print(f"- Machine: {machine}")
    command = f"benchmarks/train.py --runs {args.runs} --epochs {args.epochs}"
    print(f"- Command: `.venv/bin/python {command}`")
    print(f"- Both reach loss {g_loss:.4f}, accuracy {g_acc:.0%}")
    print(f"- gradtrace: median {g:.2f} s (runs: {runs['gradtrace']})")
    print(f"- micrograd 0.1.0 + exp/log: median {m:.2f} s (runs: {runs['micrograd']})")
    print(f"- CPU time medians: gradtrace {g_cpu:.2f} s, micrograd {m_cpu:.2f} s")
    ratio = f"**{m / g:.1f}×** wall, {m_cpu / g_cpu:.1f}× CPU"
    print(f"- Ratio of the medians (micrograd / gradtrace): {ratio}")


if __name__ == "__main__":
    main()
