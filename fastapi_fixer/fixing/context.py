"""What the pipeline tells the shared fix helpers while one rule's fix runs on one file.

- `style`: the project's layout (`project_style.ProjectStyle`) for the file being fixed, so
  imports and wrapped lines follow the project.
- `first_party`: whether a top-level package belongs to the project (isort's first-party
  section for a new import; the engine passes `fixing.imports.first_party_as_ruff(root, module)`).
- `requests`: when set, `cstutil.add_imports` and `cstutil.remove_unused_imports` only record
  what they were asked (the fix pass applies every rule's body edits to the file at once, then
  all the recorded imports in one tidy step); when unset they edit the module they are given.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from fastapi_fixer.fixing.project_style import ProjectStyle

ImportItem = tuple[str, "str | None"]  # (module, None): `import module`; (module, name)
RemovalItem = tuple[str, "str | None", "str | None"]  # (module, name or None, asname or None)


@dataclass
class ImportRequests:
    adds: list[ImportItem] = field(default_factory=list)
    removals: list[RemovalItem] = field(default_factory=list)
    # the text edits a rule's text fix spliced into the file (`textedit.recorded_fix`): the
    # pass takes the run's line hunks from them instead of a diff of the whole file
    edits: list[Any] | None = None

    def __bool__(self) -> bool:
        return bool(self.adds or self.removals)


_STYLE: ContextVar[ProjectStyle | None] = ContextVar("fastapi_fixer_style", default=None)
_REQUESTS: ContextVar[ImportRequests | None] = ContextVar("fastapi_fixer_imports", default=None)
_FIRST_PARTY: ContextVar[Callable[[str], bool] | None] = ContextVar(
    "fastapi_fixer_first_party", default=None
)


def current_style() -> ProjectStyle | None:
    return _STYLE.get()


def current_requests() -> ImportRequests | None:
    return _REQUESTS.get()


def current_first_party() -> Callable[[str], bool] | None:
    return _FIRST_PARTY.get()


@contextmanager
def fixing(
    style: ProjectStyle | None,
    requests: ImportRequests | None,
    first_party: Callable[[str], bool] | None = None,
) -> Iterator[None]:
    """While a fix runs: the file's style, and where its import requests go (None: applied)."""
    style_token = _STYLE.set(style)
    requests_token = _REQUESTS.set(requests)
    first_party_token = _FIRST_PARTY.set(first_party)
    try:
        yield
    finally:
        _FIRST_PARTY.reset(first_party_token)
        _REQUESTS.reset(requests_token)
        _STYLE.reset(style_token)
