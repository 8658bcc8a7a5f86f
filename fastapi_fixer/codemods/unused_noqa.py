"""## What it does
Finds `# noqa: FFxxx` comments that suppress nothing: the code names a rule that is enabled but
found nothing on that line, or a code that no rule has. Off by default; enable it with
`--extend-select FF000`.

## Why is this bad?
A suppression outlives the code it was written for. Left in place, it silently hides the next
real finding on that line, and readers cannot tell which suppressions still matter.

## Example
```python
@router.get("/health")
async def health():  # noqa: FF101
    return {"ok": True}
```

## Use instead
```python
@router.get("/health")
async def health():
    return {"ok": True}
```

## Fix safety
Safe. Only the unused `FF` codes are removed from the comment; other tools' codes (`E501`) and
any text around the directive stay. A directive left without codes is removed, and the comment
with it when nothing else is in it.

## Known problems
Only `# noqa: FF...` codes of rules enabled in this run are judged: a code of a rule that is not
selected is left alone (a partial run cannot know whether it is used), and a bare `# noqa` is
never reported because other tools read it too. A suppression of a finding that starts on a line
that cannot take a comment (inside a multi-line string, or a line ending in a backslash) belongs
on the next line that can, and is judged there.
"""

from __future__ import annotations

import io
import re
import tokenize
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

from fastapi_fixer.models import Diagnostic, Edit, Fix, FixSafety, Severity, Span
from fastapi_fixer.rule import FileContext, FixContext, Rule

if TYPE_CHECKING:
    import libcst as cst

_PREFIX = "FF"


def _directive(comment: str) -> re.Match[str] | None:
    from fastapi_fixer.engine import _NOQA

    return _NOQA.search(comment)


def _codes(match: re.Match[str]) -> list[str]:
    codes = match.group("codes")
    return [] if codes is None else [c for c in re.split(r"[,\s]+", codes.strip()) if c]


def strip_codes(comment: str, remove: Iterable[str]) -> str | None:
    """The comment without the codes in ``remove``; None when nothing of it is left."""
    match = _directive(comment)
    if match is None:
        return comment
    dropped = {code.upper() for code in remove}
    codes = _codes(match)
    kept = [code for code in codes if code.upper() not in dropped]
    if kept:
        start, end = match.span("codes")
        return comment[:start] + ", ".join(kept) + comment[end:]
    before, after = comment[: match.start()].rstrip(), comment[match.end() :].strip()
    if before.strip("#").strip():
        return before + (f"  # {after.lstrip('#').strip()}" if after.lstrip("#").strip() else "")
    rest = after.lstrip("#").strip()
    return f"# {rest}" if rest else None


class UnusedNoqa(Rule):
    CODE = "FF000"
    NAME = "unused-noqa"
    SEVERITY = Severity.WARNING
    MESSAGE = "Unused `noqa` directive (unused: `{codes}`)"
    FIX_TITLE = "Remove unused `noqa` directive"
    FIX_SAFETY = FixSafety.SAFE
    TRIGGERS = ("noqa", "NOQA", "NoQA")
    DEFAULT_ENABLED = False

    def check(self, ctx: FileContext) -> Iterator[Diagnostic]:
        return iter(())  # the engine calls check_noqa with what each directive suppressed

    def check_noqa(
        self, ctx: FileContext, used: dict[int, set[str]], enabled: frozenset[str]
    ) -> Iterator[Diagnostic]:
        from fastapi_fixer.registry import all_rules

        known = all_rules()
        try:
            tokens = list(tokenize.generate_tokens(io.StringIO(ctx.text).readline))
        except (tokenize.TokenError, SyntaxError, IndentationError):
            return
        for token in tokens:
            if token.type != tokenize.COMMENT:
                continue
            match = _directive(token.string)
            if match is None:
                continue
            line, col = token.start
            suppressed = used.get(line, set())
            unused, unknown = [], []
            for code in _codes(match):
                upper = code.upper()
                if not upper.startswith(_PREFIX) or upper == self.CODE:
                    continue
                if upper not in known:
                    unknown.append(code)
                elif upper in enabled and upper not in suppressed:
                    unused.append(code)
            if not unused and not unknown:
                continue
            parts = []
            if unused:
                parts.append("unused: " + ", ".join(f"`{c}`" for c in unused))
            if unknown:
                parts.append("unknown: " + ", ".join(f"`{c}`" for c in unknown))
            span = Span(line, col + match.start(), line, col + match.end())
            yield Diagnostic(
                code=self.CODE,
                name=self.NAME,
                severity=self.SEVERITY,
                message=f"Unused `noqa` directive ({'; '.join(parts)})",
                path=ctx.path,
                span=span,
                fix=Fix(
                    title=self.FIX_TITLE or "",
                    safety=FixSafety.SAFE,
                    edits=(Edit(ctx.path, "strip_noqa", span, (tuple(unused + unknown),)),),
                ),
            )

    def fix(self, module: cst.Module, edits: list[Edit], ctx: FixContext) -> cst.Module:
        import libcst as cst
        from libcst.metadata import MetadataWrapper, PositionProvider

        by_line: dict[int, set[str]] = {}
        for edit in edits:
            if edit.span is not None:
                by_line.setdefault(edit.span.line, set()).update(edit.args[0])  # type: ignore[arg-type]

        class Strip(cst.CSTTransformer):
            METADATA_DEPENDENCIES = (PositionProvider,)

            def _new(self, comment: cst.Comment | None) -> tuple[bool, str | None]:
                if comment is None:
                    return False, None
                line = self.get_metadata(PositionProvider, comment).start.line
                if line not in by_line:
                    return False, None
                return True, strip_codes(comment.value, by_line[line])

            def leave_TrailingWhitespace(
                self, original: cst.TrailingWhitespace, updated: cst.TrailingWhitespace
            ) -> cst.TrailingWhitespace:
                hit, value = self._new(original.comment)
                if not hit:
                    return updated
                if value is None:
                    return updated.with_changes(comment=None, whitespace=cst.SimpleWhitespace(""))
                return updated.with_changes(comment=cst.Comment(value))

            def leave_EmptyLine(
                self, original: cst.EmptyLine, updated: cst.EmptyLine
            ) -> cst.EmptyLine | cst.RemovalSentinel:
                hit, value = self._new(original.comment)
                if not hit:
                    return updated
                if value is None:
                    return cst.RemoveFromParent()
                return updated.with_changes(comment=cst.Comment(value))

        return MetadataWrapper(module).visit(Strip())
