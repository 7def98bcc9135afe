"""The scalar autograd engine: `Value` and the chain rule.

Every number in a computation is a `Value`. Each operation creates a new
`Value` that remembers the values it was computed from (`_prev`, a tuple in
operand order), the name of the operation (`_op`) and its local chain-rule
step (`_backward`). `backward()` then walks that graph from the output back to
the inputs.

Each operation is one short method, its backward rule sitting right under its
forward rule. A backward rule receives the gradient of the node it belongs to
(`g`, that is ∂f/∂out) and adds `local gradient × g` into each child. It
captures the children, never its own output node, so the graph holds no
reference cycles and is freed as soon as the last reference to it goes.

Domain edges (log of 0, 0 to a negative power, overflow in exp, ...) give IEEE
results the way NumPy does (inf, -inf or nan), never an exception and never a
complex number.
"""

from __future__ import annotations

import itertools
import math
import operator
from collections.abc import Callable, Collection, Iterable, Iterator
from contextlib import contextmanager
from numbers import Real

from gradtrace.errors import NumberError

__all__ = ["CONSTANT", "Value", "scope"]

#: The `_op` of a leaf that gradtrace made from a plain number (the `2` in `2 * a`).
CONSTANT = "const"

_INF = math.inf
_NAN = math.nan

# The scope path that new values are recorded in; see `scope()`.
_current_scope: tuple[str, ...] = ()

# Numbers every new Value in creation order (`Value._order`). A value's children
# always exist before it, so creation order is itself a topological order, and
# it is the order in which the user's code wrote things down.
_creation = itertools.count()


def _leaf_backward(g: float) -> None:
    """A leaf has no children: its backward step does nothing."""


