"""SPEC's tables, written out once for every test that checks against them.

`FIGURE1_TRACE` is SPEC §2's trace table: each row is (label, forward value,
gradient) exactly as the SPEC prints them, 4 decimals. `TRAINING_RESULTS` is
SPEC §3's results table, character for character.
"""

FIGURE1_TRACE = [
    ("w₁", "0.2000", "0.1004"),
    ("w₂", "0.4000", "0.5246"),
    ("x₁", "-0.4000", "0.0498"),
    ("x₂", "0.5000", "0.0996"),
    ("w₁²", "0.0400", "0.5000"),
    ("w₂²", "0.1600", "0.5000"),
    ("w₁x₁", "-0.0800", "0.2491"),
    ("w₂x₂", "0.2000", "0.2491"),
    ("z", "0.1200", "0.2491"),
    ("u", "0.2000", "0.5000"),
    ("R", "0.1000", "1.0000"),
    ("G = σ(z)", "0.5300", "1.0000"),
    ("f", "0.6300", "1.0000"),
]

TRAINING_RESULTS = """\
| Metric | Value |
|---|---|
| Final Accuracy | 99% |
| Final Loss | 0.13 |
| Training Iterations | 500 |
| Number of Classes | 4 |
| Dataset Size | 100 samples |
| Input Dimensions | 2D |"""
