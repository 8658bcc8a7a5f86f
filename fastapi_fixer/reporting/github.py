"""`--output-format github`: GitHub Actions workflow commands, shown as annotations on the diff.

`::error file=app/main.py,line=9,col=5,endLine=9,endColumn=18,title=FF101
(blocking-call-in-async)::Blocking call ...` — warning and notice for the lower severities.
"""

from __future__ import annotations

from fastapi_fixer.models import Diagnostic, Severity
from fastapi_fixer.reporting.sarif import relative_path

COMMANDS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def _escape_data(value: str) -> str:
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(value: str) -> str:
    return _escape_data(value).replace(":", "%3A").replace(",", "%2C")


def line(diagnostic: Diagnostic) -> str:
    span = diagnostic.span
    properties = {
        "file": relative_path(diagnostic.path) or diagnostic.path,
        "line": str(span.line),
        "col": str(span.col + 1),
        "endLine": str(span.end_line),
        "endColumn": str(span.end_col + 1),
        "title": f"{diagnostic.code} ({diagnostic.name})",
    }
    joined = ",".join(f"{key}={_escape_property(value)}" for key, value in properties.items())
    return f"::{COMMANDS[diagnostic.severity]} {joined}::{_escape_data(diagnostic.message)}"


def render(diagnostics: list[Diagnostic]) -> str:
    return "".join(line(diagnostic) + "\n" for diagnostic in diagnostics)
