"""The errors a user can cause, each with a one-line message that names the fix.

Every gradtrace error derives from `GradtraceError`, so a caller (the CLI, a
notebook, the mkdocs plugin) can catch them all in one place and show the
message without a traceback.
"""

from __future__ import annotations

__all__ = ["GradtraceError", "GraphTooLargeError", "GraphvizNotFoundError", "RenderError"]


class GradtraceError(Exception):
    """Base class of every error gradtrace raises on purpose."""


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
    """A graph has more values than a render is allowed to lay out."""

    def __init__(self, n_nodes: int, max_nodes: int) -> None:
        self.n_nodes = n_nodes
        self.max_nodes = max_nodes
        super().__init__(
            f"the graph has {n_nodes} values, more than max_nodes={max_nodes} that Graphviz "
            "lays out in reasonable time; raise max_nodes (--max-nodes), collapse scopes "
            "(collapse=(...), --collapse) or export DOT text instead (to_dot(), --dot)"
        )


class RenderError(GradtraceError):
    """Graphviz ran but failed (its first line of stderr is in the message)."""

    def __init__(self, stderr: str | bytes = "") -> None:
        if isinstance(stderr, bytes):
            stderr = stderr.decode("utf-8", "replace")
        first = next((line.strip() for line in stderr.splitlines() if line.strip()), "")
        self.stderr = stderr
        super().__init__(f"Graphviz failed to render the graph: {first or 'no error message'}")
