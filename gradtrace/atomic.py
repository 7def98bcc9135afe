"""Files written whole or not at all, with the permissions the user's umask gives.

Every file gradtrace writes (`render()`, the `gradtrace` command) is first written
to a temporary file beside its target and then renamed over it, so nobody ever sees
half a file: after an error, a crash or `kill -9`, each target is either its old
version or its complete new one. Temporaries are named

    .NAME.gradtrace-PID-XXXXXXXX.tmp

(NAME: the target's name, PID: the process writing it) and are created the way
`open(path, "w")` creates a file, mode 0666 minus the umask, which the rename keeps.
A temporary whose process no longer runs (it was killed while writing) is removed by
`remove_stale()`, which `render()` and the command call on the folders they write to.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
from collections.abc import Mapping
from pathlib import Path

__all__ = ["remove_stale", "stage", "write_all", "write_atomically"]

_TEMPORARY = re.compile(r"\.(?P<name>.*)\.gradtrace-(?P<pid>\d+)-[0-9a-f]{8}\.tmp", re.S)
#: Long names are shortened in the temporary's name, which must fit the file system's limit.
_NAME_KEPT = 100


def _folder(path: Path) -> Path:
    return path.parent if str(path.parent) else Path(".")


def stage(target: Path, data: bytes) -> Path:
    """Write `data` to a new temporary file beside `target` and return its path.

    The file gets the permissions a new file gets from `open()` under the umask.
    """
    name = f".{target.name[:_NAME_KEPT]}.gradtrace-{os.getpid()}-{secrets.token_hex(4)}.tmp"
    tmp = _folder(target) / name
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(tmp, flags, 0o666)
    except OSError as error:
        error.filename = str(target)  # the file the user asked for, not our temporary
        raise
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data)
    except BaseException as error:
        _unlink(tmp)
        if isinstance(error, OSError):
            error.filename = str(target)
        raise
    return tmp


def write_atomically(target: str | os.PathLike[str], data: bytes) -> None:
    """Replace `target` by a file holding `data`, in one rename."""
    write_all({Path(target): data})


def write_all(contents: Mapping[Path, bytes]) -> None:
    """Write several files: stage every one, then rename them into place.

    An error while staging (a full disk, say) removes what was staged and leaves
    every target as it was. Only the renames at the end are not one step together:
    a process killed between two of them leaves some targets new, the others old
    (each of them whole).
    """
    staged: list[tuple[Path, Path]] = []
    try:
        for target, data in contents.items():
            staged.append((stage(target, data), target))
        while staged:
            tmp, target = staged[0]
            os.replace(tmp, target)
            staged.pop(0)
    finally:
        for tmp, _ in staged:
            _unlink(tmp)


def remove_stale(folder: Path, target: Path | None = None) -> list[Path]:
    """Delete temporaries in `folder` left by gradtrace processes that no longer run.

    Args:
        folder: Where to look.
        target: Only the temporaries of this file (default: all of them).

    Returns:
        The paths removed. Temporaries of running processes (this one included)
        are kept; so is everything on systems where gradtrace cannot tell whether
        a process runs (Windows).
    """
    removed: list[Path] = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        m = _TEMPORARY.fullmatch(entry.name)
        if m is None or (target is not None and m["name"] != target.name[:_NAME_KEPT]):
            continue
        pid = int(m["pid"])
        if 0 < pid < 2**31 and not _running(pid) and entry.is_file(follow_symlinks=False):
            path = Path(entry.path)
            if _unlink(path):
                removed.append(path)
    return sorted(removed)


def _running(pid: int) -> bool:
    """Whether process `pid` exists (True when that cannot be told safely)."""
    if os.name != "posix" or pid == os.getpid():
        return True  # on Windows os.kill(pid, 0) would end the process
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # PermissionError: it runs, as another user
        return True
    return True


def _unlink(path: Path) -> bool:
    with contextlib.suppress(OSError):
        os.unlink(path)
        return True
    return False
