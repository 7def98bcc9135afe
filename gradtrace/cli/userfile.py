"""Run the user's `FILE.py` and find the graph it built.

`run_file()` runs the file the way `python FILE.py` would: its folder first on
`sys.path`, `__name__ == "__main__"`, `sys.argv == [FILE]`. The module-level
variables that hold a `Value` (anything with `data`, `grad` and `_prev`, so
micrograd's `Value` counts too) are the candidates; the ones that feed no other
candidate are the roots. `name_values()` labels unlabelled values after their
variables, turning digits into subscripts (`w1` → `w₁`, `x_2` → `x₂`,
`w1x1` → `w₁x₁`).
"""

from __future__ import annotations

import contextlib
import re
import runpy
import sys
import traceback
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from gradtrace.cli.common import CommandError, UserCodeError

__all__ = [
    "find_roots",
    "has_gradients",
    "is_value",
    "module_values",
    "name_values",
    "pretty_name",
    "run_file",
]

_PACKAGE_DIR = Path(__file__).resolve().parent.parent


def run_file(path: Path) -> dict[str, Any]:
    """Run `path` as a script and return its module namespace.

    Raises:
        CommandError: The file has a syntax error or exits early.
        UserCodeError: The file raised an exception (carries the user's traceback).
    """
    saved_path, saved_argv = sys.path[:], sys.argv[:]
    sys.path.insert(0, str(path.resolve().parent))
    sys.argv = [str(path)]
    try:
        return runpy.run_path(str(path), run_name="__main__")
    except SyntaxError as e:
        where = f"{e.filename or path}:{e.lineno or '?'}"
        if e.offset:
            where += f":{e.offset}"
        raise CommandError(f"{where}: syntax error: {e.msg}; fix that line and run again") from None
    except SystemExit as e:
        raise CommandError(
            f"{path} called sys.exit({'' if e.code is None else repr(e.code)}) before it "
            "finished; remove the call so gradtrace can read the values it built"
        ) from None
    except KeyboardInterrupt:
        raise
    except BaseException as e:
        raise UserCodeError(
            f"{path} raised {type(e).__name__} (traceback above); fix the error in your file "
            "and run again",
            _user_traceback(e, path),
        ) from None
    finally:
        sys.path[:] = saved_path
        sys.argv = saved_argv


def _user_traceback(error: BaseException, path: Path) -> str:
    """The traceback of `error`, from the user's file on, without gradtrace's own frames."""
    frames = traceback.extract_tb(error.__traceback__)
    user_file = str(path)
    start = next((i for i, f in enumerate(frames) if f.filename == user_file), 0)
    kept = [f for f in frames[start:] if not _inside_gradtrace(f.filename)]
    lines = ["Traceback (most recent call last):\n"]
    lines += traceback.format_list(kept)
    lines += traceback.format_exception_only(type(error), error)
    return "".join(lines)


def _inside_gradtrace(filename: str) -> bool:
    try:
        return Path(filename).resolve().is_relative_to(_PACKAGE_DIR)
    except (OSError, ValueError):
        return False


def is_value(obj: object) -> bool:
    """True for a `Value` instance or anything shaped like one (data, grad, _prev)."""
    return (
        not isinstance(obj, type)
        and hasattr(obj, "data")
        and hasattr(obj, "grad")
        and isinstance(getattr(obj, "_prev", None), (tuple, list, set, frozenset))
    )


def module_values(namespace: dict[str, Any]) -> dict[str, Any]:
    """The module-level `Value`s, by variable name, in the order the file bound them.

    A value bound to several names appears once, under its first name. Dunder
    names (`__builtins__`, ...) are skipped.
    """
    found: dict[str, Any] = {}
    seen: set[int] = set()
    for name, obj in namespace.items():
        if name.startswith("__") or not is_value(obj) or id(obj) in seen:
            continue
        seen.add(id(obj))
        found[name] = obj
    return found


def find_roots(values: dict[str, Any]) -> dict[str, Any]:
    """The values (by name) that no other value in `values` was computed from."""
    below: set[int] = set()
    stack: list[Any] = [child for v in values.values() for child in v._prev]
    while stack:
        node = stack.pop()
        if id(node) not in below:
            below.add(id(node))
            stack.extend(node._prev)
    return {name: v for name, v in values.items() if id(v) not in below}


def name_values(values: dict[str, Any], *, plain: bool = False) -> None:
    """Label each unlabelled value after its variable (`pretty_name` unless `plain`)."""
    for name, value in values.items():
        if getattr(value, "label", ""):
            continue
        # A duck-typed value may have no room for a label: then it stays unnamed.
        with contextlib.suppress(AttributeError, TypeError):
            value.label = name if plain else pretty_name(name)


_DIGITS = re.compile(r"(?<=[^\W\d_])_?(\d+)")
_SUBSCRIPTS = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


def pretty_name(name: str) -> str:
    """A variable name as a label: digits after a letter become subscripts.

    Example:
        >>> [pretty_name(n) for n in ("w1", "x_2", "w1x1", "loss", "h12")]
        ['w₁', 'x₂', 'w₁x₁', 'loss', 'h₁₂']
    """
    return _DIGITS.sub(lambda m: m.group(1).translate(_SUBSCRIPTS), name)


def has_gradients(roots: Iterable[Any]) -> bool:
    """True if any value the roots depend on (roots included) has a non-zero gradient."""
    return any(v.grad != 0 for v in _walk(roots))


def _walk(roots: Iterable[Any]) -> Iterator[Any]:
    seen: set[int] = set()
    stack = list(roots)
    while stack:
        node = stack.pop()
        if id(node) not in seen:
            seen.add(id(node))
            yield node
            stack.extend(node._prev)
