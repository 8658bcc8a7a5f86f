"""Writes fixed files atomically; a file that cannot be written is reported and left alone."""

from __future__ import annotations

from fastapi_fixer.models import FileError, RunResult
from fastapi_fixer.source import SourceError, write_source


def write_fixes(result: RunResult) -> list[str]:
    """Write every changed file; returns the paths written and records failures as errors."""
    written: list[str] = []
    for path in result.changed_paths:
        try:
            write_source(result.sources[path], result.fixed[path])
        except SourceError as exc:
            result.errors.append(FileError(path, str(exc)))
            continue
        written.append(path)
    return written
