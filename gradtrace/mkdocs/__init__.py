"""The gradtrace mkdocs plugin: generated figures and tables, the `gradtrace` fence, offline math.

Enable it in `mkdocs.yml`:

```yaml
plugins:
  - search
  - gradtrace:
      generate: [figure1, training]   # optional: gradtrace's own site artefacts
      precision: 4
```

The plugin class is loaded lazily, so the build worker
(`python -m gradtrace.mkdocs.worker`) starts without importing mkdocs.
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
