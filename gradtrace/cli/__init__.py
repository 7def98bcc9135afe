"""The `gradtrace` command: `gradtrace export FILE.py` and `gradtrace train`.

The command is thin: it parses arguments and calls the same public functions a
notebook user calls (`trace`, `to_dot`, `render`, `to_markdown`, `train`, ...).
Each subcommand's code is imported only when that subcommand runs, so
`gradtrace --help` starts without loading NumPy, Graphviz or matplotlib.

Exit status: 0 on success; 1 when the input or the environment is at fault (a
missing file, an exception in the user's file, Graphviz not installed, ...),
with one line on stderr naming the problem and the fix; 2 for a command line
that cannot be parsed; 130 when interrupted (Ctrl-C), 143 when terminated
(SIGTERM), in both cases after stopping Graphviz and removing temporaries.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from typing import Any, NoReturn

from gradtrace.cli.common import CommandError, OutputError, Terminated, UserCodeError
from gradtrace.errors import GradtraceError
from gradtrace.formats import FORMATS

__all__ = ["FORMATS", "build_parser", "main"]

_EXPORT_EXAMPLES = """\
examples:
  gradtrace export expr.py                 expr.svg next to expr.py
  gradtrace export expr.py --svg --md      expr.svg and expr.md
  gradtrace export expr.py -o figure.png   one file, format from its suffix
  gradtrace export expr.py --pdf --tex -o build/
  gradtrace export net.py --root loss --collapse σ --theme print --svg
  gradtrace export mlp.py --png --scale 2 --highlight "x[0]" --title "A 2-3-1 MLP"
  gradtrace export expr.py --tikz --number significant --precision 3 --theme house.toml

FILE runs like `python FILE.py`. Its module-level Values that feed no other
are the roots; with several, the one made last is exported (a note names the
others; pick with --root NAME). Values are named after the code as it ran:
variables (w1 → w₁), list, dict and attribute paths (xs[0], model.w[1]), and
each loop iteration (a⁽⁰⁾, a⁽¹⁾, ...); explicit labels win. backward() is run on
the root unless the graph already has gradients or --no-backward is given;
with --all-roots, gradients are left as FILE computed them.
"""

_TRAIN_EXAMPLES = """\
examples:
  gradtrace train                          LinearLayer(2, 4) on four_blobs, as in the write-up
  gradtrace train --data spiral --hidden 16,16 --epochs 300
  gradtrace train --plot results.svg       also write results-loss.svg and results-regions.svg

Prints the results table (Markdown) on stdout. The progress bar goes to stderr,
only when stdout and stderr are terminals and --quiet is not given.
"""


class _Parser(argparse.ArgumentParser):
    """An `ArgumentParser` whose errors are one line naming the fix."""

    def error(self, message: str) -> NoReturn:
        raise CommandError(f"{message}; run '{self.prog} --help' for the options", status=2)


def _whole(low: int, high: int | None = None) -> Any:
    """An argparse type: a whole number from `low` (to `high`)."""
    what = f"a whole number from {low} to {high}" if high is not None else f"a whole number ≥ {low}"

    def parse(text: str) -> int:
        try:
            n = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not {what}") from None
        if n < low or (high is not None and n > high):
            raise argparse.ArgumentTypeError(f"{text!r} is not {what}")
        return n

    parse.__name__ = what
    return parse


def _option(name: str) -> Callable[[str], Any]:
    """An argparse type that reads and checks the option `name` as every surface does
    (`gradtrace.options`), so `--precision 99` fails with the API's message."""
    from gradtrace import options

    def parse(text: str) -> Any:
        try:
            return options.parse(name, text)
        except options.OptionError as error:
            raise argparse.ArgumentTypeError(str(error)) from None

    parse.__name__ = name
    return parse


def _positive_float(text: str) -> float:
    try:
        x = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not x > 0 or x == float("inf"):
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive number")
    return x


def _layer_sizes(text: str) -> tuple[int, ...]:
    """`"16,16"` → `(16, 16)`; `""` or `"none"` → `()` (no hidden layer)."""
    if text.strip().lower() in ("", "none", "0"):
        return ()
    try:
        sizes = tuple(int(part) for part in text.split(","))
    except ValueError:
        sizes = ()
    if not sizes or min(sizes) < 1:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a list of layer sizes like 16,16 (or 'none' for no hidden layer)"
        )
    return sizes


#: The formats of `--steps`.
STEP_FORMATS = ("svg", "png", "pdf", "gif", "tex")


def _step_formats(text: str) -> tuple[str, ...]:
    """`"pdf,gif"` → `("pdf", "gif")`, each one of `STEP_FORMATS`."""
    chosen = tuple(dict.fromkeys(part.strip().lower() for part in text.split(",") if part.strip()))
    wrong = [f for f in chosen if f not in STEP_FORMATS]
    if wrong or not chosen:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a list of step formats from {','.join(STEP_FORMATS)}"
        )
    return chosen


