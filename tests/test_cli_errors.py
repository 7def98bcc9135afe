"""`gradtrace export`: every bad input the issue lists, one test each.

Each must give exactly one line on stderr that names the problem and the fix,
a non-zero exit status, no gradtrace traceback and nothing written (half or
whole). A user's exception shows the user's own traceback, then that line.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from gradtrace.cli import main

ROOT = Path(__file__).resolve().parent.parent
GOOD = "from gradtrace import Value\nw1 = Value(0.5)\nf = (w1 * 2).tanh()\n"


def files(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def fails(
    capsys: pytest.CaptureFixture[str], folder: Path, *argv: str | Path, status: int = 1
) -> str:
    """Run the command expecting a clean failure; return the one error line."""
    before = files(folder)
    code = main([str(a) for a in argv])
    _, err = capsys.readouterr()
    assert code == status
    assert "Traceback" not in err
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("gradtrace: error: ")
    assert files(folder) == before  # nothing written, no temporary files left behind
    return lines[0]


@pytest.fixture
def good(tmp_path: Path) -> Path:
    path = tmp_path / "expr.py"
    path.write_text(GOOD, encoding="utf-8")
    return path


def test_missing_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    line = fails(capsys, tmp_path, "export", tmp_path / "nope.py")
    assert "nope.py does not exist" in line and "check the path" in line


def test_a_folder(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    line = fails(capsys, tmp_path, "export", tmp_path)
    assert "is a folder" in line and "give the Python file" in line


def test_not_a_py_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    (tmp_path / "expr.txt").write_text(GOOD)
    line = fails(capsys, tmp_path, "export", tmp_path / "expr.txt")
    assert "expr.txt is not a .py file" in line


def test_syntax_error_shows_file_and_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    src = tmp_path / "bad.py"
    src.write_text("from gradtrace import Value\n\nf = Value(1.0) *\n")
    line = fails(capsys, tmp_path, "export", src)
    assert f"{src}:3:" in line and "syntax error" in line and "fix that line" in line


def test_users_exception_shows_their_traceback_trimmed_to_their_frames(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    src = tmp_path / "boom.py"
    src.write_text(
        "from gradtrace import Value\n"
        "def helper(v):\n"
        "    return v * Value('oops')\n"
        "f = helper(Value(1.0))\n"
    )
    before = files(tmp_path)
    assert main(["export", str(src)]) == 1
    _, err = capsys.readouterr()
    lines = err.splitlines()
    assert lines[0] == "Traceback (most recent call last):"
    assert f'File "{src}", line 4, in <module>' in err
    assert f'File "{src}", line 3, in helper' in err
    assert "TypeError: Value data must be a real number, got str" in err
    assert "runpy" not in err and "gradtrace/cli" not in err and "engine.py" not in err
    assert lines[-1] == (
        f"gradtrace: error: {src} raised TypeError: Value data must be a real number, got str; "
        "fix the error and run again"
    )
    assert files(tmp_path) == before


def test_sys_exit_in_the_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    src = tmp_path / "leaves.py"
    src.write_text("import sys\nfrom gradtrace import Value\nf = Value(1.0)\nsys.exit(3)\n")
    line = fails(capsys, tmp_path, "export", src)
    assert "called sys.exit(3)" in line and "remove the call" in line


def test_no_value_found(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    src = tmp_path / "plain.py"
    src.write_text("from gradtrace import Value\nx = 1.0\nvalues = [Value(1.0)]\n")
    line = fails(capsys, tmp_path, "export", src)
    assert "no Value found" in line and "module-level variable" in line


def test_several_roots_export_the_last_made_and_say_so(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    src = tmp_path / "two.py"
    src.write_text("from gradtrace import Value\na = Value(1.0)\nloss = a * 2\nacc = a + 1\n")
    assert main(["export", str(src), "--md"]) == 0
    _, err = capsys.readouterr()
    assert "2 values that feed no other (loss and acc); exported acc, the last one made" in err
    assert "--root NAME" in err and "--all-roots" in err
    table = (tmp_path / "two.md").read_text()
    assert "| acc |" in table and "loss" not in table


def test_unknown_root_name(capsys: pytest.CaptureFixture[str], good: Path) -> None:
    line = fails(capsys, good.parent, "export", good, "--root", "g")
    assert "no module-level Value called 'g'" in line and "choose one of w1, f" in line


def test_unknown_format_flag(capsys: pytest.CaptureFixture[str], good: Path) -> None:
    line = fails(capsys, good.parent, "export", good, "--gif", status=2)
    assert "unrecognized arguments: --gif" in line and "--svg --png" in line


def test_unknown_format_suffix(capsys: pytest.CaptureFixture[str], good: Path) -> None:
    line = fails(capsys, good.parent, "export", good, "-o", good.parent / "fig.gif")
    assert "unknown format '.gif'" in line and ".svg" in line


def test_suffix_disagreeing_with_the_flag(capsys: pytest.CaptureFixture[str], good: Path) -> None:
    line = fails(capsys, good.parent, "export", good, "--svg", "-o", good.parent / "fig.png")
    assert "does not end in .svg" in line and "fig.svg" in line


@pytest.mark.parametrize(
    ("option", "value", "expected"),
    [
        ("--theme", "neon", "theme must be one of light, print, dark, a Theme or a .toml file"),
        ("--rankdir", "up", "rankdir must be one of LR, TB, RL, BT, got 'up'"),
        ("--precision", "-1", "precision must be a whole number from 0 to 15, got -1"),
        ("--max-nodes", "lots", "max_nodes must be a whole number ≥ 1, got 'lots'"),
        ("--number", "engineering", "number must be one of fixed, significant, scientific"),
        ("--dpi", "0", "dpi must be a number above 0 and at most 2400, got 0.0"),
        ("--scale", "nan", "scale must be a number above 0 and at most 25, got nan"),
        ("--wrap", "-3", "wrap must be a whole number ≥ 0, got -3"),
    ],
)
def test_unknown_option_value(
    capsys: pytest.CaptureFixture[str], good: Path, option: str, value: str, expected: str
) -> None:
    line = fails(capsys, good.parent, "export", good, option, value, status=2)
    assert expected in line and "gradtrace export --help" in line


def test_output_folder_does_not_exist(capsys: pytest.CaptureFixture[str], good: Path) -> None:
    missing = good.parent / "build"
    line = fails(capsys, good.parent, "export", good, "--svg", "--md", "-o", missing)
    assert f"output folder {missing} does not exist" in line and "mkdir -p" in line
    line = fails(capsys, good.parent, "export", good, "-o", missing / "fig.svg")
    assert f"output folder {missing} does not exist" in line


def test_output_folder_not_writable(capsys: pytest.CaptureFixture[str], good: Path) -> None:
    if os.geteuid() == 0:  # root writes anywhere chmod allows; /sys refuses even root
        folder = Path("/sys")
    else:
        folder = good.parent / "locked"
        folder.mkdir()
        folder.chmod(0o555)
    line = fails(capsys, good.parent, "export", good, "--md", "-o", folder)
    assert f"cannot write to folder {folder}" in line and "choose a writable one" in line


def test_graphviz_missing_fails_images_but_text_formats_work(good: Path, tmp_path: Path) -> None:
    bare = tmp_path / "bin"  # a PATH with Python's folder but no `dot`
    bare.mkdir()
    env = {**os.environ, "PATH": str(bare)}
    command = [sys.executable, "-m", "gradtrace", "export", str(good)]
    done = subprocess.run(
        [*command, "--md", "--svg"], capture_output=True, text=True, env=env, check=False
    )
    assert done.returncode == 1
    assert done.stderr.startswith("gradtrace: error: Graphviz's 'dot' program was not found")
    assert "apt-get install graphviz" in done.stderr and len(done.stderr.splitlines()) == 1
    assert files(good.parent) == ["bin", "expr.py"]  # not even the Markdown
    done = subprocess.run(
        [*command, "--dot", "--md", "--tex", "--json"], capture_output=True, env=env, check=False
    )
    assert (done.returncode, done.stderr) == (0, b"")
    assert files(good.parent) == ["bin", "expr.dot", "expr.json", "expr.md", "expr.py", "expr.tex"]


def test_graph_over_max_nodes(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    src = tmp_path / "chain.py"
    src.write_text(
        "from gradtrace import Value\nx = Value(0.5)\nf = x\nfor _ in range(30):\n    f = f * x\n"
    )
    line = fails(capsys, tmp_path, "export", src, "--md", "--svg", "--max-nodes", "20")
    assert "31 values to draw, more than --max-nodes 20" in line and "raise --max-nodes" in line
    assert "--collapse" not in line  # the graph has no scope: folding cannot help
    # Text formats have no limit.
    assert main(["export", str(src), "--md", "--max-nodes", "20"]) == 0


NASTY = 'say "hi" | {braces} \\ <script>alert(1)</script> & $_%#'


def test_labels_full_of_quotes_pipes_braces_and_script(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    src = tmp_path / "nasty.py"
    src.write_text(
        "from gradtrace import Value\n"
        f"a = Value(1.5, {NASTY!r})\n"
        "b = Value(-2.0, 'b|c')\n"
        "f = a * b\n"
        f"f.label = {NASTY!r} + '!'\n"
    )
    argv = ["--svg", "--dot", "--md", "--tex", "--csv", "--html", "--json", "--all-nodes"]
    assert main(["export", str(src), *argv]) == 0
    assert capsys.readouterr().err == ""
    svg = (tmp_path / "nasty.svg").read_text("utf-8")
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    html = (tmp_path / "nasty.html").read_text("utf-8")
    assert "<script>alert(1)" not in html
    md = (tmp_path / "nasty.md").read_text("utf-8")
    widths = {line.count("|") - line.count("\\|") for line in md.splitlines() if line.strip()}
    assert len(widths) == 1  # escaped pipes: every row has the same columns
    rows = list(csv.reader(io.StringIO((tmp_path / "nasty.csv").read_text("utf-8"))))
    assert NASTY in [cell for row in rows for cell in row]
    labels = [n["label"] for n in json.loads((tmp_path / "nasty.json").read_text("utf-8"))["nodes"]]
    assert NASTY in labels and NASTY + "!" in labels
    tex = (tmp_path / "nasty.tex").read_text("utf-8")
    unescaped = tex.replace("\\{", "").replace("\\}", "")  # LaTeX groups still balance
    assert unescaped.count("{") == unescaped.count("}")
    assert all(special in tex for special in ("\\{", "\\&", "\\$", "\\#", "\\%"))
    if shutil.which("dot"):  # the DOT text itself is valid Graphviz input
        subprocess.run(
            ["dot", "-Tsvg", str(tmp_path / "nasty.dot")], capture_output=True, check=True
        )


def test_a_write_failing_midway_leaves_nothing_behind(tmp_path: Path) -> None:
    from gradtrace.cli.common import CommandError
    from gradtrace.cli.files import write_all

    (tmp_path / "old.md").write_text("before")
    blocked = Path("/sys") if os.geteuid() == 0 else tmp_path / "locked"
    if blocked != Path("/sys"):
        blocked.mkdir()
        blocked.chmod(0o555)
    contents = {tmp_path / "old.md": b"after", tmp_path / "new.svg": b"<svg/>", blocked / "x": b""}
    with pytest.raises(CommandError, match="nothing was written"):
        write_all(contents)
    assert (tmp_path / "old.md").read_text() == "before"  # untouched, not half-replaced
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != "locked") == ["old.md"]


def test_collapse_names_a_scope_the_graph_does_not_have(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    figure1 = ROOT / "examples" / "figure1.py"
    line = fails(
        capsys, tmp_path, "export", figure1, "--dot", "--collapse", "sigma", "-o", tmp_path
    )
    assert "--collapse sigma: the graph has no scope called 'sigma'; its scopes are σ" in line


# -- issue 16: standard output, -o advice, duck-typed roots, temporaries ----------------


def test_stdout_on_a_full_disk_is_one_line(good: Path) -> None:
    with open("/dev/full", "w") as full:
        done = subprocess.run(
            [sys.executable, "-m", "gradtrace", "export", str(good), "--md"],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            check=False,
        )
    assert done.returncode == 1
    (line,) = done.stderr.splitlines()
    assert line.startswith("gradtrace: error: cannot write to standard output (No space left")
    assert (good.parent / "expr.md").exists()  # the file itself was written


def test_a_file_that_closes_stdout_is_one_line(tmp_path: Path) -> None:
    src = tmp_path / "closes.py"
    src.write_text(GOOD + "import sys\nsys.stdout.close()\n", encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "gradtrace", "export", str(src), "--md"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1
    (line,) = done.stderr.splitlines()
    assert "cannot write to standard output (it was closed)" in line
    assert "does not close sys.stdout" in line


def test_dash_o_below_a_file_names_the_file(capsys: pytest.CaptureFixture[str], good: Path) -> None:
    line = fails(capsys, good.parent, "export", good, "-o", good / "x.svg")
    assert f"{good} is a file, not a folder" in line
    assert "does not exist" not in line and "mkdir" not in line


def test_dash_o_a_device_says_so(capsys: pytest.CaptureFixture[str], good: Path) -> None:
    line = fails(capsys, good.parent, "export", good, "--svg", "-o", "/dev/full")
    assert "-o /dev/full is not a regular file or a folder" in line
    assert "several formats" not in line  # the old, wrong advice


DENSE = (
    "from gradtrace import Value\n"
    "below = [Value(1.0) for _ in range(6)]\n"
    "for _ in range(12):\n"
    "    below = below + [Value.sum(below) for _ in range(6)]\n"
    "f = Value.sum(below[-6:])\n"
)


def test_a_dense_graph_is_refused_by_its_edges(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # 79 values in 12 layers, each value the sum of every value below it: ~3,000 long edges.
    src = tmp_path / "dense.py"
    src.write_text(DENSE, encoding="utf-8")
    line = fails(capsys, tmp_path, "export", src, "--svg", "--md")
    assert "edges cross" in line and "more than --max-edges 10000" in line
    assert "raise --max-edges" in line and "--collapse" not in line


@pytest.mark.parametrize(
    ("change", "said"),
    [
        ("a.data = 'abc'", "its data is 'abc', which is not a real number"),
        ("a.grad = None", "its grad is None, which is not a real number"),
        ("a.data = 1j", "its data is 1j, which is not a real number"),
        ("f._prev = (a, 2.0)", "its _prev holds 2.0 (of type float)"),
    ],
)
def test_values_broken_after_creation(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, change: str, said: str
) -> None:
    src = tmp_path / "broken.py"
    src.write_text(
        f"from gradtrace import Value\na = Value(1.0, 'a')\nf = a * 2\nf.backward()\n{change}\n",
        encoding="utf-8",
    )
    line = fails(capsys, tmp_path, "export", src, "--md")
    assert said in line


def test_every_format_takes_a_lone_surrogate(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    src = tmp_path / "surrogate.py"
    src.write_text(
        "from gradtrace import Value\na = Value(1.0, 'x\\ud800y')\nf = a * 2\n", encoding="utf-8"
    )
    flags = ["--svg", "--png", "--pdf", "--dot", "--md", "--tex", "--csv", "--html", "--json"]
    code = main(["export", str(src), *flags, "--tikz"])
    _, err = capsys.readouterr()
    assert code == 0, err
    for suffix in ("dot", "md", "csv", "html", "json", "svg"):
        text = (tmp_path / f"surrogate.{suffix}").read_text("utf-8")
        assert "x\ufffdy" in text or "x\\ufffdy" in text, suffix  # JSON may escape it
    for suffix in ("tex", "tikz.tex"):  # LaTeX names a character it has no glyph for
        assert "U{+}FFFD" in (tmp_path / f"surrogate.{suffix}").read_text("utf-8"), suffix


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", ""])
    child.wait()
    return child.pid


def test_temporaries_of_killed_runs_are_removed(
    capsys: pytest.CaptureFixture[str], good: Path
) -> None:
    folder = good.parent
    stale = folder / f".expr.md.gradtrace-{_dead_pid()}-0123abcd.tmp"
    stale.write_bytes(b"half a file")
    running = folder / f".expr.md.gradtrace-{os.getpid()}-0123abcd.tmp"  # this process runs
    running.write_bytes(b"someone is writing this")
    unrelated = folder / ".expr.md.tmp"  # not ours
    unrelated.write_bytes(b"")
    assert main(["export", str(good), "--md"]) == 0
    capsys.readouterr()
    assert not stale.exists() and running.exists() and unrelated.exists()
