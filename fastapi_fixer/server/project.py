"""What the language server asks of the engine, without the protocol: one `Project` per folder a
run happens in, holding its settings, an in-memory cache that lives as long as the server, and
the project kept in memory (`engine.session.Session`), which each run gives what changed since
the last one: the editor's unsaved buffers (overlays), files changed on disk.

A project's folder is the one the CLI would be run in for the file: the folder of the
configuration that applies to it (`settings.load_settings` from the file's folder, as
`fastapi-fix check FILE` finds it) when that is inside the editor's workspace folder, else the
workspace folder, else the file's own folder. Runs happen with that folder as the current one
and on `.`, so paths, excludes and per-file ignores read exactly as `fastapi-fix check .` run
there reads them, and so the CLI's cache on disk (`.fastapi-fix-cache/`), which the server
reads once but never writes, applies.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import threading
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from fastapi_fixer.analysis.index import ProjectIndex
from fastapi_fixer.engine import Engine, Mode, _edit_key, fix_one_file
from fastapi_fixer.engine.cache import Cache, default_cache_dir
from fastapi_fixer.engine.session import Session
from fastapi_fixer.models import Diagnostic, FixSafety, fix_allowed
from fastapi_fixer.settings import ConfigError, Settings, load_settings

_CWD_LOCK = threading.Lock()  # runs change the current folder: one at a time


@contextlib.contextmanager
def in_folder(folder: str) -> Iterator[None]:
    with _CWD_LOCK:
        before = os.getcwd()
        os.chdir(folder)
        try:
            yield
        finally:
            os.chdir(before)


def settings_for(path: str) -> Settings:
    """The configuration `fastapi-fix check PATH` would use (ConfigError when it is invalid,
    unknown rule selectors included)."""
    settings = load_settings(None, Path(os.path.dirname(path) or "."))
    settings.check_selectors()
    return settings


def folder_for(path: str, settings: Settings, workspace_folders: list[str]) -> str:
    """The folder a run for ``path`` happens in (see the module's docstring)."""
    path = os.path.abspath(path)
    workspace = max((f for f in workspace_folders if _inside(path, f)), key=len, default=None)
    base = settings.base
    if base is not None and _inside(path, base) and (workspace is None or _inside(base, workspace)):
        return base
    if workspace is not None:
        return workspace
    return os.path.dirname(path)


def _inside(path: str, folder: str) -> bool:
    folder = os.path.abspath(folder)
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


@dataclass
class QuickFix:
    title: str
    safety: FixSafety
    texts: dict[str, str]  # absolute path -> its whole fixed text


@dataclass
class Project:
    folder: str
    settings: Settings
    cache: Cache
    session: Session | None = None
    # absolute path -> the editor's text given at the last run (the rest is read from disk)
    overlays: dict[str, str] = field(default_factory=dict)
    # absolute path -> the findings of the last run in that file (the files asked for)
    findings: dict[str, list[Diagnostic]] = field(default_factory=dict)

    @classmethod
    def open(cls, folder: str, settings: Settings) -> Project:
        """With the CLI's cache on disk read once (a warm start), never written back."""
        cache = Cache.disabled()
        with in_folder(folder), contextlib.suppress(Exception):
            cache = Cache.open(default_cache_dir(settings), settings)
        cache.path = None  # kept in memory: the server writes no file
        cache.lasting = True
        return cls(folder, settings, cache)

    @property
    def index(self) -> ProjectIndex | None:
        return self.session.index if self.session is not None else None

    def absolute(self, path: str) -> str:
        return os.path.normpath(os.path.join(self.folder, path))

    def check(
        self, overlays: Mapping[str, str], wanted: Iterable[str]
    ) -> dict[str, list[Diagnostic]]:
        """The findings of the files ``wanted`` (absolute paths) with the overlays (absolute
        path -> text) instead of the files on disk. The first run checks the project; later
        ones give the session what changed since (`engine.session`)."""
        with in_folder(self.folder):
            if self.session is None:
                self.session = Session(self.settings, self.cache)
                self.session.start(overlays)
            else:
                changes: dict[str, str | None] = {
                    path: text for path, text in overlays.items() if self.overlays.get(path) != text
                }
                changes.update({path: None for path in self.overlays if path not in overlays})
                if changes:
                    self.session.update(changes)
            self.overlays = dict(overlays)
            paths = {path: self.session.path_of(path) for path in wanted}
            found = self.session.findings([p for p in paths.values() if p is not None])
        self.findings = {path: found.get(name, []) if name else [] for path, name in paths.items()}
        return self.findings

    def check_alone(self, text: str) -> list[Diagnostic]:
        """A buffer with no file, checked alone under the name `untitled.py` (as
        `--stdin-filename`): the project is not read."""
        from fastapi_fixer.engine.source import text_source

        with in_folder(self.folder):
            engine = Engine(self.settings, Mode(jobs=1))
            result = engine.run([], stdin=text_source("untitled.py", text))
        return result.diagnostics

    def prepare(self) -> None:
        """`Session.prepare` for the files the last run was asked about."""
        if self.session is None:
            return
        with in_folder(self.folder):
            names = [self.session.path_of(path) for path in self.findings]
            self.session.prepare([name for name in names if name is not None])

    def disk_changed(self, paths: Iterable[str], rediscover: bool = False) -> None:
        """Files created, changed or deleted on disk (absolute paths), outside the editor: what
        the session holds of them is read again, unless the editor has them open (its buffer is
        what is checked). ``rediscover``: find the files again (a `.gitignore` changed)."""
        if self.session is None:
            return
        with in_folder(self.folder):
            changes: dict[str, str | None] = {
                path: None for path in paths if path not in self.overlays
            }
            if changes:
                self.session.update(changes)
            if rediscover:
                self.session.rediscover()

    def errors_of(self, path: str) -> list[str]:
        if self.session is None:
            return []
        name = self.session.path_of(path)
        return [e.reason for e in self.session.errors() if e.path == name]

    def text_of(self, path: str) -> str | None:
        if self.session is not None:
            name = self.session.path_of(path)
            if name is not None and name in self.session.files:
                return self.session.files[name].text
        try:
            return Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeError):
            return None

    def quick_fix(self, diagnostic: Diagnostic) -> QuickFix | None:
        """The finding's fix as `fastapi-fix fix` writes it (one pass of its rule's edits in
        each file it touches, laid out as the project's formatter would), or None when it has
        none this run may apply, or it fails."""
        fix = diagnostic.fix
        if fix is None or not fix_allowed(fix, self.settings.unsafe_fixes) or self.index is None:
            return None
        from fastapi_fixer.analysis.facts import module_name_for
        from fastapi_fixer.rule import FixContext

        by_path: dict[str, list] = {}
        for edit in fix.edits:
            by_path.setdefault(edit.path, []).append(edit)
        texts: dict[str, str] = {}
        with in_folder(self.folder):
            for path, edits in by_path.items():
                text = self.text_of(self.absolute(path))
                if text is None:
                    return None
                module, _ = module_name_for(path, ".")
                context = FixContext(path, module, self.index, self.settings)
                outcome = fix_one_file(
                    text, {diagnostic.code: sorted(set(edits), key=_edit_key)}, context
                )
                if outcome.failures or outcome.deferred:
                    return None
                if outcome.text != text:
                    texts[self.absolute(path)] = outcome.text
        if not texts:
            return None
        return QuickFix(fix.title, fix.safety, texts)

    def fix_all(self, path: str, overlays: Mapping[str, str]) -> dict[str, str]:
        """`fastapi-fix fix` of the safe fixes of the findings in ``path`` (every file is still
        checked; a fix may write another file too): absolute path -> fixed text, changed only."""
        settings = dataclasses.replace(self.settings, unsafe_fixes=False)
        cache = Cache.disabled()
        if settings == self.settings:
            # the project's entries, in a dict of its own: the fixed texts' entries the fix
            # loop stores must not replace the entries of the texts the editor has
            cache.entries = dict(self.cache.entries)
        with in_folder(self.folder):
            mode = Mode(fix=True, fix_only=frozenset({os.path.abspath(path)}))
            result = Engine(settings, mode, cache).run(["."], overlays=overlays)
        return {self.absolute(changed): result.fixed[changed] for changed in result.changed_paths}


class Projects:
    """The projects of a server, by folder and settings."""

    def __init__(self) -> None:
        self.by_key: dict[tuple[str, str, str | None], Project] = {}

    def for_file(self, path: str, workspace_folders: list[str]) -> Project:
        """Raises ConfigError for an invalid configuration."""
        settings = settings_for(path)
        folder = folder_for(path, settings, workspace_folders)
        key = (folder, settings.cache_key(), settings.config_path)
        project = self.by_key.get(key)
        if project is None:
            # a changed configuration replaces the folder's project (and its memory)
            for stale in [k for k in self.by_key if k[0] == folder]:
                del self.by_key[stale]
            project = self.by_key[key] = Project.open(folder, settings)
        return project


__all__ = ["ConfigError", "Project", "Projects", "QuickFix", "folder_for", "settings_for"]
