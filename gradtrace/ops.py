"""The operations registry: one entry per operation the engine knows.

Each `Operation` says, in one place, what the rest of gradtrace needs to know about an
operation beyond its forward rule: its name (the `_op` the engine records), its arity, the
symbol figures draw, its local derivatives written out (Unicode and LaTeX, one template
per operand), how a forward step reads with numbers in it, and the numbers its backward
rule adds to each operand's gradient, computed exactly as `gradtrace.engine` computes them
(same operations, same order), so a replay of the backward pass gives the engine's
gradients to the last bit.

The step-by-step walk (`gradtrace.steps`), the generated derivations
(`gradtrace.export.derivation`) and `gradtrace.notation` (its symbols, its aliases) read
this table, and the live demo's script gets `ALIASES` from it. Two places keep what only
they can: the engine its methods, and the live demo's JavaScript (`widget.js`) a twin of
each forward and backward rule, under the same name. tests/test_ops.py ties them all to
this table: the engine's operations (read from its source and seen in random graphs),
notation's way of writing each one, and widget.js's rules must be exactly these.

Templates use these fields: `{a}` and `{b}` the first and second operand, `{x}` the
operand being differentiated, `{partner}` the other factor of its product in a `dot`,
`{out}` the result, `{n}` and `{m}` the exponent of a power by a number and `n − 1`.
Each field is filled with the operand's name as `gradtrace.notation.Naming` gives it,
put in parentheses unless it reads as one symbol (`w₁`, `e⁻ᶻ`, `σ(z)`, `0.5`).

Example:
    >>> op = lookup("*")
    >>> op.local_text[1], op.local_latex[1]
    ('{a}', '{a}')
    >>> op.grads([0.2, -0.4], -0.08, 1.0)
    [-0.4, 0.2]
    >>> lookup("**2").local_text[0]
    '{n}·{a}^{m}'
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from gradtrace.engine import _div, _log, _pow

__all__ = ["ALIASES", "OPERATIONS", "Operation", "UnknownOperationError", "exponent_of", "lookup"]

from gradtrace.errors import GradtraceError

_NAN = math.nan

Grads = Callable[[Sequence[float], float, float], list[float]]


class UnknownOperationError(GradtraceError, KeyError):
    """An operation name the registry does not know (another engine's custom op, say)."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


@dataclass(frozen=True)
class Operation:
    """What gradtrace knows about one operation.

    Attributes:
        name: The `_op` the engine records (`"*"`, `"exp"`, `"**n"` for every power by
            a number: `"**2"`, `"**-1"`, ...).
        arity: How many operands it takes (None: any number, as `sum` and `dot`).
        symbol: What a figure draws in the operation's circle.
        local_text: The local derivative ∂out/∂operand, per operand (Unicode template).
            For n-ary operations one template serves every operand.
        local_latex: The same, as LaTeX math.
        forward_text: How a forward step reads with numbers (`{0} × {1}`); n-ary
            operations repeat `forward_term` joined by `forward_join`.
        grads: `grads(operands, out, g)`: what the backward rule adds to each operand's
            gradient when the result's gradient is `g` (engine arithmetic).
    """

    name: str
    arity: int | None
    symbol: str
    local_text: tuple[str, ...]
    local_latex: tuple[str, ...]
    forward_text: str
    grads: Grads

    def local_templates(self, position: int, latex: bool = False) -> str:
        """The template of ∂out/∂(operand at `position`)."""
        table = self.local_latex if latex else self.local_text
        return table[0] if self.arity is None or len(table) == 1 else table[position]


def _add(x: Sequence[float], out: float, g: float) -> list[float]:
    return [g, g]


def _sub(x: Sequence[float], out: float, g: float) -> list[float]:
    return [g, -g]


def _mul(x: Sequence[float], out: float, g: float) -> list[float]:
    return [x[1] * g, x[0] * g]


def _truediv(x: Sequence[float], out: float, g: float) -> list[float]:
    a, b = x
    return [_div(g, b), -_div(a * g, b * b)]


def _neg(x: Sequence[float], out: float, g: float) -> list[float]:
    return [-g]


def _pow_value(x: Sequence[float], out: float, g: float) -> list[float]:
    a, b = x
    return [
        b * _pow(a, b - 1) * g if b != 0 else 0.0,
        out * _log(a) * g if out != 0 else 0.0,
    ]


def _exp(x: Sequence[float], out: float, g: float) -> list[float]:
    return [out * g]


def _log_rule(x: Sequence[float], out: float, g: float) -> list[float]:
    return [_div(g, x[0])]


def _relu(x: Sequence[float], out: float, g: float) -> list[float]:
    a = x[0]
    if a > 0:
        return [g]
    return [_NAN] if a != a else [0.0]


def _tanh(x: Sequence[float], out: float, g: float) -> list[float]:
    return [(1.0 - out * out) * g]


def _sigmoid(x: Sequence[float], out: float, g: float) -> list[float]:
    return [out * (1.0 - out) * g]


def _sum(x: Sequence[float], out: float, g: float) -> list[float]:
    return [g] * len(x)


def _dot(x: Sequence[float], out: float, g: float) -> list[float]:
    grads = [0.0] * len(x)
    for i in range(0, len(x) - 1, 2):
        grads[i] = x[i + 1] * g
        grads[i + 1] = x[i] * g
    return grads


def _power_by(n: float) -> Grads:
    def grads(x: Sequence[float], out: float, g: float) -> list[float]:
        return [n * _pow(x[0], n - 1) * g if n != 0 else 0.0]

    return grads


def _op(
    name: str,
    arity: int | None,
    symbol: str,
    text: tuple[str, ...],
    latex: tuple[str, ...],
    forward: str,
    grads: Grads,
) -> Operation:
    return Operation(name, arity, symbol, text, latex, forward, grads)


#: Every operation of `gradtrace.engine`, by `_op` name (`"**n"`: power by a number).
OPERATIONS: dict[str, Operation] = {
    op.name: op
    for op in (
        _op("+", 2, "+", ("1", "1"), ("1", "1"), "{0} + {1}", _add),
        _op("-", 2, "−", ("1", "−1"), ("1", "-1"), "{0} − {1}", _sub),
        _op("*", 2, "×", ("{b}", "{a}"), ("{b}", "{a}"), "{0} × {1}", _mul),
        _op(
            "/",
            2,
            "÷",
            ("1/{b}", "−{a}/{b}²"),
            (r"\frac{1}{{b}}", r"-\frac{{a}}{{b}^{2}}"),
            "{0} / {1}",
            _truediv,
        ),
        _op("neg", 1, "−", ("−1",), ("-1",), "−{0}", _neg),
        _op(
            "**",
            2,
            "pow",
            ("{b}·{a}^({b} − 1)", "{out}·ln {a}"),
            (r"{b} \cdot {a}^{{b} - 1}", r"{out} \cdot \ln {a}"),
            "{0}^{1}",
            _pow_value,
        ),
        _op("**n", 1, "(·)ⁿ", ("{n}·{a}^{m}",), (r"{n} \cdot {a}^{{m}}",), "{0}^{n}", _power_by(2)),
        _op("exp", 1, "exp", ("{out}",), ("{out}",), "exp({0})", _exp),
        _op("log", 1, "log", ("1/{a}",), (r"\frac{1}{{a}}",), "ln({0})", _log_rule),
        _op("relu", 1, "relu", ("[{a} > 0]",), ("[{a} > 0]",), "relu({0})", _relu),
        _op("tanh", 1, "tanh", ("1 − {out}²",), ("1 - {out}^{2}",), "tanh({0})", _tanh),
        _op(
            "sigmoid",
            1,
            "σ",
            ("{out}(1 − {out})",),
            (r"{out}\left(1 - {out}\right)",),
            "σ({0})",
            _sigmoid,
        ),
        _op("sum", None, "Σ", ("1",), ("1",), "{0} + {1} + …", _sum),
        _op("dot", None, "·", ("{partner}",), ("{partner}",), "{0} × {1} + …", _dot),
    )
}

#: Names other engines use for the same operation (micrograd's `"ReLU"`).
ALIASES: dict[str, str] = {"ReLU": "relu", "Relu": "relu", "σ": "sigmoid"}


def exponent_of(name: str) -> float | None:
    """The exponent of a power-by-a-number op name (`"**2"` → 2.0, `"**-1"` → -1.0), else None."""
    if not name.startswith("**") or len(name) == 2:
        return None
    try:
        return float(name[2:])
    except ValueError:
        return None


def lookup(name: str) -> Operation:
    """The `Operation` of an `_op` name; a power by a number gets its own `grads`.

    Raises:
        UnknownOperationError: For a name the registry does not know.
    """
    name = ALIASES.get(name, name)
    op = OPERATIONS.get(name)
    if op is not None:
        return op
    n = exponent_of(name)
    if n is not None:
        family = OPERATIONS["**n"]
        return Operation(
            name,
            1,
            family.symbol,
            family.local_text,
            family.local_latex,
            family.forward_text,
            _power_by(n),
        )
    raise UnknownOperationError(
        f"gradtrace does not know the operation {name!r}, so it cannot write its local "
        "derivative; build the graph from gradtrace's operations (gradtrace.ops.OPERATIONS)"
    )
