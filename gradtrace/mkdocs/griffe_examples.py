"""A Griffe extension for the API reference: read `Example:` sections as `Examples:`.

Griffe's Google-style parser knows only the plural `Examples:` heading; an
`Example:` section becomes an admonition whose `>>>` lines are read as
Markdown (so `[0, 1]` in an output looks like a link). gradtrace's docstrings
use both spellings; this extension makes them render the same, as code.

Enable it for mkdocstrings in `mkdocs.yml`:
`extensions: [gradtrace.mkdocs.griffe_examples]` under the Python handler's options.
"""

from __future__ import annotations

import re
from typing import Any

from griffe import Extension

__all__ = ["ExampleSections"]

_HEADING = re.compile(r"^(\s*)Example:\s*$", re.M)


class ExampleSections(Extension):
    """Rename every `Example:` docstring heading to `Examples:` before parsing."""

    def on_instance(self, *, obj: Any, **kwargs: Any) -> None:
        docstring = getattr(obj, "docstring", None)
        if docstring is not None and "Example:" in docstring.value:
            docstring.value = _HEADING.sub(r"\1Examples:", docstring.value)
