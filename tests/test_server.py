"""`fastapi-fix server`: a real LSP client (pytest-lsp's, on pygls) drives the real server process
over stdio on a small project in tmp_path."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

pytest.importorskip("pygls")
pytest_lsp = pytest.importorskip("pytest_lsp")

from lsprotocol import types  # noqa: E402
from pygls.uris import from_fs_path  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
PUBLISH = types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS
TIMEOUT = 60.0  # seconds a notification may take on a loaded machine (not a timing assertion)

PYPROJECT = """\
[project]
name = "demo"
version = "0.1.0"
dependencies = ["fastapi"]

[tool.fastapi-fix]
select = ["FF1"]
"""
HELPERS = """\
import time


def slow():
    time.sleep(1)


def fine():
    return 1
"""
MAIN = """\
from fastapi import FastAPI

from app.helpers import fine, slow

app = FastAPI()


@app.get("/items")
async def items():
    slow()
    return {"ok": True}


@app.get("/other")
async def other():
    fine()
    return {"ok": True}
"""


def make_project(folder: Path, pyproject: str = PYPROJECT) -> Path:
    (folder / "app").mkdir(parents=True)
    (folder / "pyproject.toml").write_text(pyproject)
    (folder / "app" / "__init__.py").write_text("")
    (folder / "app" / "helpers.py").write_text(HELPERS)
    (folder / "app" / "main.py").write_text(MAIN)
    return folder


def env() -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    }


class Session:
    def __init__(self, client, folder: Path) -> None:
        self.client = client
        self.folder = folder
        self.versions: dict[str, int] = {}

    def uri(self, relative: str) -> str:
        return from_fs_path(str(self.folder / relative))

    def open(self, relative: str, text: str | None = None, uri: str | None = None) -> str:
        uri = uri or self.uri(relative)
        if text is None:
            text = (self.folder / relative).read_text()
        self.versions[uri] = 1
        self.client.text_document_did_open(
            types.DidOpenTextDocumentParams(
                text_document=types.TextDocumentItem(
                    uri=uri, language_id="python", version=1, text=text
                )
            )
        )
        return uri

    def change(self, uri: str, text: str) -> None:
        self.versions[uri] += 1
        self.client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(
                    uri=uri, version=self.versions[uri]
                ),
                content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
            )
        )

    async def until(self, method: str, ready: Callable[[], bool]) -> None:
        """Wait for notifications of ``method`` until ``ready()`` holds."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + TIMEOUT
        while not ready():
            await asyncio.wait_for(
                self.client.wait_for_notification(method), deadline - loop.time()
            )

    async def diagnostics(
        self, uri: str, ready: Callable[[list[types.Diagnostic]], bool] = lambda found: True
    ) -> list[types.Diagnostic]:
        await self.until(
            PUBLISH, lambda: uri in self.client.diagnostics and ready(self.diagnostics_of(uri))
        )
        return self.diagnostics_of(uri)

    def diagnostics_of(self, uri: str) -> list[types.Diagnostic]:
        return list(self.client.diagnostics.get(uri, []))


def run(
    folder: Path,
    body: Callable[[Session], object],
    capabilities: types.ClientCapabilities | None = None,
) -> None:
    async def main() -> None:
        client = pytest_lsp.client.make_test_lsp_client()
        client.registrations = []

        @client.feature(types.CLIENT_REGISTER_CAPABILITY)
        def register(client_: object, params: types.RegistrationParams) -> None:
            client.registrations.extend(params.registrations)

        await client.start_io(
            sys.executable,
            "-m",
            "fastapi_fixer",
            "server",
            env=env(),
            cwd=str(folder),
            start_new_session=True,  # its worker processes can be killed with it
        )
        try:
            await client.initialize_session(
                types.InitializeParams(
                    capabilities=capabilities or types.ClientCapabilities(),
                    root_uri=from_fs_path(str(folder)),
                    workspace_folders=[
                        types.WorkspaceFolder(uri=from_fs_path(str(folder)), name="demo")
                    ],
                )
            )
            await body(Session(client, folder))  # type: ignore[misc]
        finally:
            # a failed assertion must not leave the server running (stop waits for its exit)
            try:
                await asyncio.wait_for(client.shutdown_session(), 20)
            except Exception:
                if client._server is not None and client._server.returncode is None:
                    os.killpg(client._server.pid, signal.SIGKILL)
            await client.stop()

    asyncio.run(main())


