"""Writes fixed files atomically; a file that cannot be written is reported and left alone, and
so are the files a fix spanning several files ties to it (written whole or not at all)."""

from __future__ import annotations

from fastapi_fixer.engine.source import WriteError, write_together
from fastapi_fixer.models import FileError, RunResult


def write_fixes(result: RunResult) -> list[str]:
    """Write every changed file; returns the paths written and records failures as errors.

    A file that is not written (read-only, changed on disk since it was read, not encodable)
    does not count as fixed: its fixes are taken out of `result.applied`. Files that a fix
    spanning several files ties together (`result.linked`, transitively) are written as one
    group: when one of them cannot be written, none of the group is."""
    written: list[str] = []
    for group in _groups(result.changed_paths, result.linked):
        try:
            write_together([(result.sources[path], result.fixed[path]) for path in group])
        except WriteError as exc:
            failed = exc.path
            for path in group:
                reason = (
                    str(exc)
                    if path == failed
                    else f"not written: a fix spans it and {failed}, which could not be written"
                )
                result.errors.append(FileError(path, reason))
                _unapply(result, path)
            continue
        written.extend(group)
    return written


def _groups(paths: list[str], linked: list[frozenset[str]]) -> list[list[str]]:
    """``paths`` in groups: the ones a link (a multi-file fix) joins, directly or through other
    paths, share a group; each group sorted, groups in the order of their first path."""
    parent = {path: path for path in paths}

    def root(path: str) -> str:
        while parent[path] != path:
            parent[path] = parent[parent[path]]
            path = parent[path]
        return path

    for link in linked:
        present = sorted(path for path in link if path in parent)
        for other in present[1:]:
            parent[root(other)] = root(present[0])
    groups: dict[str, list[str]] = {}
    for path in paths:
        groups.setdefault(root(path), []).append(path)
    return sorted((sorted(group) for group in groups.values()), key=lambda group: group[0])


def _unapply(result: RunResult, path: str) -> None:
    for code, count in result.applied_by_file.pop(path, {}).items():
        left = result.applied.get(code, 0) - count
        if left > 0:
            result.applied[code] = left
        else:
            result.applied.pop(code, None)
