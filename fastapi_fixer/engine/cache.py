"""A content-hash cache on disk, so an unchanged file is neither parsed nor checked again.

One folder of pickles per configuration under the cache folder (default `.fastapi-fix-cache/`
next to the configuration file, or in the current folder); safe to delete at any time. Keyed on
the tool's version, the Python version and every setting that changes results; an entry is used
only when the file's content hash matches, and its findings only when what their check read of
the project index (`ProjectIndex.start_reads`) gets the same answers now and the other files
they point into are unchanged.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import gc
import hashlib
import os
import pickle
import sys
import tempfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from fastapi_fixer import __version__

if TYPE_CHECKING:
    from fastapi_fixer.analysis.facts import ModuleFacts
    from fastapi_fixer.analysis.index import Read
    from fastapi_fixer.models import Diagnostic
    from fastapi_fixer.settings import Settings

CACHE_DIR_NAME = ".fastapi-fix-cache"
# 5: findings carry their call chain; 6: consumed listings, typed receivers; 7: loop handlers
# (socket.io, MCP), stored callables
_FORMAT = 11  # 8: the modules moved into analysis/, fixing/, engine/; 9: Annotated aliases;
# 10: findings list the other blocking calls behind their call (more_sinks); 11: routing
# records annotated constructions (`router: APIRouter = APIRouter(...)`)
_BUCKETS = 16


@dataclass(frozen=True)
class Checked:
    """What a file's findings depend on besides its own text (see `ProjectIndex.Read`)."""

    project: str  # the project digest when it was checked: unchanged, every answer is too
    reads: tuple[Read, ...]  # what the check asked the project index
    fingerprint: str  # the index's answers to ``reads`` then
    others: tuple[tuple[str, str], ...]  # (path, content hash) of other files findings point into


@dataclass
class Entry:
    digest: str  # sha256 of the file's bytes
    module: str
    facts: ModuleFacts | None = None
    checked: Checked | None = None  # what the findings were computed with
    compiles: bool = False  # known to parse (files the prefilter does not analyse)
    diagnostics: list[Diagnostic] | None = None


@functools.lru_cache(maxsize=1)
def code_digest() -> str:
    """A digest of this package's own source: facts and findings stored by other code (a new
    release, or a change of a checkout with the same version number) are never read."""
    root = Path(__file__).resolve().parent.parent
    digest = hashlib.sha256()
    for source in sorted(root.rglob("*.py")):
        digest.update(str(source.relative_to(root)).encode())
        digest.update(source.read_bytes())
    return digest.hexdigest()[:16]


