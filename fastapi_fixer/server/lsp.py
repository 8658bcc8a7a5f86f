"""`fastapi-fix server`: a Language Server Protocol server over stdio, on pygls.

Open, change and save of a Python file give its project (kept in memory, `engine/session.py`)
the editor's unsaved buffers, and publish the findings of every open file of the project that
changed (an edit in one file can change another's: a helper that now blocks shows FF101 in the
route calling it), the edited files first. Runs are coalesced: notifications that arrive
together cause one run. Files changed on disk are reported by the editor
(`workspace/didChangeWatchedFiles`, registered at `initialized` when it can be); a buffer with
no file is checked alone.
Code actions are computed by the CLI's fix engine (`Project.quick_fix`, `Project.fix_all`) and
returned as workspace edits the editor applies; the server itself writes no file.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Iterable

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.uris import from_fs_path, to_fs_path
from pygls.workspace import PositionCodec

from fastapi_fixer import __version__
from fastapi_fixer.models import Diagnostic, FixSafety, Hop, Severity, Span
from fastapi_fixer.server.project import ConfigError, Project, Projects, QuickFix, _inside

SOURCE = "fastapi-fix"
FIX_ALL_KIND = "source.fixAll.fastapi-fix"
DEBOUNCE = 0.02  # seconds: notifications within this time cause one run
IDLE = 0.3  # seconds without a notification after a run before `prepare`
UNTITLED = "untitled.py"  # the name a buffer with no file is checked under
# what a run reads from disk besides the open buffers (`workspace/didChangeWatchedFiles`)
WATCHED = (
    *("**/*.py", "**/*.pyi", "**/.gitignore", "**/alembic.ini", "**/.env", "**/.env.*"),
    *("**/pyproject.toml", "**/fastapi-fix.toml"),  # read again at the run that follows
)
_SEVERITY = {
    Severity.ERROR: types.DiagnosticSeverity.Error,
    Severity.WARNING: types.DiagnosticSeverity.Warning,
    Severity.INFO: types.DiagnosticSeverity.Information,
}
log = logging.getLogger(__name__)


class FastAPIFixServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__("fastapi-fix", __version__)
        self.projects = Projects()
        self.pending: asyncio.TimerHandle | None = None
        self.idle: asyncio.TimerHandle | None = None  # `prepare`, after a run
        self.shown_errors: set[str] = set()  # shown, and still true at the last run
        self.errors_now: set[str] = set()  # met during this run
        # uri -> (project, findings published for it)
        self.published: dict[str, tuple[Project | None, list[Diagnostic]]] = {}
        self.last_texts: dict[str, str] = {}
        # untitled buffer's uri -> ((its project, its text), its findings)
        self.untitled: dict[str, tuple[tuple[int, str] | None, list[Diagnostic]]] = {}
        # what code actions computed since the last run (editors ask at every cursor move):
        # (uri, finding) -> its quick fix, uri -> the fixed texts of "fix all"
        self.quick_fixes: dict[tuple[str, int], QuickFix | None] = {}
        self.fixed_files: dict[str, dict[str, str]] = {}

    # --- documents and runs ------------------------------------------------------------

    def workspace_folders(self) -> list[str]:
        folders = [to_fs_path(f.uri) for f in self.workspace.folders.values()]
        root = self.workspace.root_path
        return [f for f in (*folders, root) if f]

    def python_documents(self) -> dict[str, str]:
        """uri -> unsaved text of the open Python files."""
        return {
            uri: doc.source
            for uri, doc in self.workspace.text_documents.items()
            if uri.startswith("file:") and uri.endswith((".py", ".pyi"))
        }

    def untitled_documents(self) -> dict[str, str]:
        """uri -> text of the open Python buffers that have no file (`untitled:Untitled-1`)."""
        return {
            uri: doc.source
            for uri, doc in self.workspace.text_documents.items()
            if not uri.startswith("file:") and doc.language_id == "python"
        }

    def schedule(self) -> None:
        if self.pending is not None:
            self.pending.cancel()
        if self.idle is not None:
            self.idle.cancel()
            self.idle = None
        self.pending = asyncio.get_running_loop().call_later(DEBOUNCE, self.refresh)

    def prepare(self) -> None:
        """Idle: each project computes what the next edit of its open files will ask for."""
        self.idle = None
        for project in list(self.projects.by_key.values()):
            try:
                project.prepare()
            except Exception:  # only a head start: the next run computes it anyway
                log.exception("prepare failed")

    def ensure_fresh(self) -> None:
        """Run now if a run is waiting (a request must see the current buffers)."""
        if self.pending is not None:
            self.pending.cancel()
            self.refresh()

    def refresh(self) -> None:
        """Check the projects of the open files and publish what changed."""
        self.pending = None
        self.quick_fixes.clear()
        self.fixed_files.clear()
        documents = self.python_documents()
        by_project: dict[int, tuple[Project, list[str]]] = {}
        folders = self.workspace_folders()
        for uri in documents:
            path = to_fs_path(uri)
            try:
                project = self.projects.for_file(path, folders)
            except ConfigError as exc:
                self.config_error(str(exc))
                self.publish(uri, None, [])
                continue
            by_project.setdefault(id(project), (project, []))[1].append(uri)
        overlays = {to_fs_path(uri): text for uri, text in documents.items()}
        for project, uris in by_project.values():
            # the files edited since their last diagnostics first: the one being typed in is
            # not kept waiting for the other open files an edit may change
            edited = [uri for uri in uris if self.last_texts.get(uri) != documents[uri]]
            for group in (edited, [uri for uri in uris if uri not in edited]):
                if not group:
                    continue
                try:
                    project.check(overlays, [to_fs_path(uri) for uri in group])
                except Exception as exc:  # never lose the server to one bad run
                    log.exception("check failed")
                    self.error_once(f"fastapi-fix: check failed: {type(exc).__name__}: {exc}")
                    break
                for uri in group:
                    self.publish(uri, project, project.findings.get(to_fs_path(uri), []))
        for uri, text in self.untitled_documents().items():
            documents[uri] = text
            self.check_untitled(uri, text, folders)
        for uri in list(self.published):
            if uri not in documents:
                del self.published[uri]
        # an error that is gone is shown again if it comes back
        self.shown_errors &= self.errors_now
        self.errors_now = set()
        with contextlib.suppress(RuntimeError):  # no loop: called outside the server
            self.idle = asyncio.get_running_loop().call_later(IDLE, self.prepare)

    def check_untitled(self, uri: str, text: str, folders: list[str]) -> None:
        """A buffer with no file is checked alone, from its text, with the configuration of
        the first workspace folder (as `fastapi-fix check --stdin-filename untitled.py -`
        there); its findings have no quick fix (there is no file to fix in the project)."""
        folder = folders[0] if folders else os.getcwd()
        try:
            project = self.projects.for_file(os.path.join(folder, UNTITLED), folders)
        except ConfigError as exc:
            self.config_error(str(exc))
            self.publish(uri, None, [])
            return
        key = (id(project), text)
        if self.untitled.get(uri, (None, []))[0] != key:  # an edit elsewhere changes nothing
            try:
                self.untitled[uri] = (key, project.check_alone(text))
            except Exception as exc:  # never lose the server to one bad run
                log.exception("check failed")
                self.error_once(f"fastapi-fix: check failed: {type(exc).__name__}: {exc}")
                return
        self.publish(uri, None, self.untitled[uri][1])

    def watch_files(self) -> None:
        """Ask the client to report files created, changed or deleted on disk (`git checkout`),
        when it can register the watcher dynamically."""
        capabilities = self.client_capabilities.workspace
        watched = capabilities.did_change_watched_files if capabilities else None
        if watched is None or not watched.dynamic_registration:
            return
        self.client_register_capability(
            types.RegistrationParams(
                registrations=[
                    types.Registration(
                        id="fastapi-fix-watched-files",
                        method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
                        register_options=types.DidChangeWatchedFilesRegistrationOptions(
                            watchers=[
                                types.FileSystemWatcher(glob_pattern=pattern) for pattern in WATCHED
                            ]
                        ),
                    )
                ]
            )
        )

    def files_changed(self, changes: Iterable[types.FileEvent]) -> None:
        """Files changed on disk outside the editor: each project that holds them reads them
        again (a `.gitignore` makes it find its files again); a configuration file is read at
        the next run, which replaces the project when its settings changed."""
        paths = [os.path.abspath(to_fs_path(change.uri) or "") for change in changes]
        for project in list(self.projects.by_key.values()):
            inside = [p for p in paths if _inside(p, project.folder)]
            if inside:
                rediscover = any(os.path.basename(p) == ".gitignore" for p in inside)
                try:
                    project.disk_changed(inside, rediscover)
                except Exception as exc:  # never lose the server to one bad run
                    log.exception("update failed")
                    self.error_once(f"fastapi-fix: update failed: {type(exc).__name__}: {exc}")
        self.schedule()

    def config_error(self, message: str) -> None:
        self.error_once(f"fastapi-fix: invalid configuration: {message}")

    def error_once(self, message: str) -> None:
        self.errors_now.add(message)
        if message in self.shown_errors:
            return
        self.shown_errors.add(message)
        self.window_show_message(
            types.ShowMessageParams(type=types.MessageType.Error, message=message)
        )

    def publish(self, uri: str, project: Project | None, found: list[Diagnostic]) -> None:
        text = self.workspace.get_text_document(uri).source
        before = self.published.get(uri)
        self.published[uri] = (project, found)
        if before is not None and before[1] == found and self.last_texts.get(uri) == text:
            return  # nothing new to say (an edit in another file that changed nothing here)
        self.last_texts[uri] = text
        document = self.workspace.get_text_document(uri)
        self.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(
                uri=uri,
                version=document.version,
                diagnostics=[self.to_lsp(d, project, text) for d in found],
            )
        )

    # --- conversions ---------------------------------------------------------------------

    def codec(self) -> PositionCodec:
        return self.workspace.position_codec

    def to_range(self, span: Span, text: str) -> types.Range:
        lines = text.splitlines(keepends=True)
        end_line = span.end_line if span.end_line > 0 else span.line
        end_col = span.end_col if span.end_col >= 0 else span.col
        return self.codec().range_to_client_units(
            lines,
            types.Range(
                start=types.Position(line=span.line - 1, character=span.col),
                end=types.Position(line=end_line - 1, character=end_col),
            ),
        )

    def hop_location(self, hop: Hop, project: Project) -> types.Location:
        path = project.absolute(hop.path)
        text = project.text_of(path) or ""
        span = Span(hop.row, hop.column, hop.row, hop.column)
        return types.Location(uri=from_fs_path(path) or path, range=self.to_range(span, text))

    def to_lsp(self, d: Diagnostic, project: Project | None, text: str) -> types.Diagnostic:
        from fastapi_fixer.reporting.ruledocs import rule_url

        related = []
        if project is not None:
            for number, hop in enumerate(d.chain):
                what = "async entry point" if number == 0 else "calls"
                related.append(
                    types.DiagnosticRelatedInformation(
                        location=self.hop_location(hop, project), message=f"{what} `{hop.name}`"
                    )
                )
            for hop in d.more_sinks:
                related.append(
                    types.DiagnosticRelatedInformation(
                        location=self.hop_location(hop, project),
                        message=f"also blocks: `{hop.name}`",
                    )
                )
        return types.Diagnostic(
            range=self.to_range(d.span, text),
            message=d.message,
            severity=_SEVERITY.get(d.severity, types.DiagnosticSeverity.Warning),
            code=d.code,
            code_description=types.CodeDescription(href=rule_url(d.code)),
            source=SOURCE,
            related_information=related or None,
        )

    def findings_at(self, uri: str, wanted: types.Range) -> Iterable[tuple[Project, Diagnostic]]:
        project, found = self.published.get(uri, (None, []))
        if project is None:
            return
        text = self.workspace.get_text_document(uri).source
        for d in found:
            where = self.to_range(d.span, text)
            if _overlaps(where, wanted):
                yield project, d

    def text_edits(self, uri_text: str, new: str) -> list[types.TextEdit]:
        """The smallest run of whole lines that turns one text into the other."""
        old_lines = uri_text.splitlines(keepends=True)
        new_lines = new.splitlines(keepends=True)
        start = 0
        while (
            start < len(old_lines)
            and start < len(new_lines)
            and old_lines[start] == new_lines[start]
        ):
            start += 1
        end_old, end_new = len(old_lines), len(new_lines)
        while (
            end_old > start and end_new > start and old_lines[end_old - 1] == new_lines[end_new - 1]
        ):
            end_old -= 1
            end_new -= 1
        if end_old == len(old_lines) and old_lines and not old_lines[-1].endswith(("\n", "\r")):
            end = types.Position(line=end_old - 1, character=len(old_lines[-1]))
            end = self.codec().position_to_client_units(old_lines, end)
        else:
            end = types.Position(line=end_old, character=0)
        return [
            types.TextEdit(
                range=types.Range(start=types.Position(line=start, character=0), end=end),
                new_text="".join(new_lines[start:end_new]),
            )
        ]

    def workspace_edit(self, project: Project, texts: dict[str, str]) -> types.WorkspaceEdit:
        changes: list[types.TextDocumentEdit] = []
        for path, new in sorted(texts.items()):
            uri = from_fs_path(path) or path
            document = self.workspace.text_documents.get(uri)
            old = document.source if document is not None else project.text_of(path) or ""
            version = document.version if document is not None else None
            changes.append(
                types.TextDocumentEdit(
                    text_document=types.OptionalVersionedTextDocumentIdentifier(
                        uri=uri, version=version
                    ),
                    edits=self.text_edits(old, new),  # type: ignore[arg-type]
                )
            )
        return types.WorkspaceEdit(document_changes=changes)  # type: ignore[arg-type]


def _overlaps(a: types.Range, b: types.Range) -> bool:
    def key(p: types.Position) -> tuple[int, int]:
        return (p.line, p.character)

    return key(a.start) <= key(b.end) and key(b.start) <= key(a.end)


server = FastAPIFixServer()


@server.feature(types.INITIALIZED)
def initialized(ls: FastAPIFixServer, params: types.InitializedParams) -> None:
    ls.watch_files()
    from fastapi_fixer.registry import all_rules

    all_rules()  # the rules imported now, not when the first file is opened


@server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
def did_change_watched_files(
    ls: FastAPIFixServer, params: types.DidChangeWatchedFilesParams
) -> None:
    ls.files_changed(params.changes)


@server.feature(types.TEXT_DOCUMENT_DID_OPEN)
def did_open(ls: FastAPIFixServer, params: types.DidOpenTextDocumentParams) -> None:
    ls.schedule()


@server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
def did_change(ls: FastAPIFixServer, params: types.DidChangeTextDocumentParams) -> None:
    ls.schedule()


@server.feature(types.TEXT_DOCUMENT_DID_SAVE)
def did_save(ls: FastAPIFixServer, params: types.DidSaveTextDocumentParams) -> None:
    ls.schedule()


@server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
def did_close(ls: FastAPIFixServer, params: types.DidCloseTextDocumentParams) -> None:
    uri = params.text_document.uri
    ls.published.pop(uri, None)
    ls.last_texts.pop(uri, None)
    ls.untitled.pop(uri, None)
    ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=[]))
    ls.schedule()  # the file is read from disk again: its other files may change


@server.feature(
    types.TEXT_DOCUMENT_CODE_ACTION,
    types.CodeActionOptions(
        code_action_kinds=[types.CodeActionKind.QuickFix, FIX_ALL_KIND],
        resolve_provider=False,
    ),
)
def code_action(
    ls: FastAPIFixServer, params: types.CodeActionParams
) -> list[types.CodeAction] | None:
    ls.ensure_fresh()
    uri = params.text_document.uri
    only = params.context.only
    wants_quick = only is None or any("quickfix".startswith(kind) for kind in only)
    wants_all = only is None or any(FIX_ALL_KIND.startswith(kind) for kind in only)
    actions: list[types.CodeAction] = []
    project, found = ls.published.get(uri, (None, []))
    if project is None:
        return None
    lsp_of = {
        id(d): ls.to_lsp(d, project, ls.workspace.get_text_document(uri).source) for d in found
    }
    if wants_quick:
        for _, d in ls.findings_at(uri, params.range):
            key = (uri, id(d))  # the findings live until the next run, which clears this
            if key not in ls.quick_fixes:
                ls.quick_fixes[key] = project.quick_fix(d)
            fix = ls.quick_fixes[key]
            if fix is not None:
                unsafe = fix.safety is FixSafety.UNSAFE
                actions.append(
                    types.CodeAction(
                        title=f"{d.code}: {fix.title}" + (" (unsafe fix)" if unsafe else ""),
                        kind=types.CodeActionKind.QuickFix,
                        diagnostics=[lsp_of[id(d)]],
                        is_preferred=not unsafe,
                        edit=ls.workspace_edit(project, fix.texts),
                    )
                )
        for _, d in ls.findings_at(uri, params.range):
            from fastapi_fixer.fixing.noqa_writer import add_noqa

            path = to_fs_path(uri)
            text = ls.workspace.get_text_document(uri).source
            new, added = add_noqa(text, [d])
            if added:
                actions.append(
                    types.CodeAction(
                        title=f"{d.code}: Add `# noqa: {d.code}`",
                        kind=types.CodeActionKind.QuickFix,
                        diagnostics=[lsp_of[id(d)]],
                        edit=ls.workspace_edit(project, {path: new}),
                    )
                )
    if wants_all and any(d.fix is not None and d.fix.safety is FixSafety.SAFE for d in found):
        path = to_fs_path(uri)
        overlays = {to_fs_path(u): text for u, text in ls.python_documents().items()}
        if uri not in ls.fixed_files:
            ls.fixed_files[uri] = project.fix_all(path, overlays)
        texts = ls.fixed_files[uri]
        if texts:
            actions.append(
                types.CodeAction(
                    title="Fix all safe FastAPI issues in this file",
                    kind=FIX_ALL_KIND,
                    edit=ls.workspace_edit(project, texts),
                )
            )
    return actions


@server.feature(types.TEXT_DOCUMENT_HOVER)
def hover(ls: FastAPIFixServer, params: types.HoverParams) -> types.Hover | None:
    ls.ensure_fresh()
    from fastapi_fixer.registry import all_rules

    here = types.Range(start=params.position, end=params.position)
    parts = []
    for _, d in ls.findings_at(params.text_document.uri, here):
        rule = all_rules().get(d.code)
        if rule is None:
            continue
        from fastapi_fixer.reporting.ruledocs import rule_url

        parts.append(
            f"### {rule.NAME} ({d.code})\n\n{rule.docs()}\n\n[Documentation]({rule_url(d.code)})"
        )
    if not parts:
        return None
    return types.Hover(
        contents=types.MarkupContent(
            kind=types.MarkupKind.Markdown, value="\n\n---\n\n".join(parts)
        )
    )


def serve() -> None:
    """Serve over stdin and stdout until the client exits.

    The protocol's streams are taken, and `sys.stdin`/`sys.stdout` replaced: a worker process the
    engine forks closes `sys.stdin` when it starts (multiprocessing does), which would wait
    forever for the lock the server's reader thread holds on the real one; and a stray `print`
    must not corrupt the protocol."""
    import sys

    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    sys.stdin = open(os.devnull)  # noqa: SIM115 - lives as long as the process
    sys.stdout = sys.stderr
    with contextlib.suppress(KeyboardInterrupt):
        server.start_io(stdin, stdout)


if os.environ.get("FASTAPI_FIX_SERVER_LOG"):  # pragma: no cover - debugging aid
    logging.basicConfig(filename=os.environ["FASTAPI_FIX_SERVER_LOG"], level=logging.DEBUG)