def offset(text: str, position: types.Position) -> int:
    lines = text.splitlines(keepends=True)
    return sum(len(line) for line in lines[: position.line]) + position.character


def apply(edit: types.WorkspaceEdit, texts: dict[str, str]) -> dict[str, str]:
    """What an editor does with the workspace edit (ASCII texts: UTF-16 units are chars)."""
    out = dict(texts)
    for change in edit.document_changes or []:
        assert isinstance(change, types.TextDocumentEdit)
        uri = change.text_document.uri
        text = out[uri]
        for text_edit in sorted(
            change.edits, key=lambda e: offset(text, e.range.start), reverse=True
        ):
            start, end = offset(text, text_edit.range.start), offset(text, text_edit.range.end)
            text = text[:start] + text_edit.new_text + text[end:]
        out[uri] = text
    return out


def fixed_by_cli(folder: Path, tmp_path: Path, relative: str) -> str:
    copy = tmp_path / "cli-copy"
    shutil.copytree(folder, copy)
    subprocess.run(
        [sys.executable, "-m", "fastapi_fixer", "fix", "--no-cache", "."],
        cwd=copy,
        env=env(),
        capture_output=True,
        check=False,
    )
    return (copy / relative).read_text()


def test_diagnostics_code_actions_and_cross_module_updates(tmp_path: Path) -> None:
    folder = make_project(tmp_path / "demo")
    expected_fix = fixed_by_cli(folder, tmp_path, "app/main.py")
    assert expected_fix != MAIN

    async def body(session: Session) -> None:
        main = session.open("app/main.py")
        helpers = session.open("app/helpers.py")
        found = await session.diagnostics(main, lambda found: bool(found))
        assert [(d.code, d.range.start.line, d.range.start.character) for d in found] == [
            ("FF101", 9, 4)
        ]
        d = found[0]
        assert d.source == "fastapi-fix"
        assert d.severity == types.DiagnosticSeverity.Error
        assert d.code_description is not None
        assert d.code_description.href.endswith("/docs/rules/FF101.md")
        # the chain: the async route, the call of the helper, the blocking call in helpers.py
        hops = [
            (r.location.uri, r.location.range.start.line, r.location.range.start.character)
            for r in d.related_information or []
        ]
        assert hops == [(main, 8, 0), (main, 9, 4), (helpers, 4, 4)]
        assert "time.sleep" in (d.related_information or [])[-1].message

        # hover on the finding: the rule's documentation
        hover = await session.client.text_document_hover_async(
            types.HoverParams(
                text_document=types.TextDocumentIdentifier(uri=main),
                position=types.Position(line=9, character=5),
            )
        )
        assert hover is not None
        assert isinstance(hover.contents, types.MarkupContent)
        assert "## What it does" in hover.contents.value
        assert "FF101" in hover.contents.value

        # code actions: the quick fix writes what `fastapi-fix fix` writes
        actions = await session.client.text_document_code_action_async(
            types.CodeActionParams(
                text_document=types.TextDocumentIdentifier(uri=main),
                range=d.range,
                context=types.CodeActionContext(diagnostics=[d]),
            )
        )
        assert actions is not None
        by_kind: dict[str, list[types.CodeAction]] = {}
        for action in actions:
            assert isinstance(action, types.CodeAction)
            by_kind.setdefault(str(action.kind), []).append(action)
        quick = [a for a in by_kind["quickfix"] if "noqa" not in a.title]
        assert len(quick) == 1 and quick[0].edit is not None
        assert apply(quick[0].edit, {main: MAIN})[main] == expected_fix
        noqa = [a for a in by_kind["quickfix"] if "noqa" in a.title]
        assert len(noqa) == 1 and noqa[0].edit is not None
        assert "    slow()  # noqa: FF101\n" in apply(noqa[0].edit, {main: MAIN})[main]
        (fix_all,) = by_kind["source.fixAll.fastapi-fix"]
        assert fix_all.edit is not None
        assert apply(fix_all.edit, {main: MAIN})[main] == expected_fix
        # nothing was written by the server
        assert (session.folder / "app" / "main.py").read_text() == MAIN

        # an unsaved edit of the helper: `fine` now blocks, and the route calling it in the
        # other open file gets its finding
        session.change(helpers, HELPERS.replace("    return 1", "    time.sleep(2)\n    return 1"))
        found = await session.diagnostics(main, lambda found: len(found) == 2)
        assert [(d.code, d.range.start.line) for d in found] == [("FF101", 9), ("FF101", 15)]
        assert (session.folder / "app" / "helpers.py").read_text() == HELPERS

        # an unsaved edit of the route file itself is what is checked
        session.change(main, MAIN.replace("    slow()\n", ""))
        found = await session.diagnostics(main, lambda found: len(found) == 1)
        assert [(d.code, d.range.start.line) for d in found] == [("FF101", 14)]

    run(folder, body)