class Value:
    """A scalar that records the operations applied to it.

    Attributes:
        data: The forward value (a float).
        grad: ∂f/∂self after `f.backward()`; starts at 0.0.
        label: A name for figures and trace tables (may be empty).
        _prev: The children this value was computed from, in operand order.
        _op: The operation that made this value (`""` for an input leaf,
            `"const"` for a number gradtrace wrapped for you).
        _backward: The local chain-rule step; called with this node's gradient.
        _scope: The `scope()` names that were open when this value was made.
        _order: Its place in creation order (a counter shared by all values):
            children are always older than their parents, and exporters list
            values in the order the code made them.

    Example:
        >>> a, b = Value(2.0, "a"), Value(-3.0, "b")
        >>> c = a * b + a
        >>> c.backward()
        >>> (c.data, a.grad, b.grad)
        (-4.0, -2.0, 2.0)
    """

    __slots__ = (
        "__weakref__",
        "_backward",
        "_op",
        "_order",
        "_prev",
        "_scope",
        "data",
        "grad",
        "label",
    )

    data: float
    grad: float
    label: str
    _prev: tuple[Value, ...]
    _op: str
    _backward: Callable[[float], None]
    _scope: tuple[str, ...]
    _order: int

    def __init__(
        self,
        data: float,
        label: str = "",
        _prev: tuple[Value, ...] = (),
        _op: str = "",
    ) -> None:
        self.data = data if type(data) is float else _to_float(data, "Value data")
        self.grad = 0.0
        self.label = label
        self._prev = _prev
        self._op = _op
        self._backward = _leaf_backward
        self._scope = _current_scope
        self._order = next(_creation)

    def __repr__(self) -> str:
        name = f", label={self.label!r}" if self.label else ""
        return f"Value(data={self.data!r}, grad={self.grad!r}{name})"

    @staticmethod
    def constant(data: float, label: str = "") -> Value:
        """A number that is part of the formula, not a variable: a constant leaf.

        It is what gradtrace makes of a plain number in an expression (the `2` in
        `2 * a`): figures and tables show it as its number (or its label), and it
        gets no slider in the live demo. Its gradient is computed like any other.

        Example:
            >>> half = Value.constant(0.5)
            >>> x = Value(3.0, "x")
            >>> (half * x).data, half._op
            (1.5, 'const')
        """
        return Value(data, label, (), CONSTANT)

    def _repr_mimebundle_(
        self, include: Collection[str] | None = None, exclude: Collection[str] | None = None
    ) -> dict[str, str]:
        """Jupyter's display: the graph's figure (see `gradtrace.export.display`)."""
        from gradtrace.export.display import mimebundle  # exporters load only when shown

        return mimebundle(self, include, exclude)

    # -- arithmetic ---------------------------------------------------------

    def __add__(self, other: Value | float) -> Value:
        children = _operands(self, other)
        if children is None:
            return NotImplemented
        a, b = children
        out = Value(a.data + b.data, "", children, "+")

        def _backward(g: float) -> None:  # ∂(a+b)/∂a = 1, ∂(a+b)/∂b = 1
            a, b = children
            a.grad += g
            b.grad += g

        out._backward = _backward
        return out

    def __mul__(self, other: Value | float) -> Value:
        children = _operands(self, other)
        if children is None:
            return NotImplemented
        a, b = children
        out = Value(a.data * b.data, "", children, "*")

        def _backward(g: float) -> None:  # ∂(a·b)/∂a = b, ∂(a·b)/∂b = a
            a, b = children
            a.grad += b.data * g
            b.grad += a.data * g

        out._backward = _backward
        return out

    def __sub__(self, other: Value | float) -> Value:
        children = _operands(self, other)
        if children is None:
            return NotImplemented
        a, b = children
        out = Value(a.data - b.data, "", children, "-")

        def _backward(g: float) -> None:  # ∂(a−b)/∂a = 1, ∂(a−b)/∂b = −1
            a, b = children
            a.grad += g
            b.grad -= g

        out._backward = _backward
        return out

    def __truediv__(self, other: Value | float) -> Value:
        children = _operands(self, other)
        if children is None:
            return NotImplemented
        a, b = children
        out = Value(_div(a.data, b.data), "", children, "/")

        def _backward(g: float) -> None:  # ∂(a/b)/∂a = 1/b, ∂(a/b)/∂b = −a/b²
            a, b = children
            a.grad += _div(g, b.data)
            b.grad -= _div(a.data * g, b.data * b.data)

        out._backward = _backward
        return out

    def __neg__(self) -> Value:
        out = Value(-self.data, "", (self,), "neg")

        def _backward(g: float) -> None:  # ∂(−a)/∂a = −1
            self.grad -= g

        out._backward = _backward
        return out

    def __pow__(self, other: Value | float) -> Value:
        if isinstance(other, Value):
            return self._pow_value(other)
        n = _exponent(other)
        if n is None:
            return NotImplemented
        out = Value(_pow(self.data, n), "", (self,), _power_op(n))

        def _backward(g: float) -> None:  # ∂(aⁿ)/∂a = n·aⁿ⁻¹
            if n != 0:  # a⁰ is constant, even at a = 0
                self.grad += n * _pow(self.data, n - 1) * g

        out._backward = _backward
        return out

    def _pow_value(self, other: Value) -> Value:
        """`a ** b` with a `Value` exponent: both base and exponent get gradients."""
        children = (self, other)
        out = Value(_pow(self.data, other.data), "", children, "**")
        result = out.data

        def _backward(g: float) -> None:  # ∂(aᵇ)/∂a = b·aᵇ⁻¹, ∂(aᵇ)/∂b = aᵇ·ln a
            a, b = children
            if b.data != 0:
                a.grad += b.data * _pow(a.data, b.data - 1) * g
            if result != 0:  # aᵇ·ln a → 0 as a → 0⁺
                b.grad += result * _log(a.data) * g

        out._backward = _backward
        return out

    # Reflected forms: `2 * a`, `1 - a`, `1 / a`, `2 ** a`, `3 + a`.

    def __radd__(self, other: float) -> Value:
        left = _as_value(other)
        return NotImplemented if left is None else left + self

    def __rmul__(self, other: float) -> Value:
        left = _as_value(other)
        return NotImplemented if left is None else left * self

    def __rsub__(self, other: float) -> Value:
        left = _as_value(other)
        return NotImplemented if left is None else left - self

    def __rtruediv__(self, other: float) -> Value:
        left = _as_value(other)
        return NotImplemented if left is None else left / self

    def __rpow__(self, other: float) -> Value:
        left = _as_value(other)
        return NotImplemented if left is None else left._pow_value(self)

    # -- functions ----------------------------------------------------------

    def exp(self) -> Value:
        """eˣ."""
        out = Value(_exp(self.data), "", (self,), "exp")
        result = out.data

        def _backward(g: float) -> None:  # ∂eᵃ/∂a = eᵃ, the output itself
            self.grad += result * g

        out._backward = _backward
        return out

    def log(self) -> Value:
        """The natural logarithm ln x (−inf at 0, nan below)."""
        out = Value(_log(self.data), "", (self,), "log")

        def _backward(g: float) -> None:  # ∂ln a/∂a = 1/a
            self.grad += _div(g, self.data)

        out._backward = _backward
        return out

    def relu(self) -> Value:
        """max(0, x); nan stays nan."""
        x = self.data
        out = Value(x if x > 0 or x != x else 0.0, "", (self,), "relu")

        def _backward(g: float) -> None:  # 1 where a > 0, else 0
            if x > 0:
                self.grad += g
            elif x != x:
                self.grad += _NAN

        out._backward = _backward
        return out

    def tanh(self) -> Value:
        """The hyperbolic tangent."""
        out = Value(math.tanh(self.data), "", (self,), "tanh")
        t = out.data

        def _backward(g: float) -> None:  # ∂tanh a/∂a = 1 − tanh²a
            self.grad += (1.0 - t * t) * g

        out._backward = _backward
        return out

    def sigmoid(self) -> Value:
        """σ(x) = 1 / (1 + e⁻ˣ) as one node (`figures.figure1` builds it from primitives)."""
        x = self.data
        if x >= 0:
            s = 1.0 / (1.0 + math.exp(-x))
        else:  # the same value, without overflowing exp(-x) for very negative x
            e = math.exp(x)
            s = e / (1.0 + e)
        out = Value(s, "", (self,), "sigmoid")

        def _backward(g: float) -> None:  # ∂σ(a)/∂a = σ(a)·(1 − σ(a))
            self.grad += s * (1.0 - s) * g

        out._backward = _backward
        return out

    # -- fused n-ary operations ----------------------------------------------

    @staticmethod
    def sum(terms: Iterable[Value | float]) -> Value:
        """Σ termᵢ as one node with every term as a child.

        One `"sum"` node replaces a chain of n − 1 `"+"` nodes: the nn layer uses
        it so a neuron's pre-activation is one node, drawn once and built fast.
        The result is the left-to-right float sum starting from 0.0, exactly
        what `0.0 + t₀ + t₁ + ...` gives. Plain numbers are wrapped as constants.

        Args:
            terms: The `Value`s (or numbers) to add, in order. May be empty (0.0).

        Returns:
            A `Value` with `_op == "sum"` and `_prev == terms`.

        Raises:
            TypeError: If a term is neither a `Value` nor a real number.

        Example:
            >>> a, b = Value(1.5, "a"), Value(-2.0, "b")
            >>> s = Value.sum([a, b, 3])
            >>> s.backward()
            >>> (s.data, a.grad, b.grad)
            (2.5, 1.0, 1.0)
        """
        children = tuple(_operand(t, "Value.sum term") for t in terms)
        total = 0.0
        for child in children:
            total += child.data
        out = Value(total, "", children, "sum")

        def _backward(g: float) -> None:  # ∂(Σ tᵢ)/∂tᵢ = 1
            for child in children:
                child.grad += g

        out._backward = _backward
        return out

    @staticmethod
    def dot(a: Iterable[Value | float], b: Iterable[Value | float]) -> Value:
        """The dot product Σ aᵢ·bᵢ as one node.

        One `"dot"` node replaces n `"*"` nodes and n − 1 `"+"` nodes (a
        neuron's `w · x`). Its children are interleaved, `(a₀, b₀, a₁, b₁, ...)`,
        so each product's two factors sit side by side in a figure. The result
        is the left-to-right float sum of the products starting from 0.0. Plain
        numbers are wrapped as constants.

        Args:
            a: The first factors, in order.
            b: The second factors, as many as in `a`.

        Returns:
            A `Value` with `_op == "dot"`; ∂/∂aᵢ = bᵢ and ∂/∂bᵢ = aᵢ.

        Raises:
            ValueError: If `a` and `b` differ in length.
            TypeError: If a factor is neither a `Value` nor a real number.

        Example:
            >>> w, x = [Value(2.0), Value(-1.0)], [Value(3.0), Value(4.0)]
            >>> d = Value.dot(w, x)
            >>> d.backward()
            >>> (d.data, w[0].grad, x[1].grad)
            (2.0, 3.0, -1.0)
        """
        xs, ys = tuple(a), tuple(b)
        if len(xs) != len(ys):
            raise ValueError(
                f"Value.dot needs two sequences of equal length, got {len(xs)} and {len(ys)}"
            )
        interleaved = (v for pair in zip(xs, ys, strict=True) for v in pair)
        children = tuple(_operand(v, "Value.dot factor") for v in interleaved)
        total = 0.0
        factors = iter(children)
        for x, y in zip(factors, factors, strict=True):
            total += x.data * y.data
        out = Value(total, "", children, "dot")

        def _backward(g: float) -> None:  # ∂(Σ aᵢbᵢ)/∂aᵢ = bᵢ, ∂(Σ aᵢbᵢ)/∂bᵢ = aᵢ
            factors = iter(children)
            for x, y in zip(factors, factors, strict=True):
                x.grad += y.data * g
                y.grad += x.data * g

        out._backward = _backward
        return out

    # -- backward pass --------------------------------------------------------

    def backward(self) -> None:
        """Compute ∂self/∂v for every value `v` this one was computed from.

        Seeds this value's gradient with 1.0 (∂f/∂f = 1), then calls each node's
        local step in reverse topological order, so a node's gradient is complete
        before it is passed on. Gradients add up (`+=`): a node used in several
        places receives the sum over every path.

        Intermediate nodes are reset first, so they hold exactly this pass's
        gradient. Leaves (inputs and parameters) are not: like a framework's leaf
        `.grad`, they accumulate across calls until you zero them, so calling
        `backward()` twice gives them exactly twice the gradient.
        """
        order = self.topological_order()
        for node in order:
            if node._prev:
                node.grad = 0.0
        if self._prev:
            self.grad = 1.0
        else:
            self.grad += 1.0
        for node in reversed(order):
            if node._prev:
                node._backward(node.grad)

    def topological_order(self) -> list[Value]:
        """Every value this one depends on (itself included), children before parents.

        The values are listed in the order they were created, which is a
        topological order (a value's children always exist before it) and the
        order the code wrote them in. Collecting them is a plain iterative walk
        (a chain of a million nodes needs no recursion) followed by one sort.
        """
        seen = {id(self): self}
        stack = [self]
        while stack:
            for child in stack.pop()._prev:
                if id(child) not in seen:
                    seen[id(child)] = child
                    stack.append(child)
        return sorted(seen.values(), key=_creation_order)


