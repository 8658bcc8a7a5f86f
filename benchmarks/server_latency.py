"""How long `fastapi-fix server` takes to publish diagnostics, driven over stdio by pygls's own
client, on a real code base:

- open: from `initialized` + `didOpen` of a file to its first diagnostics, with the CLI's cache
  cold (an empty cache folder) and warm (filled by a `fastapi-fix check` run first);
- body edit: a statement added in a function body of the open file (unsaved), to its updated
  diagnostics;
- cross-module edit: a function added to another open module (a new project fact), to that
  file's updated diagnostics (published first), and to the answer of a request sent right
  after the edit (answered once every open file's findings are known again: those of the other
  open file are published only when they change).

Also the time of a cold `fastapi-fix check` of the code base, for comparison.

    python benchmarks/server_latency.py ~/.cache/fastapi-fix-corpus/fastapi \\
        docs_src/bigger_applications/app/routers/items.py \\
        docs_src/bigger_applications/app/dependencies.py

Run it from the repository's root (the server is `python -m fastapi_fixer server` with this
checkout first on PYTHONPATH). Each session prints the medians of its --repeat edits of each
kind; the medians over the --sessions sessions with the cache warm follow.
"""

from __future__ import annotations

import argparse
import asyncio
import atexit
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from lsprotocol import types
from pygls.lsp.client import LanguageClient
from pygls.uris import from_fs_path

ROOT = Path(__file__).resolve().parent.parent


BYTECODE = tempfile.mkdtemp(prefix="fastapi-fix-bytecode-")
atexit.register(shutil.rmtree, BYTECODE, True)


def environment(cache_dir: str) -> dict[str, str]:
    """This checkout first on the path; its bytecode compiled once, in a folder of its own, as
    an installed package's is (even where PYTHONDONTWRITEBYTECODE is set)."""
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    env = {**os.environ, "PYTHONPATH": path, "FASTAPI_FIX_CACHE_DIR": cache_dir}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = BYTECODE
    return env


class Client:
    def __init__(self) -> None:
        self.client = LanguageClient("server-latency", "1")
        self.published: dict[str, asyncio.Event] = {}
        self.versions: dict[str, int | None] = {}

        @self.client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def on_publish(_client: LanguageClient, params: types.PublishDiagnosticsParams) -> None:
            self.versions[params.uri] = params.version
            self.published.setdefault(params.uri, asyncio.Event()).set()

    async def start(self, corpus: Path, cache_dir: str) -> None:
        await self.client.start_io(
            sys.executable,
            "-m",
            "fastapi_fixer",
            "server",
            cwd=str(corpus),
            env=environment(cache_dir),
        )
        uri = from_fs_path(str(corpus))
        await self.client.initialize_async(
            types.InitializeParams(
                capabilities=types.ClientCapabilities(),
                root_uri=uri,
                workspace_folders=[types.WorkspaceFolder(uri=uri, name=corpus.name)],
            )
        )
        self.client.initialized(types.InitializedParams())

    async def wait(self, uri: str, version: int) -> float:
        """Seconds until diagnostics of ``uri`` at ``version`` are published."""
        started = time.perf_counter()
        while self.versions.get(uri) != version:
            event = self.published.setdefault(uri, asyncio.Event())
            event.clear()
            if self.versions.get(uri) == version:
                break
            await asyncio.wait_for(event.wait(), 600)
        return time.perf_counter() - started

    def open(self, uri: str, text: str) -> None:
        self.client.text_document_did_open(
            types.DidOpenTextDocumentParams(
                text_document=types.TextDocumentItem(
                    uri=uri, language_id="python", version=1, text=text
                )
            )
        )

    def change(self, uri: str, version: int, text: str) -> None:
        self.client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
                content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
            )
        )

    async def hover(self, uri: str) -> None:
        await self.client.text_document_hover_async(
            types.HoverParams(
                text_document=types.TextDocumentIdentifier(uri=uri),
                position=types.Position(line=0, character=0),
            )
        )

    async def stop(self) -> None:
        await self.client.shutdown_async(None)
        self.client.exit(None)
        await self.client.stop()


