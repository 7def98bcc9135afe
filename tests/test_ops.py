"""One registry of operations (gradtrace/ops.py), tied to every other place that knows them.

The engine is the truth: the operations it can make are read from its source (every
`Value(...)` it builds with an operation name) and seen by tracing random graphs. The
registry must hold exactly those; notation must have a way to write each, and the live
demo's JavaScript a rule to compute each. Remove an operation from any one of them and
a test here fails.
"""

from __future__ import annotations

import ast
import inspect
import re
from pathlib import Path

import pytest

from gradtrace import engine, notation, trace
from gradtrace.ops import ALIASES, OPERATIONS, UnknownOperationError, exponent_of, lookup
from tests.random_graphs import random_graph

WIDGET_JS = Path(__file__).resolve().parents[1] / "gradtrace" / "export" / "widget.js"


def family(op: str) -> str:
    """The registry's name for an `_op`: every power by a number is `"**n"`."""
    return "**n" if exponent_of(op) is not None else op


def engine_operations() -> set[str]:
    """Every operation name `gradtrace.engine` gives a value it builds, read from its source."""
    names = set()
    for node in ast.walk(ast.parse(inspect.getsource(engine))):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Value":
            if len(node.args) < 4:
                continue
            op = node.args[3]
            if isinstance(op, ast.Constant):
                names.add(op.value)
            elif isinstance(op, ast.Call) and getattr(op.func, "id", None) == "_power_op":
                names.add("**n")
            else:  # CONSTANT: a leaf, not an operation
                assert isinstance(op, ast.Name) and op.id == "CONSTANT", ast.dump(op)
    return names


def widget_js_operations() -> set[str]:
    """The keys of widget.js's `OPS` table (the forward and backward rule of each op)."""
    source = WIDGET_JS.read_text(encoding="utf-8")
    block = re.search(r"\n  var OPS = \{\n(.*?)\n  \};\n", source, re.S)
    assert block is not None, "widget.js has no `var OPS = {...};` table"
    return {a or b for a, b in re.findall(r'^ {4}(?:"([^"]+)"|(\w+)): \{', block[1], re.M)}


def test_the_engine_makes_these_operations() -> None:
    """The source scan finds what the engine's docs list, so the ties below mean something."""
    assert engine_operations() >= {"+", "*", "**", "**n", "exp", "log", "relu", "sum", "dot"}


def test_the_registry_holds_exactly_the_engines_operations() -> None:
    assert set(OPERATIONS) == engine_operations()


def test_random_graphs_use_every_registered_operation() -> None:
    seen = {family(n.op) for seed in range(200) for n in trace(random_graph(seed))}
    assert seen - {"", "const"} == set(OPERATIONS)


def test_notation_writes_every_registered_operation() -> None:
    assert set(notation._EXPRESSION_FORMS) == set(OPERATIONS)


def test_widget_js_computes_every_registered_operation() -> None:
    # A power by a number has no entry of its own: widget.js's powerBy(n) makes its rule.
    assert widget_js_operations() | {"**n"} == set(OPERATIONS)
    assert "function powerBy(n)" in WIDGET_JS.read_text(encoding="utf-8")


def test_widget_js_has_no_alias_table_of_its_own() -> None:
    """The aliases reach the page from the registry (see test_widget), never a JS copy."""
    source = WIDGET_JS.read_text(encoding="utf-8")
    for alias in ALIASES:
        assert f"{alias}:" not in source and f'"{alias}"' not in source, alias


def test_symbols_come_from_the_registry() -> None:
    for name, op in OPERATIONS.items():
        if name != "**n":
            assert notation.op_symbol(name) == op.symbol, name
    for alias, name in ALIASES.items():
        assert notation.op_symbol(alias) == OPERATIONS[name].symbol, alias
        assert lookup(alias).name == name


def test_aliases_name_registered_operations() -> None:
    assert set(ALIASES.values()) <= set(OPERATIONS)
    assert {"ReLU", "Relu", "σ"} <= set(ALIASES)  # micrograd's spelling among them


def test_local_templates_cover_every_operand() -> None:
    for op in OPERATIONS.values():
        count = 1 if op.arity is None else op.arity
        assert len(op.local_text) == len(op.local_latex) == count, op.name


def test_unknown_operation() -> None:
    with pytest.raises(UnknownOperationError, match="'cube'"):
        lookup("cube")
    assert lookup("ReLU").name == "relu"