_creation_order = operator.attrgetter("_order")


@contextmanager
def scope(name: str) -> Iterator[None]:
    """Record the values made inside the block as one named group.

    Exporters draw a scope as a labelled cluster and can collapse it into a
    single node. Scopes nest.

    Example:
        >>> x = Value(0.5, "x")
        >>> with scope("σ"):
        ...     y = 1 / (1 + (-x).exp())
        >>> y._scope
        ('σ',)
    """
    if not isinstance(name, str):
        raise TypeError(f"scope name must be a str, got {type(name).__name__}")
    global _current_scope
    outer = _current_scope
    _current_scope = (*outer, name)
    try:
        yield
    finally:
        _current_scope = outer


# -- helpers: conversions and IEEE-style float math ---------------------------


def _to_float(x: object, what: str) -> float:
    """`x` as a float, if it is a real number (int, float, numpy scalar, ...)."""
    if isinstance(x, Real):
        try:
            return float(x)
        except OverflowError:
            digits = int(x.bit_length() * 0.30103) if isinstance(x, int) else 0  # type: ignore[unreachable]
            size = f"about 10^{digits}" if digits else "huge"
            raise NumberError(
                f"{what} is too large for a float ({type(x).__name__}, {size}; floats end near "
                "1.8e308); scale it down, or use float('inf') for infinity"
            ) from None
    raise TypeError(f"{what} must be a real number, got {type(x).__name__}")


