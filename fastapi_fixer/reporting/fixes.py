"""One fix at a time: apply a single diagnostic's fix with its rule's fixer (the engine's
`apply_rule_fix`), and describe the change as minimal text edits or as a diff."""

from __future__ import annotations

import bisect
import difflib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from fastapi_fixer.engine import FixFailure, _edit_key, apply_rule_fix
from fastapi_fixer.fixing.pipeline import Hunk, common_ends, hunks_between, split_lines
from fastapi_fixer.models import Diagnostic, RunResult
from fastapi_fixer.rule import FixContext

if TYPE_CHECKING:
    from fastapi_fixer.analysis.index import ProjectIndex
    from fastapi_fixer.settings import Settings


@dataclass(frozen=True)
class Position:
    row: int  # 1-based
    column: int  # 1-based, in characters

    def as_json(self) -> dict[str, int]:
        return {"row": self.row, "column": self.column}


@dataclass(frozen=True)
class TextEdit:
    """Replace the text from ``location`` up to ``end_location`` (exclusive) by ``content``."""

    path: str
    content: str
    location: Position
    end_location: Position

    def as_json(self) -> dict[str, object]:
        return {
            "content": self.content,
            "location": self.location.as_json(),
            "end_location": self.end_location.as_json(),
            "path": self.path,
        }


class _Offsets:
    def __init__(self, text: str) -> None:
        self.starts = [0]
        for line in split_lines(text):
            self.starts.append(self.starts[-1] + len(line))
        if text and not text.endswith(("\n", "\r")):
            self.starts.pop()  # no line after the last one

    def position(self, offset: int) -> Position:
        row = bisect.bisect_right(self.starts, offset)
        return Position(row, offset - self.starts[row - 1] + 1)


def text_edits(path: str, before: str, after: str) -> list[TextEdit]:
    """One minimal replacement per changed hunk of a line diff of ``before`` and ``after``."""
    old = split_lines(before)
    return hunk_edits(path, before, old, hunks_between(old, split_lines(after)))


@dataclass(frozen=True)
class _Layout:
    """A text's lines, where each starts (``line_start``, one entry more than lines) and its
    offset-to-position map: computed once per file, not once per finding."""

    lines: list[str]
    offsets: _Offsets
    line_start: list[int]

    @classmethod
    def of(cls, text: str, lines: list[str] | None = None) -> _Layout:
        lines = split_lines(text) if lines is None else lines
        line_start = [0]
        for line in lines:
            line_start.append(line_start[-1] + len(line))
        return cls(lines, _Offsets(text), line_start)


def hunk_edits(
    path: str,
    before: str,
    old: list[str],
    line_hunks: list[Hunk],
    layout: _Layout | None = None,
) -> list[TextEdit]:
    """One minimal replacement per group of adjacent line hunks (non-overlapping, in order) of
    ``before``, whose lines are ``old`` (``layout``: ``before``'s, when the caller has it)."""
    hunks: list[list[Any]] = []
    for hunk in line_hunks:
        if hunks and hunks[-1][1] == hunk.start:
            hunks[-1][1] = hunk.end
            hunks[-1][2] = hunks[-1][2] + list(hunk.lines)
        else:
            hunks.append([hunk.start, hunk.end, list(hunk.lines)])
    if layout is None:
        layout = _Layout.of(before, old)
    offsets, line_start = layout.offsets, layout.line_start
    edits = []
    for i1, i2, lines in hunks:
        removed, added = "".join(old[i1:i2]), "".join(lines)
        prefix, suffix = common_ends(removed, added)
        start = line_start[i1] + prefix
        end = line_start[i1] + len(removed) - suffix
        edits.append(
            TextEdit(
                path,
                added[prefix : len(added) - suffix],
                offsets.position(start),
                offsets.position(end),
            )
        )
    return edits


def apply_text_edits(text: str, edits: list[TextEdit]) -> str:
    """Apply edits of one file (the inverse of `text_edits`, for tests and consumers)."""
    offsets = _Offsets(text)

    def offset(position: Position) -> int:
        return offsets.starts[position.row - 1] + position.column - 1

    for edit in sorted(edits, key=lambda e: (e.location.row, e.location.column), reverse=True):
        text = text[: offset(edit.location)] + edit.content + text[offset(edit.end_location) :]
    return text


def current_texts(result: RunResult) -> dict[str, str]:
    """Each file's text as the diagnostics see it (after fixing, in fix mode)."""
    return {path: result.fixed.get(path, source.text) for path, source in result.sources.items()}


