"""Fixtures shared by the browser tests: one Chromium for the whole session, local servers.

Playwright's sync API allows one running instance per thread, so every test module
that drives a browser borrows this one. The browser is the system's Chromium
(`./dev test` installs it); nothing is downloaded at test time.
"""

from __future__ import annotations

import functools
import http.server
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
# Headless, and without the background services that would try to reach the network.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def serve(directory: Path) -> Iterator[str]:
    """Serve `directory` on 127.0.0.1 while the block runs; yields the base URL (no slash)."""
    handler = functools.partial(_QuietHandler, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    """The system's Chromium, launched once per test session."""
    if not Path(CHROMIUM).exists():  # pragma: no cover - ./dev test installs it
        pytest.fail(f"{CHROMIUM} is missing: install it with sudo apt-get install chromium")
    from playwright import sync_api as playwright

    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def serve_directory() -> Any:
    """`serve` itself, for fixtures in test modules: `with serve_directory(path) as url`."""
    return serve


# -- the documentation site, built once per session -----------------------------------------


def _git_status() -> set[str]:
    """`git status --porcelain` lines (status code and path)."""
    out = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=all"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return set(out.splitlines())


def _written_by_a_build(line: str) -> bool:
    """Could this new `git status` line be the build writing into the repository?

    Other people may be editing the working tree while the tests run, so only
    what a docs build could produce counts: anything changed under docs/ or
    site/, and new files at the top level or under assets/.
    """
    code, path = line[:2], line[3:]
    if path.startswith(("docs/", "site/")):
        return True
    return code == "??" and ("/" not in path or path.startswith("assets/"))


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Build the site once, strictly, with an empty cache; return the site folder."""
    out = tmp_path_factory.mktemp("site")
    env = dict(os.environ, GRADTRACE_DOCS_CACHE=str(out / "cache"), NO_MKDOCS_2_WARNING="1")
    before = _git_status()
    build = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(out / "site")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert build.returncode == 0, build.stderr[-3000:]
    suspicious = sorted(line for line in _git_status() - before if _written_by_a_build(line))
    assert not suspicious, f"the build changed the repository: {suspicious}"
    return out / "site"
