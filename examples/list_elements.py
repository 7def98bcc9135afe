"""Values kept in a list: they are named after the list and their index.

    f = xs[0] · xs[1] + 1, so ∂f/∂xs[0] = xs[1] = 2 and ∂f/∂xs[1] = xs[0] = 1.

Nobody labelled xs[0] and xs[1]; gradtrace names them after the list they live
in, as you would write them in Python.

    gradtrace export examples/list_elements.py --svg --md
"""

from gradtrace import Value

xs = [Value(1.0), Value(2.0)]
f = xs[0] * xs[1] + 1
