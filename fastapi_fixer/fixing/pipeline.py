"""One fix pass over one file: every rule's edits at once.

Each rule's fixer runs on the same parsed module (the spans its edits carry are positions in that
text), with its import requests recorded rather than applied (`fixing.context`). What it changed
becomes line hunks against the original text. Hunks of different rules that each rewrite the same
one line are joined when the characters they change are apart (`async def` made `def` and a
parameter of that line moved into `Annotated`: ruff's fix loop compares byte ranges too); where
the characters overlap or meet, or a hunk spans more lines, the later rule (by code) waits for
the next round.
The hunks that agree are spliced into the text at once; then one tidy step adds and removes the
imports all the applied rules asked for, and lays out what changed at the project's line length;
the result is compiled once. A rule whose fix fails, or whose output does not compile, is dropped
for this file alone; the other rules' edits stay.

Every line of the result remembers which rules wrote it (`Provenance`), so a diff can say, hunk by
hunk, which rule made it.
"""

from __future__ import annotations

import ast
import bisect
import difflib
import itertools
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from fastapi_fixer.fixing import statements
from fastapi_fixer.fixing.context import ImportRequests, fixing
from fastapi_fixer.fixing.format import matched_hunks
from fastapi_fixer.fixing.head_imports import head_with_imports
from fastapi_fixer.fixing.project_style import ProjectStyle

if TYPE_CHECKING:
    import libcst as cst

    from fastapi_fixer.models import Edit


@dataclass(frozen=True)
class Hunk:
    """Lines ``start``..``end`` (0-based, end exclusive) of the original become ``lines``."""

    start: int
    end: int
    lines: tuple[str, ...]

    def touches(self, other: Hunk) -> bool:
        """Whether the two cannot be applied independently: they overlap, or one inserts at a
        place the other replaces or also inserts at (their order would be a guess)."""
        if self.start == self.end or other.start == other.end:
            return other.start <= self.start <= other.end or self.start <= other.start <= self.end
        return self.start < other.end and other.start < self.end


_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")


def split_lines(text: str) -> list[str]:
    """Lines with their endings, split where Python splits them (`str.splitlines` also splits
    at form feeds and other separators that are not line ends in code)."""
    return _LINE.findall(text)


def hunks_between(before: Sequence[str], after: Sequence[str]) -> list[Hunk]:
    """The line hunks that turn ``before`` into ``after`` (common head and tail skipped first:
    a fix changes a few places of a long file)."""
    head = 0
    limit = min(len(before), len(after))
    while head < limit and before[head] == after[head]:
        head += 1
    tail = 0
    while tail < limit - head and before[len(before) - 1 - tail] == after[len(after) - 1 - tail]:
        tail += 1
    a = before[head : len(before) - tail]
    b = after[head : len(after) - tail]
    if not a and not b:
        return []
    if set(a).isdisjoint(b):  # no line kept (a line a fix rewrote): difflib's one opcode
        return [Hunk(head, head + len(a), tuple(b))]
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    return [
        Hunk(head + i1, head + i2, tuple(b[j1:j2]))
        for tag, i1, i2, j1, j2 in matcher.get_opcodes()
        if tag != "equal"
    ]