def test_unsafe_fixes_only_when_the_configuration_enables_them(tmp_path: Path) -> None:
    for enabled in (False, True):
        config = PYPROJECT.replace('["FF1"]', '["FF1", "FF904"]')
        if enabled:
            config += "unsafe-fixes = true\n"
        folder = make_project(tmp_path / f"demo-{enabled}", config)

        async def body(session: Session, enabled: bool = enabled) -> None:
            main = session.open("app/main.py")
            found = await session.diagnostics(main, lambda found: len(found) == 2)
            (health,) = [d for d in found if d.code == "FF904"]
            actions = await session.client.text_document_code_action_async(
                types.CodeActionParams(
                    text_document=types.TextDocumentIdentifier(uri=main),
                    range=health.range,
                    context=types.CodeActionContext(diagnostics=[health]),
                )
            )
            titles = [a.title for a in actions or [] if isinstance(a, types.CodeAction)]
            unsafe = [t for t in titles if t.startswith("FF904") and "noqa" not in t]
            assert len(unsafe) == enabled
            assert all(title.endswith("(unsafe fix)") for title in unsafe)
            (fix_all,) = [
                a
                for a in actions or []
                if isinstance(a, types.CodeAction) and a.kind == "source.fixAll.fastapi-fix"
            ]
            assert fix_all.edit is not None
            assert "/health" not in apply(fix_all.edit, {main: MAIN})[main]  # safe ones only

        run(folder, body)


def test_a_project_big_enough_for_worker_processes(tmp_path: Path) -> None:
    """The engine forks worker processes for 64 files or more: they must not hang on the
    server's stdin (multiprocessing closes `sys.stdin` in a new process)."""
    folder = make_project(tmp_path / "demo")
    for number in range(80):
        (folder / "app" / f"routes_{number}.py").write_text(
            MAIN.replace("/items", f"/items{number}").replace("/other", f"/other{number}")
        )

    async def body(session: Session) -> None:
        main = session.open("app/main.py")
        found = await session.diagnostics(main, lambda found: bool(found))
        assert [d.code for d in found] == ["FF101"]

    run(folder, body)


def test_invalid_configuration_shows_an_error_and_the_server_lives_on(tmp_path: Path) -> None:
    invalid = PYPROJECT.replace('select = ["FF1"]', 'select = "FF1"')
    folder = make_project(tmp_path / "demo", invalid)

    async def body(session: Session) -> None:
        main = session.open("app/main.py")
        await session.until("window/showMessage", lambda: bool(session.client.messages))
        (message,) = session.client.messages
        assert message.type == types.MessageType.Error
        assert "pyproject.toml" in message.message and "`select`" in message.message
        assert await session.diagnostics(main) == []
        # fixed on disk: the next change reads the configuration again
        (session.folder / "pyproject.toml").write_text(PYPROJECT)
        session.change(main, MAIN)
        found = await session.diagnostics(main, lambda found: bool(found))
        assert [d.code for d in found] == ["FF101"]
        # broken again: said again (once per time it breaks, not at every keystroke)
        (session.folder / "pyproject.toml").write_text(invalid)
        session.change(main, MAIN + "\n")
        await session.until("window/showMessage", lambda: len(session.client.messages) == 2)
        assert session.client.messages[1].message == message.message

    run(folder, body)


def test_syntax_error_gives_no_findings_and_no_crash(tmp_path: Path) -> None:
    folder = make_project(tmp_path / "demo")
    broken = MAIN.replace("async def items():", "async def items(:")

    async def body(session: Session) -> None:
        main = session.open("app/main.py", broken)
        assert await session.diagnostics(main) == []
        # still serving: the file repaired in the buffer gets its findings
        session.change(main, MAIN)
        found = await session.diagnostics(main, lambda found: bool(found))
        assert [d.code for d in found] == ["FF101"]

    run(folder, body)


