"""gradtrace: a scalar autograd engine that explains itself.

Public face only: everything here is re-exported from the module that owns it.
"""

from gradtrace.engine import Value, scope
from gradtrace.graph import Graph, Node, trace

__all__ = ["Graph", "Node", "Value", "scope", "trace"]
__version__ = "0.1.0"