@dataclass
class Provenance:
    """Which rules wrote each line of a text (empty: the line is the user's), and which rules
    removed lines just before each line (``removed[len(lines)]``: at the end)."""

    lines: list[frozenset[str]]
    removed: list[frozenset[str]]
    # which line of the pass's original text each line is (None: a rule or a tidy step wrote
    # it): the pass's own hunks, which `original_hunks` gives without a diff of the file
    origin: list[int | None] | None = None

    @classmethod
    def original(cls, count: int) -> Provenance:
        return cls([frozenset()] * count, [frozenset()] * (count + 1), list(range(count)))

    def original_hunks(self, old: list[str], new: list[str]) -> list[Hunk] | None:
        """The hunks that turn the pass's original text (its lines ``old``) into this one (its
        lines ``new``) as the pass made them: the lines each step kept, the ones it wrote,
        each run of changed lines diffed alone (a rewritten statement keeps lines it did not
        change). None when this provenance does not follow its lines (`later`)."""
        origin = self.origin
        if origin is None or len(origin) != len(new):
            return None
        spans: list[tuple[int, int, int, int]] = []  # old start, old end, new start, new end
        expected = 0
        opened: tuple[int, int] | None = None  # (old start, new start) of the open span
        for j, at in enumerate(origin):
            if at is not None and at == expected and opened is None:
                expected += 1
                continue
            if opened is None:
                opened = (expected, j)
            if at is not None:
                if at < expected:
                    return None  # lines out of order: not the pass's own
                spans.append((opened[0], at, opened[1], j))
                opened = None
                expected = at + 1
        if opened is not None or expected < len(old):
            start, first = opened if opened is not None else (expected, len(new))
            spans.append((start, len(old), first, len(new)))
        hunks: list[Hunk] = []
        for a, b, c, d in spans:
            hunks.extend(
                Hunk(a + h.start, a + h.end, h.lines) for h in hunks_between(old[a:b], new[c:d])
            )
        return hunks

    def after(self, hunks: Iterable[tuple[Hunk, frozenset[str]]]) -> Provenance:
        """The provenance of the text the (non-overlapping) hunks make of this one."""
        lines: list[frozenset[str]] = []
        removed: list[frozenset[str]] = []
        origin: list[int | None] | None = [] if self.origin is not None else None
        position = 0
        pending: frozenset[str] = frozenset()
        for hunk, codes in sorted(hunks, key=lambda item: (item[0].start, item[0].end)):
            if hunk.start > position:  # the lines kept before the hunk (`pending`: the first's)
                removed.append(self.removed[position] | pending)
                removed.extend(self.removed[position + 1 : hunk.start])
                pending = frozenset()
                lines.extend(self.lines[position : hunk.start])
            if origin is not None:
                origin.extend(self.origin[position : hunk.start])  # type: ignore[index]
                origin.extend([None] * len(hunk.lines))
            if hunk.end > hunk.start:
                pending = pending.union(codes, *self.removed[hunk.start : hunk.end])
            for _ in hunk.lines:
                removed.append(pending)
                pending = frozenset()
                lines.append(codes)
            position = hunk.end
        if len(self.lines) > position:
            removed.append(self.removed[position] | pending)
            removed.extend(self.removed[position + 1 : len(self.lines)])
            pending = frozenset()
            lines.extend(self.lines[position:])
        if origin is not None:
            origin.extend(self.origin[position:])  # type: ignore[index]
        removed.append(self.removed[len(self.lines)] | pending)
        return Provenance(lines, removed, origin)

    def codes_in(self, start: int, end: int) -> frozenset[str]:
        """Rules that wrote lines ``start``..``end`` or removed lines among them."""
        found: set[str] = set()
        for i in range(start, min(end, len(self.lines))):
            found |= self.lines[i]
        for i in range(start, min(end, len(self.lines)) + 1):
            found |= self.removed[i]
        return frozenset(found)

    def later(self, before: list[str], after: list[str], step: Provenance) -> Provenance:
        """This text's provenance carried through a later pass that turned ``before`` (this
        text) into ``after``, where ``step`` says which rules wrote what in that pass."""
        attributed: list[tuple[Hunk, frozenset[str]]] = []
        shift = 0
        for hunk in hunks_between(before, after):
            start = hunk.start + shift
            attributed.append((hunk, step.codes_in(start, start + len(hunk.lines))))
            shift += len(hunk.lines) - (hunk.end - hunk.start)
        carried = self.after(attributed)
        carried.origin = None  # lines of the first pass's text, not of this pass's
        return carried


def _retouched(
    before: list[str], after: list[str], provenance: Provenance, codes: frozenset[str]
) -> Provenance:
    """Provenance after a tidy step rewrote ``before`` into ``after``: changed lines are owed
    to the rules that wrote the lines they replace (or to ``codes`` when none did). The
    hunks are the layout's patience match (`format.matched_hunks`): a laid-out file changes
    in a few places far apart, where difflib compares every line between them."""
    attributed: list[tuple[Hunk, frozenset[str]]] = []
    for hunk in (Hunk(*found) for found in matched_hunks(before, after)):
        owners = provenance.codes_in(hunk.start, hunk.end)
        if not owners and hunk.start > 0:
            owners = provenance.codes_in(hunk.start - 1, hunk.start)
        attributed.append((hunk, owners or codes))
    return provenance.after(attributed)


def _imports_retouched(
    before: list[str], after: list[str], provenance: Provenance, runs: list[RuleRun]
) -> Provenance:
    """Provenance after the imports step: an import line is owed to the rules that asked for
    what it names (so a finding's preview shows only its own rule's import), else to the rules
    that wrote the lines it replaces, else to every rule that asked for imports."""
    asked = frozenset(run.code for run in runs if run.requests)
    attributed: list[tuple[Hunk, frozenset[str]]] = []
    for hunk in hunks_between(before, after):
        text = "".join(hunk.lines) + "".join(before[hunk.start : hunk.end])
        owners = frozenset(run.code for run in runs if _names_any(run.requests, text))
        attributed.append((hunk, owners or provenance.codes_in(hunk.start, hunk.end) or asked))
    return provenance.after(attributed)


