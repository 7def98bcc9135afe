"""A value used twice: b = a + a.

Both paths from b back to a carry a gradient of 1, and backward() adds them
up, so ∂b/∂a = 2, not 1.

    gradtrace export examples/reused_node.py --svg --md
"""

from gradtrace import Value

a = Value(3.0)
b = a + a
