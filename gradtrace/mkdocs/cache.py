"""Results of isolated runs, cached by everything they depend on.

An entry is found by a key (a hash of the gradtrace package's source and the
request) and is valid only while every file the run imported from the site's
folder still has the content it had: a block that does `from helpers import f`
is run again after `helpers.py` changes. A Markdown-only edit changes neither,
so nothing is recomputed.

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

__all__ = ["Cache", "file_hash", "source_hash"]

#: Bump when the shape of cached results changes.
FORMAT = 3

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


def file_hash(path: Path) -> str:
    """The SHA-256 of a file's content (`"missing"` if it cannot be read)."""
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return "missing"


class Cache:
    """Results by key, in memory and in `directory`; dependency paths are relative to `root`."""

    _memory: ClassVar[dict[str, Any]] = {}  # shared by every plugin instance of a serve session

    def __init__(self, directory: Path, root: Path) -> None:
        self.directory = directory
        self.root = root
        self.used: set[str] = set()

    @staticmethod
    def key(*parts: Any) -> str:
        """The key of a request: a hash of its JSON-able parts."""
        text = json.dumps([FORMAT, *parts], sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(text.encode()).hexdigest()

    def get(self, key: str) -> Any | None:
        """The cached result, or None if there is none or a file it depends on changed."""
        entry = self._memory.get(key)
        if entry is None:
            try:
                entry = json.loads((self.directory / f"{key}.json").read_text(encoding="utf-8"))
            except (OSError, ValueError):
                return None
        if any(file_hash(self.root / p) != h for p, h in entry["deps"].items()):
            return None
        self.used.add(key)
        self._memory[key] = entry
        return entry["result"]

    def put(self, key: str, result: Any, deps: list[str]) -> None:
        """Store a result with the files (relative to `root`) it depends on.

        The disk copy is written atomically; a failure to write it is ignored.
        """
        entry = {"result": result, "deps": {p: file_hash(self.root / p) for p in sorted(deps)}}
        self.used.add(key)
        self._memory[key] = entry
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.directory, suffix=".tmp")
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(entry, f, ensure_ascii=False)
            os.replace(tmp, self.directory / f"{key}.json")
        except OSError:
            pass

    def prune(self) -> int:
        """Delete the entries this build did not use (results of older source); return how many.

        Called after a build, so the cache holds one build's worth of results
        however often the source changes under `mkdocs serve`.
        """
        removed = 0
        for path in self.directory.glob("*.json"):
            if path.stem not in self.used:
                self._memory.pop(path.stem, None)
                with contextlib.suppress(OSError):
                    path.unlink()
                    removed += 1
        return removed
