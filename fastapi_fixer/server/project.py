"""What the language server asks of the engine, without the protocol: one `Project` per folder a
run happens in, holding its settings, an in-memory cache that lives as long as the server, and
the last run's findings; runs take the editor's unsaved buffers as overlays.

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
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from fastapi_fixer.engine import Engine, Mode, _edit_key, fix_one_file
from fastapi_fixer.engine.cache import Cache, default_cache_dir
from fastapi_fixer.models import Diagnostic, FixSafety, RunResult, fix_allowed
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
    engine: Engine | None = None
    result: RunResult | None = None
    # absolute path -> the findings of the last run in that file
    findings: dict[str, list[Diagnostic]] = field(default_factory=dict)
    texts: dict[str, str] = field(default_factory=dict)  # absolute path -> text of the last run

    @classmethod
    def open(cls, folder: str, settings: Settings) -> Project:
        """With the CLI's cache on disk read once (a warm start), never written back."""
        cache = Cache.disabled()
        with in_folder(folder), contextlib.suppress(Exception):
            cache = Cache.open(default_cache_dir(settings), settings)
        cache.path = None  # kept in memory: the server writes no file
        cache.lasting = True
        return cls(folder, settings, cache)

    def absolute(self, path: str) -> str:
        return os.path.normpath(os.path.join(self.folder, path))

    def check(self, overlays: Mapping[str, str]) -> RunResult:
        """Every file of the project, the overlays (absolute path -> text) instead of the files
        on disk; the in-memory cache makes a run after an edit check only what the edit can
        change (what each file's findings read of the project is recorded)."""
        with in_folder(self.folder):
            engine = Engine(self.settings, Mode(), self.cache)
            result = engine.run(["."], overlays=overlays)
        self.engine, self.result = engine, result
        self.findings = {}
        for diagnostic in result.diagnostics:
            self.findings.setdefault(self.absolute(diagnostic.path), []).append(diagnostic)
        self.texts = {self.absolute(path): source.text for path, source in result.sources.items()}
        return result

    def errors_of(self, path: str) -> list[str]:
        if self.result is None:
            return []
        return [e.reason for e in self.result.errors if self.absolute(e.path) == path]

    def text_of(self, path: str) -> str | None:
        if path in self.texts:
            return self.texts[path]
        try:
            return Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeError):
            return None

    def quick_fix(self, diagnostic: Diagnostic) -> QuickFix | None:
        """The finding's fix as `fastapi-fix fix` writes it (one pass of its rule's edits in
        each file it touches, laid out as the project's formatter would), or None when it has
        none this run may apply, or it fails."""
        fix = diagnostic.fix
        if fix is None or not fix_allowed(fix, self.settings.unsafe_fixes) or self.engine is None:
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
                context = FixContext(path, module, self.engine.index, self.settings)
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
