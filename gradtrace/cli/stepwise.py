"""`gradtrace export --steps ... --derivation LEAF`: frames of every step and derivations.

Called by `run_export` after the graph is captured; produces every file in memory (the
caller writes them all or none). Names, next to FILE or in the `-o` folder:

- `FILE-step-01.svg`, `FILE-step-02.svg`, ... (and `.png`): one per step;
- `FILE-steps.pdf` (a page per step), `FILE-steps.gif`;
- `FILE-beamer.tex`: a Beamer frame with an overlay per step, showing the pages of
  `FILE-steps.pdf` (written with it);
- `FILE-derivation.md` and `FILE-derivation.tex`: ∂f/∂LEAF for each `--derivation LEAF`.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from gradtrace.graph import Graph

__all__ = ["produce"]


def produce(graph: Graph, args: argparse.Namespace, folder: Path, stem: str) -> dict[Path, bytes]:
    """Every file `--steps` and `--derivation` ask for, by path."""
    out: dict[Path, bytes] = {}
    look: dict[str, Any] = {
        "passes": args.walk_pass,
        "theme": args.theme or "light",
        "precision": 4 if args.precision is None else args.precision,
    }
    limits: dict[str, Any] = {"max_steps": args.max_steps or 300}
    if args.max_nodes is not None:
        limits["max_nodes"] = args.max_nodes
    formats = tuple(args.steps or ())
    if formats:
        from gradtrace.export.frames import to_frames

        for fmt in ("svg", "png"):
            if fmt in formats:
                frames = to_frames(graph, fmt, **look, **limits)
                width = max(2, len(str(len(frames))))
                for k, frame in enumerate(frames, 1):
                    out[folder / f"{stem}-step-{k:0{width}d}.{fmt}"] = frame
        if "pdf" in formats or "tex" in formats:
            out[folder / f"{stem}-steps.pdf"] = to_frames(graph, "pdf", **look, **limits)[0]
        if "gif" in formats:
            out[folder / f"{stem}-steps.gif"] = to_frames(graph, "gif", **look, **limits)[0]
        if "tex" in formats:
            from gradtrace.export.beamer import to_beamer

            tex = to_beamer(graph, pdf=f"{stem}-steps.pdf", **look, **limits)
            out[folder / f"{stem}-beamer.tex"] = tex.encode("utf-8")
    if args.derivation:
        from gradtrace.export.derivation import to_derivation

        precision = look["precision"]
        for latex, suffix in ((False, "md"), (True, "tex")):
            text = to_derivation(graph, args.derivation, latex=latex, precision=precision)
            out[folder / f"{stem}-derivation.{suffix}"] = text.encode("utf-8")
    return out
