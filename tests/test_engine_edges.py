"""Bad input, IEEE edges (checked against NumPy), numpy scalars and memory."""

from __future__ import annotations

import gc
import math
import weakref
from collections.abc import Callable, Iterator

import numpy as np
import pytest

from gradtrace import Value

# -- bad input ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "type_name"),
    [
        ("1.5", "str"),
        (None, "NoneType"),
        (1 + 2j, "complex"),
        ([1.0], "list"),
        (np.ones(1), "ndarray"),
    ],
)
def test_non_numeric_data_is_a_type_error_naming_the_type(data: object, type_name: str) -> None:
    with pytest.raises(TypeError, match=rf"Value data must be a real number, got {type_name}$"):
        Value(data)  # type: ignore[arg-type]


OPERAND_ERRORS: list[tuple[str, Callable[[Value], object], str]] = [
    ("a ** 'x'", lambda a: a ** "2", "str"),  # type: ignore[operator]
    ("a ** None", lambda a: a**None, "NoneType"),  # type: ignore[operator]
    ("a ** 1j", lambda a: a**1j, "complex"),  # type: ignore[operator]
    ("'x' ** a", lambda a: "x" ** a, "str"),  # type: ignore[operator]
    ("a + 'x'", lambda a: a + "x", "str"),  # type: ignore[operator]
    ("'x' + a", lambda a: "x" + a, "str"),  # type: ignore[operator]
    ("a - None", lambda a: a - None, "NoneType"),  # type: ignore[operator]
    ("None - a", lambda a: None - a, "NoneType"),  # type: ignore[operator]
    ("a * None", lambda a: a * None, "NoneType"),  # type: ignore[operator]
    ("None * a", lambda a: None * a, "NoneType"),  # type: ignore[operator]
    ("a / 'x'", lambda a: a / "x", "str"),  # type: ignore[operator]
    ("'x' / a", lambda a: "x" / a, "str"),  # type: ignore[operator]
    ("sum", lambda a: Value.sum([a, "x"]), "str"),  # type: ignore[list-item]
    ("dot", lambda a: Value.dot([a], [None]), "NoneType"),  # type: ignore[list-item]
]


@pytest.mark.parametrize(
    ("name", "fn", "type_name"), OPERAND_ERRORS, ids=[e[0] for e in OPERAND_ERRORS]
)
def test_non_numeric_operands_are_type_errors_naming_the_type(
    name: str, fn: Callable[[Value], object], type_name: str
) -> None:
    with pytest.raises(TypeError, match=rf"'?{type_name}'?"):
        fn(Value(2.0))


# -- numpy scalars ----------------------------------------------------------------


def test_numpy_scalars_are_accepted_as_data_and_operands() -> None:
    a = Value(np.float32(0.5))
    assert type(a.data) is float and a.data == 0.5
    assert type(Value(np.int64(3)).data) is float
    for b in (a * np.float64(2.0), np.float64(2.0) * a, np.int64(1) + a, a - np.int8(1)):
        assert isinstance(b, Value)
        assert type(b.data) is float
    c = a ** np.int32(2)
    assert (c._op, c.data) == ("**2", 0.25)
    d = np.float64(2.0) ** a
    assert isinstance(d, Value) and d.data == pytest.approx(math.sqrt(2.0))


# -- IEEE edges, compared with NumPy ---------------------------------------------

INF, NAN = math.inf, math.nan


def same(x: float, y: float) -> bool:
    """Equal as IEEE values: nan matches nan, and 0.0 does not match -0.0."""
    if math.isnan(x) or math.isnan(y):
        return math.isnan(x) and math.isnan(y)
    return x == y and math.copysign(1.0, x) == math.copysign(1.0, y)


def ieee_cases() -> Iterator[
    tuple[str, Callable[[Value, Value], Value], Callable[..., float], float, float]
]:
    """(name, engine op, numpy op, a, b) for every domain edge the issue names."""
    for x in (0.0, -0.0, -1.0, INF, -INF, NAN, 1e-320):
        yield "log", lambda a, b: a.log(), lambda a, b: np.log(a), x, 0.0
    for x in (1000.0, -1000.0, INF, -INF, NAN, 709.0):
        yield "exp", lambda a, b: a.exp(), lambda a, b: np.exp(a), x, 0.0
    for x, n in [
        (0.0, -1.0),
        (-0.0, -1.0),
        (-0.0, -2.0),
        (0.0, -0.5),
        (-0.0, -0.5),
        (-8.0, 1 / 3),
        (-8.0, 0.5),
        (10.0, 400.0),
        (-10.0, 401.0),
        (-10.0, 400.0),
        (0.5, -2000.0),
        (-0.5, -2001.0),
        (INF, -1.0),
        (-INF, 3.0),
        (NAN, 0.0),
        (1.0, NAN),
        (0.0, 0.0),
    ]:
        yield "a ** n", lambda a, b: a**b.data, lambda a, b: np.power(a, b), x, n
        yield "a ** b", lambda a, b: a**b, lambda a, b: np.power(a, b), x, n
    for x, y in [(1.0, 0.0), (-1.0, 0.0), (1.0, -0.0), (0.0, 0.0), (NAN, 0.0), (INF, INF)]:
        yield "a / b", lambda a, b: a / b, lambda a, b: np.divide(a, b), x, y
    for x, y in [(1e308, 10.0), (INF, 0.0), (INF, -INF)]:
        yield "a * b", lambda a, b: a * b, lambda a, b: np.multiply(a, b), x, y
        yield "a + b", lambda a, b: a + b, lambda a, b: np.add(a, b), x, y
        yield "a - b", lambda a, b: a - b, lambda a, b: np.subtract(a, b), x, y
    for x in (INF, -INF, NAN):
        yield "tanh", lambda a, b: a.tanh(), lambda a, b: np.tanh(a), x, 0.0
        yield "sigmoid", lambda a, b: a.sigmoid(), lambda a, b: 1 / (1 + np.exp(-a)), x, 0.0
        yield (
            "relu",
            lambda a, b: a.relu(),
            lambda a, b: np.where(a > 0, a, 0.0) if a == a else a,
            x,
            0.0,
        )


