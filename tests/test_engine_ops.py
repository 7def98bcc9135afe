"""Every operation's backward rule against central finite differences of its forward pass."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from functools import reduce

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gradtrace import Value
from gradtrace.engine import CONSTANT

Fn = Callable[..., Value]


def numeric_gradient(fn: Fn, xs: Sequence[float], h: float = 1e-6) -> list[float]:
    """∂fn/∂xᵢ by central differences, evaluating only the forward pass."""
    grads = []
    for i in range(len(xs)):
        up = [Value(x + h if j == i else x) for j, x in enumerate(xs)]
        down = [Value(x - h if j == i else x) for j, x in enumerate(xs)]
        grads.append((fn(*up).data - fn(*down).data) / (2 * h))
    return grads


def engine_gradient(fn: Fn, xs: Sequence[float]) -> list[float]:
    leaves = [Value(x) for x in xs]
    fn(*leaves).backward()
    return [leaf.grad for leaf in leaves]


# name, function of Values, a point where it is smooth
OPS: list[tuple[str, Fn, tuple[float, ...]]] = [
    ("a + b", lambda a, b: a + b, (0.7, -1.3)),
    ("a - b", lambda a, b: a - b, (0.7, -1.3)),
    ("a * b", lambda a, b: a * b, (0.7, -1.3)),
    ("a / b", lambda a, b: a / b, (0.7, -1.3)),
    ("-a", lambda a: -a, (0.7,)),
    ("a ** 2", lambda a: a**2, (0.7,)),
    ("a ** 3", lambda a: a**3, (-0.8,)),
    ("a ** -1", lambda a: a**-1, (0.7,)),
    ("a ** 0.5", lambda a: a**0.5, (0.7,)),
    ("a ** -2.5", lambda a: a**-2.5, (1.7,)),
    ("a ** 0", lambda a: a**0, (0.7,)),
    ("a ** b", lambda a, b: a**b, (1.7, -1.3)),
    ("a ** a", lambda a: a**a, (1.2,)),
    ("a.exp()", lambda a: a.exp(), (0.7,)),
    ("a.log()", lambda a: a.log(), (0.7,)),
    ("a.relu() > 0", lambda a: a.relu(), (0.7,)),
    ("a.relu() < 0", lambda a: a.relu(), (-0.7,)),
    ("a.tanh()", lambda a: a.tanh(), (0.7,)),
    ("a.sigmoid()", lambda a: a.sigmoid(), (0.7,)),
    ("a.sigmoid() < 0", lambda a: a.sigmoid(), (-3.1,)),
    ("3 + a", lambda a: 3 + a, (0.7,)),
    ("a + 3", lambda a: a + 3, (0.7,)),
    ("2 * a", lambda a: 2 * a, (0.7,)),
    ("a * 2", lambda a: a * 2, (0.7,)),
    ("1 - a", lambda a: 1 - a, (0.7,)),
    ("a - 1", lambda a: a - 1, (0.7,)),
    ("1 / a", lambda a: 1 / a, (0.7,)),
    ("a / 4", lambda a: a / 4, (0.7,)),
    ("2 ** a", lambda a: 2**a, (0.7,)),
    ("a * a", lambda a: a * a, (0.7,)),
    ("a / a", lambda a: a / a, (0.7,)),
    ("sum", lambda a, b, c: Value.sum([a, b, c, a, 2.5]), (0.7, -1.3, 2.1)),
    ("dot", lambda a, b, c, d: Value.dot([a, b], [c, d]), (0.7, -1.3, 2.1, 0.4)),
    ("dot with reuse", lambda a, b: Value.dot([a, b, a], [a, 3, b]), (0.7, -1.3)),
    ("sum of dot", lambda a, b: Value.sum([Value.dot([a], [b]), a * b]), (0.7, -1.3)),
]


@pytest.mark.parametrize(("name", "fn", "xs"), OPS, ids=[op[0] for op in OPS])
def test_operation_matches_finite_differences(name: str, fn: Fn, xs: tuple[float, ...]) -> None:
    expected = numeric_gradient(fn, xs)
    assert engine_gradient(fn, xs) == pytest.approx(expected, rel=1e-6, abs=1e-8)


# -- the fused n-ary operations ----------------------------------------------------


def test_sum_adds_left_to_right_from_zero_with_every_term_a_child() -> None:
    terms = [0.1, 0.2, 0.3, 1e16, -1e16, 0.7]
    values = [Value(t) for t in terms]
    s = Value.sum(values)
    assert s.data == reduce(lambda acc, t: acc + t, terms, 0.0)
    assert s._op == "sum"
    assert s._prev == tuple(values)


def test_sum_wraps_numbers_as_constants_and_accepts_any_iterable() -> None:
    a = Value(1.0, "a")
    s = Value.sum(t for t in (a, 2, 0.5))
    assert s.data == 3.5
    assert s._prev[0] is a
    assert [c._op for c in s._prev[1:]] == [CONSTANT, CONSTANT]
    s.backward()
    assert a.grad == 1.0


def test_sum_of_nothing_is_zero() -> None:
    s = Value.sum([])
    assert (s.data, s._op, s._prev) == (0.0, "sum", ())


def test_dot_interleaves_its_children_and_sums_left_to_right() -> None:
    xs, ys = [0.1, 1e16, 0.3, -1e16], [3.0, 1.0, 7.0, 1.0]
    a, b = [Value(x) for x in xs], [Value(y) for y in ys]
    d = Value.dot(a, b)
    assert d.data == reduce(lambda acc, p: acc + p[0] * p[1], zip(xs, ys, strict=True), 0.0)
    assert d._op == "dot"
    assert d._prev == (a[0], b[0], a[1], b[1], a[2], b[2], a[3], b[3])


def test_dot_gradients_are_the_other_factor() -> None:
    a, b = [Value(2.0), Value(-1.0)], [Value(3.0), Value(4.0)]
    Value.dot(a, b).backward()
    assert [v.grad for v in a] == [3.0, 4.0]
    assert [v.grad for v in b] == [2.0, -1.0]


def test_dot_of_a_value_with_itself_counts_both_factors() -> None:
    a = Value(3.0)
    d = Value.dot([a], [a])
    d.backward()
    assert (d.data, a.grad) == (9.0, 6.0)


def test_dot_wraps_numbers_as_constants() -> None:
    a = Value(2.0)
    d = Value.dot([a, 1.5], [4, a])
    assert d.data == 2.0 * 4 + 1.5 * 2.0
    assert [c._op for c in d._prev] == ["", CONSTANT, CONSTANT, ""]


def test_dot_of_unequal_lengths_is_a_value_error() -> None:
    with pytest.raises(ValueError, match=r"equal length.*2 and 3"):
        Value.dot([Value(1.0), Value(2.0)], [1.0, 2.0, 3.0])


# -- random expression graphs --------------------------------------------------------

# Each step combines earlier results (inputs or steps, picked by index, so values
# get reused and the graph is a DAG, not a tree). Every operation is smooth on
# the whole real line: divisors and logarithms see 1 + x², powers a positive base.
STEPS: dict[str, Callable[[Value, Value], Value]] = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / (1 + b * b),
    "rdiv": lambda a, b: 1 / (2 + a.tanh()),
    "neg": lambda a, b: -a,
    "square": lambda a, b: a**2,
    "sqrt": lambda a, b: (1 + a * a) ** 0.5,
    "pow": lambda a, b: (1 + a.sigmoid()) ** b.tanh(),
    "rpow": lambda a, b: 2 ** a.tanh(),
    "exp": lambda a, b: a.tanh().exp(),
    "log": lambda a, b: (1 + a * a).log(),
    "tanh": lambda a, b: a.tanh(),
    "sigmoid": lambda a, b: a.sigmoid(),
    "reflected": lambda a, b: 3 - 2 * a + 0.5,
    "sum": lambda a, b: Value.sum([a, b, a, 1.5]),
    "dot": lambda a, b: Value.dot([a, b], [b.tanh(), 0.5]),
}

programs = st.tuples(
    st.lists(st.floats(-2.0, 2.0), min_size=1, max_size=3),
    st.lists(
        st.tuples(st.sampled_from(sorted(STEPS)), st.integers(0, 99), st.integers(0, 99)),
        min_size=1,
        max_size=8,
    ),
)


def run(program: list[tuple[str, int, int]], leaves: Sequence[Value]) -> Value:
    values = list(leaves)
    for op, i, j in program:
        values.append(STEPS[op](values[i % len(values)], values[j % len(values)]))
    return values[-1]


@settings(max_examples=150, deadline=None, derandomize=True)
@given(programs)
def test_random_expression_graphs_match_finite_differences(
    case: tuple[list[float], list[tuple[str, int, int]]],
) -> None:
    xs, program = case

    def fn(*leaves: Value) -> Value:
        return run(program, leaves)

    scale = max(1.0, abs(fn(*map(Value, xs)).data))
    expected = numeric_gradient(fn, xs, h=1e-5)
    got = engine_gradient(fn, xs)
    for g, e in zip(got, expected, strict=True):
        assert math.isfinite(g)
        assert g == pytest.approx(e, rel=1e-4, abs=1e-6 * scale)
