"""Every exception class gradtrace defines derives from `GradtraceError`, as errors.py says."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest

import gradtrace
from gradtrace.errors import GradtraceError


def _gradtrace_exceptions() -> dict[str, type[BaseException]]:
    """`module.Class` → class, for every exception class defined in a gradtrace module.

    Only `Exception`s: a `BaseException` that is not one (capture's `_Exited`) is a
    private control-flow signal, deliberately out of reach of `except Exception`. Warnings
    (`SizeWarning`) are not errors: they are shown, not raised.
    """
    found = {}
    for info in pkgutil.walk_packages(gradtrace.__path__, "gradtrace."):
        if info.name == "gradtrace.__main__":
            continue  # runs the CLI when imported
        module = importlib.import_module(info.name)
        for name, obj in vars(module).items():
            if (
                inspect.isclass(obj)
                and issubclass(obj, Exception)
                and not issubclass(obj, Warning)
                and obj.__module__ == module.__name__
            ):
                found[f"{module.__name__}.{name}"] = obj
    return found


def test_every_gradtrace_exception_is_a_gradtrace_error() -> None:
    found = _gradtrace_exceptions()
    # The walk saw the modules that define errors, the docs plugin's among them.
    assert {
        "gradtrace.mathml.MathError",
        "gradtrace.mkdocs.isolated.IsolationError",
        "gradtrace.mkdocs.fence.FenceError",
        "gradtrace.nn.DataError",
    } <= set(found)
    outside = sorted(name for name, cls in found.items() if not issubclass(cls, GradtraceError))
    assert outside == []


@pytest.mark.parametrize(
    ("name", "also"),
    [
        ("gradtrace.mathml.MathError", ValueError),
        ("gradtrace.mkdocs.isolated.IsolationError", RuntimeError),
        ("gradtrace.nn.DataError", ValueError),
        ("gradtrace.nn.ModelError", ValueError),
        ("gradtrace.train.TrainingError", ValueError),
        ("gradtrace.plots.PlotError", ValueError),
    ],
)
def test_errors_still_derive_from_what_callers_catch(name: str, also: type[Exception]) -> None:
    # Code written before they became GradtraceErrors catches these builtin types.
    assert issubclass(_gradtrace_exceptions()[name], also)
