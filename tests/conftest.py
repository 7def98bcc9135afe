"""Fixtures shared by the browser tests: one Chromium for the whole session, local servers.

Playwright's sync API allows one running instance per thread, so every test module
that drives a browser borrows this one. The browser is the system's Chromium
(`./dev test` installs it); nothing is downloaded at test time.
"""

from __future__ import annotations

import functools
import http.server
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

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
