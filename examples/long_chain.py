"""A chain of 200 operations: the kind of depth where gradients vanish.

    y ← tanh(1.01·y + 0.1), 66 times, then 1.01·y + 0.1 once more: 200 operations

Every value bound to y gets its own name, y⁽⁰⁾ … y⁽¹⁹⁹⁾. The figure wraps the
chain into rows like lines of text so it fits a page, and the trace table shows
∂y/∂x shrinking to about 4·10⁻¹⁴: each tanh multiplies it by 1 − tanh² < 1.
Numbers too small for four decimals are written in scientific notation, so a
vanishing gradient never reads as 0.0000.

    gradtrace export examples/long_chain.py --svg --md
"""

from gradtrace import Value

x = Value(0.3)
y = x
for _ in range(66):
    y = y * 1.01
    y = y + 0.1
    y = y.tanh()
y = y * 1.01
y = y + 0.1