def _names_any(requests: ImportRequests, text: str) -> bool:
    wanted = [(module, name) for module, name in requests.adds]
    wanted += [(module, name) for module, name, _ in requests.removals]
    for module, name in wanted:
        if module.lstrip(".") in text and (name is None or bool(word_starts(name, text))):
            return True
    return False


@dataclass
class RuleRun:
    """What one rule's fixer did to the file, alone."""

    code: str
    hunks: list[Hunk] = field(default_factory=list)
    requests: ImportRequests = field(default_factory=ImportRequests)
    failure: str | None = None
    module: Any = None  # the rule's output as a LibCST module, when it gave one


@dataclass
class FileFix:
    """The outcome of one pass over one file."""

    text: str
    provenance: Provenance
    applied: list[str] = field(default_factory=list)  # codes whose edits are in ``text``
    deferred: list[str] = field(default_factory=list)  # codes that touched others' lines
    failures: dict[str, str] = field(default_factory=dict)  # code -> why it was dropped


# (code, module, text, edits) -> the rule's output: text, or a LibCST module (kept, so the
# imports step need not parse it again when that rule is the only one applied)
RunRule = Callable[[str, "cst.Module | None", str, Sequence["Edit"]], "str | cst.Module"]
Validate = Callable[[str, str], "str | None"]  # (original, new) -> why new is wrong, or None
# (code, text, edits) -> the rule's output as text edits, or None: run the rule on the module
RunText = Callable[[str, str, Sequence["Edit"]], "str | None"]


def fix_file(
    text: str,
    edits: Mapping[str, Sequence[Edit]],
    run_rule: RunRule,
    style: ProjectStyle | None,
    validate: Validate,
    python: bool = True,
    tidy: Callable[[str, str], str] | None = None,
    first_party: Callable[[str], bool] | None = None,
    run_text: RunText | None = None,
    join: bool = True,
) -> FileFix:
    """Apply every rule's ``edits`` to ``text`` in one pass (see the module's docstring).

    ``run_rule(code, module, text, edits)`` returns the rule's output for the file alone;
    ``run_text(code, text, edits)``, when given, the same written as text edits, or None (then
    ``run_rule`` runs: the module is parsed with LibCST only for a rule that needs it);
    ``validate(original, new)`` says why an output is not acceptable (it does not compile);
    ``join``: whether hunks of different rules on the same lines are joined when the characters
    they change are apart (previews do not: a finding's preview shows its own rule's lines)."""
    if not edits:  # nothing to apply (a multi-file fix left this file)
        return FileFix(text, Provenance.original(len(split_lines(text))))
    original = split_lines(text)
    parsed: list[Any] = []  # the module, parsed once when a rule first needs it

    def module_of() -> cst.Module | None:
        if not parsed:
            parsed.append(_parse(text) if python else None)
        if isinstance(parsed[0], Exception):
            raise parsed[0]
        return parsed[0]

    runs = [
        _run(code, module_of, text, original, edits[code], run_rule, style, first_party, run_text)
        for code in sorted(edits)
    ]
    result = FileFix(text, Provenance.original(len(original)))
    for run in runs:
        if run.failure is not None:
            result.failures[run.code] = run.failure
    candidates = [run for run in runs if run.failure is None]
    waiting: list[RuleRun] = []  # each right alone, but not with the rules before it
    while True:
        accepted, deferred, joined = _agreeing(candidates, original if join else None)
        new_text, provenance, reason = _attempt(
            text, original, accepted, style, python, tidy, validate, first_party, joined
        )
        if reason is None or len(accepted) <= 1:
            break
        # which rule broke it: each alone (without the layout step), else the last one
        alone = {
            run.code: _attempt(text, original, [run], style, python, None, validate, first_party)[2]
            for run in accepted
        }
        broken = [run for run in accepted if alone[run.code] is not None]
        if not broken:  # right alone, wrong together (`def` and `await`): the last one waits
            waiting.append(accepted[-1])
        for run in broken:
            result.failures[run.code] = alone[run.code]  # type: ignore[assignment]
        candidates = [run for run in candidates if run not in broken and run not in waiting]
    if reason is not None:
        for run in accepted:
            result.failures[run.code] = reason
        accepted = []
        new_text, provenance = text, Provenance.original(len(original))
    result.text = new_text
    result.provenance = provenance
    result.applied = [run.code for run in accepted]
    result.deferred = [run.code for run in [*deferred, *waiting]]
    return result


