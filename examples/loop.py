"""A loop: every pass binds `a` to a new value, and each one keeps its name.

    f = tanh(x·1) + tanh(x·2) + tanh(x·3)

The three values bound to `a` are a⁽⁰⁾, a⁽¹⁾ and a⁽²⁾ (counted from 0, like the
list they feed: hs[0], hs[1], hs[2]). Each tanh sends back 1 − tanh², so the
pass with the largest weight, where tanh saturates most, passes back the least.

    gradtrace export examples/loop.py --svg --md
"""

from gradtrace import Value

x = Value(0.5)
hs = []
for w in (1.0, 2.0, 3.0):
    a = x * w
    hs.append(a.tanh())
f = hs[0] + hs[1] + hs[2]