def test_excluded_and_per_file_ignored_files_have_no_findings(tmp_path: Path) -> None:
    config = PYPROJECT + 'per-file-ignores = { "app/main.py" = ["FF101"] }\n'
    folder = make_project(tmp_path / "demo", config)
    (folder / "legacy").mkdir()
    (folder / "legacy" / "old.py").write_text(MAIN.replace("app.helpers", "helpers"))
    (folder / "legacy" / "helpers.py").write_text(HELPERS)
    with (folder / "pyproject.toml").open("a") as handle:
        handle.write('exclude = ["legacy"]\n')

    async def body(session: Session) -> None:
        main = session.open("app/main.py")
        old = session.open("legacy/old.py")
        assert await session.diagnostics(main) == []
        assert await session.diagnostics(old) == []

    run(folder, body)


def test_editor_configurations_start_the_server() -> None:
    """docs/editors.md: the JSON and TOML blocks parse and start `fastapi-fix server`; the Lua
    one names the same command (no editor on the test machine to run them)."""
    import json
    import re

    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib

    text = (ROOT / "docs" / "editors.md").read_text()
    blocks = dict.fromkeys(("json", "toml", "lua"), "")
    for language, body in re.findall(r"```(\w+)\n(.*?)```", text, re.DOTALL):
        blocks[language] += body
    vscode = json.loads(blocks["json"])
    assert [vscode["glspc.server.command"], *vscode["glspc.server.commandArguments"]] == [
        "fastapi-fix",
        "server",
    ]
    assert "source.fixAll.fastapi-fix" in vscode["[python]"]["editor.codeActionsOnSave"]
    helix = tomllib.loads(blocks["toml"])
    server = helix["language-server"]["fastapi-fix"]
    assert [server["command"], *server["args"]] == ["fastapi-fix", "server"]
    assert "fastapi-fix" in helix["language"][0]["language-servers"]
    assert "cmd = { 'fastapi-fix', 'server' }" in blocks["lua"]
    assert "(docs/editors.md)" in (ROOT / "README.md").read_text()


def test_server_command_is_listed() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "fastapi_fixer", "--help"],
        cwd=ROOT,
        env=env(),
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "server" in textwrap.dedent(out)


# --- the project kept in memory (`engine/session.py`) equals a fresh `check` -----------------

ROUTES = """\
from fastapi import Depends, FastAPI, HTTPException

from app.helpers import fine, slow
from app.models import Item
from app.services import load_item

app = FastAPI()


def get_db():
    return {"items": []}


@app.get("/items")
async def items():
    slow()
    return {"ok": True}


@app.get("/other")
async def other():
    fine()
    return {"ok": True}


@app.post("/items")
async def create(item: Item, db=Depends(get_db)):
    if not item.name:
        raise HTTPException(status_code=400, detail="no name")
    return load_item(item.name)
"""
MODELS = """\
from pydantic import BaseModel


class Item(BaseModel):
    name: str
    price: float
    password: str = "hunter2"
"""
SERVICES = """\
import requests
from fastapi import HTTPException


def load_item(name):
    if name == "x":
        raise HTTPException(status_code=404, detail="missing")
    return requests.get(f"http://example.com/{name}").json()
"""
CLIENT_TEST = """\
from fastapi.testclient import TestClient

from app.main import app


def test_items():
    client = TestClient(app)
    assert client.get("/items").status_code == 200
"""
EXTRA = """\
import subprocess

run_tool = subprocess.call  # no `def`: analysed only when a call leads here
"""


def make_rich_project(folder: Path) -> Path:
    """Several rules' patterns over several modules (every rule selected)."""
    make_project(folder, PYPROJECT.replace('select = ["FF1"]\n', ""))
    files = {
        "app/main.py": ROUTES,
        "app/models.py": MODELS,
        "app/services.py": SERVICES,
        "app/extra.py": EXTRA,
        "tests/test_main.py": CLIENT_TEST,
    }
    for relative, text in files.items():
        (folder / relative).parent.mkdir(parents=True, exist_ok=True)
        (folder / relative).write_text(text)
    return folder