def laid_out_fix(result: FileFix, after: str, laid_out: str) -> FileFix:
    """``result``, a pass whose layout step was asked to lay out ``after`` (its text) and made
    nothing of it, with ``laid_out`` as that step's answer instead: what `_compose` makes of
    it (the changed lines owed to the rules that wrote the lines they replace)."""
    codes = frozenset(result.applied)
    provenance = _retouched(split_lines(after), split_lines(laid_out), result.provenance, codes)
    return FileFix(
        laid_out, provenance, list(result.applied), list(result.deferred), dict(result.failures)
    )


def _parse(text: str) -> cst.Module | Exception:
    """The module LibCST parses from ``text`` (empty: a file a fix creates), or why it cannot
    be rewritten: LibCST cannot read it, or cannot write it back unchanged."""
    import libcst as cst

    if not text:
        return cst.Module(body=[])
    known = statements.parsed_from(text)
    if known is not None:
        return known
    try:
        module = cst.parse_module(text)
        # a form feed in an indentation LibCST writes into every block: never rewrite a
        # file it cannot write back (the check costs a code generation: only then)
        if "\f" in text and module.code.rstrip("\r") != text.rstrip("\r"):
            raise ValueError("LibCST cannot write this file back unchanged")
    except Exception as exc:  # a file LibCST cannot read: no rule can fix it with LibCST
        return exc
    statements.remember(module, text)
    return module


def _run(
    code: str,
    module_of: Callable[[], cst.Module | None],
    text: str,
    original: list[str],
    edits: Sequence[Edit],
    run_rule: RunRule,
    style: ProjectStyle | None,
    first_party: Callable[[str], bool] | None,
    run_text: RunText | None = None,
) -> RuleRun:
    run = RuleRun(code)
    if run_text is not None and text:
        requests = ImportRequests()
        try:
            with fixing(style, requests, first_party):
                output = run_text(code, text, edits)
        except Exception as exc:  # a fixer bug must not lose the user's file
            run.failure = f"fix failed: {type(exc).__name__}: {exc}"
            return run
        if output is not None:  # the rule wrote text edits: no LibCST parse needed
            run.requests = requests
            if requests.edits is not None:
                from fastapi_fixer.fixing.textedit import hunks_of_edits

                run.hunks = hunks_of_edits(original, text, requests.edits)
                requests.edits = None
            else:
                run.hunks = hunks_between(original, split_lines(output))
            if not run.hunks and not run.requests:
                run.failure = "fix changed nothing"
            return run
    try:
        module = module_of()
    except Exception as exc:
        run.failure = f"fix failed: {type(exc).__name__}: {exc}"
        return run
    try:
        with fixing(style, run.requests, first_party):
            result = run_rule(code, module, text, edits)
        hunks = None
        if isinstance(result, str):
            output = result
        else:
            run.module = result
            lines = statements.lines_of(module) if module is not None else None
            if lines is not None:
                hunks = statements.changed_hunks(module, lines, result, original)  # type: ignore[arg-type]
            if hunks is None:
                output = result.code
    except Exception as exc:  # a fixer bug must not lose the user's file
        run.failure = f"fix failed: {type(exc).__name__}: {exc}"
        return run
    if hunks is not None:
        run.hunks = hunks
    else:
        if text.endswith("\r") and not output.endswith(("\r", "\n")):
            output += "\r"  # LibCST drops the last newline of a file with old-Mac "\r" endings
        run.hunks = hunks_between(original, split_lines(output))
    if not run.hunks and not run.requests:
        run.failure = "fix changed nothing"
    return run


def _agreeing(
    runs: list[RuleRun], original: list[str] | None = None
) -> tuple[list[RuleRun], list[RuleRun], list[tuple[Hunk, frozenset[str]]]]:
    """Rules in order whose hunks touch no earlier accepted rule's, and the accepted hunks
    with the rules that wrote them; the others wait. With ``original`` (the text's lines),
    hunks of different rules that touch the same lines are joined into one when the
    characters they change are apart (`_joined`)."""
    accepted: list[RuleRun] = []
    deferred: list[RuleRun] = []
    taken: list[_Taken] = []
    starts: list[int] = []
    for run in runs:
        clash = any(hunk.touches(other.hunk) for hunk in run.hunks for other in taken)
        if not clash:
            accepted.append(run)
            taken.extend(_Taken(hunk, frozenset({run.code})) for hunk in run.hunks)
            continue
        if original is not None and not starts:
            starts = line_starts(original)
        joined = _joined(taken, run, original, starts) if original is not None else None
        if joined is None:
            deferred.append(run)
            continue
        accepted.append(run)
        taken = joined
    return accepted, deferred, [(t.hunk, t.codes) for t in taken]


@dataclass
class _Taken:
    """An accepted hunk, the rules that wrote it, and (once asked) the character edits it
    makes: (start, end, text), offsets in the original text."""

    hunk: Hunk
    codes: frozenset[str]
    edits: list[tuple[int, int, str]] | None = None


