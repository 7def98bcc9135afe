"""The forward and backward pass of a graph, step by step, as data.

`walk(graph)` lists

- the **forward pass**: each value getting its value, in graph order (the order the code
  created them), `Step 3 of 16 (forward): w₁x₁ = w₁ × x₁ = 0.2000 × (-0.4000) = -0.0800`;
  unlabelled constants are not steps (they are written as their number everywhere);
- the **backward pass**: each local chain-rule step in the order `backward()` runs them
  (reverse graph order, from the first output, operations only), with each contribution
  to each child, and the running sum where a child already had one:

      Step 3 of 12 (backward): the × rule of w₁x₁ sends ∂f/∂(w₁x₁) = 0.2491 back.
      ∂f/∂w₁ += ∂f/∂(w₁x₁) · ∂(w₁x₁)/∂w₁ = 0.2491 × (-0.4000) = -0.0996
      ∂f/∂x₁ += ∂f/∂(w₁x₁) · ∂(w₁x₁)/∂x₁ = 0.2491 × 0.2000 = 0.0498

Names come from `gradtrace.notation.Naming` (an inlined value by its expression, in
parentheses when it is more than one symbol: `gradtrace.notation.atom`), numbers from
`format_number`. The backward pass is replayed from the seed ∂f/∂f = 1 with the
registry's rules (`gradtrace.ops`), which compute exactly what the engine's do.

**Templates.** Each step's sentence is a template whose numbers are slots, `{0}`, `{1}`,
... (`{0p}`: in parentheses when negative; `{{` and `}}` are literal braces), with one
`Slot` per number saying where it comes from. `Step.text` fills them with this replay's
numbers; the live demo (`widget.js`) fills the same templates with the numbers it
recomputes when a reader moves a slider, so the page and the frames say the same thing.

Slots are `("d", i)` the value of node `i`, `("g", i)` its gradient after the step,
`("b", i)` its gradient before the step, `("l", c)` the local derivative ∂node/∂c of the
step's node with respect to its child `c` (summed over repeated operands, as in `a × a`)
and `("c", c)` the contribution the step adds to `c`'s gradient.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from gradtrace.errors import GradtraceError
from gradtrace.graph import Graph, as_graph
from gradtrace.notation import (
    MAX_TERMS,
    Naming,
    atom,
    format_constant,
    format_number,
    op_symbol,
    superscript,
)
from gradtrace.ops import exponent_of, lookup

__all__ = ["Contribution", "Slot", "Step", "StepsError", "Walk", "fill", "walk"]

Slot = tuple[str, int]
Pass = Literal["forward", "backward"]

_SLOT = re.compile(r"\{\{|\}\}|\{(\d+)(p?)\}")
_LEAF_WORDS = {"input": "an input", "parameter": "a parameter", "constant": "a constant"}


class StepsError(GradtraceError, ValueError):
    """A graph whose steps cannot be written (an operation gradtrace does not know)."""


@dataclass(frozen=True)
class Contribution:
    """What one backward step adds to one child's gradient.

    Attributes:
        child: The child's node id.
        local: ∂node/∂child (summed over repeated operands).
        amount: What the step adds to the child's gradient.
        before: The child's gradient before the step.
        after: The child's gradient after it.
        first: True if nothing had reached this child before.
    """

    child: int
    local: float
    amount: float
    before: float
    after: float
    first: bool


@dataclass(frozen=True)
class Step:
    """One step of the walk.

    Attributes:
        kind: `"forward"` or `"backward"`.
        index: Its number within its pass (1, 2, ...).
        total: How many steps its pass has.
        node: The node it computes (forward) or whose local rule runs (backward).
        template: The sentence, numbers as slots (see the module docs).
        slots: Where each slot's number comes from.
        values: The numbers of the slots in this replay.
        contributions: For a backward step, one per child that receives gradient
            (constants left out), in operand order.
    """

    kind: Pass
    index: int
    total: int
    node: int
    template: str
    slots: tuple[Slot, ...]
    values: tuple[float, ...]
    contributions: tuple[Contribution, ...] = ()

    def text(self, precision: int = 4) -> str:
        """The sentence with this replay's numbers (lines separated by newlines)."""
        return fill(self.template, self.values, precision)


@dataclass(frozen=True)
class Walk:
    """The steps of one graph: its forward pass, then its backward pass.

    Attributes:
        graph: The graph walked.
        root: The output the backward pass starts from (∂root/∂root = 1).
        forward: The forward steps, in graph order.
        backward: The backward steps, in the order `backward()` runs them.
        grads: Every node's gradient at the end of the backward pass.
    """

    graph: Graph
    root: int
    forward: tuple[Step, ...]
    backward: tuple[Step, ...]
    grads: tuple[float, ...]

    def steps(self, which: str = "both") -> tuple[Step, ...]:
        """The steps of `"forward"`, `"backward"` or `"both"` passes, in order."""
        if which == "forward":
            return self.forward
        if which == "backward":
            return self.backward
        if which == "both":
            return self.forward + self.backward
        raise StepsError(f"unknown pass {which!r}; use 'forward', 'backward' or 'both'")