def fresh_check(folder: Path, copy: Path, texts: dict[str, str]) -> tuple[list, list]:
    """`check .` of a copy of the project with ``texts`` (relative path -> text) written."""
    from fastapi_fixer.engine import Engine, Mode
    from fastapi_fixer.server.project import in_folder, settings_for

    if copy.exists():
        shutil.rmtree(copy)
    shutil.copytree(folder, copy)
    for relative, text in texts.items():
        (copy / relative).parent.mkdir(parents=True, exist_ok=True)
        (copy / relative).write_text(text)
    settings = settings_for(str(copy / "app" / "main.py"))
    with in_folder(str(copy)):
        result = Engine(settings, Mode(jobs=1)).run(["."])
    return result.diagnostics, [(e.path, e.reason) for e in result.errors]


def test_the_project_in_memory_gives_what_a_fresh_check_gives(tmp_path: Path) -> None:
    """After each edit (in a function body, lines moved; a helper that now blocks; a new
    function; a call into a module analysed only because of it; a syntax error; a buffer never
    saved; a file deleted and one created on disk), the session's findings of every file equal
    a fresh `check` of the same texts, and it recomputed only what the edit can change."""
    from fastapi_fixer.server.project import Project, in_folder, settings_for

    folder = make_rich_project(tmp_path / "demo")
    main, helpers = str(folder / "app" / "main.py"), str(folder / "app" / "helpers.py")
    models, new_file = str(folder / "app" / "models.py"), str(folder / "app" / "new_routes.py")
    project = Project.open(str(folder), settings_for(main))
    disk = {"app/main.py": ROUTES, "app/helpers.py": HELPERS}

    def relative(path: str) -> str:
        return os.path.relpath(path, folder)

    steps: list[tuple[str, dict[str, str], dict[str, str | None]]] = [
        ("open", {main: ROUTES}, {}),
        ("lines moved in a helper", {helpers: "# moved\n# down\n" + HELPERS}, {}),
        ("a helper now blocks", {helpers: HELPERS.replace("return 1", "time.sleep(2)")}, {}),
        ("a new function", {helpers: HELPERS + "\n\ndef more():\n    return 2\n"}, {}),
        (
            "a call into a module nothing called",
            {
                main: ROUTES.replace("    fine()\n", "    fine()\n    run_tool(['x'])\n").replace(
                    "from app.models", "from app.extra import run_tool\nfrom app.models"
                )
            },
            {},
        ),
        ("a syntax error", {main: ROUTES.replace("async def items():", "async def items(:")}, {}),
        ("lines moved in a model", {main: ROUTES, models: "\n\n" + MODELS}, {}),
        ("a buffer never saved", {main: ROUTES, new_file: ROUTES.replace("/items", "/new")}, {}),
        ("a file deleted on disk", {main: ROUTES}, {"app/helpers.py": None}),
        ("a file created on disk", {main: ROUTES}, {"app/helpers.py": HELPERS.replace("1)", "3)")}),
        ("a module not analysed changed on disk", {main: ROUTES}, {"app/extra.py": "X = 1\n"}),
        ("a .gitignore", {main: ROUTES}, {".gitignore": "app/services.py\n"}),
    ]
    kinds = []
    counts: dict[str, int] = {}
    for number, (label, overlays, on_disk) in enumerate(steps):
        changed_on_disk = []
        for name, text in on_disk.items():
            path = folder / name
            if text is None:
                path.unlink()
                disk.pop(name, None)
            else:
                path.write_text(text)
                disk[name] = text
            changed_on_disk.append(str(path))
        project.disk_changed(changed_on_disk, any(p.endswith(".gitignore") for p in on_disk))
        published = project.check(overlays, list(overlays))
        with in_folder(str(folder)):
            mine = project.session.all_findings()
            errors = [(e.path, e.reason) for e in project.session.errors()]
        kinds.append((label, dict(project.session.stats)))
        counts[label] = sum(d.code == "FF101" and d.path == "app/main.py" for d in mine)
        texts = {**{relative(path): text for path, text in overlays.items()}}
        expected, expected_errors = fresh_check(folder, tmp_path / f"copy{number}", texts)
        assert mine == expected, label
        assert errors == expected_errors, label
        for path, found in published.items():
            assert found == [d for d in expected if d.path == relative(path)], label
    # the edits changed findings in another file than the edited one
    assert counts["a helper now blocks"] == counts["open"] + 1
    assert counts["a file deleted on disk"] < counts["a buffer never saved"]
    stats = dict(kinds)
    # a body edit: the index kept, the edited file checked again (and the routes whose chain
    # goes through it, asked for by all_findings)
    assert "index" not in stats["lines moved in a helper"]
    assert stats["a new function"].get("index") == 1  # built again, same files analysed
    assert stats["a call into a module nothing called"].get("index") == 2  # analysed again


