"""What the pipeline tells the shared fix helpers while one rule's fix runs on one file.

- `style`: the project's layout (`project_style.ProjectStyle`) for the file being fixed, so
  imports and wrapped lines follow the project.
- `requests`: when set, `cstutil.add_imports` and `cstutil.remove_unused_imports` only record
  what they were asked (the fix pass applies every rule's body edits to the file at once, then
  all the recorded imports in one tidy step); when unset they edit the module they are given.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

from fastapi_fixer.fixing.project_style import ProjectStyle

ImportItem = tuple[str, "str | None"]  # (module, None): `import module`; (module, name)
RemovalItem = tuple[str, "str | None", "str | None"]  # (module, name or None, asname or None)


@dataclass
class ImportRequests:
    adds: list[ImportItem] = field(default_factory=list)
    removals: list[RemovalItem] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.adds or self.removals)


_STYLE: ContextVar[ProjectStyle | None] = ContextVar("fastapi_fixer_style", default=None)
_REQUESTS: ContextVar[ImportRequests | None] = ContextVar("fastapi_fixer_imports", default=None)


def current_style() -> ProjectStyle | None:
    return _STYLE.get()


def current_requests() -> ImportRequests | None:
    return _REQUESTS.get()


@contextmanager
def fixing(style: ProjectStyle | None, requests: ImportRequests | None) -> Iterator[None]:
    """While a fix runs: the file's style, and where its import requests go (None: applied)."""
    style_token = _STYLE.set(style)
    requests_token = _REQUESTS.set(requests)
    try:
        yield
    finally:
        _REQUESTS.reset(requests_token)
        _STYLE.reset(style_token)
