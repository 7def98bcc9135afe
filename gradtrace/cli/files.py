"""Where the outputs go, checked before anything runs, and written all-or-nothing.

`check_source()` and `plan_outputs()` validate the command line before the
user's file runs. `write_all()` stages every output as a temporary file in its
own folder (`.NAME.gradtrace-PID-XXXXXXXX.tmp`, see `gradtrace.atomic`) and renames
them into place only when all are staged. So an error never leaves a half-written
file nor a half-written set; a process killed between two of the final renames
leaves some outputs new and some old, each whole. `check_writable()` removes the
temporaries such a killed run left in the output folders.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from gradtrace import atomic
from gradtrace.atomic import remove_stale, stage
from gradtrace.cli.common import CommandError
from gradtrace.formats import FORMATS

__all__ = [
    "SUFFIXES",
    "check_source",
    "check_writable",
    "ending",
    "plan_outputs",
    "write_all",
]

#: File name endings that select a format (for `-o figure.png` without a format flag).
SUFFIXES: dict[str, str] = {s: f.name for f in FORMATS.values() for s in f.suffixes}


def ending(path: Path) -> str:
    """The longest `SUFFIXES` key `path`'s name ends with (`fig.tikz.tex` → `.tikz.tex`), else
    its last suffix."""
    name = path.name.lower()
    known = [s for s in SUFFIXES if name.endswith(s) and len(name) > len(s)]
    return max(known, key=len) if known else path.suffix.lower()


def _named(folder: Path, stem: str, fmt: str) -> Path:
    return folder / f"{stem}{FORMATS[fmt].suffixes[0]}"


def check_source(name: str) -> Path:
    """The user's file as a `Path`, if it is an existing `.py` file."""
    path = Path(name)
    if not path.exists():
        raise CommandError(f"{name} does not exist; check the path (and the current folder)")
    if path.is_dir():
        raise CommandError(f"{name} is a folder; give the Python file inside it that builds Values")
    if path.suffix != ".py":
        raise CommandError(
            f"{name} is not a .py file; export runs a Python file that builds Values"
        )
    return path


def plan_outputs(
    source: Path, formats: Sequence[str], output: str | None
) -> tuple[list[str], dict[str, Path]]:
    """The formats to write and the file each goes to.

    Args:
        source: The user's file (outputs default to its folder and stem).
        formats: The format flags given (may be empty).
        output: The `-o` argument: a file (one format) or an existing folder.

    Returns:
        `(formats, paths)`: with no format flag, the format comes from the
        suffix of `-o` or defaults to SVG.
    """
    known = ", ".join(sorted(SUFFIXES))
    if output is None:
        formats = list(formats) or ["svg"]
        return formats, {f: _named(source.parent, source.stem, f) for f in formats}
    out = Path(output)
    if out.is_dir():
        formats = list(formats) or ["svg"]
        return formats, {f: _named(out, source.stem, f) for f in formats}
    if out.exists() and not out.is_file():
        raise CommandError(
            f"-o {output} is not a regular file or a folder (a device, a pipe, ...); outputs "
            "are files written whole and renamed into place: give a file name like "
            "graph.svg or an existing folder"
        )
    wants_folder = output.endswith(("/", os.sep)) or len(formats) > 1
    if len(formats) > 1 and ending(out) in SUFFIXES and not out.exists():
        folder = out.parent if out.parent != Path() else Path("out")
        raise CommandError(
            f"-o {output} names one file but {len(formats)} formats were asked for "
            f"({' '.join('--' + f for f in formats)}); give -o a folder instead "
            f"(mkdir -p {folder}, then -o {folder}/) or export one format per run"
        )
    if not formats and not wants_folder:
        if ending(out) not in SUFFIXES:
            raise CommandError(
                f"unknown format {out.suffix or '(no suffix)'!r} in -o {output}; "
                f"end the file name in one of {known}, or give a format flag like --svg"
            )
        formats = [SUFFIXES[ending(out)]]
    if wants_folder or not out.suffix:
        if out.exists():
            raise CommandError(
                f"-o {output} is not a folder; several formats need an existing folder"
            )
        raise CommandError(
            f"output folder {output} does not exist; create it first (mkdir -p {output}) "
            "or give a file name with a suffix"
        )
    fmt = formats[0] if formats else "svg"
    if SUFFIXES.get(ending(out)) != fmt:
        wanted = FORMATS[fmt].suffixes[0]
        stem = out.name[: len(out.name) - len(ending(out))] if ending(out) else out.name
        if ending(out) in SUFFIXES and len(ending(out)) > len(out.suffix):  # fig.tikz.tex
            what = f"ends in {ending(out)} (--{SUFFIXES[ending(out)]})"
        else:
            what = f"does not end in {wanted}"
        raise CommandError(
            f"-o {output} {what} but the format is --{fmt}; "
            f"name the file {stem}{wanted} or drop the flag"
        )
    _check_parent(output, out.parent)
    return [fmt], {fmt: out}


def _check_parent(output: str, parent: Path) -> None:
    """The folder of `-o FILE` must exist, and be a folder."""
    if parent.is_dir():
        return
    for above in (parent, *parent.parents):
        if above.exists() and not above.is_dir():
            raise CommandError(
                f"-o {output}: {above} is a file, not a folder; put the output in a folder "
                f"(for example -o {Path(output).name})"
            )
        if above.exists():
            break
    raise CommandError(
        f"output folder {parent} does not exist; create it first (mkdir -p {parent})"
    )


def check_writable(paths: Sequence[Path]) -> None:
    """Fail early if an output cannot be written (a folder in its place, no permission).

    Also removes, from every output folder, the temporaries that a gradtrace run
    killed while writing left behind.
    """
    for path in paths:
        if path.is_dir():
            raise CommandError(f"{path} is a folder; remove it or choose another name with -o")
    for folder in dict.fromkeys(p.parent for p in paths):
        remove_stale(folder)
        try:
            probe = stage(folder / "probe", b"")
        except OSError as e:
            raise CommandError(
                f"cannot write to folder {folder} ({e.strerror}); choose a writable one with -o"
            ) from None
        probe.unlink()


def write_all(contents: dict[Path, bytes]) -> None:
    """Write every file or none: stage each in its folder, then rename them all into place."""
    try:
        atomic.write_all(contents)
    except OSError as e:
        raise CommandError(
            f"cannot write {e.filename or 'an output'} ({e.strerror}); nothing was written, "
            "free some space or choose another folder with -o"
        ) from None
