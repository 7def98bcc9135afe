"""The errors a user can cause, each with a one-line message that names the fix.

Every gradtrace error derives from `GradtraceError`, so a caller (the CLI, a
notebook, the mkdocs plugin) can catch them all in one place and show the
message without a traceback.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = [
    "GradtraceError",
    "GraphTooLargeError",
    "GraphvizNotFoundError",
    "NumberError",
    "RenderError",
    "RenderTimeoutError",
    "SizeWarning",
    "TraceError",
]


class GradtraceError(Exception):
    """Base class of every error gradtrace raises on purpose."""


class NumberError(GradtraceError, ValueError):
    """A number gradtrace cannot hold or show (an int beyond float range, a bad precision)."""


class TraceError(GradtraceError, TypeError):
    """Something in a graph is not shaped like a `Value` (see `gradtrace.graph.trace`)."""


class GraphvizNotFoundError(GradtraceError):
    """Graphviz's `dot` program is not installed (DOT text export still works)."""

    def __init__(self, detail: str = "") -> None:
        where = f" ({detail})" if detail else ""
        super().__init__(
            f"Graphviz's 'dot' program was not found{where}; install Graphviz "
            "(sudo apt-get install graphviz, brew install graphviz, or "
            "conda install -c conda-forge graphviz) or export DOT text instead (to_dot(), or --dot)"
        )


class GraphTooLargeError(GradtraceError):
    """A drawing is too big for Graphviz to lay out in reasonable time.

    Attributes:
        n_nodes: The values the drawing has (`kind == "values"`), or the length of
            its edges counted column by column (`kind == "edges"`).
        max_nodes: The limit it is over (`max_nodes` or `max_edges`).
        kind: `"values"` or `"edges"`.
        edges: How many edges the drawing has (for `kind == "edges"`).
        scopes: Scopes of the graph that are not collapsed yet: collapsing them
            would draw less. Empty when collapsing cannot help.
        at_least: The graph was refused before it was all counted: it has at
            least `n_nodes` values.
    """

    def __init__(
        self,
        n_nodes: int,
        max_nodes: int,
        *,
        kind: str = "values",
        edges: int = 0,
        scopes: Sequence[str] = (),
        at_least: bool = False,
    ) -> None:
        self.n_nodes = n_nodes
        self.max_nodes = max_nodes
        self.kind = kind
        self.edges = edges
        self.scopes = tuple(scopes)
        self.at_least = at_least
        if kind == "edges":
            problem = (
                f"the drawing's {edges} edges cross {n_nodes} columns in all (each edge counts "
                f"once per column it spans), more than max_edges={max_nodes} that Graphviz lays "
                "out in reasonable time"
            )
            raise_it = "raise max_edges (--max-edges)"
        else:
            problem = (
                f"the graph has more than max_nodes={max_nodes} values to draw, too many for "
                "Graphviz to lay out in reasonable time"
                if at_least
                else f"the graph has {n_nodes} values to draw, more than max_nodes={max_nodes} "
                "that Graphviz lays out in reasonable time"
            )
            raise_it = "raise max_nodes (--max-nodes)"
        fixes = [raise_it]
        if self.scopes:
            names = ", ".join(repr(s) for s in self.scopes[:3])
            fixes.append(f"collapse scopes (collapse=({names},), --collapse NAME)")
        fixes.append("export DOT text instead (to_dot(), --dot)")
        super().__init__(f"{problem}; {', '.join(fixes[:-1])} or {fixes[-1]}")


class RenderError(GradtraceError):
    """Graphviz ran but failed (its first line of stderr is in the message)."""

    def __init__(self, stderr: str | bytes = "", *, message: str | None = None) -> None:
        if isinstance(stderr, bytes):
            stderr = stderr.decode("utf-8", "replace")
        self.stderr = stderr
        if message is None:
            first = next((line.strip() for line in stderr.splitlines() if line.strip()), "")
            message = f"Graphviz failed to render the graph: {first or 'no error message'}"
        super().__init__(message)


class RenderTimeoutError(RenderError):
    """Graphviz's `dot` did not finish within the time limit and was stopped.

    Attributes:
        timeout: The limit, in seconds.
    """

    def __init__(self, timeout: float, *, scopes: Sequence[str] = ()) -> None:
        self.timeout = timeout
        more = max(2 * timeout, 1)
        fixes = [f"allow it more time (timeout={more:g}, --timeout {more:g})"]
        if scopes:
            names = ", ".join(repr(s) for s in tuple(scopes)[:3])
            fixes.append(f"collapse scopes (collapse=({names},), --collapse NAME)")
        super().__init__(
            message=f"Graphviz did not finish laying out the graph within {timeout:g} s and "
            f"was stopped; {', '.join(fixes)} or export DOT text instead (to_dot(), --dot)"
        )


class SizeWarning(UserWarning):
    """A drawing was made smaller than asked (a PNG over its pixel limit); the message says how."""