def fill(template: str, values: Sequence[float], precision: int = 4) -> str:
    """A template with its slots replaced by `format_number` of `values`.

    Example:
        >>> fill("{0} × {1p} = {2}; {{literal}}", [0.2, -0.4, -0.08])
        '0.2000 × (-0.4000) = -0.0800; {literal}'
    """

    def one(match: re.Match[str]) -> str:
        whole = match.group(0)
        if whole in ("{{", "}}"):
            return whole[0]
        text = format_number(values[int(match.group(1))], precision)
        return f"({text})" if match.group(2) and text.startswith("-") else text

    return _SLOT.sub(one, template)


def _literal(text: str) -> str:
    """User text inside a template: braces doubled."""
    return text.replace("{", "{{").replace("}", "}}")


def walk(graph_or_root: Any) -> Walk:
    """Every step of the forward and backward pass of a graph (see the module docs).

    Args:
        graph_or_root: A `Graph`, or a value to trace. The backward pass starts at the
            graph's first output, as `backward()` on it would.

    Returns:
        The `Walk`: forward steps, backward steps and the gradients they end with.

    Raises:
        StepsError: If the graph has an operation gradtrace does not know.

    Example:
        >>> from gradtrace.figures import figure1
        >>> w = walk(figure1())
        >>> len(w.forward), len(w.backward)
        (16, 12)
        >>> print(w.backward[7].text())
        Step 8 of 12 (backward): the + rule of z sends ∂f/∂z = 0.2491 back.
        ∂f/∂(w₁x₁) += ∂f/∂z · ∂z/∂(w₁x₁) = 0.2491 × 1.0000 = 0.2491
        ∂f/∂(w₂x₂) += ∂f/∂z · ∂z/∂(w₂x₂) = 0.2491 × 1.0000 = 0.2491
    """
    graph = as_graph(graph_or_root)
    return _Walker(graph).run()


