"""The engine against independent truth: SPEC §2's numbers, closed forms and finite differences."""

from __future__ import annotations

import math

import pytest
from spec_tables import FIGURE1_TRACE

from gradtrace import Value
from gradtrace.engine import CONSTANT


def figure1() -> dict[str, Value]:
    """SPEC §2's example, σ built from multiply, add, exp and power as the figure draws it."""
    w1, w2 = Value(0.2, "w₁"), Value(0.4, "w₂")
    x1, x2 = Value(-0.4, "x₁"), Value(0.5, "x₂")
    w1sq, w2sq = w1**2, w2**2
    w1x1, w2x2 = w1 * x1, w2 * x2
    z = w1x1 + w2x2
    e = (z * -1).exp()
    G = (1 + e) ** -1
    u = w1sq + w2sq
    R = 0.5 * u
    f = G + R
    for v, name in [
        (w1sq, "w₁²"),
        (w2sq, "w₂²"),
        (w1x1, "w₁x₁"),
        (w2x2, "w₂x₂"),
        (z, "z"),
        (u, "u"),
        (R, "R"),
        (G, "G = σ(z)"),
        (f, "f"),
    ]:
        v.label = name
    f.backward()
    return {v.label: v for v in (w1, w2, x1, x2, w1sq, w2sq, w1x1, w2x2, z, u, R, G, f)}


@pytest.mark.parametrize(("label", "forward", "gradient"), FIGURE1_TRACE)
def test_figure1_matches_the_spec_trace_table(label: str, forward: str, gradient: str) -> None:
    v = figure1()[label]
    assert f"{v.data:.4f}" == forward
    assert f"{v.grad:.4f}" == gradient


def test_figure1_has_all_thirteen_rows() -> None:
    assert sorted(figure1()) == sorted(row[0] for row in FIGURE1_TRACE)


def test_figure1_matches_the_closed_form_gradients() -> None:
    nodes = figure1()
    w1, w2, x1, x2 = (nodes[k].data for k in ("w₁", "w₂", "x₁", "x₂"))
    s = w1 * x1 + w2 * x2
    sig = 1.0 / (1.0 + math.exp(-s))
    dsig = sig * (1.0 - sig)
    assert nodes["f"].data == pytest.approx(sig + 0.5 * (w1**2 + w2**2), abs=1e-12)
    assert nodes["x₁"].grad == pytest.approx(dsig * w1, abs=1e-12)
    assert nodes["x₂"].grad == pytest.approx(dsig * w2, abs=1e-12)
    assert nodes["w₁"].grad == pytest.approx(dsig * x1 + w1, abs=1e-12)
    assert nodes["w₂"].grad == pytest.approx(dsig * x2 + w2, abs=1e-12)


def test_figure1_records_the_operations_it_was_built_from() -> None:
    nodes = figure1()
    assert nodes["G = σ(z)"]._op == "**-1"
    assert nodes["w₁²"]._op == "**2"
    assert nodes["z"]._op == "+"
    assert nodes["w₁x₁"]._prev == (nodes["w₁"], nodes["x₁"])
    assert nodes["R"]._prev[0]._op == CONSTANT
    assert isinstance(nodes["f"]._prev, tuple)


# -- accumulation and repeated backward -------------------------------------------


def test_a_reused_node_accumulates_through_both_paths() -> None:
    a = Value(3.0, "a")
    b = a + a
    c = b * b
    c.backward()
    # c = (2a)², dc/db = 2b = 12, dc/da = 8a = 24
    assert (b.data, c.data) == (6.0, 36.0)
    assert b.grad == 12.0
    assert a.grad == 24.0


def test_backward_twice_doubles_leaves_and_leaves_intermediates_alone() -> None:
    x, y = Value(1.5, "x"), Value(-0.5, "y")
    h = x * y + x.tanh()
    out = h.exp() - y / 3
    out.backward()
    first = (x.grad, y.grad, h.grad, out.grad)
    out.backward()
    assert x.grad == 2 * first[0]
    assert y.grad == 2 * first[1]
    assert h.grad == first[2]
    assert out.grad == 1.0


def test_backward_of_a_leaf_seeds_it_with_one() -> None:
    a = Value(4.0)
    a.backward()
    assert a.grad == 1.0


def test_topological_order_puts_children_first_in_operand_order() -> None:
    a, b = Value(1.0, "a"), Value(2.0, "b")
    c = a * b
    d = c + a
    order = d.topological_order()
    assert order == [a, b, c, d]


def test_a_million_node_chain_needs_no_recursion() -> None:
    x = Value(0.5, "x")
    y = x
    for _ in range(1_000_000):
        y = -y
    y.backward()
    assert y.data == 0.5  # an even number of negations
    assert x.grad == 1.0
    depth, node = 0, y
    while node._prev:
        depth, node = depth + 1, node._prev[0]
    assert (depth, node) == (1_000_000, x)


@pytest.mark.parametrize(
    ("exponent", "op"),
    [
        (2, "**2"),
        (2.0, "**2"),
        (-1, "**-1"),
        (0.5, "**0.5"),
        (-2.5, "**-2.5"),
        (1e20, "**100000000000000000000"),
    ],
)
def test_power_by_a_number_names_the_exponent(exponent: float, op: str) -> None:
    assert (Value(1.5) ** exponent)._op == op


def test_power_by_many_different_exponents_still_names_each() -> None:
    ops = {(Value(1.5) ** (k / 7))._op for k in range(1, 1000)}
    assert len(ops) == 999
    assert "**0.14285714285714285" in ops


# -- constants ------------------------------------------------------------------------


def test_constant_is_a_leaf_the_figures_draw_as_a_number() -> None:
    from gradtrace import trace

    c = Value.constant(2, "two")
    assert (c.data, type(c.data), c.label, c._prev, c._op) == (2.0, float, "two", (), CONSTANT)
    x = Value(3.0, "x")
    y = x * c
    y.backward()
    assert (x.grad, c.grad) == (2.0, 3.0)
    roles = {n.label: n.role for n in trace(y)}
    assert (roles["x"], roles["two"]) == ("input", "constant")
    # A plain number in an expression becomes the same kind of leaf.
    assert (x * 2)._prev[1]._op == (2 * x)._prev[0]._op == CONSTANT


def test_no_module_passes_values_private_arguments() -> None:
    """Only gradtrace.engine calls `Value(data, label, _prev, _op)`; others use `Value.constant`."""
    import ast
    from pathlib import Path

    package = Path(__file__).resolve().parents[1] / "gradtrace"
    offenders = []
    for path in sorted(package.rglob("*.py")):
        if path.name == "engine.py" and path.parent == package:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Value":
                private = [k.arg for k in node.keywords if (k.arg or "").startswith("_")]
                if len(node.args) > 2 or private:
                    offenders.append(f"{path.relative_to(package.parent)}:{node.lineno}")
    assert offenders == []