def line_starts(lines: Sequence[str]) -> list[int]:
    """Where each of ``lines`` starts in their text, and (last) where the text ends."""
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))
    return starts


def common_ends(old: str, new: str) -> tuple[int, int]:
    """How many characters ``old`` and ``new`` share at their start, and then at their end
    (never overlapping the start: what is left between is what changed)."""
    limit = min(len(old), len(new))
    # the longest equal head, then tail, found by halving: slices compare in C, where a loop
    # over characters costs a Python step each (the previews' edits of long hunks)
    low, high = 0, limit
    while low < high:
        middle = (low + high + 1) // 2
        if old[:middle] == new[:middle]:
            low = middle
        else:
            high = middle - 1
    head = low
    low, high = 0, limit - head
    while low < high:
        middle = (low + high + 1) // 2
        if old[len(old) - middle :] == new[len(new) - middle :]:
            low = middle
        else:
            high = middle - 1
    return head, low


def _char_edit(original: list[str], starts: list[int], hunk: Hunk) -> tuple[int, int, str]:
    """The one stretch of characters ``hunk`` replaces (its lines' common head and tail
    left out), as (start, end, text) with offsets in the original text."""
    old = "".join(original[hunk.start : hunk.end])
    new = "".join(hunk.lines)
    head, tail = common_ends(old, new)
    return starts[hunk.start] + head, starts[hunk.end] - tail, new[head : len(new) - tail]


def _one_line(hunk: Hunk) -> bool:
    return hunk.end == hunk.start + 1 and len(hunk.lines) == 1


def _joined(
    taken: list[_Taken], run: RuleRun, original: list[str], starts: list[int]
) -> list[_Taken] | None:
    """``taken`` with ``run``'s hunks added, each joined with the accepted hunks it touches
    into one hunk of their lines, when each of them rewrites one line into one line and no
    two of their character edits overlap or meet (an insertion where another edit starts or
    ends would need an order); None: ``run`` waits. Hunks of more lines never join: a rule
    that rewrites statements (a route made a dependency) plans from code another rule's
    hunk changes, and its plan is made again in the next round."""
    joined = list(taken)
    for hunk in run.hunks:
        entry = _Taken(hunk, frozenset({run.code}), [_char_edit(original, starts, hunk)])
        while True:
            touched = [other for other in joined if entry.hunk.touches(other.hunk)]
            if not touched:
                break
            if not all(_one_line(t.hunk) for t in [entry, *touched]):
                return None  # a rewrite of statements: its rule's plan may read the other's
            edits = list(entry.edits or [])
            for other in touched:
                if other.edits is None:
                    other.edits = [_char_edit(original, starts, other.hunk)]
                for start, end, _ in other.edits:
                    if any(start <= e_end and e_start <= end for e_start, e_end, _ in edits):
                        return None
                edits.extend(other.edits)
            first = min([entry.hunk.start, *(other.hunk.start for other in touched)])
            last = max([entry.hunk.end, *(other.hunk.end for other in touched)])
            region = "".join(original[first:last])
            for start, end, text in sorted(edits, reverse=True):
                region = region[: start - starts[first]] + text + region[end - starts[first] :]
            codes = entry.codes.union(*(other.codes for other in touched))
            entry = _Taken(Hunk(first, last, tuple(split_lines(region))), codes, edits)
            joined = [other for other in joined if not any(other is t for t in touched)]
        joined.append(entry)
    return joined


def _compose(
    text: str,
    original: list[str],
    runs: list[RuleRun],
    style: ProjectStyle | None,
    python: bool,
    tidy: Callable[[str, str], str] | None,
    first_party: Callable[[str], bool] | None = None,
    attributed: list[tuple[Hunk, frozenset[str]]] | None = None,
) -> tuple[str, Provenance]:
    """The text with the runs' hunks spliced in (``attributed``: the hunks with the rules
    that wrote them, when some are joined; else the runs' own), imports tidied and changes
    laid out."""
    if attributed is None:
        attributed = [(hunk, frozenset({run.code})) for run in runs for hunk in run.hunks]
    provenance = Provenance.original(len(original)).after(attributed)
    lines = list(original)
    for hunk, _ in sorted(attributed, key=lambda item: item[0].start, reverse=True):
        lines[hunk.start : hunk.end] = hunk.lines
    new_text = "".join(lines)
    requests = ImportRequests()
    for run in runs:
        requests.adds.extend(item for item in run.requests.adds if item not in requests.adds)
        requests.removals.extend(
            item for item in run.requests.removals if item not in requests.removals
        )
    if python and requests:
        alone = runs[0].module if len(runs) == 1 else None
        tidied = _apply_imports(new_text, requests, style, first_party, alone)
        if new_text.endswith("\r") and not tidied.endswith(("\r", "\n")):
            tidied += "\r"  # LibCST drops the last newline of a file with "\r" endings
        provenance = _imports_retouched(
            split_lines(new_text), split_lines(tidied), provenance, runs
        )
        new_text = tidied
    if tidy is not None and new_text != text:
        laid_out = tidy(text, new_text)
        if laid_out != new_text:
            codes = frozenset(run.code for run in runs)
            provenance = _retouched(split_lines(new_text), split_lines(laid_out), provenance, codes)
            new_text = laid_out
    return new_text, provenance


