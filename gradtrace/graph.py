"""`trace()`: a frozen snapshot of a computational graph, the one thing exporters read.

The engine's `Value`s are live objects; a `Graph` is a plain record of them at
one moment: every node with a stable integer id, its label, operation, forward
value, gradient, children and role, in a deterministic topological order
(children before parents, children in the order the operation received them).

`trace()` is duck-typed: anything with `data`, `grad` and `_prev` (and, when
present, `_op`, `label` and `_scope`) can be traced, so a graph built with
micrograd's `Value` exports too.
"""

from __future__ import annotations

import gc
import re
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Literal

from gradtrace.engine import CONSTANT
from gradtrace.errors import TraceError

__all__ = ["Graph", "Node", "Role", "as_graph", "check_values", "live_values", "trace"]

Role = Literal["input", "parameter", "constant", "intermediate", "output"]


@dataclass(frozen=True)
class Node:
    """One value of a traced graph.

    Attributes:
        id: Its position in the graph's topological order (0, 1, 2, ...).
        label: The label the user gave it (`""` if none).
        op: The operation that made it (`""` for a leaf, `"const"` for a
            wrapped number, otherwise `"+"`, `"*"`, `"**2"`, `"exp"`, ...).
        data: The forward value.
        grad: The gradient ∂f/∂node at the time of tracing.
        children: The ids of the nodes it was computed from, in operand order.
        role: `"input"`, `"parameter"`, `"constant"`, `"intermediate"` or `"output"`.
        scope: The names of the `scope()` blocks it was made in, outermost first.
    """

    id: int
    label: str
    op: str
    data: float
    grad: float
    children: tuple[int, ...]
    role: Role
    scope: tuple[str, ...] = ()

    @property
    def is_leaf(self) -> bool:
        """True for inputs, parameters and constants (nodes with no children)."""
        return not self.children