CASES = list(ieee_cases())


@pytest.mark.parametrize(
    ("name", "op", "ref", "x", "y"), CASES, ids=[f"{c[0]}({c[3]!r},{c[4]!r})" for c in CASES]
)
def test_domain_edges_follow_numpy_and_backward_never_raises(
    name: str, op: Callable[[Value, Value], Value], ref: Callable[..., float], x: float, y: float
) -> None:
    with np.errstate(all="ignore"):
        expected = float(ref(np.float64(x), np.float64(y)))
    a, b = Value(x), Value(y)
    out = op(a, b)
    assert isinstance(out.data, float)
    assert same(out.data, expected), (out.data, expected)
    (out * 2).backward()  # must not raise, whatever the gradient is
    assert isinstance(a.grad, float) and isinstance(b.grad, float)


EDGE_GRADIENTS: list[tuple[str, Callable[[Value], Value], float, float]] = [
    # name, op, x, d op/dx computed with NumPy's IEEE arithmetic
    ("log at 0", lambda a: a.log(), 0.0, INF),
    ("log at -0", lambda a: a.log(), -0.0, -INF),
    ("exp overflow", lambda a: a.exp(), 1000.0, INF),
    ("1/x at 0", lambda a: 1 / a, 0.0, -INF),
    ("x ** -1 at 0", lambda a: a**-1, 0.0, -INF),
    ("sqrt at 0", lambda a: a**0.5, 0.0, INF),
    ("relu of nan", lambda a: a.relu(), NAN, NAN),
    ("tanh of nan", lambda a: a.tanh(), NAN, NAN),
    ("log of nan", lambda a: a.log(), NAN, NAN),
]


@pytest.mark.parametrize(
    ("name", "op", "x", "expected"), EDGE_GRADIENTS, ids=[e[0] for e in EDGE_GRADIENTS]
)
def test_gradients_at_domain_edges_are_ieee(
    name: str, op: Callable[[Value], Value], x: float, expected: float
) -> None:
    a = Value(x)
    op(a).backward()
    assert same(a.grad, expected), a.grad


def test_nan_and_inf_propagate_through_backward() -> None:
    x, w = Value(NAN, "x"), Value(2.0, "w")
    (x * w + 1).tanh().backward()
    assert math.isnan(x.grad) and math.isnan(w.grad)

    y, v = Value(1000.0, "y"), Value(3.0, "v")
    (y.exp() * v).backward()
    assert v.grad == INF and y.grad == INF


# -- memory: no reference cycles ---------------------------------------------------


def build_graph() -> tuple[Value, list[Value]]:
    x, y = Value(0.3, "x"), Value(-1.2, "y")
    h = Value.sum([x * y, x / y, x - y, -x, x**2, y**x, 2**x])
    out = Value.dot([h.exp(), h.log(), h.relu()], [h.tanh(), h.sigmoid(), 1.5]) + 1
    out.backward()
    return out, out.topological_order()


def closure_refs(nodes: list[Value]) -> list[weakref.ref[object]]:
    """Weak references to every operation node's backward closure.

    A closure lives exactly as long as its node (nothing else refers to it), so
    a dead closure means a freed node.
    """
    return [weakref.ref(n._backward) for n in nodes if n._prev]


def test_a_graph_is_freed_without_the_cycle_collector() -> None:
    gc.collect()
    gc.disable()
    try:
        out, nodes = build_graph()
        refs = closure_refs(nodes)
        assert len(refs) >= 15
        del out, nodes
        assert [r() for r in refs] == [None] * len(refs)
    finally:
        gc.enable()


def capture_own_node(node: Value) -> None:
    """Give `node` a backward closure that refers to `node` itself: a reference cycle."""
    inner = node._backward

    def _backward(g: float) -> None:
        inner(g + 0.0 * node.grad)

    node._backward = _backward


def test_the_cycle_check_would_catch_a_cycle() -> None:
    gc.collect()
    gc.disable()
    try:
        out, nodes = build_graph()
        capture_own_node(out)
        refs = [*closure_refs(nodes[:-1]), weakref.ref(out._backward)]
        del out, nodes
        assert refs[-1]() is not None
    finally:
        gc.enable()
        gc.collect()


@pytest.mark.parametrize(
    ("make", "what"),
    [
        (lambda: Value(10**400), "Value data"),
        (lambda: Value(1.0) * 10**400, "a number in an expression"),
        (lambda: 10**400 + Value(1.0), "a number in an expression"),
        (lambda: Value(2.0) ** 10**400, "an exponent"),
    ],
)
def test_ints_beyond_float_range_are_one_clear_line(make: Callable[[], object], what: str) -> None:
    from gradtrace.errors import GradtraceError, NumberError

    with pytest.raises(NumberError) as error:
        make()
    message = str(error.value)
    assert message.startswith(f"{what} is too large for a float") and "\n" not in message
    assert "about 10^400" in message and "float('inf')" in message
    assert isinstance(error.value, GradtraceError) and isinstance(error.value, ValueError)