class _Walker:
    def __init__(self, graph: Graph) -> None:
        self.graph = graph
        self.naming = Naming(graph)
        self.root = graph.roots[0] if graph.roots else len(graph) - 1
        self.f = atom(self.naming.name(self.root)) if len(graph) else "f"

    def name(self, i: int) -> str:
        return self.naming.name(i)

    def d(self, i: int) -> str:
        """`∂f/∂x` for node i."""
        return f"∂{_literal(self.f)}/∂{_literal(denominator(self.name(i)))}"

    def run(self) -> Walk:
        graph = self.graph
        shown = [n for n in graph if not (n.op == "const" and not n.label)]
        forward = tuple(self.forward_step(n.id, k + 1, len(shown)) for k, n in enumerate(shown))
        order = self.backward_order()
        grads = [0.0] * len(graph)
        if len(graph):
            grads[self.root] = 1.0
        reached = [False] * len(graph)
        backward = tuple(
            self.backward_step(i, k + 1, len(order), grads, reached) for k, i in enumerate(order)
        )
        return Walk(graph, self.root, forward, backward, tuple(grads))

    def backward_order(self) -> list[int]:
        """The root's ancestors with a local rule, parents before children (as `backward()`)."""
        graph = self.graph
        if not len(graph):
            return []
        reach = [False] * len(graph)
        reach[self.root] = True
        order = []
        for i in range(len(graph) - 1, -1, -1):
            if not reach[i]:
                continue
            node = graph[i]
            if node.children:
                order.append(i)
            for c in node.children:
                reach[c] = True
        return order

    # -- forward ----------------------------------------------------------------------

    def forward_step(self, i: int, index: int, total: int) -> Step:
        node = self.graph[i]
        head = f"Step {index} of {total} (forward): "
        name = _literal(self.name(i))
        slots: list[Slot] = []
        if node.is_leaf:
            slots.append(("d", i))
            word = _LEAF_WORDS.get(node.role, "an input")
            template = f"{head}{name} = {{0}}, {word}."
        else:
            numbers = self.numeric_form(node.op, node.children, slots)
            slots.append(("d", i))
            result = f"{{{len(slots) - 1}}}"
            parts = [name]
            if self.naming.is_named(i):
                written = self.naming.expression(i)
                if written != self.name(i):
                    parts.append(_literal(written))
            parts += [numbers, result]
            template = head + " = ".join(parts) + "."
        return self._step("forward", index, total, i, template, slots, ())

    def numeric_form(self, op: str, children: tuple[int, ...], slots: list[Slot]) -> str:
        """The operation with its operands' numbers: `{0} × {1p}`, `exp({0})`, `{0p}²`."""

        def operand(c: int, wrap: bool) -> str:
            node = self.graph[c]
            if node.op == "const" and not node.label:
                text = format_constant(node.data)
                return f"({text})" if wrap and text.startswith("−") else text
            slots.append(("d", c))
            return f"{{{len(slots) - 1}{'p' if wrap else ''}}}"

        known = _known(op)
        if known in ("sum", "dot"):
            step = 2 if known == "dot" else 1
            groups = [children[k : k + step] for k in range(0, len(children), step)]
            if len(groups) > MAX_TERMS:
                groups = [*groups[: MAX_TERMS - 2], (), *groups[-2:]]
            terms = [" × ".join(operand(c, True) for c in g) if g else "…" for g in groups]
            return " + ".join(terms) if terms else "0"
        if not known:
            return f"{op}({', '.join(operand(c, False) for c in children)})"
        n = exponent_of(op)
        if n is not None:
            power = format_constant(n)
            sup = superscript(power)
            base = operand(children[0], True)
            return base + (sup if sup is not None else f"^{_literal(power)}")
        form = lookup(op).forward_text
        wrap = known in ("*", "/", "-", "**", "neg")
        args = [operand(c, wrap or k > 0) for k, c in enumerate(children)]
        if known == "**":
            return f"{args[0]}^{args[1]}"
        return form.format(*args)

    # -- backward ---------------------------------------------------------------------

    def backward_step(
        self, i: int, index: int, total: int, grads: list[float], reached: list[bool]
    ) -> Step:
        graph = self.graph
        node = graph[i]
        try:
            op = lookup(node.op)
        except GradtraceError as error:
            raise StepsError(str(error)) from None
        xs = [graph[c].data for c in node.children]
        g = grads[i]
        adds = op.grads(xs, node.data, g)
        ones = op.grads(xs, node.data, 1.0)
        before = {c: grads[c] for c in node.children}
        local: dict[int, float] = {}
        amount: dict[int, float] = {}
        for c, add, one in zip(node.children, adds, ones, strict=True):
            grads[c] += add
            local[c] = local.get(c, 0.0) + one
            amount[c] = amount.get(c, 0.0) + add
        slots: list[Slot] = [("g", i)]
        symbol = _literal(op_symbol(node.op))
        lines = [
            f"Step {index} of {total} (backward): the {symbol} rule of "
            f"{_literal(denominator(self.name(i)))} sends {self.d(i)} = {{0}} back."
        ]
        contributions = []
        for c in dict.fromkeys(node.children):
            child = graph[c]
            if child.op == "const" and not child.label:
                continue
            k = len(slots)
            slots += [("g", i), ("l", c), ("c", c)]
            top, bottom = denominator(self.name(i)), denominator(self.name(c))
            local_name = f"∂{_literal(top)}/∂{_literal(bottom)}"
            line = (
                f"{self.d(c)} += {self.d(i)} · {local_name} = {{{k}p}} × {{{k + 1}p}} = {{{k + 2}}}"
            )
            if reached[c]:
                slots += [("b", c), ("c", c), ("g", c)]
                line += f", so {self.d(c)} = {{{k + 3}}} + {{{k + 4}p}} = {{{k + 5}}}"
            lines.append(line)
            contributions.append(
                Contribution(c, local[c], amount[c], before[c], grads[c], not reached[c])
            )
            reached[c] = True
        values = {"g": grads, "b": before, "l": local, "c": amount}
        return self._step(
            "backward", index, total, i, "\n".join(lines), slots, tuple(contributions), values
        )

    def _step(
        self,
        kind: Pass,
        index: int,
        total: int,
        node: int,
        template: str,
        slots: list[Slot],
        contributions: tuple[Contribution, ...],
        values: dict[str, Any] | None = None,
    ) -> Step:
        data = [n.data for n in self.graph]
        table: dict[str, Any] = {"d": data, **(values or {})}
        numbers = tuple(float(table[kind_][key]) for kind_, key in slots)
        return Step(kind, index, total, node, template, tuple(slots), numbers, contributions)


def denominator(name: str) -> str:
    """A name after `∂` in `∂f/∂x`: as `atom`, and in parentheses if it has a superscript.

    `∂f/∂(w₁²)` and `∂f/∂(e⁻ᶻ)`, not `∂f/∂w₁²` (which reads as a square).

    Example:
        >>> denominator("x₁"), denominator("w₁²"), denominator("w₁x₁")
        ('x₁', '(w₁²)', '(w₁x₁)')
    """
    if any(c in _SUPERSCRIPT_CHARS for c in name) and not name.startswith("("):
        return f"({name})"
    return atom(name)


_SUPERSCRIPT_CHARS = frozenset("⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ᵃᵇᶜᵈᵉᶠᵍʰⁱʲᵏˡᵐⁿᵒᵖʳˢᵗᵘᵛʷˣʸᶻᴬᴮᴰᴱᴳᴴᴵᴶᴷᴸᴹᴺᴼᴾᴿᵀᵁⱽᵂᵝᵞᵟᶿᶥᵠᵡ")


def _known(op: str) -> str:
    """The registry name of `op` (`"**n"` for powers by a number), or `""` if unknown."""
    try:
        found = lookup(op)
    except GradtraceError:
        return ""
    return "**n" if exponent_of(found.name) is not None else found.name