def _apply_imports(
    text: str,
    requests: ImportRequests,
    style: ProjectStyle | None,
    first_party: Callable[[str], bool] | None,
    parsed: cst.Module | None = None,
) -> str:
    """``text`` with the requested imports; ``parsed``: ``text`` already parsed. Without it,
    only the module's head (its statements before the first `def` or `class`, where the
    import blocks are) is parsed, when the rest neither binds a name the imports concern nor
    imports what is to be removed (`_import_head`)."""
    from fastapi_fixer.fixing import imports

    if parsed is None:
        quick = _quick_head(text, requests)
        if quick is not None:  # the head parsed alone: the same as with the module's tree
            head, offset = quick
            used = set() if requests.removals else None
            return _head_with_imports(text, offset, head, requests, style, first_party, used)
    tree = _ast_of(text)
    used = None
    if requests.removals and tree is not None:  # the names read, from `ast`
        bound = _removed_names(requests)
        mentioned = _mentions(text, tree, bound)
        used = imports.names_read_shadowed(tree, bound, mentioned) if mentioned else set()
    if parsed is None and tree is not None:
        cut = _import_head(text, tree, requests)
        if cut is not None:
            offset, count = cut
            head = ast.Module(body=tree.body[:count], type_ignores=[])
            return _head_with_imports(text, offset, head, requests, style, first_party, used)
    return _imports_on(text, tree, requests, style, first_party, parsed, used)


def _added_names(requests: ImportRequests) -> set[str]:
    """The names the requested imports bind."""
    return {name or source.lstrip(".").split(".")[0] for source, name in requests.adds}


def _removed_names(requests: ImportRequests) -> set[str]:
    """The names the imports to remove bind."""
    return {
        asname or name or source.lstrip(".").split(".")[0]
        for source, name, asname in requests.removals
    }


def _head_with_imports(
    text: str,
    offset: int,
    head: ast.Module,
    requests: ImportRequests,
    style: ProjectStyle | None,
    first_party: Callable[[str], bool] | None,
    used: set[str] | None,
) -> str:
    """``text`` with the requested imports laid out on its head (``text[:offset]``, whose
    statements are ``head``: `_import_head`), remembered by what decides them (`_HEADS`;
    ``used`` holds only names an import to remove binds: `imports.names_read_shadowed`)."""
    key = (
        text[:offset],
        tuple(requests.adds),
        tuple(requests.removals),
        None if used is None else frozenset(used),
        style,
        _first_party_answers(head, requests, first_party),
    )
    found = _HEADS.get(key)
    if found is None:
        found = head_with_imports(
            text[:offset], head, requests.adds, requests.removals, style, first_party, used
        )
        if found is None:  # not a plain head: LibCST's
            found = _imports_on(text[:offset], head, requests, style, first_party, None, used)
        if len(_HEADS) >= 512:
            _HEADS.clear()
        _HEADS[key] = found
    return found + text[offset:]


# a line that starts a top-level definition: where a module's head ends, when the text before
# it parses (a line inside a string or brackets leaves that text unfinished)
_TOP_DEFINITION = re.compile(r"^(?:@|(?:async[ \t]+)?def\b|class\b)", re.MULTILINE)


