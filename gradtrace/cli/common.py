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

__all__ = ["CommandError", "UserCodeError"]


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