@dataclass
class FixPreview:
    """Applies one diagnostic's fix alone, on the texts the diagnostics were computed on."""

    index: ProjectIndex
    settings: Settings
    texts: dict[str, str]
    _cache: dict[int, dict[str, tuple[str, str]] | FixFailure] = field(default_factory=dict)

    def _module(self, path: str) -> str:
        for facts in self.index.modules.values():
            if facts.path == path:
                return facts.module
        return ""

    def apply(self, diagnostic: Diagnostic) -> dict[str, tuple[str, str]] | FixFailure:
        """path -> (before, after) for every file the fix changes, or why it cannot apply."""
        key = id(diagnostic)
        if key not in self._cache:
            self._cache[key] = self._apply(diagnostic)
        return self._cache[key]

    def _apply(self, diagnostic: Diagnostic) -> dict[str, tuple[str, str]] | FixFailure:
        from fastapi_fixer.registry import all_rules

        fix = diagnostic.fix
        if fix is None:
            return FixFailure("no fix")
        rule = all_rules()[diagnostic.code]
        changed: dict[str, tuple[str, str]] = {}
        for path in sorted(fix.paths):
            if path not in self.texts:
                return FixFailure(f"fix targets a file that was not analysed: {path}")
            before = self.texts[path]
            edits = sorted((e for e in fix.edits if e.path == path), key=_edit_key)
            context = FixContext(path, self._module(path), self.index, self.settings)
            after = apply_rule_fix(rule, before, edits, context)
            if isinstance(after, FixFailure):
                return after
            if after != before:
                changed[path] = (before, after)
        return changed

    def edits(self, diagnostic: Diagnostic) -> list[TextEdit] | None:
        outcome = self.apply(diagnostic)
        if isinstance(outcome, FixFailure):
            return None
        return [
            edit
            for path, (before, after) in outcome.items()
            for edit in text_edits(path, before, after)
        ]

    def diff(self, diagnostic: Diagnostic, context: int = 3) -> str | None:
        outcome = self.apply(diagnostic)
        if isinstance(outcome, FixFailure):
            return None
        return "".join(
            unified_diff(path, before, after, context) for path, (before, after) in outcome.items()
        )


def unified_diff(path: str, before: str, after: str, context: int = 3) -> str:
    lines = difflib.unified_diff(
        split_lines(before),
        split_lines(after),
        fromfile=f"a/{path.lstrip('/')}",
        tofile=f"b/{path.lstrip('/')}",
        n=context,
    )
    return "".join(line if line.endswith(("\n", "\r")) else line + "\n" for line in lines)


@dataclass
class GroupedFixPreview(FixPreview):
    """Previews for many findings at once (JSON, `full`), cut from one fix pass per file with
    every finding's fix (`Mode.previews`, made in the worker processes): a finding is shown the
    hunks its rule wrote that overlap its own edits, and those of its rule's hunks that overlap
    no finding's edits (imports, a helper added at the end of the module). A rule that had to
    wait or failed in that pass gets one pass of its own in the file; when that fails too, each
    finding's fix is applied alone, as `FixPreview` does."""

    diagnostics: list[Diagnostic] = field(default_factory=list)
    passes: dict[str, Any] = field(default_factory=dict)  # path -> FileFix
    _views: dict[tuple[str, str | None], dict[int, str] | None] = field(default_factory=dict)
    # (path, id(finding)) -> the hunks of its text: its edits need no diff of the whole file
    _hunks: dict[tuple[str, int], list[Hunk]] = field(default_factory=dict)
    _by_path: dict[str, list[Diagnostic]] = field(default_factory=dict)  # findings per file
    _layouts: dict[str, tuple[str, _Layout]] = field(default_factory=dict)  # per file's text

    def edits(self, diagnostic: Diagnostic) -> list[TextEdit] | None:
        outcome = self.apply(diagnostic)
        if isinstance(outcome, FixFailure):
            return None
        found: list[TextEdit] = []
        for path, (before, after) in outcome.items():
            hunks = self._hunks.get((path, id(diagnostic)))
            if hunks is None:
                found.extend(text_edits(path, before, after))
                continue
            layout = self._layouts.get(path)
            if layout is None or layout[0] is not before:
                layout = self._layouts[path] = (before, _Layout.of(before))
            found.extend(hunk_edits(path, before, layout[1].lines, hunks, layout[1]))
        return found

    def _apply(self, diagnostic: Diagnostic) -> dict[str, tuple[str, str]] | FixFailure:
        fix = diagnostic.fix
        if fix is None:
            return FixFailure("no fix")
        changed: dict[str, tuple[str, str]] = {}
        for path in sorted(fix.paths):
            after = self._view(path, None).get(id(diagnostic))  # type: ignore[union-attr]
            if after is None:
                view = self._view(path, diagnostic.code)
                after = None if view is None else view.get(id(diagnostic))
            if after is None:
                for key in [k for k in self._hunks if k[1] == id(diagnostic)]:
                    del self._hunks[key]  # applied alone below: its edits come from a diff
                return super()._apply(diagnostic)
            if after != self.texts[path]:
                changed[path] = (self.texts[path], after)
        return changed

    def _view(self, path: str, code: str | None) -> dict[int, str] | None:
        """id(finding) -> the file's text with that finding's hunks, from the file's pass
        (``code`` None) or from a pass of that rule alone."""
        key = (path, code)
        if key not in self._views:
            self._views[key] = self._compute_view(path, code)
        return self._views[key]

    def _compute_view(self, path: str, code: str | None) -> dict[int, str] | None:
        from fastapi_fixer.engine import fix_one_file

        if path not in self.texts:
            return {} if code is None else None
        if not self._by_path:
            for d in self.diagnostics:
                for where in {e.path for e in d.fix.edits} if d.fix is not None else ():
                    self._by_path.setdefault(where, []).append(d)
        members = [d for d in self._by_path.get(path, ()) if code is None or d.code == code]
        if code is None:
            outcome = self.passes.get(path)
            if outcome is None:
                return {}
        else:
            edits = sorted(
                {e for d in members for e in d.fix.edits if e.path == path},  # type: ignore[union-attr]
                key=_edit_key,
            )
            context = FixContext(path, self._module(path), self.index, self.settings)
            outcome = fix_one_file(self.texts[path], {code: edits}, context)
            if outcome.failures:
                return None
        applied = set(outcome.applied)
        members = [d for d in members if d.code in applied]
        view, hunks = _cut(self.texts[path], outcome.text, outcome.provenance, members, path)
        for key, found in hunks.items():
            self._hunks.setdefault((path, key), found)
        return view