def _quick_head(text: str, requests: ImportRequests) -> tuple[ast.Module, int] | None:
    """`_import_head` without parsing the whole module: the statements before the first line
    that starts a top-level definition, parsed alone, and where they end, when the rest of the
    text certainly binds none of the names the requests concern (each occurs there only
    called or with an attribute, `N(` or `N.`, and not after `def`, `class`, `import` or a
    comma), names none of the imports to remove nor their modules (the names removed would be
    read there: `used` needs the whole tree), and has no backslash continuation. None: parse
    the whole module (`_ast_of`), as before."""
    if "\f" in text or "\r" in text:
        return None
    found = _TOP_DEFINITION.search(text)
    if found is None or found.start() == 0:
        return None
    rest = text[found.start() :]
    if "\\\n" in rest:
        return None
    if any(source.lstrip(".") in rest for source, _, _ in requests.removals):
        return None
    for name in _added_names(requests):
        for start in word_starts(name, rest):
            after = rest[start + len(name) : start + len(name) + 1]
            line = rest[rest.rfind("\n", 0, start) + 1 : start].rstrip()
            if after not in ("(", ".") or line.endswith(("def", "class", "import", ",")):
                return None
    try:
        head = ast.parse(text[: found.start()])
    except (SyntaxError, ValueError):
        return None
    body = head.body
    if (
        not body
        or any(isinstance(s, _DEFINITION) for s in body)
        or not any(isinstance(s, (ast.Import, ast.ImportFrom)) for s in body)
    ):
        return None
    removed = _removed_names(requests)
    if removed and not _only_imported(text, head, removed):  # one read in the rest, too
        return None
    offset = _line_offset(text, (body[-1].end_lineno or body[-1].lineno) + 1)
    return (head, offset) if offset >= 0 else None


# a module head with the requested imports, by (head, requests, names read, style, what first
# party says of the packages involved): test modules of one project often open alike (`from
# fastapi.testclient import TestClient` and the app), and the step parses each head with LibCST
_HEADS: dict[tuple, str] = {}


def _first_party_answers(
    head: ast.Module, requests: ImportRequests, first_party: Callable[[str], bool] | None
) -> tuple[tuple[str, bool], ...] | None:
    """What ``first_party`` says of each top-level package the head imports or the requests
    add: all the import step asks it (`imports.section_of`), so a head laid out before with the
    same answers is laid out the same (a package created since is asked again)."""
    if first_party is None:
        return None
    tops = {source.split(".")[0] for source, _ in requests.adds if not source.startswith(".")}
    for node in _import_statements(head.body):
        if isinstance(node, ast.Import):
            tops.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            tops.add(node.module.split(".")[0])
    return tuple((top, first_party(top)) for top in sorted(tops))


_SIMPLE = (ast.Expr, ast.Assign, ast.AnnAssign, ast.AugAssign, ast.Pass, ast.Delete, ast.Global)


def _import_statements(body: Sequence[ast.stmt]) -> Iterable[ast.AST]:
    """The import statements among ``body`` and inside its compound statements (a simple
    statement holds none: its expressions are not walked)."""
    for statement in body:
        if isinstance(statement, (ast.Import, ast.ImportFrom)):
            yield statement
        elif not isinstance(statement, _SIMPLE):
            yield from ast.walk(statement)


def _imports_on(
    text: str,
    tree: ast.Module | None,
    requests: ImportRequests,
    style: ProjectStyle | None,
    first_party: Callable[[str], bool] | None,
    parsed: cst.Module | None,
    used: set[str] | None,
) -> str:
    import libcst as cst

    from fastapi_fixer.fixing import imports

    before = parsed if parsed is not None else cst.parse_module(text)
    module = before
    if requests.adds:
        module = imports.add_imports(module, requests.adds, style, first_party)
    if requests.removals:
        module = imports.remove_unused_imports(module, requests.removals, used)
    lines = statements.StatementLines.of(before, text, tree)
    spliced = split_lines(text)
    hunks = statements.changed_hunks(before, lines, module, spliced) if lines is not None else None
    if hunks is None:
        return module.code
    for hunk in reversed(hunks):
        spliced[hunk.start : hunk.end] = hunk.lines
    return "".join(spliced)


_DEFINITION = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def _only_imported(text: str, tree: ast.Module, names: set[str]) -> bool:
    """Whether none of ``names`` occurs in the text outside the module's top-level import
    statements (then none is read: `imports.names_read_shadowed` need not walk the tree)."""
    return not _mentions(text, tree, names)


def _mentions(text: str, tree: ast.Module, names: set[str]) -> list[int]:
    """The lines where one of ``names`` occurs in the text outside the module's top-level
    import statements: the only places where one can be read. Python reads identifiers in
    their NFKC form (`TestClient` spelt in fullwidth letters is `TestClient`): a text that is
    not ASCII is searched so (no line end is made or lost by it)."""
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text)
    matches = sorted(start for name in names for start in word_starts(name, text))
    if not matches:
        return []
    spans = [
        (s.lineno, s.end_lineno or s.lineno)
        for s in tree.body
        if isinstance(s, (ast.Import, ast.ImportFrom))
    ]
    # a line an import shares with another statement (`from x import y; y()`) is not its own
    shared = {
        s.lineno
        for before, s in itertools.pairwise(tree.body)
        if s.lineno == (before.end_lineno or before.lineno)
    }
    if "\r" not in text:  # lines end at "\n" only: a match's line is the "\n"s before it
        counts = (text.count("\n", a, b) for a, b in zip([0, *matches], matches, strict=False))
        numbers = list(itertools.accumulate(counts, initial=1))[1:]
    else:
        starts = line_starts(split_lines(text))
        numbers = [bisect.bisect_right(starts, at) for at in matches]
    return [n for n in numbers if n in shared or not any(a <= n <= b for a, b in spans)]


