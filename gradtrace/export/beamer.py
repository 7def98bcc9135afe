r"""A Beamer frame that walks through the steps, one overlay per step.

`to_beamer(graph, pdf="f-steps.pdf")` writes a `.tex` file holding one `frame` whose
overlay k shows page k of the multi-page PDF of `gradtrace.export.frames` (the figure
with step k highlighted and its sentence as a caption). Keep the PDF next to the `.tex`
(`gradtrace export FILE.py --steps tex` writes both).

The file compiles as it is (`pdflatex f-steps.tex`: it sees that no document has begun
and wraps the frame in a `beamer` document of its own), and inside a lecturer's deck with
`\input{f-steps}` in the document body (the deck needs `graphicx`, which Beamer loads).
Frames and overlays are Beamer's own: `\pause`-style stepping, handouts
(`[handout]` keeps one slide per frame: the last step), and `\againframe` all work.
"""

from __future__ import annotations

from typing import Any

from gradtrace.export.dot import Theme
from gradtrace.export.frames import DEFAULT_MAX_STEPS, FramesError, prepare
from gradtrace.export.render import DEFAULT_MAX_NODES
from gradtrace.notation import Naming, latex_label

__all__ = ["to_beamer"]

_PASS_TITLES = {
    "forward": "The forward pass",
    "backward": "The backward pass",
    "both": "Forward and backward, step by step",
}


def to_beamer(
    graph_or_root: Any,
    *,
    pdf: str = "steps.pdf",
    passes: str = "both",
    theme: str | Theme = "light",
    precision: int = 4,
    max_steps: int | None = DEFAULT_MAX_STEPS,
    max_nodes: int | None = DEFAULT_MAX_NODES,
) -> str:
    r"""A Beamer frame with one overlay per step, showing the pages of `pdf`.

    Args:
        graph_or_root: A `Graph`, or a value to trace.
        pdf: The file name of the frames' PDF (`to_frames(graph, "pdf")` with the same
            options), as LaTeX will look for it.
        passes: `"forward"`, `"backward"` or `"both"`.
        theme: As for `to_frames` (it decides how many steps there are: give the same).
        precision: As for `to_frames` (it decides how many steps there are: give the same).
        max_steps: As for `to_frames` (it decides how many steps there are: give the same).
        max_nodes: As for `to_frames` (it decides how many steps there are: give the same).

    Returns:
        The `.tex` text.

    Raises:
        FramesError: For a file name LaTeX cannot read, or as `to_frames`.

    Example:
        >>> from gradtrace.figures import figure1
        >>> tex = to_beamer(figure1(), pdf="figure1-steps.pdf", passes="backward")
        >>> tex.count(r"\includegraphics<")
        12
    """
    if not pdf.endswith(".pdf") or any(c in pdf for c in "\\{}%#$&^~ \n"):
        raise FramesError(
            f"the PDF name {pdf!r} cannot go into LaTeX; use a plain file name ending in .pdf"
        )
    film = prepare(graph_or_root, passes, theme, precision, max_steps, max_nodes)
    graph = film.graph
    root = film.walk.root
    name = latex_label(Naming(graph).name(root)) if len(graph) else "f"
    title = f"{_PASS_TITLES.get(passes, _PASS_TITLES['both'])}: ${name}$"
    count = len(film.steps)
    lines = [
        f"% gradtrace: {count} steps of {passes} pass(es), one overlay each; pages of {pdf}.",
        "% Compiles as it is (pdflatex), or \\input it in the body of a Beamer deck.",
        r"\makeatletter",
        r"\ifx\documentclass\@notprerr\makeatother\else\makeatother",
        r"  \documentclass[aspectratio=169]{beamer}",
        r"  \setbeamertemplate{navigation symbols}{}",
        r"  \expandafter\def\csname gradtrace@end\endcsname{\end{document}}",
        r"  \begin{document}",
        r"\fi",
        r"\begin{frame}",
        f"  \\frametitle{{{title}}}",
        r"  \centering",
    ]
    for k in range(1, count + 1):
        lines.append(
            f"  \\includegraphics<{k}>[page={k},width=\\linewidth,height=0.82\\textheight,"
            f"keepaspectratio]{{{pdf}}}%"
        )
    lines += [
        r"\end{frame}",
        r"\csname gradtrace@end\endcsname",
    ]
    return "\n".join(lines) + "\n"