def _cut(
    before: str, after: str, provenance: Any, members: list[Diagnostic], path: str
) -> tuple[dict[int, str], dict[int, list[Hunk]]]:
    """Each finding's share of the change from ``before`` to ``after``: the hunks its rule
    wrote (``provenance``) that overlap its edits, else the ones no finding's edits overlap.
    A finding one of whose hunks other rules also wrote into is left out. The hunks are the
    pass's own (`Provenance.original_hunks`: FF801's client fixture is the hunk of the client
    it replaces, not of the test a diff of the file would pair it with), else a diff."""
    old = split_lines(before)
    spans = {
        id(d): [e.span for e in d.fix.edits if e.path == path and e.span is not None]  # type: ignore[union-attr]
        for d in members
    }
    owned: dict[int, list[int]] = {id(d): [] for d in members}
    mixed: set[int] = set()
    new = split_lines(after)
    hunks = provenance.original_hunks(old, new)
    if hunks is None:
        hunks = hunks_between(old, new)
    # each finding's edit spans as line intervals [lo, hi), by lo: the hunks (in order) sweep
    # them, keeping those that may still meet a later hunk
    intervals = sorted(
        (s.line - 1, max(s.end_line, s.line), id(d)) for d in members for s in spans[id(d)]
    )
    taken = 0
    active: list[tuple[int, int, int]] = []
    shift = 0
    for number, hunk in enumerate(hunks):
        start = hunk.start + shift
        shift += len(hunk.lines) - (hunk.end - hunk.start)
        codes = provenance.codes_in(start, start + len(hunk.lines))
        mine = [d for d in members if d.code in codes]
        first, last = hunk.start, max(hunk.end, hunk.start + 1)
        while taken < len(intervals) and intervals[taken][0] < last:
            active.append(intervals[taken])
            taken += 1
        active = [interval for interval in active if interval[1] > first]
        meeting = {key for lo, _, key in active if lo < last}
        owners = [d for d in mine if id(d) in meeting]
        for d in owners or mine:
            owned[id(d)].append(number)
            if codes - {d.code}:  # a hunk other rules wrote into too (a shared import line)
                mixed.add(id(d))
    out = {}
    kept: dict[int, list[Hunk]] = {}
    for key, numbers in owned.items():
        if key in mixed:
            continue  # its own rule's pass gives it a hunk of its own
        lines = list(old)
        for number in reversed(numbers):
            hunk = hunks[number]
            lines[hunk.start : hunk.end] = hunk.lines
        out[key] = "".join(lines)
        kept[key] = [hunks[number] for number in sorted(numbers)]
    return out, kept
