"""The command under signals and kills: no `dot` outlives it, no temporary stays behind.

These run the real `gradtrace export` in a subprocess on a graph that keeps
Graphviz busy for seconds (79 values in 12 layers, each the sum of every value
below it: thousands of long edges; `--max-edges` lets it through), signal
it while `dot` runs, and then look for the `dot` child in /proc. Every wait is
bounded; no assertion is about how long anything took.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="reads /proc; the guarantees are Linux's"
)

DENSE = (
    "from gradtrace import Value\n"
    "below = [Value(1.0) for _ in range(6)]\n"
    "for _ in range(12):\n"
    "    below = below + [Value.sum(below) for _ in range(6)]\n"
    "f = Value.sum(below[-6:])\n"
)
TEMPORARY = re.compile(r"\..*\.gradtrace-\d+-[0-9a-f]{8}\.tmp")


def wait_for(condition: Callable[[], object], seconds: float, what: str) -> object:
    """Poll `condition` until it is truthy; fail (not hang) after `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(0.05)
    pytest.fail(f"gave up waiting for {what} after {seconds} s")


def processes() -> Iterator[tuple[int, int, str, str]]:
    """(pid, parent pid, name, state) of every process."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        state, ppid = stat[stat.rindex(")") + 2 :].split()[:2]
        yield int(entry.name), int(ppid), name, state


def dot_children(pid: int) -> list[int]:
    return [p for p, parent, name, _ in processes() if parent == pid and name == "dot"]


def alive(pid: int) -> bool:
    """Running (a zombie nobody reaps has ended: it runs nothing and holds no CPU)."""
    return any(p == pid and state not in ("Z", "X") for p, _, _, state in processes())


@pytest.fixture
def export(tmp_path: Path) -> Iterator[Callable[..., tuple[subprocess.Popen[bytes], int]]]:
    """Start `gradtrace export dense.py --svg` and return it with its running `dot` child."""
    source = tmp_path / "dense.py"
    source.write_text(DENSE, encoding="utf-8")
    (tmp_path / "out").mkdir()
    (tmp_path / "tmp").mkdir()
    started: list[tuple[subprocess.Popen[bytes], int]] = []

    def start(*extra: str) -> tuple[subprocess.Popen[bytes], int]:
        command = [sys.executable, "-m", "gradtrace", "export", str(source), "--svg"]
        command += ["--max-edges", "1000000", "--timeout", "600", "-o", str(tmp_path / "out")]
        process = subprocess.Popen(
            [*command, *extra],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env={**os.environ, "TMPDIR": str(tmp_path / "tmp")},
            # Ctrl-C's default action, even if whatever runs the tests ignores SIGINT.
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        )
        found = wait_for(lambda: dot_children(process.pid), 120, "dot to start")
        assert isinstance(found, list) and len(found) == 1
        started.append((process, found[0]))
        return process, found[0]

    yield start
    for process, dot in started:  # never leave a busy dot behind, even when a test fails
        for pid in (process.pid, dot):
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
        process.communicate(timeout=30)


@pytest.mark.parametrize(
    ("sig", "status", "said"),
    [
        (signal.SIGTERM, 143, "gradtrace: error: terminated (SIGTERM)"),
        (signal.SIGINT, 130, "gradtrace: error: interrupted"),
        (signal.SIGKILL, -signal.SIGKILL, ""),
    ],
)
def test_no_dot_outlives_the_command(
    export: Callable[..., tuple[subprocess.Popen[bytes], int]],
    tmp_path: Path,
    sig: signal.Signals,
    status: int,
    said: str,
) -> None:
    process, dot = export()
    process.send_signal(sig)
    _, err = process.communicate(timeout=60)
    assert process.returncode == status
    assert err.decode().splitlines() == ([said] if said else [])
    wait_for(lambda: not alive(dot), 30, f"dot {dot} to end after {sig.name}")
    assert os.listdir(tmp_path / "out") == []  # no figure, no temporary
    assert os.listdir(tmp_path / "tmp") == []  # no private render folder either


def test_the_time_limit_stops_dot(
    export: Callable[..., tuple[subprocess.Popen[bytes], int]], tmp_path: Path
) -> None:
    process, dot = export("--timeout", "1")
    _, err = process.communicate(timeout=120)
    assert process.returncode == 1
    (line,) = err.decode().splitlines()
    assert line.startswith("gradtrace: error: Graphviz did not finish laying out the graph")
    assert "--timeout 2" in line
    wait_for(lambda: not alive(dot), 30, "dot to end")
    assert os.listdir(tmp_path / "out") == []


# -- kill -9 while the outputs are renamed into place -----------------------------------

KILL_AFTER_RENAMES = """
import os, signal, sys
from gradtrace.cli import main

real, done = os.replace, []

def replace(source, target):
    real(source, target)
    done.append(target)
    if len(done) == int(sys.argv[1]):
        os.kill(os.getpid(), signal.SIGKILL)

os.replace = replace
sys.exit(main(sys.argv[2:]))
"""


def test_kill_9_between_renames_leaves_whole_files_and_the_next_run_cleans_up(
    tmp_path: Path,
) -> None:
    """README's guarantee, exactly: every output is its old or its new version, whole;
    what a kill between the renames leaves is our temporaries, removed by the next run."""
    source = tmp_path / "expr.py"
    out, fresh = tmp_path / "out", tmp_path / "fresh"
    out.mkdir()
    fresh.mkdir()
    formats = ["--md", "--csv", "--json", "--dot"]
    command = [sys.executable, "-m", "gradtrace", "export", str(source), *formats]

    def export(folder: Path) -> None:
        subprocess.run([*command, "-o", str(folder)], check=True, capture_output=True)

    def contents(folder: Path) -> dict[str, bytes]:
        return {p.name: p.read_bytes() for p in folder.iterdir() if not TEMPORARY.fullmatch(p.name)}

    source.write_text("from gradtrace import Value\nw1 = Value(0.5)\nf = (w1 * 2).tanh()\n")
    export(out)
    old = contents(out)
    source.write_text("from gradtrace import Value\nw1 = Value(0.7)\nf = (w1 * 2).tanh()\n")
    export(fresh)
    new = contents(fresh)
    assert old.keys() == new.keys() and all(old[k] != new[k] for k in old)

    killer = tmp_path / "killer.py"
    killer.write_text(KILL_AFTER_RENAMES, encoding="utf-8")
    killed = subprocess.Popen(
        [sys.executable, str(killer), "1", "export", str(source), *formats, "-o", str(out)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    assert killed.wait(timeout=120) == -signal.SIGKILL
    after = contents(out)
    assert after.keys() == old.keys()
    assert all(after[k] in (old[k], new[k]) for k in after)  # each file whole
    assert sum(after[k] == new[k] for k in after) == 1  # killed after the first rename
    left = [p.name for p in out.iterdir() if TEMPORARY.fullmatch(p.name)]
    assert len(left) == 3 and all(f".gradtrace-{killed.pid}-" in name for name in left)

    export(out)  # the next run removes the killed run's temporaries and writes the new set
    assert contents(out) == new
    assert sorted(p.name for p in out.iterdir()) == sorted(new)
