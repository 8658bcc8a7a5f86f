"""`--output-format json`: a list of findings, ruff's shape (1-based columns, fixes as edits),
each with its call chain (``chain``: a list of hops, empty for most rules)."""

from __future__ import annotations

import io
import json
import tokenize
from typing import Any

from fastapi_fixer.engine import noqa_targets
from fastapi_fixer.models import Diagnostic, FixSafety, Hop
from fastapi_fixer.reporting.fixes import FixPreview
from fastapi_fixer.reporting.ruledocs import rule_url


def _noqa_rows(text: str) -> dict[int, int]:
    if '"""' not in text and "'''" not in text and "\\\n" not in text and "\\\r" not in text:
        return {}  # every line can take a comment: no multi-line string, no backslash ending
    try:
        return noqa_targets(list(tokenize.generate_tokens(io.StringIO(text).readline)))
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return {}


def hop_json(hop: Hop) -> dict[str, Any]:
    """One hop of a call chain, placed as the finding is (1-based column)."""
    return {"name": hop.name, "path": hop.path, "row": hop.row, "column": hop.column + 1}


def as_json(
    diagnostics: list[Diagnostic], texts: dict[str, str], preview: FixPreview | None
) -> list[dict[str, Any]]:
    rows: dict[str, dict[int, int]] = {}
    items = []
    for diagnostic in diagnostics:
        span = diagnostic.span
        if diagnostic.path not in rows:
            rows[diagnostic.path] = _noqa_rows(texts.get(diagnostic.path, ""))
        fix = None
        if diagnostic.fix is not None and diagnostic.fix.safety is not FixSafety.NONE:
            edits = preview.edits(diagnostic) if preview is not None else None
            fix = {
                "safety": diagnostic.fix.safety.value,
                "title": diagnostic.fix.title,
                "edits": [edit.as_json() for edit in edits] if edits is not None else [],
            }
        items.append(
            {
                "code": diagnostic.code,
                "name": diagnostic.name,
                "severity": diagnostic.severity.value,
                "message": diagnostic.message,
                "path": diagnostic.path,
                "location": {"row": span.line, "column": span.col + 1},
                "end_location": {"row": span.end_line, "column": span.end_col + 1},
                "noqa_row": rows[diagnostic.path].get(span.line, span.line),
                "url": rule_url(diagnostic.code),
                "fix": fix,
                "chain": [hop_json(hop) for hop in diagnostic.chain],
                "more_sinks": [hop_json(hop) for hop in diagnostic.more_sinks],
            }
        )
    return items


def render(diagnostics: list[Diagnostic], texts: dict[str, str], preview: FixPreview | None) -> str:
    return json.dumps(as_json(diagnostics, texts, preview), indent=2, ensure_ascii=False) + "\n"
