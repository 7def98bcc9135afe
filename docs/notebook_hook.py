"""This site's course notebook as a page, with outputs (a build hook, `hooks:` in mkdocs.yml).

It sits beside `docs/hooks.py`, which generates the site's other content; each hook
does one job.

`examples/backprop.ipynb` is kept in git without outputs. On every build it is run with
a real kernel (nbclient, in a separate process, so the page shows what the current code
computes) and turned into a Markdown page, `notebook.md`, handed to mkdocs in memory:

- Markdown cells stay Markdown, so the theme styles them and the gradtrace plugin turns
  their `$…$` into MathML like on every other page;
- code cells become ```` ```python ```` blocks, printed text ```` ```text ```` blocks, a
  `text/markdown` result (a trace table) stays a Markdown table;
- rich outputs (the widget's HTML copy, SVG figures, PNG images) go in as placeholders
  swapped for their HTML after Markdown ran, so Python-Markdown never touches them. SVG
  is shown through `<img>`, whose SVG ids cannot clash with another figure's.

A cell that raises fails the build with the cell's error. The result is cached in
`<cache>-notebook/` (next to the plugin's `GRADTRACE_DOCS_CACHE`, default
`.cache/gradtrace`), keyed by the notebook's bytes and the gradtrace package's source,
so a rebuild under `mkdocs serve` that changes neither costs nothing.

Why not mkdocs-jupyter: it loads MathJax from a CDN unless given another URL, and it
always stores the widget state, after which nbconvert's template loads the Jupyter
widget manager from a CDN; this site loads nothing from another host.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File, Files

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "examples" / "backprop.ipynb"
PAGE = "notebook.md"
TIMEOUT = 300  # seconds a cell may run

log = logging.getLogger("mkdocs.hooks.notebook")
_outputs: dict[str, str] = {}


def on_files(files: Files, config: Any) -> Files:
    markdown, outputs = _page()
    _outputs.clear()
    _outputs.update(outputs)
    files.append(File.generated(config, PAGE, content=markdown))
    return files


def on_page_content(html_text: str, page: Any, config: Any, files: Files) -> str:
    if page.file.src_uri != PAGE:
        return html_text
    for token, output in _outputs.items():
        html_text = html_text.replace(f"<p>{token}</p>", output).replace(token, output)
    return html_text


# -- the notebook as Markdown ----------------------------------------------------------------


def _page() -> tuple[str, dict[str, str]]:
    import gradtrace
    from gradtrace.mkdocs.cache import source_hash

    source = NOTEBOOK.read_bytes()
    key = hashlib.sha256(
        source + source_hash(Path(gradtrace.__file__).resolve().parent).encode()
    ).hexdigest()
    cache = Path(os.environ.get("GRADTRACE_DOCS_CACHE", ".cache/gradtrace"))
    cache = cache.with_name(cache.name + "-notebook")
    hit = cache / f"{key}.json"
    if hit.is_file():
        data = json.loads(hit.read_text(encoding="utf-8"))
        return data["markdown"], data["outputs"]
    started = time.perf_counter()
    nb = _execute(source)
    markdown, outputs = _markdown(nb)
    log.info(f"notebook: ran {NOTEBOOK.name} in {time.perf_counter() - started:.1f} s")
    cache.mkdir(parents=True, exist_ok=True)
    for old in cache.glob("*.json"):  # results of older source are never used again
        old.unlink()
    tmp = hit.with_suffix(".tmp")
    tmp.write_text(json.dumps({"markdown": markdown, "outputs": outputs}), encoding="utf-8")
    tmp.replace(hit)
    return markdown, outputs


def _execute(source: bytes) -> Any:
    """Run the notebook in a kernel of this very Python (the one with this gradtrace).

    Not the kernel named `python3`: one of that name in a folder on the user's
    `JUPYTER_PATH` (or in ~/.local/share/jupyter outside a virtualenv) comes first in
    Jupyter's search and may be another Python, without gradtrace. A kernel spec of our
    own, in a temporary folder that only this kernel manager reads, names `sys.executable`.
    """
    import nbformat
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import AsyncKernelManager
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    nb = nbformat.reads(source.decode("utf-8"), as_version=4)
    with tempfile.TemporaryDirectory(prefix="gradtrace-kernel-") as folder:
        spec = Path(folder) / "gradtrace-docs"
        spec.mkdir()
        argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
        (spec / "kernel.json").write_text(
            json.dumps({"argv": argv, "display_name": "gradtrace docs", "language": "python"}),
            encoding="utf-8",
        )
        specs = KernelSpecManager(kernel_dirs=[folder])
        client = NotebookClient(
            nb,
            km=AsyncKernelManager(kernel_name="gradtrace-docs", kernel_spec_manager=specs),
            timeout=TIMEOUT,
            resources={"metadata": {"path": str(NOTEBOOK.parent)}},
            store_widget_state=False,  # else a page made from it loads the widget manager
        )
        try:
            client.execute()
        except CellExecutionError as error:
            first = str(error).strip().splitlines()[-1] if str(error).strip() else "error"
            raise PluginError(f"notebook: {NOTEBOOK.name} failed: {first}") from None
    return nb


def _markdown(nb: Any) -> tuple[str, dict[str, str]]:
    parts: list[str] = []
    outputs: dict[str, str] = {}

    def stash(markup: str) -> str:
        token = f"GRADTRACENOTEBOOK{len(outputs)}END"
        outputs[token] = markup
        return token

    for cell in nb.cells:
        if cell.cell_type == "markdown":
            parts.append(cell.source)
        elif cell.cell_type == "code":
            parts.append(_fence("python", cell.source))
            for output in cell.outputs:
                parts.append(_output(output, stash))
    link = "examples/backprop.ipynb"
    parts.insert(
        1,
        f"*This page is the notebook `{link}`, run when the site was built. Download it "
        "from the repository and open it in JupyterLab, Notebook 7 or VS Code to move the "
        "sliders yourself: on this page the widget recomputes in the browser, without Python.*",
    )
    return "\n\n".join(p for p in parts if p) + "\n", outputs


def _output(output: Any, stash: Any) -> str:
    kind = output.output_type
    if kind == "stream":
        return _fence("text", output.text)
    if kind == "error":  # pragma: no cover - execution stops at an error first
        raise PluginError(f"notebook: a cell failed: {output.ename}: {output.evalue}")
    data = output.get("data", {})
    if "text/html" in data:
        return stash(f'<div class="nb-output">{data["text/html"]}</div>')
    if "image/svg+xml" in data:
        svg = base64.b64encode(data["image/svg+xml"].encode("utf-8")).decode("ascii")
        return stash(_image("image/svg+xml", svg))
    if "image/png" in data:
        return stash(_image("image/png", data["image/png"]))
    if "text/markdown" in data:
        return str(data["text/markdown"])
    if "text/plain" in data:
        return _fence("text", data["text/plain"])
    return ""


def _image(mime: str, data: str) -> str:
    return f'<div class="nb-output"><img alt="Cell output" src="data:{mime};base64,{data}"></div>'


def _fence(language: str, text: str) -> str:
    text = text.rstrip("\n")
    ticks = "```"
    while ticks in text:
        ticks += "`"
    return f"{ticks}{language}\n{text}\n{ticks}" if text else ""
