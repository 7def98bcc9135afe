"""The API reference documents every public module of the package."""

from __future__ import annotations

import pkgutil
import re
from pathlib import Path

import gradtrace

API = Path(__file__).resolve().parent.parent / "docs" / "api"

#: Modules that are not API: the command line (documented on the CLI page, by its --help),
#: `python -m gradtrace`, the staging of files, and a griffe extension the docs build uses.
NOT_API = {"gradtrace.__main__", "gradtrace.atomic", "gradtrace.mkdocs.griffe_examples"}


def test_every_public_module_has_a_reference_entry() -> None:
    listed = set()
    for page in API.glob("*.md"):
        listed |= set(re.findall(r"^::: ([\w.]+)\s*$", page.read_text(encoding="utf-8"), re.M))
    modules = {
        info.name
        for info in pkgutil.walk_packages(gradtrace.__path__, "gradtrace.")
        if not info.ispkg
        and not info.name.startswith("gradtrace.cli")
        and not any(part.startswith("_") for part in info.name.split("."))
    }
    assert modules - NOT_API - listed == set()
    assert listed - modules == set()  # no entry for a module that is gone
