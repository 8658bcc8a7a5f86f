"""Plain, picklable data that flows between the engine's stages."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fastapi_fixer.engine.source import SourceFile


class FixSafety(str, Enum):
    """How a fix may be applied (ruff's model)."""

    SAFE = "safe"
    UNSAFE = "unsafe"
    NONE = "none"


class Severity(str, Enum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True, order=True)
class Span:
    """A source range: 1-based lines, 0-based columns counted in characters."""

    line: int
    col: int
    end_line: int
    end_col: int


def start_only(span: Span) -> Span:
    """A target span that matches on its start alone (for statements, whose ends differ
    between `ast` and LibCST around trailing comments)."""
    return Span(span.line, span.col, -1, -1)


@dataclass(frozen=True)
class Edit:
    """One rule-specific change to one file, applied by that rule's LibCST fixer.

    ``kind`` and ``args`` mean whatever the rule says; ``span`` locates the node in the file as
    it was when the edit was computed.
    """

    path: str
    kind: str
    span: Span | None = None
    args: tuple[object, ...] = ()


@dataclass(frozen=True)
class Fix:
    title: str
    safety: FixSafety
    edits: tuple[Edit, ...]

    @functools.cached_property  # (asked of every finding, each fix round; a fix can have many)
    def paths(self) -> frozenset[str]:
        return frozenset(edit.path for edit in self.edits)


@dataclass(frozen=True)
class Hop:
    """One step of the path by which a finding is reached (FF101-FF103's call chains).

    The first hop of a chain is the entry point: the `async def` route or dependency that runs
    on the event loop, named by its qualified name and placed at its `def`. Every later hop is
    a call: ``name`` is the callee's qualified name and the position is the call expression.
    The last hop is the call of the blocking API itself. ``row`` is 1-based and ``column``
    0-based in characters, as ``Span``."""

    name: str
    path: str
    row: int
    column: int


@dataclass(frozen=True)
class Diagnostic:
    code: str
    name: str
    severity: Severity
    message: str
    path: str
    span: Span
    fix: Fix | None = None
    chain: tuple[Hop, ...] = ()  # how the finding is reached; empty for most rules
    # the other blocking calls the same call runs (its chain follows the first one): each the
    # call of the blocking API, where it is made (FF101-FF103)
    more_sinks: tuple[Hop, ...] = ()

    @property
    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.path, self.span.line, self.span.col, self.code)


@dataclass(frozen=True)
class FileError:
    """A file that could not be processed, with a one-line reason."""

    path: str
    reason: str


@dataclass(frozen=True)
class DroppedFix:
    """A fix whose output did not parse or whose rule failed; its file was left as it was."""

    path: str
    code: str
    reason: str


def fix_allowed(fix: Fix | None, unsafe_fixes: bool) -> bool:
    """Whether a run applies ``fix``: safe ones always, unsafe ones with --unsafe-fixes."""
    if fix is None or fix.safety is FixSafety.NONE:
        return False
    return fix.safety is FixSafety.SAFE or unsafe_fixes


@dataclass
class RunResult:
    """Everything a reporter or writer needs after a run."""

    files_seen: int = 0
    diagnostics: list[Diagnostic] = field(default_factory=list)
    applied: dict[str, int] = field(default_factory=dict)  # code -> number of fixes applied
    applied_by_file: dict[str, dict[str, int]] = field(default_factory=dict)
    sources: dict[str, SourceFile] = field(default_factory=dict)  # path -> file as read
    fixed: dict[str, str] = field(default_factory=dict)  # path -> text after fixing (changed only)
    # path -> which rules wrote each line of its fixed text (`fixing.pipeline.Provenance`)
    provenance: dict[str, Any] = field(default_factory=dict)
    # path -> one fix pass with every remaining finding's fix (`Mode.previews`; FileFix)
    previews: dict[str, Any] = field(default_factory=dict)
    errors: list[FileError] = field(default_factory=list)
    dropped: list[DroppedFix] = field(default_factory=list)
    # the files of each applied fix that spans files: written together or not at all
    linked: list[frozenset[str]] = field(default_factory=list)
    # how much work was done: files parsed, checked, and served from the cache
    stats: dict[str, int] = field(default_factory=dict)

    @property
    def originals(self) -> dict[str, str]:
        return {path: source.text for path, source in self.sources.items()}

    @property
    def changed_paths(self) -> list[str]:
        return sorted(path for path, text in self.fixed.items() if text != self.sources[path].text)
