"""The operations registry agrees with the engine and the notation table."""

from __future__ import annotations

import pytest

from gradtrace import trace
from gradtrace.notation import OP_SYMBOLS
from gradtrace.ops import OPERATIONS, UnknownOperationError, lookup
from tests.random_graphs import random_graph


def test_every_engine_operation_is_registered() -> None:
    seen = {n.op for seed in range(200) for n in trace(random_graph(seed))}
    for op in seen - {"", "const"}:
        assert lookup(op).arity in (None, 1, 2), op
    for name in ("+", "-", "*", "/", "neg", "**", "exp", "log", "relu", "tanh", "sigmoid"):
        assert name in OPERATIONS


def test_symbols_match_the_figures() -> None:
    for name, symbol in OP_SYMBOLS.items():
        assert OPERATIONS[name].symbol == symbol, name


def test_local_templates_cover_every_operand() -> None:
    for op in OPERATIONS.values():
        count = 1 if op.arity is None else op.arity
        assert len(op.local_text) == len(op.local_latex) == count, op.name


def test_unknown_operation() -> None:
    with pytest.raises(UnknownOperationError, match="'cube'"):
        lookup("cube")
    assert lookup("ReLU").name == "relu"
