"""Talking to the build worker (`gradtrace.mkdocs.worker`) from the mkdocs process.

One worker is kept for as long as the package source stays the same, so a
`mkdocs serve` session pays Python's start-up once, and an edit to the engine
gets a fresh worker that imports the edited code.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import select
import subprocess
import sys
from pathlib import Path
from typing import Any

from gradtrace.errors import GradtraceError

__all__ = ["WorkerError", "ask", "close"]


class WorkerError(GradtraceError, RuntimeError):
    """The worker process could not be started or stopped answering."""


class _Worker:
    def __init__(self, package_dir: Path, cwd: Path) -> None:
        env = dict(os.environ)
        # Import the same copy of gradtrace as the plugin, even from a site's own folder.
        parent = str(package_dir.parent)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (parent, env.get("PYTHONPATH", "")) if p)
        env["PYTHONHASHSEED"] = "0"
        env["PYTHONIOENCODING"] = "utf-8"
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "gradtrace.mkdocs.worker"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
                encoding="utf-8",
                cwd=cwd,
                env=env,
            )
        except OSError as error:
            raise WorkerError(f"cannot start the gradtrace build worker: {error}") from None

    def ask(self, request: dict[str, Any], timeout: float) -> dict[str, Any]:
        assert self.process.stdin is not None and self.process.stdout is not None
        try:
            self.process.stdin.write(json.dumps(request) + "\n")
            self.process.stdin.flush()
            ready, _, _ = select.select([self.process.stdout], [], [], timeout)
            if not ready:
                self.process.kill()
                raise WorkerError(
                    f"no answer within {timeout:g} s (an endless loop?); the worker was stopped. "
                    "Raise the plugin's timeout option if the work is just slow"
                )
            line = self.process.stdout.readline()
        except OSError:
            line = ""
        if not line:
            raise WorkerError(
                "the gradtrace build worker stopped unexpectedly (its error is printed above)"
            )
        reply: dict[str, Any] = json.loads(line)
        return reply

    def close(self) -> None:
        if self.process.stdin is not None:
            with contextlib.suppress(OSError):
                self.process.stdin.close()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()


_current: tuple[str, _Worker] | None = None


def ask(
    request: dict[str, Any],
    *,
    source: str,
    package_dir: Path,
    cwd: Path,
    timeout: float = 120.0,
) -> dict[str, Any]:
    """Send `request` to a worker running package source `source` (starting one if needed).

    Raises:
        WorkerError: The worker could not start, died, or took longer than `timeout`
            seconds (it is then stopped; the next request starts a new one).
    """
    global _current
    if _current is not None and (_current[0] != source or _current[1].process.poll() is not None):
        close()
    if _current is None:
        _current = (source, _Worker(package_dir, cwd))
    try:
        return _current[1].ask(request, timeout)
    except WorkerError:
        close()  # a stopped or dead worker is never asked again
        raise


def close() -> None:
    """Stop the worker, if one is running."""
    global _current
    if _current is not None:
        worker, _current = _current[1], None
        worker.close()


atexit.register(close)