WATCHING = types.ClientCapabilities(
    workspace=types.WorkspaceClientCapabilities(
        did_change_watched_files=types.DidChangeWatchedFilesClientCapabilities(
            dynamic_registration=True
        )
    )
)


def test_buffers_not_on_disk_and_files_changed_on_disk(tmp_path: Path) -> None:
    folder = make_project(tmp_path / "demo")

    async def body(session: Session) -> None:
        client = session.client
        main = session.open("app/main.py")
        found = await session.diagnostics(main, lambda found: len(found) == 1)
        # the watcher is registered, since the client can take it dynamically
        (registration,) = [
            r for r in client.registrations if r.method == "workspace/didChangeWatchedFiles"
        ]
        patterns = [w["globPattern"] for w in registration.register_options["watchers"]]
        assert "**/*.py" in patterns and "**/.gitignore" in patterns

        # a file of the workspace never saved: checked from its text, as part of the project
        new = session.open("app/new_routes.py", MAIN.replace("/items", "/new"))
        found = await session.diagnostics(new, lambda found: bool(found))
        assert [(d.code, d.range.start.line) for d in found] == [("FF101", 9)]
        assert not (session.folder / "app" / "new_routes.py").exists()
        # an untitled buffer: checked alone, from its text
        untitled = "untitled:Untitled-1"
        session.open(
            "",
            "import time\nfrom fastapi import FastAPI\n\napp = FastAPI()\n\n\n"
            '@app.get("/")\nasync def home():\n    time.sleep(1)\n',
            uri=untitled,
        )
        found = await session.diagnostics(untitled, lambda found: bool(found))
        assert [(d.code, d.range.start.line) for d in found] == [("FF101", 8)]

        def changed_on_disk(text: str | None, kind: types.FileChangeType) -> None:
            helpers = session.folder / "app" / "helpers.py"
            if text is None:
                helpers.unlink()
            else:
                helpers.write_text(text)
            client.workspace_did_change_watched_files(
                types.DidChangeWatchedFilesParams(
                    changes=[types.FileEvent(uri=session.uri("app/helpers.py"), type=kind)]
                )
            )

        # the helper (not open) changed on disk: `fine` now blocks, seen in the open route
        changed_on_disk(
            HELPERS.replace("    return 1", "    time.sleep(2)\n    return 1"),
            types.FileChangeType.Changed,
        )
        found = await session.diagnostics(main, lambda found: len(found) == 2)
        assert [(d.code, d.range.start.line) for d in found] == [("FF101", 9), ("FF101", 15)]
        # deleted (a `git checkout` of another branch): nothing blocks any more
        changed_on_disk(None, types.FileChangeType.Deleted)
        assert await session.diagnostics(main, lambda found: not found) == []
        # created again
        changed_on_disk(HELPERS, types.FileChangeType.Created)
        found = await session.diagnostics(main, lambda found: len(found) == 1)
        assert [(d.code, d.range.start.line) for d in found] == [("FF101", 9)]

    run(folder, body, WATCHING)


def lsp_key(d: types.Diagnostic) -> tuple:
    return (d.code, d.range.start.line, d.range.start.character, d.message)


def test_published_findings_equal_a_fresh_check_after_edits(tmp_path: Path) -> None:
    """The diagnostics the server publishes for the open files after each edit are the
    findings of a fresh `check` of the same texts."""
    folder = make_rich_project(tmp_path / "demo")
    edits = [
        {"app/helpers.py": "# moved\n" + HELPERS},
        {"app/helpers.py": HELPERS.replace("return 1", "time.sleep(2)")},
        {"app/main.py": ROUTES.replace("    slow()\n", "")},
        {"app/models.py": MODELS.replace("    price: float\n", "")},
        {"app/helpers.py": HELPERS, "app/main.py": "\n\n" + ROUTES},
    ]
    texts = {"app/main.py": ROUTES, "app/helpers.py": HELPERS, "app/models.py": MODELS}
    expected: list[dict[str, list[tuple]]] = []
    current = dict(texts)
    for number, edit in enumerate([{}, *edits]):
        current.update(edit)
        found, _ = fresh_check(folder, tmp_path / f"copy{number}", current)
        expected.append(
            {
                name: [
                    (d.code, d.span.line - 1, d.span.col, d.message)
                    for d in found
                    if d.path == name
                ]
                for name in texts
            }
        )
    assert expected[1] != expected[2] != expected[3]  # the edits change findings

    async def body(session: Session) -> None:
        uris = {name: session.open(name, text) for name, text in texts.items()}
        for number, edit in enumerate([{}, *edits]):
            for name, text in edit.items():
                session.change(uris[name], text)
            wanted = expected[number]

            def now() -> dict[str, list[tuple]]:
                return {
                    name: [lsp_key(d) for d in session.diagnostics_of(uri)]
                    for name, uri in uris.items()
                }

            def ready(wanted: dict[str, list[tuple]] = wanted) -> bool:
                return now() == wanted

            try:
                await session.until(PUBLISH, ready)
            except asyncio.TimeoutError:
                assert now() == wanted, f"after edit {number}"

    run(folder, body)


