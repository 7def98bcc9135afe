"""What every subcommand shares: the two kinds of error the command reports.

A `CommandError` is a problem the user can fix (a missing file, an output folder
that does not exist, Graphviz not installed, ...). `main()` prints it as one line,
`gradtrace: error: <problem>; <fix>`, and exits with its status; no traceback.

A `UserCodeError` is an exception raised by the user's own file while
`gradtrace export` ran it. `main()` prints the user's traceback (trimmed to
their frames) and then the one-line error.
"""

from __future__ import annotations

from gradtrace.errors import GradtraceError

__all__ = ["CommandError", "OutputError", "Terminated", "UserCodeError", "say"]


class CommandError(GradtraceError):
    """A problem with the command line, its input or its environment.

    Attributes:
        status: The exit status `main()` returns (1, or 2 for a command line
            that cannot be parsed).
    """

    def __init__(self, message: str, *, status: int = 1) -> None:
        super().__init__(message)
        self.status = status


class UserCodeError(CommandError):
    """The user's file raised an exception while it ran.

    Attributes:
        traceback_text: The user's traceback, trimmed to their own frames,
            ready to print.
    """

    def __init__(self, message: str, traceback_text: str) -> None:
        super().__init__(message)
        self.traceback_text = traceback_text


class OutputError(CommandError):
    """Standard output cannot be written (a full disk behind `> file`, a closed `sys.stdout`)."""


class Terminated(KeyboardInterrupt):
    """The command got SIGTERM. A `KeyboardInterrupt`, so it stops the user's code the same
    way Ctrl-C does and every cleanup (stopping Graphviz, removing temporaries) runs."""


def say(text: str, *, otherwise: str = "check where standard output goes (a full disk?)") -> None:
    """Print `text` and a newline on standard output at once (not at exit).

    Raises:
        OutputError: Standard output cannot be written; the message ends with
            `otherwise`, what the user should know or do then.
    """
    import sys

    try:
        print(text, file=sys.stdout, flush=True)
    except BrokenPipeError:  # the reader left: main() ends quietly
        raise
    except (OSError, ValueError) as e:  # ValueError: the stream was closed
        reason = e.strerror if isinstance(e, OSError) and e.strerror else "it was closed"
        raise OutputError(f"cannot write to standard output ({reason}); {otherwise}") from None
