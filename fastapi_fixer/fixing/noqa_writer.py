"""`fastapi-fix check --add-noqa`: a `# noqa: CODE` comment on every line with a finding.

A finding is suppressed by a noqa comment on the line where it starts. When that line cannot take
a comment — it is inside a multi-line string, or ends in a backslash — the comment goes on the
next line that can (the string's last line), where the engine looks for it too (as ruff does).
An existing `# noqa: X` on the line is merged (`# noqa: X, FF101`); another comment on the line is
kept and the directive appended after it. Line endings, encoding and BOM are kept; files are
written atomically.
"""

from __future__ import annotations

import io
import re
import tokenize
from collections.abc import Iterable

from fastapi_fixer.engine import _NOQA, noqa_targets
from fastapi_fixer.engine.source import SourceError, write_source
from fastapi_fixer.models import Diagnostic, FileError, RunResult
from fastapi_fixer.reporting.fixes import split_lines

NOT_ADDED = frozenset({"FF000"})  # a noqa for unused-noqa would be a joke


def _codes_of(match: re.Match[str]) -> list[str]:
    codes = match.group("codes")
    return [] if codes is None else [c for c in re.split(r"[,\s]+", codes.strip()) if c]


def add_noqa(text: str, diagnostics: Iterable[Diagnostic]) -> tuple[str, int]:
    """The text with noqa comments for ``diagnostics``, and how many codes were added."""
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return text, 0
    targets = noqa_targets(tokens)
    comments = {t.start[0]: t for t in tokens if t.type == tokenize.COMMENT}
    wanted: dict[int, list[str]] = {}
    for diagnostic in diagnostics:
        if diagnostic.code in NOT_ADDED:
            continue
        line = targets.get(diagnostic.span.line, diagnostic.span.line)
        codes = wanted.setdefault(line, [])
        if diagnostic.code not in codes:
            codes.append(diagnostic.code)
    lines = split_lines(text)
    added = 0
    for number, codes in sorted(wanted.items()):
        if not 0 < number <= len(lines):
            continue
        line = lines[number - 1]
        body = line.rstrip("\r\n")
        ending = line[len(body) :]
        comment = comments.get(number)
        match = _NOQA.search(comment.string) if comment is not None else None
        if comment is not None and match is not None:
            present = _codes_of(match)
            if not present:
                continue  # a bare noqa already suppresses everything
            new = [c for c in sorted(codes) if c not in {p.upper() for p in present}]
            if not new:
                continue
            column = comment.start[1]
            merged = ", ".join([*present, *new])
            start, end = match.span("codes")
            string = comment.string[:start] + merged + comment.string[end:]
            body = body[:column] + string + body[column + len(comment.string) :]
            added += len(new)
        else:
            body = body.rstrip() + f"  # noqa: {', '.join(sorted(codes))}"
            added += len(codes)
        lines[number - 1] = body + ending
    return "".join(lines), added


def add_noqa_to_result(result: RunResult) -> int:
    """Write noqa comments for every finding of a check run; returns how many were added."""
    by_path: dict[str, list[Diagnostic]] = {}
    for diagnostic in result.diagnostics:
        by_path.setdefault(diagnostic.path, []).append(diagnostic)
    total = 0
    for path, diagnostics in sorted(by_path.items()):
        source = result.sources.get(path)
        if source is None:
            continue
        text, added = add_noqa(source.text, diagnostics)
        if not added:
            continue
        try:
            write_source(source, text)
        except SourceError as exc:
            result.errors.append(FileError(path, str(exc)))
            continue
        total += added
    return total
