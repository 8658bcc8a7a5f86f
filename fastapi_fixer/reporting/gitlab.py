"""`--output-format gitlab`: GitLab Code Quality JSON (a code-quality report artifact)."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from typing import Any

from fastapi_fixer.models import Diagnostic, Severity
from fastapi_fixer.reporting.sarif import relative_path

SEVERITIES = {Severity.ERROR: "major", Severity.WARNING: "minor", Severity.INFO: "info"}


def fingerprint(diagnostic: Diagnostic, path: str, occurrence: int) -> str:
    """Stable across runs and line moves: rule, file, message and which occurrence it is."""
    key = "\x1f".join((diagnostic.code, path, diagnostic.message, str(occurrence)))
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]


def as_gitlab(diagnostics: list[Diagnostic]) -> list[dict[str, Any]]:
    seen: Counter[tuple[str, str, str]] = Counter()
    items = []
    for diagnostic in diagnostics:
        path = relative_path(diagnostic.path) or diagnostic.path
        key = (diagnostic.code, path, diagnostic.message)
        occurrence = seen[key]
        seen[key] += 1
        items.append(
            {
                "type": "issue",
                "description": f"{diagnostic.code} {diagnostic.message}",
                "check_name": f"{diagnostic.code} ({diagnostic.name})",
                "fingerprint": fingerprint(diagnostic, path, occurrence),
                "severity": SEVERITIES[diagnostic.severity],
                "location": {
                    "path": path,
                    "lines": {"begin": diagnostic.span.line, "end": diagnostic.span.end_line},
                },
            }
        )
    return items


def render(diagnostics: list[Diagnostic]) -> str:
    return json.dumps(as_gitlab(diagnostics), indent=2, ensure_ascii=False) + "\n"