NEOVIM_CHECK = """\
local out = {}
vim.wait(60000, function() return #vim.diagnostic.get(0) > 0 end, 100)
for _, d in ipairs(vim.diagnostic.get(0)) do
  table.insert(out, string.format('diagnostic %s %d:%d', d.source, d.lnum, d.col))
end
local function request(method, params)
  local found = {}
  for _, response in pairs(vim.lsp.buf_request_sync(0, method, params, 30000) or {}) do
    table.insert(found, response.result)
  end
  return found
end
local here = { line = 9, character = 5 }
for _, result in ipairs(request('textDocument/hover', {
  textDocument = vim.lsp.util.make_text_document_params(),
  position = here,
})) do
  table.insert(out, 'hover ' .. vim.split(result.contents.value, '\\n')[1])
end
local actions = request('textDocument/codeAction', {
  textDocument = vim.lsp.util.make_text_document_params(),
  range = { start = here, ['end'] = here },
  context = { diagnostics = {} },
})
for _, result in ipairs(actions) do
  for _, action in ipairs(result) do
    table.insert(out, 'action ' .. (action.kind or '') .. ' ' .. action.title)
    if action.kind == 'source.fixAll.fastapi-fix' then
      vim.lsp.util.apply_workspace_edit(action.edit, 'utf-16')
    end
  end
end
table.insert(out, '--- fixed')
vim.list_extend(out, vim.api.nvim_buf_get_lines(0, 0, -1, false))
vim.fn.writefile(out, vim.env.NVIM_OUT)
vim.cmd('qa!')
"""


@pytest.mark.skipif(
    shutil.which("nvim") is None and not os.environ.get("CI"),
    reason="no Neovim to drive (.ci/run installs it; with CI set the test runs, and fails)",
)
def test_neovim_drives_the_server(tmp_path: Path) -> None:
    """docs/editors.md's configuration for Neovim 0.7 to 0.10 (Debian 12 has 0.7), run
    headless: diagnostics, code actions, hover, and the fix-all edit applied by Neovim."""
    import re

    folder = make_project(tmp_path / "demo")
    expected_fix = fixed_by_cli(folder, tmp_path, "app/main.py")
    blocks = re.findall(r"```lua\n(.*?)```", (ROOT / "docs" / "editors.md").read_text(), re.S)
    (config,) = [block for block in blocks if "start_client" in block]
    command = ", ".join(f"'{part}'" for part in (sys.executable, "-m", "fastapi_fixer", "server"))
    config = config.replace("{ 'fastapi-fix', 'server' }", "{ " + command + " }")
    (tmp_path / "init.lua").write_text(config)
    (tmp_path / "check.lua").write_text(NEOVIM_CHECK)
    out = tmp_path / "out.txt"
    subprocess.run(
        [
            "nvim",
            "--headless",
            "-u",
            str(tmp_path / "init.lua"),
            "-c",
            f"luafile {tmp_path / 'check.lua'}",
            "app/main.py",
        ],
        cwd=folder,
        env={**env(), "NVIM_OUT": str(out)},
        capture_output=True,
        timeout=180,
        check=False,
    )
    report, _, fixed = out.read_text().partition("--- fixed\n")
    lines = report.splitlines()
    assert "diagnostic fastapi-fix 9:4" in lines
    assert any(line.startswith("action quickfix FF101: Make `items`") for line in lines)
    assert "action quickfix FF101: Add `# noqa: FF101`" in lines
    assert "action source.fixAll.fastapi-fix Fix all safe FastAPI issues in this file" in lines
    assert "hover ### blocking-call-in-async (FF101)" in lines
    assert fixed == expected_fix
