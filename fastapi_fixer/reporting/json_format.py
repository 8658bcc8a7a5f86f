"""`--output-format json`: a list of findings, ruff's shape (1-based columns, fixes as edits),
each with its call chain (``chain``: a list of hops, empty for most rules)."""

from __future__ import annotations

import io
import json
import math
import tokenize
from json.encoder import encode_basestring
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
    return dumps_indented(as_json(diagnostics, texts, preview)) + "\n"


class _Unusual(Exception):
    """A value `dumps_indented` leaves to `json.dumps`."""


_STRING = encode_basestring  # json's own escaping, as with ensure_ascii=False


def dumps_indented(value: Any) -> str:
    """``json.dumps(value, indent=2, ensure_ascii=False)``, character for character, in a
    fraction of its time: with an indent, `json` encodes in Python, one generator per
    container (a second of the fastapi sdist's findings). Anything but plain dicts with
    string keys, lists, tuples, strings, ints, finite floats, booleans and None is left to
    `json.dumps`."""
    out: list[str] = []
    try:
        _write(value, "\n", out)
    except _Unusual:
        return json.dumps(value, indent=2, ensure_ascii=False)
    return "".join(out)


def _write(value: Any, newline: str, out: list[str]) -> None:
    kind = type(value)
    if kind is dict:
        if not value:
            out.append("{}")
            return
        inner = newline + "  "
        separator = "{" + inner
        for key, item in value.items():
            if type(key) is not str:
                raise _Unusual
            if type(item) is str:  # most values: written here, not in a call
                out.append(f"{separator}{_STRING(key)}: {_STRING(item)}")
            elif type(item) is int:
                out.append(f"{separator}{_STRING(key)}: {int.__repr__(item)}")
            else:
                out.append(f"{separator}{_STRING(key)}: ")
                _write(item, inner, out)
            separator = "," + inner
        out.append(newline + "}")
    elif kind is list or kind is tuple:
        if not value:
            out.append("[]")
            return
        inner = newline + "  "
        separator = "[" + inner
        for item in value:
            if type(item) is str:
                out.append(separator + _STRING(item))
            else:
                out.append(separator)
                _write(item, inner, out)
            separator = "," + inner
        out.append(newline + "]")
    elif kind is str:
        out.append(_STRING(value))
    elif value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif kind is int:
        out.append(int.__repr__(value))
    elif kind is float and math.isfinite(value):
        out.append(float.__repr__(value))
    else:
        raise _Unusual
