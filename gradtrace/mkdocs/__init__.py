"""The gradtrace mkdocs plugin: the ```` ```gradtrace ```` fence and offline math for any site.

Enable it in `mkdocs.yml`:

```yaml
plugins:
  - search
  - gradtrace
```

The plugin class is loaded lazily, so a block's own process
(`python -m gradtrace.mkdocs.fence`) starts without importing mkdocs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from gradtrace.mkdocs.plugin import GradtracePlugin

__all__ = ["GradtracePlugin"]


def __getattr__(name: str) -> Any:
    if name == "GradtracePlugin":
        from gradtrace.mkdocs.plugin import GradtracePlugin

        return GradtracePlugin
    raise AttributeError(f"module 'gradtrace.mkdocs' has no attribute {name!r}")
