"""The verdict of the last `check`, so a run in which nothing changed is answered at once.

The per-file cache (cache.py) spares parsing and checking, but still loads every module's facts
and builds the project index to learn that nothing changed. A repeated `check` (pre-commit, an
editor, a CI re-run) needs none of that: a verdict is keyed on the tool version, Python, the
settings, the working folder and the paths asked for, and holds the content hash of every file
the run read, the project's context files included (files last modified well before the run
are not hashed again while their size, modification time and inode are unchanged, as git's
index does). When discovery finds exactly
those files with exactly those hashes, the stored result is the answer; anything else (a
changed, added or removed file, an unreadable one) falls through to the engine. Only this
module, discovery and the models are imported on that path: no rules, no `ast`, no LibCST.

Findings on non-Python files can depend on git (FF606 reports `.env` files git tracks), so when
the run read such files the verdict also holds the state of the git index of their repositories.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import sys
from dataclasses import dataclass, field
from pathlib import Path

from fastapi_fixer import __version__
from fastapi_fixer.engine.cache import dump_atomically, make_cache_dir
from fastapi_fixer.engine.discovery import discover_run
from fastapi_fixer.engine.source import file_digest
from fastapi_fixer.models import RunResult
from fastapi_fixer.settings import Settings

# 4: the modules moved into analysis/, fixing/, engine/ (pickled class paths); 5: the digests
# hold the project's context files too (discovery.add_context)
_FORMAT = 5
_KEEP = 16  # verdicts kept per cache folder (pre-commit asks about different files each time)
_PREFIX = "verdict-"


@dataclass
class Verdict:
    file_names: tuple[str, ...]  # the non-Python file names the run's text rules read
    digests: dict[str, str]  # path -> sha256 of its bytes, for every file the run read
    text_files: tuple[str, ...]
    git_state: tuple | None
    result: RunResult = field(default_factory=RunResult)
    # path -> (size, mtime, inode) of files last modified well before the run read them: a
    # file that still has them is not read and hashed again (as git's index does)
    stats: dict[str, tuple[int, int, int]] = field(default_factory=dict)


_RACY_NS = 2_000_000_000  # a file modified this close to the run may change within one tick


def _key(settings: Settings, paths: tuple[str, ...]) -> str:
    from fastapi_fixer.engine.cache import code_digest

    material = (
        _FORMAT,
        __version__,
        code_digest(),
        sys.version_info[:2],
        settings.cache_key(),
        os.getcwd(),
    )
    return hashlib.sha256(repr((*material, paths)).encode()).hexdigest()[:20]


def _path(directory: Path, settings: Settings, paths: tuple[str, ...]) -> Path:
    return directory / f"{_PREFIX}{_key(settings, paths)}.pickle"


def lookup(directory: Path, settings: Settings, paths: tuple[str, ...]) -> RunResult | None:
    """The stored result when every file is as the last run with these settings read it."""
    try:
        with open(_path(directory, settings, paths), "rb") as handle:
            verdict = pickle.load(handle)
    except FileNotFoundError:
        return None
    except Exception:  # a damaged verdict is never worse than none
        return None
    if not isinstance(verdict, Verdict):
        return None
    try:
        return _still_true(verdict, settings, paths)
    except Exception:  # a verdict of another shape: never worse than none
        return None


def _still_true(verdict: Verdict, settings: Settings, paths: tuple[str, ...]) -> RunResult | None:
    # discovered as `check` does, with the project's other files as context (cli._run): an
    # edit of a file the run only read invalidates the verdict too
    found = discover_run(
        paths,
        settings.exclude,
        verdict.file_names,
        settings.base,
        settings.force_exclude,
        context=True,
    )
    if found.errors or len(found.files) != len(verdict.digests):
        return None
    for path in found.files:
        expected = verdict.digests.get(path)
        if expected is None:
            return None
        if _stat(path) == verdict.stats.get(path, ()):
            continue
        if file_digest(path) != expected:
            return None
    if verdict.text_files and git_state(verdict.text_files) != verdict.git_state:
        return None
    return verdict.result


def store(
    directory: Path,
    settings: Settings,
    paths: tuple[str, ...],
    file_names: tuple[str, ...],
    digests: dict[str, str],
    text_files: tuple[str, ...],
    result: RunResult,
    started_ns: int,
) -> None:
    """Keep ``result`` as the verdict for these settings and paths (best effort); the run
    started reading files at ``started_ns`` (`time.time_ns`)."""
    state = git_state(text_files) if text_files else None
    if text_files and state is None:
        return  # cannot tell later whether git's view of those files changed
    # the formats served from a verdict need no file texts (cli.py picks them)
    kept = RunResult(
        files_seen=result.files_seen,
        diagnostics=result.diagnostics,
        errors=result.errors,
        stats={"verdict_cached": 1},
    )
    stats = {}
    for path in digests:
        stat = _stat(path)
        if stat and stat[1] < started_ns - _RACY_NS:
            stats[path] = stat
    verdict = Verdict(file_names, digests, text_files, state, kept, stats)
    with contextlib.suppress(OSError):
        make_cache_dir(directory)
        dump_atomically(_path(directory, settings, paths), verdict)
        _prune(directory)


def _prune(directory: Path) -> None:
    verdicts = sorted(directory.glob(f"{_PREFIX}*.pickle"), key=_mtime, reverse=True)
    for old in verdicts[_KEEP:]:
        with contextlib.suppress(OSError):
            old.unlink()


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def _stat(path: str) -> tuple[int, int, int] | tuple[()]:
    try:
        info = os.stat(path)
    except OSError:
        return ()
    return (info.st_size, info.st_mtime_ns, info.st_ino)


def git_state(paths: tuple[str, ...]) -> tuple | None:
    """The size and modification time of the git index of each repository holding ``paths``
    (None when a repository's index cannot be found, as in a linked worktree)."""
    state = []
    for path in paths:
        directory = os.path.dirname(os.path.realpath(path))
        while True:
            dot_git = os.path.join(directory, ".git")
            if os.path.isdir(dot_git):
                try:
                    info = os.stat(os.path.join(dot_git, "index"))
                except OSError:
                    state.append((dot_git, None))
                else:
                    state.append((dot_git, info.st_mtime_ns, info.st_size))
                break
            if os.path.lexists(dot_git):
                return None
            parent = os.path.dirname(directory)
            if parent == directory:
                state.append((path, "no repository"))
                break
            directory = parent
    return tuple(state)