def body_edit(text: str, number: int) -> str:
    """A statement added at the start of the body of the file's first function."""
    lines = text.splitlines(keepends=True)
    for index, line in enumerate(lines):
        stripped = line.lstrip()
        if stripped.startswith(("def ", "async def ")) and line.rstrip().endswith(":"):
            body = index + 1
            indent = lines[body][: len(lines[body]) - len(lines[body].lstrip())] or "    "
            lines.insert(body, f"{indent}_edit_{number} = {number}\n")
            return "".join(lines)
    raise SystemExit("the file has no one-line `def` to edit")


async def session(
    corpus: Path, target: Path, other: Path, cache_dir: str, repeat: int
) -> dict[str, float]:
    client = Client()
    await client.start(corpus, cache_dir)
    found: dict[str, float] = {}
    try:
        uri = from_fs_path(str(target))
        text = target.read_text()
        started = time.perf_counter()
        client.open(uri, text)
        await client.wait(uri, 1)
        found["open"] = time.perf_counter() - started
        body: list[float] = []
        for number in range(2, 2 + repeat):
            started = time.perf_counter()
            client.change(uri, number, body_edit(text, number))
            await client.wait(uri, number)
            body.append(time.perf_counter() - started)
        found["body edit"] = statistics.median(body)
        other_uri = from_fs_path(str(other))
        other_text = other.read_text()
        client.open(other_uri, other_text)
        await client.wait(other_uri, 1)
        cross: list[float] = []
        settled: list[float] = []
        for number in range(2, 2 + repeat):
            started = time.perf_counter()
            new = other_text + f"\n\ndef _added_{number}():\n    return {number}\n"
            client.change(other_uri, number, new)
            await client.wait(other_uri, number)
            cross.append(time.perf_counter() - started)
            # a request is answered once the run for the edit is over: every open file's
            # findings known (the other file's are published only when they change)
            await client.hover(uri)
            settled.append(time.perf_counter() - started)
        found["cross-module edit"] = statistics.median(cross)
        found["cross-module edit, all open files"] = statistics.median(settled)
    finally:
        await client.stop()
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", type=Path)
    parser.add_argument("file", help="the file to open and edit (relative to the corpus)")
    parser.add_argument("other", help="another module to edit (relative to the corpus)")
    parser.add_argument("--repeat", type=int, default=5, help="edits of each kind per session")
    parser.add_argument("--sessions", type=int, default=3, help="sessions with the cache warm")
    args = parser.parse_args()
    corpus = args.corpus.expanduser().resolve()
    target, other = corpus / args.file, corpus / args.other
    with tempfile.TemporaryDirectory() as cold_dir, tempfile.TemporaryDirectory() as warm_dir:
        subprocess.run(  # compiles the bytecode (see `environment`)
            [sys.executable, "-m", "fastapi_fixer", "rule", "--all"],
            env=environment(cold_dir),
            capture_output=True,
            check=False,
        )
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "fastapi_fixer", "check", "--select", "FF", "-q", "."],
            cwd=corpus,
            env=environment(warm_dir),
            capture_output=True,
            check=False,
        )
        check_cold = time.perf_counter() - started
        print(f"fastapi-fix check (cache cold, bytecode compiled): {check_cold:.2f} s")
        runs = [("cache cold", cold_dir)] + [("cache warm", warm_dir)] * args.sessions
        results: dict[str, list[dict[str, float]]] = {}
        for label, cache_dir in runs:
            found = asyncio.run(session(corpus, target, other, cache_dir, args.repeat))
            results.setdefault(label, []).append(found)
            print(f"server, {label}: " + "; ".join(_format(k, v) for k, v in found.items()))
        for label, sessions in results.items():
            medians = {
                key: statistics.median(found[key] for found in sessions) for key in sessions[0]
            }
            print(
                f"medians, {label} ({len(sessions)} sessions x {args.repeat} edits): "
                + "; ".join(_format(k, v) for k, v in medians.items())
            )


def _format(key: str, seconds: float) -> str:
    if key == "open":
        return f"first diagnostics after open {seconds:.2f} s"
    return f"{key} {seconds * 1000:.0f} ms"


if __name__ == "__main__":
    main()
