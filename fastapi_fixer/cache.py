"""A content-hash cache on disk, so an unchanged file is neither parsed nor checked again.

One pickle per configuration under the cache folder (default `.fastapi-fix-cache/` next to the
configuration file, or in the current folder); safe to delete at any time. Keyed on the tool's
version, the Python version and every setting that changes results; an entry is used only when
the file's content hash matches, and its findings only when the project facts they depend on
(`ProjectIndex.dependency_digest`) match too.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from fastapi_fixer import __version__

if TYPE_CHECKING:
    from fastapi_fixer.facts import ModuleFacts
    from fastapi_fixer.models import Diagnostic
    from fastapi_fixer.settings import Settings

CACHE_DIR_NAME = ".fastapi-fix-cache"
_FORMAT = 2


@dataclass
class Entry:
    digest: str  # sha256 of the file's bytes
    module: str
    facts: ModuleFacts | None = None
    checked_with: str | None = None  # the dependency digest the findings were computed with
    compiles: bool = False  # known to parse (files the prefilter does not analyse)
    diagnostics: list[Diagnostic] | None = None


@dataclass
class Cache:
    path: Path | None  # None: kept in memory for this run only (the fix loop still reuses it)
    entries: dict[str, Entry] = field(default_factory=dict)
    dirty: bool = False

    @classmethod
    def disabled(cls) -> Cache:
        return cls(path=None)

    @classmethod
    def open(cls, directory: Path, settings: Settings) -> Cache:
        key = hashlib.sha256(
            repr((_FORMAT, __version__, sys.version_info[:2], settings.cache_key())).encode()
        ).hexdigest()[:16]
        path = directory / f"{key}.pickle"
        try:
            with open(path, "rb") as handle:
                entries = pickle.load(handle)
            if not isinstance(entries, dict):
                entries = {}
        except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ImportError):
            entries = {}
        except Exception:  # a damaged cache is never worse than no cache
            entries = {}
        return cls(path=path, entries=entries)

    def facts(self, path: str, digest: str, module: str) -> ModuleFacts | None:
        entry = self.entries.get(os.path.abspath(path))
        if entry is None or entry.digest != digest or entry.module != module:
            return None
        return entry.facts

    def store_facts(self, path: str, digest: str, module: str, facts: ModuleFacts) -> None:
        path = os.path.abspath(path)
        entry = self.entries.get(path)
        if entry is None or entry.digest != digest or entry.module != module:
            self.entries[path] = Entry(digest, module, facts)
        else:
            entry.facts = facts
        self.dirty = True

    def compiles(self, path: str, digest: str) -> bool:
        entry = self.entries.get(os.path.abspath(path))
        if entry is None or entry.digest != digest:
            return False
        return entry.compiles or entry.facts is not None

    def store_compiles(self, path: str, digest: str, module: str) -> None:
        path = os.path.abspath(path)
        entry = self.entries.get(path)
        if entry is None or entry.digest != digest:
            entry = self.entries[path] = Entry(digest, module)
        entry.compiles = True
        self.dirty = True

    def diagnostics(self, path: str, digest: str, depends_on: str) -> list[Diagnostic] | None:
        entry = self.entries.get(os.path.abspath(path))
        if entry is None or entry.digest != digest or entry.checked_with != depends_on:
            return None
        return entry.diagnostics

    def store_diagnostics(
        self, path: str, digest: str, depends_on: str, diagnostics: list[Diagnostic]
    ) -> None:
        entry = self.entries.get(os.path.abspath(path))
        if entry is None or entry.digest != digest:
            return
        entry.checked_with = depends_on
        entry.diagnostics = diagnostics
        self.dirty = True

    def save(self) -> None:
        if self.path is None or not self.dirty:
            return
        with contextlib.suppress(OSError):
            self.path.parent.mkdir(parents=True, exist_ok=True)
            gitignore = self.path.parent / ".gitignore"
            if not gitignore.exists():
                gitignore.write_text("# created by fastapi-fix\n*\n")
            fd, tmp = tempfile.mkstemp(dir=self.path.parent, suffix=".tmp")
            try:
                with os.fdopen(fd, "wb") as handle:
                    pickle.dump(self.entries, handle, protocol=pickle.HIGHEST_PROTOCOL)
                os.replace(tmp, self.path)
            except OSError:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)


def default_cache_dir(settings: Settings) -> Path:
    configured = os.environ.get("FASTAPI_FIX_CACHE_DIR")
    if configured:
        return Path(configured)
    if settings.config_path:
        return Path(settings.config_path).resolve().parent / CACHE_DIR_NAME
    return Path.cwd() / CACHE_DIR_NAME
