"""The build worker: a fresh Python process that generates content from the code as it is now.

The plugin lives inside the `mkdocs serve` process, where an edited engine
module would never be re-imported. So the work is done here instead, in a
child process started with the package's current source; the plugin starts a
new one whenever that source changes.

Protocol: one JSON request per line on stdin, one JSON response per line on
the original stdout (anything the user's code prints goes to stderr):

- `{"kind": "artefact", "name": "figure1", "precision": 4}`
- `{"kind": "block", "code": "...", "options": {...}, "precision": 4}`

Response: `{"ok": true, "result": {...}}`, or `{"ok": false, "error": "...",
"line": n | null, "missing": bool}`.

Run as `python -m gradtrace.mkdocs.worker`.
"""

from __future__ import annotations

import json
import os
import sys
import traceback
from typing import Any, TextIO

__all__ = ["handle", "main"]


def handle(request: dict[str, Any]) -> dict[str, Any]:
    """Answer one request (never raises)."""
    from gradtrace.mkdocs.artefacts import MissingModuleError, build
    from gradtrace.mkdocs.fence import FenceError, run_block

    try:
        if request["kind"] == "artefact":
            result = build(request["name"], int(request["precision"]))
        elif request["kind"] == "block":
            result = run_block(request["code"], request["options"], int(request["precision"]))
        else:
            return {"ok": False, "error": f"unknown request kind {request['kind']!r}"}
    except FenceError as error:
        return {"ok": False, "error": str(error), "line": error.line}
    except MissingModuleError as error:
        return {"ok": False, "error": str(error), "missing": True}
    except Exception as error:
        detail = "".join(traceback.format_exception(error)).rstrip()
        return {"ok": False, "error": f"{type(error).__name__}: {error}", "detail": detail}
    return {"ok": True, "result": result}


def main(stdin: TextIO | None = None) -> None:
    """Serve requests until stdin closes."""
    protocol = os.fdopen(os.dup(sys.stdout.fileno()), "w", encoding="utf-8")
    sys.stdout.flush()
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # user prints must not corrupt replies
    os.environ["COLUMNS"] = "88"  # argparse help is wrapped to the terminal width
    os.environ["NO_COLOR"] = "1"
    for line in stdin or sys.stdin:
        if not line.strip():
            continue
        reply = handle(json.loads(line))
        protocol.write(json.dumps(reply, ensure_ascii=False) + "\n")
        protocol.flush()


if __name__ == "__main__":
    main()
