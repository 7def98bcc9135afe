r"""Generated derivations: the chain rule for one leaf, written out as a sum over paths.

`to_derivation(graph, "x₁")` writes ∂f/∂x₁ as the sum, over every path from the output f
down to x₁, of the product of the local derivatives along it; each local derivative
symbolically (`w₁`, `1/b`, `2·w₁`, `σ(z)(1 − σ(z))`, from the operations registry
`gradtrace.ops`) and as a number; then the numbers multiplied out and the total boxed.

**Grouped as a reader would.** Where every path passes through one node m, the
derivative is factored there, ∂f/∂x = ∂f/∂m · ∂m/∂x, so a reused node's shared part is
written once: `∂f/∂a = ∂f/∂b · (∂b/∂a + ∂b/∂a)` rather than two paths repeating ∂f/∂b.
What is left at a node where paths part is a sum, one term per branch.

A leaf the output does not depend on gets `0: no path`. A graph with more paths than
`max_paths` (or longer ones than `max_factors` local derivatives) is refused with one
line instead of printing thousands of terms.

Markdown (Unicode text, a table of local derivatives, `$$\boxed{...}$$`) and LaTeX
(`equation*` and a `tabular`, amsmath's `\boxed`) are written from the same tree.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from gradtrace.errors import GradtraceError
from gradtrace.graph import Graph, as_graph
from gradtrace.notation import (
    Naming,
    atom,
    format_constant,
    format_number,
    latex_label,
    pretty_name,
    superscript,
)
from gradtrace.ops import exponent_of, lookup
from gradtrace.steps import denominator

__all__ = ["MAX_FACTORS", "MAX_PATHS", "Derivation", "DerivationError", "derive", "to_derivation"]

#: Derivations with more paths than this are refused.
MAX_PATHS = 64
#: ... and so are those whose written-out chain has more local derivatives than this.
MAX_FACTORS = 120


class DerivationError(GradtraceError, ValueError):
    """No derivation can be written: an unknown leaf or operation, or too many paths."""


@dataclass(frozen=True)
class Edge:
    """One local derivative ∂parent/∂child."""

    parent: int
    child: int


@dataclass(frozen=True)
class Product:
    terms: tuple[Term, ...]


@dataclass(frozen=True)
class Sum:
    terms: tuple[Term, ...]


Term = Edge | Product | Sum


@dataclass(frozen=True)
class Factor:
    """A local derivative as written: symbolically, in LaTeX, and its number."""

    edge: Edge
    text: str
    latex: str
    value: float


@dataclass(frozen=True)
class Derivation:
    """∂root/∂leaf as a grouped sum over paths.

    Attributes:
        graph: The graph.
        root: The output differentiated.
        leaf: The node it is differentiated by.
        paths: How many paths lead from `root` to `leaf`.
        tree: The grouped expression (None when there is no path, or root is leaf).
        factors: Every local derivative the tree uses, in the order it first uses them.
        total: The value of the expression: ∂root/∂leaf.
    """

    graph: Graph
    root: int
    leaf: int
    paths: int
    tree: Term | None
    factors: tuple[Factor, ...]
    total: float


def derive(
    graph_or_root: Any,
    leaf: str | int,
    *,
    max_paths: int = MAX_PATHS,
    max_factors: int = MAX_FACTORS,
) -> Derivation:
    """∂f/∂leaf as a grouped sum over paths (f: the graph's first output).

    Args:
        graph_or_root: A `Graph`, or a value to trace.
        leaf: The node, by label (`"x₁"`; `"x1"` finds `x₁` too) or by id.
        max_paths: Refuse a derivation with more paths than this.
        max_factors: Refuse one with more local derivatives written out than this.

    Raises:
        DerivationError: An unknown leaf or operation, or too many paths or factors.
    """
    graph = as_graph(graph_or_root)
    if not len(graph):
        raise DerivationError("the graph is empty; build a value first")
    root = graph.roots[0]
    target = _find(graph, leaf)
    naming = Naming(graph)
    if target == root:
        return Derivation(graph, root, target, 1, None, (), 1.0)
    builder = _Builder(graph, naming)
    paths = builder.count(root, target)
    if paths == 0:
        return Derivation(graph, root, target, 0, None, (), 0.0)
    f, x = naming.name(root), naming.name(target)
    if paths > max_paths:
        raise DerivationError(
            f"∂{f}/∂{x} is a sum over {paths} paths from {f} to {x}, more than "
            f"max_paths={max_paths}; derive a leaf nearer the output, or raise max_paths"
        )
    longest = builder.longest(root, target)
    if longest > max_factors:
        raise DerivationError(
            f"∂{f}/∂{x} has a path of {longest} local derivatives, more than "
            f"max_factors={max_factors}; derive a leaf nearer the output, or raise max_factors"
        )
    tree = builder.expand(root, target)
    edges = _edges(tree)
    if len(edges) > max_factors:
        raise DerivationError(
            f"∂{f}/∂{x} needs {len(edges)} local derivatives, more than "
            f"max_factors={max_factors}; derive a leaf nearer the output, or raise max_factors"
        )
    factors = {e: builder.factor(e) for e in dict.fromkeys(edges)}
    total = _value(tree, factors)
    return Derivation(graph, root, target, paths, tree, tuple(factors.values()), total)


def to_derivation(
    graph_or_root: Any,
    leaf: str | int | Sequence[str | int],
    *,
    latex: bool = False,
    precision: int = 4,
    max_paths: int = MAX_PATHS,
    max_factors: int = MAX_FACTORS,
) -> str:
    r"""The chain rule for one leaf (or several), written out, as Markdown or LaTeX.

    Args:
        graph_or_root: A `Graph`, or a value to trace.
        leaf: The node (by label or id), or a list of them.
        latex: LaTeX (needs amsmath) instead of Markdown.
        precision: Decimals of the numbers.
        max_paths: As for `derive`.
        max_factors: As for `derive`.

    Returns:
        The text: per leaf, the grouped chain of local derivatives, a table of them
        (symbolic and numeric), the numbers multiplied out and the boxed total.

    Example:
        >>> from gradtrace.figures import figure1
        >>> print(to_derivation(figure1(), "x₁").splitlines()[-1])
        $$\boxed{\frac{\partial f}{\partial x_{1}} = 0.0498}$$
    """
    leaves = [leaf] if isinstance(leaf, (str, int)) else list(leaf)
    graph = as_graph(graph_or_root)
    parts = []
    for one in leaves:
        d = derive(graph, one, max_paths=max_paths, max_factors=max_factors)
        parts.append(_Writer(d, latex, precision).write())
    return "\n\n".join(parts) + "\n"


# -- building the tree ------------------------------------------------------------------


class _Builder:
    def __init__(self, graph: Graph, naming: Naming) -> None:
        self.graph = graph
        self.naming = naming

    def below(self, src: int, dst: int) -> list[int]:
        """The nodes on some path from src to dst, src first (ids descending)."""
        graph = self.graph
        reach_down = {src}
        for i in range(src, dst - 1, -1):
            if i in reach_down:
                reach_down.update(graph[i].children)
        reaches = {dst}
        for i in range(dst + 1, src + 1):
            if i in reach_down and any(c in reaches for c in graph[i].children):
                reaches.add(i)
        return sorted(reach_down & reaches, reverse=True)

    def count(self, src: int, dst: int) -> int:
        """How many paths lead from src to dst (repeated operands count once per edge)."""
        return self.counts(src, dst)[0].get(dst, 0)

    def counts(self, src: int, dst: int) -> tuple[dict[int, int], dict[int, int], list[int]]:
        on = self.below(src, dst)
        members = set(on)
        down: dict[int, int] = {src: 1}  # paths src → v
        for v in on:
            for c in dict.fromkeys(self.graph[v].children):
                if c in members:
                    down[c] = down.get(c, 0) + down.get(v, 0)
        up: dict[int, int] = {dst: 1}  # paths v → dst
        for v in reversed(on):
            if v != dst:
                kids = dict.fromkeys(self.graph[v].children)
                up[v] = sum(up.get(c, 0) for c in kids if c in members)
        return down, up, on

    def longest(self, src: int, dst: int) -> int:
        on = self.below(src, dst)
        members = set(on)
        length = {dst: 0}
        for v in reversed(on):
            if v != dst:
                length[v] = 1 + max(length[c] for c in self.graph[v].children if c in members)
        return length.get(src, 0)

    def expand(self, src: int, dst: int) -> Term:
        """∂src/∂dst: factored at every node all paths pass through, summed where they part."""
        down, up, on = self.counts(src, dst)
        total = down.get(dst, 0)
        cuts = [v for v in on if v not in (src, dst) and down[v] * up[v] == total]
        chain = [src, *cuts, dst]
        segments = [self.segment(a, b) for a, b in itertools.pairwise(chain)]
        return segments[0] if len(segments) == 1 else Product(tuple(_flat(segments, Product)))

    def segment(self, a: int, b: int) -> Term:
        members = set(self.below(a, b))
        terms: list[Term] = []
        for c in dict.fromkeys(self.graph[a].children):
            if c == b:
                terms.append(Edge(a, b))
            elif c in members:
                rest = self.expand(c, b)
                terms.append(Product(tuple(_flat([Edge(a, c), rest], Product))))
        return terms[0] if len(terms) == 1 else Sum(tuple(terms))

    # -- one local derivative, written ---------------------------------------------------

    def factor(self, edge: Edge) -> Factor:
        graph = self.graph
        parent = graph[edge.parent]
        try:
            op = lookup(parent.op)
        except GradtraceError as error:
            raise DerivationError(str(error)) from None
        xs = [graph[c].data for c in parent.children]
        ones = op.grads(xs, parent.data, 1.0)
        positions = [k for k, c in enumerate(parent.children) if c == edge.child]
        value = 0.0
        for k in positions:
            value += ones[k]
        texts = [self.local(parent.id, op.name, k, False) for k in positions]
        latexes = [self.local(parent.id, op.name, k, True) for k in positions]
        return Factor(edge, " + ".join(texts), " + ".join(latexes), value)

    def name(self, i: int, latex: bool, wrap: bool = True) -> str:
        naming, node = self.naming, self.graph[i]
        if not latex:
            return atom(naming.name(i)) if wrap else naming.name(i)
        if node.op == "const" and not node.label:
            text = format_constant(node.data, latex=True)
        elif naming.is_named(i):
            text = latex_label(naming.name(i))
        else:
            text = naming.expression(i, latex=True)
        return atom(text, latex=True) if wrap else text

    def local(self, parent: int, op_name: str, k: int, latex: bool) -> str:
        node = self.graph[parent]
        kids = node.children
        n = exponent_of(op_name)
        a = self.name(kids[0], latex)
        if n is not None:
            return _power_local(n, a, latex)
        template = lookup(op_name).local_templates(k, latex)
        if template in ("{a}", "{b}", "{x}", "{out}", "{partner}"):  # one name: no parentheses
            which = {"{a}": 0, "{b}": 1, "{x}": k, "{partner}": k ^ 1}.get(template)
            i = parent if which is None else kids[which]
            return self.name(i, latex, wrap=False)
        fields = {
            "a": a,
            "b": self.name(kids[1], latex) if len(kids) > 1 else "",
            "x": self.name(kids[k], latex),
            "out": self.name(parent, latex),
            "partner": self.name(kids[k ^ 1], latex) if op_name == "dot" else "",
        }
        for key, value in fields.items():
            template = template.replace("{" + key + "}", value)
        return template


def _power_local(n: float, a: str, latex: bool) -> str:
    """n·aⁿ⁻¹, written the way a reader would: `2·w₁`, `−1·b⁻²`, `0.5·a^(−0.5)`."""
    if n == 0:
        return "0"
    m = n - 1
    nt, mt = format_constant(n, latex=latex), format_constant(m, latex=latex)
    if latex:
        power = "" if m == 0 else a if m == 1 else f"{a}^{{{mt}}}"
        return nt if not power else f"{nt} \\cdot {power}"
    if m == 0:
        return nt
    sup = superscript(mt)
    power = a if m == 1 else a + sup if sup is not None else f"{a}^({mt})"
    return f"{nt}·{power}"


def _flat(terms: Sequence[Term], kind: type[Product] | type[Sum]) -> list[Term]:
    out: list[Term] = []
    for t in terms:
        out.extend(t.terms if isinstance(t, kind) else (t,))
    return out


def _edges(tree: Term) -> list[Edge]:
    if isinstance(tree, Edge):
        return [tree]
    return [e for t in tree.terms for e in _edges(t)]


def _value(tree: Term, factors: dict[Edge, Factor]) -> float:
    if isinstance(tree, Edge):
        return factors[tree].value
    values = [_value(t, factors) for t in tree.terms]
    if isinstance(tree, Sum):
        total = 0.0
        for v in values:
            total += v
        return total
    product = 1.0
    for v in values:
        product *= v
    return product


def _find(graph: Graph, leaf: str | int) -> int:
    if isinstance(leaf, bool) or not isinstance(leaf, (str, int)):
        raise DerivationError(f"name the leaf by its label or node id, got {leaf!r}")
    if isinstance(leaf, int):
        if not 0 <= leaf < len(graph):
            raise DerivationError(f"the graph has no node {leaf} (ids run 0–{len(graph) - 1})")
        return leaf
    naming = Naming(graph)
    for wanted in dict.fromkeys((leaf, pretty_name(leaf))):
        for node in graph:
            if node.label == wanted or (node.label and naming.name(node.id) == wanted):
                return node.id
    known = ", ".join(n.label for n in graph if n.is_leaf and n.label and n.role != "constant")
    raise DerivationError(
        f"no value is labelled {leaf!r}; the graph's labelled leaves are {known or 'none'}"
    )


# -- writing ------------------------------------------------------------------------------

_MD_SPECIALS = str.maketrans({c: "\\" + c for c in "\\`*_[]<>|$"})


class _Writer:
    def __init__(self, d: Derivation, latex: bool, precision: int) -> None:
        self.d = d
        self.latex = latex
        self.precision = precision
        self.naming = Naming(d.graph)
        self.factors = {f.edge: f for f in d.factors}
        builder = _Builder(d.graph, self.naming)
        self.builder = builder

    def partial(self, top: int, bottom: int) -> str:
        """∂top/∂bottom in this format."""
        if self.latex:
            t = _latex_denominator(self.builder.name(top, True))
            b = _latex_denominator(self.builder.name(bottom, True))
            return rf"\frac{{\partial {t}}}{{\partial {b}}}"
        return f"∂{denominator(self.naming.name(top))}/∂{denominator(self.naming.name(bottom))}"

    def number(self, x: float, wrap: bool = True) -> str:
        text = format_number(x, self.precision)
        return f"({text})" if wrap and text.startswith("-") else text

    def chain(self, tree: Term, inner: bool = False) -> str:
        if isinstance(tree, Edge):
            return self.partial(tree.parent, tree.child)
        times = r" \, " if self.latex else " · "
        if isinstance(tree, Product):
            return times.join(self.chain(t, True) for t in tree.terms)
        text = " + ".join(self.chain(t) for t in tree.terms)
        if not inner:
            return text
        return rf"\left({text}\right)" if self.latex else f"({text})"

    def numbers(self, tree: Term, inner: bool = False) -> str:
        if isinstance(tree, Edge):
            return self.number(self.factors[tree].value)
        times = r" \times " if self.latex else " × "
        if isinstance(tree, Product):
            return times.join(self.numbers(t, True) for t in tree.terms)
        text = " + ".join(self.numbers(t) for t in tree.terms)
        if not inner:
            return text
        return rf"\left({text}\right)" if self.latex else f"({text})"

    def write(self) -> str:
        d = self.d
        whole = self.partial(d.root, d.leaf)
        boxed = rf"\boxed{{{whole} = {self.number(d.total, wrap=False)}}}"
        if d.tree is None:
            if d.paths == 0:
                why = "0: no path leads from {f} to {x}, so {f} does not depend on {x}."
            else:
                why = "1: {f} is the output itself."
            return self.block([self.heading(whole), self.text(why)], boxed)
        intro = self.text(
            "1 path from {f} to {x}:"
            if d.paths == 1
            else f"{d.paths} paths from {{f}} to {{x}}, added up (a part they share is "
            "written once):"
        )
        lines = [self.heading(whole), intro, self.math(f"{whole} = {self.chain(d.tree)}")]
        lines.append(self.table())
        product = self.numbers(d.tree)
        if self.latex:
            lines.append(self.math(f"{whole} = {product}"))
        else:
            lines.append(f"= {product}".translate(_MD_SPECIALS))
        return self.block(lines, boxed)

    def heading(self, whole: str) -> str:
        if self.latex:
            return rf"\paragraph{{${whole}$}}"
        return f"#### {self.partial(self.d.root, self.d.leaf)}".translate(_MD_SPECIALS)

    def text(self, sentence: str) -> str:
        """A sentence naming the output `{f}` and the leaf `{x}`."""
        d = self.d
        if self.latex:
            f = "$" + self.builder.name(d.root, True, wrap=False) + "$"
            x = "$" + self.builder.name(d.leaf, True, wrap=False) + "$"
        else:
            f = self.naming.name(d.root).translate(_MD_SPECIALS)
            x = self.naming.name(d.leaf).translate(_MD_SPECIALS)
        return sentence.replace("{f}", f).replace("{x}", x)

    def math(self, formula: str) -> str:
        if self.latex:
            return "\\begin{equation*}\n" + formula + "\n\\end{equation*}"
        return formula.translate(_MD_SPECIALS)

    def block(self, lines: list[str], boxed: str) -> str:
        last = rf"\[ {boxed} \]" if self.latex else f"$${_latex_boxed(self, boxed)}$$"
        return "\n\n".join([*lines, last])

    def table(self) -> str:
        rows = [(self.partial(f.edge.parent, f.edge.child), f) for f in self.d.factors]
        if self.latex:
            body = [
                rf"  ${name}$ & ${f.latex}$ & ${self.number(f.value, wrap=False)}$ \\"
                for name, f in rows
            ]
            return "\n".join(
                [
                    r"\begin{tabular}{lll}",
                    r"  local derivative & written out & value \\ \hline",
                    *body,
                    r"\end{tabular}",
                ]
            )
        out = ["| local derivative | written out | value |", "|---|---|--:|"]
        for name, f in rows:
            cells = (name, f.text, self.number(f.value, wrap=False))
            out.append("| " + " | ".join(c.translate(_MD_SPECIALS) for c in cells) + " |")
        return "\n".join(out)


def _latex_boxed(writer: _Writer, boxed: str) -> str:
    """The boxed total for Markdown: LaTeX math, the ∂ written as a LaTeX fraction."""
    d = writer.d
    t = writer.builder.name(d.root, True)
    b = writer.builder.name(d.leaf, True)
    return rf"\boxed{{\frac{{\partial {t}}}{{\partial {b}}} = {writer.number(d.total, False)}}}"


def _latex_denominator(name: str) -> str:
    """As `steps.denominator`: a name with a superscript in parentheses after ∂."""
    if "^{" in name and not name.startswith(r"\left("):
        return rf"\left({name}\right)"
    return name


def is_close(a: float, b: float) -> bool:
    """Equal up to rounding (nan equals nan, infinities their own sign)."""
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
