"""Caching generated content by a hash of the package source and the request.

A Markdown-only edit leaves the package source unchanged, so every figure,
table and training run comes back from the cache and nothing is recomputed.
Entries live in memory for the life of the process (across `mkdocs serve`
rebuilds) and as one JSON file each in the cache directory (across builds).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any, ClassVar

__all__ = ["Cache", "source_hash"]

#: Bump when the shape of cached results changes.
FORMAT = 1

_SOURCE_SUFFIXES = (".py", ".js", ".css", ".json", ".html")


def source_hash(package_dir: Path) -> str:
    """A digest of every source file of the package (path and content), in sorted order."""
    digest = hashlib.sha256()
    files = sorted(
        p
        for p in package_dir.rglob("*")
        if p.suffix in _SOURCE_SUFFIXES and "__pycache__" not in p.parts and p.is_file()
    )
    for path in files:
        digest.update(path.relative_to(package_dir).as_posix().encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()


class Cache:
    """Results by key, in memory and in `directory`."""

    _memory: ClassVar[dict[str, Any]] = {}  # shared by every plugin instance of a serve session

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.used: set[str] = set()

    @staticmethod
    def key(source: str, request: dict[str, Any]) -> str:
        """The cache key of a request made against the package source `source`."""
        text = json.dumps({"format": FORMAT, "source": source, "request": request}, sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()

    def get(self, key: str) -> Any | None:
        """The cached result, or None."""
        self.used.add(key)
        if key in self._memory:
            return self._memory[key]
        path = self.directory / f"{key}.json"
        try:
            result = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        self._memory[key] = result
        return result

    def put(self, key: str, result: Any) -> None:
        """Store a result (the disk copy is written atomically; failures to write are ignored)."""
        self.used.add(key)
        self._memory[key] = result
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.directory, suffix=".tmp")
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(result, f, ensure_ascii=False)
            os.replace(tmp, self.directory / f"{key}.json")
        except OSError:
            pass

    def prune(self) -> int:
        """Delete the entries this build did not use (results of older source); return how many.

        Called after a successful build, so the cache holds one build's worth of
        results however often the package source changes under `mkdocs serve`.
        """
        removed = 0
        for path in self.directory.glob("*.json"):
            if path.stem not in self.used:
                self._memory.pop(path.stem, None)
                with contextlib.suppress(OSError):
                    path.unlink()
                    removed += 1
        return removed