_WORD_CHARACTER = re.compile(r"\w")


def word_starts(name: str, text: str) -> list[int]:
    """Where ``name`` occurs in ``text`` as a whole word (`\\bname\\b`): found as `name\\b`,
    then the character before it read, which is many times faster on a long text (the regex
    engine tries a pattern that opens with `\\b` at every position)."""
    if not name.isidentifier():
        return [match.start() for match in re.finditer(rf"\b{re.escape(name)}\b", text)]
    return [
        match.start()
        for match in re.finditer(rf"{re.escape(name)}\b", text)
        if match.start() == 0 or _WORD_CHARACTER.match(text, match.start() - 1) is None
    ]


def _import_head(text: str, tree: ast.Module, requests: ImportRequests) -> tuple[int, int] | None:
    """Where the module's head ends (an offset at a line start) and how many statements it
    holds: the statements before the first top-level `def` or `class`, when they hold an
    import (the import steps then see all they would see in the whole module: the blocks
    new imports join end there) and the rest binds none of the names the requests concern at
    the top level, nor imports anything to be removed. None: parse the whole module."""
    if "\f" in text or "\r" in text:
        return None
    body = tree.body
    count = next((i for i, s in enumerate(body) if isinstance(s, _DEFINITION)), None)
    if not count or not any(isinstance(s, (ast.Import, ast.ImportFrom)) for s in body[:count]):
        return None
    names = _added_names(requests) | _removed_names(requests)
    rest = body[count:]
    if not names.isdisjoint(_top_level_bindings(rest)):
        return None
    sources = {source for source, _, _ in requests.removals}
    tail = text[_line_offset(text, rest[0].lineno) :] if rest else ""
    if any(source.lstrip(".") in tail for source in sources):
        for statement in rest:
            for node in ast.walk(statement):
                if isinstance(node, ast.Import) and any(a.name in sources for a in node.names):
                    return None
                if isinstance(node, ast.ImportFrom):
                    source = "." * node.level + (node.module or "")
                    if source in sources:
                        return None
    offset = _line_offset(text, (body[count - 1].end_lineno or body[count - 1].lineno) + 1)
    return (offset, count) if offset >= 0 else None


def _line_offset(text: str, line: int) -> int:
    """Where line ``line`` (1-based) starts in ``text`` (-1: past its end)."""
    offset = -1
    for _ in range(line - 1):
        offset = text.find("\n", offset + 1)
        if offset < 0:
            return -1
    return offset + 1


def _top_level_bindings(body: Sequence[ast.stmt]) -> set[str]:
    """Names the statements bind at the module's top level (inside top-level blocks too), as
    `imports._bindings` counts them, or more."""
    found: set[str] = set()
    for statement in body:
        if isinstance(statement, _DEFINITION):
            found.add(statement.name)
            continue
        if isinstance(statement, (ast.Import, ast.ImportFrom)):
            for alias in statement.names:
                found.add(alias.asname or alias.name.split(".")[0])
            continue
        for node in ast.iter_child_nodes(statement):
            if isinstance(node, ast.stmt):
                found |= _top_level_bindings([node])
            elif isinstance(node, ast.excepthandler):
                found |= _top_level_bindings(node.body)
            else:
                found.update(
                    n.id
                    for n in ast.walk(node)
                    if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)
                )
    return found


def _ast_of(text: str) -> ast.Module | None:
    try:
        return ast.parse(text)
    except (SyntaxError, ValueError):
        return None


def _attempt(
    text: str,
    original: list[str],
    runs: list[RuleRun],
    style: ProjectStyle | None,
    python: bool,
    tidy: Callable[[str, str], str] | None,
    validate: Validate,
    first_party: Callable[[str], bool] | None = None,
    attributed: list[tuple[Hunk, frozenset[str]]] | None = None,
) -> tuple[str, Provenance, str | None]:
    """The composed text and its provenance, and why it is not acceptable (or None)."""
    try:
        new_text, provenance = _compose(
            text, original, runs, style, python, tidy, first_party, attributed
        )
    except Exception as exc:  # an import edit the module does not allow, say
        return text, Provenance.original(len(original)), f"fix failed: {type(exc).__name__}: {exc}"
    reason = validate(text, new_text) if new_text != text else None
    return new_text, provenance, reason
