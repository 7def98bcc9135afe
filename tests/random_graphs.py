"""Random graphs with reuse, shared by the steps, frames and derivation tests."""

from __future__ import annotations

import random

from gradtrace import Value


def random_graph(seed: int, *, size: int = 10) -> Value:
    """A graph of every operation, nodes reused, `backward()` already run.

    The shape and the leaf values depend on `seed` only. Values stay in ranges where
    every operation is defined (positive arguments for log and fractional powers).
    """
    rng = random.Random(seed)
    leaves = [Value(rng.uniform(-2, 2), f"x{i}") for i in range(rng.randint(1, 4))]
    pool = list(leaves)
    for _ in range(rng.randint(1, size)):
        a, b = rng.choice(pool), rng.choice(pool)
        kind = rng.randrange(14)
        if kind == 0:
            out = a + b
        elif kind == 1:
            out = a * b
        elif kind == 2:
            out = a - b
        elif kind == 3:
            out = a / (b * b + 1.0)
        elif kind == 4:
            out = (a * 0.3).exp()
        elif kind == 5:
            out = (a * a + 0.5).log()
        elif kind == 6:
            out = a.tanh()
        elif kind == 7:
            out = a.sigmoid()
        elif kind == 8:
            out = a.relu() + 2.0 * b
        elif kind == 9:
            out = a ** rng.choice((2, 3, -1))
        elif kind == 10:
            out = Value.sum([a, b, rng.choice(pool)])
        elif kind == 11:
            out = Value.dot([a, b], [b, rng.choice(pool)])
        elif kind == 12:
            out = -a
        else:  # a power by a value: a positive base, an exponent in (−1, 1)
            out = (a * a + 1.0) ** b.tanh()
        pool.append(out)
    root = Value.sum(pool[-2:]) if len(pool) > 2 else pool[-1] * 1.0
    root.label = "f"
    root.backward()
    return root