#: The figure and table options with a value, as flags: name, metavar, help. Each is read
#: and checked by `gradtrace.options`, as the API and the docs blocks check them.
_LOOK = (
    ("precision", "N", "digits shown (default 4)"),
    ("number", "STYLE", "fixed (N decimals, the default), significant (N significant "
     "figures) or scientific (N decimals and an exponent)"),
    ("rankdir", "DIR", "LR (default), TB, RL or BT"),
    ("theme", "THEME", "light (default), print, dark, or a .toml file of colours"),
    ("title", "TEXT", "a title above the figure"),
    ("highlight", "NAME", "draw the value NAME and its paths to the output in bold"),
    ("wrap", "N", "lay a long chain out in rows of N operations (0: one row; default: "
     "automatic)"),
)  # fmt: skip
_LIMITS = (
    ("max_nodes", "N", "refuse to lay out figures with more values than N (default 1000)"),
    ("max_edges", "N", "refuse to lay out figures whose edges cross more than N columns in "
     "all (default 10000; long edges are what makes Graphviz slow)"),
    ("timeout", "SECONDS", "stop Graphviz after this long (default 60)"),
)  # fmt: skip


def build_parser() -> argparse.ArgumentParser:
    """The `gradtrace` argument parser, with its `export` and `train` subcommands."""
    from gradtrace import __version__

    parser = _Parser(
        prog="gradtrace",
        description="Draw, tabulate and explain scalar autograd graphs; train the demo classifier.",
        epilog="examples:\n  gradtrace export expr.py --svg --md\n  gradtrace train --quiet\n\n"
        "Run 'gradtrace COMMAND --help' for a command's options.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"gradtrace {__version__}")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND", dest="command")

    export = commands.add_parser(
        "export",
        help="run FILE.py and export the graph it builds (SVG, PNG, PDF, DOT, tables, HTML, JSON)",
        description="Run FILE.py and export the computational graph it builds.",
        epilog=_EXPORT_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    export.add_argument("file", metavar="FILE.py", help="a Python file that builds Values")
    formats = export.add_argument_group("formats (several allowed; default --svg)")
    for name, fmt in FORMATS.items():
        formats.add_argument(f"--{name}", action="store_true", help=fmt.help)
    out = export.add_argument_group("where")
    out.add_argument(
        "-o",
        "--output",
        metavar="PATH",
        help="a file (one format; its suffix picks the format if no flag does) or an existing "
        "folder (default: next to FILE, named after it)",
    )
    which = out.add_mutually_exclusive_group()
    which.add_argument("--root", metavar="NAME", help="export the graph of the variable NAME")
    which.add_argument("--all-roots", action="store_true", help="export every root in one graph")
    what = export.add_argument_group("what")
    what.add_argument(
        "--no-backward", action="store_true", help="do not run backward() before exporting"
    )
    what.add_argument(
        "--plain-labels",
        action="store_true",
        help="label values with their variable names as written (w1, not w₁)",
    )
    look = export.add_argument_group("look (passed to the exporters that use it)")
    for name, metavar, meaning in _LOOK:
        look.add_argument(f"--{name}", type=_option(name), metavar=metavar, help=meaning)
    look.add_argument(
        "--no-grad",
        dest="show_grad",
        action="store_const",
        const=False,
        help="draw values only, without the gradients",
    )
    size = look.add_mutually_exclusive_group()
    size.add_argument("--dpi", type=_option("dpi"), metavar="N", help="PNG resolution (default 96)")
    size.add_argument(
        "--scale", type=_option("scale"), metavar="X", help="PNG resolution as X × 96 dpi"
    )
    look.add_argument(
        "--all-nodes",
        action="store_true",
        help="trace tables list every node, not only the labelled ones",
    )
    look.add_argument(
        "--collapse",
        action="append",
        default=[],
        metavar="SCOPE",
        help="draw the values made in `with scope(SCOPE):` as one node (repeatable)",
    )
    limits = export.add_argument_group("limits")
    for name, metavar, meaning in _LIMITS:
        flag = "--" + name.replace("_", "-")
        limits.add_argument(flag, type=_option(name), metavar=metavar, help=meaning)
    walk = export.add_argument_group("step by step (frames for slides, derivations)")
    walk.add_argument(
        "--steps",
        type=_step_formats,
        metavar="FORMATS",
        help="one frame per step of the forward/backward pass, in any of svg,png (numbered "
        "files), pdf (a page per step), gif (animated), tex (a Beamer frame with an overlay "
        "per step, beside its PDF); comma-separated",
    )
    walk.add_argument(
        "--pass",
        dest="walk_pass",
        choices=("forward", "backward", "both"),
        default="both",
        help="which pass --steps draws (default both: forward, then backward)",
    )
    walk.add_argument(
        "--max-steps",
        type=_whole(1),
        metavar="N",
        help="refuse to draw more than N frames (default 300)",
    )
    walk.add_argument(
        "--derivation",
        action="append",
        default=[],
        metavar="LEAF",
        help="write the chain rule for ∂f/∂LEAF as a sum over paths (FILE-derivation.md and "
        ".tex; repeatable; x1 finds x₁)",
    )
    export.set_defaults(command_module="gradtrace.cli.run_export")

    train = commands.add_parser(
        "train",
        help="train the demo classifier and print its results table",
        description="Train a classifier on a small 2-D data set by gradient descent and print\n"
        "its results: final accuracy and loss, iterations, classes, data size.",
        epilog=_TRAIN_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    train.add_argument(
        "--data",
        choices=("four_blobs", "spiral", "moons"),
        default="four_blobs",
        help="the data set (default four_blobs)",
    )
    train.add_argument(
        "--hidden",
        type=_layer_sizes,
        metavar="SIZES",
        help="hidden layer sizes, e.g. 16,16 (default: none for four_blobs, 16,16 otherwise)",
    )
    train.add_argument("--lr", type=_positive_float, default=1.0, help="learning rate (1.0)")
    train.add_argument(
        "--epochs", type=_whole(1), default=500, metavar="N", help="iterations (500)"
    )
    train.add_argument(
        "--seed", type=int, metavar="N", help="seed of the model's initial weights (default 0)"
    )
    train.add_argument(
        "--plot",
        metavar="PATH",
        help="write the loss curve and decision regions: PATH.svg → PATH-loss.svg, "
        "PATH-regions.svg (.svg or .png)",
    )
    train.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    train.set_defaults(command_module="gradtrace.cli.run_train")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the `gradtrace` command and return its exit status.

    Args:
        argv: The arguments after the program name (default: `sys.argv[1:]`).

    Example:
        >>> main(["--version"])
        gradtrace ...
        0
    """
    restore = _stop_on_sigterm()
    try:
        parser = build_parser()
        try:
            args, unknown = parser.parse_known_args(argv)
        except SystemExit as e:  # --help and --version
            return e.code if isinstance(e.code, int) else 0
        if unknown:
            _unrecognized(unknown, args.command)
        if args.command is None:
            raise CommandError(
                "choose a command: export or train; run 'gradtrace --help' for both", status=2
            )
        status = int(importlib.import_module(args.command_module).run(args))
        say_nothing_more()  # a closed pipe or a full disk shows up here, not at exit
        return status
    except OutputError as e:
        _quiet_stdout()  # the interpreter's last flush would fail again, with a traceback
        _report(str(e))
        return e.status
    except UserCodeError as e:
        _to_stderr(e.traceback_text)
        _report(str(e))
        return e.status
    except CommandError as e:
        _report(str(e))
        return e.status
    except GradtraceError as e:
        _report(str(e))
        return 1
    except Terminated:
        _report("terminated (SIGTERM)")
        return 143
    except KeyboardInterrupt:
        _report("interrupted")
        return 130
    except BrokenPipeError:  # `gradtrace train | head -3`: the reader left, which is fine
        _quiet_stdout()
        return 1
    finally:
        restore()


def say_nothing_more() -> None:
    """Flush standard output, reporting a failure as an `OutputError`."""
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        raise
    except (OSError, ValueError) as e:
        reason = e.strerror if isinstance(e, OSError) and e.strerror else "it was closed"
        raise OutputError(
            f"cannot write to standard output ({reason}); check where it goes (a full disk?)"
        ) from None


def _quiet_stdout() -> None:
    """Point file descriptor 1 at /dev/null, so the interpreter's final flush succeeds."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.close(devnull)
    except OSError:  # pragma: no cover - no /dev/null
        pass


def _stop_on_sigterm() -> Callable[[], None]:
    """Turn SIGTERM into a `Terminated` exception while the command runs.

    Python's default is to die at once, skipping every `finally`: Graphviz would
    keep running and temporaries stay behind. Returns a function that puts the
    previous handler back. Only the main thread can set handlers; elsewhere
    (main() called from a thread) nothing changes.
    """
    if threading.current_thread() is not threading.main_thread():
        return lambda: None

    def stop(number: int, frame: Any) -> None:
        raise Terminated

    previous = signal.signal(signal.SIGTERM, stop)

    def restore() -> None:
        signal.signal(signal.SIGTERM, previous)

    return restore


def _unrecognized(unknown: list[str], command: str | None) -> NoReturn:
    """Name the arguments nobody understood, and where the options are listed."""
    prog = f"gradtrace {command}" if command else "gradtrace"
    hint = f"run '{prog} --help' for the options"
    if command == "export":
        hint = "the formats are " + " ".join(f"--{f}" for f in FORMATS) + f"; {hint}"
    raise CommandError(f"unrecognized arguments: {' '.join(unknown)}; {hint}", status=2)


def _report(message: str) -> None:
    """Print `message` as one line on stderr (straight to file descriptor 2 if sys.stderr fails)."""
    _to_stderr(f"gradtrace: error: {' '.join(message.split())}\n")


def _to_stderr(text: str) -> None:
    try:
        sys.stderr.write(text)
        sys.stderr.flush()
    except (OSError, ValueError):  # the user's file closed or replaced sys.stderr
        with contextlib.suppress(OSError):
            os.write(2, text.encode("utf-8", "replace"))