@dataclass(frozen=True)
class Graph:
    """A frozen snapshot of a computational graph.

    Attributes:
        nodes: Every node, in topological order; `nodes[i].id == i`.
        roots: The ids of the outputs the graph was traced from.
    """

    nodes: tuple[Node, ...]
    roots: tuple[int, ...]
    _parents: tuple[tuple[int, ...], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        parents: list[list[int]] = [[] for _ in self.nodes]
        for node in self.nodes:
            for child in dict.fromkeys(node.children):  # a * a is one edge to a
                parents[child].append(node.id)
        object.__setattr__(self, "_parents", tuple(tuple(p) for p in parents))

    def __len__(self) -> int:
        return len(self.nodes)

    def __iter__(self) -> Iterator[Node]:
        return iter(self.nodes)

    def __getitem__(self, node_id: int) -> Node:
        return self.nodes[node_id]

    def parents(self, node_id: int) -> tuple[int, ...]:
        """The ids of the nodes computed from `node_id`, in topological order."""
        return self._parents[node_id]

    def _repr_mimebundle_(
        self, include: Collection[str] | None = None, exclude: Collection[str] | None = None
    ) -> dict[str, str]:
        """Jupyter's display: the figure (see `gradtrace.export.display`)."""
        from gradtrace.export.display import mimebundle

        return mimebundle(self, include, exclude)

    def labelled(self, label: str) -> Node:
        """The first node with this label (raises `KeyError` if there is none)."""
        for node in self.nodes:
            if node.label == label:
                return node
        raise KeyError(f"no node is labelled {label!r}")


def trace(
    *roots: Any,
    parameters: Iterable[Any] = (),
    names: Callable[[Any], str] | None = None,
) -> Graph:
    """Take a snapshot of the graph that produced `roots`.

    Args:
        *roots: One or more output values (gradtrace `Value`s, or anything with
            `data`, `grad` and `_prev`).
        parameters: Leaves to mark with the role `"parameter"` (a model's
            weights, say); other leaves are `"input"`, or `"constant"` when
            gradtrace wrapped a plain number for them.
        names: Gives a label to each value that has none (`""` for no label);
            `gradtrace.capture` names values after the user's variables this
            way, without changing the values themselves.

    Returns:
        The `Graph`, nodes in deterministic topological order.

    Raises:
        TraceError: Something is not shaped like a value: a root without `data`,
            `grad` and `_prev`, a `_prev` holding something else, or a `data` or
            `grad` that is not a real number (a str, complex, None). The message
            names the value (by its label) and the fix. Lone surrogates in labels
            (text no file can hold) are replaced by U+FFFD.

    Example:
        >>> from gradtrace import Value
        >>> a = Value(2.0, "a")
        >>> g = trace(a * a + 1)
        >>> [(n.op, n.children) for n in g]
        [('', ()), ('*', (0, 0)), ('const', ()), ('+', (1, 2))]
        >>> [n.role for n in g]
        ['input', 'intermediate', 'constant', 'output']
    """
    if not roots:
        raise TraceError("trace() needs at least one root value, e.g. trace(f)")
    for root in roots:
        if not _is_value(root):
            raise TraceError(
                f"cannot trace a {type(root).__name__}: it needs data, grad and _prev like a "
                "Value; pass the Value your expression produced"
            )
    with paused_gc():
        try:
            order = _topological_order(roots)
        except (AttributeError, TypeError) as error:
            raise _shape_error(roots) or error from None
        ids = {id(v): i for i, v in enumerate(order)}
        root_ids = tuple(dict.fromkeys(ids[id(r)] for r in roots))
        param_ids = {id(p) for p in parameters}
        nodes = tuple(
            Node(
                id=i,
                label=_text(getattr(v, "label", "") or (names(v) if names else "")),
                op=_text(getattr(v, "_op", "")),
                data=d if type(d := v.data) is float else _number(v, "data"),
                grad=g if type(g := v.grad) is float else _number(v, "grad"),
                children=tuple(ids[id(c)] for c in _children(v)),
                role=_role(v, i in root_ids, id(v) in param_ids),
                scope=tuple(_text(name) for name in getattr(v, "_scope", ()) or ()),
            )
            for i, v in enumerate(order)
        )
        return Graph(nodes=nodes, roots=root_ids)


def live_values(*roots: Any) -> list[Any]:
    """The live values `trace(*roots)` snapshots, in its node order.

    `live_values(f)[i]` is the value that node `i` of `trace(f)` records, for a
    caller that must reach the values themselves (the notebook widget sets its
    inputs' `data`).
    """
    with paused_gc():
        return _topological_order(roots)


def check_values(values: Iterable[Any]) -> None:
    """Raise the `TraceError` that `trace()` would for these values' graph, if any.

    For callers that walk `_prev` themselves (the command finds its roots that
    way) and want `trace()`'s one-line message rather than an `AttributeError`.
    """
    error = _shape_error(values)
    if error is not None:
        raise error


def _is_value(x: Any) -> bool:
    return all(hasattr(x, name) for name in ("data", "grad", "_prev"))


def _text(x: Any) -> str:
    """A label (or op, or scope name) as text any file can hold: lone surrogates become U+FFFD."""
    text = str(x or "")
    if text.isprintable():
        return text
    return _SURROGATE.sub("\ufffd", text)


_SURROGATE = re.compile("[\ud800-\udfff]")


def _describe(value: Any) -> str:
    """How an error names a value: by its label, else by its type."""
    label = getattr(value, "label", "")
    if label and isinstance(label, str):
        shown = label if len(label) <= 40 else label[:39] + "…"
        return f"the {type(value).__name__} labelled {shown!r}"
    return f"an unlabelled {type(value).__name__}"


def _number(value: Any, attribute: str) -> float:
    """`value.data` or `value.grad` as a float, or a `TraceError` that says what is wrong."""
    x = getattr(value, attribute)
    problem = "which is not a real number"
    if not isinstance(x, str | bytes | bytearray | complex):
        try:
            return float(x)
        except OverflowError:
            problem = "too large for a float (floats end near 1.8e308)"
        except (TypeError, ValueError):
            pass
    if isinstance(x, int) and x.bit_length() > 64:
        shown = f"an int of {int(x.bit_length() * 0.30103) + 1} digits"
    else:
        shown = _short_repr(x)
    start = "0.0 before backward()" if attribute == "grad" else "a number, e.g. 0.5"
    raise TraceError(
        f"cannot trace {_describe(value)}: its {attribute} is {shown}, {problem}; "
        f"set {attribute} to a float ({start})"
    )


def _shape_error(roots: Iterable[Any]) -> TraceError | None:
    """Find what made the walk fail: a `_prev` that is not a collection of values, or a
    value whose data or grad is not a number (micrograd's sets are sorted by data)."""
    seen: set[int] = set()
    stack = list(roots)
    while stack:
        value = stack.pop()
        if id(value) in seen:
            continue
        seen.add(id(value))
        try:
            _number(value, "data"), _number(value, "grad")
        except TraceError as error:
            return error
        prev = value._prev
        if not isinstance(prev, tuple | list | set | frozenset):
            return TraceError(
                f"cannot trace {_describe(value)}: its _prev is a {type(prev).__name__}, not a "
                "tuple of the values it was computed from; use a tuple, () for a leaf"
            )
        for child in prev:
            if not _is_value(child):
                return TraceError(
                    f"cannot trace {_describe(value)}: its _prev holds {_short_repr(child)} "
                    f"(of type {type(child).__name__}), not a value with data, grad and _prev; "
                    "wrap numbers in Value(...) before using them"
                )
            stack.append(child)
    return None


def _short_repr(x: Any) -> str:
    try:
        text = repr(x)
    except Exception:  # a broken __repr__ must not hide the real problem
        return "?"
    return text if len(text) <= 30 else text[:29] + "…"


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for a bulk copy of a graph.

    Snapshotting a graph allocates a few objects per value, none of them in a
    reference cycle; with the collector running, those allocations set off
    repeated full collections that walk the user's whole graph, which doubled
    the time of `trace()` and `to_json()` on 100,000 values. Reference
    counting still frees everything as usual.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def as_graph(graph_or_root: Any) -> Graph:
    """`graph_or_root` itself if it is a `Graph`, otherwise `trace(graph_or_root)`.

    Every exporter accepts either, so `to_dot(f)` and `to_dot(trace(f))` agree.
    """
    return graph_or_root if isinstance(graph_or_root, Graph) else trace(graph_or_root)


def _role(value: Any, is_root: bool, is_parameter: bool) -> Role:
    if is_root:
        return "output"
    if value._prev:
        return "intermediate"
    if is_parameter:
        return "parameter"
    return "constant" if getattr(value, "_op", "") == CONSTANT else "input"


def _children(value: Any) -> Sequence[Any]:
    """A value's children in a deterministic order.

    gradtrace's `_prev` is a tuple in operand order and is used as it is. A set
    (micrograd's `_prev`) iterates in an order that depends on memory
    addresses, so its members are sorted by what they show (operation, value,
    label); the same graph then gives the same drawing run after run.
    """
    prev = value._prev
    if isinstance(prev, (set, frozenset)):
        return sorted(prev, key=_show_key)
    return tuple(prev)


def _show_key(value: Any) -> tuple[str, str, float, str, int]:
    data = float(value.data)
    return (
        str(getattr(value, "_op", "") or ""),
        str(getattr(value, "label", "") or ""),
        0.0 if data != data else data,
        repr(data),
        len(value._prev),
    )


def _topological_order(roots: Iterable[Any]) -> list[Any]:
    """Children before parents: creation order where the values record it.

    gradtrace's values carry their creation number (`_order`), and creation
    order is a topological order that follows the user's code, so the nodes
    are sorted by it. Values from other engines (micrograd's) have none: they
    keep the order of an iterative depth-first search, children in operand
    order, roots in the order given; `_children` makes a set-valued `_prev`
    deterministic.
    """
    order: list[Any] = []
    seen: set[int] = set()
    for root in roots:
        if id(root) in seen:
            continue
        seen.add(id(root))
        stack: list[tuple[Any, Iterator[Any]]] = [(root, iter(_children(root)))]
        while stack:
            node, children = stack[-1]
            for child in children:
                if id(child) not in seen:
                    seen.add(id(child))
                    stack.append((child, iter(_children(child))))
                    break
            else:
                stack.pop()
                order.append(node)
    if all(type(getattr(v, "_order", None)) is int for v in order):
        order.sort(key=_creation_number)
    return order


def _creation_number(value: Any) -> int:
    return int(value._order)