def _as_value(x: object) -> Value | None:
    """`x` itself if it is a `Value`; a constant leaf if it is a number; else None."""
    if isinstance(x, Value):
        return x
    if isinstance(x, Real):
        return Value.constant(_to_float(x, "a number in an expression"))
    return None


def _operands(a: Value, b: object) -> tuple[Value, Value] | None:
    """The children `(a, b)` of a binary operation, or None if `b` is not a number."""
    if isinstance(b, Value):
        return (a, b)
    if isinstance(b, Real):
        return (a, Value.constant(_to_float(b, "a number in an expression")))
    return None


def _operand(x: object, what: str) -> Value:
    """`_as_value(x)`, or a `TypeError` naming the type if `x` is not a number."""
    v = _as_value(x)
    if v is None:
        raise TypeError(f"{what} must be a Value or a real number, got {type(x).__name__}")
    return v


def _exponent(n: object) -> float | None:
    """A plain-number exponent, kept as an int when it is a whole number; else None."""
    if isinstance(n, Real):
        f = _to_float(n, "an exponent")
        return int(f) if f.is_integer() else f
    return None


_power_ops: dict[float, str] = {}


def _power_op(n: float) -> str:
    """The `_op` name of `a ** n`: `"**2"`, `"**-1"`, `"**0.5"`.

    Remembered for the first few hundred exponents (the hot path is `x ** 2`
    in a loop), not for every random float a program might use.
    """
    op = _power_ops.get(n)
    if op is None:
        op = f"**{n!r}"
        if len(_power_ops) < 256:
            _power_ops[n] = op
    return op


def _div(x: float, y: float) -> float:
    """x / y, with IEEE results for a zero divisor."""
    try:
        return x / y
    except ZeroDivisionError:
        if x == 0 or x != x:
            return _NAN
        return math.copysign(_INF, x) * math.copysign(1.0, y)


def _exp(x: float) -> float:
    """eˣ, inf on overflow."""
    try:
        return math.exp(x)
    except OverflowError:
        return _INF


def _log(x: float) -> float:
    """ln x, −inf at 0 and nan for negative numbers."""
    if x > 0:
        return math.log(x)
    return -_INF if x == 0 else _NAN


def _pow(x: float, n: float) -> float:
    """xⁿ for floats, IEEE-style: inf or nan where Python would raise or go complex."""
    try:
        return math.pow(x, n)
    except ValueError:  # 0 to a negative power, or a negative base to a fraction
        if x == 0:
            odd = float(n).is_integer() and int(n) % 2 == 1
            return math.copysign(_INF, x) if odd else _INF
        return _NAN
    except OverflowError:
        odd = float(n).is_integer() and int(n) % 2 == 1
        return -_INF if x < 0 and odd else _INF
