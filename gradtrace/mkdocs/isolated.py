"""Running code in a fresh Python process: it sees the code as it is now, and nothing else sees it.

`mkdocs serve` keeps one Python process for the whole session and never
re-imports a module, so code run inside it would keep drawing yesterday's
figures after the engine (or a module a block imports) is edited; and a block
that monkeypatches `Value.tanh` would change every block after it. So each
gradtrace block, and this site's own generated content, runs in a process of
its own, started for that one request and ended after it (0.2-0.3 s of CPU
for a small block: Python, gradtrace and two Graphviz runs), and its result is
cached (`cache.py`).

The protocol is one JSON request on the child's standard input and one JSON
reply on its standard output. While the handler runs, the child's standard
output is pointed at its standard error, so whatever the user's code prints
shows in the build log instead of corrupting the reply. Nothing here is
POSIX-only: pipes, `communicate` with a timeout, and `kill` work on Windows too.

The child side is `serve(handler)`, for a module run with `python -m` or a
script; the reply is `{"ok": true, "result": ...}` or `{"ok": false, "error":
"...", "line": n}`, plus `"deps"`: the files the run imported (or named with
`depends_on`) from its working folder (the site's), outside the Python
installation and gradtrace.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from gradtrace.errors import GradtraceError

__all__ = ["IsolationError", "depends_on", "run", "serve"]

_PACKAGE_DIR = Path(__file__).resolve().parent.parent

# Files the handler read besides the modules it imported (a theme file, ...), for `deps`.
_read: list[Path] = []


class IsolationError(GradtraceError, RuntimeError):
    """The process could not be started, ran out of time, or died without answering."""


def run(
    command: list[str], request: dict[str, Any], *, cwd: Path, timeout: float
) -> dict[str, Any]:
    """Run `python COMMAND...` in `cwd`, send it `request`, return its reply.

    Raises:
        IsolationError: It could not start, took longer than `timeout` seconds (it
            and anything it started are then stopped), or ended without a reply.
    """
    env = dict(os.environ, PYTHONHASHSEED="0", PYTHONIOENCODING="utf-8")
    # The child imports the same copy of gradtrace as this process, wherever it runs.
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(_PACKAGE_DIR.parent), env.get("PYTHONPATH", "")) if p
    )
    own_group = {"start_new_session": True} if os.name == "posix" else {}
    try:
        process = subprocess.Popen(
            [sys.executable, *command],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            cwd=cwd,
            env=env,
            **own_group,  # type: ignore[call-overload]
        )
    except OSError as error:
        raise IsolationError(f"cannot start Python: {error}") from None
    try:
        out, _ = process.communicate(json.dumps(request), timeout=timeout)
    except subprocess.TimeoutExpired:
        _stop(process)
        raise IsolationError(
            f"no answer within {timeout:g} s (an endless loop?); it was stopped. "
            "Raise the plugin's timeout option if the work is just slow"
        ) from None
    if not out.strip():
        raise IsolationError(
            f"the Python process running it stopped unexpectedly (exit status "
            f"{process.returncode}; its error is printed above)"
        )
    reply: dict[str, Any] = json.loads(out)
    return reply


def _stop(process: subprocess.Popen[str]) -> None:
    """Kill the process and, on POSIX, everything it started (Graphviz's `dot`)."""
    if os.name == "posix":
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except OSError:
            process.kill()
    else:  # pragma: no cover - Windows
        process.kill()
    process.communicate()


def serve(handler: Callable[[dict[str, Any]], Any]) -> None:
    """The child's side: read the request, run `handler`, write the reply."""
    request = json.loads(sys.stdin.read())
    sys.stdout.flush()
    reply_stream = os.fdopen(os.dup(sys.stdout.fileno()), "w", encoding="utf-8")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # the user's prints go to the log
    try:
        reply: dict[str, Any] = {"ok": True, "result": handler(request)}
    except BaseException as error:  # the user's KeyboardInterrupt too: one line, no traceback
        message = str(error) if isinstance(error, GradtraceError) else _one_line(error)
        reply = {"ok": False, "error": message, "line": getattr(error, "line", None)}
    reply["deps"] = imported_files(Path.cwd())
    reply_stream.write(json.dumps(reply, ensure_ascii=False))
    reply_stream.close()


def depends_on(path: Path) -> None:
    """In the child: the result depends on this file too (the cache then watches it)."""
    _read.append(Path(path))


def imported_files(root: Path) -> list[str]:
    """The files of imported modules under `root`, outside Python's installation and gradtrace."""
    root = root.resolve()
    outside = {Path(p).resolve() for p in (sys.prefix, sys.base_prefix, sys.exec_prefix)}
    outside.add(_PACKAGE_DIR)
    found = set()
    names = [getattr(module, "__file__", None) for module in list(sys.modules.values())]
    for name in [*names, *_read]:
        if not isinstance(name, str | Path):
            continue
        path = Path(name).resolve()
        if root in path.parents and not any(o == path or o in path.parents for o in outside):
            found.add(path.relative_to(root).as_posix())
    return sorted(found)


def _one_line(error: BaseException) -> str:
    text = " ".join(str(error).split())
    return f"{type(error).__name__}: {text}" if text else type(error).__name__