@dataclass
class Cache:
    # a folder of `_BUCKETS` pickles, files spread over them by path: a run that changed a few
    # files rewrites a few buckets, not the whole cache. None: kept in memory for this run only
    # (the fix loop still reuses it)
    path: Path | None
    entries: dict[str, Entry] = field(default_factory=dict)
    dirty: set[int] = field(default_factory=set)  # buckets to write
    # kept in memory across runs (`fastapi-fix server`): checks record what they read, as for a
    # cache on disk, so a later run reuses the findings an edit cannot change
    lasting: bool = False
    # one object per distinct read, so the pickle holds each once (files share most reads)
    _interned: dict[Read, Read] | None = None

    @classmethod
    def disabled(cls) -> Cache:
        return cls(path=None)

    @classmethod
    def open(cls, directory: Path, settings: Settings) -> Cache:
        key = hashlib.sha256(
            repr(
                (_FORMAT, __version__, code_digest(), sys.version_info[:2], settings.cache_key())
            ).encode()
        ).hexdigest()[:16]
        path = directory / key
        entries: dict[str, Entry] = {}
        # unpickling creates a few hundred thousand objects and none of them is garbage: the
        # cycle collector, run every few hundred allocations, would triple the time it takes,
        # and scan them all again later (frozen: they live as long as the run)
        gc.disable()
        try:
            for bucket in range(_BUCKETS):
                entries.update(_load(path / f"{bucket:02x}.pickle"))
        finally:
            gc.freeze()
            gc.enable()
        return cls(path=path, entries=entries)

    def _touch(self, path: str) -> None:
        self.dirty.add(_bucket(path))

    def facts(self, path: str, digest: str, module: str) -> ModuleFacts | None:
        entry = self.entries.get(os.path.abspath(path))
        if entry is None or entry.digest != digest or entry.module != module:
            return None
        if entry.facts is not None and entry.facts.path != path:
            return None  # stored by a run that spelled the path otherwise (another folder)
        return entry.facts

    def store_facts(self, path: str, digest: str, module: str, facts: ModuleFacts) -> None:
        path = os.path.abspath(path)
        entry = self.entries.get(path)
        if entry is None or entry.digest != digest or entry.module != module:
            self.entries[path] = Entry(digest, module, facts)
        else:
            entry.facts = facts
        self._touch(path)

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
        self._touch(path)

    def diagnostics(self, path: str, digest: str) -> tuple[list[Diagnostic], Checked] | None:
        """The findings stored for this content, with what they depend on (the caller checks
        that it still holds)."""
        entry = self.entries.get(os.path.abspath(path))
        if entry is None or entry.digest != digest or entry.checked is None:
            return None
        if entry.diagnostics is None:
            return None
        # findings carry the path as the run that stored them spelled it (`app.py`, where this
        # run, from another folder, has `../app.py`): reused, they would print, match
        # per-file-ignores and be fixed under the wrong path
        if any(d.path != path for d in entry.diagnostics):
            return None
        return entry.diagnostics, entry.checked

    def store_diagnostics(
        self, path: str, digest: str, checked: Checked, diagnostics: list[Diagnostic]
    ) -> None:
        path = os.path.abspath(path)
        entry = self.entries.get(path)
        if entry is None or entry.digest != digest:
            return
        entry.checked = dataclasses.replace(checked, reads=self._intern(checked.reads))
        entry.diagnostics = diagnostics
        self._touch(path)

    def _intern(self, reads: tuple[Read, ...]) -> tuple[Read, ...]:
        if self._interned is None:
            self._interned = {}
            for other in self.entries.values():
                if other.checked is not None:
                    for read in other.checked.reads:
                        self._interned.setdefault(read, read)
        interned = self._interned
        return tuple([interned.setdefault(read, read) for read in reads])

    def save(self) -> None:
        if self.path is None or not self.dirty:
            return
        by_bucket: dict[int, dict[str, Entry]] = {bucket: {} for bucket in self.dirty}
        for path, entry in self.entries.items():
            bucket = _bucket(path)
            if bucket in by_bucket:
                by_bucket[bucket][path] = entry
        with contextlib.suppress(OSError):
            make_cache_dir(self.path.parent)
            self.path.mkdir(exist_ok=True)
            for bucket, entries in sorted(by_bucket.items()):
                dump_atomically(self.path / f"{bucket:02x}.pickle", entries)
        self.dirty.clear()


def _bucket(path: str) -> int:
    return zlib.crc32(path.encode("utf-8", "surrogatepass")) % _BUCKETS


def _load(path: Path) -> dict[str, Entry]:
    try:
        with open(path, "rb") as handle:
            entries = pickle.load(handle)
    except Exception:  # missing, or damaged: never worse than no cache
        return {}
    return entries if isinstance(entries, dict) else {}


def make_cache_dir(directory: Path) -> None:
    """The cache folder, with a .gitignore that ignores all of it."""
    directory.mkdir(parents=True, exist_ok=True)
    gitignore = directory / ".gitignore"
    if not gitignore.exists():
        gitignore.write_text("# created by fastapi-fix\n*\n")


def dump_atomically(path: Path, value: object) -> None:
    """Pickle ``value`` to ``path``; a run stopped half-way leaves the old file, never half a
    new one."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            pickle.dump(value, handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
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
