"""Writes fixed files atomically; a file that cannot be written is reported and left alone."""

from __future__ import annotations

from fastapi_fixer.engine.source import SourceError, write_source
from fastapi_fixer.models import FileError, RunResult


def write_fixes(result: RunResult) -> list[str]:
    """Write every changed file; returns the paths written and records failures as errors.

    A file that is not written (read-only, changed on disk since it was read, not encodable)
    does not count as fixed: its fixes are taken out of `result.applied`."""
    written: list[str] = []
    for path in result.changed_paths:
        try:
            write_source(result.sources[path], result.fixed[path])
        except SourceError as exc:
            result.errors.append(FileError(path, str(exc)))
            _unapply(result, path)
            continue
        written.append(path)
    return written


def _unapply(result: RunResult, path: str) -> None:
    for code, count in result.applied_by_file.pop(path, {}).items():
        left = result.applied.get(code, 0) - count
        if left > 0:
            result.applied[code] = left
        else:
            result.applied.pop(code, None)
