"""Helpers for the notebook tests: a private Jupyter set-up, a kernel, a JupyterLab server.

Everything lives in a temporary folder: the kernel spec (this Python, so the kernel
imports the gradtrace under test), Jupyter's config, data and runtime folders, and
IPython's. Nothing from the user's own Jupyter set-up is read, and nothing is written
outside the folder.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import nbformat

KERNEL = "gradtrace-test"


def jupyter_env(home: Path) -> dict[str, str]:
    """Environment variables that give Jupyter a private set-up under `home`."""
    spec = home / "share" / "jupyter" / "kernels" / KERNEL
    spec.mkdir(parents=True, exist_ok=True)
    (spec / "kernel.json").write_text(
        json.dumps(
            {
                "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                "display_name": "gradtrace test",
                "language": "python",
            }
        ),
        encoding="utf-8",
    )
    env = {
        "JUPYTER_PATH": str(home / "share" / "jupyter"),
        "JUPYTER_CONFIG_DIR": str(home / "config"),
        "JUPYTER_DATA_DIR": str(home / "data"),
        "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
        "IPYTHONDIR": str(home / "ipython"),
        "JUPYTER_PLATFORM_DIRS": "1",
    }
    for key in ("JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR", "IPYTHONDIR"):
        Path(env[key]).mkdir(parents=True, exist_ok=True)
    # JupyterLab would ask whether to fetch news (a toast over the page): it must not.
    settings = home / "config" / "lab" / "user-settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True, exist_ok=True)
    (settings / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False}), encoding="utf-8"
    )
    # Every cell in the page, not only those scrolled into view, so tests can read them.
    notebook = settings.parent / "notebook-extension"
    notebook.mkdir(parents=True, exist_ok=True)
    (notebook / "tracker.jupyterlab-settings").write_text(
        json.dumps({"windowingMode": "none"}), encoding="utf-8"
    )
    return env


def execute(nb: Any, env: dict[str, str], timeout: int = 180) -> Any:
    """Run every cell of `nb` in a fresh kernel (this Python); returns it with outputs.

    The widget state is not stored in the notebook: a page made from it would then
    load the widget manager from a CDN.
    """
    from nbclient import NotebookClient

    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        client = NotebookClient(
            nb, timeout=timeout, kernel_name=KERNEL, store_widget_state=False, allow_errors=False
        )
        client.execute()
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    return nb


def outputs(nb: Any, marker: str) -> list[Any]:
    """The outputs of the one code cell whose source contains `marker`."""
    cells = [c for c in nb.cells if c.cell_type == "code" and marker in c.source]
    assert len(cells) == 1, f"{len(cells)} cells contain {marker!r}"
    return list(cells[0].outputs)


def write(nb: Any, path: Path) -> Path:
    nbformat.write(nb, str(path))
    return path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def jupyterlab(root: Path, env: dict[str, str], timeout: float = 120) -> Iterator[str]:
    """A JupyterLab server on 127.0.0.1 serving `root`; yields its base URL with the token.

    It asks nothing of the network (no news, no update check, no extension index),
    exposes `window.jupyterapp` for the tests to run commands, and is stopped on every
    way out of the block. Its kernels run in sessions of their own (jupyter_client
    starts them so), so they are not in its process group: stopped with SIGTERM, the
    server shuts them down itself; whatever is still running after a bounded wait is
    killed, and the block then fails, as a kernel left behind is a bug.
    """
    port, token = _free_port(), secrets.token_hex(16)
    args = [
        sys.executable,
        "-m",
        "jupyterlab",
        "--no-browser",
        "--allow-root",  # CI and this machine run tests as root
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--ServerApp.root_dir={root}",
        f"--IdentityProvider.token={token}",
        "--LabApp.news_url=None",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        "--LabApp.extension_manager=readonly",
        "--LabApp.expose_app_in_browser=True",
        f"--MultiKernelManager.default_kernel_name={KERNEL}",
    ]
    log = (root / "jupyterlab.log").open("wb")
    server = subprocess.Popen(
        args,
        env={**os.environ, **env},
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: kernels die with it
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if server.poll() is not None:
                raise RuntimeError(f"JupyterLab exited: {(root / 'jupyterlab.log').read_text()}")
            try:
                with urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"JupyterLab did not start within {timeout} s") from None
                time.sleep(0.25)
        yield f"{base}/lab/tree/{{path}}?reset&token={token}"  # reset: no restored tabs
    finally:
        kernels = _kernels_of(server.pid)
        try:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=15)
        except ProcessLookupError:
            pass
        log.close()
        left = _stop(kernels | _kernels_of(server.pid), timeout=15)
        if left and sys.exc_info()[0] is None:
            raise RuntimeError(f"JupyterLab left kernels running (killed now): {left}")


def _kernels_of(server: int) -> set[int]:
    """The kernels a server started: processes whose JPY_PARENT_PID names it (Linux)."""
    mark = f"JPY_PARENT_PID={server}".encode()
    found = set()
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            if mark in (proc / "environ").read_bytes().split(b"\0"):
                found.add(int(proc.name))
        except OSError:  # gone, or not ours to read
            continue
    return found


def _stop(pids: set[int], timeout: float) -> list[int]:
    """Wait up to `timeout` s for these processes to end; kill and return those that did not."""
    deadline = time.monotonic() + timeout
    alive = sorted(pids)
    while alive and time.monotonic() < deadline:
        alive = [pid for pid in alive if Path(f"/proc/{pid}").exists() and not _zombie(pid)]
        if alive:
            time.sleep(0.2)
    for pid in alive:
        with suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    return alive


def _zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except (OSError, IndexError):
        return False
